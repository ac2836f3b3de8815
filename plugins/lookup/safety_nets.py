# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: safety_nets
short_description: Refuse command-line flags that would skip the rehearsal's safety nets
version_added: 0.2.0
description:
  - The production guard, the rehearsal lock and the automatic rollback are tasks tagged
    C(always), so they run whatever C(--tags) or C(--skip-tags) select. Three flags could
    still skip them, and this lookup refuses each, with the reason, before any task runs
    - C(--start-at-task) skips every task before the one named, the guard and the lock
      included;
    - C(--step) lets the user answer "no" to the guard or the lock;
    - C(--skip-tags) with C(always), C(all) or C(tagged) skips tasks tagged C(always).
  - Used in a play's C(hosts) keyword, which Ansible templates before the play's first task
    whatever the flags; it returns the host patterns it is given.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  _terms:
    description: The play's host patterns, returned unchanged when the flags are safe.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Deploy to staging, never without the guard and the lock
  hosts: "{{ lookup('footballpred.rehearsal.safety_nets', 'staging') }}"
  tasks: []
"""

RETURN = r"""
_raw:
  description: The host patterns given.
  type: list
  elements: str
"""

from ansible import context
from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

# Skipping any of these also skips the tasks tagged `always` (see Taggable.evaluate_tags).
TAGS_THAT_SKIP_ALWAYS = ("always", "all", "tagged")


def unsafe_flags(cli_args) -> list[str]:
    """Why the given command line would skip a safety net (empty when it would not)."""
    reasons = []
    if cli_args.get("start_at_task"):
        reasons.append("--start-at-task %r skips every task before it, the production guard and the lock included"
                       % cli_args["start_at_task"])
    if cli_args.get("step"):
        reasons.append("--step lets a run go on without the production guard or the lock")
    skipped = sorted(set(cli_args.get("skip_tags") or ()) & set(TAGS_THAT_SKIP_ALWAYS))
    if skipped:
        reasons.append("--skip-tags %s skips the tasks tagged always: the production guard, the lock, "
                       "the automatic rollback and the report" % ",".join(skipped))
    return reasons


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        reasons = unsafe_flags(context.CLIARGS)
        if reasons:
            raise AnsibleError(
                "REFUSED: nothing was run or changed. " + "; ".join(reasons) + ". Select phases with --tags or "
                "--skip-tags (the guard, the lock and the automatic rollback always run), or run one phase "
                "playbook from playbooks/.")
        return list(terms)
