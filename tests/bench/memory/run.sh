#!/usr/bin/env bash
# tests/bench/memory/run.sh - memory per silo under large messages: N parallel sessions each send
# one message of SIZE MiB (default 50 x 50 MiB) to an accepting silo that DKIM-signs them, and
# the silo's peak RSS is sampled every 0.2 s. Optionally the same for a baseline build, runs
# interleaved (silo i, baseline i), so a noisy machine disturbs both alike.
#
# Usage
#   tests/bench/memory/run.sh [--baseline-dll PATH] [--runs N] [--sessions S] [--size-mib M]
#                             [--ceiling-mib C] [--load-timeout SEC]
#     --baseline-dll   another build's MailCluster.Silo.dll (e.g. the commit before a change,
#                      built in a git worktree); reported beside the silo with the ratio
#     --ceiling-mib    the documented bound (default 768): the run fails when the silo's median
#                      peak RSS is above it
# Needs smtp-source (package postfix) and a Release build. Loopback only; each load is bounded by
# --load-timeout (default 600 s) and every process started is stopped at exit.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
source "$REPO/tests/bench/lib/processes.sh"
SAMPLE_INTERVAL=0.2
SAMPLER_SECONDS=900

RUNS=3 SESSIONS=50 SIZE_MIB=50 CEILING_MIB=768 LOAD_TIMEOUT=600 BASELINE_DLL=""
SILO_DLL=$REPO/src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll
die() { echo "run.sh: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --baseline-dll) BASELINE_DLL=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --sessions) SESSIONS=$2; shift 2 ;;
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --ceiling-mib) CEILING_MIB=$2; shift 2 ;;
    --load-timeout) LOAD_TIMEOUT=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ -f $SILO_DLL ]] || die "build first: dotnet build Cluster.sln -c Release"
[[ -z $BASELINE_DLL || -f $BASELINE_DLL ]] || die "no $BASELINE_DLL"
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[[ -x $SMTP_SOURCE ]] || die "smtp-source not found (package postfix)"

TMP=$(mktemp -d /var/tmp/mc-memory-bench.XXXXXX)
SILO_PID="" SAMPLER_PID=""
cleanup() {
  [[ -z $SAMPLER_PID ]] || stop_sampler
  [[ -z $SILO_PID ]] || stop_pid "$SILO_PID" 10
  remove_workdir
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl genpkey -algorithm ed25519 -out "$TMP/dkim.key" 2>/dev/null
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
PORT=24525

# One measurement: prints "peakRssMiB seconds accepted signed".
measure() { # dll
  local dll=$1 spool=$TMP/spool.$RANDOM log=$TMP/silo.log bytes started ended accepted signed
  rm -rf "$spool"
  setsid dotnet "$dll" --Spool:Path="$spool" --Spool:MinFreeBytes=16777216 \
    --Smtp:Listen=127.0.0.1:$PORT --Http:Listen=127.0.0.1:$((PORT + 1)) --Cluster:SiloPort=$((PORT + 2)) \
    --Smtp:MaxConnectionsPerClient="$SESSIONS" --Smtp:Limits:MaxMessageSize=$(((SIZE_MIB + 1) * 1048576)) \
    --Delivery:Enabled=false --Dns:Nameservers:0=127.0.0.1:9 \
    --Dkim:Keys:0:Domain=client.test --Dkim:Keys:0:Selector=s1 --Dkim:Keys:0:KeyFile="$TMP/dkim.key" --Dkim:Keys:0:Algorithm=ed25519-sha256 \
    >"$log" 2>&1 &
  SILO_PID=$!
  wait_for_silo "$SILO_PID" "$log" port_open $PORT
  start_sampler silo "$SILO_PID" "$TMP/peak"
  bytes=$((SIZE_MIB * 1048576))
  started=$(date +%s.%N)
  # One message per session, all at once; smtp-source's From: header is the sender, so each is signed.
  timeout "$LOAD_TIMEOUT" "$SMTP_SOURCE" -s "$SESSIONS" -m "$SESSIONS" -l "$bytes" -f sender@client.test -t rcpt@dest.test -c 127.0.0.1:$PORT \
    >"$TMP/load.log" 2>&1 || die "smtp-source failed: $(tail -n 3 "$TMP/load.log")"
  ended=$(date +%s.%N)
  stop_sampler
  curl -s "http://127.0.0.1:$((PORT + 1))/metrics" >"$TMP/metrics"
  accepted=$(awk '$1 == "mailcluster_ingress_messages_total" {print $2}' "$TMP/metrics")
  signed=$(awk '$1 == "mailcluster_ingress_dkim_messages_total{outcome=\"signed\"}" {print $2}' "$TMP/metrics")
  stop_pid "$SILO_PID" 10
  SILO_PID=""
  rm -rf "$spool"
  read -r rss _ <"$TMP/peak"
  echo "$((rss / 1024)) $(echo "$ended - $started" | bc -l | xargs printf '%.1f') ${accepted:-0} ${signed:-0}"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "memory bench: $SESSIONS parallel sessions x one ${SIZE_MIB} MiB message, DKIM-signed (Ed25519), acceptance only; $RUNS run(s)"
printf '%-9s %4s %14s %9s %9s %7s\n' server run peak_rss_mib seconds accepted signed
: >"$TMP/silo.rss"
: >"$TMP/baseline.rss"
for ((run = 1; run <= RUNS; run++)); do
  for server in silo baseline; do
    [[ $server == silo ]] && dll=$SILO_DLL || dll=$BASELINE_DLL
    [[ -n $dll ]] || continue
    read -r rss seconds accepted signed < <(measure "$dll")
    printf '%-9s %4d %14d %9s %9s %7s\n' "$server" "$run" "$rss" "$seconds" "$accepted" "$signed"
    [[ $accepted -eq $SESSIONS ]] || die "$server accepted $accepted of $SESSIONS"
    echo "$rss" >>"$TMP/$server.rss"
  done
done
silo=$(median <"$TMP/silo.rss")
echo "silo median peak RSS: ${silo} MiB (ceiling ${CEILING_MIB} MiB)"
if [[ -n $BASELINE_DLL ]]; then
  baseline=$(median <"$TMP/baseline.rss")
  echo "baseline median peak RSS: ${baseline} MiB; silo/baseline $(echo "$silo / $baseline" | bc -l | xargs printf '%.2f')"
fi
awk -v s="$silo" -v c="$CEILING_MIB" 'BEGIN {exit !(s <= c)}' || die "median peak RSS ${silo} MiB is above the ceiling of ${CEILING_MIB} MiB"
