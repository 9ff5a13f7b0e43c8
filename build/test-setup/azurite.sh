#!/usr/bin/env bash
# Starts Azurite's Blob service for the Azure tests: 127.0.0.1 port 55910, data in a temporary folder,
# the well-known development account (devstoreaccount1). Azurite comes from the npm registry at a pinned
# version, installed under ~/.cache/medallion/azurite-<version>. Idempotent: a server that already
# answers is left alone. Tests find it through MEDALLION_TEST_AZURE_BLOB_ENDPOINT, whose default matches
# (http://127.0.0.1:55910/devstoreaccount1).
# The server keeps running after the tests; stop it with
#   kill "$(cat /var/tmp/medallion-test/azurite/azurite.pid)"
set -euo pipefail

version=3.37.0
port=55910
base=/var/tmp/medallion-test/azurite
prefix="${XDG_CACHE_HOME:-$HOME/.cache}/medallion/azurite-$version"

source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"
reserve_port "$port"

if answers "$port"; then
  echo "azurite: already running on port $port"
  exit 0
fi

if [ ! -x "$prefix/node_modules/.bin/azurite-blob" ]; then
  echo "azurite: installing azurite@$version from npm"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "azurite@$version" >/dev/null
fi

mkdir -p "$base"
# Nothing answers on the port, so the data folders of earlier servers belong to none that runs: each start took a new one.
rm -rf "$base"/data.*
data=$(mktemp -d "$base/data.XXXXXX")
# setsid: the server must outlive this script and the test run that started it. --skipApiVersionCheck: the
# SDK may speak a newer service version than this Azurite knows; the calls we make exist in both.
setsid "$prefix/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$data" \
  --disableTelemetry --skipApiVersionCheck --loose </dev/null >"$base/azurite.log" 2>&1 &
echo $! >"$base/azurite.pid"

await_server azurite "$(cat "$base/azurite.pid")" "$port" "$base/azurite.log"
echo "azurite: started on port $port"
