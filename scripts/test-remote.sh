#!/usr/bin/env bash
# make test-remote: the rehearsal against a remote target over SSH (tests/e2e/test_remote_target.py).
#
# On an isolated copy of the stack (the e2e harness: releases 1 and 2 deployed first), a
# throw-away sshd on 127.0.0.1:<FP_E2E_PORT_BASE + 2222> (own config, host key and client key
# in the work dir, stopped by PID; the system's sshd and /etc/ssh are never touched) lets the
# non-root user `fprehearse` (created when missing, passwordless sudo in
# /etc/sudoers.d/fprehearse-footballpred) in; its Python is Debian's /usr/bin/python3:
#   1. preflight with that system Python fails in preflight, naming each missing library,
#      before any change;
#   2. playbooks/prepare_target.yml over SSH (become) makes /opt/footballpred-rehearsal/venv;
#      a second run changes nothing, --check changes nothing;
#   3. the full rehearsal over SSH with become, ansible_python_interpreter = that venv:
#      verdict passed or warned, every phase passed or warned.
# `make test` runs the same tests in its e2e fast session (they are marked fast).
#
# Needs root (user, sudoers drop-in, packages). Installs openssh-server, sudo and python3-venv
# when missing (scripts/install-system-deps.sh), starts the Docker engine when none answers.
# Environment: as scripts/e2e.sh (FP_E2E_PROJECT, FP_E2E_PORT_BASE, FP_E2E_WORK, FP_TEST_RESULTS).
# Takes about 8-10 minutes on 2 cores (most of it the two baseline deploys and the full run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "test-remote: needs root (creates the user fprehearse and its sudoers drop-in)" >&2
  exit 2
fi
scripts/install-system-deps.sh
eval "$(scripts/local-engine.sh up)"
for image in footballpred/postgres:15 footballpred/redis:7 footballpred/kafka:tansu \
  footballpred/mlflow:local footballpred/prometheus:local; do
  docker image inspect "$image" >/dev/null 2>&1 || { scripts/build-images.sh --infra-only; break; }
done
[[ -d examples/football-prediction/.wheelhouse ]] ||
  scripts/build-wheelhouse.sh examples/football-prediction/requirements.txt examples/football-prediction/.wheelhouse
exec scripts/e2e.sh --fast -k test_remote_target "$@"
