# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health judge, from module results written after the modules' RETURN (fixtures/health)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.health import judge

FIXTURES = Path(__file__).parent / "fixtures" / "health"
TARGETS = {"expected_status": "healthy", "latency_budget_ms": 2000, "metrics_required": ["http_requests_total"],
           "db_max_connections_percent": 80, "kafka_required_topics": ["prediction-events"],
           "mlflow_required_models": ["football-match-predictor@staging"]}
NAMES = ["app /health", "app /health latency", "app /metrics", "database SELECT 1", "database connections",
         "redis PING", "kafka topics", "mlflow model registry"]


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def probes(**given) -> dict:
    """Every probe passed, the checks timed, overridden by ``given`` (fixture names or values)."""
    base = {"api": "api_passed", "db": "db_passed", "redis": "redis_passed", "kafka": "kafka_passed",
            "mlflow": "mlflow_passed", "checks_started_at": "2026-12-03T10:00:00+00:00",
            "checks_ended_at": "2026-12-03T10:00:08.250000+00:00", "failed_step": None}
    base.update(given)
    return {key: fixture(value) if key in ("api", "db", "redis", "kafka", "mlflow") and isinstance(value, str)
            else value for key, value in base.items()}


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_a_healthy_stack_passes_every_check_with_what_was_measured():
    judgement = judge(probes(), TARGETS)
    checks = by_name(judgement)
    assert list(checks) == NAMES
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["app /health"] == {
        "name": "app /health", "status": "passed", "value": 'HTTP 200, status "healthy"',
        "target": 'HTTP 200 and status == "healthy"',
        "detail": "version 1.2.0, commit 3f2a9c1, dependencies: database=ok, redis=ok"}
    assert checks["app /health latency"]["value"] == "12.8 ms"
    assert checks["app /health latency"]["target"] == "< 2000 ms"
    assert checks["app /metrics"]["value"] == "HTTP 200, has http_requests_total"
    assert checks["database SELECT 1"]["value"] == "1 in 0.41 ms"
    assert checks["database SELECT 1"]["detail"] == "PostgreSQL 15.14, connected in 4.127 ms"
    assert checks["database connections"]["value"] == "7 of 100 (7.0 %)"
    assert checks["database connections"]["detail"] == "active 1, idle 5, idle in transaction 0"
    assert checks["redis PING"]["value"] == "PONG in 0.21 ms"
    assert checks["redis PING"]["detail"] == "Redis 7.0.15, db 1 holds 12 keys, used_memory 1022.34K"
    assert checks["kafka topics"]["value"] == "1 topics listed in 24.8 ms"
    assert checks["kafka topics"]["detail"] == "topics: prediction-events; 1 broker(s)"
    assert checks["mlflow model registry"]["value"] == "/health 200 in 3.2 ms, 1 registered model(s)"
    assert checks["mlflow model registry"]["detail"] == "MLflow 2.22.5, models: football-match-predictor"
    assert judgement["evidence"] == {
        "app_version": "1.2.0", "app_git_commit": "3f2a9c1", "health_latency_ms": 12.8,
        "app_dependencies": {"database": {"status": "ok"}, "redis": {"status": "ok"}},
        "db_server_version": "15.14", "db_connections": fixture("db_passed")["connections"],
        "redis_version": "7.0.15", "kafka_topics": ["prediction-events"], "mlflow_version": "2.22.5",
        "mlflow_models": ["football-match-predictor"], "checks_wall_s": 8.25}


def test_an_unhealthy_slow_app_fails_its_three_checks():
    checks = by_name(judge(probes(api="api_unhealthy_slow"), TARGETS))
    assert checks["app /health"]["status"] == "failed"
    assert checks["app /health"]["value"] == 'HTTP 503, status "unhealthy"'
    assert checks["app /health"]["detail"] == "status 503 not in [200]"
    assert checks["app /health latency"] == {
        "name": "app /health latency", "status": "failed", "value": "2503.2 ms", "target": "< 2000 ms", "detail": ""}
    assert checks["app /metrics"]["value"] == "HTTP 200"
    assert checks["app /metrics"]["detail"] == "body lacks http_requests_total"
    assert checks["database SELECT 1"]["status"] == "passed"


def test_an_app_that_does_not_answer():
    judgement = judge(probes(api="api_down"), TARGETS)
    checks = by_name(judgement)
    assert checks["app /health"]["value"] == 'HTTP None, status "none"'
    assert checks["app /health latency"]["value"] == "no response (1.2 ms)"
    assert checks["app /health latency"]["detail"].startswith("URLError")
    assert judgement["evidence"]["app_version"] is None
    assert judgement["evidence"]["app_dependencies"] == {}


def test_the_latency_budget_is_a_strict_bound_and_may_come_as_text():
    assert by_name(judge(probes(), {**TARGETS, "latency_budget_ms": "12.8"}))["app /health latency"]["status"] \
        == "failed"
    assert by_name(judge(probes(), {**TARGETS, "latency_budget_ms": "12.9"}))["app /health latency"]["status"] \
        == "passed"


def test_a_database_down_crowded_or_unreadable():
    down = by_name(judge(probes(db="db_down"), TARGETS))
    assert down["database SELECT 1"]["value"] == "no answer"
    assert down["database SELECT 1"]["detail"].startswith("OperationalError: connection to server")
    assert down["database connections"]["value"] == "unknown"
    assert down["database connections"]["detail"].startswith("OperationalError")
    crowded = by_name(judge(probes(db="db_crowded"), TARGETS))["database connections"]
    assert (crowded["status"], crowded["value"], crowded["target"]) == (
        "failed", "85 of 100 (85.0 %)", "< 80 % of max_connections")
    unreadable = by_name(judge(probes(db="db_connections_unreadable"), TARGETS))["database connections"]
    assert (unreadable["status"], unreadable["detail"]) == (
        "failed", "InsufficientPrivilege: permission denied for pg_stat_activity")


def test_a_database_gone_mid_check_fails_with_the_error():
    checks = by_name(judge(probes(db="db_gone_mid_check"), TARGETS))
    assert checks["database SELECT 1"]["status"] == "failed"
    assert checks["database SELECT 1"]["detail"] == "OperationalError: server closed the connection unexpectedly"


def test_redis_kafka_and_mlflow_down():
    checks = by_name(judge(probes(redis="redis_down", kafka="kafka_down", mlflow="mlflow_down"), TARGETS))
    assert {name: checks[name]["status"] for name in NAMES[5:]} == dict.fromkeys(NAMES[5:], "failed")
    assert checks["redis PING"]["value"] == "no PONG"
    assert checks["redis PING"]["detail"].startswith("ConnectionError")
    assert checks["kafka topics"]["value"] == "no answer"
    assert checks["kafka topics"]["detail"].startswith("KafkaTimeoutError")
    assert checks["mlflow model registry"]["value"] == "no answer"
    assert checks["mlflow model registry"]["detail"].startswith("ConnectionRefusedError")


def test_a_missing_topic_and_a_missing_model_are_named():
    judgement = judge(probes(kafka="kafka_missing_topic", mlflow="mlflow_missing_model"),
                      {**TARGETS, "kafka_required_topics": ["prediction-events", "fp-no-such-topic"]})
    checks = by_name(judgement)
    assert checks["kafka topics"]["status"] == "failed"
    assert checks["kafka topics"]["detail"] == "missing: fp-no-such-topic"
    assert checks["kafka topics"]["target"] == "topics listed, including prediction-events, fp-no-such-topic"
    assert checks["mlflow model registry"]["status"] == "failed"
    assert checks["mlflow model registry"]["detail"] == (
        "MLflow 2.22.5, models: , missing: football-match-predictor@staging")
    assert judgement["evidence"]["mlflow_models"] == []


@pytest.mark.parametrize("aborted, recorded", [("api", 0), ("db", 3), ("redis", 5), ("kafka", 6), ("mlflow", 7)])
def test_a_failed_module_ends_the_checks_and_the_step_is_recorded(aborted, recorded):
    failed_step = {"task": "Check Redis", "msg": "Failed to import the required Python library (redis)"}
    order = ["api", "db", "redis", "kafka", "mlflow"]
    given = {name: None for name in order[order.index(aborted) + 1:]}
    judgement = judge(probes(**{aborted: "module_failed"}, **given, checks_ended_at=None, failed_step=failed_step),
                      TARGETS)
    assert [item["name"] for item in judgement["checks"]] == NAMES[:recorded] + ["health step"]
    assert judgement["checks"][-1] == {"name": "health step", "status": "failed", "value": "Check Redis",
                                       "target": "every step completes", "detail": failed_step["msg"]}
    assert "checks_wall_s" not in judgement["evidence"]


def test_the_step_is_not_recorded_when_a_check_already_failed():
    judgement = judge(probes(db="db_down", redis="module_failed", kafka=None, mlflow=None, checks_ended_at=None,
                             failed_step={"task": "Check Redis", "msg": "boom"}), TARGETS)
    assert [item["name"] for item in judgement["checks"]] == NAMES[:5]


def test_a_long_failure_message_is_cut_like_jinja_truncate():
    message = "word " * 200
    judgement = judge(probes(api=None, db=None, redis=None, kafka=None, mlflow=None, checks_ended_at=None,
                             failed_step={"task": "Note when the checks started", "msg": message}), TARGETS)
    detail = judgement["checks"][0]["detail"]
    assert detail.endswith("...") and len(detail) <= 500
    assert detail == message[:497].rsplit(" ", 1)[0] + "..."


def test_probes_skipped_or_never_registered_record_nothing():
    assert judge({}, TARGETS) == {"checks": [], "evidence": {}}
    assert judge(probes(api={"skipped": True, "changed": False, "skip_reason": "Conditional result was False"}),
                 TARGETS)["checks"] == []
