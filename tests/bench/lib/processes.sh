# shellcheck shell=bash
# Shared by the bench scripts (source it): stopping process groups and sampling peak memory.
# Expects SAMPLE_INTERVAL (seconds between samples) and SAMPLER_SECONDS (upper bound of a
# sampler's life, so that it stops by itself) to be set by the caller.

stop_pid() { # pid [grace-seconds]; kill the process group led by pid
  local pid=$1 grace=${2:-10} i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Peak memory sampler (peakmem.py): writes "maxRssKiB maxPssKiB" to $3 whenever a peak rises.
# $1 = silo|postfix, $2 = pid (silo: process-group leader; postfix: master); sets SAMPLER_PID.
start_sampler() {
  echo "0 0" >"$3"
  python3 "$(dirname "${BASH_SOURCE[0]}")/peakmem.py" "$1" "$2" "$3" "$SAMPLE_INTERVAL" "$SAMPLER_SECONDS" &
  SAMPLER_PID=$!
}

stop_sampler() {
  stop_pid "$SAMPLER_PID" 1
  SAMPLER_PID=""
}

# Waits until "$probe $port" succeeds for the silo started as $pid (60 s at most); dies with the
# tail of its log when it exits first or never answers. Expects the caller's die().
wait_for_silo() { # pid log probe-function port
  local pid=$1 log=$2 probe=$3 port=$4 i
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      die "silo exited during start-up (log above)"
    fi
    "$probe" "$port" && return 0
    sleep 0.1
  done
  tail -n 20 "$log" >&2
  die "silo did not answer on 127.0.0.1:$port within 60 s"
}

# The end of every bench's EXIT trap: keep $TMP when KEEP_TMP is set (to read the logs), else remove it.
remove_workdir() {
  if [[ -n ${KEEP_TMP:-} ]]; then
    echo "run.sh: keeping $TMP" >&2
  else
    rm -rf -- "$TMP"
  fi
}

# EXIT runs the caller's cleanup (with the exit status); Ctrl-C and SIGTERM exit through it.
install_traps() { # cleanup-function
  # shellcheck disable=SC2064 # the function name is meant to be expanded now
  trap "$1" EXIT
  trap 'echo "run.sh: interrupted" >&2; exit 130' INT
  trap 'exit 143' TERM
}

# User+system CPU seconds of process $1 so far (proc(5) stat fields 14 and 15, in 1/100 s); empty
# when it is gone. The server must be that process: a command run by bash -c starts it with exec.
cpu_seconds() { awk '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / 100}' "/proc/$1/stat" 2>/dev/null || true; }

# Seconds the silo answering HTTP on 127.0.0.1:$1 has spent in its JIT compiler so far (the
# runtime's own counter); empty when it has no such metric. JIT work inside a timed part is warm-up
# the run has not left behind.
jit_seconds() {
  curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '$1 == "dotnet_jit_compilation_time_seconds_total" {print $2}'
}

# Milliseconds of CPU per message between two cpu_seconds readings: $1 before, $2 after, $3 messages.
cpu_ms_per_message() {
  if [[ -z $1 || -z $2 ]]; then echo n/a; return; fi
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.3f", (b - a) * 1000 / n}'
}
