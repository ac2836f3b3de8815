"""The HTTP contract of the spec, end to end through the app (external services faked)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from footballpred_app.db import Database, Prediction
from footballpred_app.model_store import ModelStore

ARSENAL_CHELSEA = {"home_team": "Arsenal", "away_team": "Chelsea",
                   "match_date": "2024-12-25T15:00:00Z", "league": "Premier League"}
UNITED_LIVERPOOL = {"home_team": "Manchester United", "away_team": "Liverpool",
                    "match_date": "2024-12-26T15:00:00Z", "league": "Premier League"}
OUTCOMES = {"home_win", "draw", "away_win"}


def prediction_rows(services) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count(Prediction.id)))


def assert_error(response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert body["detail"]
    return body


# -- /health ---------------------------------------------------------------------------

def test_health_is_healthy_when_every_dependency_answers(client) -> None:
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "healthy"
    assert set(body["checks"]) == {"database", "redis", "kafka", "mlflow"}
    assert all(check["status"] == "ok" and check["latency_ms"] >= 0 for check in body["checks"].values())
    assert (body["version"], body["git_commit"], body["environment"]) == ("9.9.9-test", "abc1234", "test")
    assert body["build_date"] == "2024-01-01T00:00:00Z"
    assert body["model"]["loaded"] is True and body["model"]["version"] == "1"


@pytest.mark.parametrize("dependency", ["redis", "kafka", "mlflow"])
def test_health_is_unhealthy_when_a_dependency_is_down(client, services, fake_mlflow, dependency) -> None:
    target = {"redis": services.cache, "kafka": services.events, "mlflow": fake_mlflow}[dependency]
    target.down = True
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unhealthy"
    assert body["checks"][dependency]["status"] == "error"
    assert [name for name, check in body["checks"].items() if check["status"] != "ok"] == [dependency]
    assert body["version"] == "9.9.9-test"


def test_health_is_unhealthy_when_the_database_is_gone(client, services) -> None:
    # A real driver against a closed port: connection refused, reported, not raised.
    services.database = Database("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_timeout_s=1)
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["status"] in {"error", "timeout"}
    assert body["checks"]["redis"]["status"] == "ok"


def test_health_reports_failing_event_delivery(client, services) -> None:
    services.events.stats.last_error = "delivery failed: timed out"
    services.events.stats.last_error_at = time.time()
    response = client.get("/health")
    assert response.status_code == 503
    assert "delivery is failing" in response.json()["checks"]["kafka"]["detail"]


def test_health_fault_injection(client_factory) -> None:
    client, _services = client_factory(fault_health_fail=True)
    with client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["fault_injected"] == "FAULT_HEALTH_FAIL"


# -- docs and metrics ---------------------------------------------------------------------

def test_docs_and_openapi_are_served(client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/api/v1/models/info", "/api/v1/data/matches", "/api/v1/predictions/match",
            "/api/v1/predictions/match/batch"} <= set(paths)


def metric_value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template_and_status(client) -> None:
    series = 'http_requests_total{method="POST",path="/api/v1/predictions/match",status="422"}'
    before = metric_value(client.get("/metrics").text, series)
    client.post("/api/v1/predictions/match", json={**ARSENAL_CHELSEA, "match_date": "nope"})
    client.get("/health")
    client.get("/docs")
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert metric_value(text, series) == before + 1
    assert metric_value(text, 'http_request_duration_seconds_count{method="GET",path="/health"}') >= 1
    # Unrouted URLs share one label value, so scanners cannot blow up the series count.
    assert 'path="/nowhere"' not in text
    assert 'path="unmatched",status="404"' in text
    assert 'http_requests_total{method="GET",path="/docs",status="200"}' in text


# -- data ---------------------------------------------------------------------------------

def test_matches_are_paginated_newest_first(client) -> None:
    first = client.post("/api/v1/data/matches", json={"limit": 5, "offset": 0}).json()
    second = client.post("/api/v1/data/matches", json={"limit": 5, "offset": 5}).json()
    assert len(first["matches"]) == 5 and first["total"] == 292
    dates = [m["match_date"] for m in first["matches"] + second["matches"]]
    assert dates == sorted(dates, reverse=True)
    assert not {m["id"] for m in first["matches"]} & {m["id"] for m in second["matches"]}
    match = first["matches"][0]
    assert set(match) >= {"home_team", "away_team", "home_goals", "away_goals", "result", "season"}


def test_matches_filter_by_team(client) -> None:
    body = client.post("/api/v1/data/matches", json={"limit": 500, "team": "arsenal"}).json()
    assert body["total"] == 2 * 14  # 8-team league, home and away, two seasons
    assert all("Arsenal" in (m["home_team"], m["away_team"]) for m in body["matches"])


def test_matches_without_body_use_defaults(client) -> None:
    body = client.post("/api/v1/data/matches").json()
    assert (body["limit"], body["offset"], len(body["matches"])) == (20, 0, 20)


def test_matches_reject_bad_paging(client) -> None:
    assert_error(client.post("/api/v1/data/matches", json={"limit": 0}), 422, "validation_error")
    assert_error(client.post("/api/v1/data/matches", json={"offset": -1}), 422, "validation_error")


# -- predictions --------------------------------------------------------------------------

def test_single_prediction_is_stored_published_and_cached(client, services) -> None:
    response = client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA)
    body = response.json()
    assert response.status_code == 200
    assert body["prediction"] in OUTCOMES
    assert body["confidence"] == max(body["probabilities"].values())
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert body["expected_goals"]["home"] > 0 and body["model_version"] == "1"
    assert body["cached"] is False and body["event_queued"] is True

    with services.database.session() as session:
        row = session.get(Prediction, body["prediction_id"])
        assert row.predicted_outcome == body["prediction"] and row.model_version == "1"

    key, event = services.events.published[-1]
    assert key == body["request_id"]
    assert event["prediction_id"] == body["prediction_id"]
    assert event["event_type"] == "prediction.created"
    assert (event["home_team"], event["away_team"]) == ("Arsenal", "Chelsea")

    again = client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA).json()
    assert again["cached"] is True
    assert again["probabilities"] == body["probabilities"]
    assert again["prediction_id"] != body["prediction_id"]
    assert prediction_rows(services) == 2


def test_team_names_are_case_insensitive(client) -> None:
    body = client.post("/api/v1/predictions/match", json={**ARSENAL_CHELSEA, "home_team": "arsenal"}).json()
    assert body["home_team"] == "Arsenal"


def test_prediction_without_league_uses_the_home_league(client) -> None:
    payload = {k: v for k, v in ARSENAL_CHELSEA.items() if k != "league"}
    assert client.post("/api/v1/predictions/match", json=payload).json()["league"] == "Premier League"


@pytest.mark.parametrize("home, away, league", [
    ("Barcelona", "Real Madrid", "La Liga"),
    ("Bayern Munich", "Borussia Dortmund", "Bundesliga"),
    ("PSG", "Lyon", "Ligue 1"),
])
def test_spec_fixtures_are_predicted(client, home, away, league) -> None:
    payload = {"home_team": home, "away_team": away, "match_date": "2025-01-05T20:00:00Z", "league": league}
    response = client.post("/api/v1/predictions/match", json=payload)
    assert response.status_code == 200
    assert response.json()["prediction"] in OUTCOMES


def test_stronger_home_side_is_favoured(client) -> None:
    payload = {"home_team": "Bayern Munich", "away_team": "VfL Wolfsburg",
               "match_date": "2025-01-05T20:00:00Z", "league": "Bundesliga"}
    body = client.post("/api/v1/predictions/match", json=payload).json()
    assert body["prediction"] == "home_win"
    assert body["probabilities"]["home_win"] > 0.5


def test_batch_prediction(client, services) -> None:
    response = client.post("/api/v1/predictions/match/batch", json={"matches": [ARSENAL_CHELSEA, UNITED_LIVERPOOL]})
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [(p["home_team"], p["away_team"]) for p in body["predictions"]] == [
        ("Arsenal", "Chelsea"), ("Manchester United", "Liverpool")]
    for prediction in body["predictions"]:
        assert prediction["prediction"] in OUTCOMES and 0 < prediction["confidence"] <= 1
    assert prediction_rows(services) == 2
    assert len(services.events.published) == 2


def test_unknown_team_is_a_json_error_and_writes_nothing(client, services) -> None:
    response = client.post("/api/v1/predictions/match",
                           json={**ARSENAL_CHELSEA, "home_team": "Invalid Team Name 123"})
    body = assert_error(response, 422, "unknown_team")
    assert "Invalid Team Name 123" in body["detail"]
    assert prediction_rows(services) == 0
    assert services.events.published == []


def test_invalid_date_is_a_json_error(client) -> None:
    response = client.post("/api/v1/predictions/match",
                           json={**ARSENAL_CHELSEA, "match_date": "invalid-date-format"})
    body = assert_error(response, 422, "validation_error")
    assert "match_date" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "match_date"]


def test_missing_field_and_malformed_json_are_json_errors(client) -> None:
    assert_error(client.post("/api/v1/predictions/match", json={"home_team": "Arsenal"}), 422, "validation_error")
    response = client.post("/api/v1/predictions/match", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert_error(response, 422, "validation_error")


def test_league_mismatch_and_self_fixture_are_rejected(client) -> None:
    assert_error(client.post("/api/v1/predictions/match", json={**ARSENAL_CHELSEA, "league": "La Liga"}),
                 422, "league_mismatch")
    assert_error(client.post("/api/v1/predictions/match", json={**ARSENAL_CHELSEA, "away_team": "Arsenal"}),
                 422, "invalid_fixture")


def test_batch_with_one_bad_match_is_rejected_whole(client, services) -> None:
    bad = {**UNITED_LIVERPOOL, "away_team": "Invalid Team Name 123"}
    assert_error(client.post("/api/v1/predictions/match/batch", json={"matches": [ARSENAL_CHELSEA, bad]}),
                 422, "unknown_team")
    assert_error(client.post("/api/v1/predictions/match/batch", json={"matches": []}), 422, "validation_error")
    assert prediction_rows(services) == 0


def test_unknown_route_is_a_json_error(client) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/v1/predictions/match"), 405, "method_not_allowed")


def test_prediction_survives_a_kafka_and_redis_outage(client, services) -> None:
    services.events.down = True
    services.cache.down = True
    response = client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA)
    assert response.status_code == 200
    assert response.json()["event_queued"] is False
    assert response.json()["cached"] is False
    assert prediction_rows(services) == 1


def test_no_registered_model_gives_503(client, services, fake_mlflow) -> None:
    services.models = ModelStore(services.registry, "no-such-model", "staging")
    assert_error(client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA), 503, "model_unavailable")


def test_fault_injected_latency(client_factory) -> None:
    client, _services = client_factory(fault_slow_ms=300)
    with client:
        started = time.perf_counter()
        assert client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA).status_code == 200
        assert time.perf_counter() - started >= 0.3


# -- models -------------------------------------------------------------------------------

def test_models_info_reads_the_registry(client) -> None:
    response = client.get("/api/v1/models/info")
    body = response.json()
    assert response.status_code == 200
    [model] = body["models"]
    assert (model["name"], model["version"], model["stage"]) == ("football-match-predictor", "1", "Staging")
    assert model["aliases"] == ["staging"]
    assert model["trained_on_matches"] == 292
    assert model["run_id"] and model["serving"] is True
    assert body["serving"]["version"] == "1"


def test_models_info_when_registry_is_down(client, fake_mlflow) -> None:
    fake_mlflow.down = True
    assert_error(client.get("/api/v1/models/info"), 503, "registry_unavailable")


def test_reload_switches_to_the_newly_aliased_version(client, settings, database, registry) -> None:
    from footballpred_app.train import train_and_register

    assert train_and_register(settings, database, registry, force=True)["version"] == "2"
    assert client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA).json()["model_version"] == "1"
    assert client.post("/api/v1/models/reload").json()["version"] == "2"
    assert client.post("/api/v1/predictions/match", json=ARSENAL_CHELSEA).json()["model_version"] == "2"
    stages = {m["version"]: m["stage"] for m in client.get("/api/v1/models/info").json()["models"]}
    assert stages == {"2": "Staging", "1": "Archived"}
