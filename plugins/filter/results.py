# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the shared rehearsal results: plugin_utils/checks.py holds the rules."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import checks


def _parse_time(value):
    """An ISO 8601 time (naive is UTC); AnsibleFilterError when it is not one."""
    try:
        return checks.parse_time(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"not an ISO 8601 time: {value!r}") from exc


def elapsed_seconds(started_at: str, ended_at: str) -> float:
    """Seconds between two ISO 8601 times (naive times are taken as UTC)."""
    return round((_parse_time(ended_at) - _parse_time(started_at)).total_seconds(), 3)


def phase_status(checks_list: list) -> str:
    """The status of a phase, derived from the statuses of its checks."""
    try:
        return checks.phase_status(checks_list)
    except TypeError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """Filters for the rehearsal results structure."""

    def filters(self):
        return {
            "elapsed_seconds": elapsed_seconds,
        }
