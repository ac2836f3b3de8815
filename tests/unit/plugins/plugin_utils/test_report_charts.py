# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's SVG charts: phase timeline, load over time, sparklines - drawn from what
was recorded only, self-contained, and honest when there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import load_stats, report_charts

HISTORY_CSV = (Path(__file__).parents[1] / "filter" / "fixtures" / "locust_stats_history.csv").read_text()
PHASES = [
    {"name": "preflight", "status": "warned", "started_at": "2026-11-26T10:00:00+00:00",
     "ended_at": "2026-11-26T10:00:20+00:00"},
    {"name": "deploy", "status": "failed", "started_at": "2026-11-26T10:00:30+00:00",
     "ended_at": "2026-11-26T10:04:30+00:00"},
    {"name": "rollback", "status": "passed", "started_at": "2026-11-26T10:04:31+00:00",
     "ended_at": "2026-11-26T10:05:10+00:00"},
    {"name": "health", "status": "not_run", "started_at": None, "ended_at": None},
]
OUTAGE = {"event": "deploy", "probes": 240, "failed_requests": 12, "longest_window_s": 9.5,
          "first_failure": "2026-11-26T10:02:00+00:00", "last_failure": "2026-11-26T10:02:09.5+00:00"}
EXTERNAL = ("<script", "href", "src=", "url(", "http://", "https://", "@import", "<image", "<foreignObject")


def parse(svg: str) -> ET.Element:
    """Well-formed XML (as inline SVG in HTML needs no namespace, give it one to parse)."""
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def tags(root: ET.Element, name: str) -> list[ET.Element]:
    return root.findall(f".//{{http://www.w3.org/2000/svg}}{name}")


def assert_self_contained(svg: str) -> None:
    for external in EXTERNAL:
        assert external not in svg, external


def test_timeline_draws_one_bar_per_timed_phase_in_status_colours():
    chart = report_charts.timeline_chart(PHASES)
    assert_self_contained(chart["svg"])
    bars = [rect for rect in tags(parse(chart["svg"]), "rect") if "bar" in (rect.get("class") or "")]
    assert [phase_bar.get("class") for phase_bar in bars] == ["bar s-warned", "bar s-failed", "bar s-passed"]
    assert [phase_bar.get("fill") for phase_bar in bars] == ["#b26a00", "#c62828", "#2e7d32"]
    starts = [float(phase_bar.get("x")) for phase_bar in bars]
    assert starts == sorted(starts) and float(bars[1].get("width")) > float(bars[0].get("width"))
    assert chart["phases"] == 3 and chart["outages"] == 0
    assert "carry no outage measurement" in chart["note"]
    assert ">not run</text>" in chart["svg"]  # the untimed phase keeps its row, says why it has no bar


def test_timeline_marks_the_automatic_rollback():
    svg = report_charts.timeline_chart(PHASES)["svg"]
    marks = [line for line in tags(parse(svg), "line") if line.get("class") == "rollback-mark"]
    rollback_bar = next(rect for rect in tags(parse(svg), "rect") if rect.get("class") == "bar s-passed")
    assert len(marks) == 1 and marks[0].get("x1") == rollback_bar.get("x")
    assert svg.count("automatic rollback") >= 2  # the row label and the mark


def test_timeline_marks_outage_windows_where_they_happened():
    chart = report_charts.timeline_chart(PHASES, [OUTAGE, {**OUTAGE, "event": "health", "failed_requests": 0}])
    windows = [rect for rect in tags(parse(chart["svg"]), "rect") if rect.get("class") == "outage"]
    assert len(windows) == 1 and chart["outages"] == 1  # an event without a failed request has no window
    deploy = next(rect for rect in tags(parse(chart["svg"]), "rect") if rect.get("class") == "bar s-failed")
    assert float(deploy.get("x")) < float(windows[0].get("x")) < float(deploy.get("x")) + float(deploy.get("width"))
    assert "12 failed requests, longest error window 9.5 s" in chart["svg"]


def test_timeline_tolerates_outages_without_times_and_no_timed_phase():
    chart = report_charts.timeline_chart(PHASES, [{"event": "deploy", "failed_requests": 3}])
    assert chart["outages"] == 0 and chart["svg"]
    empty = report_charts.timeline_chart([{"name": "deploy", "status": "not_run"}])
    assert empty["svg"] is None and "nothing to draw" in empty["note"]


def test_recorded_outages_are_read_from_any_phase_evidence():
    phases = [{"evidence": {"outages": [OUTAGE]}}, {"evidence": {"outages": None}}, {"evidence": {}}]
    assert report_charts.recorded_outages(phases) == [OUTAGE]


def test_load_chart_from_locust_history_draws_latency_and_throughput():
    series = load_stats.locust_summary(
        (Path(__file__).parents[1] / "filter" / "fixtures" / "locust_stats.csv").read_text(), "", HISTORY_CSV
    )["time_series"]
    chart = report_charts.load_chart({"time_series": series})
    assert_self_contained(chart["svg"])
    root = parse(chart["svg"])
    lines = {line.get("class"): line for line in tags(root, "polyline")}
    assert set(lines) == {"line-p50_ms", "line-p95_ms", "line-rps"}
    assert lines["line-p95_ms"].get("stroke-dasharray") and not lines["line-p50_ms"].get("stroke-dasharray")
    # N/A percentiles (before the first request) are gaps, not zeros: fewer latency points than rps points.
    points = {name: len(line.get("points").split()) for name, line in lines.items()}
    assert points["line-p50_ms"] < points["line-rps"] == len(series)
    assert chart["runs"] == ["candidate"]


def test_load_chart_draws_baseline_and_candidate_in_their_colours():
    series = [{"t_s": 0, "rps": 1, "p50_ms": 10, "p95_ms": 20}, {"t_s": 1, "rps": 2, "p50_ms": 11, "p95_ms": 25}]
    chart = report_charts.load_chart({"time_series": {"baseline": series, "candidate": series}})
    strokes = {line.get("stroke") for line in tags(parse(chart["svg"]), "polyline")}
    assert strokes == {report_charts.RUN_COLOURS["baseline"], report_charts.RUN_COLOURS["candidate"]}
    assert chart["runs"] == ["baseline", "candidate"]


@pytest.mark.parametrize("evidence", [{}, {"time_series": []}, {"time_series": None}, {"p95_ms": 53},
                                      {"time_series": [{"rps": 3}]}])
def test_load_chart_without_a_time_series_is_a_placeholder_not_a_fake(evidence):
    chart = report_charts.load_chart(evidence)
    assert chart["svg"] is None and chart["runs"] == []
    assert chart["note"].startswith("No time series recorded")


def test_sparkline_leaves_gaps_for_runs_that_measured_nothing():
    svg = report_charts.sparkline([10, 12, None, 11, 30])
    assert_self_contained(svg)
    root = parse(svg)
    assert len(tags(root, "polyline")) == 2
    assert report_charts.sparkline([None, 5]) is None and report_charts.sparkline([]) is None


def test_text_in_a_chart_is_escaped():
    phases = [{**PHASES[0], "name": "<b>&x"}]
    svg = report_charts.timeline_chart(phases)["svg"]
    assert "<b>" not in svg and "&lt;b&gt;&amp;x" in svg
    parse(svg)


@pytest.mark.parametrize("span, step", [(0.5, 0.1), (7, 2), (100, 20), (320, 100), (0, 1.0)])
def test_nice_step(span, step):
    assert report_charts.nice_step(span) == pytest.approx(step)


def test_time_axis_ticks_on_round_times():
    assert report_charts._time_ticks(319.6) == [0, 60, 120, 180, 240, 300, 360]
    assert re.fullmatch(r"\d+ min( \d\d s)?", report_charts._seconds_label(150))


def test_a_flat_sparkline_sits_in_the_middle():
    svg = report_charts.sparkline([5, 5, 5], width=120, height=24)
    ys = {point.split(",")[1] for point in tags(parse(svg), "polyline")[0].get("points").split()}
    assert ys == {"12"}
