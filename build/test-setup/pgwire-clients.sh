#!/usr/bin/env bash
# The PgWire client tests drive the endpoint with real PostgreSQL clients: the JDBC driver (with a
# JDK to compile the test program), SQLAlchemy over psycopg2, pgcli, and node-postgres. Debian
# packages are installed when missing; node-postgres goes into a cache folder the tests find through
# MEDALLION_NODE_PG (default below). Idempotent: a second run installs nothing.
set -euo pipefail

node_dir=${MEDALLION_NODE_PG:-/var/tmp/medallion-test/node-pg}
pg_version=8.13.1

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
/usr/bin/python3 -c 'import sqlalchemy' >/dev/null 2>&1 || missing+=(python3-sqlalchemy)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || missing+=(python3-psycopg2)
command -v pgcli >/dev/null 2>&1 || missing+=(pgcli)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "pgwire-clients: needs root to install ${missing[*]}" >&2
    exit 1
  fi
  echo "pgwire-clients: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "pgwire-clients: JDK, JDBC driver, SQLAlchemy, psycopg2, pgcli present"
fi

if [ -f "$node_dir/node_modules/pg/package.json" ]; then
  echo "pgwire-clients: node-postgres present in $node_dir"
else
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund --silent "pg@$pg_version" >/dev/null)
  echo "pgwire-clients: node-postgres $pg_version installed in $node_dir"
fi
