# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check record every judge returns, and how checks add up to a phase status.

A check is ``{name, status, value, target, detail}``: what was judged, the verdict, what
was measured (``None`` when nothing was), what it was judged against, and a short
explanation. Judges (``plugin_utils/judges/<name>.py``) build checks only through
``check``/``judged``, so every check in the report has the same shape.

Judges: each module in ``plugin_utils/judges/`` is one judge, named by its file
(``judges/model.py`` is the judge ``model``), with one public function::

    def judge(probes: dict, targets: dict) -> dict:
        return {"checks": [...], "evidence": {...}}   # evidence optional

``probes`` are the registered results of a phase's probe tasks (module results as YAML
registered them), ``targets`` the thresholds from the role's options. A judge is pure - no
I/O, no clock, no Ansible objects - so it is unit-tested from JSON fixtures
(tests/unit/plugins/plugin_utils/judges/). The action plugin
``footballpred.rehearsal.record_phase`` runs a judge by name (its ``judge`` option).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone

from ansible.module_utils.common.text.formatters import bytes_to_human

STATUSES = ("passed", "warned", "failed", "skipped", "not_run")

# The worst status wins: one failed check fails its phase. A phase in which no check ran
# is "not_run" - never "passed" - so the report cannot claim a success it did not measure.
STATUS_ORDER = ("failed", "warned", "passed")


def check(name: str, status: str, value=None, target=None, detail: str = "") -> dict:
    """One check record. ``status`` must be one of STATUSES."""
    if status not in STATUSES:
        raise ValueError(f"check {name!r}: unknown status {status!r} (one of {', '.join(STATUSES)})")
    return {"name": name, "status": status, "value": value, "target": target, "detail": detail}


def judged(name: str, ok: bool, value=None, target=None, detail: str = "", otherwise: str = "failed") -> dict:
    """A check that passed when ``ok``, else has status ``otherwise`` (failed or warned)."""
    return check(name, "passed" if ok else otherwise, value, target, detail)


def phase_status(checks: list) -> str:
    """The status of a phase, derived from the statuses of its checks."""
    if not isinstance(checks, list):
        raise TypeError("phase_status expects a list of checks")
    statuses = {str(item.get("status", "not_run")) for item in checks}
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return "not_run"


def finished(result) -> bool:
    """A probe task ran to its end in this phase: registered, neither failed nor skipped."""
    return isinstance(result, Mapping) and not result.get("failed") and not result.get("skipped")


def as_float(value) -> float:
    """A number as Jinja's ``float`` filter reads it (0.0 when it is none)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def finite_number(value) -> float | None:
    """A measured number, or None: a boolean, none, text that is no number, NaN and infinity
    are not measurements (charts and history draw and compare only these)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def as_int(value, default: int = 0) -> int:
    """A number as Jinja's ``int`` filter reads it ("3.7" -> 3), ``default`` when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def truncate(text, length: int, killwords: bool = False, end: str = "...", leeway: int = 5) -> str:
    """``text`` as Jinja's ``truncate`` filter cuts it (at a word unless ``killwords``), for
    details that must read as the YAML rendered them."""
    text = str(text)
    if len(text) <= length + leeway:
        return text
    if killwords:
        return text[: length - len(end)] + end
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def human_readable(size) -> str:
    """A byte count as the ``ansible.builtin.human_readable`` filter prints it ("None" for none)."""
    return "None" if size is None else bytes_to_human(float(size))


def parse_time(value) -> datetime:
    """An ISO 8601 time; a naive time is taken as UTC."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def elapsed_seconds(started_at, ended_at) -> float:
    """Seconds between two ISO 8601 times."""
    return round((parse_time(ended_at) - parse_time(started_at)).total_seconds(), 3)
