#!/usr/bin/env bash
# The main job: the full staging rehearsal against the local example stack.
#
# A rehearsal is an upgrade: it deploys release N over the release in service. So the
# staging system must exist first. This script brings up a Docker engine when none
# answers and builds the infrastructure images, then looks at the stack:
#   - running (db and app up): rehearse against it as it is;
#   - stopped, its data kept: start it again as it was (scripts/stack.sh up --with-app);
#   - absent (no containers, no database volume): establish a baseline release first -
#     the app built from this source as version <VERSION>-baseline (N-1), migrated and
#     seeded with the match history, its model trained and registered - and say so.
# Then it runs rehearsal.yml against inventories/local, which builds and deploys N.
# Extra arguments go to ansible-playbook. Works from any directory, in any path.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly PROJECT=football-prediction-staging
readonly EXAMPLE_DIR=examples/football-prediction

log() { printf 'rehearse-local: %s\n' "$*" >&2; }

eval "$(scripts/local-engine.sh up)"
scripts/build-images.sh --infra-only

running_services() {
  docker ps --filter "label=com.docker.compose.project=$PROJECT" --filter status=running \
    --format '{{ .Label "com.docker.compose.service" }}'
}

database_volume() {
  docker volume ls --quiet --filter "label=com.docker.compose.project=$PROJECT" \
    --filter label=com.docker.compose.volume=db-data
}

establish_baseline() {
  local version
  version="$(tr -d '[:space:]' <"$EXAMPLE_DIR/VERSION")-baseline"
  log "no staging system exists yet (no $PROJECT containers, no database volume)."
  log "establishing the baseline release N-1 first: the app as version $version, migrated,"
  log "seeded with the match history, its model registered; the rehearsal then deploys N over it."
  APP_VERSION=$version scripts/build-images.sh --app-only >/dev/null
  scripts/stack.sh up --with-app >/dev/null
  log "baseline release $version is in service"
}

services=$(running_services)
if grep -qx db <<<"$services" && grep -qx app <<<"$services"; then
  log "the staging system is running: rehearsing the upgrade from the release in service"
elif [[ -n $(database_volume) ]]; then
  log "the staging system is stopped (its data is kept): starting it again as it was"
  scripts/stack.sh up --with-app >/dev/null
else
  establish_baseline
fi

status=0
.venv/bin/ansible-playbook rehearsal.yml -i inventories/local "$@" || status=$?

latest_json=$(find rehearsal_results -maxdepth 1 -name 'staging_rehearsal_*.json' -printf '%T@ %p\n' 2>/dev/null \
  | sort -n | tail -n 1 | cut -d' ' -f2- || true)
if [[ -n "$latest_json" ]]; then
  verdict=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["status"])' "$latest_json" 2>/dev/null || echo unknown)
  echo "Rehearsal verdict: ${verdict}"
  echo "Report: $PWD/${latest_json%.json}.md (also .html and .json)"
else
  echo "No report was written (exit status ${status})." >&2
fi
echo "The stack keeps running; stop it with: make stack-down engine-down"
exit "$status"
