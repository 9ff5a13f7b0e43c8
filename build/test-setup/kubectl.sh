#!/usr/bin/env bash
# The deployment tests render the Kustomize overlays with `kubectl kustomize` (Kustomize 5: components, labels) and
# check the systemd unit with `systemd-analyze verify`. Both are installed from the machine's apt sources when missing;
# Debian's own kubernetes-client (1.20) is too old, so kubectl comes from Kubernetes' or Google Cloud's repository.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null; then
    echo "kubectl.sh: could not install ${missing[*]}; add Kubernetes' apt repository (https://pkgs.k8s.io) for kubectl" >&2
    exit 1
  fi
fi
if ! kubectl kustomize --help >/dev/null 2>&1; then
  echo "kubectl.sh: $(command -v kubectl) has no 'kustomize' subcommand; Kustomize 5 needs kubectl 1.27 or newer" >&2
  exit 1
fi
echo "kubectl: $(kubectl version --client 2>/dev/null | grep -i kustomize || echo present), systemd-analyze: present"
