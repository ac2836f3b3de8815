# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What roles/deploy decides before it changes anything (plugin_utils/deploy_plan.py): the
state, the plan (build, previous tag, stop, the check-mode actions), the image retention,
and what a migrations run and a /health answer mean."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import get_hash, to_json

from ansible_collections.footballpred.rehearsal.plugins.filter import deploy_plan as filters
from ansible_collections.footballpred.rehearsal.plugins.filter.check_lines import FilterModule as CheckLines
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import deploy_plan as plan

OPTIONS = {
    "environment": "staging", "env_file": ".env.staging", "app_image": "football-prediction", "app_version": "",
    "app_tag": "staging-latest", "latest_tag": "staging-latest", "previous_tag": "staging-previous",
    "tag_prefix": "staging-", "build": True, "force_build": False, "source_label": "io.footballpred.source-sha256",
    "restart_policy": "on_change", "stop_timeout_s": 30, "keep_releases": 5,
}
RUNNING = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
SOURCE = "0f" * 32


def _digest(version: str = "2.5.0", commit: str = "0123456789ab") -> str:
    args = {"APP_VERSION": version, "ENVIRONMENT": "staging", "GIT_COMMIT": commit}
    return plan.source_digest(SOURCE, args)


def _image(image_id: str, *tags: str, digest: str = "") -> dict:
    labels = {OPTIONS["source_label"]: digest} if digest else {}
    return {"Id": image_id, "RepoTags": [f"football-prediction:{tag}" for tag in tags], "Config": {"Labels": labels}}


def _probes(images=(), running: str | None = RUNNING, env_changed: bool = False) -> dict:
    app = ({"container": {"Image": running, "State": {"Running": True}}} if running
           else {"changed": False, "skipped": True})
    return {
        "version_file": {"content": base64.b64encode(b"2.5.0\n").decode(), "encoding": "base64"},
        "source_hash": {"rc": 0, "stdout": SOURCE + "\r\n"},
        "env_preview": {"changed": env_changed},
        "images": {"images": list(images)},
        "app": app,
        "commit": "0123456789ab",
    }


def test_the_digest_is_the_one_the_role_jinja_made():
    args = {"GIT_COMMIT": "x", "APP_VERSION": "1.0", "ENVIRONMENT": "staging"}
    assert plan.source_digest(SOURCE, args) == get_hash(SOURCE + to_json(args, sort_keys=True), "sha256")


def test_an_unchanged_release_builds_nothing_and_keeps_the_stack_running():
    latest = _image(RUNNING, "staging-latest", digest=_digest())
    result = plan.release_plan(_probes([latest]), OPTIONS)
    assert result == {
        "version": "2.5.0", "build_args": {"APP_VERSION": "2.5.0", "ENVIRONMENT": "staging", "GIT_COMMIT": "0123456789ab"},
        "digest": _digest(), "build": False, "runs_new_build": False, "target_image_id": RUNNING,
        "running_image_id": RUNNING, "previous_candidate": RUNNING, "env_changes": False, "stop": False, "actions": []}
    assert plan.missing_image(result, OPTIONS) == ""


def test_a_changed_source_builds_tags_the_running_image_and_restarts():
    latest = _image(OTHER, "staging-latest", digest="old")
    result = plan.release_plan(_probes([latest]), OPTIONS)
    assert result["build"] and result["runs_new_build"] and result["stop"]
    assert result["target_image_id"] == "" and result["previous_candidate"] == RUNNING
    assert result["actions"] == [
        "build football-prediction:staging-<timestamp> version 2.5.0 commit 0123456789ab and tag it staging-latest"
        " (source or build args changed)",
        "tag the image in service (aaaaaaaaaaaa) as staging-previous",
        "stop the stack (docker compose down --timeout 30, volumes kept)",
        "start db, redis, kafka, mlflow, app (football-prediction:staging-latest) and the rest of the stack",
        "run the migrations with the new image"]


def test_the_first_deploy_builds_and_has_nothing_to_keep():
    result = plan.release_plan(_probes([], running=None), {**OPTIONS, "app_version": "3.0.0"})
    assert result["version"] == "3.0.0" and result["build"]
    assert result["previous_candidate"] == "" and result["running_image_id"] == ""
    assert result["actions"][0].endswith(" (no staging-latest yet)")
    assert not any(action.startswith("tag the image in service") for action in result["actions"])


def test_a_forced_build_and_the_always_policy():
    latest = _image(RUNNING, "staging-latest", digest=_digest())
    forced = plan.release_plan(_probes([latest]), {**OPTIONS, "force_build": "true"})
    assert forced["build"] and forced["actions"][0].endswith(" (forced)")
    always = plan.release_plan(_probes([latest]), {**OPTIONS, "restart_policy": "always"})
    assert not always["build"] and always["stop"]
    assert always["actions"][0] == ("stop the stack (docker compose down --timeout 30, volumes kept)"
                                    " because the policy is always")


def test_a_changed_env_file_restarts_without_a_build():
    latest = _image(RUNNING, "staging-latest", digest=_digest())
    result = plan.release_plan(_probes([latest], env_changed=True), OPTIONS)
    assert not result["build"] and result["env_changes"] and result["stop"]
    assert result["actions"][0] == "render .env.staging (content changes)"
    assert len(result["actions"]) == 4


def test_without_a_running_app_staging_latest_is_the_rollback_point():
    latest = _image(OTHER, "staging-latest", digest=_digest())
    result = plan.release_plan(_probes([latest], running=None), OPTIONS)
    assert result["previous_candidate"] == OTHER and result["stop"]
    assert plan.rollback_point(result, "2026-12-03T10:00:00") == {
        "image_id": OTHER, "image_was_running": False, "env_file_copy": "", "recorded_at": "2026-12-03T10:00:00"}


def test_a_tag_that_does_not_exist_and_is_not_built_is_refused():
    options = {**OPTIONS, "build": False, "app_tag": "staging-20260101-000000"}
    result = plan.release_plan({**_probes([]), "source_hash": {"skipped": True}}, options)
    assert result["digest"] == "" and not result["build"]
    assert plan.missing_image(result, options) == (
        "football-prediction:staging-20260101-000000 does not exist and this deploy does not build it "
        "(deploy_build=False). Build it first or choose an existing tag.")


def test_without_a_version_the_plan_says_so():
    with pytest.raises(AnsibleFilterError, match="VERSION"):
        filters.deploy_release_plan({**_probes(), "version_file": {"skipped": True}}, OPTIONS)


@pytest.mark.parametrize("stdout", [
    json.dumps([{"Service": "db", "ID": "d1", "State": "running", "Extra": 1},
                {"Service": "app", "ID": "a1", "State": "running"}]),
    '{"Service": "db", "ID": "d1", "State": "running", "Extra": 1}\n{"Service": "app", "ID": "a1", "State": "running"}\n',
])
def test_the_state_reads_both_ps_formats(stdout):
    state = plan.stack_state({"stdout": stdout}, {"rc": 0, "stdout": "0123456789ab"}, {"stdout_lines": [" M x"]})
    assert state["commit"] == "0123456789ab-dirty"
    assert state["app_container_id"] == "a1"
    assert state["stack"] == [{"Service": "app", "State": "running"}, {"Service": "db", "State": "running"}]


def test_the_state_outside_git_and_with_a_given_commit():
    outside = plan.stack_state({"stdout": ""}, {"rc": 128, "stderr": "fatal"}, {"rc": 128})
    assert (outside["commit"], outside["stack"], outside["app_container_id"]) == ("unknown", [], "")
    given = filters.deploy_stack_state({"stdout": "[]"}, {"rc": 0, "stdout": "abc"}, {}, "it-release")
    assert given["commit"] == "it-release"


def test_prune_keeps_the_newest_and_what_is_in_use():
    images = [{"Id": f"id{n}", "RepoTags": [f"football-prediction:staging-2026010{n}-000000"]} for n in range(1, 8)]
    images[6]["RepoTags"].append("football-prediction:staging-latest")
    images.append({"Id": "id9", "RepoTags": ["registry:5000/football-prediction:staging-weird"]})
    host = {"images": images, "containers": [{"ImageID": "id2"}]}
    result = plan.prune_plan(host, {**OPTIONS, "keep_releases": 3}, ["id1", ""])
    assert result["release"] == [f"staging-2026010{n}-000000" for n in (7, 6, 5, 4, 3, 2, 1)]
    assert result["remove"] == ["staging-20260104-000000", "staging-20260103-000000"]
    assert result["spared"] == ["staging-20260102-000000", "staging-20260101-000000"]
    assert plan.prune_plan(host, {**OPTIONS, "keep_releases": 0})["remove"] == []


@pytest.mark.parametrize(("run", "changed"), [
    ({"rc": 0, "stdout": '{"teams_added": 0, "matches_added": 0}', "stderr": ""}, False),
    ({"rc": 0, "stdout": "", "stderr": "INFO Running upgrade 1 -> 2"}, True),
    ({"rc": 0, "stdout": 'x\n{"teams_added": 2}\n', "stderr": ""}, True),
    ({"rc": 0, "stdout": '{"teams_added": 3}\n{"matches_added": "0"}', "stderr": ""}, False),
    ({"rc": 1, "msg": "failed"}, False),
])
def test_what_a_migrations_run_changed(run, changed):
    assert plan.migrations_changed(run) is changed


def test_healthy_means_200_and_exactly_healthy():
    assert plan.app_healthy({"status": 200, "json": {"status": "healthy"}})
    assert not plan.app_healthy({"status": 200, "json": {"status": "unhealthy"}})
    assert not plan.app_healthy({"status": 503, "json": {"status": "healthy"}})
    assert not plan.app_healthy({"failed": True, "msg": "connection refused"})


def test_check_mode_says_nothing_when_nothing_changes():
    assert plan.check_mode_preview({"actions": []}, {"changed": False}) == {"would": ["nothing"], "compose_would": []}
    preview = plan.check_mode_preview({"actions": ["a"]}, {"actions": [{"what": "Creating", "id": "app"}]})
    assert preview == {"would": ["a"], "compose_would": ["Creating app"]}


def test_the_filters_are_registered():
    assert set(filters.FilterModule().filters()) == {
        "deploy_stack_state", "deploy_release_plan", "deploy_missing_image", "deploy_prune_plan",
        "deploy_migrations_changed", "deploy_app_healthy", "deploy_check_mode_preview", "deploy_rollback_point"}


def test_check_lines_and_details():
    checks = [{"name": "a", "status": "passed", "value": 1, "detail": "x"},
              {"name": "b", "status": "failed", "value": None, "detail": "y"}]
    lines = CheckLines().filters()
    assert lines["check_lines"](checks) == ["passed | a | 1", "failed | b | None"]
    assert lines["check_details"](checks[1:]) == "b: y"


def test_compose_argv_with_and_without_an_env_file():
    from ansible_collections.footballpred.rehearsal.plugins.filter.compose_argv import compose_argv

    assert compose_argv(["a.yml", "b.yml"], "p", "/srv/app", ".env.staging") == [
        "docker", "compose", "--project-name", "p", "--project-directory", "/srv/app", "--file=a.yml", "--file=b.yml",
        "--env-file", "/srv/app/.env.staging"]
    assert compose_argv(["a.yml"], "p", "/srv/app")[-1] == "--file=a.yml"
    with pytest.raises(AnsibleFilterError):
        compose_argv("a.yml", "p", "/srv/app")
