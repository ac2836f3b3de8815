# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_lines, check_details: a phase's checks as a role shows them after recording it."""

from __future__ import annotations


def check_lines(checks):
    """``status | name | value`` for every check, in order."""
    return [" | ".join(str(item.get(key)) for key in ("status", "name", "value")) for item in checks or []]


def check_details(checks):
    """``name: detail`` of every check, joined by ``; `` (the failed ones, in a failure message)."""
    return "; ".join(f"{item.get('name')}: {item.get('detail')}" for item in checks or [])


class FilterModule:
    """Showing checks."""

    def filters(self):
        return {"check_lines": check_lines, "check_details": check_details}
