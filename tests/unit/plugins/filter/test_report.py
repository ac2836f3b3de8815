# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/filter/report.py (the report's view, metrics and verdict)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter import report

REPO_ROOT = Path(__file__).resolve().parents[4]

T0 = "2026-11-26T10:00:00+00:00"


def _phase(start: str, end: str, duration: float, checks: list, status: str | None = None,
           evidence: dict | None = None) -> dict:
    phase = {"started_at": f"2026-11-26T{start}+00:00", "ended_at": f"2026-11-26T{end}+00:00",
             "duration_s": duration, "checks": checks, "evidence": evidence or {}}
    if status is not None:
        phase["status"] = status
    return phase


def _check(name: str, status: str = "passed", value=None, target=None, detail="") -> dict:
    return {"name": name, "status": status, "value": value, "target": target, "detail": detail}


def passing_results() -> dict:
    """A complete run in which every phase passed (a fixture, not a measurement)."""
    return {
        "run": {"started_at": T0, "host": "local-staging", "environment": "staging"},
        "phases": {
            "preflight": _phase("10:00:00", "10:00:20", 20.0, [_check("CPU cores", value=2)],
                                status="passed", evidence={"versions": {"docker": "24.0.5"}}),
            "backup": _phase("10:00:20", "10:00:30", 10.0, [_check("pg_dump written", value=1024)],
                             status="passed"),
            "deploy": _phase("10:00:30", "10:04:30", 240.0, [_check("app /health within 120 s")],
                             status="passed", evidence={"db_version": {"full": "15.8"}}),
            "health": _phase("10:04:30", "10:04:40", 10.0,
                             [_check("app /health", value=200),
                              _check("/health response time", value=0.012, target="< 2 s")],
                             status="passed"),
            "functional": _phase("10:04:40", "10:05:00", 20.0,
                                 [_check("GET /api/v1/models/info", value=1),
                                  _check("POST /api/v1/predictions/match")],
                                 status="passed"),
            "load_test": _phase("10:05:00", "10:06:00", 60.0, [_check("k6 p95 < 1000 ms", value=230)],
                                status="passed",
                                evidence={"requests_total": 1000, "requests_failed": 0,
                                          "k6": {"mean_ms": 120.0},
                                          "container_stats": [{"name": "app", "cpu_pct": 41.5}]}),
            "release_comparison": _phase("10:05:00", "10:06:00", 60.0,
                                         [_check("release comparison verdict", value="pass", target="pass")],
                                         status="passed"),
            "rollback_container": _phase("10:06:00", "10:06:40", 40.0, [_check("previous image healthy")],
                                         status="passed"),
            "rollback_database": _phase("10:06:40", "10:07:00", 20.0, [_check("marker row gone")],
                                        status="passed"),
            "rollback_config": _phase("10:07:00", "10:07:05", 5.0, [_check("files byte-identical")],
                                      status="passed"),
            "post_rollback": _phase("10:07:05", "10:07:20", 15.0,
                                    [_check("models/info after rollback"),
                                     _check("/health response time after rollback", value=0.02)],
                                    status="passed"),
        },
    }


WRITTEN = {"status": "passed", "detail": "report.md exists"}


def _by_id(rows: list) -> dict:
    return {row["id"]: row for row in rows}


# The parts of the report, each fed the phase views as rehearsal_report feeds them.

def phases_of(results: dict, expected_phases: list | None = None) -> list[dict]:
    return report._phases(results, expected_phases)


def metrics_of(results: dict, targets: dict | None = None, metrics: list | None = None) -> list[dict]:
    return report._key_metrics(report._phase_index(phases_of(results)), report._targets(targets), metrics)


def criteria_of(results: dict) -> list[dict]:
    return report._success_criteria(report._phase_index(phases_of(results)), report._targets(None))


def problems_of(results: dict, known: list | None = None, expected_phases: list | None = None) -> list[dict]:
    return report._problems(phases_of(results, expected_phases), known)


def verdict_of(results: dict, check_mode: bool = False) -> dict:
    return report.rehearsal_report(results, {"check_mode": check_mode})["verdict"]


# ------------------------------------------------------------------ verdict

def test_complete_passing_run_is_ready_for_production():
    view = report.rehearsal_report(passing_results(), {"report_written": WRITTEN})
    assert view["verdict"]["status"] == "passed"
    assert view["verdict"]["ready_for_production"] is True
    assert view["verdict"]["reasons"] == []
    assert {row["status"] for row in view["success_criteria"]} == {"passed"}


def test_report_not_yet_written_keeps_the_run_incomplete():
    verdict = report.rehearsal_report(passing_results())["verdict"]
    assert verdict["status"] == "incomplete"
    assert verdict["ready_for_production"] is False
    assert "criterion Report written not measured" in verdict["not_verified"]


def test_failed_check_fails_the_verdict_and_names_the_phase():
    results = passing_results()
    results["phases"]["deploy"]["status"] = "failed"
    results["phases"]["deploy"]["checks"][0]["status"] = "failed"
    view = report.rehearsal_report(results, {"report_written": WRITTEN})
    assert view["verdict"]["status"] == "failed"
    assert view["verdict"]["ready_for_production"] is False
    assert view["verdict"]["failures"][0] == "phase deploy failed: app /health within 120 s"
    assert _by_id(view["success_criteria"])["deployed_healthy"]["status"] == "failed"


def test_absent_phase_is_not_run_and_makes_the_run_incomplete():
    results = passing_results()
    del results["phases"]["load_test"]
    view = report.rehearsal_report(results, {"report_written": WRITTEN})
    load = next(phase for phase in view["phases"] if phase["name"] == "load_test")
    assert load["status"] == "not_run" and load["recorded"] is False and load["checks"] == []
    assert view["verdict"]["status"] == "incomplete"
    assert "phase load_test not run" in view["verdict"]["not_verified"]
    metrics = _by_id(view["key_metrics"])
    assert metrics["api_response"]["status"] == "not_measured"
    assert metrics["api_response"]["actual"] is None
    assert metrics["error_rate"]["actual_text"] == "not measured"


def test_warnings_alone_still_allow_production():
    results = passing_results()
    results["phases"]["preflight"]["status"] = "warned"
    results["phases"]["preflight"]["checks"].append(_check("Grafana dashboard", "warned"))
    verdict = report.rehearsal_report(results, {"report_written": WRITTEN})["verdict"]
    assert verdict["status"] == "warned"
    assert verdict["ready_for_production"] is True
    assert verdict["warnings"] == ["phase preflight warned"]


def test_a_run_that_stopped_fails_even_if_its_phases_did_not_record_it():
    results = passing_results()
    del results["phases"]["rollback_config"], results["phases"]["post_rollback"]
    results["run"]["failure"] = {"task": "Drill the config rollback", "message": "compose exited 1"}
    view = report.rehearsal_report(results, {"report_written": WRITTEN})
    assert view["verdict"]["status"] == "failed"
    assert view["verdict"]["failures"] == ["the run stopped at task 'Drill the config rollback': compose exited 1"]
    assert view["run_failure"] == view["verdict"]["failures"][0]


def test_report_written_unknown_leaves_the_verdict_incomplete():
    verdict = verdict_of(passing_results())
    assert verdict["status"] == "incomplete"
    assert verdict["not_verified"] == ["criterion Report written not measured"]


def test_nothing_recorded_is_incomplete_never_passed():
    view = report.rehearsal_report({"run": {}, "phases": {}})
    assert view["verdict"]["status"] == "incomplete"
    assert {phase["status"] for phase in view["phases"]} == {"not_run"}
    assert {row["status"] for row in view["key_metrics"]} == {"not_measured"}
    assert view["timeline"]["span_s"] is None
    assert view["problems"] == []


# ------------------------------------------------------------------ key metrics

def test_key_metrics_read_measured_values_with_their_source():
    metrics = _by_id(metrics_of(passing_results()))
    assert metrics["deploy_time"]["actual"] == 240.0
    assert metrics["deploy_time"]["status"] == "passed"
    assert metrics["deploy_time"]["source"] == "deploy.duration_s"
    assert metrics["api_response"]["actual"] == pytest.approx(0.12)
    assert metrics["api_response"]["source"] == "load_test.evidence.k6.mean_ms × 0.001"
    assert metrics["error_rate"]["actual"] == 0.0
    # 11 checks ran in health, functional and load_test plus 1000 requests, none failed.
    assert metrics["availability"]["actual"] == 100.0
    assert "1,000 of 1,000 load_test requests" in metrics["availability"]["source"]


def test_availability_counts_failed_probes_and_requests():
    results = passing_results()
    results["phases"]["functional"]["checks"][1]["status"] = "failed"
    results["phases"]["load_test"]["evidence"]["requests_failed"] = 19
    metrics = _by_id(metrics_of(results))
    # 5 checks ran in health (2), functional (2) and load_test (1), one failed;
    # 19 of 1000 requests failed: (4 + 981) succeeded of 1005 probes.
    assert metrics["availability"]["actual"] == pytest.approx((4 + 981) / 1005 * 100, abs=1e-3)
    assert metrics["availability"]["status"] == "failed"
    assert metrics["error_rate"]["actual"] == pytest.approx(1.9)
    assert metrics["error_rate"]["status"] == "failed"
    # The problem belongs to the phase that measured the failures, not to "health", which passed.
    assert metrics["availability"]["phase"] == "load_test"


def test_an_availability_problem_belongs_to_the_phase_whose_probes_failed():
    results = passing_results()
    results["phases"]["functional"]["checks"][1]["status"] = "failed"
    view = report.rehearsal_report(results, {"report_written": WRITTEN})
    availability = next(metric for metric in view["key_metrics"] if metric["id"] == "availability")
    assert availability["phase"] == "functional"
    assert "1 of 2 checks in functional" in availability["source"]


def test_metric_over_target_fails_and_becomes_a_problem():
    results = passing_results()
    results["phases"]["deploy"]["duration_s"] = 2400.0
    view = report.rehearsal_report(results, {"report_written": WRITTEN})
    deploy_time = _by_id(view["key_metrics"])["deploy_time"]
    assert deploy_time["status"] == "failed"
    assert deploy_time["actual_text"] == "40 min 00 s (2,400 s)"
    assert view["verdict"]["status"] == "failed"
    assert [p["check"] for p in view["problems"]] == ["Total deploy time"]
    assert view["problems"][0]["severity"] == "critical"


def test_targets_are_parameters():
    metrics = _by_id(metrics_of(passing_results(), {"api_response_s": 0.1}))
    assert metrics["api_response"]["status"] == "failed"
    assert metrics["api_response"]["target_text"] == "< 0.1 s"


def test_metrics_of_a_skipped_phase_are_not_measured():
    results = passing_results()
    results["phases"]["load_test"]["status"] = "skipped"
    metrics = _by_id(metrics_of(results))
    assert metrics["error_rate"]["status"] == "not_measured"


def test_custom_metric_sources():
    custom = [{"id": "p95", "name": "p95", "target": 500, "comparison": "lt", "unit": "ms",
               "sources": [{"phase": "load_test", "check": "p95"}]}]
    row = metrics_of(passing_results(), None, custom)[0]
    assert (row["actual"], row["status"]) == (230.0, "passed")
    assert row["source"] == "load_test check 'k6 p95 < 1000 ms'"


def test_unknown_comparison_is_an_error():
    custom = [{"id": "x", "target": 1, "comparison": "around",
               "sources": [{"phase": "deploy", "field": "duration_s"}]}]
    with pytest.raises(AnsibleFilterError, match="unknown comparison"):
        metrics_of(passing_results(), None, custom)


# ------------------------------------------------------------------ success criteria

def test_criteria_need_a_matching_check_that_ran():
    results = passing_results()
    results["phases"]["functional"]["checks"][0]["status"] = "skipped"
    results["phases"]["post_rollback"]["checks"][0]["status"] = "not_run"
    criteria = _by_id(criteria_of(results))
    assert criteria["models_info"]["status"] == "not_measured"
    assert criteria["health_response"]["status"] == "passed"
    assert criteria["health_response"]["name"] == "/health answers in < 2 s"
    assert criteria["report_written"]["status"] == "not_measured"


def test_failed_health_latency_check_fails_its_criterion():
    results = passing_results()
    results["phases"]["health"]["checks"][1].update(status="failed", value=2.7)
    criterion = _by_id(criteria_of(results))["health_response"]
    assert criterion["status"] == "failed"
    assert "(2.7)" in criterion["detail"]


def test_rollback_available_needs_all_three_drills():
    results = passing_results()
    del results["phases"]["rollback_config"]
    criterion = _by_id(criteria_of(results))["rollback_available"]
    assert criterion["status"] == "not_measured"
    assert "rollback_config not run" in criterion["detail"]


# ------------------------------------------------------------------ problems

def test_problem_severity_from_status_and_phase():
    results = passing_results()
    results["phases"]["health"]["checks"][0]["status"] = "failed"
    results["phases"]["functional"]["checks"][1]["status"] = "failed"
    results["phases"]["rollback_config"]["checks"][0]["status"] = "warned"
    results["phases"]["preflight"]["checks"][0]["status"] = "warned"
    found = problems_of(results)
    assert [(p["id"], p["phase"], p["severity"]) for p in found] == [
        ("P1", "health", "critical"),
        ("P2", "functional", "high"),
        ("P3", "rollback_config", "medium"),
        ("P4", "preflight", "low"),
    ]
    assert found[0]["probability"].startswith("high")
    assert found[3]["probability"].startswith("medium")


def test_problem_kinds_and_generic_fallback():
    results = {"phases": {"health": _phase("10:00:00", "10:00:01", 1.0, [
        _check("redis PONG", "failed", "NOAUTH"),
        _check("kafka topics listed", "failed"),
        _check("zzz", "warned"),
    ])}}
    found = {p["check"]: p for p in problems_of(results, expected_phases=["health"])}
    assert found["redis PONG"]["kind"] == "redis"
    assert found["kafka topics listed"]["kind"] == "kafka"
    # "health" is in the subject, so the API kind matches before the generic fallback.
    assert found["zzz"]["kind"] == "api"
    odd = problems_of({"phases": {"misc": _phase("10:00:00", "10:00:01", 1, [_check("zzz", "failed")])}},
                      expected_phases=["misc"])
    assert odd[0]["kind"] == "generic"
    assert set(odd[0]["fixes"]) == {"short", "medium", "long"}


def test_user_known_problems_come_first():
    results = {"phases": {"deploy": _phase("10:00:00", "10:00:01", 1, [_check("redis PONG", "failed")])}}
    mine = [{"kind": "ours", "match": "pong", "analysis": "a", "short": "s", "medium": "m", "long": "l"}]
    found = problems_of(results, mine, expected_phases=["deploy"])
    assert (found[0]["kind"], found[0]["fixes"]["medium"]) == ("ours", "m")


def test_failed_phase_without_failed_check_is_a_problem_with_its_error():
    results = {"phases": {"deploy": _phase("10:00:00", "10:00:05", 5.0, [_check("db started")],
                                           status="failed",
                                           evidence={"error": "compose up exited 1"})}}
    found = problems_of(results, expected_phases=["deploy"])
    assert len(found) == 1
    assert found[0]["check"] == "phase deploy"
    assert "compose up exited 1" in found[0]["description"]


def test_problem_description_carries_value_target_and_detail():
    results = {"phases": {"health": _phase("10:00:00", "10:00:01", 1, [
        _check("app /health", "failed", 503, "200", "unhealthy: mlflow down")])}}
    problem = problems_of(results, expected_phases=["health"])[0]
    assert problem["description"] == "app /health failed, measured 503, target 200: unhealthy: mlflow down"


# ------------------------------------------------------------------ phases, timeline, evidence

def test_phase_aliases_and_extra_phases():
    results = passing_results()
    results["phases"]["post_rollback_verification"] = results["phases"].pop("post_rollback")
    results["phases"]["smoke"] = _phase("10:08:00", "10:08:01", 1.0, [_check("ok")])
    phases = phases_of(results)
    names = [phase["name"] for phase in phases]
    assert names[-2:] == ["post_rollback", "smoke"]
    assert phases[-2]["recorded_as"] == "post_rollback_verification"
    assert phases[-1]["expected"] is False and phases[-1]["status"] == "passed"


def test_unexpected_phases_are_placed_by_start_time():
    results = passing_results()
    del results["phases"]["health"]
    results["phases"]["rollback"] = _phase("10:04:31", "10:04:50", 19.0, [_check("last good image healthy")])
    results["phases"]["rollback_preparation"] = _phase("10:05:59", "10:06:00", 1.0, [_check("backup available")])
    names = [phase["name"] for phase in phases_of(results)]
    assert names == ["preflight", "backup", "deploy", "rollback", "health", "functional", "load_test",
                     "release_comparison", "rollback_preparation", "rollback_container", "rollback_database",
                     "rollback_config", "post_rollback"]


def test_long_evidence_is_cut_with_a_count():
    results = {"phases": {"load_test": _phase("10:00:00", "10:01:00", 60, [_check("run")],
                                              evidence={"samples": list(range(70)), "many": {str(i): i for i in range(75)}})}}
    phase = phases_of(results, ["load_test"])[0]
    assert len(phase["evidence_rows"]) == report.MAX_EVIDENCE_ROWS
    assert phase["evidence_rows_omitted"] == 76 - report.MAX_EVIDENCE_ROWS


def test_status_is_derived_or_normalised():
    results = {"phases": {"health": _phase("10:00:00", "10:00:01", 1, [
        _check("a", "warned"), _check("b", "ok")])}}
    health = phases_of(results, ["health"])[0]
    assert health["status"] == "warned"
    assert [check["status"] for check in health["checks"]] == ["warned", "not_run"]


def test_timeline_offsets_and_widths():
    timeline = report._timeline(phases_of(passing_results()))
    rows = {row["name"]: row for row in timeline["phases"]}
    assert timeline["span_s"] == 440.0
    assert rows["preflight"]["offset_pct"] == 0.0
    assert rows["deploy"]["offset_s"] == 30.0
    assert rows["deploy"]["width_pct"] == pytest.approx(240 / 440 * 100, abs=0.01)
    assert rows["rollback_config"]["width_pct"] == pytest.approx(5 / 440 * 100, abs=0.01)


def test_versions_and_resources_come_from_evidence():
    view = report.rehearsal_report(passing_results())
    assert {"phase": "preflight", "name": "docker", "value": "24.0.5"} in view["versions"]
    assert {"phase": "deploy", "name": "db", "value": "15.8"} in view["versions"]
    assert {"phase": "load_test", "name": "container_stats.app.cpu_pct", "value": 41.5} in view["resources"]


def test_goals_combine_their_phases():
    results = passing_results()
    del results["phases"]["rollback_database"]
    goals = {goal["goal"]: goal["status"] for goal in report.rehearsal_report(results)["goals"]}
    assert goals["Every rollback path works and is verified"] == "incomplete"
    assert goals["Deploy the release with the staging compose stack"] == "passed"


AUTOMATIC = "After a failure, the automatic rollback restores the last good release"
DRILLS = "Every rollback path works and is verified"


def test_the_automatic_rollback_has_its_own_goal_and_stands_in_for_the_drills():
    passed = {goal["goal"]: goal for goal in report.rehearsal_report(passing_results())["goals"]}
    assert passed[AUTOMATIC]["status"] == "skipped" and "not needed" in passed[AUTOMATIC]["note"]
    assert passed[DRILLS]["note"] == ""

    results = passing_results()
    for name in ("rollback_container", "rollback_database", "rollback_config", "post_rollback"):
        del results["phases"][name]
    results["phases"]["load_test"]["status"] = "failed"
    results["phases"]["rollback"] = _phase("11:00:00", "11:01:00", 60.0, [_check("image restored")])
    goals = {goal["goal"]: goal for goal in report.rehearsal_report(results)["goals"]}
    assert goals[AUTOMATIC]["status"] == "passed" and goals[AUTOMATIC]["note"] == ""
    assert goals[DRILLS]["status"] == "skipped"
    assert "the automatic rollback (rollback) ran instead" in goals[DRILLS]["note"]


@pytest.mark.parametrize("statuses, combined", [
    ([], "not_run"),
    (["passed", "passed"], "passed"),
    (["passed", "warned"], "warned"),
    (["passed", "failed", "not_run"], "failed"),
    (["passed", "not_run"], "incomplete"),
    (["skipped", "not_run"], "skipped"),
    (["not_run"], "not_run"),
])
def test_combine_statuses(statuses, combined):
    assert report.combine_statuses(statuses) == combined


# ------------------------------------------------------------------ formatting

@pytest.mark.parametrize("status", ["warned", "failed", "skipped", "not_run", "incomplete", "not_measured", "odd"])
def test_only_passed_gets_the_check_mark(status):
    assert "✅" not in report.status_label(status)
    assert report.status_label("passed") == "✅ passed"
    assert report.status_label("not_run", False) == "not run"


def test_report_cell():
    assert report.report_cell(None) == "—"
    assert report.report_cell("a|b\nc") == "a\\|b<br>c"
    assert report.report_cell("a|b", markdown=False) == "a|b"
    assert report.report_cell("x" * 50, 10) == "x" * 9 + "…"
    assert report.report_cell({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert report.report_cell(0.25) == "0.25"
    assert report.report_cell(False) == "false"


def test_report_stamp_and_duration_text():
    assert report._report_stamp("2026-11-26T11:02:03.5+01:00") == "20261126-100203"
    assert len(report._report_stamp("")) == len("20261126-100203")
    assert report.duration_text(5) == "5.0 s"
    assert report.duration_text(245.4) == "4 min 05 s"
    assert report.duration_text(3725) == "1 h 02 min"
    assert report.duration_text(None) == "—"


def test_bad_input_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="rehearsal_results must be a mapping"):
        report.rehearsal_report(["not", "a", "mapping"])
    with pytest.raises(AnsibleFilterError, match="phases must be a mapping"):
        report.rehearsal_report({"phases": []})


def test_input_is_not_modified():
    results = passing_results()
    before = copy.deepcopy(results)
    report.rehearsal_report(results, {"report_written": WRITTEN})
    assert results == before


def test_every_filter_is_documented():
    filters = report.FilterModule().filters()
    for name in filters:
        doc_file = REPO_ROOT / "plugins" / "filter" / f"{name}.yml"
        assert doc_file.is_file(), f"{name} has no sidecar documentation"
        doc = yaml.safe_load(doc_file.read_text(encoding="utf-8"))
        assert doc["DOCUMENTATION"]["name"] == name
        assert {"EXAMPLES", "RETURN"} <= set(doc)


def test_the_phase_views_are_built_once_per_report(monkeypatch):
    calls = []
    build = report._phases

    def counting(*args):
        calls.append(args)
        return build(*args)

    monkeypatch.setattr(report, "_phases", counting)
    report.rehearsal_report(passing_results(), {"check_mode": True, "report_written": WRITTEN})
    assert len(calls) == 1


# ---------------------------------------------------------------- one source of truth

ROLE_DIR = REPO_ROOT / "roles" / "report"
TARGET_VARIABLES = {f"report_target_{name}": name for name in report.DEFAULT_TARGETS}


def test_unset_targets_keep_the_built_in_ones():
    unset = {name: None for name in report.DEFAULT_TARGETS} | {"api_response_s": ""}
    metrics = _by_id(metrics_of(passing_results(), unset))
    assert metrics["deploy_time"]["target"] == report.DEFAULT_TARGETS["deploy_time_s"]
    assert metrics["api_response"]["target"] == report.DEFAULT_TARGETS["api_response_s"]
    set_one = _by_id(metrics_of(passing_results(), unset | {"api_response_s": 0.1}))
    assert set_one["api_response"]["target"] == 0.1


def test_role_defaults_leave_phases_and_targets_to_the_filter():
    defaults = yaml.safe_load((ROLE_DIR / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert defaults["report_expected_phases"] == []
    assert {name: defaults[name] for name in TARGET_VARIABLES} == dict.fromkeys(TARGET_VARIABLES)


def test_argument_specs_name_the_built_in_phases_and_targets():
    specs = yaml.safe_load((ROLE_DIR / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"]["options"]
    phases_doc = " ".join(options["report_expected_phases"]["description"])
    assert ", ".join(report.DEFAULT_EXPECTED_PHASES) in " ".join(phases_doc.split())
    for variable, name in TARGET_VARIABLES.items():
        assert "default" not in options[variable], variable
        documented = re.search(r"built-in target, ([0-9.]+)\.$", options[variable]["description"][-1])
        assert documented and float(documented.group(1)) == report.DEFAULT_TARGETS[name], variable


# ---------------------------------------------------------------- check mode (--check)

def check_mode_results() -> dict:
    """What an `ansible-playbook --check` run records: read-only phases ran, the rest skipped."""
    results = passing_results()
    phases = results["phases"]
    phases["backup"] = _phase("10:00:20", "10:00:25", 5.0,
                              [_check("source fingerprint", value="12 tables"),
                               _check("pg_dump", "not_run", detail="check mode: nothing dumped")])
    phases["deploy"] = _phase("10:00:30", "10:00:40", 10.0,
                              [_check("deploy", "not_run", "check mode", detail="would: build; up app")],
                              status="not_run")
    phases["load_test"] = _phase("10:05:00", "10:05:01", 1.0,
                                 [_check("load test run", "skipped", "check mode", detail="would run Locust")],
                                 status="skipped")
    for name in ("rollback_container", "rollback_database", "rollback_config", "post_rollback"):
        phases[name] = _phase("10:06:00", "10:06:01", 1.0,
                              [_check(name, "skipped", "check mode", detail=f"would {name}")], status="skipped")
    return results


def test_check_mode_verdict_says_check_mode_and_is_never_ready():
    verdict = verdict_of(check_mode_results(), check_mode=True)
    assert verdict["status"] == "check_mode"
    assert verdict["check_mode"] is True
    assert verdict["ready_for_production"] is False
    assert verdict["failures"] == []
    assert "Check mode" in verdict["summary"] and "nothing was changed" in verdict["summary"]
    # Without the flag the same results are an incomplete rehearsal, not a pass.
    assert verdict_of(check_mode_results())["status"] == "incomplete"


def test_check_mode_lists_what_was_skipped_never_as_passed():
    verdict = verdict_of(check_mode_results(), check_mode=True)
    assert verdict["skipped_phases"] == ["deploy", "load_test", "rollback_container", "rollback_database",
                                         "rollback_config", "post_rollback"]
    assert "preflight" in verdict["ran_phases"] and "backup" in verdict["ran_phases"]
    assert "deploy" not in verdict["ran_phases"]
    skipped = {(row["phase"], row["check"]) for row in verdict["skipped"]}
    assert ("backup", "pg_dump") in skipped and ("load_test", "load test run") in skipped
    assert any("would run Locust" in line for line in verdict["not_verified"])


def test_check_mode_still_fails_when_a_read_only_check_failed():
    results = check_mode_results()
    results["phases"]["health"]["checks"][0]["status"] = "failed"
    results["phases"]["health"]["status"] = "failed"
    verdict = verdict_of(results, check_mode=True)
    assert verdict["status"] == "failed"
    assert any("phase health failed" in reason for reason in verdict["failures"])


def test_check_mode_in_the_report_view():
    view = report.rehearsal_report(check_mode_results(), {"check_mode": True})
    assert view["check_mode"]["enabled"] is True
    assert view["verdict"]["status"] == "check_mode"
    assert "load_test" in view["check_mode"]["skipped_phases"]
    assert report.rehearsal_report(passing_results())["check_mode"] == {"enabled": False}
    assert report.status_label("check_mode", icon=False) == "check mode"


def test_report_written_is_judged_from_the_file_read_back():
    ok = report.report_written_check({"path": "/r/x.md", "stat": {"exists": True, "size": 10}})
    assert ok == {"status": "passed", "detail": "/r/x.md exists and is not empty (read back from disk)"}
    assert report.report_written_check({"path": "/r/x.md", "stat": {"exists": True, "size": 0}})["status"] == "failed"
    assert report.report_written_check({"path": "/r/x.md", "stat": {"exists": False}})["status"] == "failed"
    assert report.report_written_check({"status": "passed", "detail": "given"}) == {"status": "passed", "detail": "given"}


def test_report_files_are_named_after_the_run_or_as_asked():
    results = {"run": {"started_at": "2026-12-03T10:15:00+00:00"}}
    named = report.report_files(results, "/srv/reports")
    assert named == {"stamp": "20261203-101500", "files": {
        "markdown": "/srv/reports/staging_rehearsal_20261203-101500.md",
        "html": "/srv/reports/staging_rehearsal_20261203-101500.html",
        "json": "/srv/reports/staging_rehearsal_20261203-101500.json"}}
    assert report.report_files(results, "/r", host="web 1/a")["files"]["json"] == (
        "/r/staging_rehearsal_20261203-101500_web_1_a.json")
    assert report.report_files(results, "/r", basename="x", timestamp="T")["files"]["markdown"] == "/r/x.md"
    assert report.report_files(results, "/r", timestamp="T")["stamp"] == "T"
    assert len(report.report_files({}, "/r")["stamp"]) == len("20261203-101500")  # no start: now


def test_report_stats_summarise_the_view_for_awx():
    view = {"verdict": {"status": "warned", "ready_for_production": True},
            "phases": [{"name": "backup", "status": "passed"}, {"name": "deploy", "status": "warned"}],
            "problems": [{"phase": "deploy"}]}
    assert report.report_stats(view, {"json": "/r/x.json"}) == {
        "verdict": "warned", "ready_for_production": True, "files": {"json": "/r/x.json"},
        "phases": {"backup": "passed", "deploy": "warned"}, "problems": 1}
