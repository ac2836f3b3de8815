#!/usr/bin/env bash
# The test command (README): scripts/test.sh [all|unit|static|integration|first-run|e2e|remote]
#   unit         collection unit tests (modules, filters) and the example app's unit tests
#   static       ansible-lint --profile production, ansible-test sanity, packaging (the built
#                tarball through galaxy-importer and ansible-builder, scripts/check-packaging.sh)
#   integration  real stack in Docker: first the README's main command as a newcomer runs
#                it (first-run), then the modules, the roles in the runbook's order, every
#                molecule scenario, and the fast subset of the fault-injection suite
#                (scripts/e2e.sh --fast)
#   first-run    only that: `make rehearsal` from a clone in a path with a space, started
#                from another directory, after the stack, its volumes and app images are removed
#   e2e          only that fault subset (the full suite: scripts/e2e.sh)
#   remote       only the remote-target tests over SSH (scripts/test-remote.sh; they are part
#                of the fast subset, so `integration` and `all` run them too)
# A Docker engine is started only when none answers, and stopped again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=${1:-all}
RESULTS_DIR=${FP_TEST_RESULTS:-$ROOT/tests/output/junit}
rm -rf "$RESULTS_DIR"; mkdir -p "$RESULTS_DIR"
PY=$ROOT/.venv/bin/python

log() { printf '\n==> %s\n' "$*"; }

run_pytest() {  # name, pytest args...
  local name=$1; shift
  "$PY" -m pytest -p no:cacheprovider --junitxml="$RESULTS_DIR/$name.xml" "$@"
}

unit_tests() {
  log "Unit tests: collection"
  run_pytest collection-unit tests/unit -q
  log "Unit tests: example app"
  local app_venv=$ROOT/.venv-app app=examples/football-prediction
  if [[ ! -f $app_venv/.deps-stamp || $app/requirements.txt -nt $app_venv/.deps-stamp ]]; then
    python3 -m venv "$app_venv"
    "$app_venv/bin/pip" install --quiet -r "$app/requirements.txt" pytest==9.0.3
    touch "$app_venv/.deps-stamp"
  fi
  (cd "$app" && "$app_venv/bin/python" -m pytest -p no:cacheprovider -q \
     --junitxml="$RESULTS_DIR/app-unit.xml" tests)
}

static_checks() {
  log "ansible-lint --profile production"
  "$ROOT/.venv/bin/ansible-lint" --profile production
  log "ansible-test sanity"
  scripts/sanity.sh
  log "Packaging: tarball contents, galaxy-importer, ansible-builder introspect (tests/packaging)"
  local started=$SECONDS
  run_pytest packaging -q --timeout 1200 tests/packaging
  echo "packaging checks: $((SECONDS - started)) s"
}

STARTED_ENGINE=0
stop_what_we_started() {
  if [[ $STARTED_ENGINE == 1 ]]; then
    log "Stopping the stack and the engine this run started"
    scripts/stack.sh down --volumes || true
    scripts/local-engine.sh down || true
  fi
}

integration_tests() {
  if ! docker info >/dev/null 2>&1 && ! scripts/local-engine.sh status >/dev/null 2>&1; then
    STARTED_ENGINE=1
    trap stop_what_we_started EXIT
  fi
  log "System packages"
  scripts/install-system-deps.sh
  log "Docker engine"
  eval "$(scripts/local-engine.sh up)"
  first_run
  log "Images"
  scripts/build-images.sh
  log "Stack up (infra, migrations, model, app)"
  scripts/stack.sh up --with-app
  log "Integration tests against the real stack"
  # In the runbook's order: deploy twice (so a previous release exists), backup and checks,
  # load test and rollback drills, then the report.
  FP_REQUIRE_STACK=1 run_pytest integration -q --timeout 1800 \
    tests/integration/modules \
    tests/integration/roles/test_preflight_deploy.py \
    tests/integration/roles/test_backup_health_functional.py \
    tests/integration/roles/test_load_rollback.py \
    tests/integration/roles/test_report.py
  log "Molecule: every scenario of extensions/molecule (molecule test -s NAME)"
  FP_REQUIRE_STACK=1 run_pytest molecule -q --timeout 1800 tests/integration/test_molecule.py
  e2e_tests
}

first_run() {
  log "First run: make rehearsal from a clone in a path with a space, no stack, no volumes, no app images"
  FP_FIRST_RUN=1 run_pytest first-run -q -s --timeout 2700 tests/first_run
}

e2e_tests() {
  log "Fault-injection suite, fast subset (isolated stack footballpred-e2e; full set: scripts/e2e.sh)"
  FP_TEST_RESULTS=$RESULTS_DIR scripts/e2e.sh --fast
}

remote_tests() {
  log "Remote target over SSH (tests/e2e/test_remote_target.py, isolated stack)"
  FP_TEST_RESULTS=$RESULTS_DIR scripts/test-remote.sh
}

summary() {
  "$PY" - "$RESULTS_DIR" <<'PYEOF'
import glob, sys, xml.etree.ElementTree as ET
totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in glob.glob(f"{sys.argv[1]}/*.xml"):
    root = ET.parse(path).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.findall("testsuite")):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"Summary: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PYEOF
}

case $STAGE in
  unit) unit_tests ;;
  static) static_checks ;;
  integration) integration_tests ;;
  e2e) e2e_tests ;;
  first-run) eval "$(scripts/local-engine.sh up)"; first_run ;;
  remote) remote_tests ;;
  all) unit_tests; static_checks; integration_tests ;;
  *) echo "usage: $0 [all|unit|static|integration|first-run|e2e|remote]" >&2; exit 2 ;;
esac
summary
