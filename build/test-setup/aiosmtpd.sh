#!/usr/bin/env bash
# The e-mail alert tests deliver to a real SMTP server (STARTTLS and AUTH LOGIN): aiosmtpd from Debian's packages.
# Debian installs it for the system Python, /usr/bin/python3, which the tests run (a python3 earlier on PATH may lack it).
set -euo pipefail
if /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "aiosmtpd: present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive

apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-aiosmtpd >/dev/null
echo "aiosmtpd: installed"
