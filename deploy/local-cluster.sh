#!/usr/bin/env bash
# deploy/local-cluster.sh - a MailCluster cluster on this machine, without Kubernetes: Azurite
# (Azure Storage's emulator, from npm) and N silo processes in Cluster:Mode=AzureStorage.
#
# Usage: deploy/local-cluster.sh start [N]   build if needed, start Azurite and N silos (default 3)
#        deploy/local-cluster.sh status      what runs, and each silo's ports
#        deploy/local-cluster.sh stop        SIGTERM every silo (they drain), then Azurite
#
# Silo i (from 0) listens on 127.0.0.1: SMTP 2525+i, HTTP 8025+10*i (/metrics, /readyz), admin
# 8026+10*i (token in $STATE/admin-token), Orleans 11111+i. State (spools, logs, Azurite's data)
# lives under $MAILCLUSTER_LOCAL (default /var/tmp/mailcluster-local). Azurite's ports are its
# defaults (10000-10002), so the silos use UseDevelopmentStorage=true.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${MAILCLUSTER_LOCAL:-/var/tmp/mailcluster-local}
SILO_DLL=src/MailCluster.Silo/bin/Release/net10.0/MailCluster.Silo.dll
AZURITE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mailcluster/azurite-3.37.0"

die() { echo "local-cluster: $*" >&2; exit 1; }

running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -fs "$1" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

start() {
  local count=${1:-3}
  [[ $count =~ ^[1-9][0-9]?$ ]] || die "N must be 1-99, not '$count'"
  mkdir -p "$STATE"
  [[ -f $SILO_DLL ]] || dotnet build Cluster.sln -c Release -v q -nologo
  if [[ ! -x $AZURITE_DIR/node_modules/.bin/azurite ]]; then
    mkdir -p "$AZURITE_DIR" && (cd "$AZURITE_DIR" && npm install --no-audit --no-fund --silent azurite@3.37.0)
  fi
  if ! running "$STATE/azurite.pid"; then
    mkdir -p "$STATE/azurite"
    "$AZURITE_DIR/node_modules/.bin/azurite" --silent --skipApiVersionCheck --location "$STATE/azurite" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$STATE/azurite.log" 2>&1 &
    echo $! >"$STATE/azurite.pid"
    local deadline=$((SECONDS + 30))
    until (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; do
      ((SECONDS < deadline)) || die "Azurite did not listen on 127.0.0.1:10002 (see $STATE/azurite.log)"
      sleep 0.2
    done
  fi
  [[ -f $STATE/admin-token ]] || head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$STATE/admin-token"
  local i
  for ((i = 0; i < count; i++)); do
    local dir=$STATE/silo$i
    running "$dir/pid" && continue
    mkdir -p "$dir"
    (cd "$dir" && exec dotnet "$OLDPWD/$SILO_DLL" \
      --Cluster:Mode=AzureStorage --Cluster:ConnectionString=UseDevelopmentStorage=true \
      --Cluster:SiloName="silo$i" --Cluster:SiloPort=$((11111 + i)) --Cluster:AdvertisedAddress=127.0.0.1 \
      --Smtp:Listen=127.0.0.1:$((2525 + i)) --Http:Listen=127.0.0.1:$((8025 + 10 * i)) \
      --Admin:Listen=127.0.0.1:$((8026 + 10 * i)) --Admin:Token="$(cat "$STATE/admin-token")" \
      --Spool:Path="$dir/spool" --Delivery:LogPath="$dir/delivery.log" >"$dir/silo.log" 2>&1) &
    echo $! >"$dir/pid"
    wait_for "http://127.0.0.1:$((8025 + 10 * i))/readyz" 60 || die "silo$i is not ready (see $dir/silo.log)"
    echo "silo$i ready: SMTP 127.0.0.1:$((2525 + i)), metrics http://127.0.0.1:$((8025 + 10 * i))/metrics, admin http://127.0.0.1:$((8026 + 10 * i))"
  done
  echo "mailctl: dotnet run --project src/MailCluster.Cli -- --url http://127.0.0.1:8026 --token $(cat "$STATE/admin-token") domains"
}

status() {
  running "$STATE/azurite.pid" && echo "azurite: running (pid $(cat "$STATE/azurite.pid"))" || echo "azurite: stopped"
  local dir
  for dir in "$STATE"/silo*; do
    [[ -d $dir ]] || continue
    running "$dir/pid" && echo "$(basename "$dir"): running (pid $(cat "$dir/pid"))" || echo "$(basename "$dir"): stopped"
  done
}

stop() {
  local dir pid
  for dir in "$STATE"/silo*; do
    [[ -f $dir/pid ]] || continue
    running "$dir/pid" && kill -TERM "$(cat "$dir/pid")"
  done
  for dir in "$STATE"/silo*; do
    [[ -f $dir/pid ]] || continue
    pid=$(cat "$dir/pid")
    # A draining silo finishes its transactions first (Smtp:DrainTimeout, 30 s by default).
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  done
  if running "$STATE/azurite.pid"; then
    kill -TERM "$(cat "$STATE/azurite.pid")"
  fi
  rm -f "$STATE/azurite.pid"
  echo "stopped (state kept in $STATE)"
}

case ${1:-} in
  start) start "${2:-3}" ;;
  status) status ;;
  stop) stop ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
