# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The job template "Staging deployment rehearsal" run the way AWX runs it: through
ansible-runner, on a private data directory laid out as AWX lays it out, against the
isolated e2e stack; the result is read the way AWX reads it (status, rc, and the
artifact_data of the playbook_on_stats event).

The private data directory (AWX: awx/main/tasks/jobs.py, RunJob):

  project/          the project checkout (here: the repository's tracked files)
  inventory/hosts   an executable script printing the inventory as JSON (hosts and
                    hostvars), made from the e2e inventory with the two passwords read
                    from the staging-secrets credential, as inventories/staging does
  env/extravars     the job's extra variables: survey defaults that pass their question,
                    the launch answers (the form's, pre-filled with the defaults), the
                    staging-secrets credential's injected variables and AWX's meta
                    variables; every string tagged !unsafe, as AWX writes them
  env/cmdline       what RunJob.build_args adds for the Machine credential (-u deploy
                    --become-method sudo) and the launch's skip tags
  env/settings      job_timeout from the template, suppress_ansible_output

then ``ansible-runner run <dir> -p rehearsal.yml`` (AWX calls ansible_runner.interface.run
with the same directory; an execution environment is not used here: the controller's
venv is the EE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness import ROOT, VENV_BIN, log

sys.path.insert(0, str(ROOT / "tests" / "unit" / "awx"))

import awx_rules  # noqa: E402  pylint: disable=wrong-import-position

SURVEY = json.loads((ROOT / "awx" / "survey.json").read_text(encoding="utf-8"))
ANSIBLE_RUNNER = VENV_BIN / "ansible-runner"
ANSIBLE_INVENTORY = VENV_BIN / "ansible-inventory"
HOST = "local-staging"
PHASE_STATUSES_OK = {"passed", "warned"}
# Every phase of the job template (report_expected_phases): the survey's drills are all three.
PHASES = ["preflight", "backup", "deploy", "health", "functional", "load_test", "release_comparison",
          "rollback_container", "rollback_database", "rollback_config", "post_rollback"]
# Recorded besides the expected phases when the drills run: their preparation and retention.
ROLLBACK_HELPER_PHASES = {"rollback_preparation", "rollback_retention"}


class _UnsafeLoader(yaml.SafeLoader):
    """Reads configure_awx.yml, which uses Ansible's !unsafe tag."""


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
CONFIGURE_AWX = yaml.load((ROOT / "awx" / "configure_awx.yml").read_text(encoding="utf-8"), Loader=_UnsafeLoader)


def _template(name: str) -> dict:
    tasks = CONFIGURE_AWX[0]["tasks"]
    return next(task["awx.awx.job_template"] for task in tasks
                if task.get("awx.awx.job_template", {}).get("name") == name)


JOB_TEMPLATE = _template("Staging deployment rehearsal")


class Unsafe(str):
    """A string AWX writes to env/extravars as !unsafe (no Jinja in launch-time values)."""


class _ExtravarsDumper(yaml.SafeDumper):
    pass


_ExtravarsDumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


def _unsafe(value):
    if isinstance(value, str):
        return Unsafe(value)
    if isinstance(value, list):
        return [_unsafe(item) for item in value]
    if isinstance(value, dict):
        return {key: _unsafe(item) for key, item in value.items()}
    return value


@dataclass
class Job:
    """One job: what AWX stores of it (status, rc, artifacts) and where runner wrote it."""

    name: str
    private_data_dir: Path
    status: str
    rc: int
    seconds: float
    artifact_data: dict
    events: list
    stdout: str

    @property
    def report(self) -> dict:
        return self.artifact_data.get("rehearsal_report", {}).get(HOST, {})

    def describe(self) -> str:
        return (f"job {self.name}: status {self.status}, rc {self.rc}, {self.seconds:.0f} s, "
                f"report {json.dumps(self.report)[:600]}\n{self.private_data_dir}\n"
                + "\n".join(self.stdout.splitlines()[-30:]))


def _copy_project(destination: Path) -> None:
    """The project checkout: the repository's files git knows (tracked or not ignored)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        target = destination / relative
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


def _credential_extra_vars(stack) -> dict:
    """What the "staging secrets" credential type of configure_awx.yml injects."""
    task = next(task["awx.awx.credential_type"] for task in CONFIGURE_AWX[0]["tasks"] if "awx.awx.credential_type" in task)
    inputs = {"db_password": stack.db_password, "redis_password": stack.redis_password, "webhook_url": ""}
    injected = {}
    for name, template in task["injectors"]["extra_vars"].items():
        field = template.split("{{", 1)[1].split("|", 1)[0].split("}}", 1)[0].strip()
        injected[name] = inputs[field]
    return injected


def private_data_dir(stack, name: str, inventory_overrides: dict | None = None,
                     skip_tags: list | None = None) -> tuple[Path, dict]:
    directory = stack.work / "awx" / name
    if directory.exists():
        shutil.rmtree(directory)
    for sub in ("project", "inventory", "env"):
        (directory / sub).mkdir(parents=True)
    directory.chmod(0o700)
    _copy_project(directory / "project")

    # The inventory: the e2e stack's, with the passwords coming from the credential.
    source = stack.write_inventory(stack.work / "awx" / f"{name}-inventory-source", {
        "rehearsal_db_password": "{{ vault_rehearsal_db_password }}",
        "rehearsal_redis_password": "{{ vault_rehearsal_redis_password }}",
        **(inventory_overrides or {})})
    listed = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(source), "--list"], capture_output=True, text=True,
                            check=True, timeout=120, env=stack.env, cwd=ROOT).stdout
    script = directory / "inventory" / "hosts"
    script.write_text("#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(json.loads(listed)))
    script.chmod(0o700)

    # Extra variables: template extra_vars (none) <- survey defaults <- launch answers,
    # then the credential's injected variables and AWX's meta variables.
    extra_vars = awx_rules.launch_extra_vars(SURVEY)
    for question in SURVEY["spec"]:
        assert awx_rules.answer_errors(question, extra_vars) == [], question["variable"]
    extra_vars.update(_credential_extra_vars(stack))
    extra_vars.update({"awx_job_id": 1, "awx_job_launch_type": "manual", "awx_job_template_id": 1,
                       "awx_job_template_name": JOB_TEMPLATE["name"], "awx_project_revision": "e2e",
                       "awx_user_name": "e2e", "tower_job_id": 1, "tower_job_template_name": JOB_TEMPLATE["name"]})
    extravars = directory / "env" / "extravars"
    extravars.write_text(yaml.dump(_unsafe(extra_vars), Dumper=_ExtravarsDumper, default_flow_style=False))
    extravars.chmod(0o600)

    cmdline = ["-u", "deploy", "--become-method", "sudo"]
    if skip_tags:
        cmdline.append("--skip-tags=" + ",".join(skip_tags))
    (directory / "env" / "cmdline").write_text(subprocess.list2cmdline(cmdline))
    # suppress_output_file stays false here (AWX sets it): artifacts/<ident>/stdout is the log.
    (directory / "env" / "settings").write_text(json.dumps({
        "job_timeout": int(CONFIGURE_AWX[0]["vars"]["awx_job_timeout_s"]),
        "suppress_ansible_output": True, "suppress_output_file": False}))
    return directory, extra_vars


def run_job(stack, directory: Path, name: str, timeout: float) -> Job:
    env = {**stack.env, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "AWX_PRIVATE_DATA_DIR": str(directory)}
    argv = [str(ANSIBLE_RUNNER), "run", str(directory), "-p", JOB_TEMPLATE["playbook"], "--ident", "job"]
    log(f"awx job {name}: {' '.join(argv[1:])}")
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=directory)
    seconds = time.monotonic() - started
    artifacts = directory / "artifacts" / "job"
    event_files = sorted((artifacts / "job_events").glob("*.json"), key=lambda path: int(path.name.split("-", 1)[0]))
    events = [json.loads(path.read_text()) for path in event_files]
    # AWX (RunnerCallback.event_handler) keeps the artifact_data of the events that carry it.
    artifact_data = {}
    for event in events:
        if event.get("event_data", {}).get("artifact_data"):
            artifact_data = event["event_data"]["artifact_data"]
    stdout_file = artifacts / "stdout"
    job = Job(name=name, private_data_dir=directory,
              status=(artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "",
              rc=int((artifacts / "rc").read_text()) if (artifacts / "rc").exists() else done.returncode,
              seconds=seconds, artifact_data=artifact_data, events=events,
              stdout=(stdout_file.read_text(errors="replace") if stdout_file.exists() else "") + done.stdout + done.stderr)
    log(f"awx job {name}: status {job.status}, rc {job.rc} in {seconds:.0f} s, verdict {job.report.get('verdict')}")
    stack.timings[f"awx_job_{name}_s"] = round(seconds, 1)
    return job


def _assert_report_matches_artifacts(stack, job: Job) -> dict:
    report = job.report
    assert set(report) >= {"verdict", "ready_for_production", "files", "phases", "problems"}, job.describe()
    report_json = Path(report["files"]["json"])
    assert report_json.parent == stack.results_dir.resolve(), report["files"]
    for path in report["files"].values():
        assert Path(path).is_file(), path
    written = json.loads(report_json.read_text())
    assert written["verdict"]["status"] == report["verdict"]
    assert {name: status for name, status in written["phase_statuses"].items() if name in report["phases"]} \
        == report["phases"]
    return written


def _assert_no_secret_in_job_output(stack, job: Job) -> None:
    """The passwords are in env/extravars (as in AWX, deleted after the job), nowhere else."""
    for secret in (stack.db_password, stack.redis_password):
        assert secret not in job.stdout
        assert secret not in json.dumps(job.events)
        assert secret not in json.dumps(job.artifact_data)


def test_refused_job_still_publishes_its_artifacts(stack):
    """A production-like inventory (the database on production's port 5432): preflight
    refuses, the job fails, and AWX still gets the report's verdict and phases."""
    before = {service: state.get("id") for service, state in stack.containers().items()}
    directory = private_data_dir(stack, "refused", {"rehearsal_db_port": 5432})[0]
    job = run_job(stack, directory, "refused", timeout=600)
    assert job.status == "failed" and job.rc != 0, job.describe()
    assert job.report.get("verdict") == "failed", job.describe()
    assert job.report["phases"].get("preflight") == "failed", job.describe()
    assert job.report["ready_for_production"] is False
    assert "REFUSED" in job.stdout and "5432" in job.stdout
    written = _assert_report_matches_artifacts(stack, job)
    assert written["phase_statuses"].get("deploy") not in PHASE_STATUSES_OK, written["phase_statuses"]
    assert {service: state.get("id") for service, state in stack.containers().items()} == before, "a container changed"
    _assert_no_secret_in_job_output(stack, job)


def test_job_template_runs_through_ansible_runner(stack):
    """The template with the survey's defaults, as AWX would launch it: every phase in a
    full session; in the fast (CI) session launched with the skip tags the template
    prompts for, 'load_test,rollback' (the fast baseline's own skips: ~1/3 of the time)."""
    skip_tags = ["load_test", "rollback"] if stack.fast else []
    skipped = {"load_test", "release_comparison", "rollback_container", "rollback_database", "rollback_config",
               "post_rollback"} if skip_tags else set()
    directory, extra_vars = private_data_dir(stack, "rehearsal", skip_tags=skip_tags)
    assert {question["variable"] for question in SURVEY["spec"]} <= set(extra_vars)
    job = run_job(stack, directory, "rehearsal", timeout=1200)
    assert job.status == "successful" and job.rc == 0, job.describe()
    names = list(job.report.get("phases", {}))
    assert [name for name in names if name not in ROLLBACK_HELPER_PHASES] == PHASES, job.describe()
    assert set(names) - set(PHASES) <= ROLLBACK_HELPER_PHASES, job.describe()
    assert job.report["verdict"] in ({"incomplete"} if skipped else PHASE_STATUSES_OK), job.describe()
    bad = {name: status for name, status in job.report["phases"].items()
           if status not in ({"not_run"} if name in skipped else PHASE_STATUSES_OK)}
    assert not bad, job.describe()
    assert isinstance(job.report["problems"], int)
    assert job.report["ready_for_production"] is (job.report["verdict"] in PHASE_STATUSES_OK)
    written = _assert_report_matches_artifacts(stack, job)
    assert written["rehearsal_results"]["phases"]["deploy"]["status"] in PHASE_STATUSES_OK
    stats = [event for event in job.events if event.get("event") == "playbook_on_stats"]
    assert len(stats) == 1 and HOST in stats[0]["event_data"].get("ok", {}), "no playbook_on_stats event for the host"
    _assert_no_secret_in_job_output(stack, job)


pytestmark = [pytest.mark.fast, pytest.mark.timeout(1800)]
