#!/usr/bin/env bash
# A local multi-process cluster on loopback, the way an operator tries scaling on one machine:
# a private Redis (membership), a private PostgreSQL (state and messages), N silos and M gateway
# processes (WebSocket + demo page; cluster clients that call the silos). Silos serve WebSockets too.
# Everything lives under one state folder and listens on 127.0.0.1.
#
#   bash infra/cluster.sh up [N] [M]  build, start Redis, PostgreSQL, N silos (default 3), M gateways (default 2)
#   bash infra/cluster.sh add         start one more silo
#   bash infra/cluster.sh add-gateway start one more gateway
#   bash infra/cluster.sh stop I      stop silo I gracefully (SIGTERM: it leaves, hands its grains over)
#   bash infra/cluster.sh kill I      kill silo I (SIGKILL: the others detect it in about 4 s)
#   bash infra/cluster.sh status      each process's health as it reports it
#   bash infra/cluster.sh down        stop everything and delete the state folder
#
# Silo I serves http://127.0.0.1:$((5100+I)), its transport 127.0.0.1:$((11100+I)).
# Gateway J serves http://127.0.0.1:$((5200+J)), its transport 127.0.0.1:$((11200+J)).
# Settings: CHATCLUSTER_LOCAL (state folder), REDIS_PORT (6390), PG_PORT (5440).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
state=${CHATCLUSTER_LOCAL:-${TMPDIR:-/tmp}/chatcluster-local}
redis_port=${REDIS_PORT:-6390}
pg_port=${PG_PORT:-5440}
silo_dll="${repo}/Silo/bin/Release/net10.0/ChatCluster.Silo.dll"

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "${dir}/initdb" ] && { echo "${dir}"; return; }
  done
  die "PostgreSQL server binaries not found; run: bash infra/install-deps.sh"
}

# PostgreSQL refuses to run as root: run its tools as the postgres user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "${what} did not come up"
}

start_redis() {
  command -v redis-server >/dev/null || die "redis-server not found; run: bash infra/install-deps.sh"
  mkdir -p "${state}/redis"
  # appendonly: the silos' streams (the message log) live here; an acked message must survive a Redis restart.
  redis-server --bind 127.0.0.1 --port "${redis_port}" --dir "${state}/redis" --save "" \
    --appendonly yes --appendfsync everysec \
    --daemonize yes --pidfile "${state}/redis/redis.pid" --logfile "${state}/redis/redis.log"
  wait_for "Redis" redis-cli -p "${redis_port}" ping
  say "Redis on 127.0.0.1:${redis_port}"
}

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "${state}/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "${state}/pg"
  chmod 700 "${state}/pg"
  as_postgres "${bin}/initdb" -D "${state}/pg/data" -U chat --auth=trust >/dev/null
  # Each silo's connection pools may open dozens of connections under load: PostgreSQL's default of 100 runs out at 3 silos.
  as_postgres "${bin}/pg_ctl" -D "${state}/pg/data" -l "${state}/pg/postgres.log" -w \
    -o "-p ${pg_port} -k ${state}/pg -c listen_addresses=127.0.0.1 -c max_connections=400" start >/dev/null
  as_postgres "${bin}/createdb" -h 127.0.0.1 -p "${pg_port}" -U chat chat
  say "PostgreSQL on 127.0.0.1:${pg_port}, database chat"
}

start_process() { # kind (silo|gateway), index
  local kind=$1 i=$2 dir="${state}/$1-$2" http transport
  if [ "${kind}" = silo ]; then http=$((5100 + i)); transport=$((11100 + i)); else http=$((5200 + i)); transport=$((11200 + i)); fi
  mkdir -p "${dir}"
  (
    cd "${dir}"
    export Urls="http://127.0.0.1:${http}"
    export CHATCLUSTER__CLUSTER__PROVIDER=Redis
    export CHATCLUSTER__REDIS__ENDPOINT="127.0.0.1:${redis_port}"
    export CHATCLUSTER__TRANSPORT__PORT=${transport}
    if [ "${kind}" = silo ]; then
      export CHATCLUSTER__STORAGE__PROVIDER=Postgres
      export CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING="Host=127.0.0.1;Port=${pg_port};Username=chat;Database=chat"
    else
      export CHATCLUSTER__CLUSTER__ROLE=Client
    fi
    # One key for every process, so a token from any gateway works on every other.
    export CHATCLUSTER__GATEWAY__SIGNINGKEY="$(cat "${state}/signing-key")"
    nohup dotnet "${silo_dll}" --contentRoot "$(dirname "${silo_dll}")" >"${dir}/${kind}.log" 2>&1 &
    echo $! >"${dir}/${kind}.pid"
  )
  wait_for "${kind} ${i} (see ${dir}/${kind}.log)" curl -sf "http://127.0.0.1:${http}/readyz"
  say "${kind} ${i}: http://127.0.0.1:${http} (transport 127.0.0.1:${transport}), log ${dir}/${kind}.log"
}

silo_pid() { cat "${state}/silo-$1/silo.pid" 2>/dev/null || true; }

next_index() { # kind
  local i=0
  while [ -d "${state}/$1-${i}" ]; do i=$((i + 1)); done
  echo "${i}"
}

cmd=${1:-}
case "${cmd}" in
  up)
    n=${2:-3}
    m=${3:-2}
    [ -d "${state}" ] && die "${state} exists: run 'bash infra/cluster.sh down' first"
    say "building the silo (Release)"
    dotnet build -c Release Silo >/dev/null
    mkdir -p "${state}"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${state}/signing-key"
    start_redis
    start_postgres
    for i in $(seq 0 $((n - 1))); do start_process silo "${i}"; done
    for j in $(seq 0 $((m - 1))); do start_process gateway "${j}"; done
    say "up: ${n} silos, ${m} gateways; open http://127.0.0.1:5200 (dev tokens on every process)"
    ;;
  add)
    [ -d "${state}" ] || die "no cluster: run 'bash infra/cluster.sh up' first"
    start_process silo "$(next_index silo)"
    ;;
  add-gateway)
    [ -d "${state}" ] || die "no cluster: run 'bash infra/cluster.sh up' first"
    start_process gateway "$(next_index gateway)"
    ;;
  stop | kill)
    i=${2:?silo index}
    pid=$(silo_pid "${i}")
    [ -n "${pid}" ] && kill -0 "${pid}" 2>/dev/null || die "silo ${i} is not running"
    if [ "${cmd}" = stop ]; then
      kill -TERM "${pid}"
      while kill -0 "${pid}" 2>/dev/null; do sleep 0.2; done
      say "silo ${i} stopped gracefully"
    else
      kill -KILL "${pid}"
      say "silo ${i} killed"
    fi
    ;;
  status)
    for dir in "${state}"/silo-* "${state}"/gateway-*; do
      [ -d "${dir}" ] || continue
      name=$(basename "${dir}"); kind=${name%-*}; i=${name##*-}
      pid=$(cat "${dir}/${kind}.pid" 2>/dev/null || true)
      if [ "${kind}" = silo ]; then http=$((5100 + i)); else http=$((5200 + i)); fi
      if [ -n "${pid}" ] && kill -0 "${pid}" 2>/dev/null; then
        echo "${kind} ${i} (pid ${pid}): $(curl -s "http://127.0.0.1:${http}/healthz" || echo 'no answer')"
      else
        echo "${kind} ${i}: not running"
      fi
    done
    ;;
  down)
    for pidfile in "${state}"/silo-*/silo.pid "${state}"/gateway-*/gateway.pid; do
      [ -f "${pidfile}" ] && kill -KILL "$(cat "${pidfile}")" 2>/dev/null || true
    done
    [ -f "${state}/redis/redis.pid" ] && kill "$(cat "${state}/redis/redis.pid")" 2>/dev/null || true
    if [ -d "${state}/pg/data" ]; then
      as_postgres "$(pg_bin)/pg_ctl" -D "${state}/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "${state}"
    say "down"
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
