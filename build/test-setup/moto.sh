#!/usr/bin/env bash
# Starts moto_server (on the machine image) for the S3 tests: 127.0.0.1 port 55900, state in memory.
# Idempotent: a server that already answers is left alone. Tests find it through
# MEDALLION_TEST_S3_ENDPOINT, whose default matches (http://127.0.0.1:55900); moto accepts any
# credentials, the tests use AWS_ACCESS_KEY_ID=testing.
# The server keeps running after the tests; stop it with
#   kill "$(cat /var/tmp/medallion-test/moto/moto.pid)"
set -euo pipefail

port=55900
base=/var/tmp/medallion-test/moto

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if answers; then
  echo "moto: already running on port $port"
  exit 0
fi

if ! command -v moto_server >/dev/null; then
  echo "moto: moto_server is not installed (pip install 'moto[server]')" >&2
  exit 1
fi

mkdir -p "$base"
# setsid: the server must outlive this script and the test run that started it.
setsid moto_server -H 127.0.0.1 -p "$port" </dev/null >"$base/moto.log" 2>&1 &
echo $! >"$base/moto.pid"

for _ in $(seq 1 120); do
  if answers; then
    echo "moto: started on port $port"
    exit 0
  fi
  sleep 0.25
done
echo "moto: the server did not answer on port $port within 30 s; see $base/moto.log" >&2
tail -20 "$base/moto.log" >&2 || true
exit 1
