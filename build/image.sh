#!/usr/bin/env bash
# Builds the container image without a Docker daemon: buildah, from scratch, with the linux-x64 release
# (build/release.sh) on a minimal root made of Debian packages: the C and C++ runtime libraries, ICU (culture-aware
# formatting, the pt-BR UI), OpenSSL (TLS, object stores), CA certificates and tzdata, and nothing else: no shell, no
# package manager, no .NET SDK. It runs as the non-root user medallion (10001), serves /data, and starts
# `medallion server`.
#
#   build/image.sh [version] [--tag name]
#
# version defaults to the <Version> in Directory.Build.props; the release archive is built if missing. The image is
# tagged medallion:<version> (or --tag) in buildah's local storage and, with MEDALLION_IMAGE_ARCHIVE=file.tar, also
# written as an OCI archive that `podman load` / `docker load` read. MEDALLION_SOURCE_URL names the repository for the
# org.opencontainers.image.source label (default: the git remote origin). Needs root (or `buildah unshare`).
# BUILDAH_STORAGE_DRIVER picks buildah's storage driver: vfs by default, which works where overlay does not.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

fail() {
  echo "image.sh: $*" >&2
  exit 1
}

version=""
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) [ $# -ge 2 ] || fail "--tag needs a name"; tag=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option $1. Help: build/image.sh --help" ;;
    *) version=$1; shift ;;
  esac
done
[ -n "$version" ] || version=$(grep -oP '(?<=<Version>)[^<]+' "$root/Directory.Build.props")
[ -n "$tag" ] || tag="medallion:$version"

for tool in buildah dpkg dpkg-query apt-get; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed. Help: apt-get install buildah (build/test-setup/buildah.sh), then run again."
done
[ "$(dpkg --print-architecture)" = amd64 ] || fail "the image carries the linux-x64 release and this machine's amd64 Debian packages; build it on an amd64 Debian machine"

release="$root/artifacts/release/$version"
archive="$release/medallion-$version-linux-x64.tar.gz"
[ -f "$archive" ] || "$root/build/release.sh" "$version" --platform linux-x64

# The unpacked release and the Debian packages stay in the build tree beside the release, not in the temporary
# folder: they take some 400 MB, which a small /tmp (a tmpfs) may not have, where the build tree just held the release.
mkdir -p "$root/artifacts/image"
work=$(mktemp -d "$root/artifacts/image/work.XXXXXX")
storage=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
container=""
cleanup() {
  if [ -n "$container" ]; then
    buildah "${storage[@]}" umount "$container" >/dev/null 2>&1 || true
    buildah "${storage[@]}" rm "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

tar -xzf "$archive" -C "$work" ||
  fail "unpacking $archive into $work failed; space left there: $(df -h --output=avail "$work" | tail -1 | tr -d ' ')"
app="$work/medallion-$version-linux-x64"
[ -x "$app/medallion" ] || fail "$archive holds no medallion binary"

# The packages of the libraries the binary and its native libraries link to (ldd), and of those .NET opens at run
# time by name (ICU for globalization, OpenSSL for TLS and hashing), as this machine has them installed.
opened=$(ls /usr/lib/x86_64-linux-gnu/libicuuc.so.[0-9]* /usr/lib/x86_64-linux-gnu/libicui18n.so.[0-9]* \
  /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3) ||
  fail "this machine lacks ICU or OpenSSL 3. Help: apt-get install libicu-dev libssl3 (or your release's ICU), then run again."
libraries=$(
  for elf in "$app"/medallion "$app"/*.so $opened; do ldd "$elf"; done |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
  echo "$opened"
)
packages=$(
  for library in $libraries; do
    # dpkg knows a file by the path its package installed, which on a merged-/usr machine may be under /lib.
    real=$(readlink -f "$library")
    dpkg -S "$library" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null ||
      fail "no Debian package installs $library"
  done | cut -d: -f1 | sort -u
)
# Certificates and time zones complete the list.
packages=$(printf '%s\n' $packages ca-certificates tzdata | sort -u)
debs="$work/debs"
mkdir -p "$debs"
# apt downloads as its own user where it can.
if id _apt >/dev/null 2>&1; then
  chmod 755 "$work" && chown _apt "$debs"
fi
for package in $packages; do
  installed=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) || fail "$package is not installed here. Help: apt-get install $package"
  # The version this machine runs (and tested the release with); when the archive no longer has it, its current one.
  if ! (cd "$debs" && apt-get download -qq "$package=$installed" >/dev/null 2>&1); then
    (cd "$debs" && apt-get download -qq "$package" >/dev/null) ||
      fail "apt-get download $package failed. Help: apt-get update, then run again."
    echo "image.sh: $package $installed is no longer in the package archive; the image has $(dpkg-deb -f "$debs/${package}"_*.deb Version)" >&2
  fi
done

container=$(buildah "${storage[@]}" from --quiet scratch)
rootfs=$(buildah "${storage[@]}" mount "$container")
for deb in "$debs"/*.deb; do
  dpkg -x "$deb" "$rootfs"
done
# dpkg -x runs no maintainer scripts: make the certificate bundle as update-ca-certificates would (every
# certificate the package ships), and give OpenSSL's default paths, which its openssl package links, to it.
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/lib/ssl"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' | sort | xargs cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
ln -sfn /etc/ssl/certs "$rootfs/usr/lib/ssl/certs"
ln -sfn /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/lib/ssl/cert.pem"
ln -sfn /usr/share/zoneinfo/Etc/UTC "$rootfs/etc/localtime"
# What a program that runs without a shell never reads: documentation, manual pages, iconv's converters, the
# certificate package's update script.
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/lintian" "$rootfs/usr/share/info" \
  "$rootfs/usr/lib/x86_64-linux-gnu/gconv" "$rootfs/usr/sbin" "$rootfs/etc/ca-certificates" "$rootfs/usr/share/bug"

# The user, its home, the project volume and a temporary folder (HOME and /tmp may be volumes of their own where the
# root filesystem is read-only).
mkdir -p "$rootfs/etc" "$rootfs/data" "$rootfs/home/medallion" "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys"
printf 'root:x:0:0:root:/root:/sbin/nologin\nmedallion:x:10001:10001:Medallion:/home/medallion:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nmedallion:x:10001:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
chown 10001:10001 "$rootfs/data" "$rootfs/home/medallion"
chmod 1777 "$rootfs/tmp"

mkdir -p "$rootfs/opt/medallion"
cp -a "$app"/. "$rootfs/opt/medallion/"
# Of the release's two librdkafka builds Debian can load only centos8-, which needs no libsasl2: the other
# needs libsasl2.so.3, which Debian names libsasl2.so.2, and Confluent.Kafka falls back past it. It would be 12 MB of
# nothing in every pull.
rm -f "$rootfs/opt/medallion/librdkafka.so"
chown -R 0:0 "$rootfs/opt/medallion"

# The commit the binary was built from, as it reports it.
revision=$("$app/medallion" --version | sed -n 's/^commit: //p')
source_url=${MEDALLION_SOURCE_URL:-$(git -C "$root" remote get-url origin 2>/dev/null || true)}
labels=(
  --label "org.opencontainers.image.title=Medallion"
  --label "org.opencontainers.image.description=A data lakehouse in one program: ingestion, Delta Lake tables, SQL models, quality, lineage, serving"
  --label "org.opencontainers.image.version=$version"
  --label "org.opencontainers.image.revision=$revision"
)
if [ -n "$source_url" ]; then
  labels+=(--label "org.opencontainers.image.source=$source_url")
else
  echo "image.sh: no MEDALLION_SOURCE_URL and no git remote: the image has no org.opencontainers.image.source label" >&2
fi

# The server reads each option from MEDALLION_<OPTION> when the command line does not give it: these defaults make
# the container listen on every interface and serve the project in the /data volume.
buildah "${storage[@]}" config \
  --user 10001:10001 \
  --workingdir /data \
  --volume /data \
  --port 8080/tcp --port 5433/tcp \
  --env PATH=/opt/medallion:/usr/bin:/bin \
  --env HOME=/home/medallion \
  --env MEDALLION_PROJECT=/data \
  --env MEDALLION_HOST=0.0.0.0 \
  --env MEDALLION_HTTP_PORT=8080 \
  --env MEDALLION_PG_PORT=5433 \
  --entrypoint '["/opt/medallion/medallion", "server"]' \
  --cmd '[]' \
  "${labels[@]}" \
  "$container"

buildah "${storage[@]}" umount "$container" >/dev/null
buildah "${storage[@]}" commit --quiet --rm "$container" "$tag" >/dev/null
container=""
if [ -n "${MEDALLION_IMAGE_ARCHIVE:-}" ]; then
  rm -f "$MEDALLION_IMAGE_ARCHIVE"
  buildah "${storage[@]}" push --quiet "$tag" "oci-archive:$MEDALLION_IMAGE_ARCHIVE:$tag"
fi
size=$(buildah "${storage[@]}" images --format '{{.Size}}' "$tag" | head -1)
echo "image.sh: built $tag ($size)" >&2
