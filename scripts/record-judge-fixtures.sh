#!/usr/bin/env bash
# Record what every judge sees in a real rehearsal, as unit-test fixtures:
#   scripts/record-judge-fixtures.sh NAME [ansible-playbook args...]
# runs rehearsal.yml on the local stack with FP_RECORD_JUDGE_INPUTS set, then copies each
# phase's probes, targets and checks to tests/unit/plugins/plugin_utils/judges/fixtures/
# recorded/NAME/ (tests/unit/plugins/plugin_utils/judges/test_recorded_runs.py replays them).
# The stack must be up (scripts/stack.sh up --with-app). Refuses to keep a recording that
# contains one of the stack's passwords.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: $0 NAME [ansible-playbook args...]}; shift
[[ $NAME =~ ^[a-z0-9_-]+$ ]] || { echo "NAME: lower-case letters, digits, - and _" >&2; exit 2; }
DEST=tests/unit/plugins/plugin_utils/judges/fixtures/recorded/$NAME
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
source scripts/lib/docker-env.sh
status=0
FP_RECORD_JUDGE_INPUTS=$WORK .venv/bin/ansible-playbook rehearsal.yml -i inventories/local "$@" || status=$?
ENV_FILE=examples/football-prediction/.env.staging
for key in STAGING_DB_PASSWORD REDIS_PASSWORD; do
  secret=$(sed -n "s/^$key=//p" "$ENV_FILE" | tr -d "'\"")
  if [[ -n $secret ]] && grep -rqF -- "$secret" "$WORK"; then
    echo "record-judge-fixtures: $key appears in the recording; nothing kept" >&2
    exit 1
  fi
done
rm -rf "$DEST"; mkdir -p "$DEST"
cp "$WORK"/*.json "$DEST"/
chmod 0644 "$DEST"/*.json
echo "record-judge-fixtures: $(ls "$DEST" | wc -l) phases in $DEST (rehearsal exit $status)"
