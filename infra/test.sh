#!/usr/bin/env bash
# The test command (see README): bash infra/test.sh [extra dotnet test arguments, e.g. --filter X]
# Builds the solution, runs every test project, and ends with one line:
#   N passed, F failed, S skipped
# The exit code is dotnet test's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

results=TestResults

# Servers left by a test process that was killed outright (e.g. by --blame-hang-timeout) skip its
# exit hooks: kill every process working in a chatcluster-* temp directory whose owner is gone.
sweep_stale_servers() {
  local dir owner proc cwd
  for dir in "${TMPDIR:-/tmp}"/chatcluster-pg-* "${TMPDIR:-/tmp}"/chatcluster-redis-* "${TMPDIR:-/tmp}"/chatcluster-kafka-*; do
    [ -d "${dir}" ] || continue
    owner=$(cat "${dir}/owner.pid" 2>/dev/null || true)
    if [ -n "${owner}" ] && [ -d "/proc/${owner}" ]; then
      continue
    fi
    for proc in /proc/[0-9]*; do
      cwd=$(readlink "${proc}/cwd" 2>/dev/null || true)
      case "${cwd}" in
        "${dir}" | "${dir}"/*) kill -9 "${proc#/proc/}" 2>/dev/null || true ;;
      esac
    done
    echo "test.sh: removed stale server directory ${dir}"
    rm -rf "${dir}" || true
  done
}

bash infra/install-deps.sh
sweep_stale_servers

dotnet build ChatCluster.sln -c Release

# Only this run's results are counted.
rm -rf "${results}"

set +e
# One test project at a time (-m:1): the process-level tests start clusters of five processes with their own
# Redis and PostgreSQL, and on two cores they must not share the machine with the other projects' tests.
dotnet test ChatCluster.sln -c Release --no-build -m:1 \
  --logger "trx" --results-directory "${results}" \
  --blame-hang-timeout 10m --blame-hang-dump-type none \
  "$@"
code=$?
set -e
sweep_stale_servers

# Sum the outcomes of every test result in every .trx file (one per test project).
passed=0
failed=0
skipped=0
while IFS= read -r -d '' trx; do
  while read -r count outcome; do
    case "${outcome}" in
      Passed|PassedButRunAborted) passed=$((passed + count)) ;;
      Failed|Error|Timeout|Aborted) failed=$((failed + count)) ;;
      NotExecuted|Inconclusive|NotRunnable) skipped=$((skipped + count)) ;;
    esac
  done < <(grep -o '<UnitTestResult [^>]*' "${trx}" | grep -o ' outcome="[A-Za-z]*"' | cut -d'"' -f2 | sort | uniq -c)
done < <(find "${results}" -name '*.trx' -print0 2>/dev/null)

if [ "${code}" -ne 0 ] && [ "${failed}" -eq 0 ]; then
  echo "dotnet test exited with code ${code} (build problem, crash or hang; see the output above)." >&2
fi

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "${code}"
