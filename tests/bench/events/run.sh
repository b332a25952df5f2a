#!/usr/bin/env bash
# tests/bench/events/run.sh - what delivery events cost when their receiver is down.
#
# The relay benchmark (tests/bench/relay/run.sh, whose header says what is measured and why it is
# fair) runs this build twice, interleaved, with Postfix beside them: "silo" without events, and
# "webhook down", the same build with one webhook sink whose receiver refuses every connection
# (https://127.0.0.1:9/, nothing listens there). So every reception and delivery writes its event
# into the spool's commit, and the sink retries (0.1 s doubling to 1 s) the whole run. The ratio
# silo/webhook-down is the events' cost in delivered/s and CPU per message. The journal is held to
# Events:MaxBacklogBytes (4 MiB here, so the bound is reached at 8,000 messages): after each run the
# sink's backlog and the events dropped beyond it are logged from /metrics.
#
# Usage: sudo tests/bench/events/run.sh [relay options, e.g. --runs 5 --sizes "1 50"]
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SECRETS=$(mktemp -d)
trap 'rm -rf -- "$SECRETS"' EXIT
printf 'bench-webhook-secret-0123456789\n' >"$SECRETS/secret"
chmod 644 "$SECRETS/secret"
"$SCRIPT_DIR/../relay/run.sh" \
  --baseline-label "webhook down" \
  --baseline-opt --Events:Sinks:0:Name=down \
  --baseline-opt --Events:Sinks:0:Url=https://127.0.0.1:9/events \
  --baseline-opt "--Events:Sinks:0:SecretFile=$SECRETS/secret" \
  --baseline-opt --Events:Sinks:0:RetryInitial=00:00:00.100 \
  --baseline-opt --Events:Sinks:0:RetryMax=00:00:01 \
  --baseline-opt --Events:MaxBacklogBytes=4194304 \
  --show-metric mailcluster_events_backlog \
  --show-metric mailcluster_events_dropped_total \
  "$@"
