#!/usr/bin/env bash
# tests/bench/fuzz/run.sh - fuzzes the parsers that read what peers send: SMTP commands, DATA
# content, whole server sessions (commands, DATA and BDAT), SMTP replies and DNS messages.
#
# Each target gets COUNT inputs (default 1000000): its seeds, then mutations of them (flipped bits,
# protocol-special bytes, inserted, deleted, repeated and spliced runs), fed to the stream parsers
# in random chunks as a socket delivers them. An input fails when the parser throws anything but
# its own refusal, when a session does not end within 10 s of its input, or when one input
# allocates more than 64 MiB. Seeded: the same --seed replays the same inputs. Bounded in count;
# the normal test suite runs a short run of every target (MailCluster.Smtp.Tests FuzzTests).
#
# Usage: tests/bench/fuzz/run.sh [--count N] [--seed S] [TARGET...]
#   targets: smtp-command smtp-data smtp-session smtp-reply dns-message
set -euo pipefail
cd "$(dirname "$0")"
COUNT=1000000
SEED=20261130
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) COUNT=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[[ $COUNT =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ ]] || { echo "run.sh: --count and --seed take integers" >&2; exit 2; }
WORK=$(mktemp -d /tmp/mc-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "building the fuzz runner (Release)..."
timeout 600 dotnet build Fuzz/Fuzz.csproj -c Release -v q -o "$WORK/bin" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
echo "fuzz: $COUNT inputs per target, seed $SEED, $(date -u +%FT%TZ), $(nproc) cores"
timeout 7200 dotnet "$WORK/bin/Fuzz.dll" "$COUNT" "$SEED" "$@"
