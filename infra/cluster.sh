#!/usr/bin/env bash
# A local ChatCluster in cluster mode on loopback, the way an operator tries scaling on one machine: a private Redis
# (Orleans' membership table, and the timeline log in Redis Streams), a private PostgreSQL (grain state and messages),
# with STREAMS=kafka a Kafka test broker for the log instead, N silo processes (Orleans silos that also serve WebSockets)
# and M gateway processes (Orleans clients that serve WebSockets and the demo page and call the silos). Everything lives
# under one state folder and listens on 127.0.0.1.
#
#   bash infra/cluster.sh up [N] [M]  build (Release), start Redis, PostgreSQL, N silos (default 3), M gateways (default 2)
#   STREAMS=kafka bash infra/cluster.sh up [N] [M]
#                                     the same with the log on Kafka: also builds and starts the Kafka test broker
#                                     (Tests/KafkaTestBroker, librdkafka's mock cluster: 3 brokers, IN MEMORY ONLY, not
#                                     for production: stopping it loses the log); Redis still holds the membership
#   bash infra/cluster.sh add         start one more silo
#   bash infra/cluster.sh add-gateway start one more gateway
#   bash infra/cluster.sh stop I      stop silo I gracefully (SIGTERM: it leaves the cluster, its grains move) and wait
#   bash infra/cluster.sh kill I      kill silo I (SIGKILL: the others declare it dead in about 1-3 s)
#   bash infra/cluster.sh status      which log is in use, and each process's /healthz as it reports it
#   bash infra/cluster.sh down        stop everything and delete the state folder
#
# Silo I:    http://127.0.0.1:$((5100+I)), silo-to-silo port 127.0.0.1:$((11100+I)), Orleans gateway port 127.0.0.1:$((30000+I)).
# Gateway J: http://127.0.0.1:$((5200+J)).
# Settings: CHATCLUSTER_LOCAL (state folder, default ${TMPDIR:-/tmp}/chatcluster-local), REDIS_PORT (6390), PG_PORT (5440),
# STREAMS (read by up: redis, the default, or kafka; later commands use the log the cluster was started with).
# Dev tokens are on everywhere (POST /api/dev/token); one signing key for all processes, so a token works on any of them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
state=${CHATCLUSTER_LOCAL:-${TMPDIR:-/tmp}/chatcluster-local}
redis_port=${REDIS_PORT:-6390}
pg_port=${PG_PORT:-5440}
cluster_id=local
silo_dll="${repo}/Silo/bin/Release/net10.0/ChatCluster.Silo.dll"
gateway_dll="${repo}/Gateway/bin/Release/net10.0/ChatCluster.Gateway.dll"
broker_dll="${repo}/Tests/KafkaTestBroker/bin/Release/net10.0/ChatCluster.KafkaTestBroker.dll"
partitions=8 # the log's partitions (ChatCluster:Streams:Partitions, the silos' default); the Kafka topic is created with as many
kafka_topic="chatcluster-${cluster_id}-log" # the silos' default topic name, chatcluster-{ClusterId}-log
start_timeout=120 # seconds a process gets to answer /readyz (two shared cores: a cold start takes 5-20 s)

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 2; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2; }

silo_http() { echo $((5100 + $1)); }
silo_port() { echo $((11100 + $1)); }
silo_gateway_port() { echo $((30000 + $1)); }
gateway_http() { echo $((5200 + $1)); }

need() { # command, what to do when it is missing
  command -v "$1" >/dev/null || die "$1 not found; $2"
}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "${dir}/initdb" ] && { echo "${dir}"; return; }
  done
  die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin; run: bash infra/install-deps.sh"
}

# PostgreSQL refuses to run as root: run its tools as the postgres user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

check_ports() { # port...
  local port
  for port in "$@"; do
    port_free "${port}" || die "port ${port} on this machine is taken (ss -ltn 'sport = :${port}'); stop what uses it, or pick other REDIS_PORT / PG_PORT"
  done
}

pid_of() { cat "${state}/$1-$2/$1.pid" 2>/dev/null || true; } # kind, index
running() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

build() { # log (redis|kafka)
  need dotnet "install the .NET 10 SDK"
  local log="${TMPDIR:-/tmp}/chatcluster-build.$$.log" project projects=(Silo/ChatCluster.Silo.csproj Gateway/ChatCluster.Gateway.csproj)
  if [ "$1" = kafka ]; then projects+=(Tests/KafkaTestBroker/ChatCluster.KafkaTestBroker.csproj); fi
  for project in "${projects[@]}"; do
    say "building ${project} (Release)"
    if ! dotnet build -c Release --nologo "${project}" >"${log}" 2>&1; then
      tail -n 30 "${log}" >&2; rm -f "${log}"
      die "the build of ${project} failed (above)"
    fi
  done
  rm -f "${log}"
}

gateway_runnable() { [ -f "${gateway_dll%.dll}.runtimeconfig.json" ]; }

start_redis() {
  need redis-server "run: bash infra/install-deps.sh"
  mkdir -p "${state}/redis"
  # appendonly yes, never without: Redis holds Orleans' membership table, and a Redis that restarts EMPTY breaks
  # membership ("The Redis membership table version is missing") until every silo restarts. It also holds the timeline
  # log (Redis Streams), where an ack means durable. appendfsync everysec: a killed Redis process loses nothing it
  # wrote (the kernel has it); a crash of the whole machine may lose the last second.
  redis-server --bind 127.0.0.1 --port "${redis_port}" --dir "${state}/redis" --save "" \
    --appendonly yes --appendfsync everysec \
    --daemonize yes --pidfile "${state}/redis/redis.pid" --logfile "${state}/redis/redis.log" \
    || die "redis-server did not start, see ${state}/redis/redis.log"
  wait_until 20 "" redis-cli -p "${redis_port}" ping || die "Redis did not answer within 20 s, see ${state}/redis/redis.log"
  say "Redis on 127.0.0.1:${redis_port} (appendonly yes), log ${state}/redis/redis.log"
}

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "${state}/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "${state}/pg"
  chmod 700 "${state}/pg"
  as_postgres test -w "${state}/pg" || die "the postgres user cannot write ${state}/pg; set CHATCLUSTER_LOCAL to a folder it can reach (e.g. under /tmp)"
  as_postgres "${bin}/initdb" -D "${state}/pg/data" -U chat --auth=trust >"${state}/pg/initdb.log" 2>&1 \
    || die "initdb failed, see ${state}/pg/initdb.log"
  # Each silo's connection pools may open dozens of connections under load: PostgreSQL's default of 100 runs out at 3 silos.
  as_postgres "${bin}/pg_ctl" -D "${state}/pg/data" -l "${state}/pg/postgres.log" -w \
    -o "-p ${pg_port} -k ${state}/pg -c listen_addresses=127.0.0.1 -c max_connections=400" start >/dev/null \
    || die "PostgreSQL did not start, see ${state}/pg/postgres.log"
  as_postgres "${bin}/createdb" -h 127.0.0.1 -p "${pg_port}" -U chat chat || die "createdb failed (above)"
  say "PostgreSQL on 127.0.0.1:${pg_port}, database chat, user chat, log ${state}/pg/postgres.log"
}

wait_until() { # seconds, pid to watch ("" for none), command...: 0 once the command succeeds, 1 on timeout or exit
  local seconds=$1 pid=$2; shift 2
  local deadline=$((SECONDS + seconds))
  while [ "${SECONDS}" -lt "${deadline}" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "${pid}" ] && ! running "${pid}"; then return 1; fi
    sleep 0.3
  done
  return 1
}

# The Kafka test broker: librdkafka's mock cluster (3 brokers on loopback ports it picks) in a process of its own, which
# outlives this script like Redis does. It keeps the log in memory only: stopping it loses every record and offset.
# The mock cannot create topics through the admin API (the silos' CreateTopics is refused, and they go on with the
# existing topic) and would auto-create an unknown topic with 4 partitions, which stops every silo (the partition count
# must be the silos'): so the log topic and its dead-letter topic are made here, as the silos expect them.
start_kafka() {
  [ -f "${broker_dll}" ] || die "${broker_dll} is missing after the build"
  local dir="${state}/kafka" pid
  mkdir -p "${dir}"
  setsid nohup dotnet "${broker_dll}" --brokers 3 --topic "${kafka_topic}:${partitions}:3" \
    --topic "${kafka_topic}-dead-letters:1:3" >"${dir}/kafka.log" 2>&1 </dev/null &
  pid=$!
  echo "${pid}" >"${dir}/kafka.pid"
  if ! wait_until 60 "${pid}" grep -q '^bootstrap ' "${dir}/kafka.log"; then
    tail -n 20 "${dir}/kafka.log" >&2
    die "the Kafka test broker did not start (above, ${dir}/kafka.log); 'bash infra/cluster.sh down' cleans up"
  fi
  sed -n 's/^bootstrap //p' "${dir}/kafka.log" | head -n 1 >"${dir}/bootstrap"
  [ -s "${dir}/bootstrap" ] || die "no bootstrap list in ${dir}/kafka.log"
  say "Kafka test broker (pid ${pid}; in memory, not for production) on $(kafka_bootstrap), topics ${kafka_topic} (${partitions} partitions) and ${kafka_topic}-dead-letters, log ${dir}/kafka.log"
}

kafka_bootstrap() { cat "${state}/kafka/bootstrap"; }

# Which log this cluster uses: written by up, read by every later command (so an added silo uses the same one).
# A state folder from before the file existed is a Redis Streams cluster.
cluster_log() { cat "${state}/log" 2>/dev/null || echo redis; }

log_name() {
  if [ "$(cluster_log)" = kafka ]; then
    echo "Kafka (the test broker, in memory; topic ${kafka_topic}, ${partitions} partitions)"
  else
    echo "Redis Streams (on the Redis at 127.0.0.1:${redis_port})"
  fi
}

# The log's settings, shared by every silo: Redis Streams (the default in cluster mode) on the same Redis, or Kafka on
# the test broker this cluster was started with (its bootstrap list is in the state folder).
export_log_settings() {
  if [ "$(cluster_log)" = kafka ]; then
    export CHATCLUSTER__STREAMS__PROVIDER=Kafka
    CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS=$(kafka_bootstrap)
    export CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS
    export CHATCLUSTER__KAFKA__TOPIC=${kafka_topic}
    export CHATCLUSTER__STREAMS__PARTITIONS=${partitions}
    # The silos' defaults, written out (they apply only to topics a silo creates); the test broker's topics have 3 replicas.
    export CHATCLUSTER__KAFKA__REPLICATIONFACTOR=3
    export CHATCLUSTER__KAFKA__MININSYNCREPLICAS=2
    # The test broker holds each fetch for its whole wait even when records arrive (a real broker answers at once).
    export CHATCLUSTER__KAFKA__FETCHWAIT=00:00:00.005
  else
    export CHATCLUSTER__STREAMS__PROVIDER=Redis
  fi
}

# A silo added later must use the broker the others use; a test broker that is gone took the log with it.
need_log() {
  [ "$(cluster_log)" = kafka ] || return 0
  running "$(cat "${state}/kafka/kafka.pid" 2>/dev/null || true)" \
    || die "the Kafka test broker of this cluster is not running, and the log it held in memory is gone: 'bash infra/cluster.sh down', then up again"
}

launch() { # kind (silo|gateway), index: starts the process in the background, returns at once
  local kind=$1 i=$2 dir="${state}/$1-$2" dll
  mkdir -p "${dir}"
  (
    cd "${dir}"
    export CHATCLUSTER__CLUSTER__CLUSTERID=${cluster_id}
    export CHATCLUSTER__REDIS__CONFIGURATION="127.0.0.1:${redis_port}"
    # One key for every process, so a token from any gateway or silo works on every other.
    CHATCLUSTER__GATEWAY__SIGNINGKEY=$(cat "${state}/signing-key")
    export CHATCLUSTER__GATEWAY__SIGNINGKEY
    export CHATCLUSTER__GATEWAY__DEVTOKENS=true
    if [ "${kind}" = silo ]; then
      dll=${silo_dll}
      Urls="http://127.0.0.1:$(silo_http "${i}")"
      export CHATCLUSTER__CLUSTER__PROVIDER=Redis
      export CHATCLUSTER__CLUSTER__ADVERTISEDADDRESS=127.0.0.1
      CHATCLUSTER__CLUSTER__SILOPORT=$(silo_port "${i}")
      CHATCLUSTER__CLUSTER__GATEWAYPORT=$(silo_gateway_port "${i}")
      export CHATCLUSTER__CLUSTER__SILOPORT CHATCLUSTER__CLUSTER__GATEWAYPORT
      export CHATCLUSTER__STORAGE__PROVIDER=Postgres
      export CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING="Host=127.0.0.1;Port=${pg_port};Username=chat;Database=chat"
      export_log_settings
    else
      dll=${gateway_dll}
      Urls="http://127.0.0.1:$(gateway_http "${i}")"
      # As compose and Kubernetes run gateways: workstation GC with an 8 MiB gen0 keeps an idle connection in about
      # 7.6 KiB instead of 11 (README, Operations). Silos keep server GC.
      export DOTNET_gcServer=0 DOTNET_GCgen0size=0x800000
    fi
    export Urls
    # setsid: the process outlives this script and the terminal; its pid is the one written down.
    setsid nohup dotnet "${dll}" --contentRoot "$(dirname "${dll}")" >"${dir}/${kind}.log" 2>&1 </dev/null &
    echo $! >"${dir}/${kind}.pid"
  )
}

await_ready() { # kind, index
  local kind=$1 i=$2 dir="${state}/$1-$2" http pid
  if [ "${kind}" = silo ]; then http=$(silo_http "${i}"); else http=$(gateway_http "${i}"); fi
  pid=$(pid_of "${kind}" "${i}")
  if ! wait_until "${start_timeout}" "${pid}" curl -sf "http://127.0.0.1:${http}/readyz"; then
    echo "--- last lines of ${dir}/${kind}.log:" >&2
    tail -n 20 "${dir}/${kind}.log" >&2
    running "${pid}" && die "${kind} ${i} (pid ${pid}) is not ready after ${start_timeout} s; 'bash infra/cluster.sh down' cleans up"
    die "${kind} ${i} exited while starting (above); 'bash infra/cluster.sh down' cleans up"
  fi
  if [ "${kind}" = silo ]; then
    say "silo ${i} (pid ${pid}): http://127.0.0.1:${http}, silo port $(silo_port "${i}"), Orleans gateway port $(silo_gateway_port "${i}"), log ${dir}/silo.log"
  else
    say "gateway ${i} (pid ${pid}): http://127.0.0.1:${http}, log ${dir}/gateway.log"
  fi
}

ports_of() { # kind, index
  if [ "$1" = silo ]; then echo "$(silo_http "$2") $(silo_port "$2") $(silo_gateway_port "$2")"; else gateway_http "$2"; fi
}

start() { # kind, index
  # shellcheck disable=SC2046
  check_ports $(ports_of "$1" "$2")
  launch "$1" "$2"
  await_ready "$1" "$2"
}

next_index() { # kind
  local i=0
  while [ -d "${state}/$1-${i}" ]; do i=$((i + 1)); done
  echo "${i}"
}

is_count() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -le 90 ]; }

need_cluster() {
  [ -f "${state}/signing-key" ] || die "no cluster at ${state}: run 'bash infra/cluster.sh up' first (or set CHATCLUSTER_LOCAL)"
}

need_gateway_program() {
  gateway_runnable || die "${gateway_dll} is not a program in this checkout (no runtimeconfig.json): the Gateway project cannot run on its own yet; use 'up N 0'"
}

# STREAMS: the log up starts the cluster with. Unset (or empty) is redis, as before Kafka existed.
streams=${STREAMS:-redis}
case "${streams}" in
  redis | kafka) ;;
  *) die "STREAMS is '${STREAMS}'; it must be 'redis' (Redis Streams, the default) or 'kafka' (the Kafka test broker, in memory)" ;;
esac

cmd=${1:-}
case "${cmd}" in
  up)
    [ $# -le 3 ] || usage
    n=${2:-3}
    m=${3:-2}
    { is_count "${n}" && [ "${n}" -ge 1 ]; } || die "up: N (silos) is '${n}'; it must be a number from 1 to 90"
    is_count "${m}" || die "up: M (gateways) is '${m}'; it must be a number from 0 to 90"
    [ -e "${state}" ] && die "${state} exists: run 'bash infra/cluster.sh down' first (or set CHATCLUSTER_LOCAL)"
    need curl "run: apt-get install curl"
    need ss "run: apt-get install iproute2"
    need redis-server "run: bash infra/install-deps.sh"
    pg_bin >/dev/null
    ports=("${redis_port}" "${pg_port}")
    for i in $(seq 0 $((n - 1))); do read -ra p <<<"$(ports_of silo "${i}")"; ports+=("${p[@]}"); done
    for j in $(seq 0 $((m - 1))); do ports+=("$(gateway_http "${j}")"); done
    check_ports "${ports[@]}"
    build "${streams}"
    [ "${m}" -eq 0 ] || need_gateway_program
    mkdir -p "${state}"
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${state}/signing-key")
    echo "${streams}" >"${state}/log"
    start_redis
    start_postgres
    if [ "${streams}" = kafka ]; then start_kafka; fi
    # Silos start together (they install the schema under an advisory lock), then the gateways, which need a silo.
    for i in $(seq 0 $((n - 1))); do launch silo "${i}"; done
    for i in $(seq 0 $((n - 1))); do await_ready silo "${i}"; done
    for j in $(seq 0 $((m - 1))); do launch gateway "${j}"; done
    for j in $(seq 0 $((m - 1))); do await_ready gateway "${j}"; done
    say "up: ${n} silos, ${m} gateways, the log in $(log_name), state in ${state}"
    if [ "${m}" -gt 0 ]; then say "open http://127.0.0.1:$(gateway_http 0)"; else say "open http://127.0.0.1:$(silo_http 0)"; fi
    ;;
  add)
    [ $# -eq 1 ] || usage
    need_cluster
    [ -z "${STREAMS:-}" ] || [ "${streams}" = "$(cluster_log)" ] \
      || die "add: STREAMS is '${streams}', but this cluster's log is $(cluster_log) (STREAMS is read by up only); unset it"
    need_log
    start silo "$(next_index silo)"
    ;;
  add-gateway)
    [ $# -eq 1 ] || usage
    need_cluster
    need_gateway_program
    start gateway "$(next_index gateway)"
    ;;
  stop | kill)
    [ $# -eq 2 ] || die "${cmd}: which silo? e.g. 'bash infra/cluster.sh ${cmd} 1'"
    i=$2
    [[ "${i}" =~ ^[0-9]+$ ]] || die "${cmd}: the silo index is '${i}'; it must be a number (see 'bash infra/cluster.sh status')"
    need_cluster
    [ -d "${state}/silo-${i}" ] || die "there is no silo ${i} (see 'bash infra/cluster.sh status')"
    pid=$(pid_of silo "${i}")
    running "${pid}" || die "silo ${i} is not running"
    if [ "${cmd}" = stop ]; then
      say "stopping silo ${i} (pid ${pid}, SIGTERM): it drains its WebSockets and hands its grains over"
      kill -TERM "${pid}"
      while running "${pid}"; do sleep 0.2; done
      say "silo ${i} stopped: $(tail -n 1 "${state}/silo-${i}/silo.log")"
    else
      kill -KILL "${pid}"
      say "silo ${i} (pid ${pid}) killed"
    fi
    ;;
  status)
    [ $# -eq 1 ] || usage
    need_cluster
    redis_pid=$(cat "${state}/redis/redis.pid" 2>/dev/null || true)
    echo "log: $(log_name)"
    if running "${redis_pid}"; then echo "redis (pid ${redis_pid}): 127.0.0.1:${redis_port}"; else echo "redis: not running"; fi
    if [ "$(cluster_log)" = kafka ]; then
      kafka_pid=$(cat "${state}/kafka/kafka.pid" 2>/dev/null || true)
      if running "${kafka_pid}"; then
        echo "kafka test broker (pid ${kafka_pid}, in memory): $(kafka_bootstrap)"
      else
        echo "kafka test broker: not running (the log it held in memory is gone)"
      fi
    fi
    if as_postgres "$(pg_bin)/pg_ctl" -D "${state}/pg/data" status >/dev/null 2>&1; then
      echo "postgres: 127.0.0.1:${pg_port}"
    else
      echo "postgres: not running"
    fi
    for kind in silo gateway; do
      for i in $(seq 0 $(($(next_index "${kind}") - 1))); do
        pid=$(pid_of "${kind}" "${i}")
        if [ "${kind}" = silo ]; then http=$(silo_http "${i}"); else http=$(gateway_http "${i}"); fi
        if running "${pid}"; then
          echo "${kind} ${i} (pid ${pid}) http://127.0.0.1:${http}: $(curl -s -m 5 "http://127.0.0.1:${http}/healthz" || echo 'no answer')"
        else
          echo "${kind} ${i} http://127.0.0.1:${http}: not running"
        fi
      done
    done
    ;;
  down)
    [ $# -eq 1 ] || usage
    if [ ! -e "${state}" ]; then say "nothing at ${state}"; exit 0; fi
    # SIGKILL, not SIGTERM: the whole state is deleted next, so a graceful hand-over would only take time.
    pids=()
    for pidfile in "${state}"/silo-*/silo.pid "${state}"/gateway-*/gateway.pid; do
      [ -f "${pidfile}" ] || continue
      pid=$(cat "${pidfile}")
      running "${pid}" && kill -KILL "${pid}" && pids+=("${pid}")
    done
    for pid in "${pids[@]}"; do while running "${pid}"; do sleep 0.1; done; done
    stopped="Redis and PostgreSQL stopped"
    kafka_pid=$(cat "${state}/kafka/kafka.pid" 2>/dev/null || true)
    if running "${kafka_pid}"; then
      kill -TERM "${kafka_pid}"
      while running "${kafka_pid}"; do sleep 0.1; done
      stopped="the Kafka test broker, Redis and PostgreSQL stopped"
    fi
    redis_pid=$(cat "${state}/redis/redis.pid" 2>/dev/null || true)
    if running "${redis_pid}"; then
      kill -TERM "${redis_pid}"
      while running "${redis_pid}"; do sleep 0.1; done
    fi
    if [ -f "${state}/pg/data/postmaster.pid" ]; then
      as_postgres "$(pg_bin)/pg_ctl" -D "${state}/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "${state}"
    say "down: ${#pids[@]} processes stopped, ${stopped}, ${state} deleted"
    ;;
  *)
    [ -z "${cmd}" ] || echo "cluster: unknown command '${cmd}'" >&2
    usage
    ;;
esac
