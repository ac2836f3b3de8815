#!/usr/bin/env bash
# The sha256 of the files under the given paths (relative to DIR), in a fixed order, *.pyc
# and __pycache__ left out: what the deploy's plan compares with the source label of
# staging-latest (roles/deploy/tasks/plan.yml).
#
#   hash-source.sh DIR PATH...
# DIR is an argument, not the task's chdir: ansible.builtin.script does not quote its chdir,
# so a project directory with a space in its path would break it.
set -euo pipefail
[ "$#" -gt 1 ] || { echo "usage: $0 DIR PATH..." >&2; exit 2; }
cd "$1"
shift
find "$@" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
