# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The load_test judges, from fixtures in the shape of the registered results."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import load_stats
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import load_test, load_test_check_mode

RUN = json.loads((Path(__file__).parent / "fixtures" / "load_test" / "run.json").read_text())


@pytest.fixture(name="probes")
def probes_fixture():
    return copy.deepcopy(RUN["probes"])


@pytest.fixture(name="targets")
def targets_fixture():
    return copy.deepcopy(RUN["targets"])


def checks(probes, targets):
    return {item["name"]: item for item in load_test.judge(probes, targets)["checks"]}


def test_a_run_within_the_thresholds_passes_and_warns_only_on_the_error_rate(probes, targets):
    result = load_test.judge(probes, targets)
    names = [item["name"] for item in result["checks"]]
    assert names == ["ApacheBench baseline", "k6 scenario", "Locust run", "stages followed", "latency percentiles",
                     "throughput", "p95 response time", "failure rate", "mean response time", "error rate",
                     "container resources sampled", "DB connections under load", "Redis memory under load",
                     "app log during the load"]
    statuses = {item["name"]: item["status"] for item in result["checks"]}
    assert statuses.pop("error rate") == "warned"  # 2 of 116 failed: 1.724 % >= 1 %
    assert set(statuses.values()) == {"passed"}
    by_name = {item["name"]: item for item in result["checks"]}
    assert by_name["ApacheBench baseline"]["value"] == "2774.39 req/s, mean 3.604 ms, p95 3.0 ms, errors 0.0 %"
    assert by_name["ApacheBench baseline"]["target"] == "ab -n 100 -c 10 /health: all complete, errors < 1.0 %"
    assert by_name["k6 scenario"]["target"] == "p95 < 1000.0 ms, failed < 5.0 %"
    assert by_name["Locust run"]["target"] == "completes within 100 s"
    assert by_name["stages followed"]["detail"] == "10 s -> 5 users, 20 s -> 5 users, 10 s -> 0 users"
    assert by_name["container resources sampled"]["detail"] == "app peak CPU 0.24 %, peak memory 77.3 MiB"
    assert by_name["app log during the load"]["value"] == "INFO 1, WARNING 1, ERROR 0, CRITICAL 0"


def test_the_evidence_keeps_the_keys_the_report_reads(probes, targets):
    evidence = load_test.judge(probes, targets)["evidence"]
    assert evidence["requests_total"] == 116 and evidence["requests_failed"] == 2
    assert evidence["response_time_mean_ms"] == 25.366 and evidence["error_rate_pct"] == 1.724
    assert evidence["k6"]["mean_ms"] == 41.237 and evidence["k6"]["failure_rate_pct"] == 0.5 and evidence["k6"]["rc"] == 0
    assert evidence["ab"]["rc"] == 0 and evidence["ab"]["complete_requests"] == 100
    assert "endpoints" not in evidence["summary"] and evidence["summary"]["peak_users"] == 5
    assert "time_series" not in evidence["summary"]
    assert evidence["time_series"] == probes["summary"].get("time_series", [])
    assert evidence["db_connections"]["total"]["max"] == 9.0
    assert evidence["redis_memory"]["mem_fragmentation_ratio"]["last"] == 9.54
    assert evidence["locust_exit_code"] == 0 and evidence["load_started_at"] == probes["load_started_at"]
    assert evidence["samples"] is probes["samples"] or evidence["samples"] == probes["samples"]


def test_with_latency_by_outcome_the_checks_and_the_report_use_successful_requests(probes, targets):
    # The app killed mid-run: most requests refused at once, Locust's own p95 looks fast.
    probes["summary"]["latency"] = load_stats.latency_by_outcome(json.dumps({"samples_max": 100, "endpoints": {
        "GET /health": {"ok": {"count": 10, "samples_ms": [1200.0] * 10},
                        "failed": {"count": 106, "samples_ms": [0.8] * 100}}}}))
    result = load_test.judge(probes, targets)
    by_name = {item["name"]: item for item in result["checks"]}
    assert by_name["p95 response time"]["status"] == "failed"
    assert by_name["p95 response time"]["value"] == 1200.0
    assert "the 106 failed requests (p95 0.8 ms) excluded" in by_name["p95 response time"]["detail"]
    assert by_name["latency percentiles"]["value"] == "p50 1200.0 ms, p95 1200.0 ms, p99 1200.0 ms"
    assert by_name["latency percentiles"]["detail"].startswith("percentiles over all endpoints of the 10 successful")
    evidence = result["evidence"]
    assert evidence["latency_basis"] == "successful requests"
    assert (evidence["p95_ms"], evidence["response_time_mean_ms"]) == (1200.0, 1200.0)
    assert evidence["summary"]["p95_ms"] == 53  # Locust's aggregate, kept as it measured it


def test_without_latency_by_outcome_the_figures_say_they_include_failures(probes, targets):
    result = load_test.judge(probes, targets)
    assert result["evidence"]["latency_basis"] == "all requests"
    detail = {item["name"]: item for item in result["checks"]}["p95 response time"]["detail"]
    assert "its 2 failed requests included" in detail


def test_missed_thresholds_fail_or_warn_as_the_spec_says(probes, targets):
    targets["thresholds"] = {"p95_ms": 10, "failure_rate_pct": 1.5, "mean_ms": 20, "error_rate_pct": 0.5}
    probes["k6_run"]["rc"] = 99
    result = checks(probes, targets)
    assert result["p95 response time"]["status"] == "failed"
    assert result["failure rate"]["status"] == "failed"
    assert result["mean response time"]["status"] == "warned"
    assert result["error rate"]["status"] == "warned"
    assert result["k6 scenario"]["status"] == "failed"
    assert result["k6 scenario"]["detail"] == "k6 exit 99 (99 = a threshold was crossed)"


def test_ab_with_errors_warns_then_fails_and_incomplete_fails(probes, targets):
    targets["thresholds"]["error_rate_pct"] = 0.0
    assert checks(probes, targets)["ApacheBench baseline"]["status"] == "warned"  # 0.0 % >= 0 %
    targets["thresholds"]["failure_rate_pct"] = 0.0
    assert checks(probes, targets)["ApacheBench baseline"]["status"] == "failed"
    targets["thresholds"] = copy.deepcopy(RUN["targets"]["thresholds"])
    targets["ab"]["requests"] = "200"
    assert checks(probes, targets)["ApacheBench baseline"]["status"] == "failed"


def test_ab_without_output_fails_and_says_why(probes, targets):
    probes["ab_run"].update(rc=22, stdout="", stderr="apr_socket_recv: Connection refused (111) " * 10)
    result = load_test.judge(probes, targets)
    ab = result["checks"][0]
    assert ab["status"] == "failed" and ab["value"] is None
    assert ab["detail"].startswith("ab produced no result (rc 22): apr_socket_recv")
    assert ab["detail"].endswith("...") and len(ab["detail"]) < 240
    assert result["evidence"]["ab"] == {"rc": 22}


def test_tools_that_are_not_on_the_host_are_not_run(probes, targets):
    probes["ab_version"]["rc"] = 2
    probes["ab_run"] = {"skipped": True, "changed": False, "false_condition": "_load_test_ab_version.rc == 0"}
    probes["k6_version"]["rc"] = 2
    probes["k6_run"] = {"skipped": True, "changed": False}
    result = load_test.judge(probes, targets)
    ab, k6 = result["checks"][:2]
    assert (ab["name"], ab["status"], ab["value"]) == ("ApacheBench baseline", "not_run", None)
    assert ab["detail"] == "ab not found on the host (Debian package apache2-utils)"
    assert (k6["name"], k6["status"]) == ("k6 scenario", "not_run")
    assert "ab" not in result["evidence"] and "k6" not in result["evidence"]


def test_disabled_tools_have_no_check(probes, targets):
    for key in ("ab_version", "ab_run", "k6_version", "k6_run", "k6_summary"):
        probes[key] = None
    assert [item["name"] for item in load_test.judge(probes, targets)["checks"]][:2] == ["Locust run", "stages followed"]


def test_k6_skipped_in_check_mode_says_what_would_run(probes, targets):
    probes["k6_run"] = {"skipped": True, "changed": False}
    k6 = checks(probes, targets)["k6 scenario"]
    assert (k6["status"], k6["value"]) == ("skipped", "check mode")
    assert k6["detail"].startswith("would run k6 v0.54.0 (go1.22.8, linux/amd64) against http://127.0.0.1:8001")


def test_missing_measurements_are_failed_or_not_run(probes, targets):
    probes["summary"].update(p99_ms=None, throughput_rps=None, peak_users=None, p95_ms=None)
    probes["locust_run"] = {"ansible_job_id": "j1", "started": 1, "finished": 0}
    probes["samples"] = {"docker": [], "db": [], "redis": []}
    probes["app_containers"] = []
    probes["app_logs"] = {"results": [], "skipped": True, "changed": False}
    result = checks(probes, targets)
    assert result["Locust run"]["status"] == "failed" and result["Locust run"]["value"].endswith("exit ?")
    assert result["stages followed"]["status"] == "warned"
    assert result["latency percentiles"]["status"] == "failed"
    assert result["throughput"]["status"] == "failed"
    assert result["p95 response time"]["status"] == "failed"
    assert result["p95 response time"]["detail"].startswith("not measured")
    assert result["container resources sampled"]["status"] == "not_run"
    assert result["container resources sampled"]["detail"] == "no app container sampled"
    assert result["DB connections under load"]["status"] == "not_run"
    assert result["Redis memory under load"]["status"] == "not_run"
    assert result["app log during the load"]["status"] == "not_run"


def test_a_run_without_requests_fails_its_traffic(probes, targets):
    probes["summary"]["requests"] = 0
    result = checks(probes, targets)
    assert result["load test traffic"]["status"] == "failed"
    assert "p95 response time" not in result


def test_busy_database_and_app_errors_warn(probes, targets):
    probes["samples"]["db"][1]["usage_percent"] = 80.0
    probes["app_logs"]["results"][0]["stdout"] += "\n2026-12-03 10:00:03,000 ERROR app.api: boom"
    result = checks(probes, targets)
    assert result["DB connections under load"]["status"] == "warned"
    assert result["DB connections under load"]["detail"] == "3 samples, peak usage 80.0 %"
    assert result["app log during the load"]["status"] == "warned"


def test_locust_exit_1_passes_other_exits_fail(probes, targets):
    probes["locust_run"]["rc"] = 1
    assert checks(probes, targets)["Locust run"]["status"] == "passed"
    probes["locust_run"]["rc"] = -9
    assert checks(probes, targets)["Locust run"]["status"] == "failed"


def test_a_failed_step_is_the_last_check_and_steps_not_reached_have_none(probes, targets):
    probes.update(summary=None, locust_run=None, k6_summary=None)
    probes["failure"] = {"task": "Run k6 (its thresholds are the spec's)", "msg": "non-zero return code"}
    result = load_test.judge(probes, targets)
    assert [item["name"] for item in result["checks"]] == ["ApacheBench baseline", "load test run"]
    assert result["checks"][-1] == {"name": "load test run", "status": "failed", "value": None, "target": "completes",
                                    "detail": "Run k6 (its thresholds are the spec's): non-zero return code"}
    assert set(result["evidence"]) == {"ab"}


def test_nothing_reached_judges_nothing():
    assert load_test.judge({}, {"thresholds": {}}) == {"checks": [], "evidence": {}}


def test_check_mode_says_what_would_run():
    result = load_test_check_mode.judge({}, {
        "stages": RUN["targets"]["stages"], "thresholds": RUN["targets"]["thresholds"], "base_url": "http://127.0.0.1:8001",
        "k6_enabled": True, "ab_enabled": False, "ab_path": "/health"})
    assert result["checks"] == [{
        "name": "load test run", "status": "skipped", "value": "check mode", "target": "p95 < 1000.0 ms, failed < 5.0 %",
        "detail": "would run Locust, k6 (when on the host) against http://127.0.0.1:8001: 3 stages, 40 s, up to 5 users; "
                  "not sent in check mode, since every prediction it POSTs is stored"}]
    assert result["evidence"] == {"check_mode": True, "stages": RUN["targets"]["stages"], "base_url": "http://127.0.0.1:8001"}


def test_flat_targets_by_name_judge_as_the_nested_ab_ones(probes, targets):
    nested = load_test.judge(probes, targets)["checks"]
    flat = {key: value for key, value in targets.items() if key != "ab"}
    flat.update({f"ab_{key}": value for key, value in targets["ab"].items()})
    assert load_test.judge(probes, flat)["checks"] == nested
    # Each target is the role option of its name, but the thresholds: the role's derived
    # _load_test_thresholds (vars/main.yml), the options load_test_thresholds_* as numbers.
    assert set(load_test.TARGET_VARIABLES.values()) <= (
        {f"load_test_{key}" for key in load_test.TARGET_VARIABLES} | {"_load_test_thresholds"})


def test_the_scenario_and_the_run_directory_are_evidence_once_validated(probes, targets):
    probes["run_dir"] = "/tmp/load/run_1"
    probes["locust_version"] = {"rc": 0, "stdout_lines": ["locust 2.31.0 from /venv (Python 3.11)"]}
    targets["think_time_s"] = 1
    evidence = load_test.judge(probes, targets)["evidence"]
    assert evidence["run_dir"] == "/tmp/load/run_1"
    assert evidence["locust_version"] == "locust 2.31.0 from /venv (Python 3.11)"
    assert (evidence["stages"], evidence["think_time_s"]) == (targets["stages"], 1)
    probes["locust_version"] = None
    assert "locust_version" not in load_test.judge(probes, targets)["evidence"]
