#!/usr/bin/env bash
# What a direct message costs a running silo: the peers' load (../shared/peers/load.mjs, 200 users, 4 sends in flight
# each) for SECONDS, with the silo's CPU time, managed allocation and GC pause time from its /metrics before and after,
# per acked DM. Start the silo first (Release), e.g. `cd Silo && dotnet bin/Release/net10.0/ChatCluster.Silo.dll`.
#   bash infra/dm-cost.sh [BASE_URL] [SECONDS]
set -eu
base=${1:-http://127.0.0.1:5000}; seconds=${2:-15}
peers=$(cd "$(dirname "$0")/../../shared/peers" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$peers/load.mjs" "$peers/package.json" "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) || { echo "npm install ws failed"; exit 1; }
metric() { curl -fsS -m 5 "$base/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
read_all() { echo "$(metric chatcluster_process_cpu_seconds_total) $(metric chatcluster_process_allocated_bytes_total) $(metric chatcluster_process_gc_pause_seconds_total)"; }
before=$(read_all) || { echo "no ChatCluster answering at $base"; exit 1; }
result=$(node "$work/load.mjs" --target chatcluster --base "$base" --users 200 --seconds "$seconds" --window 4)
after=$(read_all)
echo "$result"
node -e 'const r = JSON.parse(process.argv[1]); const [c0, a0, g0] = process.argv[2].split(" ").map(Number); const [c1, a1, g1] = process.argv[3].split(" ").map(Number);
console.log(`per acked DM: ${((c1 - c0) * 1e6 / r.acked).toFixed(0)} us of silo CPU, ${((a1 - a0) / r.acked).toFixed(0)} B allocated; GC paused ${(g1 - g0).toFixed(2)} s of ${r.seconds} s`);' "$result" "$before" "$after"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
