#!/usr/bin/env bash
# tests/abuse/run.sh - the abuse battery: every attack a security read of the silo found, run
# against a real silo on loopback, each printed with what the silo answered.
#
#   tests/abuse/run.sh [Release|Debug]   (after `dotnet build Cluster.sln -c Release`)
#
# It starts, in a fresh temporary directory, and stops when it ends (bounded: 5 minutes at most):
#   - dnsmasq on a free 127.0.0.1 port: client.test's MX is the sink, *.nx.test is NXDOMAIN;
#   - an aiosmtpd sink (tests/MailCluster.IntegrationTests/Sinks/sink.py) on 127.0.0.31, the MX
#     that receives the DSNs;
#   - one silo (single mode): relay port (127.0.0.1/32 trusted), submission with STARTTLS,
#     metrics and admin ports, Ed25519 DKIM keys for client.test and bank.test, users alice
#     (client.test), mallory (mallory.test), kelvin (client.test, one message an hour);
# then runs tests/abuse/battery.py against it. Loopback only. Exit status 0 when every attack
# was refused as it must be; the last line is "abuse battery: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CONFIGURATION=${1:-Release}
# SILO_DLL may name another build (e.g. the commit before the fixes) to see what the battery finds there.
SILO_DLL=${SILO_DLL:-$ROOT/src/MailCluster.Silo/bin/$CONFIGURATION/net10.0/MailCluster.Silo.dll}
MAILCTL_DLL=$ROOT/src/MailCluster.Cli/bin/$CONFIGURATION/net10.0/mailctl.dll
SINK=$ROOT/tests/MailCluster.IntegrationTests/Sinks/sink.py
[[ -f $SILO_DLL && -f $MAILCTL_DLL ]] || { echo "build first: dotnet build Cluster.sln -c $CONFIGURATION" >&2; exit 2; }

TMP=$(mktemp -d /var/tmp/mailcluster-abuse.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n ${KEEP_TMP:-} ]]; then echo "keeping $TMP" >&2; else rm -rf -- "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a free TCP and UDP port on 127.0.0.1, below the ephemeral range
  /usr/bin/python3 - <<'EOF'
import random, socket
for _ in range(200):
    port = random.randint(20000, 31999)
    try:
        with socket.socket() as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", port)); u.bind(("127.0.0.1", port))
        print(port); break
    except OSError:
        pass
EOF
}

SMTP=$(free_port) SUBMISSION=$(free_port) HTTP=$(free_port) ADMIN=$(free_port) ORLEANS=$(free_port) DNS=$(free_port) SINK_PORT=$(free_port)
TOKEN=abuse-battery-admin-token-0123456789

# TLS for submission, DKIM keys for both tenants' domains.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=silo.test -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$TMP/client.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$TMP/bank.key" 2>/dev/null

# Users: passwords on standard input, only hashes in the file.
add_user() { # name domains [--messages-per-hour N]
  local name=$1 domains=$2
  shift 2
  echo "pw-$name" | dotnet "$MAILCTL_DLL" user add "$name" "$domains" --file "$TMP/users" "$@" >/dev/null
}
add_user alice client.test
add_user mallory mallory.test
add_user kelvin client.test --messages-per-hour 1
for target in bob carol dave erin; do add_user "$target" "$target.test"; done

cat >"$TMP/dnsmasq.conf" <<EOF
local=/test/
address=/nx.test/
mx-host=client.test,mx.client.test,10
host-record=mx.client.test,127.0.0.31
EOF
/usr/sbin/dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=127.0.0.1 --port="$DNS" --bind-interfaces \
  --pid-file= --cache-size=0 --conf-file="$TMP/dnsmasq.conf" >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)

mkdir -p "$TMP/sink"
# The sink serves until its standard input closes: a pipe this script holds open until it exits.
mkfifo "$TMP/hold"
exec 3<>"$TMP/hold"
/usr/bin/python3 "$SINK" --host 127.0.0.31 --port "$SINK_PORT" --out "$TMP/sink" <"$TMP/hold" >"$TMP/sink.log" 2>&1 &
PIDS+=($!)

dotnet "$SILO_DLL" \
  --Spool:Path="$TMP/spool" --Spool:MinFreeBytes=16777216 \
  --Smtp:Listen=127.0.0.1:"$SMTP" --Smtp:ServerName=silo.test --Smtp:TrustedNetworks=127.0.0.1/32 \
  --Smtp:SubmissionListen=127.0.0.1:"$SUBMISSION" --Smtp:TlsCertificatePath="$TMP/tls.crt" --Smtp:TlsKeyPath="$TMP/tls.key" \
  --Smtp:CredentialsFile="$TMP/users" --Smtp:MaxAuthFailures=5 --Smtp:MaxAuthFailuresPerUser=10 \
  --Smtp:MaxConnections=200 --Smtp:MaxConnectionsPerClient=50 --Smtp:ReservedTrustedConnections=20 \
  --Http:Listen=127.0.0.1:"$HTTP" --Admin:Listen=127.0.0.1:"$ADMIN" --Admin:Token="$TOKEN" \
  --Cluster:SiloPort="$ORLEANS" \
  --Dkim:Keys:0:Domain=client.test --Dkim:Keys:0:Selector=s1 --Dkim:Keys:0:KeyFile="$TMP/client.key" --Dkim:Keys:0:Algorithm=ed25519-sha256 \
  --Dkim:Keys:1:Domain=bank.test --Dkim:Keys:1:Selector=s1 --Dkim:Keys:1:KeyFile="$TMP/bank.key" --Dkim:Keys:1:Algorithm=ed25519-sha256 \
  --Dns:Nameservers:0=127.0.0.1:"$DNS" --Dns:Timeout=00:00:01 \
  --Delivery:HeloName=silo.test --Delivery:SmtpPort="$SINK_PORT" --Delivery:AllowedMxNetworks=127.0.0.0/8 \
  --Delivery:Dsn:CoalesceWindow=00:00:05 --Delivery:LogPath="$TMP/delivery.log" \
  >"$TMP/silo.log" 2>&1 &
SILO=$!
PIDS+=("$SILO")
for ((i = 0; i < 600; i++)); do
  kill -0 "$SILO" 2>/dev/null || { tail -n 30 "$TMP/silo.log" >&2; echo "the silo exited during start-up" >&2; exit 1; }
  curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

timeout 300 /usr/bin/python3 "$ROOT/tests/abuse/battery.py" \
  --smtp "$SMTP" --submission "$SUBMISSION" --http "$HTTP" --admin "$ADMIN" --token "$TOKEN" --sink-out "$TMP/sink"
