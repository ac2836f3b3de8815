# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The post_rollback judge, from results written after the modules' return shapes (fixtures/rollback)."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_verify import judge

FIXTURES = Path(__file__).parent / "fixtures" / "rollback"
TARGETS = {"expected_services": ["app", "db", "redis", "kafka", "mlflow", "prometheus"], "health_max_response_s": 2}
NAMES = ["all services up", "data consistent with the backup", "models/info works", "/health response time",
         "Prometheus targets answer"]


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def probes(**given) -> dict:
    base = {"ps": "docker_host_info_all_up", "fingerprint": "db_check_fingerprint_backup", "api": "api_check_passed",
            "prometheus": "uri_targets_up", "backup": "backup"}
    base.update(given)
    return {key: fixture(value) if isinstance(value, str) else value for key, value in base.items()}


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_everything_back_passes_with_the_values_of_the_report():
    judgement = judge(probes(), TARGETS)
    checks = by_name(judgement)
    assert list(checks) == NAMES
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["all services up"]["value"] == "app, db, kafka, mlflow, prometheus, redis"
    assert checks["all services up"]["target"] == "app, db, redis, kafka, mlflow, prometheus running (healthy where checked)"
    assert checks["all services up"]["detail"].startswith("Up 2 minutes (healthy); Up 2 minutes (healthy); ")
    data = checks["data consistent with the backup"]
    assert data["value"] == "3 tables, 401 rows, 0b6f3c5e8d41"
    assert data["target"] == "3 tables, 401 rows, 0b6f3c5e8d41 (manifest)"
    assert data["detail"] == "staging_db_20261203_090000.sql.gz"
    assert checks["models/info works"]["value"] == "football-match-predictor v3"
    assert checks["models/info works"]["detail"] == "HTTP 200 in 25.1 ms "
    assert checks["/health response time"] == {
        "name": "/health response time", "status": "passed", "value": "12.8 ms, healthy",
        "target": "HTTP 200, status healthy, < 2000 ms", "detail": "version 1.2.0, HTTP 200 "}
    assert checks["Prometheus targets answer"]["value"] == "2 of 2 targets up"
    assert checks["Prometheus targets answer"]["detail"] == "app, prometheus; read 2 times"
    assert judgement["evidence"] == {
        "services": [f"/football-prediction-staging-{name}-1: " + ("Up 3 minutes" if name == "kafka" else "Up 2 minutes (healthy)")
                     for name in ["app", "db", "redis", "kafka", "mlflow", "prometheus"]],
        "fingerprint": {"schemas": ["public"], "table_count": 3, "total_rows": 401,
                        "digest": fixture("backup")["manifest"]["fingerprint"]["digest"], "latency_ms": 12.4, "error": ""},
        "health_ms": 12.8, "version": "1.2.0",
        "prometheus_targets": ["http://127.0.0.1:8001/metrics", "http://127.0.0.1:9090/metrics"]}


def test_a_starting_or_exited_service_is_not_up():
    check = by_name(judge(probes(ps="docker_host_info_app_starting"), TARGETS))["all services up"]
    assert check["status"] == "failed"
    assert check["value"] == "db, kafka, mlflow, redis"
    assert check["detail"] == "not up: app, prometheus"


def test_data_that_differs_from_the_backup_names_the_tables():
    check = by_name(judge(probes(fingerprint="db_check_fingerprint_marker"), TARGETS))["data consistent with the backup"]
    assert check["status"] == "failed"
    assert check["value"] == "3 tables, 402 rows, 9f86d081884c"
    assert check["detail"] == "staging_db_20261203_090000.sql.gz; tables that differ: public.teams"


def test_without_a_verified_backup_the_data_is_not_judged():
    check = by_name(judge(probes(backup={}), TARGETS))["data consistent with the backup"]
    assert check["status"] == "not_run"
    assert check["target"] == "a verified backup"
    # As the role's Jinja did: without a manifest every live table "differs".
    assert check["detail"] == "no verified backup; tables that differ: public.alembic_version, public.matches, public.teams"


def test_an_unavailable_database_fails_the_data_check():
    check = by_name(judge(probes(fingerprint="db_check_unavailable"), TARGETS))["data consistent with the backup"]
    assert check["status"] == "failed"
    assert check["value"] == "? tables, ? rows, none"
    assert check["detail"].endswith("tables that differ: public.alembic_version, public.matches, public.teams")


def test_slow_health_and_broken_models_fail():
    checks = by_name(judge(probes(api="api_check_failed"), TARGETS))
    assert checks["/health response time"]["status"] == "failed"
    assert checks["/health response time"]["value"] == "2450.3 ms, healthy"
    assert checks["/health response time"]["detail"] == "version 1.2.0, HTTP 200 max_latency_ms: 2450.3 ms > 2000.0 ms"
    assert checks["models/info works"]["status"] == "failed"
    assert checks["models/info works"]["value"] == "none"
    assert checks["models/info works"]["detail"] == "HTTP 503 in 20.0 ms status: expected 200, got 503"


def test_a_target_still_down_after_the_reads_fails():
    check = by_name(judge(probes(prometheus="uri_targets_app_down"), TARGETS))["Prometheus targets answer"]
    assert check["status"] == "failed"
    assert check["value"] == "1 of 2 targets up"
    assert check["detail"] == "down: app; read 10 times"


def test_one_read_is_one_time_and_no_targets_is_a_failure():
    once = {**fixture("uri_targets_up"), "attempts": 1}
    assert by_name(judge(probes(prometheus=once), TARGETS))["Prometheus targets answer"]["detail"].endswith("; read 1 time")
    check = by_name(judge(probes(prometheus="module_failed"), TARGETS))["Prometheus targets answer"]
    assert check["status"] == "failed"
    assert check["value"] == "0 of 0 targets up"


def test_missing_probes_fail_instead_of_passing():
    judgement = judge({"ps": None, "fingerprint": None, "api": None, "prometheus": None, "backup": None}, TARGETS)
    statuses = {item["name"]: item["status"] for item in judgement["checks"]}
    assert statuses == {"all services up": "failed", "data consistent with the backup": "not_run",
                        "models/info works": "failed", "/health response time": "failed",
                        "Prometheus targets answer": "failed"}
    assert judgement["evidence"]["services"] == [] and judgement["evidence"]["health_ms"] is None
