#!/usr/bin/env bash
# Runs every test project of Cluster.sln and the helm chart test, and ends with one line:
# "N passed, N failed, N skipped".
# Installs the Debian packages the integration tests use when they are missing (needs root) and
# Azurite from npm, builds once in Release, then runs the suites; each integration fixture starts
# and stops its own peers (silos, swaks, smtp-source, dnsmasq, danted, sinks, Azurite, RabbitMQ) on loopback only.
set -uo pipefail
cd "$(dirname "$0")/.."
STARTED=$SECONDS

ensure_packages() {
  local missing=()
  command -v smtp-source >/dev/null || [ -x /usr/sbin/smtp-source ] || missing+=(postfix)
  command -v swaks >/dev/null || missing+=(swaks)
  perl -MIO::Socket::SSL -e1 2>/dev/null || missing+=(libio-socket-ssl-perl libnet-ssleay-perl)
  [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
  # A real SOCKS5 proxy for the egress handshake; the fixture runs its own danted on loopback.
  [ -x /usr/sbin/danted ] || missing+=(dante-server)
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
  # dkimpy verifies our DKIM signatures independently; Ed25519 needs nacl, its key lookups dnspython.
  /usr/bin/python3 -c 'import dkim, nacl, dns.resolver' 2>/dev/null || missing+=(python3-dkim python3-nacl python3-dnspython)
  command -v promtool >/dev/null && [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  # A real AMQP broker for the events' AMQP sink; each fixture runs its own node on loopback.
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  # The chart test: Go with sprig, yaml.v3, gojsonschema and sigs.k8s.io/yaml from Debian (offline, GOPATH mode).
  command -v go >/dev/null || missing+=(golang-go)
  local lib
  for lib in github.com/Masterminds/sprig:golang-github-masterminds-sprig-dev gopkg.in/yaml.v3:golang-gopkg-yaml.v3-dev \
    github.com/xeipuuv/gojsonschema:golang-github-xeipuuv-gojsonschema-dev sigs.k8s.io/yaml:golang-k8s-sigs-yaml-dev; do
    [ -d "/usr/share/gocode/src/${lib%%:*}" ] || missing+=("${lib##*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing test peers: ${missing[*]}"
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
    apt-get update -qq >/dev/null
    # Install the peers without starting them as system services: the tests start their own on loopback.
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    local status=$?
    [ -z "$added" ] || rm -f "$policy"
    return $status
  fi
}

ensure_packages || { echo "could not install the test peers"; echo "0 passed, 1 failed"; exit 1; }

# Azurite (Azure Storage's emulator) from npm, for the cluster scenarios; kept in the user's cache
# between runs. The fixtures start it on loopback ports of their own and stop it after.
ensure_azurite() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/mailcluster/azurite-3.37.0"
  if [ ! -x "$dir/node_modules/.bin/azurite" ]; then
    echo "Installing Azurite 3.37.0 from npm into $dir"
    mkdir -p "$dir" && (cd "$dir" && npm install --no-audit --no-fund --silent azurite@3.37.0 >/dev/null) || return 1
  fi
  export MAILCLUSTER_AZURITE="$dir/node_modules/.bin/azurite"
}

ensure_azurite || { echo "could not install Azurite"; echo "0 passed, 1 failed"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dotnet build Cluster.sln -c Release -v q -nologo; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test Cluster.sln -c Release --no-build -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The helm chart, rendered and checked without a cluster; it prints a summary line in VSTest's format.
GO111MODULE=off GOPATH=/usr/share/gocode timeout 600 go run tests/chart/charttest.go 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# VSTest prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! *- *Failed:/ {
    for (i = 1; i <= NF; i++) {
      gsub(",", "", $(i+1))
      if ($i == "Failed:") f += $(i+1)
      if ($i == "Passed:") p += $(i+1)
      if ($i == "Skipped:") s += $(i+1)
    }
  }
  END { print p+0, f+0, s+0 }' "$log")

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A crashed test host or a failed run without a summary still counts as a failure.
  failed=1
fi
# The last lines are what a CI log keeps: name every failed test there, with the start of its
# error message (up to its stack trace, at most 12 lines), so a failure seen only in CI can be read.
if grep -qE '^\s+Failed [^!]' "$log"; then
  echo "Failed tests:"
  awk '
    /^[[:space:]]+Failed [^!]/ { sub(/^[[:space:]]*/, "  "); print; shown = 0; inside = 1; next }
    inside && /^[[:space:]]+(Stack Trace:|Passed |Failed |Skipped )/ { inside = 0 }
    inside && /Error Message:/ { next }
    inside && shown < 12 { sub(/^[[:space:]]*/, "    "); print; shown++ }' "$log"
fi
elapsed=$((SECONDS - STARTED))
echo "Wall time: $((elapsed / 60)) min $((elapsed % 60)) s (installs, build and every suite)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
