# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rollback_preparation judge, from results written after the modules' return shapes."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_preparation import judge

FIXTURES = Path(__file__).parent / "fixtures" / "rollback"
TARGETS = {"app_image": "football-prediction", "previous_tag": "staging-previous",
           "backup_dir": "/srv/fp/backups/staging", "script": "scripts/rollback-staging.sh", "check_mode": False}
NOTICE = "/r/rollback/rollback_notice_20261203_101500.md"
NAMES = ["backup available", "previous app image available", "state before the drills", "rollback script present",
         "rollback notice"]


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def probes(**given) -> dict:
    base = {"backups": [fixture("backup")], "backup": fixture("backup"), "image_versions": fixture("image_versions"),
            "running_tag": "staging-latest", "health_before": fixture("uri_health_healthy"),
            "db_before": fixture("db_check_version"), "ps_before": fixture("docker_host_info_ps"),
            "script_stat": fixture("stat_script"), "notice": NOTICE, "failed_step": None}
    base.update(given)
    return base


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_a_backup_and_the_previous_image_are_enough_to_roll_back():
    judgement = judge(probes(), TARGETS)
    checks = by_name(judgement)
    assert list(checks) == NAMES
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["backup available"]["value"] == "1 of 1 backups verified"
    assert checks["backup available"]["detail"] == \
        "newest verified: staging_db_20261203_090000.sql.gz (2026-12-03T09:00:00+00:00)"
    assert checks["previous app image available"]["value"] == "football-prediction:staging-previous = version 1.1.0"
    assert checks["previous app image available"]["detail"] == "sha256:dddddddddddd"
    assert checks["state before the drills"]["value"] == "app staging-latest, /health 200 version 1.2.0"
    assert checks["state before the drills"]["detail"] == "6 containers, PostgreSQL 15.14"
    assert checks["rollback notice"] == {
        "name": "rollback notice", "status": "passed", "value": "rollback_notice_20261203_101500.md",
        "target": "time, environment, reason, steps, expected impact", "detail": NOTICE}
    assert judgement["evidence"]["before"] == {
        "app_tag": "staging-latest", "health": fixture("uri_health_healthy")["json"], "db_version": "15.14",
        "containers": [f"/football-prediction-staging-{name}-1"
                       for name in ["app", "db", "redis", "kafka", "mlflow", "prometheus"]]}
    assert judgement["evidence"]["backups"] == {
        "count": 1, "verified": 1, "latest_verified": "/srv/fp/backups/staging/staging_db_20261203_090000.sql.gz"}
    assert judgement["evidence"]["notice"] == NOTICE and judgement["evidence"]["images"] == fixture("image_versions")


def test_nothing_to_roll_back_to_stops_with_the_reasons():
    images = {**fixture("image_versions"), "staging-previous": {"exists": False, "id": "", "version": "", "git_commit": ""}}
    judgement = judge(probes(backups=[{**fixture("backup"), "verified": False}], backup={}, image_versions=images), TARGETS)
    checks = by_name(judgement)
    assert checks["backup available"]["status"] == "failed"
    assert checks["backup available"]["value"] == "0 of 1 backups verified"
    assert checks["backup available"]["detail"] == "none in /srv/fp/backups/staging"
    assert checks["previous app image available"]["value"] == "football-prediction:staging-previous missing"
    assert judgement["checks"][-1] == {
        "name": "rollback preparation step", "status": "failed", "value": "Stop when there is nothing to roll back to",
        "target": "backups, images and state found", "detail": "No rollback is possible: none in /srv/fp/backups/staging; "}
    assert phase_status(judgement["checks"]) == "failed"


def test_an_app_that_does_not_answer_and_no_script_only_warn():
    judgement = judge(probes(health_before=fixture("uri_health_refused"), db_before=fixture("db_check_unavailable"),
                             script_stat=fixture("stat_missing")), TARGETS)
    checks = by_name(judgement)
    assert checks["state before the drills"]["status"] == "warned"
    assert checks["state before the drills"]["value"] == "app staging-latest, /health -1 version ?"
    assert checks["state before the drills"]["detail"] == "6 containers, PostgreSQL unavailable"
    assert checks["rollback script present"]["status"] == "warned"
    assert checks["rollback script present"]["value"] == "missing"
    assert phase_status(judgement["checks"]) == "warned"
    assert judgement["evidence"]["before"]["health"] == {} and judgement["evidence"]["before"]["db_version"] is None


def test_check_mode_says_it_would_write_the_notice():
    check = by_name(judge(probes(), {**TARGETS, "check_mode": True}))["rollback notice"]
    assert check["status"] == "skipped"
    assert check["value"] == "would write rollback_notice_20261203_101500.md"
    assert check["detail"] == NOTICE + " (check mode: not written)"


def test_a_probe_that_failed_is_the_only_check():
    failed_step = {"task": "Record the state of the stack (compose ps)", "msg": "Error connecting: " + "x" * 600}
    judgement = judge(probes(ps_before=fixture("module_failed"), failed_step=failed_step), TARGETS)
    assert [item["name"] for item in judgement["checks"]] == ["rollback preparation step"]
    assert judgement["checks"][0]["value"] == "Record the state of the stack (compose ps)"
    assert judgement["checks"][0]["detail"] == "Error connecting:..."  # cut at a word, as Jinja's truncate(500)
    assert judgement["evidence"] == {}


def test_missing_probes_fail_instead_of_passing():
    judgement = judge({"notice": NOTICE}, TARGETS)
    statuses = {item["name"]: item["status"] for item in judgement["checks"]}
    assert statuses["backup available"] == "failed"
    assert statuses["previous app image available"] == "failed"
    assert statuses["rollback preparation step"] == "failed"
    assert statuses["state before the drills"] == "warned"
