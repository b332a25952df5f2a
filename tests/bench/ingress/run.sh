#!/usr/bin/env bash
# tests/bench/ingress/run.sh - SMTP ingress (acceptance) throughput: MailCluster
# silo vs. Postfix, side by side, in one run.
#
# What is measured
#   Messages/s that an SMTP server *accepts* (final "250" after DATA) from
#   Postfix's load generator smtp-source, 20 parallel sessions by default,
#   each session sending many messages over one connection (smtp-source -d;
#   without -d every message costs a new TCP connection + greeting + HELO +
#   QUIT, which benchmarks connection setup rather than ingestion; use
#   --no-reuse to measure that instead). Wall time of the smtp-source process
#   (date +%s.%N) is the denominator. Peak memory is sampled every 0.2 s while
#   the load runs: VmRSS of the silo process tree, and the sum of VmRSS (and
#   of PSS, which does not double-count shared pages) over the Postfix master
#   and all its children (smtpd, cleanup, qmgr, trivial-rewrite, ...).
#
# Why the comparison is fair
#   Both servers only accept and persist. The private Postfix instance
#   (tests/infra/postfix-instance.sh) runs with defer_transports=smtp, so it
#   never attempts delivery and every accepted message stays in its queue.
#   Postfix's durability is untouched: cleanup(8) fsyncs the queue file
#   before smtpd answers 250, which is the guarantee our spool must give too.
#   Spool and Postfix queue live in the same work directory (same file
#   system; default under /var/tmp, not a tmpfs - the script warns if it is).
#   Silo and Postfix runs are interleaved within each run index, so drift on
#   this shared machine affects both. Each silo run starts a fresh process
#   with a fresh spool; the Postfix queue is flushed before each run. Before
#   the timed part, --warmup messages are sent (JIT, process pre-forking).
#   The default warm-up is long because the .NET runtime keeps recompiling hot
#   methods (tier 1, with profile data) for tens of thousands of messages: in the
#   relay bench at 50 KiB, a 10,000-message timed part held 2.1 s of the silo's JIT time
#   after 200 warm-up messages and 0.6 s after 5,000. A server runs for
#   months, so the steady state is what is measured; the JIT time left in
#   the timed part is printed (dotnet_jit_compilation_time_seconds_total).
#
# Correctness checks (cheap)
#   smtp-source is run WITHOUT -A, so it exits non-zero on the first non-2xx
#   reply: exit 0 means all messages were accepted with 2xx. For Postfix the
#   queue (maildrop/incoming/active/deferred/hold files) must then contain
#   exactly warmup+N messages. For the silo, --silo-count-cmd (run with
#   $SPOOL set) may print the number of spooled messages; it is compared too.
#
# Usage
#   sudo tests/bench/ingress/run.sh [options]
#     --silo-cmd "CMD"     command starting the server under test; run with
#                          bash -c in the repo root with $SPOOL (fresh, empty
#                          dir) and $SILO_PORT exported - single-quote it.
#                          Default: dotnet src/MailCluster.Silo/bin/Release/
#                          net10.0/MailCluster.Silo.dll --Spool:Path="$SPOOL"
#                          --Smtp:Listen=127.0.0.1:"$SILO_PORT" plus delivery off
#                          (acceptance only, like defer_transports) and a free
#                          HTTP port
#     --baseline-cmd "CMD" a second server under test (e.g. the silo of the
#                          commit before a change, built in a git worktree),
#                          started like --silo-cmd; its runs are interleaved
#                          with the silo's (silo i, baseline i, Postfix i) and
#                          the report adds the ratios silo/baseline. The
#                          silo's and the baseline's CPU per message (user +
#                          system of the server process during the timed load)
#                          are reported: less disturbed by a noisy machine.
#                          Both commands must exec the server (CPU is read
#                          from the process bash -c started).
#     --dkim ALG           also run the silo (and the baseline) signing every
#                          message with a fresh key of ALG (rsa-sha256, a
#                          2048-bit key, or ed25519-sha256) for smtp-source's
#                          From: domain; repeatable; interleaved like the rest
#     --ceiling            also run smtp-sink (accepts, discards, no fsync) as
#                          the server: the load generator's own ceiling here,
#                          and each server's share of it
#     --silo-port P        (2525)   --postfix-port P   (2526)
#     --count N            messages per timed run (default: 20000 for 1 KiB,
#                          4000 for 50 KiB, generally 200000/KiB in [1000,20000])
#     --sessions S         parallel SMTP sessions (20)
#     --sizes "1 50"       message body sizes in KiB (smtp-source -l)
#     --runs R             runs per size (3)
#     --warmup W           untimed messages before each timed run (5000)
#     --silo-count-cmd C   prints #messages in $SPOOL (default: count rows in
#                          $SPOOL/spool.db with Debian's python3 sqlite3)
#     --postfix-opt K=V    extra main.cf setting (repeatable), e.g.
#                          in_flow_delay=0, or (purer "accept only": cleanup
#                          puts mail straight into the hold queue, no
#                          qmgr/error(8) work after 250)
#                          'smtpd_end_of_data_restrictions=check_client_access static:HOLD'
#     --no-reuse           one message per connection (no smtp-source -d)
#     --load-timeout SEC   bound for each smtp-source (300)
#     --workdir DIR        parent of the temp dir (/var/tmp)
#   Example with smtp-sink as stand-in silo (accepts and discards, no fsync):
#     tests/bench/ingress/run.sh --count 2000 \
#       --silo-cmd 'exec smtp-sink -u nobody 127.0.0.1:$SILO_PORT 1000'
#
# Needs root (private Postfix instance), postfix (smtp-source in /usr/sbin).
# Only loopback addresses are used. Everything started is stopped and the
# temp dir removed on exit, including Ctrl-C.
set -euo pipefail
# shellcheck source=../lib/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/processes.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../../.." && pwd -P)
PFX_INSTANCE=$REPO/tests/infra/postfix-instance.sh
export PATH=$PATH:/usr/sbin:/sbin

# shellcheck disable=SC2016  # expanded later by bash -c, with SPOOL/SILO_PORT
SILO_CMD='exec dotnet src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll --Spool:Path="$SPOOL" --Smtp:Listen=127.0.0.1:"$SILO_PORT" --Http:Listen=127.0.0.1:$((SILO_PORT + 1000)) --Cluster:SiloPort=$((SILO_PORT + 2000)) --Delivery:Enabled=false --Dns:Nameservers:0=127.0.0.1:9'
SILO_CMD_DEFAULT=1
BASELINE_CMD=""
DKIM_ALGS=()
CEILING=0
SILO_PORT=2525
POSTFIX_PORT=2526
COUNT=""
SESSIONS=20
SIZES="1 50"
RUNS=3
WARMUP=5000
# Counts the messages in the silo's embedded spool (SQLite, readable beside the running silo in WAL mode).
SILO_COUNT_CMD='/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1] + \"/spool.db\").execute(\"select count(*) from messages\").fetchone()[0])" "$SPOOL"'
POSTFIX_OPTS=()
REUSE=1
LOAD_TIMEOUT=300
WORKDIR_PARENT=/var/tmp
SAMPLE_INTERVAL=0.2 # read by lib/processes.sh
export SAMPLE_INTERVAL

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
usage() { sed -n '/^# Usage/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
need_arg() { [[ $# -ge 2 ]] || die "$1 needs an argument"; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --silo-cmd) need_arg "$@"; SILO_CMD=$2; SILO_CMD_DEFAULT=0; shift 2 ;;
    --baseline-cmd) need_arg "$@"; BASELINE_CMD=$2; shift 2 ;;
    --dkim) need_arg "$@"; DKIM_ALGS+=("$2"); shift 2 ;;
    --ceiling) CEILING=1; shift ;;
    --silo-port) need_arg "$@"; SILO_PORT=$2; shift 2 ;;
    --postfix-port) need_arg "$@"; POSTFIX_PORT=$2; shift 2 ;;
    --count) need_arg "$@"; COUNT=$2; shift 2 ;;
    --sessions) need_arg "$@"; SESSIONS=$2; shift 2 ;;
    --sizes) need_arg "$@"; SIZES=$2; shift 2 ;;
    --runs) need_arg "$@"; RUNS=$2; shift 2 ;;
    --warmup) need_arg "$@"; WARMUP=$2; shift 2 ;;
    --silo-count-cmd) need_arg "$@"; SILO_COUNT_CMD=$2; shift 2 ;;
    --postfix-opt) need_arg "$@"; POSTFIX_OPTS+=("$2"); shift 2 ;;
    --no-reuse) REUSE=0; shift ;;
    --load-timeout) need_arg "$@"; LOAD_TIMEOUT=$2; shift 2 ;;
    --workdir) need_arg "$@"; WORKDIR_PARENT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

for v in SILO_PORT POSTFIX_PORT SESSIONS RUNS WARMUP LOAD_TIMEOUT; do
  is_uint "${!v}" || die "$v must be a non-negative integer"
done
[[ -z $COUNT ]] || is_uint "$COUNT" || die "--count must be an integer"
for s in $SIZES; do
  if ! is_uint "$s" || [[ $s -eq 0 ]]; then die "bad size: $s"; fi
done
for a in "${DKIM_ALGS[@]}"; do
  [[ $a == rsa-sha256 || $a == ed25519-sha256 ]] || die "bad --dkim: $a (rsa-sha256 or ed25519-sha256)"
done
[[ $RUNS -ge 1 && $RUNS -le 20 && $SESSIONS -ge 1 ]] || die "bad --runs/--sessions"
[[ $SILO_PORT != "$POSTFIX_PORT" ]] || die "silo and postfix ports must differ"
[[ $(id -u) -eq 0 ]] || die "must run as root (private postfix instance)"
command -v smtp-source >/dev/null || die "smtp-source not found (package postfix)"
[[ -x $PFX_INSTANCE ]] || die "missing $PFX_INSTANCE"
cd "$REPO"
if [[ $SILO_CMD_DEFAULT -eq 1 ]]; then
  [[ -f src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll ]] \
    || die "silo not built (dotnet build -c Release), or pass --silo-cmd"
fi

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
for p in "$SILO_PORT" "$POSTFIX_PORT"; do
  ! port_open "$p" || die "127.0.0.1:$p is already in use"
done

mkdir -p "$WORKDIR_PARENT"
TMP=$(mktemp -d "$WORKDIR_PARENT/mc-ingress-bench.XXXXXX")
chmod 755 "$TMP"   # postfix daemons (uid postfix) must traverse it
FSTYPE=$(stat -f -c %T "$TMP")
PFX_DIR=$TMP/postfix
SILO_PID=""
SAMPLER_PID=""
LOAD_PID=""
LOAD_SECS=0

# --- cleanup ---------------------------------------------------------------
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z $LOAD_PID ]] || stop_pid "$LOAD_PID" 2
  [[ -z $SAMPLER_PID ]] || stop_pid "$SAMPLER_PID" 2
  [[ -z $SILO_PID ]] || stop_pid "$SILO_PID" 10
  "$PFX_INSTANCE" stop "$PFX_DIR" 2>/dev/null || true
  remove_workdir
  exit "$rc"
}
install_traps cleanup

# --- helpers ---------------------------------------------------------------
default_count() { # size_kib -> message count
  local n=$((200000 / $1))
  ((n > 20000)) && n=20000
  ((n < 1000)) && n=1000
  echo "$n"
}


# smtp-source wrapper. $1 port, $2 size bytes, $3 count, $4 output prefix.
# Sets LOAD_SECS (elapsed wall time); returns smtp-source's exit status.
# Runs in the background + wait so that Ctrl-C interrupts at once (timeout(1)
# puts itself and smtp-source in their own process group; cleanup kills it).
send_load() {
  local port=$1 bytes=$2 n=$3 out=$4 t0 t1 rc=0 args=()
  [[ $REUSE -eq 1 ]] && args+=(-d)
  args+=(-s "$SESSIONS" -l "$bytes" -m "$n" -M bench.test
         -f sender@bench.test -t rcpt@dest.test "127.0.0.1:$port")
  t0=$(date +%s.%N)
  timeout -k 5 "$LOAD_TIMEOUT" smtp-source "${args[@]}" >"$out.out" 2>"$out.err" &
  LOAD_PID=$!
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  t1=$(date +%s.%N)
  LOAD_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  return "$rc"
}

start_silo() { # spool dir, log file, command
  export SPOOL=$1 SILO_PORT
  mkdir -p "$SPOOL"
  setsid bash -c "$3" </dev/null >"$2" 2>&1 &
  SILO_PID=$!
  wait_for_silo "$SILO_PID" "$2" port_open "$SILO_PORT"
}

stop_silo() { stop_pid "$SILO_PID" 10; SILO_PID=""; }

median() { tr ' ' '\n' | awk NF | sort -g | awk '{v[NR] = $1}
  END {if (NR == 0) print "n/a"; else if (NR % 2) printf "%.0f", v[(NR + 1) / 2];
       else printf "%.0f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
maxof() { tr ' ' '\n' | awk NF | sort -g | tail -n 1; }
median3() { tr ' ' '\n' | awk NF | sort -g | awk '{v[NR] = $1}
  END {if (NR == 0) print "n/a"; else if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
       else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", (t > 0) ? n / t : 0}'; }

# One measured run. $1 kind (postfix, or a key of KIND_CMD), $2 size KiB,
# $3 count, $4 run index. Sets R_RATE R_RSS R_PSS R_CPU R_JIT R_CHECK.
measure() {
  local kind=$1 kib=$2 n=$3 idx=$4 bytes=$(($2 * 1024)) port pid secs rc=0 cpu0="" jit0=""
  local d=$TMP/$kind-$kib-$idx expect=$((WARMUP + $3)) got
  mkdir -p "$d"
  if [[ $kind != postfix ]]; then
    start_silo "$d/spool" "$d/silo.log" "${KIND_CMD[$kind]}"
    port=$SILO_PORT; pid=$SILO_PID
  else
    "$PFX_INSTANCE" flush-queue "$PFX_DIR"
    port=$POSTFIX_PORT
    pid=$("$PFX_INSTANCE" master-pid "$PFX_DIR") || die "postfix not running"
  fi
  if [[ $WARMUP -gt 0 ]]; then
    send_load "$port" "$bytes" "$WARMUP" "$d/warmup" \
      || { cat "$d/warmup.err" >&2; die "$kind: warm-up failed"; }
  fi
  SAMPLER_SECONDS=$((LOAD_TIMEOUT + 120)) start_sampler "$([[ $kind == postfix ]] && echo postfix || echo silo)" "$pid" "$d/mem"
  [[ $kind == postfix ]] || cpu0=$(cpu_seconds "$pid")
  [[ $kind == postfix || $kind == tools ]] || jit0=$(jit_seconds $((SILO_PORT + 1000))) # the default command's HTTP port
  send_load "$port" "$bytes" "$n" "$d/load" || rc=$?
  secs=$LOAD_SECS
  R_CPU=n/a
  [[ -z $cpu0 ]] || R_CPU=$(cpu_ms_per_message "$cpu0" "$(cpu_seconds "$pid")" "$n")
  R_JIT=n/a
  [[ -z $jit0 ]] || R_JIT=$(cpu_ms_per_message "$jit0" "$(jit_seconds $((SILO_PORT + 1000)))" 1)
  stop_sampler
  read -r R_RSS R_PSS <"$d/mem"
  if [[ $rc -ne 0 ]]; then
    R_RATE=0; R_CHECK="FAIL(rc=$rc)"
    log "$kind: smtp-source exit $rc: $(head -c 300 "$d/load.err")"
  else
    R_RATE=$(rate "$n" "$secs"); R_CHECK="ok"
  fi
  if [[ $kind == tools ]]; then
    stop_silo
  elif [[ $kind != postfix ]]; then
    if [[ -n $SILO_COUNT_CMD && $rc -eq 0 ]]; then
      got=$(SPOOL=$d/spool timeout 60 bash -c "$SILO_COUNT_CMD" 2>/dev/null | tail -n 1) || got="?"
      [[ $got == "$expect" ]] && R_CHECK="ok:$got" || R_CHECK="BAD:$got/$expect"
    fi
    stop_silo
    rm -rf -- "$d/spool"
  elif [[ $rc -eq 0 ]]; then
    got=$("$PFX_INSTANCE" queue-count "$PFX_DIR")
    [[ $got == "$expect" ]] && R_CHECK="ok:q=$got" || R_CHECK="BAD:q=$got/$expect"
  fi
  log "$kind ${kib}KiB run $idx: $n msgs in ${secs:-?}s = $R_RATE msg/s," \
    "peak RSS $(mib "$R_RSS") MiB (PSS $(mib "$R_PSS")), CPU $R_CPU ms/msg (JIT $R_JIT ms in all), check $R_CHECK"
}

# A DKIM key for smtp-source's From: domain (bench.test); prints the silo arguments signing with it.
dkim_args() { # algorithm
  local file=$TMP/dkim-$1.pem
  if [[ $1 == rsa-sha256 ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$file" 2>/dev/null
  else
    openssl genpkey -algorithm ed25519 -out "$file" 2>/dev/null
  fi
  echo "--Dkim:Keys:0:Domain=bench.test --Dkim:Keys:0:Selector=bench --Dkim:Keys:0:KeyFile=$file --Dkim:Keys:0:Algorithm=$1"
}

# --- main ------------------------------------------------------------------
log "work dir $TMP ($FSTYPE)"
[[ $FSTYPE != tmpfs && $FSTYPE != ramfs ]] \
  || log "WARNING: $TMP is on $FSTYPE - fsync is free there, numbers are meaningless"
log "starting private postfix on 127.0.0.1:$POSTFIX_PORT"
"$PFX_INSTANCE" start "$PFX_DIR" "$POSTFIX_PORT" "${POSTFIX_OPTS[@]}"

mode="smtp-source -d (many messages per connection)"
[[ $REUSE -eq 1 ]] || mode="smtp-source without -d (one message per connection)"
REPORT=$TMP/report.txt
{
  echo "MailCluster ingress benchmark  $(date -u +%FT%TZ)  host $(hostname)," \
    "$(nproc) cores, work dir fs $FSTYPE, postfix $(postconf -h -d mail_version 2>/dev/null)"
  echo "load: $mode, $SESSIONS sessions, warm-up $WARMUP msgs, $RUNS runs per size"
  echo "postfix: private instance, defer_transports=smtp (accept+fsync only)${POSTFIX_OPTS[*]:+, }${POSTFIX_OPTS[*]:-}"
} >"$REPORT"

# The servers, in the order each run index visits them.
declare -A KIND_CMD=([silo]=$SILO_CMD)
KINDS=(silo)
[[ -z $BASELINE_CMD ]] || { KIND_CMD[baseline]=$BASELINE_CMD; KINDS+=(baseline); }
for a in "${DKIM_ALGS[@]}"; do
  args=$(dkim_args "$a")
  for k in silo baseline; do
    [[ -n ${KIND_CMD[$k]:-} && $k != *+* ]] || continue
    KIND_CMD[$k+${a%%-*}]="${KIND_CMD[$k]} $args"; KINDS+=("$k+${a%%-*}")
  done
done
# shellcheck disable=SC2016  # expanded by bash -c, like the silo commands
[[ $CEILING -eq 0 ]] || { KIND_CMD[tools]='exec smtp-sink -u nobody 127.0.0.1:$SILO_PORT 1000'; KINDS+=(tools); }
KINDS+=(postfix)
for k in "${KINDS[@]}"; do
  [[ $k == postfix ]] || echo "$k: ${KIND_CMD[$k]}" >>"$REPORT"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "n/a") printf "%.2f", a / b; else print "n/a"}'; }

for kib in $SIZES; do
  n=${COUNT:-$(default_count "$kib")}
  declare -A RATES=() CPUS=() JITS=() RSSES=() PSSES=() CHECKS=()
  for ((r = 1; r <= RUNS; r++)); do
    for k in "${KINDS[@]}"; do
      measure "$k" "$kib" "$n" "$r"
      RATES[$k]+="$R_RATE "; CPUS[$k]+="$R_CPU "; JITS[$k]+="$R_JIT "; RSSES[$k]+="$R_RSS "; PSSES[$k]+="$R_PSS "
      [[ $R_CHECK == ok* ]] || CHECKS[$k]+="run $r: $R_CHECK "
    done
  done
  pm=$(echo "${RATES[postfix]}" | median)
  sm=$(echo "${RATES[silo]}" | median)
  {
    echo
    echo "== ${kib} KiB body, $n msgs/run, $SESSIONS sessions, medians of $RUNS runs =="
    printf '%-16s | %8s %10s %7s %9s %9s | %8s %8s %8s | %s\n' server "msg/s" "cpu ms/msg" "JIT ms" "RSS MiB" "PSS MiB" "/postfix" "/silo" "/tools" "runs (msg/s)"
    for k in "${KINDS[@]}"; do
      m=$(echo "${RATES[$k]}" | median)
      c=n/a; [[ $k == postfix ]] || c=$(echo "${CPUS[$k]}" | median3)
      j=n/a; [[ ${JITS[$k]} != *[0-9]* ]] || j=$(echo "${JITS[$k]}" | median)
      t=n/a; [[ $CEILING -eq 0 ]] || t=$(ratio "$m" "$(echo "${RATES[tools]}" | median)")
      printf '%-16s | %8s %10s %7s %9s %9s | %8s %8s %8s | %s\n' "$k" "$m" "$c" "$j" \
        "$(mib "$(echo "${RSSES[$k]}" | maxof)")" "$(mib "$(echo "${PSSES[$k]}" | maxof)")" \
        "$(ratio "$m" "$pm")" "$(ratio "$m" "$sm")" "$t" "${RATES[$k]}"
    done
    echo "(RSS and PSS: the largest peak over the runs; JIT ms: the silo's JIT time inside the timed part, median)"
    for k in "${KINDS[@]}"; do
      [[ -z ${CHECKS[$k]:-} ]] || echo "CHECK FAILED $k: ${CHECKS[$k]}"
    done
  } >>"$REPORT"
  unset RATES CPUS JITS RSSES PSSES CHECKS
done

echo
cat "$REPORT"
