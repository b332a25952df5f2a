#!/usr/bin/env bash
# Retry tier benchmarks on Azurite. 1) Round trips: entries/s for add, receive, reschedule and delete, with
# 1 KiB content (inline in the queue message) and 50 KiB content (a blob beside it), several
# runs each on a fresh Azurite, medians printed. 2) deferred.py: a relay run with 20% of the
# recipients deferred once, Single mode against AzureStorage mode. Bounded: fixed counts, `timeout` on every step,
# loopback only.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib/azurite.sh
ENTRIES=${ENTRIES:-2000}
PARALLEL=${PARALLEL:-32}
RUNS=${RUNS:-3}
WORK=$(mktemp -d)
AZURITE_PID=""
cleanup() { [ -n "$AZURITE_PID" ] && kill "$AZURITE_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
install_azurite
echo "building TierBench (Release)..."
timeout 300 dotnet build TierBench/TierBench.csproj -c Release -m:1 -v q -o "$WORK/bin" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for size in 1024 51200; do
  for run in $(seq 1 "$RUNS"); do
    start_azurite "$WORK/azurite-$size-$run" 600 "$(port)" "$(port)" "$(port)"
    echo "size $size run $run: dotnet TierBench <azurite> $ENTRIES $size $PARALLEL"
    timeout 600 dotnet "$WORK/bin/TierBench.dll" "$STORAGE" "$ENTRIES" "$size" "$PARALLEL" | tee "$WORK/result-$size-$run.txt"
    kill "$AZURITE_PID"; wait "$AZURITE_PID" 2>/dev/null || true; AZURITE_PID=""
  done
done
echo
echo "medians of $RUNS runs, $ENTRIES entries, $PARALLEL calls in flight (entries/s):"
printf '%-14s %10s %10s\n' step "1 KiB" "50 KiB"
for step in add receive reschedule "receive again" delete; do
  med() { grep -h "^$step " "$WORK"/result-"$1"-*.txt | awk -v n=${#step} '{print substr($0, 15)}' | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  printf '%-14s %10s %10s\n' "$step" "$(med 1024)" "$(med 51200)"
done

# The relay run with a fifth of the recipients deferred once: Single against AzureStorage mode.
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-8}
SILO_DLL=../../../src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll
[[ -f $SILO_DLL ]] || { echo "silo not built: $SILO_DLL (dotnet build Cluster.sln -c Release)"; exit 1; }
echo
echo "relay with 20% deferred once: deferred.py $MESSAGES messages, $SESSIONS sessions, $RUNS runs"
timeout 3600 python3 deferred.py "$(cd "$(dirname "$SILO_DLL")" && pwd)/MailCluster.Silo.dll" "$AZURITE_DIR/node_modules/.bin/azurite" "$MESSAGES" "$SESSIONS" "$RUNS"
