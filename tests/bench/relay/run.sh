#!/usr/bin/env bash
# tests/bench/relay/run.sh - end-to-end relay benchmark: MailCluster silo vs.
# Postfix, side by side: SMTP in, spool, SMTP out to four receiving domains.
#
# What is measured (per message size and run)
#   Load: 4 smtp-source processes in parallel, one per test domain d1..d4.test,
#   each with --sessions (5) sessions sending N/4 messages over reused
#   connections (smtp-source -d) to user@dN.test from sender@bench.test, all to
#   the server under test on 127.0.0.1. Receiving MX hosts: 4 Postfix
#   smtp-sink processes (accept everything with 250, discard, PIPELINING
#   announced), on 127.0.20.1..4, one shared port.
#   accepted/s   N / (start of load -> last smtp-source exit)
#   delivered/s  N / (start of load -> all N delivered and queue empty),
#                polled every 50 ms: silo = N "Delivered" lines in its
#                delivery log and no row in $SPOOL/spool.db messages; Postfix =
#                N "status=sent" lines in its maillog and queue-count 0
#   p50/p99      time in queue of the N delivered messages (nearest rank):
#                silo = queue_seconds of Delivered lines (end of DATA ->
#                delivery attempt); Postfix = delay= of status=sent lines
#                (logged with ms resolution, delay_logging_resolution_limit=3;
#                NB Postfix counts from MAIL FROM, so it includes the SMTP
#                transaction and any in_flow_delay pause - slightly to its
#                disadvantage, negligible for 1 KiB on loopback)
#   memory       peak while the run lasts (load + delivery), sampled every
#                0.2 s: VmRSS of the silo process; sum of VmRSS and of PSS
#                (does not double-count shared pages) over the Postfix master
#                and all its children (smtpd, cleanup, qmgr, smtp, ...).
#                Sinks and dnsmasq are shared fixtures and not counted.
#   conns        SMTP sessions the sinks counted during the timed part
#                (smtp-sink -c "sess="): shows how well connections are
#                reused (ideal: about N / 100).
#   cpu ms/msg   silo only: user+system CPU of the silo process from the
#                start of the load to the last delivery, per message; less
#                disturbed by other load on a noisy machine than wall time.
#   baseline     with --baseline-dll, another build of the silo (e.g. the
#                commit before a change, from a git worktree) runs in the
#                same invocation, interleaved: run i of the silo, of the
#                baseline, then of Postfix; the report adds its rows and the
#                ratios silo/baseline.
#                With --azure-storage the baseline is this same build in
#                Cluster:Mode=AzureStorage (membership and site grains' state
#                in Azure Tables on a local Azurite, a fresh ServiceId per
#                run) against the silo's default Single mode: the ratio
#                silo/baseline is then Single/AzureStorage.
#   grain calls  silo kinds: site-grain exchanges during the timed part
#                (mailcluster_site_exchanges_total from /metrics, before the
#                load and after the last delivery) per delivered message.
#
# Why the comparison is fair
#   Same load generator, same sinks, same machine, runs interleaved (silo run
#   i, then Postfix run i) so drift on this shared machine hits both. Both
#   persist before "250" (Postfix default durability: cleanup fsyncs the queue
#   file; the silo commits its SQLite spool) and both delete after delivery.
#   Spool and Postfix queue live in the same work dir (same file system;
#   /var/tmp by default, a warning is printed on tmpfs). Delivery shaping is
#   matched: at most --concurrency (10) connections per destination for both
#   (silo Shaping:Default:MaxConnections, Postfix
#   default_destination_concurrency_limit, whose stock value is 20) and at
#   most 100 messages per connection (silo default; Postfix
#   smtp_connection_reuse_count_limit=100, stock is unlimited). Postfix gets
#   no DNS (smtp_dns_support_level=disabled, transport_maps texthash: routes
#   dN.test to smtp:[127.0.20.N]:PORT); the silo resolves MX + A through a
#   local dnsmasq (--local-ttl=300, so it can cache) - a small handicap for
#   the silo. Everything else is stock: Postfix keeps in_flow_delay=1s,
#   connection caching on demand, initial_destination_concurrency=5; the silo
#   runs its defaults except PollInterval=100ms. Each silo run is a fresh
#   process with a fresh spool; the one Postfix instance has an empty queue
#   before each run. --warmup messages (delivered and waited for, not timed)
#   precede every timed run (JIT, process pre-forking, DNS cache).
#   The default warm-up is long because the .NET runtime keeps recompiling hot
#   methods (tier 1, with profile data) for tens of thousands of messages: at
#   50 KiB, a 10,000-message timed part held 2.1 s of the silo's JIT time
#   after 200 warm-up messages and 0.6 s after 5,000. A server runs for
#   months, so the steady state is what is measured; the JIT time left in
#   the timed part is printed (dotnet_jit_compilation_time_seconds_total).
#
# Correctness checks (per run; "FAIL(...)" in the table otherwise)
#   every smtp-source exits 0 (no -A: any non-2xx reply is an error); the
#   delivery finished within --deliver-timeout; exactly N deliveries with N
#   distinct queue IDs were logged and nothing else (silo: no Deferred,
#   Bounced, Expired... lines; Postfix: no status= other than sent); the sinks
#   together counted exactly N messages (smtp-sink -c counters).
#
# Usage
#   sudo tests/bench/relay/run.sh [options]
#     --sizes "1 50"        message body sizes in KiB (smtp-source -l)
#     --runs R              runs per size (3)
#     --count N             messages per timed run, all sizes (default: 8000
#                           for 1 KiB, 2000 for 50 KiB; 100000/KiB in
#                           [400, 8000] in general)
#     --sessions S          smtp-source sessions per domain (5; 4 domains)
#     --baseline-dll PATH   a second silo build to compare (see baseline)
#     --baseline-opt ARG    a silo argument for the baseline only (repeatable);
#                           without --baseline-dll the baseline is this build,
#                           so one build runs with two settings side by side
#     --baseline-label L    the baseline's name in the report ("baseline")
#     --show-metric PREFIX  after each silo and baseline run, log the lines of
#                           its /metrics starting with PREFIX (repeatable)
#     --ceiling             after each run index, smtp-source straight into
#                           the sinks (the same load, no server between): the
#                           tools' own ceiling, and each server's share of it
#     --azure-storage       compare Single with AzureStorage mode (Azurite
#                           3.37.0 from npm, installed into ~/.cache when
#                           missing); not with --baseline-dll
#     --warmup W            untimed messages before each timed run (5000)
#     --concurrency C       connections per destination, both servers (10)
#     --postfix-opt K=V     extra main.cf setting (repeatable), e.g.
#                           in_flow_delay=0
#     --silo-opt ARG        extra silo argument (repeatable), e.g.
#                           --silo-opt --Delivery:ReadyWindow=500
#     --load-timeout SEC    bound for each smtp-source (300)
#     --deliver-timeout SEC bound for delivery of a run (300); a run also
#                           gives up after --stall-timeout SEC (30) without
#                           a new delivery
#     --workdir DIR         parent of the temp dir (/var/tmp)
#     --quick               smoke test: 1 run, 1 KiB, N=2000 (options after
#                           it still apply)
#   KEEP_TMP=1 keeps the temp dir (logs, maillog, delivery logs).
#
# Needs root (private Postfix instance via tests/infra/postfix-instance.sh,
# smtp-sink -u nobody), postfix (smtp-source, smtp-sink in /usr/sbin),
# dnsmasq-base, Debian's /usr/bin/python3, a Release build of the silo. Only
# loopback addresses are used; free ports are found by binding. Everything
# started is stopped and the temp dir removed on exit, including Ctrl-C.
set -euo pipefail
# shellcheck source=../lib/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/processes.sh"
# shellcheck source=../lib/azurite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/azurite.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../../.." && pwd -P)
PFX_INSTANCE=$REPO/tests/infra/postfix-instance.sh
HELPER=$SCRIPT_DIR/relaybench.py
PY=/usr/bin/python3
SILO_DLL=src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll
BASELINE_DLL=""
AZURE_STORAGE=0
CEILING=0
BASELINE_LABEL=baseline
DNSMASQ=/usr/sbin/dnsmasq
export PATH=$PATH:/usr/sbin:/sbin

SIZES="1 50"
RUNS=3
COUNT=""
SESSIONS=5
WARMUP=5000
CONCURRENCY=10
POSTFIX_OPTS=()
SILO_OPTS=()
BASELINE_OPTS=()
SHOW_METRICS=()
LOAD_TIMEOUT=300
DELIVER_TIMEOUT=300
STALL_TIMEOUT=30
WORKDIR_PARENT=/var/tmp
SAMPLE_INTERVAL=0.2 # read by lib/processes.sh
export SAMPLE_INTERVAL
DOMAINS=4
MSGS_PER_CONN=100

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
usage() { sed -n '/^# Usage/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
need_arg() { [[ $# -ge 2 ]] || die "$1 needs an argument"; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) need_arg "$@"; SIZES=$2; shift 2 ;;
    --runs) need_arg "$@"; RUNS=$2; shift 2 ;;
    --count) need_arg "$@"; COUNT=$2; shift 2 ;;
    --sessions) need_arg "$@"; SESSIONS=$2; shift 2 ;;
    --baseline-dll) need_arg "$@"; BASELINE_DLL=$2; shift 2 ;;
    --ceiling) CEILING=1; shift ;;
    --azure-storage) AZURE_STORAGE=1; shift ;;
    --warmup) need_arg "$@"; WARMUP=$2; shift 2 ;;
    --concurrency) need_arg "$@"; CONCURRENCY=$2; shift 2 ;;
    --postfix-opt) need_arg "$@"; POSTFIX_OPTS+=("$2"); shift 2 ;;
    --silo-opt) need_arg "$@"; SILO_OPTS+=("$2"); shift 2 ;;
    --baseline-opt) need_arg "$@"; BASELINE_OPTS+=("$2"); shift 2 ;;
    --baseline-label) need_arg "$@"; BASELINE_LABEL=$2; shift 2 ;;
    --show-metric) need_arg "$@"; SHOW_METRICS+=("$2"); shift 2 ;;
    --load-timeout) need_arg "$@"; LOAD_TIMEOUT=$2; shift 2 ;;
    --deliver-timeout) need_arg "$@"; DELIVER_TIMEOUT=$2; shift 2 ;;
    --stall-timeout) need_arg "$@"; STALL_TIMEOUT=$2; shift 2 ;;
    --workdir) need_arg "$@"; WORKDIR_PARENT=$2; shift 2 ;;
    --quick) RUNS=1; SIZES=1; COUNT=2000; shift ;;
    -h|--help) usage ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

for v in RUNS SESSIONS WARMUP CONCURRENCY LOAD_TIMEOUT DELIVER_TIMEOUT STALL_TIMEOUT; do
  is_uint "${!v}" || die "$v must be a non-negative integer"
done
[[ -z $COUNT ]] || { is_uint "$COUNT" && [[ $COUNT -ge $DOMAINS ]]; } \
  || die "--count must be an integer >= $DOMAINS"
for s in $SIZES; do
  if ! is_uint "$s" || [[ $s -eq 0 ]]; then die "bad size: $s"; fi
done
[[ -n ${SIZES// /} ]] || die "no --sizes"
[[ $RUNS -ge 1 && $RUNS -le 20 && $SESSIONS -ge 1 && $CONCURRENCY -ge 1 ]] \
  || die "bad --runs/--sessions/--concurrency"
[[ $LOAD_TIMEOUT -ge 1 && $DELIVER_TIMEOUT -ge 1 && $STALL_TIMEOUT -ge 1 ]] \
  || die "timeouts must be >= 1 s"
[[ $(id -u) -eq 0 ]] || die "must run as root (private postfix instance)"
for t in smtp-source smtp-sink; do
  command -v "$t" >/dev/null || die "$t not found (package postfix)"
done
[[ -x $DNSMASQ ]] || die "$DNSMASQ not found (package dnsmasq-base)"
[[ -x $PY ]] || die "$PY not found (package python3)"
[[ -x $PFX_INSTANCE ]] || die "missing $PFX_INSTANCE"
[[ -r $HELPER ]] || die "missing $HELPER"
command -v dotnet >/dev/null || die "dotnet not found"
cd "$REPO"
[[ -f $SILO_DLL ]] || die "silo not built: $SILO_DLL missing (dotnet build -c Release)"
[[ ${#BASELINE_OPTS[@]} -eq 0 || -n $BASELINE_DLL ]] || BASELINE_DLL=$SILO_DLL
[[ -z $BASELINE_DLL || -f $BASELINE_DLL ]] || die "baseline not built: $BASELINE_DLL missing"
if [[ $AZURE_STORAGE -eq 1 ]]; then
  [[ -z $BASELINE_DLL ]] || die "--azure-storage compares this build's two modes; drop --baseline-dll"
  command -v curl >/dev/null || die "curl not found"
  install_azurite || die "could not install Azurite from npm"
  BASELINE_DLL=$SILO_DLL
  BASELINE_LABEL=AzureStorage
fi

mkdir -p "$WORKDIR_PARENT"
TMP=$(mktemp -d "$WORKDIR_PARENT/mc-relay-bench.XXXXXX")
chmod 755 "$TMP"   # postfix daemons (uid postfix) must traverse it
FSTYPE=$(stat -f -c %T "$TMP")
PFX_DIR=$TMP/postfix
SILO_PID=""
AZURITE_PID=""
SAMPLER_PID=""
WAIT_PID=""
DNS_PID=""
LOAD_PIDS=()
SINK_PIDS=()

# --- cleanup ---------------------------------------------------------------
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${LOAD_PIDS[@]}"; do stop_pid "$p" 2; done
  [[ -z $WAIT_PID ]] || stop_pid "$WAIT_PID" 2
  [[ -z $SAMPLER_PID ]] || stop_pid "$SAMPLER_PID" 2
  [[ -z $SILO_PID ]] || stop_pid "$SILO_PID" 10
  "$PFX_INSTANCE" stop "$PFX_DIR" 2>/dev/null || true
  [[ -z $DNS_PID ]] || stop_pid "$DNS_PID" 2
  [[ -z $AZURITE_PID ]] || stop_pid "$AZURITE_PID" 2
  for p in "${SINK_PIDS[@]}"; do stop_pid "$p" 2; done
  remove_workdir
  exit "$rc"
}
install_traps cleanup

# --- helpers ---------------------------------------------------------------
helper() { "$PY" "$HELPER" "$@"; }

default_count() { # size_kib -> message count
  local n=$((100000 / $1))
  ((n > 8000)) && n=8000
  ((n < 400)) && n=400
  echo "$n"
}

# Messages for domain $2 (1-based) when $1 are spread over $DOMAINS domains.
share() { echo $(($1 / DOMAINS + ($2 <= $1 % DOMAINS ? 1 : 0))); }

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# True when an SMTP server on 127.0.0.1:$1 sends a 220 greeting.
smtp_greets() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 2 line <&3 || exit 1
    printf "QUIT\r\n" >&3
    [[ $line == 220* ]]' _ "$1" 2>/dev/null
}

file_size() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi; }

# Upper bound for the shared fixtures (sinks, dnsmasq) in case this script
# is killed with SIGKILL and cannot clean up: every step's bound, summed.
n_sizes=$(wc -w <<<"$SIZES")
LIFETIME=$((n_sizes * RUNS * (${BASELINE_DLL:+1} + 2) * (LOAD_TIMEOUT + DELIVER_TIMEOUT + 2 * 120 + 90) + 600))


# Starts the load in the background: one smtp-source per domain.
# $1 port, $2 body bytes, $3 total count, $4 output prefix, $5 "direct" to
# send each domain's share straight to its sink. Sets LOAD_PIDS.
# timeout(1) puts each smtp-source in its own process group (cleanup kills it).
start_load() {
  local port=$1 bytes=$2 n=$3 out=$4 direct=${5:-} i target
  LOAD_PIDS=()
  for ((i = 1; i <= DOMAINS; i++)); do
    target=127.0.0.1:$port
    [[ -z $direct ]] || target=127.0.20.$i:$SINK_PORT
    timeout -k 5 "$LOAD_TIMEOUT" smtp-source -d -s "$SESSIONS" -l "$bytes" \
      -m "$(share "$n" "$i")" -M bench.test -f sender@bench.test \
      -t "user@d$i.test" "$target" >"$out.$i.out" 2>"$out.$i.err" &
    LOAD_PIDS+=("$!")
  done
}
# Waits for LOAD_PIDS; returns the first non-zero exit status (0 if none).
wait_load() {
  local p rc=0 r
  for p in "${LOAD_PIDS[@]}"; do
    r=0; wait "$p" || r=$?
    [[ $rc -ne 0 ]] || rc=$r
  done
  LOAD_PIDS=()
  return "$rc"
}

# Starts the delivery waiter (relaybench.py wait) in the background, output
# to $7. $1 kind, $2 log, $3 offset, $4 count, $5 timeout, $6 target.
start_waiter() {
  helper wait "$1" "$2" "$3" "$4" "$5" "$STALL_TIMEOUT" "$6" >"$7" &
  WAIT_PID=$!
}
wait_waiter() { local rc=0; wait "$WAIT_PID" || rc=$?; WAIT_PID=""; return "$rc"; }

start_silo() { # run dir, silo dll, extra silo arguments
  local d=$1 dll=$2
  shift 2
  read -r SILO_PORT HTTP_PORT ORLEANS_PORT <<<"$(helper ports 127.0.0.1 127.0.0.1 127.0.0.1)"
  mkdir -p "$d/spool"
  setsid dotnet "$dll" \
    --Spool:Path="$d/spool" \
    --Smtp:Listen="127.0.0.1:$SILO_PORT" \
    --Http:Listen="127.0.0.1:$HTTP_PORT" \
    --Cluster:SiloPort="$ORLEANS_PORT" \
    --Dns:Nameservers:0="127.0.0.1:$DNS_PORT" \
    --Delivery:SmtpPort="$SINK_PORT" \
    --Delivery:AllowedMxNetworks=127.0.0.0/8 \
    --Delivery:HeloName=silo.bench \
    --Delivery:LogPath="$d/delivery.log" \
    --Delivery:PollInterval=00:00:00.100 \
    --Shaping:Default:MaxConnections="$CONCURRENCY" \
    --Shaping:Default:MaxMessagesPerConnection="$MSGS_PER_CONN" \
    "${SILO_OPTS[@]}" "$@" </dev/null >"$d/silo.log" 2>&1 &
  SILO_PID=$!
  wait_for_silo "$SILO_PID" "$d/silo.log" smtp_greets "$SILO_PORT"
}
stop_silo() { stop_pid "$SILO_PID" 10; SILO_PID=""; }


sink_total() { # "sessions messages" summed over the sinks
  local i s m ts=0 tm=0
  for ((i = 1; i <= DOMAINS; i++)); do
    read -r s m <<<"$(helper sink-count "$TMP/sink$i.count")"
    ts=$((ts + s)); tm=$((tm + m))
  done
  echo "$ts $tm"
}

start_fixtures() {
  local i
  read -r SINK_PORT DNS_PORT POSTFIX_PORT <<<"$(helper ports \
    127.0.20.1,127.0.20.2,127.0.20.3,127.0.20.4 udp:127.0.0.1 127.0.0.1)"
  : >"$TMP/transport"
  : >"$TMP/dnsmasq.conf"
  for ((i = 1; i <= DOMAINS; i++)); do
    # -4 IPv4 only, -c running counters (mesg=N) as delivery cross-check;
    # PIPELINING, 8BITMIME etc. are announced by default. Backlog 1000.
    setsid timeout -k 5 "$LIFETIME" smtp-sink -4 -u nobody -c \
      "127.0.20.$i:$SINK_PORT" 1000 >"$TMP/sink$i.count" 2>"$TMP/sink$i.err" &
    SINK_PIDS+=("$!")
    echo "d$i.test smtp:[127.0.20.$i]:$SINK_PORT" >>"$TMP/transport"
    printf 'mx-host=d%s.test,mx.d%s.test,10\nhost-record=mx.d%s.test,127.0.20.%s\n' \
      "$i" "$i" "$i" "$i" >>"$TMP/dnsmasq.conf"
  done
  setsid timeout -k 5 "$LIFETIME" "$DNSMASQ" --no-daemon --no-resolv --no-hosts \
    --listen-address=127.0.0.1 --bind-interfaces --port="$DNS_PORT" --pid-file= \
    --local-ttl=300 --log-facility=- --conf-file="$TMP/dnsmasq.conf" \
    </dev/null >"$TMP/dnsmasq.log" 2>&1 &
  DNS_PID=$!
  for ((i = 1; i <= DOMAINS; i++)); do
    local j
    for ((j = 0; j < 100; j++)); do
      port_open "127.0.20.$i" "$SINK_PORT" && break
      sleep 0.1
    done
    ((j < 100)) || { cat "$TMP/sink$i.err" >&2; die "smtp-sink $i did not start"; }
  done
  for ((i = 0; i < 100; i++)); do
    helper dns-check "$DNS_PORT" d1.test >/dev/null 2>&1 && break
    kill -0 "$DNS_PID" 2>/dev/null || { cat "$TMP/dnsmasq.log" >&2; die "dnsmasq exited"; }
    sleep 0.1
  done
  local domains=()
  for ((i = 1; i <= DOMAINS; i++)); do domains+=("d$i.test"); done
  helper dns-check "$DNS_PORT" "${domains[@]}" >"$TMP/dns-check.txt" \
    || { cat "$TMP/dns-check.txt" "$TMP/dnsmasq.log" >&2; die "dnsmasq does not answer"; }
  log "sinks on 127.0.20.1-$DOMAINS:$SINK_PORT, dnsmasq on 127.0.0.1:$DNS_PORT" \
    "($(tr '\n' ';' <"$TMP/dns-check.txt"))"

  log "starting private postfix on 127.0.0.1:$POSTFIX_PORT"
  if [[ $AZURE_STORAGE -eq 1 ]]; then
    local blob queue table
    read -r blob queue table <<<"$(helper ports 127.0.0.1 127.0.0.1 127.0.0.1)"
    start_azurite "$TMP/azurite" "$LIFETIME" "$blob" "$queue" "$table" || die "Azurite did not start"
    log "Azurite on 127.0.0.1:$blob-$table"
  fi

  "$PFX_INSTANCE" start "$PFX_DIR" "$POSTFIX_PORT" --deliver \
    "transport_maps=texthash:$TMP/transport" \
    "default_destination_concurrency_limit=$CONCURRENCY" \
    "smtp_connection_reuse_count_limit=$MSGS_PER_CONN" \
    "delay_logging_resolution_limit=3" \
    "${POSTFIX_OPTS[@]}"
}

median() { # printf format; values on stdin
  tr ' ' '\n' | awk NF | sort -g | awk -v f="$1" '{v[NR] = $1}
  END {if (NR == 0) print "n/a"; else if (NR % 2) printf f, v[(NR + 1) / 2];
       else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
maxof() { tr ' ' '\n' | awk NF | sort -g | tail -n 1; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", (t > 0) ? n / t : 0}'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# Site-grain exchanges the running silo has made so far.
grain_calls() {
  curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^mailcluster_site_exchanges_total/ {s += $2} END {printf "%d", s}'
}

# One measured run. $1 silo|baseline|postfix, $2 size KiB, $3 count, $4 run index.
# Sets R_ACC R_DLV R_P50 R_P99 R_RSS R_PSS R_CONNS R_CPU R_CALLS R_CHECK.
measure() {
  local kind=$1 kib=$2 n=$3 idx=$4 bytes=$(($2 * 1024))
  local d=$TMP/$kind-$kib-$idx port pid dlog target offset sess0 msgs0 sess msgs
  local t0 t_acc w_status w_epoch w_count w_left rc=0 wrc=0 fails=()
  local got uniq p50 p99 problems cpu0="" jit0="" calls0="" dll=$SILO_DLL logs=$kind extra=()
  mkdir -p "$d"
  # A baseline is a silo: the same delivery log and spool are read.
  [[ $kind != baseline ]] || { dll=$BASELINE_DLL; logs=silo; extra=("${BASELINE_OPTS[@]}"); }
  [[ $kind != baseline || $AZURE_STORAGE -eq 0 ]] || extra+=(--Cluster:Mode=AzureStorage
    "--Cluster:ConnectionString=$STORAGE" "--Cluster:ServiceId=bench$kib$idx$RANDOM" --Cluster:AdvertisedAddress=127.0.0.1)
  if [[ $kind != postfix ]]; then
    start_silo "$d" "$dll" "${extra[@]}"
    port=$SILO_PORT; pid=$SILO_PID
    dlog=$d/delivery.log; target=$d/spool/spool.db
  else
    "$PFX_INSTANCE" flush-queue "$PFX_DIR"
    port=$POSTFIX_PORT
    pid=$("$PFX_INSTANCE" master-pid "$PFX_DIR") || die "postfix not running"
    dlog=$PFX_DIR/maillog
    target="$(printf '%q queue-count %q' "$PFX_INSTANCE" "$PFX_DIR")"
  fi

  if [[ $WARMUP -gt 0 ]]; then
    offset=$(file_size "$dlog")
    start_waiter "$logs" "$dlog" "$offset" "$WARMUP" 120 "$target" "$d/warmup.wait"
    start_load "$port" "$bytes" "$WARMUP" "$d/warmup"
    wait_load || { cat "$d"/warmup.*.err >&2; die "$kind: warm-up load failed"; }
    wait_waiter || { cat "$d/warmup.wait" >&2; die "$kind: warm-up not delivered"; }
  fi

  offset=$(file_size "$dlog")
  read -r sess0 msgs0 <<<"$(sink_total)"
  SAMPLER_SECONDS=$((LOAD_TIMEOUT + DELIVER_TIMEOUT + 60)) start_sampler "$logs" "$pid" "$d/mem"
  start_waiter "$logs" "$dlog" "$offset" "$n" "$DELIVER_TIMEOUT" "$target" "$d/wait"
  sleep 0.2 # let the waiter's python start up outside the timed part
  [[ $kind == postfix ]] || { cpu0=$(cpu_seconds "$pid"); jit0=$(jit_seconds "$HTTP_PORT"); calls0=$(grain_calls); }
  t0=$(date +%s.%N)
  start_load "$port" "$bytes" "$n" "$d/load"
  wait_load || rc=$?
  t_acc=$(date +%s.%N)
  wait_waiter || wrc=$?
  R_CPU=n/a
  [[ -z $cpu0 ]] || R_CPU=$(cpu_ms_per_message "$cpu0" "$(cpu_seconds "$pid")" "$n")
  R_JIT=n/a
  [[ -z $jit0 ]] || R_JIT=$(cpu_ms_per_message "$jit0" "$(jit_seconds "$HTTP_PORT")" 1)
  R_CALLS=n/a
  [[ -z $calls0 ]] || R_CALLS=$(awk -v a="$calls0" -v b="$(grain_calls)" -v n="$n" 'BEGIN {printf "%.4f", (b - a) / n}')
  stop_sampler
  read -r R_RSS R_PSS <"$d/mem"
  read -r w_status w_epoch w_count w_left <"$d/wait" || true

  read -r got uniq p50 p99 problems <<<"$(helper stats "$logs" "$dlog" "$offset")"
  read -r sess msgs <<<"$(sink_total)"
  R_CONNS=$((sess - sess0)); msgs=$((msgs - msgs0))
  R_P50=$p50; R_P99=$p99
  if [[ $rc -ne 0 ]]; then
    R_ACC=0; fails+=("load_rc=$rc")
    log "$kind: smtp-source failed: $(cat "$d"/load.*.err | head -c 300)"
  else
    R_ACC=$(rate "$n" "$(secs "$t0" "$t_acc")")
  fi
  if [[ $wrc -eq 0 && $w_status == "done" ]]; then
    R_DLV=$(rate "$n" "$(secs "$t0" "$w_epoch")")
  else
    R_DLV=0; fails+=("${w_status:-wait}:${w_count:-?}/$n,q=${w_left:-?}")
  fi
  [[ $got == "$n" && $uniq == "$n" ]] || fails+=("dlv=$got/$n,ids=$uniq")
  [[ $problems == - ]] || fails+=("$problems")
  [[ $msgs == "$n" ]] || fails+=("sinks=$msgs/$n")
  if [[ ${#fails[@]} -eq 0 ]]; then
    R_CHECK=ok
  else
    R_CHECK="FAIL($(IFS=';'; echo "${fails[*]}"))"
  fi
  if [[ $kind != postfix && ${#SHOW_METRICS[@]} -gt 0 ]]; then
    local prefix
    for prefix in "${SHOW_METRICS[@]}"; do
      curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" | grep "^$prefix" | sed "s/^/  $kind /" | tee -a "$TMP/metrics.txt" || true
    done
  fi
  [[ $kind == postfix ]] || { stop_silo; rm -rf -- "$d/spool"; }
  log "$kind ${kib}KiB run $idx: $n msgs, accepted $R_ACC/s" \
    "($(secs "$t0" "$t_acc")s), delivered $R_DLV/s" \
    "(${w_epoch:+$(secs "$t0" "$w_epoch")}s), queue p50 ${p50}s p99 ${p99}s," \
    "peak RSS $(mib "$R_RSS") MiB (PSS $(mib "$R_PSS")), CPU $R_CPU ms/msg (JIT $R_JIT ms in all), $R_CALLS grain calls/msg, $R_CONNS connections" \
    "to the sinks, check $R_CHECK"
}

# The tools' ceiling: the same load straight into the sinks. $1 size KiB, $2
# count, $3 run index. Sets R_DLV (0 when the sinks did not count N) and R_CHECK.
measure_ceiling() {
  local bytes=$(($1 * 1024)) n=$2 d=$TMP/tools-$1-$3 t0 rc=0 sess0 msgs0 sess msgs
  mkdir -p "$d"
  read -r sess0 msgs0 <<<"$(sink_total)"
  t0=$(date +%s.%N)
  start_load 0 "$bytes" "$n" "$d/load" direct
  wait_load || rc=$?
  R_DLV=$(rate "$n" "$(secs "$t0" "$(date +%s.%N)")")
  read -r sess msgs <<<"$(sink_total)"
  R_CHECK=ok
  [[ $rc -eq 0 && $((msgs - msgs0)) -eq $n ]] || { R_DLV=0; R_CHECK="FAIL(rc=$rc,sinks=$((msgs - msgs0))/$n)"; }
  log "tools ${1}KiB run $3: $n msgs straight into the sinks, $R_DLV/s, check $R_CHECK"
}

# --- main ------------------------------------------------------------------
log "work dir $TMP ($FSTYPE)"
[[ $FSTYPE != tmpfs && $FSTYPE != ramfs ]] \
  || log "WARNING: $TMP is on $FSTYPE - fsync is free there, numbers are meaningless"
start_fixtures

REPORT=$TMP/report.txt
{
  echo "MailCluster relay benchmark  $(date -u +%FT%TZ)  host $(hostname)," \
    "$(nproc) cores, work dir fs $FSTYPE, postfix $(postconf -h -d mail_version 2>/dev/null)," \
    "dotnet $(dotnet --version 2>/dev/null || echo '?')"
  echo "load: $DOMAINS x smtp-source -d -s $SESSIONS (one per domain d1..d$DOMAINS.test," \
    "$((DOMAINS * SESSIONS)) sessions), warm-up $WARMUP msgs, $RUNS runs per size"
  echo "sinks: $DOMAINS x smtp-sink on 127.0.20.1-$DOMAINS:$SINK_PORT;" \
    "shaping: $CONCURRENCY conns/destination, $MSGS_PER_CONN msgs/conn for both"
  echo "silo: $SILO_DLL, DNS via dnsmasq, PollInterval 100ms${SILO_OPTS[*]:+, }${SILO_OPTS[*]:-}"
  if [[ $AZURE_STORAGE -eq 1 ]]; then
    echo "baseline: the same build in Cluster:Mode=AzureStorage (Azurite 3.37.0 on loopback), otherwise the same settings"
  elif [[ -n $BASELINE_DLL ]]; then
    echo "$BASELINE_LABEL: $BASELINE_DLL, the same settings${BASELINE_OPTS[*]:+ and ${BASELINE_OPTS[*]}}"
  fi
  echo "postfix: private instance (tests/infra/postfix-instance.sh --deliver), transport_maps" \
    "-> sinks, no DNS, default_destination_concurrency_limit=$CONCURRENCY," \
    "smtp_connection_reuse_count_limit=$MSGS_PER_CONN${POSTFIX_OPTS[*]:+, ${POSTFIX_OPTS[*]}}"
  echo "acc/s = N / load time; dlv/s = N / (load start -> all delivered);" \
    "p50/p99 = time in queue (s)"
  echo "RSS/PSS = peak MiB (silo process; postfix master+children);" \
    "conns = SMTP sessions the sinks counted in the timed part"
} >"$REPORT"

FAILED=0
for kib in $SIZES; do
  n=${COUNT:-$(default_count "$kib")}
  sa=() sd=() s5=() s9=() sr=() sc=() su=() pa=() pd=() p5=() p9=() pr=() pp=() pc=() rows=()
  ba=() bd=() b5=() b9=() br=() bu=() brows=() sg=() bg=() td=() sj=() bj=()
  for ((r = 1; r <= RUNS; r++)); do
    measure silo "$kib" "$n" "$r"
    sa+=("$R_ACC"); sd+=("$R_DLV"); s5+=("$R_P50"); s9+=("$R_P99"); sr+=("$R_RSS")
    sc+=("$R_CONNS"); su+=("$R_CPU"); sg+=("$R_CALLS"); sj+=("$R_JIT")
    srow="$R_ACC $R_DLV $R_P50 $R_P99 $(mib "$R_RSS") $R_CONNS $R_CHECK"
    [[ $R_CHECK == ok ]] || FAILED=1
    if [[ -n $BASELINE_DLL ]]; then
      measure baseline "$kib" "$n" "$r"
      ba+=("$R_ACC"); bd+=("$R_DLV"); b5+=("$R_P50"); b9+=("$R_P99"); br+=("$R_RSS"); bu+=("$R_CPU"); bg+=("$R_CALLS"); bj+=("$R_JIT")
      brows+=("$r ${su[-1]} ${sr[-1]} $R_ACC $R_DLV $R_P50 $R_P99 $(mib "$R_RSS") $R_CPU $R_CHECK")
      [[ $R_CHECK == ok ]] || FAILED=1
    fi
    measure postfix "$kib" "$n" "$r"
    pa+=("$R_ACC"); pd+=("$R_DLV"); p5+=("$R_P50"); p9+=("$R_P99"); pr+=("$R_RSS"); pp+=("$R_PSS")
    pc+=("$R_CONNS")
    rows+=("$r $srow $R_ACC $R_DLV $R_P50 $R_P99 $(mib "$R_RSS") $(mib "$R_PSS") $R_CONNS $R_CHECK")
    [[ $R_CHECK == ok ]] || FAILED=1
    if [[ $CEILING -eq 1 ]]; then
      measure_ceiling "$kib" "$n" "$r"
      td+=("$R_DLV")
      [[ $R_CHECK == ok ]] || FAILED=1
    fi
  done
  sam=$(echo "${sa[*]}" | median %.0f); sdm=$(echo "${sd[*]}" | median %.0f)
  pam=$(echo "${pa[*]}" | median %.0f); pdm=$(echo "${pd[*]}" | median %.0f)
  fmt='%-6s | %6s %6s %6s %6s %6s %5s %-5s | %6s %6s %6s %6s %6s %6s %5s %-5s\n'
  {
    echo
    echo "== ${kib} KiB body, $n msgs/run, $((DOMAINS * SESSIONS)) sessions, $DOMAINS domains =="
    printf '%-6s | %-47s | %s\n' "" "silo" "postfix"
    # shellcheck disable=SC2059  # fmt is a constant format
    printf "$fmt" run acc/s dlv/s p50 p99 RSS conns check \
      acc/s dlv/s p50 p99 RSS PSS conns check
    for row in "${rows[@]}"; do
      # shellcheck disable=SC2086,SC2059  # row is a whitespace-separated record
      printf "$fmt" $row
    done
    # shellcheck disable=SC2059
    printf "$fmt" median "$sam" "$sdm" \
      "$(echo "${s5[*]}" | median %.3f)" "$(echo "${s9[*]}" | median %.3f)" \
      "$(mib "$(echo "${sr[*]}" | maxof)")" "$(echo "${sc[*]}" | median %.0f)" "" \
      "$pam" "$pdm" \
      "$(echo "${p5[*]}" | median %.3f)" "$(echo "${p9[*]}" | median %.3f)" \
      "$(mib "$(echo "${pr[*]}" | maxof)")" "$(mib "$(echo "${pp[*]}" | maxof)")" \
      "$(echo "${pc[*]}" | median %.0f)" ""
    echo "(median row: memory = max over runs)"
    echo "silo CPU per message (ms): $(echo "${su[*]}" | median %.3f) median of ${su[*]}"
    echo "silo site-grain calls per delivered message: $(echo "${sg[*]}" | median %.4f) median of ${sg[*]}"
    echo "silo JIT time in the timed part (ms, dotnet_jit_compilation_time_seconds_total): $(echo "${sj[*]}" | median %.0f) median of ${sj[*]}"
    echo "ratio silo/postfix (medians): accepted/s $(ratio "$sam" "$pam")," \
      "delivered/s $(ratio "$sdm" "$pdm")"
    if [[ $CEILING -eq 1 ]]; then
      tdm=$(echo "${td[*]}" | median %.0f)
      echo "tools' ceiling (smtp-source straight into the sinks): $tdm/s median of ${td[*]};" \
        "share of it delivered: silo $(ratio "$sdm" "$tdm"), postfix $(ratio "$pdm" "$tdm")"
    fi
    if [[ -n $BASELINE_DLL ]]; then
      bam=$(echo "${ba[*]}" | median %.0f); bdm=$(echo "${bd[*]}" | median %.0f)
      sum=$(echo "${su[*]}" | median %.3f); bum=$(echo "${bu[*]}" | median %.3f)
      bfmt='%-6s | %8s %8s | %6s %6s %6s %6s %6s %8s %-5s\n'
      echo "$BASELINE_LABEL, interleaved with the silo runs above (silo cpu/RSS repeated for comparison):"
      # shellcheck disable=SC2059
      printf "$bfmt" run "silo cpu" "silo RSS" acc/s dlv/s p50 p99 RSS "cpu/msg" check
      for row in "${brows[@]}"; do
        read -r bi bcpu brss brest <<<"$row"
        # shellcheck disable=SC2086,SC2059
        printf "$bfmt" "$bi" "$bcpu" "$(mib "$brss")" $brest
      done
      # shellcheck disable=SC2059
      printf "$bfmt" median "$sum" "$(mib "$(echo "${sr[*]}" | maxof)")" "$bam" "$bdm" \
        "$(echo "${b5[*]}" | median %.3f)" "$(echo "${b9[*]}" | median %.3f)" \
        "$(mib "$(echo "${br[*]}" | maxof)")" "$bum" ""
      echo "$BASELINE_LABEL site-grain calls per delivered message: $(echo "${bg[*]}" | median %.4f) median of ${bg[*]}"
      echo "$BASELINE_LABEL JIT time in the timed part (ms): $(echo "${bj[*]}" | median %.0f) median of ${bj[*]}"
      [[ $AZURE_STORAGE -eq 0 ]] || echo "ratio AzureStorage/Single (medians): accepted/s $(ratio "$bam" "$sam")," \
        "delivered/s $(ratio "$bdm" "$sdm")"
      echo "ratio silo/baseline (medians): accepted/s $(ratio "$sam" "$bam")," \
        "delivered/s $(ratio "$sdm" "$bdm"), CPU per message $(ratio "$sum" "$bum")," \
        "peak RSS $(ratio "$(echo "${sr[*]}" | maxof)" "$(echo "${br[*]}" | maxof)")"
    fi
  } >>"$REPORT"
done
[[ $FAILED -eq 0 ]] || echo "RESULT: FAIL - some runs did not deliver exactly N (see check columns)" >>"$REPORT"

echo
cat "$REPORT"
[[ $FAILED -eq 0 ]] # exit status 1 if any run failed its checks
