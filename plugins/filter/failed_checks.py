# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""failed_checks: the failed checks of a recorded phase, as one sentence per check."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def failed_checks(checks) -> str:
    """``name: value (target: target); detail.`` for each failed check, joined by spaces."""
    if not isinstance(checks, list):
        raise AnsibleFilterError("failed_checks: expects the list of checks of a recorded phase")
    sentences = []
    for item in checks:
        if isinstance(item, dict) and item.get("status") == "failed":
            detail = f"; {item['detail']}" if item.get("detail") else ""
            sentences.append(f"{item.get('name')}: {item.get('value')} (target: {item.get('target')}){detail}.")
    return " ".join(sentences)


class FilterModule:
    """What failed in a phase, for the task that stops the play."""

    def filters(self):
        return {"failed_checks": failed_checks}
