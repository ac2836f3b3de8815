# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rollback role's filters: what its probes found, from results shaped as the modules
return them (community.docker docker_container_info / docker_image_info, slurp, stat, uri)."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter.rollback import (
    FilterModule, rollback_app_container, rollback_backups, rollback_container_summary, rollback_differs_from_backup,
    rollback_env_value, rollback_failed_step, rollback_image_versions, rollback_last_good, rollback_loop_failure,
    rollback_same_files, rollback_targets_up, rollback_wait_noted, rollback_wait_over)

RUNNING_ID, PREVIOUS_ID = "sha256:" + "b" * 64, "sha256:" + "d" * 64
CONTAINER = {
    "Id": "c" * 64, "Name": "/football-prediction-staging-app-1", "Image": RUNNING_ID, "Created": "2026-12-03T09:00:00Z",
    "State": {"Status": "running", "Running": True, "StartedAt": "2026-12-03T09:00:01Z", "Health": {"Status": "healthy"}},
    "Config": {"Image": "football-prediction:staging-latest", "Labels": {"com.docker.compose.service": "app"},
               "Env": ["STAGING_DB_PASSWORD=secret", "LOG_LEVEL=INFO", "REDIS_PASSWORD=secret2"]},
}


def image_info(item: str, image_id: str | None, labels=None, env=None) -> dict:
    images = [] if image_id is None else [{"Id": image_id, "Config": {"Labels": labels, "Env": env or []}}]
    return {"item": item, "images": images, "changed": False}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_the_app_container_keeps_only_what_the_drills_read_and_no_secret():
    kept = rollback_app_container({"container": CONTAINER, "exists": True}, "LOG_LEVEL")
    assert kept["Config"]["Env"] == ["LOG_LEVEL=INFO"]
    assert "secret" not in json.dumps(kept)
    assert kept["State"] == {"Status": "running", "Running": True, "StartedAt": "2026-12-03T09:00:01Z",
                             "Health": {"Status": "healthy"}}
    assert kept["Image"] == RUNNING_ID and kept["Config"]["Labels"] == {"com.docker.compose.service": "app"}


def test_no_container_and_no_health_check():
    assert rollback_app_container({"skipped": True}, "LOG_LEVEL") == {}
    without = dict(CONTAINER, State={"Status": "exited", "Running": False, "StartedAt": ""},
                   Config={"Image": "x:y", "Labels": None, "Env": None})
    kept = rollback_app_container({"container": without}, "LOG_LEVEL")
    assert kept["State"]["Health"] == {"Status": "none"}
    assert kept["Config"]["Labels"] == {} and kept["Config"]["Env"] == []


def test_the_container_summary_is_one_line():
    kept = rollback_app_container({"container": CONTAINER}, "LOG_LEVEL")
    assert rollback_container_summary(kept, "LOG_LEVEL", "fp") == (
        "football-prediction-staging-app-1: football-prediction:staging-latest (bbbbbbbbbbbb), running, health healthy, "
        "LOG_LEVEL=INFO")
    assert rollback_container_summary({}, "LOG_LEVEL", "fp") == "no app container in fp"


def test_image_versions_from_the_label_else_the_env_variable():
    results = {"results": [
        image_info("staging-latest", RUNNING_ID, {"org.opencontainers.image.version": "1.2.0"},
                   ["APP_VERSION=0.0.0", "GIT_COMMIT=3f2a9c1"]),
        image_info("staging-previous", PREVIOUS_ID, None, ["APP_VERSION=1.1.0"]),
        image_info(RUNNING_ID, None),
    ]}
    versions = rollback_image_versions(results, "org.opencontainers.image.version", "APP_VERSION")
    assert versions == {
        "staging-latest": {"exists": True, "id": RUNNING_ID, "version": "1.2.0", "git_commit": "3f2a9c1"},
        "staging-previous": {"exists": True, "id": PREVIOUS_ID, "version": "1.1.0", "git_commit": ""},
        RUNNING_ID: {"exists": False, "id": "", "version": "", "git_commit": ""},
    }


VERSIONS = {"staging-latest": {"exists": True, "id": RUNNING_ID, "version": "1.2.0"},
            "staging-previous": {"exists": True, "id": PREVIOUS_ID, "version": "1.1.0"},
            RUNNING_ID: {"exists": True, "id": RUNNING_ID, "version": "1.2.0"}}


def test_the_last_good_image_is_the_rollback_point_under_a_tag_that_names_it():
    good = rollback_last_good(VERSIONS, {"image_id": RUNNING_ID}, "football-prediction", "staging-previous",
                              "staging-rollback")
    assert good == {"tag": "staging-latest", "id": RUNNING_ID, "version": "1.2.0",
                    "source": "the image in service before the deploy", "problem": ""}


def test_a_point_no_tag_names_gets_the_last_good_tag():
    other = "sha256:" + "e" * 64
    versions = {**VERSIONS, other: {"exists": True, "id": other, "version": "1.0.0"}}
    good = rollback_last_good(versions, {"image_id": other}, "football-prediction", "staging-previous",
                              "staging-rollback")
    assert (good["tag"], good["id"], good["version"]) == ("staging-rollback", other, "1.0.0")


def test_without_a_point_the_previous_tag():
    good = rollback_last_good(VERSIONS, {}, "football-prediction", "staging-previous", "staging-rollback")
    assert good == {"tag": "staging-previous", "id": PREVIOUS_ID, "version": "1.1.0",
                    "source": "the staging-previous tag (this run recorded no rollback point)", "problem": ""}


def test_nothing_to_roll_back_to_is_said_why():
    gone = "sha256:" + "f" * 64
    versions = {gone: {"exists": False, "id": ""}, "staging-previous": {"exists": False, "id": ""}}
    good = rollback_last_good(versions, {"image_id": gone}, "football-prediction", "staging-previous",
                              "staging-rollback")
    assert good["problem"] == ("Nothing to roll back to: the image in service before the deploy (ffffffffffff) is gone "
                               "and there is no football-prediction:staging-previous image.")
    assert rollback_last_good({}, {}, "football-prediction", "staging-previous", "staging-rollback")["problem"] == (
        "Nothing to roll back to: there is no football-prediction:staging-previous image.")


def test_backups_newest_first_with_whether_the_dump_matches_its_manifest():
    manifest = {"file": "staging_db_1.sql.gz", "sha256": "a" * 64}
    read = {"source": "/b/staging_db_1.manifest.json", "content": b64(json.dumps(manifest))}
    stats = {"results": [
        {"item": read, "invocation": {"module_args": {"path": "/b/staging_db_1.sql.gz"}},
         "stat": {"exists": True, "checksum": "a" * 64}},
        {"item": read, "invocation": {"module_args": {"path": "/b/staging_db_1.sql.gz"}},
         "stat": {"exists": True, "checksum": "b" * 64}},
        {"item": read, "invocation": {"module_args": {"path": "/b/staging_db_1.sql.gz"}}, "stat": {"exists": False}},
    ]}
    backups = rollback_backups(stats)
    assert [item["verified"] for item in backups] == [True, False, False]
    assert backups[0] == {"manifest_path": "/b/staging_db_1.manifest.json", "dump": "/b/staging_db_1.sql.gz",
                          "manifest": manifest, "verified": True}
    assert rollback_backups({"results": []}) == []


def test_a_manifest_that_is_not_json_is_an_error():
    with pytest.raises(AnsibleFilterError, match="not a JSON manifest"):
        rollback_backups({"results": [{"item": {"source": "/b/x.manifest.json", "content": b64("{")}, "stat": {}}]})


def test_the_env_value_is_the_last_line_of_its_key():
    content = b64("# comment\nLOG_LEVEL=DEBUG\nLOG_LEVEL_X=1\nSTAGING_DB_PASSWORD=secret\nLOG_LEVEL=INFO\n")
    assert rollback_env_value(content, "LOG_LEVEL") == "INFO"
    assert rollback_env_value(b64("A=1\n"), "LOG_LEVEL") == ""


def test_a_looped_copy_that_failed_names_its_items_without_content():
    result = {"failed": True, "results": [{"item": ".env.staging", "failed": True, "msg": "Permission denied"},
                                          {"item": "docker-compose.staging.yml", "changed": True},
                                          {"item": "x.yml", "failed": True}]}
    assert rollback_loop_failure(result, "copy aside") == (
        "Could not copy aside .env.staging, x.yml: Permission denied; no message")
    assert rollback_loop_failure({"results": [{"item": "a", "changed": True}]}, "roll back") == ""


def test_the_failed_step_from_a_rescue():
    assert rollback_failed_step({"msg": "boom", "failed": True}, {"name": "Write the marker row"}) == {
        "task": "Write the marker row", "msg": "boom"}
    assert rollback_failed_step({}, {}) == {"task": "unknown task", "msg": ""}


HEALTHY = {"status": 200, "json": {"status": "healthy"}}
UNHEALTHY = {"status": 503, "json": {"status": "unhealthy"}}


def test_the_wait_for_health_ends_when_healthy_or_late():
    start = "2026-12-03T10:00:00+00:00"
    assert rollback_wait_over(HEALTHY, start, 120, now="2026-12-03T10:00:01+00:00")
    assert not rollback_wait_over(UNHEALTHY, start, 120, now="2026-12-03T10:01:59+00:00")
    assert rollback_wait_over(UNHEALTHY, start, 120, now="2026-12-03T10:02:01+00:00")
    assert not rollback_wait_over({"status": -1, "msg": "refused"}, start, "120", now="2026-12-03T10:00:05+00:00")


def test_a_wait_is_noted_by_name():
    waits = rollback_wait_noted({"switch": {"from": "a"}}, "restore", "2026-12-03T10:00:00+00:00", HEALTHY,
                                now="2026-12-03T10:00:09+00:00")
    assert waits == {"switch": {"from": "a"},
                     "restore": {"from": "2026-12-03T10:00:00+00:00", "to": "2026-12-03T10:00:09+00:00",
                                 "health": HEALTHY}}
    assert rollback_wait_noted(None, "x", "2026-12-03T10:00:00+00:00", HEALTHY)["x"]["to"] > "2026-12-03"


def test_prometheus_targets_up_only_when_every_one_is():
    def answer(*health):
        return {"json": {"data": {"activeTargets": [{"health": item} for item in health]}}}
    assert rollback_targets_up(answer("up", "up"))
    assert not rollback_targets_up(answer("up", "down"))
    assert not rollback_targets_up(answer())
    assert not rollback_targets_up({"failed": True, "msg": "Connection refused"})


def test_the_database_differs_from_the_backup():
    backup = {"manifest": {"fingerprint": {"digest": "abc"}}}
    assert not rollback_differs_from_backup({"fingerprint": {"digest": "abc"}}, backup)
    assert rollback_differs_from_backup({"fingerprint": {"digest": "def"}}, backup)
    assert rollback_differs_from_backup({"is_available": False}, backup)
    assert not rollback_differs_from_backup({"skipped": True}, {})


def test_every_filter_is_registered():
    assert set(FilterModule().filters()) == {
        "rollback_app_container", "rollback_container_summary", "rollback_image_versions", "rollback_last_good",
        "rollback_backups", "rollback_env_value", "rollback_loop_failure", "rollback_failed_step", "rollback_wait_over",
        "rollback_wait_noted", "rollback_targets_up", "rollback_differs_from_backup", "rollback_same_files"}


def test_files_are_the_same_when_every_checksum_matches():
    def stats(*sums):
        return {"results": [{"item": f"f{i}", "stat": {"exists": s is not None, **({"checksum": s} if s else {})}}
                            for i, s in enumerate(sums)]}
    assert rollback_same_files(stats("a", "b"), stats("a", "b"))
    assert not rollback_same_files(stats("a", "c"), stats("a", "b"))
    assert not rollback_same_files(stats("a", None), stats("a", "b"))
    assert not rollback_same_files(stats("a"), stats("a", "b"))
