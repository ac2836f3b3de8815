# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight and deploy phase playbooks against the real local stack.

They run playbooks/{preflight,deploy}.yml unchanged with the local inventory and read
the recorded phase from the JSON callback's output: version X then version Y is
deployed (Y serves, X is kept as staging-previous), the same release again changes
nothing, check mode changes nothing, and a production-looking inventory and a second
concurrent run are refused before any change. They need a Docker engine with the infra
images (scripts/build-images.sh --infra-only) and skip otherwise (FP_REQUIRE_STACK=1
makes that a failure). The deploys restart the shared stack; the module ends by
deploying the project's own version again. The secrets are the running stack's own,
read from its .env.staging and handed over in a 0600 extra-vars file. Timings are
recorded by the roles and never asserted here (see bench/).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from support import ROOT
from support.lock import holder_pid, start_lock_holder, wait_until_held
from support.playbook import CONNECTION_PLAY_KEYS, playbook_argv, run_playbook, write_vars_file
from support.processes import DockerUnavailable, docker_env

PROJECT = ROOT / "examples" / "football-prediction"
ENV_FILE = PROJECT / ".env.staging"
API = "http://127.0.0.1:8001"
APP_IMAGE = "football-prediction"
LOCK_FILE = Path("/run/lock/footballpred-rehearsal/rehearsal.lock")
DEPLOY_TAG = re.compile(r"^staging-(\d{8}-\d{6}|latest|previous) ")
INFRA_IMAGES = ["footballpred/postgres:15", "footballpred/redis:7", "footballpred/kafka:tansu",
                "footballpred/mlflow:local", "footballpred/prometheus:local"]
# Other runs (other phases' tests) may hold the rehearsal lock for a while: a run that
# is expected to succeed waits for it (preflight_lock_wait_s), up to this long.
LOCK_WAIT_S = 900

# Both plays carry the collection's connection settings (module_defaults), as its playbooks do.
DEPLOY_TWICE = """
- name: Deploy under the rehearsal lock
  hosts: staging
  gather_facts: false
""" + CONNECTION_PLAY_KEYS + """\
  environment: &docker
    DOCKER_HOST: "{{ lookup('ansible.builtin.env', 'DOCKER_HOST') | default(omit, true) }}"
    DOCKER_CONFIG: "{{ lookup('ansible.builtin.env', 'DOCKER_CONFIG') | default(omit, true) }}"
  tasks:
    - name: Start the results
      footballpred.rehearsal.record_phase:
    - name: Refuse a target that is not staging
      ansible.builtin.include_role:
        name: footballpred.rehearsal.preflight
        tasks_from: guard
    - name: Take the lock
      ansible.builtin.include_role:
        name: footballpred.rehearsal.preflight
        tasks_from: lock
    - name: Deploy
      ansible.builtin.include_role:
        name: footballpred.rehearsal.deploy

- name: Deploy the same release again, still under the lock
  hosts: staging
  gather_facts: false
""" + CONNECTION_PLAY_KEYS + """\
  environment: *docker
  tasks:
    - name: Deploy again, then release the lock
      block:
        - name: Deploy again
          ansible.builtin.include_role:
            name: footballpred.rehearsal.deploy
      always:
        - name: Release the lock
          ansible.builtin.include_role:
            name: footballpred.rehearsal.preflight
            tasks_from: unlock
"""


def docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], env=docker_env(require=False), capture_output=True, text=True, check=False)


def infra_ready() -> str:
    """Why the stack cannot be deployed here, or '' when it can."""
    try:
        if docker("version").returncode != 0:
            return "no Docker engine answers (scripts/local-engine.sh up)"
    except (OSError, DockerUnavailable):
        return "no Docker client or engine"
    missing = [image for image in INFRA_IMAGES if docker("image", "inspect", image).returncode != 0]
    return f"infra images missing: {', '.join(missing)} (scripts/build-images.sh --infra-only)" if missing else ""


_REASON = infra_ready()
if _REASON:
    if os.environ.get("FP_REQUIRE_STACK") == "1":
        pytest.fail(_REASON, pytrace=False)
    pytestmark = pytest.mark.skip(reason=_REASON)


def api_json(path: str) -> dict:
    with urllib.request.urlopen(API + path, timeout=5) as response:  # noqa: S310 - loopback only
        return json.load(response)


def image(tag: str) -> dict:
    found = docker("image", "inspect", f"{APP_IMAGE}:{tag}")
    return json.loads(found.stdout)[0] if found.returncode == 0 else {}


def app_tags() -> set[str]:
    """The deploy's own tags of the app image (staging-<timestamp>, -latest, -previous) with their IDs.

    Other phases' tests add tags of their own (e.g. the rollback drill's staging-backup-*).
    """
    listed = docker("image", "ls", APP_IMAGE, "--format", "{{.Tag}} {{.ID}}")
    return {line for line in listed.stdout.splitlines() if DEPLOY_TAG.match(line)}


def app_container() -> dict:
    found = docker("ps", "--quiet", "--filter", "label=com.docker.compose.project=football-prediction-staging",
                   "--filter", "label=com.docker.compose.service=app")
    ids = found.stdout.split()
    return json.loads(docker("inspect", ids[0]).stdout)[0] if ids else {}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


class Run:
    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.returncode = completed.returncode
        self.output = completed.stdout[-8000:] + completed.stderr[-3000:]
        try:
            self.callback = json.loads(completed.stdout)
        except ValueError:
            self.callback = {}
        self.results = {}
        for play in self.callback.get("plays", []):
            for task in play.get("tasks", []):
                for host_result in task.get("hosts", {}).values():
                    facts = host_result.get("ansible_facts", {})
                    if "rehearsal_results" in facts:
                        self.results = facts["rehearsal_results"]

    def tasks_run(self) -> list[str]:
        """Names of the tasks that ran (were not skipped) on some host."""
        return [task["task"]["name"] for play in self.callback.get("plays", []) for task in play.get("tasks", [])
                if any(not host.get("skipped") for host in task.get("hosts", {}).values())]

    def failure_messages(self) -> list[str]:
        """The msg of every task that failed (rescued ones included)."""
        return [str(host.get("msg", "")) for play in self.callback.get("plays", []) for task in play.get("tasks", [])
                for host in task.get("hosts", {}).values() if host.get("failed")]

    def changed_tasks(self, play: int) -> list[str]:
        """Names of the tasks of one play (0-based) that reported a change."""
        plays = self.callback.get("plays", [])
        tasks = plays[play].get("tasks", []) if play < len(plays) else []
        return [task["task"]["name"] for task in tasks
                if any(host.get("changed") for host in task.get("hosts", {}).values())]

    @property
    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.callback.get("stats", {}).values())

    def phase(self, name: str) -> dict:
        assert name in self.results.get("phases", {}), f"phase {name} was not recorded:\n{self.output}"
        return self.results["phases"][name]

    def checks(self, name: str) -> dict:
        return {check["name"]: check for check in self.phase(name)["checks"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory, stack_secrets):
    """Run a phase playbook; one that should succeed waits while another run holds the lock."""
    workdir = tmp_path_factory.mktemp("preflight_deploy")
    env = dict(docker_env(require=False), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")

    def run_phase_playbook(playbook: str, *args: str, wait_for_lock: bool = True, env_extra: dict | None = None,
                           **extra_vars) -> Run:
        if wait_for_lock:
            extra_vars.setdefault("preflight_lock_wait_s", LOCK_WAIT_S)
        vars_file = write_vars_file(workdir / "vars.json", {**stack_secrets, **extra_vars})
        argv = playbook_argv(playbook, inventory="inventories/local", vars_file=vars_file, args=args)
        return Run(run_playbook(argv, base_env=env, env=env_extra, timeout=LOCK_WAIT_S + 1200))

    return run_phase_playbook


@pytest.fixture(scope="module")
def versions() -> tuple[str, str, str]:
    base = (PROJECT / "VERSION").read_text().strip()
    stamp = time.strftime("%Y%m%d%H%M%S")
    return base, f"{base}-it.{stamp}.x", f"{base}-it.{stamp}.y"


# The GIT_COMMIT build arg of the test releases, pinned: a commit made to this checkout
# while the tests run would otherwise (rightly) make the same release a new build.
TEST_COMMIT = "it-release"


@pytest.fixture(scope="module")
def deployed_x_then_y(run, versions):
    """Deploy version X, then Y; afterwards deploy the project's own version again."""
    base, version_x, version_y = versions
    run_x = run("playbooks/deploy.yml", deploy_app_version=version_x, deploy_git_commit=TEST_COMMIT)
    health_x = api_json("/health") if run_x.returncode == 0 else {}
    image_x = image("staging-latest")
    run_y = run("playbooks/deploy.yml", deploy_app_version=version_y, deploy_git_commit=TEST_COMMIT)
    yield run_x, health_x, image_x, run_y
    run("playbooks/deploy.yml", deploy_app_version=base)


def test_preflight_measures_every_check_on_the_running_stack(run):
    result = run("playbooks/preflight.yml")

    assert result.returncode == 0, result.output
    phase = result.phase("preflight")
    checks = result.checks("preflight")
    assert phase["status"] in ("passed", "warned"), json.dumps(phase["checks"], indent=1)
    assert {"cpu_count", "memory_total_gib", "disk_free_gib", "port_api_8001", "port_db_5433",
            "port_redis_6380", "port_kafka_9093", "port_mlflow_5001", "docker_version", "compose_version",
            "python_version", "env_file", "compose_config", "script_deploy-staging.sh",
            "script_rollback-staging.sh", "prometheus_targets", "prometheus_alert_rules",
            "grafana_dashboard", "git_commit", "stack_state"} <= set(checks)
    assert checks["cpu_count"]["value"] == os.cpu_count()
    # Grafana has no URL locally: "not configured", never a pass.
    assert checks["grafana_dashboard"]["status"] == "skipped"
    assert checks["grafana_dashboard"]["value"] == "not configured"
    for name in ("port_api_8001", "port_db_5433", "port_redis_6380", "port_kafka_9093", "port_mlflow_5001"):
        assert checks[name]["value"] in ("free", "owned"), checks[name]
    assert phase["evidence"]["git"]["commit"] == subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert not LOCK_FILE.exists(), "the preflight playbook did not release its lock"


def test_deploy_x_then_y_serves_y_and_keeps_x_as_previous(deployed_x_then_y, versions):
    run_x, health_x, image_x, run_y = deployed_x_then_y
    version_x, version_y = versions[1], versions[2]

    assert run_x.returncode == 0, run_x.output
    assert health_x["status"] == "healthy" and health_x["version"] == version_x
    assert run_y.returncode == 0, run_y.output
    health_y = api_json("/health")
    assert health_y["status"] == "healthy" and health_y["version"] == version_y
    assert health_y["git_commit"] == TEST_COMMIT and health_y["environment"] == "staging"

    latest, previous = image("staging-latest"), image("staging-previous")
    assert latest["Config"]["Labels"]["org.opencontainers.image.version"] == version_y
    assert previous["Id"] == image_x["Id"]
    assert previous["Config"]["Labels"]["org.opencontainers.image.version"] == version_x
    assert app_container()["Image"] == latest["Id"]

    phase = run_y.phase("deploy")
    checks = run_y.checks("deploy")
    assert phase["status"] in ("passed", "warned"), json.dumps(phase["checks"], indent=1)
    gates = ["stack_stop", "db_ready", "db_version", "migrations", "redis_ready", "kafka_ready",
             "mlflow_port", "mlflow_api", "model_registered", "app_image", "app_health"]
    assert [name for name in checks if name in gates] == gates, "the gates ran out of order"
    assert all(checks[name]["status"] == "passed" for name in gates), json.dumps(phase["checks"], indent=1)
    assert phase["evidence"]["images"]["previous"]["version"] == version_x
    assert phase["evidence"]["health"]["version"] == version_y
    assert {"logs_app", "logs_db", "logs_redis", "logs_kafka"} <= set(checks)


def test_deploying_the_same_release_again_changes_nothing(deployed_x_then_y, run, versions, tmp_path):
    # Both deploys run under one lock, so no other run can change the stack in between.
    playbook = tmp_path / "deploy_twice.yml"
    playbook.write_text(DEPLOY_TWICE)

    twice = run(str(playbook), deploy_app_version=versions[2], deploy_git_commit=TEST_COMMIT)

    assert twice.returncode == 0, twice.output
    # Releasing the lock removes the lock file: the test's own bookkeeping, not the deploy's.
    changed = [name for name in twice.changed_tasks(play=1) if not name.endswith(": Release the rehearsal lock")]
    assert changed == [], f"the second deploy changed: {changed}"
    checks = twice.checks("deploy")
    assert twice.phase("deploy")["status"] in ("passed", "warned"), json.dumps(twice.phase("deploy")["checks"], indent=1)
    assert checks["stack_stop"]["status"] == "skipped"
    assert "no rebuild" in checks["release_image"]["detail"]
    assert "unchanged" in checks["app_image"]["detail"]
    assert checks["app_health"]["status"] == "passed"
    assert not LOCK_FILE.exists()


def test_check_mode_says_what_it_would_do_and_changes_nothing(deployed_x_then_y, run):
    container = app_container()
    tags = app_tags()
    env_digest = file_digest(ENV_FILE)

    planned = run("playbooks/deploy.yml", "--check", deploy_app_version="0.0.0-never-built")

    assert planned.returncode == 0, planned.output
    phase = planned.phase("deploy")
    assert phase["status"] == "not_run"
    assert phase["evidence"]["plan"]["build"] and phase["evidence"]["plan"]["stop"]
    assert "build football-prediction:staging-<timestamp> version 0.0.0-never-built" in planned.checks("deploy")["deploy"]["detail"]
    assert planned.changed > 0, "check mode did not report the changes it would make"
    assert app_tags() == tags
    assert file_digest(ENV_FILE) == env_digest
    after = app_container()
    assert (after["Id"], after["State"]["StartedAt"]) == (container["Id"], container["State"]["StartedAt"])


def test_a_failed_gate_is_recorded_and_stops_the_deploy(deployed_x_then_y, run, versions):
    # The app's fault switch (compose reads FAULT_HEALTH_FAIL from the environment): /health says 503 unhealthy.
    broken = run("playbooks/deploy.yml", env_extra={"FAULT_HEALTH_FAIL": "1"},
                 deploy_app_version=versions[2], deploy_git_commit=TEST_COMMIT, deploy_health_timeout_s=10)
    try:
        assert broken.returncode != 0
        assert any(message.startswith("App gate failed") for message in broken.failure_messages()), broken.output
        phase = broken.phase("deploy")
        checks = broken.checks("deploy")
        assert phase["status"] == "failed"
        assert checks["app_health"]["status"] == "failed"
        assert checks["app_health"]["value"] == "HTTP 503 unhealthy"
        # Nothing after the failed gate ran.
        assert "stack_up" not in checks and "logs_app" not in checks
        assert all(checks[name]["status"] == "passed" for name in ("db_ready", "migrations", "redis_ready", "mlflow_api"))
        # The play's `always` released the lock of the failed run.
        assert any("Release the rehearsal lock" in name for name in broken.tasks_run())
    finally:
        restored = run("playbooks/deploy.yml", deploy_app_version=versions[2], deploy_git_commit=TEST_COMMIT)
    assert restored.returncode == 0, restored.output
    assert api_json("/health")["status"] == "healthy"


def test_a_production_looking_inventory_is_refused_before_any_change(deployed_x_then_y, run):
    container = app_container()
    tags = app_tags()
    env_digest = file_digest(ENV_FILE)

    refused = run("playbooks/deploy.yml", wait_for_lock=False, rehearsal_api_port=8000, rehearsal_db_port=5432,
                  rehearsal_redis_port=6379, rehearsal_db_name="football_prediction")

    assert refused.returncode != 0
    refusal = next((message for message in refused.failure_messages() if message.startswith("REFUSED")), "")
    for reason in ("API port 8000", "database port 5432", "Redis port 6379", "football_prediction does not contain"):
        assert reason in refusal, refused.output
    assert not [name for name in refused.tasks_run() if "Take the rehearsal lock" in name], \
        "the refused run went on to take the lock"
    assert app_tags() == tags
    assert file_digest(ENV_FILE) == env_digest
    assert app_container()["Id"] == container["Id"]


def test_a_second_run_is_refused_and_a_dead_holders_lock_is_taken_over(deployed_x_then_y, run, tmp_path):
    env = dict(docker_env(require=False), ANSIBLE_NOCOLOR="1")
    # The holder takes the lock once no other run holds it.
    holder = start_lock_holder(tmp_path / "hold_lock.yml", tmp_path / "release", inventory="inventories/local",
                               base_env=env, hold_s=600, extra_vars={"preflight_lock_wait_s": LOCK_WAIT_S})
    wait_until_held(holder, LOCK_FILE)
    assert holder.poll() is None, "the holder could not take the lock"
    try:
        container = app_container()
        tags = app_tags()

        second = run("playbooks/deploy.yml", wait_for_lock=False)

        assert second.returncode != 0
        refusal = next((message for message in second.failure_messages() if message.startswith("LOCKED")), "")
        assert f"pid {holder.pid}" in refusal, second.output
        assert app_tags() == tags
        assert app_container()["Id"] == container["Id"]
    finally:
        # Killed, the holder cannot release its lock: the lock is left stale.
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    assert holder_pid(LOCK_FILE) == holder.pid

    after = run("playbooks/preflight.yml", wait_for_lock=False)

    assert after.returncode == 0, after.output
    assert after.phase("preflight")["evidence"]["lock"]["replaced_stale"]["pid"] == holder.pid
    assert not LOCK_FILE.exists()
