#!/usr/bin/env bash
# Starts a PostgreSQL 15 cluster of its own for the tests: port 55432 on localhost, wal_level=logical
# (the CDC tests need it), superuser "medallion" with password "medallion". Idempotent: an already
# running cluster is left alone. Tests find it through MEDALLION_TEST_PG, whose default matches:
#   Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres
# The cluster keeps running after the tests (a rerun then costs nothing); stop it with
#   pg_ctlcluster 15 medallion_test stop
set -euo pipefail

version=15
cluster=medallion_test
port=55432
base=/var/tmp/medallion-test/postgres

source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"
reserve_port "$port"

if [ "$(id -u)" -ne 0 ]; then
  # Without root we can neither install packages nor run as the postgres user; a cluster someone
  # already started is all we can use.
  if pg_lsclusters -h 2>/dev/null | awk -v c="$cluster" '$2 == c && $4 == "online"' | grep -q .; then
    echo "postgres: cluster $version/$cluster already running on port $port"
    exit 0
  fi
  echo "postgres: needs root to install and start PostgreSQL $version (or start cluster $version/$cluster yourself)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/lib/postgresql/$version/bin/postgres ] || ! command -v pg_createcluster >/dev/null; then
  echo "postgres: installing postgresql-$version"
  apt-get update -q >/dev/null
  # Debian starts a default cluster on 5432 after installing; we do not need it.
  apt-get install -y -q --no-install-recommends postgresql-$version postgresql-common >/dev/null
fi

status=$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')
if [ "$status" = "online" ]; then
  echo "postgres: cluster $version/$cluster already running on port $port"
  exit 0
fi

if [ -z "$status" ]; then
  mkdir -p "$base"
  chown postgres:postgres "$base"
  # listen_addresses takes a host name here: an IP address passed through -o breaks the config file.
  pg_createcluster "$version" "$cluster" -p "$port" -d "$base/data" \
    -o wal_level=logical -o listen_addresses=localhost -o max_replication_slots=20 \
    -o max_wal_senders=20 -o fsync=off -o synchronous_commit=off -o full_page_writes=off >/dev/null
fi
pg_ctlcluster "$version" "$cluster" start

# The test login: a superuser with a password, so tests connect over TCP like any client.
su postgres -c "psql -q -p $port -d postgres -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'medallion') THEN
    CREATE ROLE medallion LOGIN SUPERUSER REPLICATION PASSWORD 'medallion';
  END IF;
END $$;
SQL
echo "postgres: cluster $version/$cluster started on port $port"
