#!/usr/bin/env bash
# Makes sure libduckdb.so (pinned in build/duckdb.version) is in the user cache and prints its path.
# The tarball comes from the npm registry through `npm pack`, its sha512 is checked against the
# pinned integrity, and only then is the library extracted. Offline once the cache holds it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source <(grep -E '^DUCKDB_NPM_[A-Z0-9]+=' "$here/duckdb.version")

cache_root=${MEDALLION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/medallion}
dir="$cache_root/duckdb/$DUCKDB_NPM_VERSION"
lib="$dir/libduckdb.so"

if [ -f "$lib" ] && [ -f "$dir/.verified" ]; then
  echo "$lib"
  exit 0
fi

fail() {
  echo "error MDL0001: $*" >&2
  exit 1
}

command -v npm >/dev/null 2>&1 || fail "npm is not installed. The build needs it once to fetch DuckDB ($DUCKDB_NPM_PACKAGE@$DUCKDB_NPM_VERSION). Help: apt-get install npm, then build again."
command -v tar >/dev/null 2>&1 || fail "tar is not installed. Help: apt-get install tar, then build again."

mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! (cd "$work" && npm pack --silent --no-audit --no-fund "$DUCKDB_NPM_PACKAGE@$DUCKDB_NPM_VERSION" >/dev/null 2>"$work/npm.log"); then
  cat "$work/npm.log" >&2
  fail "npm pack $DUCKDB_NPM_PACKAGE@$DUCKDB_NPM_VERSION failed (see above). Help: check that the npm registry is reachable, then build again."
fi
tarball=$(ls "$work"/*.tgz)

expected=$DUCKDB_NPM_SHA512
actual=$(sha512sum "$tarball" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  fail "integrity mismatch for $DUCKDB_NPM_PACKAGE@$DUCKDB_NPM_VERSION: expected sha512 $expected, got $actual. The downloaded file is not the pinned one; nothing was installed. Help: if you changed the version on purpose, update DUCKDB_NPM_SHA512 in build/duckdb.version."
fi

tar -xzf "$tarball" -C "$work" package/libduckdb.so
# Rename into place so a concurrent or interrupted build never sees half a library.
mv -f "$work/package/libduckdb.so" "$lib.tmp.$$"
mv -f "$lib.tmp.$$" "$lib"
touch "$dir/.verified"
echo "$lib"
