# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small, pure helpers for the shared rehearsal results structure."""

from __future__ import annotations

from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

# The worst status wins: one failed check fails its phase. A phase in which no
# check ran is "not_run" - never "passed" - so the report cannot claim a success
# that was not measured.
STATUS_ORDER = ("failed", "warned", "passed")


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise AnsibleFilterError(f"not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def elapsed_seconds(started_at: str, ended_at: str) -> float:
    """Seconds between two ISO 8601 times (naive times are taken as UTC)."""
    return round((_parse_time(ended_at) - _parse_time(started_at)).total_seconds(), 3)


def phase_status(checks: list) -> str:
    """The status of a phase, derived from the statuses of its checks."""
    if not isinstance(checks, list):
        raise AnsibleFilterError("phase_status expects a list of checks")
    statuses = {str(check.get("status", "not_run")) for check in checks}
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return "not_run"


class FilterModule:
    """Filters for the rehearsal results structure."""

    def filters(self):
        return {
            "elapsed_seconds": elapsed_seconds,
            "phase_status": phase_status,
        }
