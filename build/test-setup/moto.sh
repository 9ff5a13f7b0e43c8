#!/usr/bin/env bash
# Starts moto's server (moto_server on the machine image) for the S3 tests: 127.0.0.1 port 55900, state in memory.
# Idempotent: a server that already answers is left alone. Tests find it through
# MEDALLION_TEST_S3_ENDPOINT, whose default matches (http://127.0.0.1:55900); moto accepts any
# credentials, the tests use AWS_ACCESS_KEY_ID=testing.
# The server keeps running after the tests; stop it with
#   kill "$(cat /var/tmp/medallion-test/moto/moto.pid)"
set -euo pipefail

port=55900
base=/var/tmp/medallion-test/moto

source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"
reserve_port "$port"

if answers "$port"; then
  echo "moto: already running on port $port"
  exit 0
fi

if ! command -v moto_server >/dev/null; then
  echo "moto: moto_server is not installed (pip install 'moto[server]')" >&2
  exit 1
fi

mkdir -p "$base"
# moto's own server, with its conditional puts made atomic as S3's are (see lib/moto_server_atomic.py); the Python that
# runs moto_server has moto. setsid: the server must outlive this script and the test run that started it.
python=$(command -v python3)
if ! "$python" -c 'import moto.moto_server.werkzeug_app' 2>/dev/null; then
  echo "moto: python3 cannot import moto (the moto_server on PATH runs another Python)" >&2
  exit 1
fi
setsid "$python" "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/moto_server_atomic.py" 127.0.0.1 "$port" </dev/null >"$base/moto.log" 2>&1 &
echo $! >"$base/moto.pid"

await_server moto "$(cat "$base/moto.pid")" "$port" "$base/moto.log"
echo "moto: started on port $port"
