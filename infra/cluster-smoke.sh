#!/usr/bin/env bash
# Issue 13's smoke check on a cluster that infra/cluster.sh runs (3 silos, 2 gateways: silo 1 is killed), with the log
# in Redis Streams or, after STREAMS=kafka ... up, in Kafka (the check is the same):
#
#   bash infra/cluster.sh up 3 2 && bash infra/cluster-smoke.sh; bash infra/cluster.sh down
#   STREAMS=kafka bash infra/cluster.sh up 3 2 && bash infra/cluster-smoke.sh; bash infra/cluster.sh down
#
# A client on gateway A (:5200) and one on gateway B (:5201) exchange direct and group messages, each pushed live;
# then 8 users on both gateways send under load (resending the same clientMsgId until acked), silo 1 is killed with
# SIGKILL after 5 s, and after 20 s every acked message must be in `sync`, none stored twice. Prints PASSED or FAILED
# (exit 1). The check itself is infra/cluster-smoke.mjs (Node.js 20.10+, no packages).
# Settings: A, B (gateway URLs), KILL_COMMAND (default: bash infra/cluster.sh kill 1; empty: kill nothing),
# SECONDS_OF_LOAD (20), KILL_AFTER (5), PAIRS (4); CHATCLUSTER_LOCAL as for cluster.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v node >/dev/null || { echo "smoke: node not found (apt-get install nodejs)" >&2; exit 2; }
# Node 22+ has WebSocket; Node 20.10+ behind a flag.
flags=()
if ! node -e 'typeof WebSocket === "function" || process.exit(1)' 2>/dev/null; then
  flags=(--experimental-websocket --disable-warning=ExperimentalWarning)
  node "${flags[@]}" -e 'typeof WebSocket === "function" || process.exit(1)' 2>/dev/null \
    || { echo "smoke: this Node.js ($(node --version)) has no WebSocket client; Node.js 20.10 or later is needed" >&2; exit 2; }
fi
export A=${A:-http://127.0.0.1:5200} B=${B:-http://127.0.0.1:5201}
# Which log the cluster of cluster.sh runs on (its state folder says), so that the output says what was checked.
state=${CHATCLUSTER_LOCAL:-${TMPDIR:-/tmp}/chatcluster-local}
if [ -f "${state}/signing-key" ]; then echo "smoke: the cluster at ${state} has its log in $(cat "${state}/log" 2>/dev/null || echo redis)"; fi
export KILL_COMMAND=${KILL_COMMAND-bash infra/cluster.sh kill 1}
exec node "${flags[@]}" infra/cluster-smoke.mjs
