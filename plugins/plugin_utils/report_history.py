# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run history of the report: one compact JSON line per run, and the judgement of a
regression against the earlier runs. Pure functions, unit-tested.

``<report dir>/history.jsonl`` holds one line per run (``history_entry``), appended by the
report role. The report shows the last N runs and flags a metric that got worse than the
median of the five runs before this one by more than a tolerance (``regression``). A flag
is information for the reader: it does not change the verdict, which judges this run
against its targets.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import checks

HISTORY_FILE = "history.jsonl"
ENTRY_FORMAT = 1
BASELINE_RUNS = 5
# A median of fewer earlier runs says too little about what is normal to flag anything.
MIN_BASELINE_RUNS = 3

# The metrics judged for a regression: (key of the entry, name, unit); higher is worse for all.
JUDGED_METRICS = (
    ("p95_ms", "load-test p95 latency", "ms"),
    ("deploy_s", "deploy duration", "s"),
    ("total_s", "rehearsal duration", "s"),
    ("outage_s", "longest user-visible outage", "s"),
)


ENTRY_KEYS = ("v", "run_id", "started_at", "host", "verdict", "durations_s", "deploy_s", "total_s", "p95_ms",
              "outage_s", "outage_failed_requests", "backup_bytes", "release", "previous_release")


class HistoryError(ValueError):
    """An option of the history is not what it must be."""


_number = checks.finite_number


def _dig(data, *keys):
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _release(images: Mapping | None, key: str) -> dict | None:
    image = _dig(images, key)
    if not isinstance(image, Mapping):
        return None
    release = {name: image.get(name) for name in ("tag", "version", "revision") if image.get(name)}
    if image.get("id"):
        release["id"] = str(image["id"])[:19]
    return release or None


def _outage(phases: Mapping) -> tuple[float | None, int | None]:
    """The longest error window and the failed requests over every outages evidence."""
    windows, failed, measured = [], 0, False
    for phase in phases.values():
        for event in _dig(phase, "evidence", "outages") or ():
            if isinstance(event, Mapping):
                measured = True
                windows.append(_number(event.get("longest_window_s")) or 0.0)
                failed += int(_number(event.get("failed_requests")) or 0)
    return (max(windows) if windows else None, failed) if measured else (None, None)


def history_entry(results: Mapping, verdict: str, total_s=None) -> dict:
    """The history line of a run: what a trend needs, nothing more.

    ``results``: ``rehearsal_results``; ``verdict``: the report's verdict status;
    ``total_s``: the span of the recorded phases. Values a run did not measure are null.
    """
    run = results.get("run") or {}
    phases = results.get("phases") or {}
    images = _dig(phases, "deploy", "evidence", "images")
    outage_s, outage_failed = _outage(phases)
    release = _release(images, "release") or (
        {key: run[key] for key in ("app_tag", "git_commit") if run.get(key)} or None)
    return {
        "v": ENTRY_FORMAT,
        "run_id": run.get("id"),
        "started_at": run.get("started_at"),
        "host": run.get("host"),
        "verdict": verdict,
        "durations_s": {name: _number(phase.get("duration_s")) for name, phase in phases.items()
                        if isinstance(phase, Mapping) and _number(phase.get("duration_s")) is not None},
        "deploy_s": _number(_dig(phases, "deploy", "evidence", "total_deploy_time_s"))
        or _number(_dig(phases, "deploy", "duration_s")),
        "total_s": _number(total_s),
        "p95_ms": _number(_dig(phases, "load_test", "evidence", "p95_ms")),
        "outage_s": outage_s,
        "outage_failed_requests": outage_failed,
        "backup_bytes": _number(_dig(phases, "backup", "evidence", "size_bytes")),
        "release": release,
        "previous_release": _release(images, "previous"),
    }


def history_line(entry: Mapping) -> str:
    """One compact JSON line (no newline), keys sorted so a run always writes the same line."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def parse_history(text: str | None) -> dict:
    """The entries of a history file, oldest first: ``{entries, unreadable}``; a line that
    is not a JSON object (a torn write, an edit by hand) is counted and skipped."""
    entries, unreadable = [], 0
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            unreadable += 1
            continue
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            unreadable += 1
    return {"entries": entries, "unreadable": unreadable}


def _same_run(entry: Mapping, other: Mapping) -> bool:
    if entry.get("run_id") and other.get("run_id"):
        return entry["run_id"] == other["run_id"]
    return bool(entry.get("started_at")) and entry.get("started_at") == other.get("started_at")


def regression(earlier: Iterable, current, tolerance_pct) -> dict:
    """Is ``current`` worse than the median of the last five ``earlier`` values by more
    than ``tolerance_pct`` percent (higher is worse)?

    ``earlier``: the metric in the earlier runs, oldest first; unmeasured (None) values
    are left out before the last five are taken. Returns ``{status, median, limit,
    change_pct, baseline_runs}`` with status ``regressed``, ``within_tolerance``,
    ``not_measured`` (this run has no value) or ``not_enough_history`` (fewer than three
    earlier measured runs). With a median of 0, any positive value is a regression.
    """
    tolerance = _number(tolerance_pct)
    if tolerance is None or tolerance < 0:
        raise HistoryError(f"the tolerance must be a number >= 0 (percent), got {tolerance_pct!r}")
    baseline = [value for value in map(_number, earlier) if value is not None][-BASELINE_RUNS:]
    value = _number(current)
    median = statistics.median(baseline) if baseline else None
    result = {"median": median, "limit": None, "change_pct": None, "baseline_runs": len(baseline)}
    if value is None:
        return {**result, "status": "not_measured"}
    if len(baseline) < MIN_BASELINE_RUNS:
        return {**result, "status": "not_enough_history"}
    limit = median * (1 + tolerance / 100)
    change = round((value - median) / median * 100, 1) if median else None
    worse = value > limit if median else value > 0
    return {**result, "limit": round(limit, 3), "change_pct": change,
            "status": "regressed" if worse else "within_tolerance"}


def history_view(earlier_entries: Iterable, entry: Mapping, runs: int = 10, tolerance_pct=20.0) -> dict:
    """What the report shows of the history: ``{entry, line, runs, metrics, regressions,
    earlier_runs}``.

    ``earlier_entries``: the parsed history, oldest first (an entry of this same run, from a
    report rendered again, is left out); ``entry``: this run's ``history_entry``;
    ``runs``: how many runs the trend shows, this one included (0 shows none);
    ``tolerance_pct``: see ``regression``.
    """
    try:
        runs = int(runs)
    except (TypeError, ValueError) as exc:
        raise HistoryError(f"the number of runs must be an integer >= 0, got {runs!r}") from exc
    if runs < 0:
        raise HistoryError(f"the number of runs must be an integer >= 0, got {runs}")
    earlier = [item for item in earlier_entries if isinstance(item, Mapping) and not _same_run(item, entry)]
    metrics = []
    for key, name, unit in JUDGED_METRICS:
        judged = regression([item.get(key) for item in earlier], entry.get(key), tolerance_pct)
        metrics.append({"id": key, "name": name, "unit": unit, "current": _number(entry.get(key)), **judged})
    # Every key in every row, so a line written by hand or by an older version still shows.
    shown = [{**dict.fromkeys(ENTRY_KEYS), **item} for item in [*earlier, entry][-runs:]] if runs else []
    return {
        "entry": dict(entry),
        "line": history_line(entry),
        "earlier_runs": len(earlier),
        "tolerance_pct": _number(tolerance_pct),
        "runs": shown,
        "metrics": metrics,
        "regressions": [f"{metric['name']} {metric['current']:g} {metric['unit']} is more than "
                        f"{_number(tolerance_pct):g} % above the median of the last {metric['baseline_runs']} "
                        f"runs ({metric['median']:g} {metric['unit']})"
                        for metric in metrics if metric["status"] == "regressed"],
    }
