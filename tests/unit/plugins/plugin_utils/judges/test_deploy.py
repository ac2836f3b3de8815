# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge deploy, fed with the probes roles/deploy registers (fixtures/deploy): every
gate's passing and failing branch, gates not reached, check mode and an aborted deploy; and
that the role's YAML names only steps and checks the judge knows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import deploy

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "deploy"
TASKS = Path(__file__).resolve().parents[5] / "roles" / "deploy" / "tasks"
GATES = ["stack_stop", "db_ready", "db_version", "migrations", "redis_ready", "kafka_ready",
         "mlflow_port", "mlflow_api", "model_registered", "app_image", "app_health"]


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(name="probes")
def _probes() -> dict:
    return _load("probes_passed.json")


@pytest.fixture(name="targets")
def _targets() -> dict:
    return _load("targets.json")


@pytest.fixture(name="failed", scope="module")
def _failed() -> dict:
    return _load("results_failed.json")


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def reached(probes: dict, *steps: str) -> dict:
    """Only the steps named: the deploy stopped after the last one."""
    return {step: probes[step] for step in steps}


def test_a_passing_deploy_has_every_check_in_gate_order(probes, targets):
    judgement = deploy.judge(probes, targets)
    assert [item["name"] for item in judgement["checks"]] == [
        "git_commit", "stack_before", "env_file", "image_build", "release_image", "previous_image", "stack_stop",
        "db_ready", "db_version", "migrations", "redis_ready", "kafka_ready", "mlflow_port", "mlflow_api",
        "model_registered", "app_image", "app_health", "stack_up", "logs_app", "logs_db", "release_images_pruned"]
    checks = by_name(judgement)
    assert all(checks[name]["status"] == "passed" for name in GATES)
    assert set(judgement["evidence"]) == {"git_commit", "stack_before", "plan", "rollback_point", "images", "health",
                                          "image_retention"}


def test_the_passing_values_read_as_the_role_wrote_them(probes, targets):
    checks = by_name(deploy.judge(probes, targets))
    assert checks["git_commit"] == {"name": "git_commit", "status": "passed", "value": "0123456789ab",
                                    "target": "recorded", "detail": "commit of /srv/football-prediction"}
    assert checks["stack_before"]["value"] == "6 of 6 containers running"
    assert checks["stack_before"]["detail"].startswith("app: running, db: running, kafka: running")
    assert checks["env_file"] == {"name": "env_file", "status": "passed", "value": "unchanged",
                                  "target": "present, mode 0600",
                                  "detail": ".env.staging from .env.staging.example and the inventory"}
    assert checks["image_build"]["value"] == "93.3 s"
    assert checks["image_build"]["detail"] == ("football-prediction:staging-20261205-160002 a1b2c3d4e5f6, "
                                               "version 2.5.0, commit 0123456789ab")
    assert checks["release_image"]["value"] == "football-prediction:staging-latest = a1b2c3d4e5f6"
    assert checks["release_image"]["detail"] == "version 2.5.0, commit 0123456789ab, built 2026-12-05T16:00:00Z"
    assert checks["previous_image"]["value"] == "football-prediction:staging-previous = 9f8e7d6c5b4a"
    assert checks["previous_image"]["detail"] == "version 2.4.0, commit ba9876543210; tagged now"
    assert (checks["stack_stop"]["value"], checks["stack_stop"]["detail"]) == (
        "11.3 s", "2 container(s) stopped, 3 removed")
    assert checks["stack_stop"]["target"] == "graceful (timeout 30 s), volumes kept"
    assert (checks["db_ready"]["value"], checks["db_ready"]["target"], checks["db_ready"]["detail"]) == (
        "4.5 s", "pg_isready within 60 s", "127.0.0.1:5433 - accepting connections")
    assert (checks["db_version"]["value"], checks["db_version"]["detail"]) == (
        "15.14", "PostgreSQL 15.14 on x86_64-pc-linux-gnu")
    assert checks["migrations"]["value"] == "8.0 s"
    assert checks["migrations"]["detail"] == ('1 migration(s) applied: Running upgrade 0003 -> 0004, add odds; '
                                              'seed: {"teams_added": 0, "matches_added": 12}')
    assert (checks["redis_ready"]["value"], checks["redis_ready"]["detail"]) == ("1.5 s", "Redis 7.0.15, PING 0.21 ms")
    assert (checks["kafka_ready"]["value"], checks["kafka_ready"]["detail"]) == (
        "4.0 s", "1 topic(s): prediction-events, 1 broker(s)")
    assert checks["kafka_ready"]["target"] == "topic list within 90 s"
    assert (checks["mlflow_port"]["value"], checks["mlflow_port"]["detail"]) == ("3.1 s", "http://127.0.0.1:5001")
    assert (checks["mlflow_api"]["value"], checks["mlflow_api"]["detail"]) == (
        "MLflow 2.22.5", "answered after 4.0 s, /health 3.2 ms")
    assert checks["model_registered"] == {
        "name": "model_registered", "status": "passed", "value": "football-match-predictor@staging = version 2",
        "target": "football-match-predictor@staging registered", "detail": "already registered"}
    assert checks["app_image"] == {
        "name": "app_image", "status": "passed", "value": "a1b2c3d4e5f6",
        "target": "football-prediction:staging-latest = a1b2c3d4e5f6",
        "detail": "container football-prediction-staging-app-1, recreated"}
    assert checks["app_health"]["value"] == "18.8 s"
    assert checks["app_health"]["target"] == "/health 200 and status == healthy within 120 s"
    assert checks["app_health"]["detail"] == "version 2.5.0, commit 0123456789ab, environment staging"
    assert checks["stack_up"]["value"] == "6 of 6 containers running"


def test_evidence_keeps_the_keys_the_report_and_the_tests_read(probes, targets):
    evidence = deploy.judge(probes, targets)["evidence"]
    assert evidence["git_commit"] == "0123456789ab"
    assert evidence["plan"] == probes["plan"]
    assert evidence["rollback_point"]["image_id"] == probes["plan"]["previous_candidate"]
    assert evidence["images"] == {
        "built": "football-prediction:staging-20261205-160002",
        "release": {"tag": "staging-latest", "id": probes["build"]["result"]["image"]["Id"], "version": "2.5.0",
                    "revision": "0123456789ab"},
        "previous": {"tag": "staging-previous", "id": probes["plan"]["previous_candidate"], "version": "2.4.0",
                     "revision": "ba9876543210"}}
    assert evidence["health"] == {"status": "healthy", "version": "2.5.0", "git_commit": "0123456789ab",
                                  "build_date": "2026-12-05T16:00:02Z", "environment": "staging"}


def test_a_step_not_reached_has_no_check(probes, targets):
    judgement = deploy.judge({**reached(probes, "state", "plan", "rollback_point", "env_file"), "build": {}}, targets)
    assert [item["name"] for item in judgement["checks"]] == ["git_commit", "stack_before", "env_file"]
    assert set(judgement["evidence"]) == {"git_commit", "stack_before", "plan", "rollback_point"}
    assert deploy.judge({}, {}) == {"checks": [], "evidence": {}}


def test_check_mode_says_what_it_would_do_and_deploys_nothing(probes, targets, failed):
    judgement = deploy.judge({**reached(probes, "state", "plan"), "preview": failed["compose_preview"]}, targets)
    checks = by_name(judgement)
    assert list(checks) == ["git_commit", "stack_before", "deploy"]
    assert checks["deploy"]["status"] == "not_run"
    assert (checks["deploy"]["value"], checks["deploy"]["target"]) == ("check mode", "deployed and healthy")
    assert checks["deploy"]["detail"] == "would: " + "; ".join(probes["plan"]["actions"])
    assert "build football-prediction:staging-<timestamp> version 2.5.0" in checks["deploy"]["detail"]
    nothing = {**reached(probes, "state"), "plan": {**probes["plan"], "actions": []}, "preview": failed["compose_preview"]}
    assert by_name(deploy.judge(nothing, targets))["deploy"]["detail"] == "would: nothing"


def test_a_checkout_without_git_warns(probes, targets, failed):
    probes["state"] = {**probes["state"], "git": failed["state_not_git"], "commit": "unknown", "stack": []}
    checks = by_name(deploy.judge(reached(probes, "state"), targets))
    assert checks["git_commit"]["status"] == "warned"
    assert checks["git_commit"]["detail"] == ("not a git checkout: fatal: not a git repository "
                                              "(or any of the parent directories): .git")
    assert checks["stack_before"]["value"] == "0 of 0 containers running"
    assert checks["stack_before"]["detail"] == "no container of football-prediction-staging"


def test_the_env_file_rendered_or_kept(probes, targets):
    probes["env_file"] = {**probes["env_file"], "changed": True}
    assert by_name(deploy.judge(reached(probes, "env_file"), targets))["env_file"]["value"] == "rendered"
    kept = {**targets, "render_env_file": False}
    probes["env_file"] = {"changed": False, "skipped": True, "false_condition": "deploy_render_env_file | bool"}
    check = by_name(deploy.judge(reached(probes, "env_file"), kept))["env_file"]
    assert (check["value"], check["detail"]) == (
        "present (not rendered)", ".env.staging kept as it is (deploy_render_env_file=false)")


def test_a_rebuilt_wheelhouse_is_noted(probes, targets):
    probes["build"]["wheelhouse"] = {"changed": True, "rc": 0, "stdout": "wheelhouse ready", "stderr": ""}
    assert by_name(deploy.judge(reached(probes, "build"), targets))["image_build"]["detail"].endswith(
        "; wheelhouse rebuilt")


def test_no_rebuild_and_no_previous_image(probes, targets):
    # Without a build there is no build probe (build.yml, which tags, did not run).
    images = probes["images"]
    images["after"]["images"] = images["after"]["images"][:1]
    judgement = deploy.judge(reached(probes, "images"), targets)
    checks = by_name(judgement)
    assert checks["release_image"]["detail"].endswith("; source and build args unchanged: no rebuild")
    assert checks["previous_image"] == {"name": "previous_image", "status": "warned", "value": "none",
                                        "target": "kept for rollback",
                                        "detail": "no earlier image: nothing to roll back to yet"}
    assert judgement["evidence"]["images"]["built"] == ""
    assert judgement["evidence"]["images"]["previous"] == {"tag": "staging-previous", "id": "", "version": "",
                                                           "revision": ""}


def test_a_missing_release_image_fails_its_check(probes, targets):
    probes["images"]["after"]["images"] = []
    check = by_name(deploy.judge(reached(probes, "images"), targets))["release_image"]
    assert (check["status"], check["value"]) == ("failed", "football-prediction:staging-latest = ")
    assert check["detail"].startswith("version ?, commit ?, built ?")


def test_a_registry_gets_the_push_check(probes, targets):
    probes["build"]["push"] = {"changed": True, "results": [{"item": "staging-20261205-160002", "changed": True},
                                                            {"item": "staging-latest", "changed": True}]}
    with_registry = {**targets, "registry": "registry.example:5000"}
    check = by_name(deploy.judge(reached(probes, "build", "images"), with_registry))["image_push"]
    assert check == {"name": "image_push", "status": "passed", "value": "staging-20261205-160002, staging-latest",
                     "target": "pushed to registry.example:5000", "detail": "registry.example:5000/football-prediction"}
    assert "image_push" not in by_name(deploy.judge(reached(probes, "build", "images"), targets))
    # No build, nothing pushed.
    assert "image_push" not in by_name(deploy.judge(reached(probes, "images"), with_registry))


def test_an_unchanged_release_keeps_the_stack_running(probes, targets):
    probes["stop"] = {"down": {"changed": False, "skipped": True}, "stop": False, "t0": 1.0, "at": 2.0}
    check = by_name(deploy.judge(reached(probes, "stop"), targets))["stack_stop"]
    assert (check["status"], check["value"]) == ("skipped", "kept running")
    assert check["detail"] == ("same image and env file as the running stack: nothing to restart "
                               "(deploy_restart_policy=on_change)")


def test_a_database_that_is_not_ready_fails_and_skips_select_version(probes, targets, failed):
    probes["db"].update(pg_isready=failed["pg_isready_timeout"], db={"changed": False, "skipped": True})
    checks = by_name(deploy.judge(reached(probes, "db"), targets))
    assert (checks["db_ready"]["status"], checks["db_ready"]["value"]) == ("failed", "not ready")
    assert checks["db_ready"]["detail"] == "127.0.0.1:5433 - no response"
    assert (checks["db_version"]["status"], checks["db_version"]["value"]) == ("not_run", "unknown")
    assert checks["db_version"]["detail"] == "database not ready"


def test_pg_isready_without_output_reports_its_message(probes, targets):
    probes["db"].update(pg_isready={"failed": True, "msg": "service db is not running"},
                        db={"changed": False, "skipped": True})
    assert by_name(deploy.judge(reached(probes, "db"), targets))["db_ready"]["detail"] == "service db is not running"


def test_select_version_failing_fails_the_database_gate(probes, targets, failed):
    probes["db"]["db"] = failed["db_check_refused"]
    checks = by_name(deploy.judge(reached(probes, "db"), targets))
    assert checks["db_ready"]["status"] == "passed"
    assert checks["db_version"]["status"] == "failed"
    assert checks["db_version"]["detail"] == failed["db_check_refused"]["error"]


def test_failed_migrations_show_the_last_lines_of_stderr(probes, targets, failed):
    probes["migrate"]["run"] = failed["migrate_failed"]
    check = by_name(deploy.judge(reached(probes, "migrate"), targets))["migrations"]
    assert (check["status"], check["value"]) == ("failed", "8.0 s")
    assert check["detail"] == ('exit 1: Traceback (most recent call last): |   File "alembic", line 1 | '
                               'sqlalchemy.exc.ProgrammingError: relation "teams" does not exist')


def test_migrations_that_could_not_start_show_the_module_message(probes, targets):
    probes["migrate"]["run"] = {"failed": True, "msg": "Error starting project: " + "x" * 600}
    detail = by_name(deploy.judge(reached(probes, "migrate"), targets))["migrations"]["detail"]
    assert detail.startswith("exit ?: Error starting project:")
    assert detail.endswith("...") and len(detail) < 520


def test_redis_or_kafka_down_fails_its_check(probes, targets, failed):
    probes["messaging"]["redis"] = failed["redis_down"]
    checks = by_name(deploy.judge(reached(probes, "messaging"), targets))
    assert (checks["redis_ready"]["status"], checks["redis_ready"]["value"]) == ("failed", "no PONG")
    assert checks["redis_ready"]["detail"] == failed["redis_down"]["error"]
    assert checks["kafka_ready"]["status"] == "passed"
    probes["messaging"].update(redis=_load("probes_passed.json")["messaging"]["redis"], kafka=failed["kafka_down"])
    checks = by_name(deploy.judge(reached(probes, "messaging"), targets))
    assert checks["redis_ready"]["status"] == "passed"
    assert (checks["kafka_ready"]["status"], checks["kafka_ready"]["value"]) == ("failed", "no answer")
    assert checks["kafka_ready"]["detail"] == failed["kafka_down"]["error"]


def test_kafka_without_topics_yet(probes, targets):
    probes["messaging"]["kafka"]["topics"] = []
    assert by_name(deploy.judge(reached(probes, "messaging"), targets))["kafka_ready"]["detail"] == (
        "0 topic(s): none yet, 1 broker(s)")


def test_a_closed_mlflow_port_fails_and_the_api_is_not_run(probes, targets, failed):
    probes["mlflow"].update(port=failed["mlflow_port_closed"], api={"changed": False, "skipped": True})
    checks = by_name(deploy.judge(reached(probes, "mlflow"), targets))
    assert (checks["mlflow_port"]["status"], checks["mlflow_port"]["value"]) == ("failed", "closed")
    assert checks["mlflow_port"]["detail"] == "Timeout when waiting for 127.0.0.1:5001"
    assert (checks["mlflow_api"]["status"], checks["mlflow_api"]["value"]) == ("not_run", "no answer")
    assert checks["mlflow_api"]["detail"] == "port closed"


def test_an_mlflow_api_that_does_not_answer_fails(probes, targets, failed):
    probes["mlflow"]["api"] = failed["mlflow_api_down"]
    checks = by_name(deploy.judge(reached(probes, "mlflow"), targets))
    assert checks["mlflow_port"]["status"] == "passed"
    assert (checks["mlflow_api"]["status"], checks["mlflow_api"]["detail"]) == ("failed", "/health answered HTTP 503")


def test_a_missing_model_is_trained_and_registered(probes, targets, failed):
    probes["model"].update(before=failed["model_missing_before"], train=failed["train_ok"],
                           after=failed["model_registered_after"])
    check = by_name(deploy.judge(reached(probes, "model"), targets))["model_registered"]
    assert (check["status"], check["value"]) == ("passed", "football-match-predictor@staging = version 1")
    assert check["detail"] == "trained and registered in 0.2 s"


def test_a_model_still_missing_after_the_training_fails(probes, targets, failed):
    probes["model"].update(before=failed["model_missing_before"], train=failed["train_failed"],
                           after=failed["model_missing_before"])
    check = by_name(deploy.judge(reached(probes, "model"), targets))["model_registered"]
    assert (check["status"], check["value"]) == ("failed", "missing")
    assert check["detail"] == ("still missing after football-train (exit 2): loading matches | fitting | "
                               "ValueError: no matches to train on")


def test_an_unhealthy_app_names_its_failing_checks(probes, targets, failed):
    probes["app"]["health"] = failed["health_unhealthy"]
    judgement = deploy.judge(reached(probes, "images", "app"), targets)
    check = by_name(judgement)["app_health"]
    assert (check["status"], check["value"]) == ("failed", "HTTP 503 unhealthy")
    assert check["detail"] == "failing: redis, mlflow"
    assert judgement["evidence"]["health"] == {"status": "unhealthy", "version": "2.5.0"}


def test_an_app_that_does_not_answer(probes, targets, failed):
    probes["app"]["health"] = failed["health_refused"]
    check = by_name(deploy.judge(reached(probes, "images", "app"), targets))["app_health"]
    assert (check["status"], check["value"]) == ("failed", "HTTP -1 no answer")
    assert check["detail"] == failed["health_refused"]["msg"]


def test_an_app_running_another_image_or_none(probes, targets):
    probes["app"].update(container={"Image": "sha256:" + "e" * 64, "Name": "/other"},
                         up={"changed": False, "containers": []})
    check = by_name(deploy.judge(reached(probes, "images", "app"), targets))["app_image"]
    assert (check["status"], check["value"]) == ("failed", "eeeeeeeeeeee")
    assert check["detail"] == "container other, unchanged"
    probes["app"]["container"] = {}
    check = by_name(deploy.judge(reached(probes, "images", "app"), targets))["app_image"]
    assert (check["status"], check["value"], check["detail"]) == ("failed", "no container", "container ?, unchanged")


def test_a_service_that_is_not_running_fails_stack_up(probes, targets):
    probes["stack_up"]["containers"][4]["State"] = "exited"
    check = by_name(deploy.judge(reached(probes, "stack_up"), targets))["stack_up"]
    assert (check["status"], check["value"]) == ("failed", "5 of 6 containers running")
    assert "prometheus: exited" in check["detail"]


def test_log_findings_warn_and_a_failed_read_fails(probes, targets):
    checks = by_name(deploy.judge(reached(probes, "logs"), targets))
    assert checks["logs_app"] == {"name": "logs_app", "status": "warned", "value": "1 of 2 lines",
                                  "target": "no line matching ERROR|CRITICAL in the last 200",
                                  "detail": "ERROR model cache cold"}
    assert (checks["logs_db"]["status"], checks["logs_db"]["value"], checks["logs_db"]["detail"]) == (
        "passed", "0 of 1 lines", "clean")
    probes["logs"]["results"][1].update(rc=1, stdout_lines=[], stderr="no such service: db")
    check = by_name(deploy.judge(reached(probes, "logs"), targets))["logs_db"]
    assert (check["status"], check["detail"]) == ("failed", "docker compose logs failed: no such service: db")


def test_pruning_removes_spares_and_warns_when_a_tag_stays(probes, targets, failed):
    judgement = deploy.judge(reached(probes, "prune"), targets)
    assert judgement["checks"] == [{
        "name": "release_images_pruned", "status": "passed", "value": "removed 1 of 7 release tags, kept 6",
        "target": "keep newest 5",
        "detail": "removed staging-20261129-100000; kept, image in use or a rollback target: staging-20261130-100000"}]
    assert judgement["evidence"]["image_retention"] == {
        "keep": 5, "release_tags": 7, "removed": ["staging-20261129-100000"], "spared": ["staging-20261130-100000"],
        "failed": []}
    probes["prune"]["removed"]["results"] = [failed["prune_remove_failed"]]
    judgement = deploy.judge(reached(probes, "prune"), {**targets, "keep_releases": "0"})
    check = judgement["checks"][0]
    assert (check["status"], check["value"], check["target"]) == (
        "warned", "removed 0 of 7 release tags, kept 7", "keep all")
    assert check["detail"] == ("nothing to remove; kept, image in use or a rollback target: staging-20261130-100000"
                               "; could not remove: staging-20261129-100000 - " + failed["prune_remove_failed"]["msg"])
    assert judgement["evidence"]["image_retention"]["failed"] == ["staging-20261129-100000"]


def test_pruning_in_check_mode_says_would(probes, targets):
    probes["prune"]["check_mode"] = True
    assert deploy.judge(reached(probes, "prune"), targets)["checks"][0]["value"] == (
        "would remove 1 of 7 release tags, would keep 6")


def test_an_aborted_deploy_without_a_failed_gate_gets_deploy_aborted(probes, targets):
    aborted = {"task": "Stop when the app container could not be inspected", "message": "no such container " * 40}
    checks = deploy.judge({**reached(probes, "state", "plan", "db"), "aborted": aborted}, targets)["checks"]
    assert checks[-1]["name"] == "deploy_aborted"
    assert (checks[-1]["status"], checks[-1]["value"], checks[-1]["target"]) == (
        "failed", aborted["task"], "completes")
    assert checks[-1]["detail"].endswith("...") and len(checks[-1]["detail"]) <= 500


def test_an_aborted_deploy_after_a_failed_gate_has_no_extra_check(probes, targets, failed):
    probes["migrate"]["run"] = failed["migrate_failed"]
    aborted = {"task": "Stop the deploy when the gate failed", "message": "Migrations failed: exit 1"}
    names = [item["name"] for item in
             deploy.judge({**reached(probes, "state", "db", "migrate"), "aborted": aborted}, targets)["checks"]]
    assert names == ["git_commit", "stack_before", "db_ready", "db_version", "migrations"]


def _tasks() -> list:
    tasks = []
    for path in sorted(TASKS.glob("*.yml")):
        tasks += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tasks


def test_the_role_stops_on_checks_the_judge_makes(probes, targets):
    names = set(by_name(deploy.judge(probes, targets)))
    gates = [task["vars"]["_deploy_gate_checks"] for task in _tasks()
             if task.get("ansible.builtin.include_tasks") == "judge_gate.yml"]
    assert len(gates) == 6
    # Every gate but the stop (which never stops the deploy), each once.
    assert sorted(name for gate in gates for name in gate) == sorted(GATES[1:])
    assert set(GATES) <= names


def test_the_role_keeps_probes_only_under_the_judges_step_names():
    steps = {step[0] for step in deploy.STEPS}
    text = "".join(path.read_text(encoding="utf-8") for path in TASKS.glob("*.yml"))
    kept = set(re.findall(r"_deploy_probes \| combine\(\{'([a-z_]+)'", text))
    kept |= set(re.findall(r"_deploy_probes \| combine\(\{'state': _deploy_state, '([a-z_]+)'", text))
    # The gates' probes, kept by judge_gate.yml under _deploy_gate.
    kept |= {task["vars"]["_deploy_gate"] for task in _tasks()
             if task.get("ansible.builtin.include_tasks") == "judge_gate.yml"}
    assert kept == steps | {"aborted"}  # aborted: the rescue's
    assert "'passed' if" not in text


def test_the_judge_is_pure():
    source = Path(deploy.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^(import|from) (ansible\.|os|time|datetime|subprocess)", source, re.M)
