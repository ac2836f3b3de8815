# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The charts of the HTML report: plain inline SVG, built from what the run recorded.

The SVG is written by hand in small functions rather than with a plotting library: the
report must stay one self-contained file (no script, no font, no external reference), and
the controller and the execution environment need no extra dependency for it. Every mark
on a chart comes from a recorded value; a chart with nothing to show says so instead of
drawing an empty or made-up axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from html import escape

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import checks

# The report stylesheet's status colours (roles/report/templates/report.html.j2).
STATUS_COLOURS = {
    "passed": "#2e7d32", "warned": "#b26a00", "failed": "#c62828", "skipped": "#607d8b",
    "not_run": "#9e9e9e", "incomplete": "#6a1b9a", "not_measured": "#757575",
}
RUN_COLOURS = {"candidate": "#1565c0", "baseline": "#8e24aa"}
OTHER_RUN_COLOURS = ("#00838f", "#ef6c00", "#5d4037")
OUTAGE_COLOUR = "#c62828"
AUTOMATIC_ROLLBACK = "rollback"

WIDTH = 1000
LABEL_W = 170
PLOT_LEFT, PLOT_RIGHT = LABEL_W + 10, WIDTH - 20
ROW_H, ROW_GAP = 20, 8
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


_number = checks.finite_number


def _time(value) -> datetime | None:
    if not value:
        return None
    try:
        return checks.parse_time(value).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def _fmt(value: float) -> str:
    """Coordinates with one decimal: enough for a 1000-unit view box, and short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "",
          fill: str = "#1c2430") -> str:
    return (f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}" {FONT} fill="{fill}"{extra}>'
            f"{escape(content)}</text>")


def _svg(css_class: str, label: str, height: float, body: Iterable[str]) -> str:
    return (f'<svg class="chart {css_class}" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {WIDTH} {_fmt(height)}" width="100%" preserveAspectRatio="xMinYMin meet">'
            f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def nice_step(span: float, ticks: int = 5) -> float:
    """A round axis step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _axis_ticks(maximum: float, ticks: int = 5) -> list[float]:
    step = nice_step(maximum, ticks)
    count = int(math.ceil(maximum / step - 1e-9))
    return [step * index for index in range(count + 1)]


# Steps of a time axis, in seconds: ticks on round times, never on 100 s.
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def _time_ticks(maximum: float, ticks: int = 6) -> list[float]:
    step = next((step for step in TIME_STEPS if maximum / step <= ticks), TIME_STEPS[-1])
    count = max(int(math.ceil(maximum / step - 1e-9)), 1)
    return [float(step * index) for index in range(count + 1)]


def _seconds_label(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(int(round(seconds)), 60)
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    return f"{seconds:g} s"


# ---------------------------------------------------------------- phase timeline

def _outage_windows(outages: Iterable, anchor: datetime) -> list[dict]:
    """Outage events with a measured window, as seconds from the anchor."""
    windows = []
    for event in outages or ():
        if not isinstance(event, Mapping) or not _number(event.get("failed_requests")):
            continue
        first, last = _time(event.get("first_failure")), _time(event.get("last_failure"))
        if first is None:
            continue
        last = last if last and last >= first else first
        windows.append({"event": str(event.get("event") or "event"),
                        "start_s": (first - anchor).total_seconds(), "end_s": (last - anchor).total_seconds(),
                        "longest_window_s": _number(event.get("longest_window_s")),
                        "failed_requests": int(_number(event.get("failed_requests")) or 0)})
    return windows


def recorded_outages(phases: Iterable[Mapping]) -> list[dict]:
    """Every ``outages`` list a phase's evidence carries (the outages judge), in phase order."""
    found = []
    for phase in phases:
        outages = (phase.get("evidence") or {}).get("outages")
        if isinstance(outages, list):
            found += [event for event in outages if isinstance(event, Mapping)]
    return found


def timeline_chart(phases: Iterable[Mapping], outages: Iterable | None = None) -> dict:
    """The phases as bars from start to end in status colours, the automatic rollback and
    the outage windows marked: ``{svg, note, phases, outages}`` (``svg`` None without any
    timed phase).

    ``phases``: the report's phase views (``name``, ``status``, ``started_at``,
    ``ended_at``); ``outages``: events of the outages judge (``event``,
    ``first_failure``, ``last_failure``, ``failed_requests``, ``longest_window_s``), or None.
    """
    phases = list(phases)
    spans = []
    for phase in phases:
        start, end = _time(phase.get("started_at")), _time(phase.get("ended_at"))
        if start is not None and end is not None:
            spans.append((phase, start, max(end, start)))
    if not spans:
        return {"svg": None, "note": "No phase recorded its start and end time: nothing to draw.",
                "phases": 0, "outages": 0}
    anchor = min(start for _phase, start, _end in spans)
    windows = _outage_windows(outages or (), anchor)
    finish = max([(end - anchor).total_seconds() for _phase, _start, end in spans]
                 + [window["end_s"] for window in windows])
    ticks = _time_ticks(max(finish, 1.0), 6)
    span = ticks[-1]

    def x_of(seconds: float) -> float:
        return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * max(seconds, 0.0) / span

    top = 34
    timed = {id(phase): (start, end) for phase, start, end in spans}
    height = top + len(phases) * (ROW_H + ROW_GAP) + 26
    body = [f'<rect x="0" y="0" width="{WIDTH}" height="{_fmt(height)}" fill="#ffffff"/>']
    for tick in ticks:
        x = x_of(tick)
        body.append(f'<line x1="{_fmt(x)}" y1="{top - 6}" x2="{_fmt(x)}" y2="{_fmt(height - 22)}" '
                    f'stroke="#d5dbe1" stroke-width="1"/>')
        body.append(_text(x, height - 8, _seconds_label(tick), "middle"))
    for row, phase in enumerate(phases):
        y = top + row * (ROW_H + ROW_GAP)
        name, status = str(phase.get("name")), str(phase.get("status") or "not_run")
        label = "automatic rollback" if name == AUTOMATIC_ROLLBACK else name
        body.append(_text(LABEL_W, y + 14, label, "end", ' font-weight="600"' if name == AUTOMATIC_ROLLBACK else ""))
        body.append(f'<rect x="{PLOT_LEFT}" y="{y}" width="{PLOT_RIGHT - PLOT_LEFT}" height="{ROW_H}" '
                    f'fill="#e9edf1" rx="3"/>')
        if id(phase) not in timed:
            body.append(_text(PLOT_LEFT + 6, y + 14, status.replace("_", " "), extra=' fill-opacity="0.7"'))
            continue
        start, end = timed[id(phase)]
        x1, x2 = x_of((start - anchor).total_seconds()), x_of((end - anchor).total_seconds())
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS["not_run"])
        body.append(f'<rect class="bar s-{escape(status)}" x="{_fmt(x1)}" y="{y}" width="{_fmt(max(x2 - x1, 3))}" '
                    f'height="{ROW_H}" fill="{colour}" rx="3"><title>{escape(label)}: {escape(status)}, '
                    f'{(end - start).total_seconds():g} s</title></rect>')
        if name == AUTOMATIC_ROLLBACK:
            body.append(f'<line class="rollback-mark" x1="{_fmt(x1)}" y1="{top - 10}" x2="{_fmt(x1)}" '
                        f'y2="{_fmt(height - 22)}" stroke="#6a1b9a" stroke-width="2" stroke-dasharray="5 3"/>')
            body.append(_text(x1 + 4, top - 14, "automatic rollback", extra=' font-weight="600"', fill="#6a1b9a"))
    for window in windows:
        x1, x2 = x_of(window["start_s"]), x_of(window["end_s"])
        detail = f"outage during {window['event']}: {window['failed_requests']} failed requests"
        if window["longest_window_s"] is not None:
            detail += f", longest error window {window['longest_window_s']:g} s"
        body.append(f'<rect class="outage" x="{_fmt(x1)}" y="{top - 6}" width="{_fmt(max(x2 - x1, 3))}" '
                    f'height="{_fmt(height - top - 16)}" fill="{OUTAGE_COLOUR}" fill-opacity="0.18" '
                    f'stroke="{OUTAGE_COLOUR}" stroke-width="1"><title>{escape(detail)}</title></rect>')
        body.append(_text(x2 + 3, top - 14, f"outage: {window['event']}", fill=OUTAGE_COLOUR))
    note = f"{len(spans)} of {len(phases)} phases timed"
    note += f"; {len(windows)} outage window(s) marked." if windows else (
        "; the results carry no outage measurement." if outages is None or not list(outages) else
        "; no user-visible outage was measured.")
    svg = _svg("timeline-chart", "Phase timeline: each phase from its start to its end", height, body)
    return {"svg": svg, "note": note, "phases": len(spans), "outages": len(windows)}


# ---------------------------------------------------------------- load over time

def _points(series: Iterable) -> list[dict]:
    points = []
    for point in series or ():
        if not isinstance(point, Mapping):
            continue
        t_s = _number(point.get("t_s"))
        if t_s is not None:
            points.append({"t_s": t_s, **{key: _number(point.get(key)) for key in ("rps", "p50_ms", "p95_ms")}})
    return sorted(points, key=lambda point: point["t_s"])


def load_runs(evidence: Mapping) -> dict[str, list[dict]]:
    """The load test's time series by run: ``time_series`` is one run's list (the candidate)
    or a mapping of run label (``baseline``, ``candidate``) to such lists."""
    series = (evidence or {}).get("time_series")
    if isinstance(series, list):
        series = {"candidate": series}
    if not isinstance(series, Mapping):
        return {}
    runs = {str(label): _points(points) for label, points in series.items()}
    return {label: points for label, points in runs.items() if points}


def _run_colour(label: str, index: int) -> str:
    return RUN_COLOURS.get(label, OTHER_RUN_COLOURS[index % len(OTHER_RUN_COLOURS)])


def _polyline(points: list[tuple[float, float]], colour: str, dashed: bool, css_class: str) -> str:
    coords = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<polyline class="{css_class}" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>')


def _panel(runs: dict, lines: tuple, title: str, unit: str, top: float, height: float,
           span_s: float) -> list[str]:
    """One plot: ``lines`` of (key, dashed, name) for every run, a y axis from 0."""
    values = [point[key] for points in runs.values() for point in points for key, _dash, _name in lines
              if point[key] is not None]
    ticks = _axis_ticks(max(values) if values and max(values) > 0 else 1.0, 4)
    y_max = ticks[-1]
    bottom = top + height

    def x_of(seconds: float) -> float:
        return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * seconds / span_s

    def y_of(value: float) -> float:
        return bottom - height * value / y_max

    body = [_text(PLOT_LEFT, top - 8, title, extra=' font-weight="600"')]
    for tick in ticks:
        y = y_of(tick)
        body.append(f'<line x1="{PLOT_LEFT}" y1="{_fmt(y)}" x2="{PLOT_RIGHT}" y2="{_fmt(y)}" stroke="#e3e7eb"/>')
        body.append(_text(PLOT_LEFT - 6, y + 4, f"{tick:g} {unit}", "end"))
    for index, (label, points) in enumerate(runs.items()):
        colour = _run_colour(label, index)
        for key, dashed, _name in lines:
            coords = [(x_of(point["t_s"]), y_of(point[key])) for point in points if point[key] is not None]
            if len(coords) == 1:
                x, y = coords[0]
                body.append(f'<circle class="line-{key}" cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{colour}"/>')
            elif coords:
                body.append(_polyline(coords, colour, dashed, f"line-{key}"))
    return body


def load_chart(evidence: Mapping) -> dict:
    """Latency percentiles (p50 solid, p95 dashed) and requests/s over the load test, one
    colour per run: ``{svg, note, runs}`` (``svg`` None when no time series was recorded).

    ``evidence``: the load_test phase's evidence; its ``time_series`` points are
    ``{t_s, rps, p50_ms, p95_ms}`` (seconds from the run's first sample).
    """
    runs = load_runs(evidence)
    if not runs:
        return {"svg": None, "runs": [],
                "note": "No time series recorded: the load test did not run, or its results carry "
                        "no per-interval samples (its totals are in the key metrics and its evidence)."}
    time_ticks = _time_ticks(max(max(point["t_s"] for point in points) for points in runs.values()) or 1.0, 8)
    span_s = time_ticks[-1]
    latency_top, latency_h, rps_top, rps_h = 40, 150, 250, 110
    height = rps_top + rps_h + 46
    body = [f'<rect x="0" y="0" width="{WIDTH}" height="{_fmt(height)}" fill="#ffffff"/>']
    body += _panel(runs, (("p50_ms", False, "p50"), ("p95_ms", True, "p95")), "Latency (p50 solid, p95 dashed)",
                   "ms", latency_top, latency_h, span_s)
    body += _panel(runs, (("rps", False, "requests/s"),), "Requests per second", "/s", rps_top, rps_h, span_s)
    axis_y = rps_top + rps_h
    for tick in time_ticks:
        x = PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * tick / span_s
        body.append(f'<line x1="{_fmt(x)}" y1="{axis_y}" x2="{_fmt(x)}" y2="{axis_y + 4}" stroke="#55606c"/>')
        body.append(_text(x, axis_y + 18, _seconds_label(tick), "middle"))
    legend_x = PLOT_LEFT
    for index, label in enumerate(runs):
        colour = _run_colour(label, index)
        body.append(f'<rect x="{_fmt(legend_x)}" y="{_fmt(height - 16)}" width="14" height="4" fill="{colour}"/>')
        body.append(_text(legend_x + 20, height - 11, f"{label} ({len(runs[label])} samples)"))
        legend_x += 220
    svg = _svg("load-chart", "Load test: latency percentiles and requests per second over time", height, body)
    return {"svg": svg, "runs": list(runs),
            "note": f"{', '.join(runs)}: one point per sample Locust wrote ({sum(map(len, runs.values()))} in all)."}


# ---------------------------------------------------------------- sparkline

def sparkline(values: Iterable, width: int = 120, height: int = 24) -> str | None:
    """A small line of a metric over the runs, oldest left; gaps where a run measured
    nothing. None with fewer than two measured values."""
    values = [_number(value) for value in values]
    measured = [value for value in values if value is not None]
    if len(measured) < 2:
        return None
    low, high = min(measured), max(measured)
    if high == low:  # a flat trend sits in the middle, not on the floor
        low, high = low - 1.0, high + 1.0
    spread = high - low
    step = (width - 4) / max(len(values) - 1, 1)
    segments, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append((2 + index * step, height - 2 - (height - 4) * (value - low) / spread))
    if current:
        segments.append(current)
    body = [_polyline(points, "#1565c0", False, "spark") if len(points) > 1 else
            f'<circle cx="{_fmt(points[0][0])}" cy="{_fmt(points[0][1])}" r="2" fill="#1565c0"/>'
            for points in segments]
    last_x, last_y = segments[-1][-1]
    body.append(f'<circle cx="{_fmt(last_x)}" cy="{_fmt(last_y)}" r="2.5" fill="#c62828"/>')
    return (f'<svg class="sparkline" role="img" aria-label="trend" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">' + "".join(body) + "</svg>")
