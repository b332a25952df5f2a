#!/usr/bin/env bash
# The chaos run of issue 21: three silos in Cluster:Mode=AzureStorage under acked load, through a
# fault schedule drawn from a seed, then every promise checked. It runs the integration test
# ChaosKeepsEveryPromise (the test command runs the same test with a short schedule) with a long
# schedule, and prints the figures, one line each.
#
#   tests/chaos/run.sh [--seed N] [--faults N]     defaults: a seed from the clock, 100 faults
#
# Loopback only. Bounded: the test fails if the cluster stops accepting for 2 minutes between two
# faults or leaves an acked recipient without an outcome 5 minutes after the last, and the whole
# run is killed after TIMEOUT seconds (default 3600). Builds in Release first. Exit status is the
# test's: 0 when every promise held. Azurite comes from MAILCLUSTER_AZURITE or the cache that
# tests/run-all.sh fills (~/.cache/mailcluster/azurite-3.37.0).
set -euo pipefail
cd "$(dirname "$0")/../.."

SEED=$(( $(date +%s) % 100000 ))
FAULTS=100
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED=$2; shift 2 ;;
    --faults) FAULTS=$2; shift 2 ;;
    *) echo "usage: $0 [--seed N] [--faults N]" >&2; exit 2 ;;
  esac
done
if [ "$FAULTS" -lt 1 ] || [ "$FAULTS" -gt 1000 ]; then
  echo "--faults must be between 1 and 1000" >&2
  exit 2
fi

if [ -z "${MAILCLUSTER_AZURITE:-}" ]; then
  MAILCLUSTER_AZURITE="${XDG_CACHE_HOME:-$HOME/.cache}/mailcluster/azurite-3.37.0/node_modules/.bin/azurite"
fi
for service in "" -blob -queue -table; do
  [ -x "$MAILCLUSTER_AZURITE$service" ] || { echo "no $MAILCLUSTER_AZURITE$service: run tests/run-all.sh once, or set MAILCLUSTER_AZURITE" >&2; exit 1; }
done
export MAILCLUSTER_AZURITE DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

report=$(mktemp)
log=$(mktemp)
trap 'rm -f "$report" "$log"' EXIT

dotnet build Cluster.sln -c Release -v q -nologo >"$log" 2>&1 || { cat "$log"; echo "build failed"; exit 1; }

echo "chaos run: seed $SEED, $FAULTS faults, started $(date -u +%FT%TZ)"
status=0
MAILCLUSTER_CHAOS_SEED=$SEED MAILCLUSTER_CHAOS_FAULTS=$FAULTS MAILCLUSTER_CHAOS_REPORT=$report \
  timeout -k 30 "${TIMEOUT:-3600}" dotnet test tests/MailCluster.IntegrationTests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~ChaosKeepsEveryPromise" >"$log" 2>&1 || status=$?

cat "$report"
if [ "$status" -ne 0 ]; then
  echo "--- the test failed (exit $status); its output follows ---"
  # The failure message and the silos' output are long: the head says what failed.
  grep -A 40 "Error Message" "$log" | head -80 || tail -80 "$log"
fi
echo "chaos run: seed $SEED, $FAULTS faults, ended $(date -u +%FT%TZ), $([ "$status" -eq 0 ] && echo passed || echo FAILED)"
exit "$status"
