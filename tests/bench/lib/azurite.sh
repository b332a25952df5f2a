# shellcheck shell=bash
# Shared by the bench scripts (source it): Azurite (Azure Storage's emulator, from npm) on loopback.

AZURITE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mailcluster/azurite-3.37.0"
# Azurite's well-known development account key (public, the same in every emulator).
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

install_azurite() { # into ~/.cache/mailcluster when missing, as the test command does
  [[ -x $AZURITE_DIR/node_modules/.bin/azurite ]] && return 0
  mkdir -p "$AZURITE_DIR" && (cd "$AZURITE_DIR" && npm install --no-audit --no-fund --silent azurite@3.37.0)
}

# Starts Azurite with its data in $1, bounded by $2 seconds, on 127.0.0.1 ports $3 (blob), $4
# (queue), $5 (table); waits until the table port answers. Sets AZURITE_PID and STORAGE (the
# connection string).
start_azurite() {
  local dir=$1 lifetime=$2 blob=$3 queue=$4 table=$5 i
  mkdir -p "$dir"
  setsid timeout -k 5 "$lifetime" "$AZURITE_DIR/node_modules/.bin/azurite" --silent --skipApiVersionCheck --location "$dir" \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" >"$dir.log" 2>&1 &
  AZURITE_PID=$!
  STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
  for ((i = 0; i < 150; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$table") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "azurite did not start: $(cat "$dir.log")" >&2
  return 1
}
