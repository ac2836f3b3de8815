# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The judge preflight, from probes shaped as the modules return them (fixtures/preflight)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import preflight

FIXTURES = Path(__file__).parent / "fixtures" / "preflight"
ROLE = Path(__file__).resolve().parents[5] / "roles" / "preflight"
ORDER = ["python_requirements", "docker_version", "compose_version", "python_version", "cpu_count",
         "memory_total_gib", "disk_free_gib", "port_api_8001", "port_db_5433", "port_redis_6380", "port_kafka_9093",
         "port_mlflow_5001", "compose_file_docker-compose.yml", "compose_file_docker-compose.staging.yml",
         "script_deploy-staging.sh", "script_rollback-staging.sh", "env_file", "compose_config", "compose_services",
         "git_commit", "stack_state", "db_reachable", "redis_reachable", "kafka_reachable", "mlflow_reachable",
         "prometheus_targets", "prometheus_alert_rules", "alert_channel", "grafana_dashboard"]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(name="running")
def fixture_running() -> dict:
    return load("probes_running_stack.json")


@pytest.fixture(name="down")
def fixture_down() -> dict:
    return load("probes_nothing_answers.json")


@pytest.fixture(name="targets")
def fixture_targets() -> dict:
    return load("targets.json")


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def env_content(text: str) -> dict:
    return {"changed": False, "failed": False, "content": base64.b64encode(text.encode()).decode(), "encoding": "base64"}


def test_a_running_stack_passes_every_check_in_the_order_preflight_runs_them(running, targets):
    judgement = preflight.judge(running, targets)
    assert [item["name"] for item in judgement["checks"]] == ORDER
    statuses = {item["name"]: item["status"] for item in judgement["checks"]}
    assert statuses.pop("grafana_dashboard") == "skipped"
    assert set(statuses.values()) == {"passed"}, statuses
    assert list(judgement["evidence"]) == ["python_requirements", "versions", "disk_free_bytes", "ports", "git",
                                           "stack_before"]


def test_the_measured_values_and_their_texts(running, targets):
    judgement = preflight.judge(running, targets)
    checks = by_name(judgement)
    assert checks["python_requirements"] == {
        "name": "python_requirements", "status": "passed", "value": "/opt/footballpred-rehearsal/venv/bin/python 3.11.2",
        "target": "redis>=5.0.0, kafka-python>=3.0.0", "detail": ""}
    assert checks["docker_version"] == {"name": "docker_version", "status": "passed", "value": "24.0.7",
                                        "target": ">= 20.10", "detail": "engine staging-1, root dir /var/lib/docker"}
    assert checks["compose_version"]["value"] == "2.26.1"
    assert checks["compose_version"]["detail"] == "docker compose version --short"
    assert checks["python_version"] == {"name": "python_version", "status": "passed", "value": "3.11.2",
                                        "target": ">= 3.11", "detail": "python3 --version"}
    assert (checks["cpu_count"]["value"], checks["cpu_count"]["target"]) == (4, ">= 2")
    assert checks["memory_total_gib"]["value"] == 7.76
    assert checks["disk_free_gib"]["value"] == 30.0
    assert checks["disk_free_gib"]["detail"] == "least free of: /, /var/lib/docker"
    assert judgement["evidence"]["disk_free_bytes"] == {"/": "53687091200", "/var/lib/docker": "32212254720"}
    assert checks["port_db_5433"] == {"name": "port_db_5433", "status": "passed", "value": "owned",
                                      "target": "free or held by football-prediction-staging",
                                      "detail": "held by this project: football-prediction-staging-db-1"}
    assert checks["script_deploy-staging.sh"]["value"] == "executable"
    assert checks["script_deploy-staging.sh"]["target"] == "present and executable"
    assert checks["compose_file_docker-compose.yml"]["detail"] == "/srv/football-prediction/docker-compose.yml"
    assert checks["env_file"] == {
        "name": "env_file", "status": "passed", "value": "5/5 required keys right",
        "target": "ENVIRONMENT=staging, STAGING_DB_HOST=<set>, STAGING_DB_NAME=football_prediction_staging, "
                  "STAGING_REDIS_URL=<set>, API_PORT=8001",
        "detail": "all required keys set in .env.staging; API_PORT 8001 from the inventory: deploy renders "
                  ".env.staging from .env.staging.example"}
    assert checks["compose_services"]["value"] == "app, db, kafka, mlflow, prometheus, redis"
    assert checks["compose_config"]["detail"] == ("docker compose config with docker-compose.yml, "
                                                  "docker-compose.staging.yml and .env.staging")
    assert checks["git_commit"]["detail"] == "Deploy the staging model v3 (2026-12-02T18:00:00+01:00)"
    assert checks["stack_state"]["value"] == "6 of 6 containers running"
    assert checks["stack_state"]["detail"].startswith("app: running, db: running, kafka: running")
    assert judgement["evidence"]["stack_before"][0] == {
        "Service": "app", "Name": "football-prediction-staging-app-1", "Image": "football-prediction:staging-latest",
        "State": "running", "Health": "healthy", "Status": "Up 2 hours (healthy)"}
    assert "Command" not in json.dumps(judgement["evidence"]["stack_before"])
    assert checks["db_reachable"]["detail"] == "SELECT 1 ok, connect 4.127 ms, database football_prediction_staging"
    assert checks["redis_reachable"]["detail"] == "PING ok in 0.21 ms"
    assert checks["kafka_reachable"]["detail"] == ("cluster tansu_cluster, 1 broker(s), 1 topic(s); the Kafka protocol "
                                                   "does not expose the broker version")
    assert checks["mlflow_reachable"]["value"] == "2.22.5"
    assert checks["prometheus_targets"]["value"] == "2 staging target(s), 1 up"
    assert checks["prometheus_targets"]["detail"] == ("jobs: football-api-staging, node; down: "
                                                      "http://127.0.0.1:9100/metrics")
    assert checks["prometheus_alert_rules"]["value"] == "2 alerting rule(s) in 1 group(s)"
    assert checks["alert_channel"]["detail"] == ("alert rules route to #alerts-staging; 1 Alertmanager(s) receive "
                                                 "the alerts")


def test_nothing_answering_fails_or_waits_as_the_yaml_did(down, targets):
    checks = by_name(preflight.judge(down, targets))
    assert {name: item["status"] for name, item in checks.items()} == {
        "python_requirements": "failed", "docker_version": "failed", "compose_version": "failed",
        "python_version": "failed", "cpu_count": "failed", "memory_total_gib": "failed", "disk_free_gib": "failed",
        "port_api_8001": "failed", "port_db_5433": "failed", "port_redis_6380": "failed", "port_kafka_9093": "failed",
        "port_mlflow_5001": "failed", "compose_file_docker-compose.yml": "passed",
        "compose_file_docker-compose.staging.yml": "failed", "script_deploy-staging.sh": "failed",
        "script_rollback-staging.sh": "failed", "env_file": "failed", "compose_config": "failed",
        "compose_services": "not_run", "git_commit": "warned", "stack_state": "failed", "db_reachable": "failed",
        "redis_reachable": "failed", "kafka_reachable": "failed", "mlflow_reachable": "failed",
        "prometheus_targets": "failed", "prometheus_alert_rules": "failed", "alert_channel": "failed",
        "grafana_dashboard": "skipped"}
    assert checks["python_requirements"]["detail"] == ("kafka-python 2.0.2 is older than the needed 3.0.0; "
                                                       "redis is not installed (needed >= 5.0.0)")
    assert checks["docker_version"]["value"] == "unavailable"
    assert checks["docker_version"]["detail"].startswith("the Docker engine does not answer: Error connecting")
    assert checks["compose_version"]["detail"] == "docker compose does not answer: "
    assert checks["python_version"]["value"] == "3.9.2"
    assert checks["cpu_count"]["value"] == 1, "processor_nproc when processor_vcpus is not known"
    assert checks["disk_free_gib"]["value"] == "unavailable"
    assert checks["disk_free_gib"]["detail"] == "df failed: df: /srv/football-prediction: No such file or directory"
    assert checks["port_api_8001"]["value"] == "unknown"
    assert checks["port_api_8001"]["detail"].startswith("could not inspect the listening sockets: Traceback")
    assert checks["port_api_8001"]["detail"].endswith("non-zero return code")
    assert checks["script_deploy-staging.sh"]["value"] == "not executable"
    assert checks["script_rollback-staging.sh"]["value"] == "missing"
    assert checks["env_file"]["value"] == "2/5 required keys right"
    assert checks["env_file"]["detail"] == (
        "ENVIRONMENT=production (expected staging); STAGING_DB_HOST is empty; STAGING_REDIS_URL missing in "
        ".env.staging.example; API_PORT 8001 from the inventory: deploy renders .env.staging from "
        ".env.staging.example; .env.staging does not exist yet: the keys were read from its template, deploy creates it")
    assert checks["compose_config"]["detail"].startswith("open /srv/football-prediction/docker-compose.staging.yml")
    assert checks["compose_services"]["detail"] == "the configuration does not render"
    assert checks["git_commit"]["value"] == "unknown"
    assert checks["git_commit"]["detail"] == "not a git checkout: fatal: not a git repository (or any of the parent directories): .git"
    assert checks["stack_state"]["detail"] == "no container of football-prediction-staging"
    assert checks["db_reachable"]["detail"].startswith("not part of this compose project and does not answer: ")
    assert checks["prometheus_targets"]["detail"].startswith("Status code was -1")
    assert checks["alert_channel"]["value"] == "unknown"


def test_a_silent_service_is_judged_by_where_it_stands(down, running, targets):
    probes = {**down, "compose_config": running["compose_config"], "compose_ps": copy.deepcopy(running["compose_ps"])}
    probes["compose_ps"]["stdout"] = "\n".join(line for line in probes["compose_ps"]["stdout"].splitlines()
                                               if '"db"' not in line and '"prometheus"' not in line)
    checks = by_name(preflight.judge(probes, targets))
    assert checks["db_reachable"]["status"] == "not_run"
    assert checks["db_reachable"]["detail"].startswith("service db is not running (the deploy starts it): OperationalError")
    assert checks["redis_reachable"]["status"] == "warned"
    assert checks["redis_reachable"]["detail"].startswith("service redis is running but does not answer: ")
    assert checks["prometheus_targets"]["status"] == "not_run"
    probes["compose_ps"] = running["compose_ps"]
    assert by_name(preflight.judge(probes, targets))["prometheus_alert_rules"]["status"] == "warned"


def test_a_service_of_another_major_version_fails(running, targets):
    running["db"]["server_version"] = {"major": 16, "minor": 2, "full": "16.2"}
    check = by_name(preflight.judge(running, targets))["db_reachable"]
    assert (check["status"], check["value"]) == ("failed", "16.2")
    assert check["detail"] == "version 16.2 is not the expected major version"


@pytest.mark.parametrize(("found", "needed", "status"), [
    ("24.0.7", "20.10", "passed"), ("20.10.24+dfsg1", "20.10", "passed"), ("19.03.15", "20.10", "failed"),
    ("20.10", "20.10.1", "failed")])
def test_docker_versions_compare_as_versions(running, targets, found, needed, status):
    running["docker"]["host_info"]["ServerVersion"] = found
    check = by_name(preflight.judge(running, {**targets, "min_docker_version": needed}))["docker_version"]
    assert (check["status"], check["value"]) == (status, found)


def test_thresholds_of_the_host(running, targets):
    checks = by_name(preflight.judge(running, {**targets, "min_cpus": 8, "min_memory_gib": 7.76,
                                               "min_disk_free_gib": 30.01}))
    assert [checks[name]["status"] for name in ("cpu_count", "memory_total_gib", "disk_free_gib")] == [
        "failed", "passed", "failed"]
    assert checks["disk_free_gib"]["target"] == ">= 30.01"


def test_ports_free_owned_and_foreign(running, targets):
    report = json.loads(running["port_owners"]["stdout"])
    report["ports"][0].update(status="free", detail="nothing listens")
    report["ports"][1].update(status="foreign", detail="held by a process outside this project: postgres[812]")
    running["port_owners"]["stdout"] = json.dumps(report)
    checks = by_name(preflight.judge(running, targets))
    assert [checks[name]["status"] for name in ("port_api_8001", "port_db_5433")] == ["passed", "failed"]
    assert checks["port_db_5433"]["detail"] == "held by a process outside this project: postgres[812]"


def test_an_env_file_kept_as_it_is_must_carry_the_port(running, targets):
    targets = {**targets, "env_renders": False, "rendered_api_port": "48001",
               "env_required": {**targets["env_required"], "API_PORT": "48001"}}
    check = by_name(preflight.judge(running, targets))["env_file"]
    assert check["status"] == "failed"
    assert check["detail"] == "API_PORT=8001 (expected 48001) in .env.staging"
    running["env_source"] = ".env.staging.example"
    running["env_content"] = env_content("ENVIRONMENT=staging\nSTAGING_DB_HOST=h\nSTAGING_DB_NAME=football_prediction_staging\n"
                                         "STAGING_REDIS_URL=r\nAPI_PORT=48001\n")
    check = by_name(preflight.judge(running, targets))["env_file"]
    assert check["status"] == "failed", "the template is no env file when deploy does not render it"
    assert check["detail"].endswith("deploy needs it (deploy_render_env_file=false)")


def test_an_env_file_from_its_template_warns_and_quotes_are_not_part_of_a_value(running, targets):
    running["env_source"] = ".env.staging.example"
    running["env_content"] = env_content("ENVIRONMENT=\"staging\"\n  export STAGING_DB_HOST = 'db'  \n"
                                         "STAGING_DB_NAME=football_prediction_staging\nSTAGING_REDIS_URL=redis://r\n"
                                         "API_PORT=8001\n")
    targets = {**targets, "rendered_api_port": "48001", "env_required": {**targets["env_required"], "API_PORT": "48001"}}
    check = by_name(preflight.judge(running, targets))["env_file"]
    assert (check["status"], check["value"]) == ("warned", "5/5 required keys right")
    assert "API_PORT 48001 from the inventory" in check["detail"]


def test_no_env_file_and_no_template(running, targets):
    running["env_source"] = ""
    running["env_content"] = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False",
                              "false_condition": "_preflight_env_source | length > 0"}
    check = by_name(preflight.judge(running, targets))["env_file"]
    assert check == {"name": "env_file", "status": "failed", "value": "missing",
                     "target": check["target"], "detail": ".env.staging and .env.staging.example are missing"}


def test_compose_config_missing_a_service(running, targets):
    running["compose_config"]["stdout_lines"] = ["db", "App", "redis"]
    checks = by_name(preflight.judge(running, targets))
    assert (checks["compose_services"]["status"], checks["compose_services"]["value"]) == ("failed", "App, db, redis")
    assert checks["compose_services"]["detail"] == "missing: app, kafka, mlflow"


def test_uncommitted_changes_and_an_old_compose_ps_array(running, targets):
    running["git_status"]["stdout_lines"] = [" M docker-compose.yml", " M .env.staging.example"]
    running["compose_ps"]["stdout"] = json.dumps([{"Service": "db", "State": "exited", "Name": "x"}])
    checks = by_name(preflight.judge(running, targets))
    assert checks["git_commit"]["status"] == "warned"
    assert checks["git_commit"]["detail"].endswith("; uncommitted changes: 2 files")
    assert (checks["stack_state"]["value"], checks["stack_state"]["detail"]) == ("0 of 1 containers running", "db: exited")


def test_prometheus_without_staging_targets_rules_or_alertmanagers(running, targets):
    data = {item["item"]: item["json"]["data"] for item in running["prometheus"]["results"]}
    data["targets"]["activeTargets"] = [target for target in data["targets"]["activeTargets"]
                                        if target["labels"]["job"] == "prometheus"]
    data["rules"]["groups"][0]["rules"] = [rule for rule in data["rules"]["groups"][0]["rules"] if rule["type"] != "alerting"]
    data["alertmanagers"]["activeAlertmanagers"] = []
    checks = by_name(preflight.judge(running, {**targets, "prometheus_required_jobs": ["football-api-staging"]}))
    assert checks["prometheus_targets"]["status"] == "failed"
    assert checks["prometheus_targets"]["target"] == "staging targets exist (jobs football-api-staging)"
    assert checks["prometheus_targets"]["detail"] == "jobs: none; missing: football-api-staging; down: none"
    assert (checks["prometheus_alert_rules"]["status"], checks["prometheus_alert_rules"]["detail"]) == (
        "failed", "no alerting rule")
    assert (checks["alert_channel"]["status"], checks["alert_channel"]["value"]) == ("failed", "no channel label")


def test_an_alert_channel_without_alertmanager_warns_and_no_channel_skips(running, targets):
    running["prometheus"]["results"][2]["json"]["data"]["activeAlertmanagers"] = []
    check = by_name(preflight.judge(running, targets))["alert_channel"]
    assert check["status"] == "warned"
    assert check["detail"].endswith("no Alertmanager receives the alerts, so nothing reaches the channel")
    check = by_name(preflight.judge(running, {**targets, "alert_channel": ""}))["alert_channel"]
    assert check == {"name": "alert_channel", "status": "skipped", "value": "not configured",
                     "target": "an alert channel", "detail": "no alert channel configured (preflight_alert_channel is empty)"}


def test_prometheus_not_configured_is_judged_by_where_it_stands(running, down, targets):
    skipped = {"changed": False, "skipped": True, "msg": "All items skipped", "results": [
        {"changed": False, "skipped": True, "skip_reason": "Conditional result was False", "item": item}
        for item in ("targets", "rules", "alertmanagers")]}
    checks = by_name(preflight.judge({**running, "prometheus": skipped}, targets))
    assert (checks["prometheus_targets"]["status"], checks["prometheus_targets"]["detail"]) == ("warned", "not configured")
    checks = by_name(preflight.judge({**down, "prometheus": skipped}, targets))
    assert checks["prometheus_targets"]["status"] == "failed"


def test_grafana(down, targets):
    grafana = {**targets, "grafana_url": "http://127.0.0.1:3000", "grafana_dashboard_uid": "staging"}
    check = by_name(preflight.judge(down, grafana))["grafana_dashboard"]
    assert check == {"name": "grafana_dashboard", "status": "failed", "value": "Grafana 10.4.2, dashboard HTTP 404",
                     "target": "staging dashboard staging exists",
                     "detail": "OK (70 bytes) Status code was 404 and not [200]: HTTP Error 404: Not Found"}
    down["grafana"]["results"][1]["status"] = 200
    assert by_name(preflight.judge(down, grafana))["grafana_dashboard"]["status"] == "passed"
    down["grafana"]["results"] = down["grafana"]["results"][:1]
    check = by_name(preflight.judge(down, {**grafana, "grafana_dashboard_uid": ""}))["grafana_dashboard"]
    assert (check["status"], check["value"], check["target"]) == (
        "warned", "Grafana 10.4.2, dashboard HTTP not checked", "staging dashboard (uid not set) exists")
    down["grafana"]["results"][0]["status"] = 503
    assert by_name(preflight.judge(down, grafana))["grafana_dashboard"]["status"] == "failed"


def test_probes_that_were_not_reached_leave_their_area_out(running, targets):
    reached = {**dict.fromkeys(running), "python_requirements": running["python_requirements"],
               "docker": running["docker"], "compose_version": running["compose_version"], "python": running["python"],
               "hardware": running["hardware"], "df": running["df"], "port_list": running["port_list"],
               "aborted": {"task": "Stop when a container could not be inspected", "msg": "Could not inspect x: gone"}}
    judgement = preflight.judge(reached, targets)
    assert [item["name"] for item in judgement["checks"]] == ORDER[:7] + ["preflight_aborted"]
    assert judgement["checks"][-1] == {"name": "preflight_aborted", "status": "failed",
                                       "value": "Stop when a container could not be inspected", "target": "completes",
                                       "detail": "Could not inspect x: gone"}
    assert list(judgement["evidence"]) == ["python_requirements", "versions", "disk_free_bytes"]


def test_a_probe_that_failed_stopped_preflight_so_its_area_is_left_out(running, targets):
    running["env_content"] = {"changed": False, "failed": True, "msg": "file is not readable: .env.staging"}
    for name in ("compose_config", "git", "git_status", "compose_ps", "db", "redis", "kafka", "mlflow",
                 "prometheus", "grafana"):
        running[name] = None
    running["aborted"] = {"task": "Read the env file", "msg": "file is not readable: .env.staging"}
    names = [item["name"] for item in preflight.judge(running, targets)["checks"]]
    assert names == ORDER[:16] + ["preflight_aborted"]


def test_a_refusal_alone_and_a_long_message_cut_as_jinja_cut_it():
    judgement = preflight.judge({"aborted": {"task": "Refuse a target that looks like production",
                                             "msg": "REFUSED: " + "database port 5432 is a production port; " * 20}}, {})
    assert judgement["evidence"] == {}
    [aborted] = judgement["checks"]
    assert len(aborted["detail"]) <= 500 and aborted["detail"].endswith("production...")
    assert preflight.judge({"aborted": {"task": "t", "msg": "x" * 505}}, {})["checks"][0]["detail"] == "x" * 505


def test_python_requirements_that_did_not_run(targets):
    failed = {"changed": False, "failed": False, "msg": "MODULE FAILURE: /usr/bin/python2: not found", "rc": 127}
    check = by_name(preflight.judge({"python_requirements": failed}, targets))["python_requirements"]
    assert check == {"name": "python_requirements", "status": "failed", "value": "unknown interpreter ",
                     "target": "", "detail": "MODULE FAILURE: /usr/bin/python2: not found"}


def test_in_check_mode_a_command_that_did_not_run_is_judged_as_not_answering(running, targets):
    """Every probe of preflight runs in check mode (check_mode: false); were one skipped as
    command skips in check mode, it counts as not answering, never as passed."""
    skipped = {"changed": False, "skipped": True, "msg": "Command would have run if not in check mode", "rc": None,
               "stdout": "", "stderr": "", "cmd": ["docker"], "start": None, "end": None, "delta": None}
    checks = by_name(preflight.judge({**running, "compose_version": skipped, "compose_config": skipped,
                                      "compose_ps": skipped}, targets))
    assert (checks["compose_version"]["status"], checks["compose_version"]["value"]) == ("failed", "unavailable")
    assert checks["compose_config"]["status"] == "failed"
    assert checks["compose_services"]["status"] == "not_run"
    assert checks["stack_state"]["status"] == "failed"


def test_every_probe_that_check_mode_would_skip_runs_in_check_mode():
    """The judgement of a --check run is the real one only if its probes ran."""
    skipped_in_check_mode = {"ansible.builtin.command", "ansible.builtin.uri", "ansible.builtin.script"}
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if skipped_in_check_mode & set(task) and "register" in task:
                assert task.get("check_mode") is False, f"{path.name}: {task['name']}"


def test_the_role_hands_the_judge_every_probe_it_reads():
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    probes = set(role_vars["_preflight_probes"])
    assert probes == set(load("probes_running_stack.json"))
    main = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    for name, value in role_vars["_preflight_probes"].items():
        if name != "hardware":
            assert f"    {value.strip('{} ')}: null" in main or name == "env_source", f"{name} is not reset"
