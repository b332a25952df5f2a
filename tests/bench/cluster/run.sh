#!/usr/bin/env bash
# tests/bench/cluster/run.sh - the cluster's exact throttle: several silo processes in one Orleans
# cluster on Azurite, each given a backlog for one site whose limits are MaxConnections=6 and
# MessageRate=1200/min,burst=20, delivering to one smtp-sink.
#
# What is measured (one run; bounded in count and time, stops by itself)
#   connections  established TCP connections at the sink, sampled every 50 ms with ss for the
#                whole delivery: the most ever seen (the limit is 6, whatever the silo count)
#   rate         recipients delivered (Delivered lines of every silo's delivery log) in the 60 s
#                after the first delivery, per minute, against 1200/min (+20 burst)
#   grain calls  site-grain exchanges of all silos (mailcluster_site_exchanges_total) per
#                delivered message, at the end of the window
#   failover     then the silo hosting the site's grain (the one whose /metrics shows an
#                orleans_catalog_activations{grain_type="domain"}) is killed with SIGKILL: the
#                seconds until another silo hosts the grain, and until a surviving silo logs its
#                next delivery; connections are still sampled (never above 6 through it)
#   restart      the killed silo is started again on its spool; once every message is delivered,
#                the sink's count against what was sent (more = possible duplicates of the
#                recipients in flight at the kill; fewer would be loss)
#
# Usage: tests/bench/cluster/run.sh [--silos N] [--messages M] [--seconds S]
#   --silos N      silo processes (3)
#   --messages M   messages given to each silo (800; more than S seconds of the rate)
#   --seconds S    the measured window (60)
# Needs: a Release build, smtp-source and smtp-sink (postfix), dnsmasq-base, ss (iproute2),
# Debian's python3, npm (Azurite 3.37.0 is installed into ~/.cache/mailcluster when missing).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/bench/lib/processes.sh
# shellcheck source=../lib/azurite.sh
source tests/bench/lib/azurite.sh

SILOS=3 MESSAGES=800 SECONDS_MEASURED=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --silos) SILOS=$2; shift 2 ;;
    --messages) MESSAGES=$2; shift 2 ;;
    --seconds) SECONDS_MEASURED=$2; shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ $SILOS =~ ^[1-9]$ && $MESSAGES =~ ^[0-9]+$ && $SECONDS_MEASURED =~ ^[0-9]+$ ]] || { echo "bad arguments" >&2; exit 2; }

SILO_DLL=src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll
HELPER=tests/bench/relay/relaybench.py
LIFETIME=$((SECONDS_MEASURED + SILOS * MESSAGES / 15 + 300))
[[ -f $SILO_DLL ]] || { echo "build first: dotnet build Cluster.sln -c Release" >&2; exit 1; }
install_azurite

TMP=$(mktemp -d /var/tmp/mc-cluster-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 10 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
log() { echo "[$(date +%T)] $*"; }

read -r SINK_PORT DNS_PORT BLOB TABLE QUEUE <<<"$(python3 "$HELPER" ports 127.0.40.1 udp:127.0.0.1 127.0.0.1 127.0.0.1 127.0.0.1)"
setsid timeout -k 5 "$LIFETIME" smtp-sink -4 -u nobody -c "127.0.40.1:$SINK_PORT" 1000 >"$TMP/sink.count" 2>"$TMP/sink.err" &
PIDS+=("$!")
printf 'mx-host=dest.test,mx.dest.test,10\nhost-record=mx.dest.test,127.0.40.1\n' >"$TMP/dnsmasq.conf"
setsid timeout -k 5 "$LIFETIME" /usr/sbin/dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=127.0.0.1 \
  --bind-interfaces --port="$DNS_PORT" --pid-file= --local-ttl=300 --conf-file="$TMP/dnsmasq.conf" >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=("$!")
start_azurite "$TMP/azurite" "$LIFETIME" "$BLOB" "$QUEUE" "$TABLE"
PIDS+=("$AZURITE_PID")
python3 "$HELPER" dns-check "$DNS_PORT" dest.test >/dev/null

SERVICE=bench$RANDOM$RANDOM
start_silo() { # index: starts silo i on its ports and spool (again after a kill) and waits until ready
  local i=$1 SMTP HTTP ORLEANS
  read -r SMTP HTTP ORLEANS <"$TMP/silo$i/ports"
  setsid timeout -k 5 "$LIFETIME" dotnet "$SILO_DLL" \
    --Cluster:Mode=AzureStorage --Cluster:ConnectionString="$STORAGE" --Cluster:ServiceId="$SERVICE" \
    --Cluster:SiloName="silo$i" --Cluster:SiloPort="$ORLEANS" --Cluster:AdvertisedAddress=127.0.0.1 \
    --Smtp:Listen="127.0.0.1:$SMTP" --Http:Listen="127.0.0.1:$HTTP" --Spool:Path="$TMP/silo$i/spool" \
    --Delivery:LogPath="$TMP/silo$i/delivery.log" --Delivery:SmtpPort="$SINK_PORT" --Delivery:AllowedMxNetworks=127.0.0.0/8 \
    --Dns:Nameservers:0="127.0.0.1:$DNS_PORT" --Delivery:HeloName=bench.test \
    --Shaping:Rules:0:Match=dest.test --Shaping:Rules:0:MaxConnections=6 --Shaping:Rules:0:MessageRate="1200/min,burst=20" \
    >>"$TMP/silo$i/out.log" 2>&1 &
  PIDS[$((3 + i))]=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$HTTP/readyz" >/dev/null || { tail -20 "$TMP/silo$i/out.log" >&2; echo "silo$i not ready" >&2; exit 1; }
  log "silo$i ready (SMTP $SMTP, HTTP $HTTP)"
}
for ((i = 0; i < SILOS; i++)); do
  mkdir -p "$TMP/silo$i"
  python3 "$HELPER" ports 127.0.0.1 127.0.0.1 127.0.0.1 >"$TMP/silo$i/ports"
  start_silo "$i"
done

# The sampler: established connections at the sink every 50 ms, for the whole run.
(
  end=$((SECONDS + SECONDS_MEASURED + 120))
  while ((SECONDS < end)); do
    ss -Htn state established "( sport = :$SINK_PORT )" | wc -l
    sleep 0.05
  done
) >"$TMP/connections" &
# (the sampler runs through the failover below as well)
SAMPLER=$!

log "loading $MESSAGES messages into each of $SILOS silos"
LOADS=()
for ((i = 0; i < SILOS; i++)); do
  read -r SMTP HTTP _ <"$TMP/silo$i/ports"
  timeout 120 smtp-source -d -s 5 -m "$MESSAGES" -l 512 -f sender@bench.test -t rcpt@dest.test "127.0.0.1:$SMTP" &
  LOADS+=("$!")
done
for pid in "${LOADS[@]}"; do wait "$pid" || { echo "smtp-source failed" >&2; exit 1; }; done
log "loaded; measuring ${SECONDS_MEASURED}s from the first delivery"
for _ in $(seq 1 300); do cat "$TMP"/silo*/delivery.log 2>/dev/null | grep -q '"Delivered"' && break; sleep 0.1; done
sleep "$SECONDS_MEASURED"
sleep 2

exchanges=0
for ((i = 0; i < SILOS; i++)); do
  read -r SMTP HTTP _ <"$TMP/silo$i/ports"
  n=$(curl -fs "http://127.0.0.1:$HTTP/metrics" | awk '/^mailcluster_site_exchanges_total/ {s += $2} END {print s + 0}')
  exchanges=$((exchanges + ${n%.*}))
done
hosts_grain() { # silo index: true when its /metrics shows a site-grain activation
  local smtp http
  read -r smtp http _ <"$TMP/silo$1/ports"
  curl -fs "http://127.0.0.1:$http/metrics" 2>/dev/null | grep -q '^orleans_catalog_activations{grain_type="domain"} [1-9]'
}
FAILOVER="not measured" RESTART="not measured"
for ((i = 0; i < SILOS; i++)); do
  hosts_grain "$i" || continue
  ((SILOS > 1)) || break
  victim=$i
  kill -9 -- "-${PIDS[$((3 + i))]}" 2>/dev/null  # setsid: the group is timeout and the silo
  killed_at=$(date +%s.%N)
  log "killed silo$victim (it hosted the site's grain)"
  delivered_before=$(cat "$TMP"/silo*/delivery.log | grep -c '"Delivered"')
  moved="" resumed=""
  for _ in $(seq 1 1200); do
    if [[ -z $moved ]]; then
      for ((j = 0; j < SILOS; j++)); do
        ((j != victim)) && hosts_grain "$j" && moved=$(date +%s.%N) && break
      done
    fi
    if [[ -z $resumed ]] && (($(cat "$TMP"/silo*/delivery.log | grep -c '"Delivered"') > delivered_before)); then
      resumed=$(date +%s.%N)
    fi
    [[ -n $moved && -n $resumed ]] && break
    sleep 0.1
  done
  # The killed silo comes back on its spool: what it had not delivered goes out now.
  start_silo "$victim"
  expected=$((SILOS * MESSAGES))
  for _ in $(seq 1 $((expected / 10 + 600))); do
    (($(cat "$TMP"/silo*/delivery.log | grep -c '"Delivered"') >= expected)) && break
    sleep 0.1
  done
  read -r _ received <<<"$(python3 "$HELPER" sink-count "$TMP/sink.count")"
  RESTART="sent $expected; the sink received $received ($((received - expected)) more than sent: possible duplicates of what was in flight at the kill)"
  FAILOVER="grain hosted again after $( [[ -n $moved ]] && echo "$moved - $killed_at" | bc || echo "never (120 s)") s; next delivery after $( [[ -n $resumed ]] && echo "$resumed - $killed_at" | bc || echo "never (120 s)") s"
  break
done
kill "$SAMPLER" 2>/dev/null || true

python3 - "$SECONDS_MEASURED" "$exchanges" "$TMP/connections" "$TMP"/silo*/delivery.log <<'PY'
import json, sys
from datetime import datetime
window, exchanges, samples_path, logs = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
times, per_silo = [], []
for path in logs:
    count = 0
    for line in open(path):
        record = json.loads(line)
        if record.get("type") == "Delivered":
            times.append(datetime.fromisoformat(record["time"]).timestamp())
            count += 1
    per_silo.append(count)
samples = [int(x) for x in open(samples_path).read().split()]
t0 = min(times)
inside = sum(1 for t in times if t < t0 + window)
print(f"connections at the sink: at most {max(samples)} in {len(samples)} samples (limit 6)")
print(f"delivered in the {window:.0f} s after the first delivery: {inside} = {inside * 60 / window:.0f}/min "
      f"(limit 1200/min + 20 burst; ratio {inside / (20 * window + 20):.3f} of rate x time + burst)")
print(f"delivered per silo (whole run): {per_silo}, total {len(times)}")
print(f"site-grain exchanges in the window: {exchanges}, per message delivered by then {exchanges / max(1, sum(1 for t in times if t < t0 + window + 2)):.4f}")
PY
echo "failover: $FAILOVER"
echo "after the killed silo restarted: $RESTART"
