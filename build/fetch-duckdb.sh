#!/usr/bin/env bash
# Makes sure the native DuckDB library for a platform (pinned in build/duckdb.version) is in the user cache and
# prints its path. Usage: fetch-duckdb.sh [rid], rid one of linux-x64 (the default), linux-arm64, osx-arm64, osx-x64,
# win-x64. The tarball comes from the npm registry through `npm pack`, its sha512 is checked against the pinned
# integrity, and only then is the library extracted. Offline once the cache holds it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source <(grep -E '^DUCKDB_NPM_[A-Z0-9_]+=' "$here/duckdb.version")

fail() {
  echo "error MDL0001: $*" >&2
  exit 1
}

rid=${1:-linux-x64}
# The .NET runtime identifier, the npm package's platform and the library's file name in that package.
case "$rid" in
  linux-x64)   platform=linux-x64    file=libduckdb.so ;;
  linux-arm64) platform=linux-arm64  file=libduckdb.so ;;
  osx-arm64)   platform=darwin-arm64 file=libduckdb.dylib ;;
  osx-x64)     platform=darwin-x64   file=libduckdb.dylib ;;
  win-x64)     platform=win32-x64    file=duckdb.dll ;;
  *) fail "no DuckDB library is pinned for platform '$rid'. Help: use one of linux-x64, linux-arm64, osx-arm64, osx-x64, win-x64." ;;
esac
package="@duckdb/node-bindings-$platform"
key="DUCKDB_NPM_SHA512_$(echo "$rid" | tr 'a-z-' 'A-Z_')"
expected=${!key:-}
[ -n "$expected" ] || fail "build/duckdb.version has no $key for $package@$DUCKDB_NPM_VERSION. Help: add the sha512 of that package's tarball (npm view $package@$DUCKDB_NPM_VERSION dist.integrity, base64) in hex."

cache_root=${MEDALLION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/medallion}
dir="$cache_root/duckdb/$DUCKDB_NPM_VERSION/$rid"
lib="$dir/$file"

if [ -f "$lib" ] && [ -f "$dir/.verified" ]; then
  echo "$lib"
  exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is not installed. The build needs it once to fetch DuckDB ($package@$DUCKDB_NPM_VERSION). Help: apt-get install npm, then build again."
command -v tar >/dev/null 2>&1 || fail "tar is not installed. Help: apt-get install tar, then build again."

mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! (cd "$work" && npm pack --silent --no-audit --no-fund "$package@$DUCKDB_NPM_VERSION" >/dev/null 2>"$work/npm.log"); then
  cat "$work/npm.log" >&2
  fail "npm pack $package@$DUCKDB_NPM_VERSION failed (see above). Help: check that the npm registry is reachable, then build again."
fi
tarball=$(ls "$work"/*.tgz)

actual=$(sha512sum "$tarball" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  fail "integrity mismatch for $package@$DUCKDB_NPM_VERSION: expected sha512 $expected, got $actual. The downloaded file is not the pinned one; nothing was installed. Help: if you changed the version on purpose, update $key in build/duckdb.version."
fi

tar -xzf "$tarball" -C "$work" "package/$file"
# Rename into place so a concurrent or interrupted build never sees half a library.
mv -f "$work/package/$file" "$lib.tmp.$$"
mv -f "$lib.tmp.$$" "$lib"
touch "$dir/.verified"
echo "$lib"
