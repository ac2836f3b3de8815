#!/usr/bin/env bash
# The sha256 of the files under the given paths (relative to the working directory), in a
# fixed order, *.pyc and __pycache__ left out: what the deploy's plan compares with the
# source label of staging-latest (roles/deploy/tasks/plan.yml).
#
#   hash-source.sh PATH...
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 PATH..." >&2; exit 2; }
find "$@" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
