#!/usr/bin/env bash
# The metrics tests scrape the server with a real Prometheus: install Debian's package if the binary is
# missing. The tests start their own instance (temporary config and data directory, a free port); the
# service Debian starts after installing listens on the default port and is not needed, so it is stopped
# and disabled. Idempotent: an installed binary is left alone.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: present ($(prometheus --version 2>&1 | head -1))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "prometheus: needs root to install Debian's prometheus package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus >/dev/null
# Without systemd the package's init script may have started it; with systemd the unit did.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/prometheus ]; then
  /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
echo "prometheus: installed ($(prometheus --version 2>&1 | head -1))"
