#!/usr/bin/env bash
# Deploy the staging release: a thin wrapper around the rehearsal collection's deploy
# playbook (guard, lock, build + tag, ordered and gated start, log scan).
#
#   scripts/deploy-staging.sh [ansible-playbook options...]
#   e.g. scripts/deploy-staging.sh -i inventories/staging --ask-vault-pass -e deploy_app_version=1.1.0
#
# FP_COLLECTION_ROOT: checkout of footballpred.rehearsal (default: three levels up, i.e.
# the repository this example lives in). ANSIBLE_PLAYBOOK: the ansible-playbook to use
# (default: the checkout's .venv, else the one on PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${FP_COLLECTION_ROOT:-$(cd "$here/../../.." && pwd)}
[ -f "$root/playbooks/deploy.yml" ] || { echo "deploy-staging: no playbooks/deploy.yml under $root (set FP_COLLECTION_ROOT)" >&2; exit 2; }
playbook_cmd=${ANSIBLE_PLAYBOOK:-}
if [ -z "$playbook_cmd" ]; then
  if [ -x "$root/.venv/bin/ansible-playbook" ]; then playbook_cmd=$root/.venv/bin/ansible-playbook; else playbook_cmd=ansible-playbook; fi
fi
if [ -f "$root/scripts/lib/docker-env.sh" ]; then
  # shellcheck source=/dev/null
  . "$root/scripts/lib/docker-env.sh"
fi
cd "$root"
exec "$playbook_cmd" playbooks/deploy.yml "$@"
