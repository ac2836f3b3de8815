# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judges of the three rollback drills (rollback_container, rollback_database,
rollback_config), from results written after the modules' return shapes (fixtures/rollback)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import (
    rollback_config, rollback_container, rollback_database)

FIXTURES = Path(__file__).parent / "fixtures" / "rollback"
STARTED, VERIFIED = "2026-12-03T10:15:00+00:00", "2026-12-03T10:16:30.500000+00:00"
PREVIOUS_ID = "sha256:" + "d" * 64
IMAGE = "football-prediction"


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def wait(health: str, after_s: float) -> dict:
    start = "2026-12-03T10:15:10+00:00"
    return {"from": start, "to": (datetime.fromisoformat(start) + timedelta(seconds=after_s)).isoformat(),
            "health": fixture(health)}


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def names(judgement: dict) -> list:
    return [item["name"] for item in judgement["checks"]]


# ------------------------------------------------------------------------- container drill
CONTAINER_TARGETS = {"app_image": IMAGE, "previous_tag": "staging-previous",
                     "backup_tag": "staging-backup-20261203-101500", "health_timeout_s": 120}


def container_probes(**given) -> dict:
    base = {"started_at": STARTED, "verified_at": VERIFIED, "failed_step": None, "tagged": fixture("docker_image_tag"),
            "waits": {"switch": wait("uri_health_previous", 12.5)},
            "app_container": {"Image": PREVIOUS_ID, "Config": {"Env": ["LOG_LEVEL=INFO"]}},
            "previous": fixture("image_versions")["staging-previous"], "version_before": "1.2.0"}
    base.update(given)
    return base


def test_container_drill_on_the_previous_image_passes():
    judgement = rollback_container.judge(container_probes(), CONTAINER_TARGETS)
    checks = by_name(judgement)
    assert names(judgement) == ["container drill: running image kept", "container drill: healthy on the previous image",
                                "container drill: previous version runs"]
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["container drill: running image kept"]["value"] == "football-prediction:staging-backup-20261203-101500"
    assert checks["container drill: running image kept"]["detail"] == "football-prediction:staging-backup-20261203-101500"
    assert checks["container drill: healthy on the previous image"]["value"] == "12.5 s"
    assert checks["container drill: healthy on the previous image"]["target"] == "<= 120 s"
    assert checks["container drill: previous version runs"]["value"] == "version 1.1.0 (commit a1b2c3d4e5f6)"
    assert checks["container drill: previous version runs"]["detail"] == \
        "was 1.2.0; container image sha256:dddddddddddd is the previous image"
    assert judgement["evidence"] == {
        "started_at": STARTED, "time_to_healthy_s": 12.5, "time_to_verified_s": 90.5,
        "backup_tag": "staging-backup-20261203-101500", "version_before": "1.2.0", "version_after": "1.1.0",
        "git_commit_after": "a1b2c3d4e5f6a7b8c9d0", "image_after": PREVIOUS_ID}


def test_container_drill_with_the_same_version_only_warns():
    judgement = rollback_container.judge(container_probes(version_before="1.1.0"), CONTAINER_TARGETS)
    check = by_name(judgement)["container drill: previous version runs"]
    assert check["status"] == "warned"
    assert check["detail"].endswith("; previous and current report the same version, only the image id tells them apart")


def test_container_drill_on_another_image_fails_and_stops():
    judgement = rollback_container.judge(container_probes(app_container={"Image": "sha256:" + "b" * 64}),
                                         CONTAINER_TARGETS)
    checks = by_name(judgement)
    assert checks["container drill: previous version runs"]["status"] == "failed"
    assert "is NOT the previous image" in checks["container drill: previous version runs"]["detail"]
    assert judgement["checks"][-1]["name"] == "container drill step"
    assert judgement["checks"][-1]["value"] == "Stop when the previous version does not run"
    assert judgement["checks"][-1]["detail"].startswith(
        "Container drill failed: version 1.1.0 (commit a1b2c3d4e5f6), expected version 1.1.0 recorded in "
        "football-prediction:staging-previous (was 1.2.0;")


def test_container_drill_not_healthy_in_time_fails_and_stops():
    judgement = rollback_container.judge(container_probes(waits={"switch": wait("uri_health_unhealthy", 126.0)}),
                                         CONTAINER_TARGETS)
    checks = by_name(judgement)
    assert checks["container drill: healthy on the previous image"]["status"] == "failed"
    assert checks["container drill: healthy on the previous image"]["detail"] == \
        "from stopping the app to /health healthy (last status 503)"
    assert checks["container drill: previous version runs"]["value"] == "version 1.2.0 (commit 3f2a9c1d4e5f)"
    assert names(judgement)[-1] == "container drill step"


def test_container_drill_that_stopped_on_a_step_has_only_that_check():
    judgement = rollback_container.judge(
        container_probes(verified_at=None, waits={}, failed_step={"task": "Stop the app service", "msg": "compose failed"}),
        CONTAINER_TARGETS)
    assert judgement == {"checks": [{"name": "container drill step", "status": "failed", "value": "Stop the app service",
                                     "target": "every drill step completes", "detail": "compose failed"}],
                         "evidence": {}}


def test_container_drill_without_probes_records_nothing_passed():
    assert rollback_container.judge({"started_at": STARTED}, CONTAINER_TARGETS) == {"checks": [], "evidence": {}}


# -------------------------------------------------------------------------- database drill
DATABASE_TARGETS = {"db_name": "football_prediction_staging", "health_timeout_s": 120, "drop_replaced_db": False}
RESTORE_DB = "football_prediction_staging_restore_20261203_101500"
REPLACED_DB = "football_prediction_staging_replaced_20261203_101500"


def database_probes(**given) -> dict:
    base = {"started_at": STARTED, "verified_at": VERIFIED, "failed_step": None, "backup": fixture("backup"),
            "marker": "Rollback drill marker 20261203_101500", "marker_insert": fixture("postgresql_query_marker_insert"),
            "marked_fp": fixture("db_check_fingerprint_marker"), "restore_db": RESTORE_DB, "replaced_db": REPLACED_DB,
            "restore": fixture("db_restore"), "restored_fp": fixture("db_check_fingerprint_backup"),
            "terminated": fixture("postgresql_query_terminated"), "live_fp": fixture("db_check_fingerprint_backup"),
            "marker_left": fixture("postgresql_query_markers_0"), "waits": {"restore": wait("uri_health_healthy", 8.25)}}
    base.update(given)
    return base


DATABASE_NAMES = ["database drill: marker written", "database drill: restore", "database drill: restored fingerprint",
                  "database drill: app healthy on the restored database",
                  "database drill: live fingerprint equals the backup", "database drill: marker gone"]


def test_database_drill_restores_the_backup_and_the_marker_is_gone():
    judgement = rollback_database.judge(database_probes(), DATABASE_TARGETS)
    checks = by_name(judgement)
    assert names(judgement) == DATABASE_NAMES
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["database drill: marker written"]["value"] == 'teams.id 21 "Rollback drill marker 20261203_101500"'
    assert checks["database drill: marker written"]["detail"] == \
        "live 9f86d081884c (402 rows) vs backup 0b6f3c5e8d41 (401 rows)"
    assert checks["database drill: restore"]["value"] == "500.91 KB SQL in 1.42 s"
    assert checks["database drill: restore"]["detail"] == (
        f"staging_db_20261203_090000.sql.gz into {RESTORE_DB} (3 tables, sha256 555555555555)")
    assert checks["database drill: restored fingerprint"]["value"] == "3 tables, 401 rows, 0b6f3c5e8d41"
    assert checks["database drill: restored fingerprint"]["target"] == "3 tables, 401 rows, 0b6f3c5e8d41 (manifest)"
    assert checks["database drill: app healthy on the restored database"]["detail"] == (
        f"from stopping the app to /health healthy; football_prediction_staging was renamed to {REPLACED_DB}, "
        "2 sessions closed")
    assert checks["database drill: live fingerprint equals the backup"]["target"] == \
        "0b6f3c5e8d41 (manifest of staging_db_20261203_090000.sql.gz)"
    assert checks["database drill: marker gone"]["detail"] == \
        f"the replaced database {REPLACED_DB} is kept until cleanup (rollback_drop_replaced_db)"
    assert judgement["evidence"] == {
        "started_at": STARTED, "time_to_healthy_s": 8.25, "time_to_verified_s": 90.5,
        "backup": "/srv/fp/backups/staging/staging_db_20261203_090000.sql.gz", "backup_sha256": "5" * 64,
        "restore_s": 1.42, "restored_db": RESTORE_DB, "replaced_db": REPLACED_DB, "replaced_db_dropped": False,
        "fingerprint": fixture("backup")["manifest"]["fingerprint"]["digest"],
        "manifest_fingerprint": fixture("backup")["manifest"]["fingerprint"]["digest"]}


def test_database_drill_with_the_marker_left_and_other_data_fails():
    judgement = rollback_database.judge(
        database_probes(live_fp=fixture("db_check_fingerprint_marker"), marker_left=fixture("postgresql_query_markers_1")),
        {**DATABASE_TARGETS, "drop_replaced_db": True})
    checks = by_name(judgement)
    assert checks["database drill: live fingerprint equals the backup"]["status"] == "failed"
    assert checks["database drill: live fingerprint equals the backup"]["detail"] == "tables that differ: public.teams"
    assert checks["database drill: marker gone"]["status"] == "failed"
    assert checks["database drill: marker gone"]["value"] == "1 marker rows"
    assert checks["database drill: marker gone"]["detail"].endswith(" was dropped")
    assert judgement["evidence"]["replaced_db_dropped"] is True


def test_database_drill_marker_not_seen_fails():
    check = by_name(rollback_database.judge(database_probes(marked_fp=fixture("db_check_fingerprint_backup")),
                                            DATABASE_TARGETS))["database drill: marker written"]
    assert check["status"] == "failed"


def test_database_drill_stopped_before_the_swap_keeps_the_checks_before_it():
    judgement = rollback_database.judge(
        database_probes(restored_fp=fixture("db_check_fingerprint_marker"), live_fp=None, marker_left=None,
                        verified_at=None, waits={},
                        failed_step={"task": "Stop, the live database is untouched", "msg": "did not match"}),
        DATABASE_TARGETS)
    assert names(judgement) == ["database drill: marker written", "database drill: restore",
                                "database drill: restored fingerprint", "database drill step"]
    assert by_name(judgement)["database drill: restored fingerprint"]["status"] == "failed"
    assert judgement["evidence"] == {}


def test_database_drill_with_an_unavailable_database_has_no_marker_check():
    judgement = rollback_database.judge(
        {"started_at": STARTED, "marked_fp": fixture("module_failed"),
         "failed_step": {"task": "Fingerprint the live database with the marker", "msg": "boom"}}, DATABASE_TARGETS)
    assert names(judgement) == ["database drill step"]


# ---------------------------------------------------------------------------- config drill
FILES = [".env.staging", "docker-compose.staging.yml"]
CONFIG_TARGETS = {"config_files": FILES, "config_key": "LOG_LEVEL", "app_image": IMAGE, "health_timeout_s": 120}


def config_probes(**given) -> dict:
    base = {"started_at": STARTED, "verified_at": VERIFIED, "failed_step": None,
            "original": fixture("stat_loop_config_original"), "after": fixture("stat_loop_config_same"),
            "before": "INFO", "changed_to": "WARNING", "applied_env": ["LOG_LEVEL=WARNING"],
            "app_container": {"Config": {"Env": ["LOG_LEVEL=INFO"]}},
            "waits": {"change": wait("uri_health_healthy", 10.0), "rollback": wait("uri_health_healthy", 11.5)},
            "copies_dir": "/tmp/rollback_config_abc", "running_tag": "staging-latest"}
    base.update(given)
    return base


def test_config_drill_changes_and_rolls_back_byte_identical():
    judgement = rollback_config.judge(config_probes(), CONFIG_TARGETS)
    checks = by_name(judgement)
    assert phase_status(judgement["checks"]) == "passed"
    assert checks["config drill: change applied"] == {
        "name": "config drill: change applied", "status": "passed",
        "value": "LOG_LEVEL=WARNING in the app, healthy after 10.0 s", "target": "LOG_LEVEL=WARNING (was INFO)",
        "detail": "env file edited, app recreated"}
    identical = checks["config drill: files byte-identical after rollback"]
    assert identical["value"] == "666666666666666, 777777777777777"
    assert identical["target"] == "666666666666666, 777777777777777 (sha256 before)"
    assert identical["detail"] == ".env.staging: 812 B, docker-compose.staging.yml: 2048 B; copies deleted"
    assert checks["config drill: app healthy on the rolled-back config"]["value"] == "LOG_LEVEL=INFO, healthy after 11.5 s"
    assert checks["config drill: app healthy on the rolled-back config"]["target"] == "LOG_LEVEL=INFO, <= 120 s"
    assert checks["config drill: app healthy on the rolled-back config"]["detail"] == \
        "app recreated from football-prediction:staging-latest"
    assert judgement["evidence"] == {
        "started_at": STARTED, "time_to_healthy_s": 11.5, "change_time_to_healthy_s": 10.0, "time_to_verified_s": 90.5,
        "files": dict(zip(FILES, ["6" * 64, "7" * 64])), "sha256_before": dict(zip(FILES, ["6" * 64, "7" * 64])),
        "change": "LOG_LEVEL: INFO -> WARNING"}


def test_config_drill_that_did_not_apply_or_roll_back_fails():
    judgement = rollback_config.judge(
        config_probes(applied_env=["LOG_LEVEL=INFO"], after=fixture("stat_loop_config_changed"),
                      app_container={"Config": {"Env": ["LOG_LEVEL=WARNING"]}},
                      waits={"change": wait("uri_health_healthy", 130.0), "rollback": wait("uri_health_healthy", 9.0)}),
        CONFIG_TARGETS)
    checks = by_name(judgement)
    assert {name: item["status"] for name, item in checks.items()} == {
        "config drill: change applied": "failed", "config drill: files byte-identical after rollback": "failed",
        "config drill: app healthy on the rolled-back config": "failed"}
    assert checks["config drill: files byte-identical after rollback"]["detail"] == \
        ".env.staging: 815 B, docker-compose.staging.yml: 2048 B; copies kept in /tmp/rollback_config_abc"


def test_config_drill_unhealthy_after_the_change_fails_the_change():
    judgement = rollback_config.judge(config_probes(waits={"change": wait("uri_health_unhealthy", 20.0),
                                                           "rollback": wait("uri_health_healthy", 9.0)}),
                                      CONFIG_TARGETS)
    assert by_name(judgement)["config drill: change applied"]["status"] == "failed"
    assert by_name(judgement)["config drill: app healthy on the rolled-back config"]["status"] == "passed"


def test_config_drill_stopped_on_a_step_has_only_that_check():
    judgement = rollback_config.judge(
        {"started_at": STARTED, "verified_at": None,
         "failed_step": {"task": "The config files exist", "msg": "Missing config files: .env.staging"}}, CONFIG_TARGETS)
    assert judgement["checks"] == [{"name": "config drill step", "status": "failed", "value": "The config files exist",
                                    "target": "every drill step completes",
                                    "detail": "Missing config files: .env.staging"}]
    assert judgement["evidence"] == {}


def test_config_drill_healthy_on_the_old_value_did_not_apply_the_change():
    judgement = rollback_config.judge(config_probes(applied_env=["LOG_LEVEL=INFO"]), CONFIG_TARGETS)
    check = by_name(judgement)["config drill: change applied"]
    assert (check["status"], check["value"]) == ("failed", "LOG_LEVEL=INFO in the app, healthy after 10.0 s")


# ------------------------------------------------------------------------- check mode
CHECK_MODE_TARGETS = {"check_mode": True, "app_image": IMAGE, "current_tag": "staging-latest",
                      "previous_tag": "staging-previous", "backup_tag_prefix": "staging-backup-",
                      "db_name": "football_prediction_staging", "config_files": [".env.staging", "docker-compose.staging.yml"],
                      "config_key": "LOG_LEVEL", "config_values": ["INFO", "WARNING"]}


def check_mode_probes(**given) -> dict:
    base = {"preparation_failure": "", "running_tag": "staging-latest", "backup": fixture("backup"),
            "previous": fixture("image_versions")["staging-previous"], "verified_at": None, "failed_step": None}
    base.update(given)
    return base


def test_check_mode_records_each_drill_as_skipped_with_what_it_would_do():
    container = rollback_container.judge(check_mode_probes(), CHECK_MODE_TARGETS)
    database = rollback_database.judge(check_mode_probes(), CHECK_MODE_TARGETS)
    config = rollback_config.judge(check_mode_probes(), CHECK_MODE_TARGETS)
    for drill, judgement in (("container", container), ("database", database), ("config", config)):
        (only,) = judgement["checks"]
        assert (only["name"], only["status"], only["value"]) == (f"{drill} drill", "skipped", "check mode")
        assert only["target"] == "drill done for real and proven"
        assert only["detail"] == "would " + judgement["evidence"]["would"]
        assert judgement["evidence"]["check_mode"] is True
    assert container["evidence"]["would"] == (
        "tag the running image football-prediction:staging-latest as staging-backup-<time>, stop the app, "
        "start football-prediction:staging-previous (version 1.1.0) and wait for /health to report it")
    dump = fixture("backup")["dump"].rsplit("/", 1)[-1]
    assert database["evidence"]["would"] == (
        f"write a marker row, restore {dump} into football_prediction_staging_restore_<time>, swap it in "
        "(the live database renamed football_prediction_staging_replaced_<time>) and prove the marker is gone")
    assert config["evidence"]["would"] == (
        "copy .env.staging, docker-compose.staging.yml aside, set LOG_LEVEL=WARNING and apply it, "
        "roll back and prove the files byte-identical")


def test_check_mode_after_a_failed_preparation_says_the_drill_would_not_run():
    probes = check_mode_probes(preparation_failure="phase rollback_preparation failed: backup available",
                               backup={}, previous={}, running_tag=None)
    (only,) = rollback_container.judge(probes, CHECK_MODE_TARGETS)["checks"]
    assert only["detail"].startswith("not run: the preparation failed; would tag the running image "
                                     "football-prediction:staging-latest as")
    assert "(version ?)" in only["detail"]
    (only,) = rollback_database.judge(probes, CHECK_MODE_TARGETS)["checks"]
    assert "restore the newest verified backup into" in only["detail"]


def test_a_real_run_is_not_judged_as_check_mode():
    judgement = rollback_container.judge(container_probes(), {**CONTAINER_TARGETS, "check_mode": "false"})
    assert names(judgement)[0] == "container drill: running image kept"


def test_the_container_drill_names_the_backup_tag_it_was_given_as_a_probe():
    targets = {key: value for key, value in CONTAINER_TARGETS.items() if key != "backup_tag"}
    judgement = rollback_container.judge(container_probes(backup_tag="staging-backup-20261203-101500"), targets)
    assert by_name(judgement)["container drill: running image kept"]["value"] == (
        "football-prediction:staging-backup-20261203-101500")
    assert judgement["evidence"]["backup_tag"] == "staging-backup-20261203-101500"


def test_the_restored_database_is_the_one_db_restore_reports_and_options_may_be_strings():
    probes = database_probes()
    del probes["restore_db"]
    judgement = rollback_database.judge(probes, {**DATABASE_TARGETS, "drop_replaced_db": "false"})
    restore = by_name(judgement)["database drill: restore"]
    assert f"into {fixture('db_restore')['db']} " in restore["detail"]
    assert judgement["evidence"]["restored_db"] == fixture("db_restore")["db"]
    assert judgement["evidence"]["replaced_db_dropped"] is False
    assert "is kept until cleanup" in by_name(judgement)["database drill: marker gone"]["detail"]
