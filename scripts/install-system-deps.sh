#!/usr/bin/env bash
# Debian packages the tests use beyond the Docker engine (scripts/local-engine.sh installs
# that): chromium renders the HTML report, apache2-utils brings ab for the load test's
# baseline; openssh-server (sshd, started only by tests/e2e/test_remote_target.py on a port of
# its own, never as the system service), sudo and python3-venv make this machine a remote
# target for `make test-remote`. Installs only what is missing; needs root (or does nothing
# and says so).
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v ab >/dev/null || missing+=(apache2-utils)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
[[ -x /usr/bin/sudo ]] || missing+=(sudo)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-deps: not root, please install: ${missing[*]}" >&2
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A policy-rc.d (exit 101, Debian's way) keeps the postinst of openssh-server from enabling
# a system sshd on port 22; it is removed again unless it was there before.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# install-system-deps.sh: no service starts during this install\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  own_policy=1
  trap '[[ $own_policy == 1 ]] && rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
