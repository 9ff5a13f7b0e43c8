#!/usr/bin/env bash
# Starts a MariaDB server of its own for the tests: port 53306 on 127.0.0.1, data under
# /var/tmp/medallion-test/mariadb, user "medallion" with password "medallion" and every privilege.
# It writes a row-based binlog (full row images) so change data capture can be tested.
# Idempotent: a server that already answers with its binlog on is left alone; one without a binlog
# (started by an older version of this script) is stopped and started again. Tests find it through
# MEDALLION_TEST_MYSQL, whose default matches:
#   Server=127.0.0.1;Port=53306;User ID=medallion;Password=medallion
# The server keeps running after the tests (a rerun then costs nothing); stop it with
#   kill "$(cat /var/tmp/medallion-test/mariadb/mariadbd.pid)"
set -euo pipefail

port=53306
base=/var/tmp/medallion-test/mariadb
socket="$base/mariadbd.sock"

source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"

binlog_on() {
  [ "$(mariadb --no-defaults -h 127.0.0.1 -P "$port" -u medallion -pmedallion -N -B \
      -e "SELECT @@log_bin AND @@binlog_format = 'ROW' AND @@binlog_row_image = 'FULL'" 2>/dev/null)" = "1" ]
}

reserve_port "$port"

if answers "$port"; then
  if binlog_on; then
    echo "mariadb: already running on port $port"
    exit 0
  fi
  echo "mariadb: running on port $port without a row-based binlog; restarting it with one"
  pid="$(cat "$base/mariadbd.pid" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    echo "mariadb: no pid file under $base: stop the server on port $port yourself and rerun" >&2
    exit 1
  fi
  kill "$pid"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.25
  done
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "mariadb: needs root to install and start MariaDB (or start one on port $port yourself)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Only the server and client cores: the full mariadb-server package would start a system
# service on 3306 that the tests do not use.
if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null || ! command -v mariadb >/dev/null; then
  echo "mariadb: installing mariadb-server-core and mariadb-client-core"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends mariadb-server-core mariadb-client-core >/dev/null
fi

mkdir -p "$base"
if [ ! -d "$base/data/mysql" ]; then
  rm -rf "$base/data"
  mariadb-install-db --no-defaults --datadir="$base/data" --user=root \
    --auth-root-authentication-method=socket --skip-test-db >"$base/install.log" 2>&1
fi

# setsid: the server must outlive this script and the test run that started it.
setsid mariadbd --no-defaults --datadir="$base/data" --port="$port" --socket="$socket" \
  --bind-address=127.0.0.1 --user=root --pid-file="$base/mariadbd.pid" \
  --log-error="$base/error.log" --skip-name-resolve --innodb-flush-log-at-trx-commit=0 \
  --innodb-buffer-pool-size=128M --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
  --log-bin="$base/data/binlog" --server-id=1 --binlog-format=ROW --binlog-row-image=FULL \
  --expire-logs-days=2 \
  </dev/null >/dev/null 2>&1 &
await_server mariadb $! "$port" "$base/error.log"

# The test login, created through the socket where root authenticates as the OS user.
mariadb --no-defaults --socket="$socket" -u root <<'SQL'
CREATE USER IF NOT EXISTS 'medallion'@'127.0.0.1' IDENTIFIED BY 'medallion';
CREATE USER IF NOT EXISTS 'medallion'@'localhost' IDENTIFIED BY 'medallion';
GRANT ALL PRIVILEGES ON *.* TO 'medallion'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'medallion'@'localhost' WITH GRANT OPTION;
SQL
echo "mariadb: started on port $port"
