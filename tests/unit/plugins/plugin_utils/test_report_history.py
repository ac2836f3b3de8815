# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run history: the line each run appends, and the judgement of a regression against
the median of the five earlier runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter import report
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import report_history
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.report_history import (
    HistoryError,
    history_entry,
    history_line,
    history_view,
    parse_history,
    regression,
)

REPO_ROOT = Path(__file__).resolve().parents[4]
FAILED_DEPLOY = json.loads((REPO_ROOT / "tests" / "fixtures" / "report" / "results_deploy_failed.json")
                           .read_text(encoding="utf-8"))
RELEASED = {"run": {"id": "ctl:4242", "started_at": "2026-12-01T10:00:00+00:00", "host": "local-staging"},
            "phases": {
                "backup": {"duration_s": 8.5, "evidence": {"size_bytes": 182734}},
                "deploy": {"duration_s": 240.0, "evidence": {"total_deploy_time_s": 231.5, "images": {
                    "release": {"tag": "staging-20261201-095500", "id": "sha256:0123456789abcdef0123456789",
                                "version": "1.4.0", "revision": "3f2c1a9"},
                    "previous": {"tag": "staging-previous", "id": "", "version": "1.3.0", "revision": ""}}}},
                "load_test": {"duration_s": 60.0, "evidence": {"p95_ms": 180.0}},
                "post_rollback": {"duration_s": 5.0,
                                  "evidence": {"outages": [{"event": "rollback", "longest_window_s": 2.5,
                                                            "failed_requests": 4},
                                                           {"event": "deploy", "longest_window_s": 0,
                                                            "failed_requests": 0}]}}}}


def earlier(values, key="p95_ms"):
    return [{"run_id": f"ctl:{index}", "started_at": f"2026-11-{index + 1:02d}T10:00:00+00:00", key: value}
            for index, value in enumerate(values)]


# ------------------------------------------------------------------ the line

def test_entry_carries_verdict_durations_p95_outage_backup_and_releases():
    entry = history_entry(RELEASED, "passed", 313.5)
    assert entry == {
        "v": 1, "run_id": "ctl:4242", "started_at": "2026-12-01T10:00:00+00:00", "host": "local-staging",
        "verdict": "passed",
        "durations_s": {"backup": 8.5, "deploy": 240.0, "load_test": 60.0, "post_rollback": 5.0},
        "deploy_s": 231.5, "total_s": 313.5, "p95_ms": 180.0, "outage_s": 2.5, "outage_failed_requests": 4,
        "backup_bytes": 182734.0,
        "release": {"tag": "staging-20261201-095500", "version": "1.4.0", "revision": "3f2c1a9",
                    "id": "sha256:0123456789ab"},
        "previous_release": {"tag": "staging-previous", "version": "1.3.0"},
    }


def test_entry_of_a_failed_deploy_keeps_nulls_for_what_was_not_measured():
    entry = history_entry(FAILED_DEPLOY, "failed", 319.6)
    assert entry["p95_ms"] is None and entry["outage_s"] is None and entry["outage_failed_requests"] is None
    assert entry["deploy_s"] == 245.4 and entry["backup_bytes"] == 182734.0
    assert entry["release"] == {"app_tag": "staging-20261126-095500", "git_commit": "3f2c1a9"}  # from run
    assert history_entry({"phases": {}}, "incomplete")["durations_s"] == {}


def test_line_is_compact_single_line_json_and_stable():
    entry = history_entry(RELEASED, "passed", 313.5)
    line = history_line(entry)
    assert "\n" not in line and ", " not in line and json.loads(line) == entry
    assert line == history_line(dict(reversed(list(entry.items()))))


def test_parse_history_skips_blank_and_torn_lines():
    text = '{"run_id": "a"}\n\n{"run_id": "b", "p95\n[1, 2]\n{"run_id": "c"}\n'
    assert parse_history(text) == {"entries": [{"run_id": "a"}, {"run_id": "c"}], "unreadable": 2}
    assert parse_history(None) == {"entries": [], "unreadable": 0}


# ------------------------------------------------------------------ the judgement

def test_regression_beyond_the_tolerance_against_the_median_of_the_last_five():
    # Older runs than the last five do not count: the 1000 would raise the median.
    judged = regression([1000, 100, 110, 90, 100, 105], 125, 20)
    assert judged == {"status": "regressed", "median": 100, "limit": 120.0, "change_pct": 25.0, "baseline_runs": 5}


def test_within_the_tolerance_is_no_regression():
    assert regression([100, 110, 90, 100, 105], 120, 20)["status"] == "within_tolerance"  # the limit itself
    assert regression([100, 110, 90, 100, 105], 60, 20)["status"] == "within_tolerance"  # better is fine


def test_runs_that_measured_nothing_are_not_in_the_median():
    judged = regression([100, None, 100, None, 100, None, None], 130, 20)
    assert judged["status"] == "regressed" and judged["baseline_runs"] == 3


def test_too_little_history_or_no_value_is_not_judged():
    assert regression([100, 100], 500, 20)["status"] == "not_enough_history"
    assert regression([], 500, 20)["status"] == "not_enough_history"
    assert regression([100, 100, 100], None, 20)["status"] == "not_measured"


def test_a_median_of_zero_flags_any_positive_value():
    assert regression([0, 0, 0], 0.5, 20)["status"] == "regressed"
    assert regression([0, 0, 0], 0, 20)["status"] == "within_tolerance"


@pytest.mark.parametrize("tolerance", [-1, "lots", None, True])
def test_a_bad_tolerance_is_refused(tolerance):
    with pytest.raises(HistoryError):
        regression([1, 2, 3], 2, tolerance)


# ------------------------------------------------------------------ the view

def test_view_shows_the_last_runs_and_lists_regressions():
    entry = {**history_entry(RELEASED, "passed", 313.5), "p95_ms": 400.0}
    view = history_view(earlier([150, 170, 160, 165, 155, 158, 162]), entry, runs=4, tolerance_pct=20)
    assert [run.get("p95_ms") for run in view["runs"]] == [155, 158, 162, 400.0]
    assert view["earlier_runs"] == 7
    p95 = next(metric for metric in view["metrics"] if metric["id"] == "p95_ms")
    assert p95["status"] == "regressed" and p95["median"] == 160
    assert view["regressions"] == ["load-test p95 latency 400 ms is more than 20 % above the median of the "
                                   "last 5 runs (160 ms)"]
    assert json.loads(view["line"]) == entry


def test_view_of_a_report_rendered_again_does_not_count_its_own_line():
    entry = history_entry(RELEASED, "passed", 313.5)
    view = history_view(earlier([150, 150, 150]) + [entry], entry, runs=10, tolerance_pct=20)
    assert view["earlier_runs"] == 3 and len(view["runs"]) == 4


def test_view_rows_have_every_key_even_from_a_line_written_by_hand():
    view = history_view([{"run_id": "old", "p95_ms": 90}], history_entry(RELEASED, "passed"), runs=5)
    assert [set(run) for run in view["runs"]] == [set(report_history.ENTRY_KEYS)] * 2
    assert view["runs"][0]["started_at"] is None and view["runs"][0]["p95_ms"] == 90


def test_entry_keys_are_the_keys_of_an_entry():
    assert tuple(history_entry(RELEASED, "passed")) == report_history.ENTRY_KEYS


def test_view_with_zero_runs_shows_no_trend_but_still_judges():
    view = history_view(earlier([150, 150, 150]), {"p95_ms": 400}, runs=0)
    assert view["runs"] == [] and view["regressions"]


@pytest.mark.parametrize("runs", [-1, "ten"])
def test_view_refuses_a_bad_number_of_runs(runs):
    with pytest.raises(HistoryError):
        history_view([], {}, runs=runs)


# ------------------------------------------------------------------ through rehearsal_report

def test_rehearsal_report_reads_the_history_text_and_draws_sparklines():
    history = "\n".join(history_line({"run_id": f"r{index}", "p95_ms": 100 + index, "deploy_s": 200})
                        for index in range(5))
    view = report.rehearsal_report(RELEASED, {"history_text": history + "\nnot json\n", "history_runs": 3,
                                              "history_tolerance_pct": 10})
    history_part = view["history"]
    assert history_part["earlier_runs"] == 5 and history_part["unreadable_lines"] == 1
    assert len(history_part["runs"]) == 3 and history_part["tolerance_pct"] == 10
    p95 = next(metric for metric in history_part["metrics"] if metric["id"] == "p95_ms")
    assert p95["status"] == "regressed" and p95["sparkline"].startswith("<svg class=\"sparkline\"")


def test_rehearsal_report_defaults_and_errors():
    view = report.rehearsal_report(FAILED_DEPLOY, {"history_runs": None, "history_tolerance_pct": ""})
    assert view["history"]["tolerance_pct"] == report.DEFAULT_HISTORY_TOLERANCE_PCT
    assert len(view["history"]["runs"]) == 1  # this run only
    with pytest.raises(AnsibleFilterError, match="tolerance"):
        report.rehearsal_report(FAILED_DEPLOY, {"history_tolerance_pct": -5})


def test_the_history_file_name_is_the_one_the_role_appends_to():
    paths = (REPO_ROOT / "roles" / "report" / "tasks" / "paths.yml").read_text(encoding="utf-8")
    assert f"/{report_history.HISTORY_FILE}" in paths
