#!/usr/bin/env bash
# The main job: the full staging rehearsal against the local example stack.
# Brings up a Docker engine when none answers, builds the infrastructure images, then
# runs rehearsal.yml against inventories/local. Extra arguments go to ansible-playbook.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/local-engine.sh up)"
scripts/build-images.sh --infra-only

status=0
.venv/bin/ansible-playbook rehearsal.yml -i inventories/local "$@" || status=$?

latest_json=$(find rehearsal_results -maxdepth 1 -name 'staging_rehearsal_*.json' -printf '%T@ %p\n' 2>/dev/null \
  | sort -n | tail -n 1 | cut -d' ' -f2- || true)
if [[ -n "$latest_json" ]]; then
  verdict=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["status"])' "$latest_json" 2>/dev/null || echo unknown)
  echo "Rehearsal verdict: ${verdict}"
  echo "Report: ${latest_json%.json}.md (also .html and .json)"
else
  echo "No report was written (exit status ${status})." >&2
fi
echo "The stack keeps running; stop it with: make stack-down engine-down"
exit "$status"
