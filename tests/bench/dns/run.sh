#!/usr/bin/env bash
# DNS bench: our resolver (cached MX lookups/s in-process, uncached lookups/s against a local
# dnsmasq) and dnsperf against the same dnsmasq with the same query list, then the ratio.
# dnsmasq serves local data with --local-ttl=300 so the cached run really hits the cache.
# Bounded: fixed query counts, `timeout` on every step, loopback only.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
QUERIES=${QUERIES:-1000}            # distinct names in the query list
UNCACHED=${UNCACHED:-20000}         # uncached lookups by our resolver
CACHED=${CACHED:-200000}            # cached MX resolutions
CONCURRENCY=${CONCURRENCY:-10}      # our workers = dnsperf outstanding queries (-q)
WORK=$(mktemp -d)
DNSMASQ_PID=""
cleanup() { [ -n "$DNSMASQ_PID" ] && kill "$DNSMASQ_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/dnsmasq.conf" <<CONF
local=/test/
address=/bench.test/127.0.0.1
mx-host=mx.bench-mx.test,mail.bench-mx.test,10
mx-host=bench-mx.test,mail.bench-mx.test,10
host-record=mail.bench-mx.test,127.0.0.25,::25
CONF
for i in $(seq 1 "$QUERIES"); do echo "q$i.bench.test A"; done > "$WORK/queries.txt"

/usr/sbin/dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=127.0.0.1 --port="$PORT" \
  --bind-interfaces --pid-file= --cache-size=0 --local-ttl=300 --conf-file="$WORK/dnsmasq.conf" 2>"$WORK/dnsmasq.log" &
DNSMASQ_PID=$!
for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

echo "building DnsBench (Release)..."
timeout 300 dotnet build DnsBench/DnsBench.csproj -c Release -m:1 -v q -o "$WORK/bin" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

echo "ours: dotnet DnsBench 127.0.0.1:$PORT queries.txt bench-mx.test $UNCACHED $CACHED $CONCURRENCY"
OURS=$(timeout 120 dotnet "$WORK/bin/DnsBench.dll" "127.0.0.1:$PORT" "$WORK/queries.txt" bench-mx.test "$UNCACHED" "$CACHED" "$CONCURRENCY")
echo "$OURS"
CACHED_RATE=$(awk '/^cached_mx_per_second/ {print $2}' <<<"$OURS")
UNCACHED_RATE=$(awk '/^uncached_per_second/ {print $2}' <<<"$OURS")

RUNS=$(( (UNCACHED + QUERIES - 1) / QUERIES ))
echo "reference: dnsperf -s 127.0.0.1 -p $PORT -d queries.txt -e -n $RUNS -q $CONCURRENCY -c 1 -l 60"
PERF=$(timeout 90 dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries.txt" -e -n "$RUNS" -q "$CONCURRENCY" -c 1 -l 60 2>&1)
grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency' <<<"$PERF" | sed 's/^ */  /'
PERF_RATE=$(awk '/Queries per second/ {print $4}' <<<"$PERF")

echo
echo "cached MX resolutions/s (ours, in-process): $CACHED_RATE"
echo "uncached lookups/s (ours, dnsmasq):        $UNCACHED_RATE"
echo "uncached queries/s (dnsperf, dnsmasq):     $PERF_RATE"
awk -v o="$UNCACHED_RATE" -v r="$PERF_RATE" 'BEGIN { printf "ratio ours/dnsperf (uncached):            %.2f\n", o / r }'
