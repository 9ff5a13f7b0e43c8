#!/usr/bin/env bash
# The web UI's browser tests drive Debian's Chromium through Playwright (which cannot download its own browsers here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium fonts-liberation >/dev/null
echo "chromium: installed ($(/usr/bin/chromium --version))"
