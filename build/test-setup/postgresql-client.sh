#!/usr/bin/env bash
# The PgWire tests drive the endpoint with psql: install the PostgreSQL client if it is missing.
set -euo pipefail
if command -v psql >/dev/null 2>&1; then
  echo "postgresql-client: psql present ($(psql --version))"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql-client >/dev/null
echo "postgresql-client: installed ($(psql --version))"
