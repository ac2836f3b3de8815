"""Unit tests for the load-test parsers, fed with output captured from the real tools
(Locust 2.47 and ApacheBench 2.3 against a local server, docker stats of the local stack)."""

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter.load_stats import (
    ab_summary,
    docker_stats,
    k6_summary,
    load_thresholds,
    locust_summary,
    log_level_counts,
    parse_size,
    resource_summary,
    series_summary,
)

FIXTURES = Path(__file__).parent / "fixtures"
SPEC_THRESHOLDS = {"p95_ms": 1000, "failure_rate_pct": 5, "mean_ms": 1000, "error_rate_pct": 1}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture(name="summary")
def summary_fixture():
    return locust_summary(fixture("locust_stats.csv"), fixture("locust_failures.csv"),
                          fixture("locust_stats_history.csv"))


def test_locust_summary_reads_the_aggregated_row(summary):
    assert summary["requests"] == 116
    assert summary["failures"] == 2
    assert summary["failure_rate_pct"] == pytest.approx(1.724, abs=0.001)
    assert (summary["p50_ms"], summary["p95_ms"], summary["p99_ms"]) == (22, 53, 53)
    assert summary["mean_ms"] == pytest.approx(25.366, abs=0.001)
    assert summary["throughput_rps"] == pytest.approx(14.545, abs=0.001)


def test_locust_summary_lists_every_endpoint(summary):
    names = [endpoint["name"] for endpoint in summary["endpoints"]]
    assert names == ["GET /api/v1/models/info", "GET /health", "POST /api/v1/predictions/match"]
    post = summary["endpoints"][2]
    assert (post["method"], post["requests"], post["failures"]) == ("POST", 38, 2)
    assert post["p95_ms"] == 53


def test_locust_summary_keeps_failure_kinds_and_history(summary):
    assert summary["failure_kinds"][0]["occurrences"] == 2
    assert "500 Server Error" in summary["failure_kinds"][0]["error"]
    assert summary["peak_users"] == 5
    assert summary["active_duration_s"] > 0


def test_locust_summary_keeps_the_time_series_of_the_aggregated_rows(summary):
    series = summary["time_series"]
    assert len(series) == 9 and [point["t_s"] for point in series] == list(range(9))
    assert series[0] == {"t_s": 0, "users": 0, "rps": 0.0, "failures_per_s": 0.0, "p50_ms": None, "p95_ms": None}
    assert (series[2]["users"], series[2]["p50_ms"], series[2]["p95_ms"]) == (1, 22, 53)


def test_a_long_time_series_is_thinned_keeping_the_last_point():
    header = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,95%,Total Request Count\n"
    rows = "".join(f"{1000 + second},5,,Aggregated,3.0,0.0,20,40,{second}\n" for second in range(1000))
    series = locust_summary(fixture("locust_stats.csv"), "", header + rows)["time_series"]
    assert len(series) <= 241 and series[0]["t_s"] == 0 and series[-1]["t_s"] == 999


@pytest.mark.parametrize("text", ["", "   ", "a,b\n1,2\n", "Type,Name,Request Count\nGET,/x,1\n"])
def test_locust_summary_refuses_what_is_not_a_stats_csv(text):
    with pytest.raises(AnsibleFilterError):
        locust_summary(text)


def test_percentiles_of_a_run_without_requests_are_none():
    header = fixture("locust_stats.csv").splitlines()[0]
    empty = header + "\n,Aggregated,0,0,0,0.0,0,0,0,0.0,0.0" + ",N/A" * 11 + "\n"
    summary = locust_summary(empty)
    assert summary["requests"] == 0
    assert summary["p95_ms"] is None
    assert summary["failure_rate_pct"] is None


def test_thresholds_pass_on_a_fast_clean_run(summary):
    checks = load_thresholds(dict(summary, failures=0, failure_rate_pct=0.0), SPEC_THRESHOLDS)
    assert [check["status"] for check in checks] == ["passed"] * 4


def test_error_rate_between_one_and_five_percent_warns(summary):
    checks = {check["name"]: check for check in load_thresholds(summary, SPEC_THRESHOLDS)}
    assert checks["failure rate"]["status"] == "passed"
    assert checks["error rate"]["status"] == "warned"
    assert checks["error rate"]["target"] == "< 1 %"


def test_tight_p95_threshold_fails_the_phase(summary):
    checks = {check["name"]: check for check in
              load_thresholds(summary, dict(SPEC_THRESHOLDS, p95_ms=50, mean_ms=20))}
    assert checks["p95 response time"]["status"] == "failed"
    assert checks["p95 response time"]["value"] == 53
    assert checks["mean response time"]["status"] == "warned"


def test_a_run_without_requests_fails():
    checks = load_thresholds({"requests": 0}, SPEC_THRESHOLDS)
    assert checks[0]["status"] == "failed"


def test_missing_percentile_fails_instead_of_passing(summary):
    checks = load_thresholds(dict(summary, p95_ms=None), SPEC_THRESHOLDS)
    assert checks[0]["status"] == "failed"
    assert checks[0]["detail"].startswith("not measured")


def test_thresholds_must_all_be_given(summary):
    with pytest.raises(AnsibleFilterError, match="error_rate_pct"):
        load_thresholds(summary, {"p95_ms": 1, "failure_rate_pct": 1, "mean_ms": 1})


def latency_json(ok_ms: list, failed_ms: list, name: str = "POST /api/v1/predictions/match", **counts) -> str:
    """The locustfile's locust_latency.json for one endpoint (counts default to the samples')."""
    return json.dumps({"samples_max": 20000, "endpoints": {name: {
        "ok": {"count": counts.get("ok", len(ok_ms)), "samples_ms": ok_ms},
        "failed": {"count": counts.get("failed", len(failed_ms)), "samples_ms": failed_ms}}}})


def test_latency_is_split_by_outcome():
    latency = locust_summary(fixture("locust_stats.csv"), "", "",
                             latency_json(list(range(1, 101)), [0.5, 0.7]))["latency"]
    assert latency["successful"] == {"requests": 100, "sampled": False, "mean_ms": 50.5,
                                     "p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}
    assert (latency["failed"]["requests"], latency["failed"]["p95_ms"]) == (2, 0.7)
    assert set(latency["endpoints"]) == {"POST /api/v1/predictions/match"}


def test_without_the_latency_file_there_is_no_split(summary):
    assert summary["latency"] is None


def test_instant_failures_do_not_make_a_slow_run_pass(summary):
    # 91 % refused in a millisecond, the rest slow: Locust's aggregate p95 would look fast.
    latency = latency_json([1500.0] * 9, [1.0] * 91)
    checks = {check["name"]: check for check in load_thresholds(
        locust_summary(fixture("locust_stats.csv"), "", "", latency), SPEC_THRESHOLDS)}
    assert checks["p95 response time"]["status"] == "failed"
    assert checks["p95 response time"]["value"] == 1500.0
    assert "of the 9 successful requests; the 91 failed requests (p95 1.0 ms) excluded" in checks["p95 response time"]["detail"]
    assert checks["mean response time"]["status"] == "warned"


def test_latency_is_not_measured_when_no_request_succeeded(summary):
    checks = {check["name"]: check for check in load_thresholds(
        locust_summary(fixture("locust_stats.csv"), "", "", latency_json([], [0.4] * 50)), SPEC_THRESHOLDS)}
    assert checks["p95 response time"]["status"] == "failed"
    assert checks["p95 response time"]["value"] is None
    assert "none of 50 succeeded" in checks["p95 response time"]["detail"]


def test_a_sampled_outcome_says_so(summary):
    latency = locust_summary(fixture("locust_stats.csv"), "", "", latency_json([10.0] * 10, [], ok=500))["latency"]
    assert latency["successful"]["sampled"] is True
    assert latency["successful"]["requests"] == 500
    checks = load_thresholds(dict(summary, latency=latency), SPEC_THRESHOLDS)
    assert "500 successful requests, sampled" in checks[0]["detail"]


def test_aggregate_latency_says_it_includes_failures(summary):
    checks = load_thresholds(summary, SPEC_THRESHOLDS)
    assert checks[0]["detail"] == "Locust aggregated 95th percentile, its 2 failed requests included (no latency by outcome) (fails the phase)"


@pytest.mark.parametrize("text", ["{}", "[]", "not json", '{"endpoints": {"x": {"ok": {}}}}'])
def test_latency_json_that_is_not_the_locustfiles_is_refused(text, summary):
    with pytest.raises(AnsibleFilterError, match="latency_by_outcome"):
        locust_summary(fixture("locust_stats.csv"), "", "", text)


def test_ab_summary():
    summary = ab_summary(fixture("ab_health.txt"))
    assert summary["complete_requests"] == 100
    assert summary["failed_requests"] == 0
    assert summary["error_rate_pct"] == 0.0
    assert summary["throughput_rps"] == pytest.approx(2774.39)
    assert summary["mean_ms"] == pytest.approx(3.604)
    assert (summary["p50_ms"], summary["p95_ms"], summary["p100_ms"]) == (2, 3, 4)


def test_ab_length_mismatches_are_not_errors():
    summary = ab_summary(fixture("ab_health_varying_length.txt"))
    assert summary["complete_requests"] == 100
    assert summary["length_mismatches"] == 93
    assert summary["failed_requests"] == 0
    assert summary["error_rate_pct"] == 0.0


def test_ab_connection_failures_are_errors():
    text = fixture("ab_health_varying_length.txt").replace(
        "(Connect: 0, Receive: 0, Length: 93, Exceptions: 0)", "(Connect: 0, Receive: 0, Length: 90, Exceptions: 3)")
    assert ab_summary(text)["failed_requests"] == 3
    assert ab_summary(text)["error_rate_pct"] == 3.0


def test_ab_summary_counts_non_2xx_as_errors():
    text = fixture("ab_health.txt").replace(
        "Failed requests:        0", "Failed requests:        0\nNon-2xx responses:      100")
    assert ab_summary(text)["error_rate_pct"] == 100.0


def test_ab_summary_refuses_other_text():
    with pytest.raises(AnsibleFilterError):
        ab_summary("apr_socket_connect(): Connection refused (111)")


def test_k6_summary():
    summary = k6_summary(fixture("k6_summary.json"))
    assert summary == {"requests": 600, "throughput_rps": 14.982, "mean_ms": 41.237, "p50_ms": 22.31,
                       "p95_ms": 88.44, "failure_rate_pct": 0.5}


def test_k6_summary_refuses_other_json():
    with pytest.raises(AnsibleFilterError):
        k6_summary('{"no": "metrics"}')


@pytest.mark.parametrize(("text", "expected"), [
    ("0B", 0), ("512B", 512), ("1.5kB", 1500), ("12.5MiB", 13107200), ("1GiB", 1073741824),
    ("2.1MB", 2100000), ("n/a", None), ("12parsecs", None),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_docker_stats_and_resource_summary():
    rounds = [docker_stats(fixture("docker_stats.jsonl")), docker_stats(fixture("docker_stats.jsonl"))]
    app = next(sample for sample in rounds[0] if sample["name"].endswith("-app-1"))
    assert app["mem_bytes"] > 0 and app["mem_limit_bytes"] > app["mem_bytes"]
    assert app["cpu_pct"] is not None
    summary = resource_summary(rounds)
    assert summary[app["name"]]["samples"] == 2
    assert summary[app["name"]]["cpu_pct_peak"] == app["cpu_pct"]


def test_docker_stats_refuses_non_json():
    with pytest.raises(AnsibleFilterError):
        docker_stats("CONTAINER ID   NAME   CPU %")


def test_log_level_counts():
    text = "\n".join([
        "2026-11-26 11:40:01,123 INFO footballpred_app.api: request served",
        "2026-11-26 11:40:01,124 WARNING footballpred_app.cache: redis slow",
        "2026-11-26 11:40:01,125 ERROR footballpred_app.api: prediction failed",
        "INFO:     127.0.0.1:5555 - \"GET /health HTTP/1.1\" 200 OK",
        "WARN something from a library",
        "a line that mentions INFORMATION but has no level",
    ])
    assert log_level_counts(text) == {"DEBUG": 0, "INFO": 2, "WARNING": 2, "ERROR": 1, "CRITICAL": 0}


def test_series_summary():
    assert series_summary([3, None, 1, 2]) == {"samples": 3, "min": 1.0, "max": 3.0, "mean": 2.0, "last": 2.0}
    assert series_summary([])["samples"] == 0
