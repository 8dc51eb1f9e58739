#!/usr/bin/env bash
# Installs the Debian packages the tests need, if missing: redis-server, the PostgreSQL server and
# chromium (at /usr/bin/chromium, which the browser tests drive through Playwright; Playwright's own
# browser downloads are never used).
# Idempotent. Tests start their own private instances on free loopback ports, so the system
# services that the packages bring along are stopped again (nothing is left on 6379 / 5432).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-deps: $*"; }

have_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
    || { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; }
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
have_postgres || missing+=(postgresql)
# setpriv (util-linux) starts PostgreSQL as the postgres user when the tests run as root.
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
# The browser tests launch exactly this path.
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ "${#missing[@]}" -eq 0 ]; then
  say "redis-server, PostgreSQL server binaries and chromium present; nothing to do."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "missing: ${missing[*]}. Run as root:" >&2
  echo "  sudo env DEBIAN_FRONTEND=noninteractive apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# Server processes that already run are not ours to stop; only those the install starts are.
before_redis=" $( (pgrep -x redis-server || true) | tr '\n' ' ') "

say "apt-get update"
apt-get update -q
say "apt-get install -y ${missing[*]}"
apt-get install -y -q "${missing[@]}"

# Do not leave the packaged services running (or starting at boot): the tests start their own.
for service in redis-server postgresql; do
  case " ${missing[*]} " in
    *" ${service} "*) ;;
    *) continue ;;
  esac
  if command -v service >/dev/null 2>&1; then
    say "service ${service} stop"
    service "${service}" stop >/dev/null 2>&1 || true
  fi
  if command -v systemctl >/dev/null 2>&1; then
    say "systemctl disable ${service}"
    systemctl disable "${service}" >/dev/null 2>&1 || true
  fi
done

# If no service manager stopped it, kill only a redis-server on 6379 that the install started.
for pid in $(pgrep -x redis-server || true); do
  case "${before_redis}" in *" ${pid} "*) continue ;; esac
  if tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q ':6379'; then
    say "stopping redis-server pid ${pid} (port 6379) started by the install"
    kill "${pid}" 2>/dev/null || true
  fi
done

say "done: $(redis-server --version 2>/dev/null | head -n 1 || echo 'redis-server ?')"
say "chromium: $( [ -x /usr/bin/chromium ] && echo /usr/bin/chromium || echo 'missing!' )"
