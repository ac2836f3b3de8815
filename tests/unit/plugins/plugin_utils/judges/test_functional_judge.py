# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The functional judge, from module results written after the modules' RETURN (fixtures/functional)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.functional import judge

FIXTURES = Path(__file__).parent / "fixtures" / "functional"
TARGETS = {
    "expected_health_status": "healthy", "metrics_required": ["http_requests_total"],
    "matches_request": {"limit": 5, "offset": 0}, "expected_models": ["football-match-predictor"],
    "prediction": {"home_team": "Arsenal", "away_team": "Chelsea", "match_date": "2024-12-25T15:00:00Z"},
    "batch": [{"home_team": "Manchester United", "away_team": "Liverpool"},
              {"home_team": "Barcelona", "away_team": "Real Madrid"}],
    "prediction_latency_budget_ms": 1000, "error_statuses": [400, 404, 422],
    "predictions_table": "public.predictions", "kafka_topic": "prediction-events", "kafka_round_trip_timeout_s": 10}
CONTRACT = ["GET /health", "GET /docs", "GET /metrics", "GET /api/v1/models/info", "POST /api/v1/data/matches"]
DATABASE = ["database CRUD", "scratch table dropped", "database sessions (pg_stat_activity)"]
MODEL = ["models/info lists the models", "single prediction", "single prediction latency", "batch prediction of 2",
         "invalid team rejected", "invalid date rejected", "predictions stored"]
ORDER = ["api", "db", "table_checked", "count_before", "single", "more", "stored", "count_after", "kafka"]


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def probes(**given) -> dict:
    """Every step passed, overridden by ``given`` (fixture names or values)."""
    names = {"api": "api_contract_passed", "db": "db_crud_passed", "table_checked": "assert_passed",
             "count_before": "count_before", "single": "single_passed", "more": "more_passed", "stored": "stored_all",
             "count_after": "count_after", "kafka": "kafka_passed"}
    names.update(given)
    result = {key: fixture(value) if key in ORDER and isinstance(value, str) else value for key, value in names.items()}
    result.setdefault("check_mode", False)
    result.setdefault("failed_step", None)
    return result


def stopped_at(step: str) -> dict:
    """The probes when the module of ``step`` failed: it registered a failure, the later ones nothing."""
    later = ORDER[ORDER.index(step) + 1:]
    return probes(**{step: "module_failed"}, **dict.fromkeys(later),
                  failed_step={"task": f"task of {step}", "msg": "probe single prediction: bad path"})


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_a_working_stack_passes_every_check_in_the_roles_order():
    judgement = judge(probes(), TARGETS)
    assert [item["name"] for item in judgement["checks"]] == CONTRACT + DATABASE + MODEL + ["kafka round trip"]
    assert phase_status(judgement["checks"]) == "passed"
    checks = by_name(judgement)
    assert checks["GET /health"]["target"] == 'HTTP 200, JSON status == "healthy"'
    assert checks["GET /metrics"]["target"] == "HTTP 200, contains http_requests_total"
    assert checks["POST /api/v1/data/matches"] == {
        "name": "POST /api/v1/data/matches", "status": "passed", "value": "HTTP 200 in 15.4 ms, 2 matches",
        "target": "HTTP 200, 1..5 matches with teams and date", "detail": ""}
    assert checks["database CRUD"]["value"] == (
        "create 3.2 ms, write 1.1 ms, read 0.4 ms, update 0.9 ms, delete 0.8 ms, drop 2.5 ms")
    assert checks["scratch table dropped"]["value"] == "public.fp_rehearsal_probe_1764150000_3f2a9c1b0d4e gone"
    assert checks["database sessions (pg_stat_activity)"]["value"] == (
        "total 7, active 1, idle 5, idle in transaction 0")
    assert checks["database sessions (pg_stat_activity)"]["detail"] == "max_connections 100 (7.0 % used)"
    assert checks["models/info lists the models"]["value"] == "1 version(s): football-match-predictor 2 Staging"
    assert checks["models/info lists the models"]["detail"] == (
        'serving {"name": "football-match-predictor", "version": "2"}')
    assert checks["single prediction"]["value"] == (
        "HTTP 200, Arsenal - Chelsea: home_win (confidence 0.61, computed by the model)")
    assert checks["single prediction"]["detail"] == "model football-match-predictor v2, prediction_id 101"
    assert checks["single prediction latency"]["value"] == "48.5 ms"
    assert checks["batch prediction of 2"]["value"] == (
        "HTTP 200 in 80.3 ms, 2 predictions: Manchester United - Liverpool: draw, Barcelona - Real Madrid: away_win")
    assert checks["invalid team rejected"]["value"] == "HTTP 404, error unknown_team"
    assert checks["invalid team rejected"]["target"] == "HTTP 400/404/422 with a JSON error"
    assert checks["invalid date rejected"]["detail"].endswith("...")
    assert len(checks["invalid date rejected"]["detail"]) <= 200
    assert checks["predictions stored"]["value"] == "3/3 predictions found by id and request id, rows 10 -> 13"
    assert checks["predictions stored"]["detail"] == ""
    assert checks["kafka round trip"]["value"] == "produced in 6.1 ms, consumed in 9.8 ms (total 15.9 ms)"
    assert checks["kafka round trip"]["detail"] == "partition 0, offset 42"
    assert judgement["evidence"] == {
        "api_latency_ms": dict(zip(CONTRACT, [12.1, 5.0, 7.7, 9.3, 15.4])), "api_batch_wall_ms": 40.2,
        "db_sessions": fixture("db_crud_passed")["connections"],
        "crud_steps": fixture("db_crud_passed")["crud_probe"]["steps"],
        "prediction_latency_ms": 48.5, "batch_latency_ms": 80.3, "model_version": "2",
        "predictions_rows_before": 10, "predictions_rows_after": 13, "kafka_round_trip_ms": 15.9}


def test_rows_written_by_other_clients_meanwhile_are_named_but_pass():
    stored = by_name(judge(probes(count_after="count_after_busy"), TARGETS))["predictions stored"]
    assert (stored["status"], stored["detail"]) == ("passed", "2 rows written by other clients meanwhile")


def test_incomplete_models_too_many_matches_and_failing_backends():
    judgement = judge(probes(api="api_contract_models_incomplete_too_many_matches",
                             db="db_crud_failed_sessions_unreadable", more="more_batch_out_of_order_not_rejected",
                             stored="stored_one_missing", kafka="kafka_round_trip_timeout"), TARGETS)
    checks = by_name(judgement)
    assert checks["POST /api/v1/data/matches"]["status"] == "failed"
    assert checks["POST /api/v1/data/matches"]["detail"] == "more matches than the limit asked for"
    assert checks["GET /api/v1/models/info"]["status"] == "passed"
    info = checks["models/info lists the models"]
    assert (info["status"], info["value"], info["detail"]) == (
        "failed", "1 version(s): other-model 1 ?", "missing: football-match-predictor")
    assert checks["database CRUD"] == {
        "name": "database CRUD", "status": "failed", "value": "failed",
        "target": "create, write, read, update, delete, drop on a scratch table succeed",
        "detail": "update: InsufficientPrivilege: permission denied"}
    assert checks["scratch table dropped"]["status"] == "failed"
    assert checks["scratch table dropped"]["value"].endswith(" still there")
    sessions = checks["database sessions (pg_stat_activity)"]
    assert (sessions["status"], sessions["value"], sessions["detail"]) == (
        "failed", "unknown", "InsufficientPrivilege: permission denied for pg_stat_activity")
    assert checks["batch prediction of 2"]["status"] == "failed", "the pairs are out of order"
    assert checks["invalid team rejected"]["value"] == "HTTP 200, error none"
    assert checks["invalid date rejected"]["value"] == "HTTP 500, error none"
    assert checks["invalid date rejected"]["detail"] == "status 500 not in [400, 404, 422]"
    assert checks["predictions stored"]["status"] == "failed"
    assert checks["predictions stored"]["detail"] == "answered without a stored row: 102:req-102"
    kafka = checks["kafka round trip"]
    assert (kafka["status"], kafka["value"], kafka["detail"]) == ("failed", "failed", "not consumed within 10 s")
    assert kafka["target"] == "message consumed back from prediction-events within 10 s"
    assert judgement["evidence"]["kafka_round_trip_ms"] is None


def test_an_unknown_team_is_not_answered_and_backends_down():
    judgement = judge(probes(single="single_unknown_team", stored="stored_batch_only", db="db_down",
                             kafka="kafka_down"), {**TARGETS, "prediction_latency_budget_ms": "5"})
    checks = by_name(judgement)
    assert checks["single prediction"]["status"] == "failed"
    assert checks["single prediction"]["value"] == "HTTP 404, ? - ?: ? (confidence ?, computed by the model)"
    assert checks["single prediction"]["detail"] == "status 404 not in [200]"
    assert checks["single prediction latency"]["status"] == "failed", "8.2 ms is over a budget of 5"
    assert checks["single prediction latency"]["target"] == "< 5 ms"
    assert checks["batch prediction of 2"]["status"] == "passed"
    assert checks["predictions stored"]["status"] == "failed"
    assert checks["predictions stored"]["detail"] == "only 2 predictions were answered"
    assert checks["database CRUD"]["value"] == "not_run"
    assert checks["database CRUD"]["detail"].startswith("OperationalError")
    assert checks["scratch table dropped"]["value"] == " still there"
    assert checks["database sessions (pg_stat_activity)"]["detail"].startswith("OperationalError")
    assert checks["kafka round trip"]["value"] == "not_run"
    assert checks["kafka round trip"]["detail"].startswith("KafkaTimeoutError")
    assert judgement["evidence"]["model_version"] is None


def test_an_api_that_does_not_answer():
    checks = by_name(judge(probes(api="api_contract_down"), TARGETS))
    assert checks["GET /health"]["value"] == "HTTP None in 0.9 ms"
    assert checks["GET /health"]["detail"].startswith("URLError")
    assert checks["models/info lists the models"]["value"] == "0 version(s): "
    assert checks["models/info lists the models"]["detail"] == "missing: football-match-predictor"


def test_check_mode_skips_the_model_and_the_writing_probes():
    judgement = judge(probes(api="api_contract_check_mode", db="db_crud_check_mode", kafka="kafka_check_mode",
                             **dict.fromkeys(["table_checked", "count_before", "single", "more", "stored",
                                              "count_after"]), check_mode=True), TARGETS)
    checks = by_name(judgement)
    assert list(checks) == CONTRACT + DATABASE + ["model checks", "kafka round trip"]
    assert checks["POST /api/v1/data/matches"] == {
        "name": "POST /api/v1/data/matches", "status": "passed", "value": "HTTP None in None ms",
        "target": "HTTP 200, 1..5 matches with teams and date", "detail": ""}
    assert checks["database CRUD"]["status"] == "skipped"
    assert checks["scratch table dropped"]["status"] == "skipped"
    assert checks["model checks"] == {"name": "model checks", "status": "skipped", "value": "check mode",
                                      "target": "predictions answered and stored",
                                      "detail": "every prediction stores a row"}
    assert (checks["kafka round trip"]["status"], checks["kafka round trip"]["value"]) == ("skipped", "skipped")
    assert phase_status(judgement["checks"]) == "passed"
    assert "prediction_latency_ms" not in judgement["evidence"]


def test_without_a_limit_twenty_matches_are_allowed():
    checks = by_name(judge(probes(api="api_contract_models_incomplete_too_many_matches"),
                           {**TARGETS, "matches_request": {"offset": 0}}))
    assert checks["POST /api/v1/data/matches"]["status"] == "passed"
    assert checks["POST /api/v1/data/matches"]["target"] == "HTTP 200, 1..20 matches with teams and date"


@pytest.mark.parametrize("step, recorded", [
    ("api", []), ("db", CONTRACT), ("table_checked", CONTRACT + DATABASE),
    ("count_before", CONTRACT + DATABASE + MODEL[:1]), ("stored", CONTRACT + DATABASE + MODEL[:1]),
    ("count_after", CONTRACT + DATABASE + MODEL[:1]), ("kafka", CONTRACT + DATABASE + MODEL)])
def test_a_failed_step_ends_the_checks_and_is_recorded(step, recorded):
    judgement = judge(stopped_at(step), TARGETS)
    assert [item["name"] for item in judgement["checks"]] == recorded + ["functional step"]
    assert judgement["checks"][-1] == {"name": "functional step", "status": "failed", "value": f"task of {step}",
                                       "target": "every step completes",
                                       "detail": "probe single prediction: bad path"}


def test_in_check_mode_a_failed_database_step_records_no_model_check():
    judgement = judge({**stopped_at("db"), "check_mode": True}, TARGETS)
    assert [item["name"] for item in judgement["checks"]] == CONTRACT + ["functional step"]


def test_the_failed_step_is_not_recorded_when_a_check_already_failed():
    judgement = judge({**stopped_at("kafka"), "single": fixture("single_unknown_team"),
                       "stored": fixture("stored_batch_only")}, TARGETS)
    assert "functional step" not in by_name(judgement)
    assert phase_status(judgement["checks"]) == "failed"


def test_nothing_registered_records_nothing():
    assert judge({}, TARGETS) == {"checks": [], "evidence": {}}
    assert judge(probes(api={"skipped": True, "changed": False}), TARGETS)["checks"] == []
