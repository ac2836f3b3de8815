#!/usr/bin/env bash
# Debian packages the tests use beyond the Docker engine (scripts/local-engine.sh installs
# that): chromium renders the HTML report, apache2-utils brings ab for the load test's
# baseline. Installs only what is missing; needs root (or does nothing and says so).
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v ab >/dev/null || missing+=(apache2-utils)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-deps: not root, please install: ${missing[*]}" >&2
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
