#!/usr/bin/env bash
# End-to-end fault suite (tests/e2e, see tests/e2e/README.md): the real rehearsal against an
# isolated copy of the example stack (compose project footballpred-e2e, ports 38001/35433/
# 36380/39093/35001/39090, app image footballpred-e2e/app), one injected fault per scenario.
#
#   scripts/e2e.sh                  every scenario (about 19-25 minutes on 2 cores)
#   scripts/e2e.sh --fast           the CI subset: preflight-level faults, the secret scan and
#                                   one deploy fault (about 6 minutes; budget 10)
#   scripts/e2e.sh [--fast] ARGS    extra pytest arguments, e.g. -k migration
#
# Needs the Docker engine (scripts/local-engine.sh up), the infra images
# (scripts/build-images.sh --infra-only) and the app wheelhouse (scripts/build-wheelhouse.sh),
# all of which `make rehearsal` or `make test` provide. The stack it starts is taken down
# with its volumes at the end, whatever the outcome. Environment: FP_E2E_WORK (work dir,
# default /var/tmp/fp-e2e/<stamp>), FP_E2E_KEEP=1 (keep the e2e image tags), FP_E2E_PORT_BASE
# (default 30000), FP_E2E_PROJECT (compose project and app image, default footballpred-e2e),
# FP_TEST_RESULTS (junit dir, default tests/output/junit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

fast=0
pytest_args=()
for arg in "$@"; do
  case $arg in
    --fast) fast=1 ;;
    -h | --help) usage ;;
    *) pytest_args+=("$arg") ;;
  esac
done

if [[ ! -x $ROOT/.venv/bin/python ]]; then
  make deps
fi

# shellcheck source=lib/docker-env.sh disable=SC1091
. "$ROOT/scripts/lib/docker-env.sh"
fp_require_docker

missing=()
for image in footballpred/postgres:15 footballpred/redis:7 footballpred/kafka:tansu \
  footballpred/mlflow:local footballpred/prometheus:local; do
  docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if ((${#missing[@]} > 0)); then
  echo "e2e: infra images missing: ${missing[*]} (run scripts/build-images.sh --infra-only)" >&2
  exit 1
fi
if [[ ! -d $ROOT/examples/football-prediction/.wheelhouse ]]; then
  echo "e2e: examples/football-prediction/.wheelhouse is missing (run scripts/build-wheelhouse.sh" \
    "examples/football-prediction/requirements.txt examples/football-prediction/.wheelhouse)" >&2
  exit 1
fi

export FP_E2E=1
selection=()
if ((fast)); then
  export FP_E2E_FAST=1
  selection=(-m fast)
fi
results=${FP_TEST_RESULTS:-$ROOT/tests/output/junit}
mkdir -p "$results"

exec "$ROOT/.venv/bin/python" -m pytest tests/e2e -p no:cacheprovider -v -rA --durations=0 \
  --capture=tee-sys --timeout 5400 --junitxml="$results/e2e$( ((fast)) && echo -fast).xml" \
  "${selection[@]}" "${pytest_args[@]}"
