# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge of the automatic rollback (phase rollback), from results written after the
modules' return shapes (fixtures/rollback)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_automatic import judge

FIXTURES = Path(__file__).parent / "fixtures" / "rollback"
RUNNING_ID = "sha256:" + "b" * 64
POINT = {"image_id": RUNNING_ID, "env_file_copy": "/srv/fp/rollback_point/.env.staging.20261203_100000"}
LAST_GOOD = {"tag": "staging-latest", "id": RUNNING_ID, "version": "1.2.0", "source": "the image in service before the deploy"}
TARGETS = {"reason": "deploy failed", "failed_phase": "", "app_image": "football-prediction", "env_file": ".env.staging",
           "health_timeout_s": 120, "db_name": "football_prediction_staging"}
ENV, HEALTHY, VERSION, DATABASE = ("automatic rollback: env file in service before the deploy",
                                   "automatic rollback: last good image healthy",
                                   "automatic rollback: last good version runs",
                                   "automatic rollback: database vs the pre-deploy backup")


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def wait(health: str, after_s: float) -> dict:
    start = "2026-12-03T10:15:10+00:00"
    return {"from": start, "to": (datetime.fromisoformat(start) + timedelta(seconds=after_s)).isoformat(),
            "health": fixture(health)}


def probes(**given) -> dict:
    base = {"point": POINT, "env_copy": fixture("stat_script"), "env_done": {"changed": True, "path": POINT["env_file_copy"]},
            "last_good": LAST_GOOD, "image_versions": fixture("image_versions"),
            "waits": {"image": wait("uri_health_healthy", 20.0)}, "auto_fp": fixture("db_check_fingerprint_backup"),
            "backup": fixture("backup"), "restore_db": None, "replaced_db": None, "restore": None, "restored_fp": None,
            "terminated": None, "live_fp": None, "phases": {"preflight": {"status": "passed"}, "deploy": {"status": "failed"}},
            "failed_step": None}
    base.update(given)
    return base


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_back_to_the_image_in_service_with_the_data_unchanged():
    judgement = judge(probes(), TARGETS)
    checks = by_name(judgement)
    assert list(checks) == [ENV, HEALTHY, VERSION, DATABASE]
    assert phase_status(judgement["checks"]) == "passed"
    assert checks[ENV]["value"] == "restored"
    assert checks[ENV]["detail"] == "put back from .env.staging.20261203_100000"
    assert checks[HEALTHY]["value"] == "20.0 s"
    assert checks[HEALTHY]["detail"] == ("football-prediction:staging-latest (bbbbbbbbbbbb, the image in service before "
                                         "the deploy), last /health status 200")
    assert checks[VERSION]["detail"] == "git commit 3f2a9c1d4e5f60718293"
    assert checks[DATABASE]["value"] == "unchanged: kept staging_db_20261203_090000.sql.gz"
    assert checks[DATABASE]["detail"] == "live 0b6f3c5e8d41"
    assert judgement["evidence"] == {
        "automatic": True, "reason": "deploy failed", "failed_phase": "deploy",
        "image": {"tag": "staging-latest", "id": RUNNING_ID, "source": "the image in service before the deploy",
                  "time_to_healthy_s": 20.0, "version": "1.2.0", "images": fixture("image_versions")}}


def test_a_changed_database_is_restored_and_swapped_in():
    judgement = judge(probes(auto_fp=fixture("db_check_fingerprint_marker"),
                             restore_db="football_prediction_staging_restore_20261203_101500",
                             replaced_db="football_prediction_staging_replaced_20261203_101500",
                             restore=fixture("db_restore"), restored_fp=fixture("db_check_fingerprint_backup"),
                             terminated=fixture("postgresql_query_terminated"), live_fp=fixture("db_check_fingerprint_backup"),
                             waits={"image": wait("uri_health_healthy", 20.0),
                                    "restore": wait("uri_health_healthy", 6.0)}), TARGETS)
    assert by_name(judgement)[DATABASE]["value"] == "changed: restoring staging_db_20261203_090000.sql.gz"
    assert [item["name"] for item in judgement["checks"]][4:] == [
        "automatic rollback: restore", "automatic rollback: restored fingerprint",
        "automatic rollback: app healthy on the restored database", "automatic rollback: live fingerprint equals the backup"]
    assert phase_status(judgement["checks"]) == "passed"


def test_a_missing_env_copy_an_unhealthy_app_and_another_version_fail():
    judgement = judge(probes(env_copy=fixture("stat_missing"), waits={"image": wait("uri_health_unhealthy", 126.0)},
                             last_good={**LAST_GOOD, "version": "1.1.0"}), TARGETS)
    checks = by_name(judgement)
    assert checks[ENV]["status"] == "failed"
    assert checks[ENV]["value"] == "copy missing"
    assert checks[ENV]["detail"] == ("the deploy rewrote .env.staging but its copy "
                                     "/srv/fp/rollback_point/.env.staging.20261203_100000 is gone")
    assert checks[HEALTHY]["status"] == "failed"
    assert checks[VERSION]["status"] == "failed"
    assert checks[VERSION]["target"] == "version 1.1.0 recorded in the image"


def test_a_run_that_did_not_deploy_and_has_no_backup():
    judgement = judge(probes(point={}, env_copy={"skipped": True}, env_done={"skipped": True}, backup={},
                             auto_fp={"skipped": True, "changed": False}), TARGETS)
    checks = by_name(judgement)
    assert checks[ENV]["status"] == "not_run"
    assert checks[ENV]["detail"] == "this run did not deploy: .env.staging left as it is"
    assert checks[DATABASE] == {"name": DATABASE, "status": "not_run", "value": "no verified backup",
                                "target": "fingerprint none", "detail": "live unavailable"}
    assert phase_status(judgement["checks"]) == "passed"


def test_a_deploy_that_did_not_rewrite_the_env_file():
    check = by_name(judge(probes(point={"image_id": RUNNING_ID}, env_copy={"skipped": True}), TARGETS))[ENV]
    assert (check["status"], check["value"], check["detail"]) == (
        "passed", "unchanged by the deploy", "the deploy did not rewrite .env.staging")


def test_an_unavailable_database_says_why():
    check = by_name(judge(probes(auto_fp=fixture("db_check_unavailable")), TARGETS))[DATABASE]
    assert check["value"] == "changed: restoring staging_db_20261203_090000.sql.gz"
    assert check["detail"].startswith("live unavailable OperationalError: connection to server")


def test_a_step_that_failed_ends_the_judgement_where_it_stopped():
    judgement = judge(probes(env_copy=None, env_done=None, waits={}, auto_fp=None,
                             failed_step={"task": "Stop when there is no last good image", "msg": "Nothing to roll back to"}),
                      TARGETS)
    assert judgement["checks"] == [{"name": "automatic rollback step", "status": "failed",
                                    "value": "Stop when there is no last good image",
                                    "target": "every rollback step completes", "detail": "Nothing to roll back to"}]
    assert "image" not in judgement["evidence"]


def test_the_failed_phase_is_the_option_else_the_last_failed_phase():
    assert judge(probes(), {**TARGETS, "failed_phase": "health"})["evidence"]["failed_phase"] == "health"
    phases = {"deploy": {"status": "failed"}, "health": {"status": "failed"}, "functional": {"status": "not_run"}}
    assert judge(probes(phases=phases), TARGETS)["evidence"]["failed_phase"] == "health"
    assert judge(probes(phases=None), TARGETS)["evidence"]["failed_phase"] == "unknown"


def test_missing_probes_judge_nothing_as_passed():
    judgement = judge({}, TARGETS)
    assert judgement["checks"] == []
    assert judgement["evidence"] == {"automatic": True, "reason": "deploy failed", "failed_phase": "unknown"}
