#!/usr/bin/env bash
# Benchmarks of footballpred.rehearsal against an isolated local stack (not tests).
#
#   bench/run.sh                 full run: isolated stack up, database grown to >= 300 MiB,
#                                every benchmark, full rehearsal, table + bench/results/<ts>.json,
#                                stack torn down (down --volumes) at the end
#   bench/run.sh --keep          leave the bench stack, its images and work dir in place
#   bench/run.sh --down          tear down a kept bench stack (and its images)
#   bench/run.sh --help          every option (ports, size, repetitions, time budget)
#
# Needs the controller venv (make deps) and a Docker engine (scripts/local-engine.sh up).
# Runs from the repository root; uses only its own compose project (footballpred-bench),
# ports (28001/25433/26381/29094/25002/29091), volumes, image name and rehearsal lock.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
# shellcheck source=../scripts/lib/docker-env.sh disable=SC1091
. scripts/lib/docker-env.sh
fp_require_docker
if [ ! -x .venv/bin/python ] || [ ! -x .venv/bin/ansible-playbook ]; then
  echo "bench: no controller venv (.venv); run: make deps" >&2
  exit 1
fi
exec .venv/bin/python bench/bench.py "$@"
