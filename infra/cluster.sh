#!/usr/bin/env bash
# A local multi-process cluster on loopback, the way an operator tries scaling on one machine:
# a private Redis (membership), a private PostgreSQL (state and messages) and N silos, each with its
# gateway (WebSocket + demo page). Everything lives under one state folder and listens on 127.0.0.1.
#
#   bash infra/cluster.sh up [N]     build, start Redis, PostgreSQL and N silos (default 3)
#   bash infra/cluster.sh add        start one more silo
#   bash infra/cluster.sh stop I     stop silo I gracefully (SIGTERM: it leaves, hands its grains over)
#   bash infra/cluster.sh kill I     kill silo I (SIGKILL: the others detect it in about 4 s)
#   bash infra/cluster.sh status     each silo's health as it reports it
#   bash infra/cluster.sh down       stop everything and delete the state folder
#
# Silo I serves http://127.0.0.1:$((5100+I)) and its transport listens on 127.0.0.1:$((11100+I)).
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
  as_postgres "${bin}/pg_ctl" -D "${state}/pg/data" -l "${state}/pg/postgres.log" -w \
    -o "-p ${pg_port} -k ${state}/pg -c listen_addresses=127.0.0.1" start >/dev/null
  as_postgres "${bin}/createdb" -h 127.0.0.1 -p "${pg_port}" -U chat chat
  say "PostgreSQL on 127.0.0.1:${pg_port}, database chat"
}

start_silo() { # index
  local i=$1 dir="${state}/silo-$1"
  mkdir -p "${dir}"
  (
    cd "${dir}"
    export Urls="http://127.0.0.1:$((5100 + i))"
    export CHATCLUSTER__CLUSTER__PROVIDER=Redis
    export CHATCLUSTER__REDIS__ENDPOINT="127.0.0.1:${redis_port}"
    export CHATCLUSTER__TRANSPORT__PORT=$((11100 + i))
    export CHATCLUSTER__STORAGE__PROVIDER=Postgres
    export CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING="Host=127.0.0.1;Port=${pg_port};Username=chat;Database=chat"
    # One key for all silos, so a token from any gateway works on every other.
    export CHATCLUSTER__GATEWAY__SIGNINGKEY="$(cat "${state}/signing-key")"
    nohup dotnet "${silo_dll}" --contentRoot "$(dirname "${silo_dll}")" >"${dir}/silo.log" 2>&1 &
    echo $! >"${dir}/silo.pid"
  )
  wait_for "silo ${i} (see ${dir}/silo.log)" curl -sf "http://127.0.0.1:$((5100 + i))/readyz"
  say "silo ${i}: http://127.0.0.1:$((5100 + i)) (transport 127.0.0.1:$((11100 + i))), log ${dir}/silo.log"
}

silo_pid() { cat "${state}/silo-$1/silo.pid" 2>/dev/null || true; }

next_index() {
  local i=0
  while [ -d "${state}/silo-${i}" ]; do i=$((i + 1)); done
  echo "${i}"
}

cmd=${1:-}
case "${cmd}" in
  up)
    n=${2:-3}
    [ -d "${state}" ] && die "${state} exists: run 'bash infra/cluster.sh down' first"
    say "building the silo (Release)"
    dotnet build -c Release Silo >/dev/null
    mkdir -p "${state}"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${state}/signing-key"
    start_redis
    start_postgres
    for i in $(seq 0 $((n - 1))); do start_silo "${i}"; done
    say "up: ${n} silos; open http://127.0.0.1:5100 (dev tokens on every silo)"
    ;;
  add)
    [ -d "${state}" ] || die "no cluster: run 'bash infra/cluster.sh up' first"
    start_silo "$(next_index)"
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
    for dir in "${state}"/silo-*; do
      [ -d "${dir}" ] || continue
      i=${dir##*-}
      pid=$(silo_pid "${i}")
      if [ -n "${pid}" ] && kill -0 "${pid}" 2>/dev/null; then
        echo "silo ${i} (pid ${pid}): $(curl -s "http://127.0.0.1:$((5100 + i))/healthz" || echo 'no answer')"
      else
        echo "silo ${i}: not running"
      fi
    done
    ;;
  down)
    for dir in "${state}"/silo-*; do
      [ -f "${dir}/silo.pid" ] && kill -KILL "$(cat "${dir}/silo.pid")" 2>/dev/null || true
    done
    [ -f "${state}/redis/redis.pid" ] && kill "$(cat "${state}/redis/redis.pid")" 2>/dev/null || true
    if [ -d "${state}/pg/data" ]; then
      as_postgres "$(pg_bin)/pg_ctl" -D "${state}/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "${state}"
    say "down"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
