#!/usr/bin/env bash
# The image tests build the container image with buildah (no Docker daemon) and look inside it with `buildah mount`:
# install Debian's package if the binary is missing. build/image.sh also needs dpkg and apt-get download, which every
# Debian machine has. Idempotent: an installed binary is left alone.
set -euo pipefail
if command -v buildah >/dev/null 2>&1; then
  echo "buildah: present ($(buildah --version))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "buildah: needs root to install Debian's buildah package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends buildah >/dev/null
echo "buildah: installed ($(buildah --version))"
