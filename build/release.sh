#!/usr/bin/env bash
# Builds the release archives: for each platform, a self-contained single-file `medallion` with its own .NET runtime
# and, beside it, the native libraries it loads (DuckDB from build/duckdb.version, SQLite, librdkafka), packed as
# medallion-<version>-<rid>.tar.gz (.zip for Windows) with a top folder, plus SHA256SUMS over the archives.
#
#   build/release.sh [version] [--platform rid]...
#
# version defaults to the <Version> in Directory.Build.props; without --platform every platform is built
# (linux-x64, linux-arm64, osx-arm64, osx-x64, win-x64). Output: artifacts/release/<version>/. The runtime patch every
# platform ships is pinned in src/Medallion.Cli/Medallion.Cli.csproj. SOURCE_DATE_EPOCH, when set, is the build date.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
all_platforms=(linux-x64 linux-arm64 osx-arm64 osx-x64 win-x64)

fail() {
  echo "release.sh: $*" >&2
  exit 1
}

version=""
platforms=()
while [ $# -gt 0 ]; do
  case "$1" in
    --platform) [ $# -ge 2 ] || fail "--platform needs a runtime identifier (${all_platforms[*]})"; platforms+=("$2"); shift 2 ;;
    --platform=*) platforms+=("${1#--platform=}"); shift ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option $1. Help: build/release.sh --help" ;;
    *) [ -z "$version" ] || fail "one version only (got '$version' and '$1')"; version=$1; shift ;;
  esac
done
[ ${#platforms[@]} -gt 0 ] || platforms=("${all_platforms[@]}")
for rid in "${platforms[@]}"; do
  [[ " ${all_platforms[*]} " == *" $rid "* ]] || fail "no release is built for '$rid'. Help: use one of ${all_platforms[*]}."
done
if [ -z "$version" ]; then
  version=$(grep -oP '(?<=<Version>)[^<]+' "$root/Directory.Build.props")
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || fail "'$version' is not a version like 1.2.3 or 1.2.3-rc.1"

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  built=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fi

out="$root/artifacts/release/$version"
stage="$out/stage"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

for rid in "${platforms[@]}"; do
  name="medallion-$version-$rid"
  dir="$stage/$name"
  rm -rf "$dir"
  echo "release.sh: building $name" >&2
  log="$out/$name.build.log"
  # Single file without self-extraction: the managed code runs from the bundle and the native libraries load from
  # beside it, so nothing is written at start (a read-only root filesystem is fine). ReadyToRun: short commands do
  # not wait on the JIT. Symbols are embedded so that a bug report's stack trace has line numbers.
  # The ReadyToRun compiler skips an assembly whose output is newer than its input, even when that output was built
  # in another mode (a composite image's stub, from an older release): start it from nothing.
  rm -rf "$root/artifacts/obj/Medallion.Cli/Release/net10.0/$rid/R2R"
  if ! dotnet publish "$root/src/Medallion.Cli/Medallion.Cli.csproj" -c Release -r "$rid" --self-contained true \
      -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false -p:PublishReadyToRun=true \
      -p:DebugType=embedded -p:PublishDocumentationFiles=false -p:Version="$version" -p:MedallionBuildDate="$built" -p:DuckDbRuntimeIdentifier="$rid" \
      -o "$dir" -nologo -v quiet -p:GenerateFullPaths=true >"$log" 2>&1; then
    grep -E ': (error|warning) ' "$log" | sort -u >&2 || cat "$log" >&2
    fail "the build of $name failed; full log in $log"
  fi

  # The DuckDB beside the binary must be the pinned one for this platform, byte for byte, and the only one.
  pinned=$(bash "$root/build/fetch-duckdb.sh" "$rid")
  shipped="$dir/$(basename "$pinned")"
  cmp -s "$pinned" "$shipped" || fail "$name does not carry the pinned DuckDB library ($pinned); see $log"
  for other in libduckdb.so libduckdb.dylib duckdb.dll; do
    [ "$other" = "$(basename "$pinned")" ] || [ ! -e "$dir/$other" ] || fail "$name carries another platform's DuckDB ($other)"
  done
  # librdkafka comes in builds for musl (Alpine), which a glibc release cannot run on, and for glibc with and without
  # libsasl2 (Confluent.Kafka falls back to the latter, named centos8-, where libsasl2 is missing).
  rm -f "$dir"/*.pdb "$dir"/*.dbg "$dir"/alpine-librdkafka.so
  cp "$root/README.md" "$dir/"
  [ ! -f "$root/LICENSE" ] || cp "$root/LICENSE" "$dir/"

  rm -f "$out/$name.tar.gz" "$out/$name.zip"
  if [ "${rid%%-*}" = win ]; then
    command -v zip >/dev/null 2>&1 || fail "zip is not installed. Help: apt-get install zip, then run again."
    (cd "$stage" && zip -qrX "$out/$name.zip" "$name")
  else
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$(date -u -d "$built" +%s)" \
      -czf "$out/$name.tar.gz" "$name"
  fi
  rm -f "$log"
done

# One sums file over every archive of this version, as `sha256sum -c SHA256SUMS` checks it.
shopt -s nullglob
cd "$out"
archives=(*.tar.gz *.zip)
sha256sum -- "${archives[@]}" > SHA256SUMS
echo "release.sh: ${#archives[@]} archive(s) in $out" >&2
for archive in "${archives[@]}"; do
  echo "  $archive $(stat -c %s "$archive") bytes" >&2
done
