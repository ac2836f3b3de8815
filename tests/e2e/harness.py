# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The isolated stack the fault suite rehearses against, and the tools the tests use.

One `E2EStack` per pytest session:

* a copy of examples/football-prediction in a work directory (a git repository of its
  own, so a release is a commit), with its env file template moved to the e2e ports
  (Prometheus's scrape targets follow the env file);
* an inventory made from inventories/local/group_vars/all.yml with the project dir,
  compose project ``footballpred-e2e``, app image ``footballpred-e2e/app``, ports
  38001/35433/36380/39093/35001/39090 (FP_E2E_PORT_BASE), results/backup/lock dirs under the work dir and
  passwords made up for this session (so that a leak is unambiguous);
* two releases deployed by the rehearsal itself (``<version>+e2e.1`` then ``+e2e.2``),
  so ``staging-previous`` and ``staging-latest`` both exist, as after any two releases.

Every rehearsal is ``ansible-playbook rehearsal.yml -i <that inventory>`` from the
repository root, unchanged. Nothing here talks to the shared stack
(football-prediction-staging) or the benchmark stack, their images or their lock.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from support import ROOT
from support.lock import start_lock_holder, wait_until_held
from support.playbook import playbook_argv, run_playbook, write_vars_file
from support.processes import DockerUnavailable, docker_env, stop_process_group
from support.stack import SOURCE_PROJECT, IsolatedStack, retarget_env_text, shifted_ports

VENV_BIN = ROOT / ".venv" / "bin"
LOCAL_GROUP_VARS = ROOT / "inventories" / "local" / "group_vars" / "all.yml"
LOCAL_HOSTS = ROOT / "inventories" / "local" / "hosts.yml"
DEPLOY_DEFAULTS = ROOT / "roles" / "deploy" / "defaults" / "main.yml"

# FP_E2E_PROJECT names the compose project and the app image, so that two sessions of
# the suite (different FP_E2E_PORT_BASE too) can run side by side on one engine.
PROJECT_NAME = os.environ.get("FP_E2E_PROJECT", "footballpred-e2e")
APP_IMAGE = f"{PROJECT_NAME}/app"
# The staging ports shifted by FP_E2E_PORT_BASE (default 30000: 38001/35433/36380/39093/35001/39090).
# The brief's 28001/25433/... collide with bench/bench.py's defaults (28001/25433/26381/...),
# which the benchmark stack was using when this suite was written.
PORT_BASE = int(os.environ.get("FP_E2E_PORT_BASE", "30000"))
PORTS = shifted_ports(PORT_BASE)
# The shared staging stack and the benchmark stack (bench/bench.py defaults, and the
# ports the brief gave for it): never to be used by this suite.
FOREIGN_PORTS = {8001, 5433, 6380, 9093, 5001, 9090,
                 28001, 25433, 26381, 29094, 25002, 29091,
                 18001, 15533, 16381, 19094, 15002, 19091}
FOREIGN_PROJECTS = {"football-prediction-staging", "footballpred-bench"}
SERVICES = ["app", "db", "redis", "kafka", "mlflow", "prometheus"]
DB_NAME = "football_prediction_staging"
DB_USER = "football_staging_user"

# What the copy of the project leaves out: data, secrets, caches, and the infra images'
# build inputs (only the app image is built by the deploy).
COPY_IGNORE = shutil.ignore_patterns(
    "backups", ".env.staging", ".env.staging.bak*", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    "__pycache__", "*.pyc", ".wheelhouse.tmp.*", ".bin")
MLFLOW_WHEELHOUSE = Path("docker") / "mlflow" / ".wheelhouse"


class E2EError(Exception):
    """The harness could not set something up (an error of the test, not a product finding)."""


def log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[e2e {stamp}] {message}", flush=True)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


# ------------------------------------------------------------------------------ a run

@dataclass
class Run:
    """One ansible-playbook run: exit code, output files, and the report it wrote."""

    name: str
    argv: list
    returncode: int
    seconds: float
    stdout_path: Path
    stderr_path: Path
    report_paths: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    # --- the report JSON (roles/report/README.md) -------------------------------------
    @property
    def verdict(self) -> str:
        return (self.report.get("verdict") or {}).get("status", "")

    @property
    def phases(self) -> dict:
        return (self.report.get("rehearsal_results") or {}).get("phases", {})

    def phase_status(self, phase: str) -> str:
        return (self.report.get("phase_statuses") or {}).get(phase) or self.phases.get(phase, {}).get("status", "absent")

    def checks(self, phase: str, status: str | None = None) -> list:
        found = self.phases.get(phase, {}).get("checks", [])
        return [check for check in found if status is None or check.get("status") == status]

    def failed_check(self, phase: str, name_pattern: str) -> dict | None:
        regex = re.compile(name_pattern, re.IGNORECASE)
        return next((check for check in self.checks(phase, "failed") if regex.search(str(check.get("name", "")))), None)

    def describe(self) -> str:
        lines = [f"run {self.name}: exit {self.returncode} in {self.seconds:.0f} s, verdict {self.verdict or 'no report'}",
                 f"  stdout {self.stdout_path}", f"  report {self.report_paths.get('json', 'none')}"]
        for name, phase in self.phases.items():
            bad = [f"{c.get('name')}={c.get('status')}" for c in phase.get("checks", [])
                   if c.get("status") in ("failed", "warned")]
            lines.append(f"  {name}: {phase.get('status')} {bad}")
        failure = (self.report.get("rehearsal_results") or {}).get("run", {}).get("failure")
        if failure:
            lines.append(f"  run.failure: {failure}")
        return "\n".join(lines)


class Expect:
    """Soft assertions: every expectation of a scenario is evaluated, then all failures
    are reported together, so one failed expectation does not hide the others."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.results: list[tuple[bool, str, str]] = []

    def that(self, ok: bool, what: str, detail: str = "") -> bool:
        self.results.append((bool(ok), what, detail))
        return bool(ok)

    def equal(self, got, want, what: str) -> bool:
        return self.that(got == want, what, f"got {got!r}, expected {want!r}")

    @property
    def failures(self) -> list[str]:
        return [f"{what}: {detail}" if detail else what for ok, what, detail in self.results if not ok]

    def summary(self) -> str:
        return "\n".join(("PASS " if ok else "FAIL ") + what + ("" if ok or not detail else f" -- {detail}")
                         for ok, what, detail in self.results)

    def check(self, *runs: Run) -> None:
        if self.failures:
            context = "\n".join(run.describe() for run in runs)
            raise AssertionError(f"{self.scenario}: {len(self.failures)} expectation(s) failed\n"
                                 f"{self.summary()}\n{context}")


# ------------------------------------------------------------------------------ the stack

class E2EStack(IsolatedStack):
    """The isolated stack, its inventory, and the runs made against it."""

    def __init__(self, work: Path, fast: bool = False, keep: bool = False) -> None:
        self.work = work
        self.fast = fast
        self.keep = keep
        self.project = work / "project"
        self.inventory = work / "inventory"
        self.results_dir = work / "rehearsal_results"
        self.backup_dir = work / "backups" / "staging"
        self.lock_dir = work / "lock"
        self.hooks_root = work / "hooks"
        self.runs_dir = work / "runs"
        self.images_dir = work / "images"
        token = secrets.token_hex(6)
        # Made up for this session: no other file on this host contains them.
        self.db_password = f"e2e-db-secret-{token}"
        self.redis_password = f"e2e-redis-secret-{token}"
        try:
            engine_env = docker_env()
        except DockerUnavailable as error:
            raise E2EError(str(error)) from error
        self.env = {**engine_env, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PYTHONUNBUFFERED": "1"}
        for name in ("APP_TAG", "APP_IMAGE", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE"):
            self.env.pop(name, None)
        super().__init__(PROJECT_NAME, PORTS, APP_IMAGE, project_dir=self.project, env=self.env)
        self.runs: list[Run] = []
        self.base_version = (SOURCE_PROJECT / "VERSION").read_text().strip()
        self.releases: dict[str, dict] = {}   # version -> {image_id, git_commit}
        self.baseline_env_bytes = b""
        self.baseline_run: Run | None = None
        self.timings: dict[str, float] = {}

    # --- commands ---------------------------------------------------------------------------
    def sh(self, argv: list, *, timeout: float = 300, check: bool = True, cwd: Path | None = None,
           env: dict | None = None, input_text: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run([str(a) for a in argv], cwd=cwd or ROOT, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, check=False, input=input_text)
        if check and done.returncode != 0:
            raise E2EError(f"exit {done.returncode}: {' '.join(map(str, argv))}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done

    def docker(self, *args, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        return self.sh(["docker", *args], check=check, timeout=timeout)

    def compose_argv(self, *args, env_file: str = ".env.staging") -> list:
        return self.compose_command(self.project / env_file, *args)

    def compose(self, *args, env_file: str = ".env.staging", check: bool = True, timeout: float = 600):
        return self.sh(self.compose_argv(*args, env_file=env_file), check=check, timeout=timeout)

    # --- setting up ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Work dir, project copy (a git repository), inventory; refuse foreign ports."""
        clash = self.clashing_ports(FOREIGN_PORTS)
        if clash:
            raise E2EError(f"e2e ports clash with the shared or bench stack: {clash}")
        for path in (self.results_dir, self.backup_dir, self.lock_dir, self.hooks_root, self.runs_dir, self.images_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.backup_dir.parent.chmod(0o700)
        self.backup_dir.chmod(0o700)
        self.copy_project()
        self.write_inventory(self.inventory, {})
        self.remove_leftovers()
        busy = [f"{name}:{port}" for name, port in self.busy_ports().items()]
        if busy:
            raise E2EError(f"e2e ports already in use (another e2e session?): {', '.join(busy)}")
        self.verify_compose_ports()

    def copy_project(self) -> None:
        shutil.copytree(SOURCE_PROJECT, self.project, symlinks=True, ignore=self._ignore)
        if not (self.project / ".wheelhouse").is_dir():
            raise E2EError("examples/football-prediction/.wheelhouse is missing: run scripts/build-wheelhouse.sh "
                           "(or make rehearsal) once")
        template = self.project / ".env.staging.example"
        template.write_text(self.retarget_env_text(template.read_text()))
        # prometheus/prometheus.yml needs no edit: its scrape targets follow API_PORT and
        # PROMETHEUS_PORT from the env file.
        git = ["git", "-C", str(self.project), "-c", "user.name=e2e", "-c", "user.email=e2e@localhost"]
        self.sh([*git, "init", "-q", "-b", "main"])
        (self.project / ".gitignore").write_text(
            (self.project / ".gitignore").read_text() + "\n# e2e copy\n.env.staging.bak*\n")
        self.release("1")

    @staticmethod
    def _ignore(directory: str, names: list) -> set:
        ignored = set(COPY_IGNORE(directory, names))
        if Path(directory).resolve() == (SOURCE_PROJECT / "docker" / "mlflow").resolve():
            ignored.add(MLFLOW_WHEELHOUSE.name)
        return ignored

    def release(self, number: str) -> str:
        """Make release <base>+e2e.<number>: VERSION changes, one commit."""
        version = f"{self.base_version}+e2e.{number}"
        (self.project / "VERSION").write_text(version + "\n")
        git = ["git", "-C", str(self.project), "-c", "user.name=e2e", "-c", "user.email=e2e@localhost"]
        self.sh([*git, "add", "-A"])
        self.sh([*git, "commit", "-q", "-m", f"release {version}"])
        return version

    def retarget_env_text(self, text: str) -> str:
        """The env file template with the e2e ports, project and image (secrets untouched:
        the Redis URL keeps its password, only its port moves)."""
        out = []
        for line in retarget_env_text(text, self.env_values()).splitlines():
            if line.split("=", 1)[0].strip() == "STAGING_REDIS_URL" and "=" in line:
                line = re.sub(r"@127\.0\.0\.1:\d+/", f"@127.0.0.1:{PORTS['redis']}/", line)
            out.append(line)
        return "\n".join(out) + "\n"

    def group_vars(self, overrides: dict) -> dict:
        """inventories/local/group_vars/all.yml, re-aimed at the isolated stack."""
        values = yaml.safe_load(LOCAL_GROUP_VARS.read_text())
        values.update(self.inventory_vars())
        values.update({
            "rehearsal_db_password": self.db_password,
            "rehearsal_redis_password": self.redis_password,
            "rehearsal_results_dir": str(self.results_dir),
            "rehearsal_backup_dir": str(self.backup_dir),
            # One rehearsal per host is the product's rule; this session's runs take a lock
            # of their own so that they neither wait for nor block the shared stack's.
            "preflight_lock_dir": str(self.lock_dir),
            # A failing app is judged after 60 s instead of 120 s (the healthy app needs < 20 s).
            "deploy_health_timeout_s": 60,
        })
        values.update(overrides)
        return values

    def write_inventory(self, directory: Path, overrides: dict) -> Path:
        (directory / "group_vars").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LOCAL_HOSTS, directory / "hosts.yml")
        body = "---\n# Written by tests/e2e/harness.py: the isolated e2e stack.\n" + yaml.safe_dump(
            self.group_vars(overrides), sort_keys=False, default_flow_style=False, width=200)
        path = directory / "group_vars" / "all.yml"
        path.write_text(body)
        path.chmod(0o600)
        return directory

    def remove_leftovers(self) -> None:
        """Containers and volumes of an earlier e2e session that did not tear down."""
        found = self.project_containers()
        volumes = self.project_volumes()
        if found or volumes:
            log(f"removing {len(found)} container(s) and {len(volumes)} volume(s) left by an earlier e2e session")
            self.compose("down", "--volumes", "--timeout", "10", "--remove-orphans", env_file=".env.staging.example")

    def verify_compose_ports(self) -> None:
        """The compose files take every port from the env file: rendered with the e2e
        template, the configuration names the e2e ports and none of the shared ones."""
        rendered = self.compose("config", env_file=".env.staging.example").stdout
        missing = [f"{name}:{port}" for name, port in PORTS.items() if str(port) not in rendered]
        # A port as a value (API_PORT: "8001") or in an address (127.0.0.1:8001); the app's
        # health check script only names 8001 as the fallback of os.environ.get("API_PORT").
        foreign = sorted(port for port in FOREIGN_PORTS
                         if re.search(rf'(127\.0\.0\.1:|: "?){port}(?![0-9])', rendered))
        if missing or foreign:
            raise E2EError(f"compose config does not follow the env file: missing {missing}, shared ports {foreign}")
        if f"name: {PROJECT_NAME}" not in rendered:
            raise E2EError("compose config does not use the e2e project name")

    # --- releases ------------------------------------------------------------------------
    def deploy_baselines(self) -> None:
        """Release 1 then release 2, each deployed by a real rehearsal run.

        Release 1 is a first install: there is no database to back up yet, so backup is
        skipped. Release 2 is a normal rehearsal (the full one unless --fast)."""
        v1 = f"{self.base_version}+e2e.1"
        started = time.monotonic()
        run1 = self.rehearse("baseline-release-1", skip_tags=["backup", "load_test", "rollback"], timeout=1500)
        self.require_healthy_release(run1, v1)
        self.releases[v1] = {"image_id": self.image_id(f"{APP_IMAGE}:staging-latest")}
        self.timings["baseline_release_1_s"] = round(time.monotonic() - started, 1)

        v2 = self.release("2")
        started = time.monotonic()
        skip = ["load_test", "rollback"] if self.fast else []
        run2 = self.rehearse("baseline-release-2", skip_tags=skip, timeout=2400)
        self.baseline_run = run2
        self.timings["baseline_release_2_s"] = round(time.monotonic() - started, 1)
        latest = self.image_id(f"{APP_IMAGE}:staging-latest")
        previous = self.image_id(f"{APP_IMAGE}:staging-previous")
        if latest == self.releases[v1]["image_id"] or previous != self.releases[v1]["image_id"]:
            raise E2EError(f"release 2 did not move the tags as a build does: latest {latest[:19]}, previous {previous[:19]}\n"
                           + run2.describe())
        self.releases[v2] = {"image_id": latest}
        # The rollback drills of a full run switch the app around; come back to release 2.
        self.reset_to_baseline(capture_env=True)

    def require_healthy_release(self, run: Run, version: str) -> None:
        status, body = self.health()
        if status != 200 or body.get("status") != "healthy" or body.get("version") != version:
            raise E2EError(f"{run.name} did not leave {version} healthy (/health {status} {body.get('version')})\n"
                           + run.describe() + "\n" + run.tail())
        if run.phase_status("deploy") not in ("passed", "warned"):  # a first install warns: no previous image
            raise E2EError(f"{run.name}: deploy {run.phase_status('deploy')}\n" + run.describe())

    @property
    def good_version(self) -> str:
        return f"{self.base_version}+e2e.2"

    @property
    def previous_version(self) -> str:
        return f"{self.base_version}+e2e.1"

    def reset_to_baseline(self, capture_env: bool = False) -> list[str]:
        """Bring the stack back to release 2 with its own env file, all services up.

        A test-state reset between scenarios (not a product action): it restores the env
        file bytes, the two release tags and the lock dir, then `docker compose up -d --wait`
        recreates what differs. Returns what had to be reset."""
        done = []
        env_file = self.project / ".env.staging"
        if capture_env:
            self.baseline_env_bytes = env_file.read_bytes()
        elif env_file.read_bytes() != self.baseline_env_bytes:
            env_file.write_bytes(self.baseline_env_bytes)
            env_file.chmod(0o600)
            done.append("env file restored")
        for tag, version in (("staging-latest", self.good_version), ("staging-previous", self.previous_version)):
            want = self.releases[version]["image_id"]
            if self.image_id(f"{APP_IMAGE}:{tag}") != want:
                self.docker("tag", want, f"{APP_IMAGE}:{tag}")
                done.append(f"{tag} re-tagged")
        leftover = list(self.lock_dir.glob("*"))
        for path in leftover:
            path.unlink()
            done.append(f"lock file {path.name} removed")
        state = self.containers()
        app_ok = state.get("app", {}).get("image") == self.releases[self.good_version]["image_id"]
        all_up = all(state.get(s, {}).get("state") == "running" for s in SERVICES)
        status, body = self.health()
        if done or not (app_ok and all_up) or status != 200 or body.get("version") != self.good_version:
            self.compose("up", "-d", "--wait", "--wait-timeout", "240", timeout=400)
            done.append("docker compose up -d --wait")
            self.wait_healthy(self.good_version, 120)
        return done

    # --- runs ------------------------------------------------------------------------------
    def rehearse(self, name: str, *, skip_tags: list | None = None, extra_vars: dict | None = None,
                 hooks: dict | None = None, inventory: Path | None = None, playbook: str = "rehearsal.yml",
                 timeout: float = 1800, verbosity: int = 0, extra_args: list | None = None) -> Run:
        """ansible-playbook rehearsal.yml -i <inventory> [-e @extra] [--skip-tags ...] [extra_args]."""
        index = len(self.runs) + 1
        run_dir = self.runs_dir / f"{index:02d}-{name}"
        run_dir.mkdir(parents=True, exist_ok=True)
        args = ["-" + "v" * verbosity] if verbosity else []
        if hooks:
            hooks_dir = self.hooks_root / f"{index:02d}-{name}"
            hooks_dir.mkdir(parents=True, exist_ok=True)
            for hook, tasks in hooks.items():
                (hooks_dir / f"{hook}.yml").write_text("---\n" + yaml.safe_dump(tasks, sort_keys=False, width=200))
            extra_vars = {**(extra_vars or {}), "rehearsal_hooks_dir": str(hooks_dir)}
        vars_file = write_vars_file(run_dir / "extra_vars.json", extra_vars) if extra_vars else None
        if skip_tags:
            args += ["--skip-tags", ",".join(skip_tags)]
        args += extra_args or []
        argv = playbook_argv(playbook, inventory=inventory or self.inventory, vars_file=vars_file, args=args)
        (run_dir / "command").write_text(" ".join(argv) + "\n")
        reports_before = set(self.results_dir.glob("staging_rehearsal_*.json"))
        log(f"run {index:02d} {name}: {' '.join(argv[1:])}")
        stdout_path, stderr_path = run_dir / "stdout", run_dir / "stderr"
        started = time.monotonic()
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            try:
                returncode = run_playbook(argv, timeout=timeout, base_env=self.env, stdout=out, stderr=err).returncode
            except subprocess.TimeoutExpired:
                returncode = -999
        seconds = time.monotonic() - started
        run = Run(name=name, argv=argv, returncode=returncode, seconds=seconds,
                  stdout_path=stdout_path, stderr_path=stderr_path)
        new_reports = sorted(set(self.results_dir.glob("staging_rehearsal_*.json")) - reports_before)
        if new_reports:
            report_json = new_reports[-1]
            run.report_paths = {"json": report_json, "md": report_json.with_suffix(".md"),
                                "html": report_json.with_suffix(".html")}
            try:
                run.report = json.loads(report_json.read_text())
            except ValueError:
                run.report = {}
        self.runs.append(run)
        (run_dir / "summary.txt").write_text(run.describe() + "\n")
        log(f"run {index:02d} {name}: exit {returncode} in {seconds:.0f} s, verdict {run.verdict or 'no report'}")
        if returncode == -999:
            raise E2EError(f"{name} timed out after {timeout} s (process group stopped)\n{run.tail()}")
        return run

    def hold_lock(self) -> tuple[subprocess.Popen, Path]:
        """A live ansible-playbook that holds the rehearsal lock (the product's own lock
        tasks), until the returned release file appears."""
        release = self.work / f"release-lock-{time.monotonic_ns()}"
        with (self.runs_dir / "lock-holder.out").open("ab") as out:
            proc = start_lock_holder(self.work / "hold_lock.yml", release, inventory=self.inventory,
                                     base_env=self.env, hold_s=900, stdout=out, stderr=subprocess.STDOUT)
        if wait_until_held(proc, self.lock_dir / "rehearsal.lock", timeout_s=180):
            return proc, release
        if proc.poll() is not None:
            raise E2EError(f"the lock holder exited {proc.returncode} before taking the lock")
        stop_process_group(proc)
        raise E2EError("the lock holder did not take the lock within 180 s")

    # --- the stack as it is ----------------------------------------------------------------
    def health(self, timeout: float = 5) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.api + "/health", timeout=timeout) as response:  # noqa: S310 - loopback
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read() or b"{}")
            except ValueError:
                return error.code, {}
        except (OSError, ValueError):
            return -1, {}

    def wait_healthy(self, version: str | None, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        status, body = -1, {}
        while time.monotonic() < deadline:
            status, body = self.health()
            if status == 200 and body.get("status") == "healthy" and (version is None or body.get("version") == version):
                return body
            time.sleep(2)
        raise E2EError(f"/health not healthy with version {version} within {timeout} s: {status} {body}")

    def predict_ms(self) -> float:
        """Time of one prediction request (the endpoint FAULT_SLOW_MS slows down)."""
        body = json.dumps({"home_team": "Arsenal", "away_team": "Chelsea",
                           "match_date": "2024-12-25T15:00:00Z", "league": "Premier League"}).encode()
        request = urllib.request.Request(self.api + "/api/v1/predictions/match", data=body,
                                         headers={"Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
        return (time.monotonic() - started) * 1000

    def containers(self) -> dict:
        """Per service: container id, name, image id, state and start time."""
        ids = self.project_containers()
        if not ids:
            return {}
        state = {}
        for item in json.loads(self.docker("inspect", *ids).stdout):
            service = item["Config"]["Labels"].get("com.docker.compose.service", "?")
            if service in state and state[service]["state"] == "running":
                continue  # a one-off container (compose run) next to the service's own
            state[service] = {"id": item["Id"], "name": item["Name"].lstrip("/"), "image": item["Image"],
                              "state": item["State"]["Status"], "started_at": item["State"]["StartedAt"]}
        return state

    def image_id(self, reference: str) -> str:
        found = self.docker("image", "inspect", "--format", "{{.Id}}", reference, check=False)
        return found.stdout.strip() if found.returncode == 0 else ""

    def backups(self) -> list[Path]:
        return sorted(self.backup_dir.glob("staging_db_*"))

    def db_fingerprint(self, retries: int = 30) -> dict:
        """Rows and an order-independent digest of every table in schema public, computed
        here with psycopg2 (independent of the product's own db_check fingerprint)."""
        import psycopg2  # pylint: disable=import-outside-toplevel

        last_error = None
        for _attempt in range(retries):
            try:
                connection = psycopg2.connect(host="127.0.0.1", port=PORTS["db"], dbname=DB_NAME, user=DB_USER,
                                              password=self.db_password, connect_timeout=5)
                break
            except psycopg2.OperationalError as error:
                last_error = error
                time.sleep(2)
        else:
            raise E2EError(f"cannot connect to the e2e database: {last_error}")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
                tables = [row[0] for row in cursor.fetchall()]
                result = {}
                for table in tables:
                    cursor.execute(
                        f'SELECT count(*), md5(coalesce(string_agg(md5(t::text), \'\' ORDER BY md5(t::text)), \'\')) '
                        f'FROM public."{table}" t')
                    rows, digest = cursor.fetchone()
                    result[table] = {"rows": rows, "md5": digest}
                return result
        finally:
            connection.close()

    def build_image(self, tag: str, dockerfile: str, files: dict | None = None) -> str:
        """A derived app image (FROM the release), built here from a small context."""
        context = self.images_dir / tag
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text(dockerfile)
        for name, text in (files or {}).items():
            (context / name).write_text(text)
        self.docker("build", "--quiet", "--network", "none", "-t", f"{APP_IMAGE}:{tag}", str(context), timeout=600)
        return self.image_id(f"{APP_IMAGE}:{tag}")

    def hook_stop_service(self, service: str) -> list:
        """Hook tasks that stop one service of the e2e stack (docker compose stop)."""
        return [{
            "name": f"E2E fault - stop the {service} service of {PROJECT_NAME}",
            "ansible.builtin.command": {"argv": self.compose_argv("stop", "--timeout", "10", service)},
            "changed_when": True,
        }]

    # --- before / after ------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """What a scenario compares before and after its run."""
        status, body = self.health()
        app = self.containers()
        return {
            "containers": app,
            "app_image": app.get("app", {}).get("image", ""),
            "env_sha256": sha256_file(self.project / ".env.staging"),
            "backups": [path.name for path in self.backups()],
            "tags": self.image_tags(),
            "fingerprint": self.db_fingerprint(),
            "health_status": status,
            "health": {key: body.get(key) for key in ("status", "version", "git_commit")},
        }

    def expect_detected(self, expect: Expect, run: Run, phase: str, check_pattern: str) -> dict | None:
        """Detected (non-zero exit), reported (JSON/MD/HTML, verdict failed, the phase and a
        failed check matching check_pattern named), lock released."""
        expect.that(run.returncode not in (0, -999), "the rehearsal exits non-zero", f"exit {run.returncode}")
        expect.that(bool(run.report), "a JSON report was written", str(run.report_paths.get("json", "none")))
        expect.that(all(Path(p).is_file() for p in run.report_paths.values()) and len(run.report_paths) == 3,
                    "the Markdown and HTML reports were written too", str(run.report_paths))
        expect.equal(run.verdict, "failed", "verdict")
        expect.equal(run.phase_status(phase), "failed", f"status of phase {phase}")
        check = run.failed_check(phase, check_pattern)
        failed_names = [c.get("name") for c in run.checks(phase, "failed")]
        expect.that(check is not None, f"phase {phase} names a failed check /{check_pattern}/",
                    f"failed checks of {phase}: {failed_names}")
        failures = " ".join((run.report.get("verdict") or {}).get("failures", []))
        expect.that(f"phase {phase} failed" in failures, f"the verdict names phase {phase}", failures[:300])
        lock = self.lock_dir / "rehearsal.lock"
        expect.that(not lock.exists(), "the rehearsal lock is released", lock.read_text()[:200] if lock.exists() else "")
        return check

    def expect_nothing_changed(self, expect: Expect, run: Run, before: dict, after: dict) -> None:
        """Refused before any change: same containers (ids and start times), env file,
        backups, image tags and data; no later phase ran."""
        expect.equal(after["containers"], before["containers"], "containers unchanged (ids, images, start times)")
        expect.equal(after["env_sha256"], before["env_sha256"], ".env.staging unchanged")
        expect.equal(after["backups"], before["backups"], "no backup taken")
        expect.equal(after["tags"], before["tags"], "app image tags unchanged")
        expect.equal(after["fingerprint"], before["fingerprint"], "database fingerprint unchanged")
        later = [p for p in ("backup", "deploy", "health", "functional", "load_test", "rollback")
                 if run.phase_status(p) in ("passed", "warned", "failed")]
        expect.equal(later, [], "no phase after preflight ran")

    def expect_rolled_back(self, expect: Expect, run: Run, before: dict, after: dict) -> None:
        """The automatic rollback ran, the last good version serves again, no data lost."""
        rollback = run.phases.get("rollback", {})
        expect.that(bool(rollback), "the automatic rollback ran (phase rollback recorded)",
                    f"phases: {list(run.phases)}")
        bad = [f"{c.get('name')}: {c.get('value')} ({c.get('detail')})" for c in rollback.get("checks", [])
               if c.get("status") == "failed"]
        expect.equal(bad, [], "no automatic rollback check failed")
        expect.that(after["health_status"] == 200 and after["health"]["status"] == "healthy",
                    "/health is healthy after the run", f"{after['health_status']} {after['health']}")
        expect.equal(after["health"]["version"], before["health"]["version"],
                     "/health version after == before (the last good version)")
        expect.equal(after["app_image"][:19], before["app_image"][:19], "the app runs the image it ran before")
        not_running = [s for s in SERVICES if after["containers"].get(s, {}).get("state") != "running"]
        expect.equal(not_running, [], "every service runs after the run")
        expect.equal(after["fingerprint"], before["fingerprint"], "no data lost: database fingerprint after == before")

    # --- secrets ---------------------------------------------------------------------------
    def secret_needles(self) -> dict:
        """Each password as it could appear: plain, and inside base64 (slurp output), at any
        of the three byte alignments (the edge characters that depend on the neighbours
        are dropped)."""
        needles = {}
        for label, value in (("db password", self.db_password), ("redis password", self.redis_password)):
            raw = value.encode()
            variants = [raw]
            for shift in range(3):
                encoded = base64.b64encode(b"\0" * shift + raw)
                variants.append(encoded[(shift * 4 + 2) // 3 + (1 if shift else 0):-4])
            needles[label] = variants
        return needles

    def scan_files(self) -> list[Path]:
        """Run output, every file the runs wrote under the results dir, backup manifests."""
        files = [p for run in self.runs for p in (run.stdout_path, run.stderr_path)]
        files += [p for p in sorted(self.results_dir.rglob("*")) if p.is_file()]
        files += sorted(self.backup_dir.glob("*.manifest.json"))
        files += [self.runs_dir / "lock-holder.out"]
        return [p for p in files if p.is_file()]

    def secret_hits(self) -> tuple[list[str], list[str]]:
        """(leaks, env file copies). A copy of .env.staging under the results dir (mode 0600
        in a 0700 directory) is listed apart from leaks, so that a test can say which it
        found; any other file that holds a password is a leak."""
        leaks, copies = [], []
        env_name = Path(yaml.safe_load(LOCAL_GROUP_VARS.read_text()).get("rehearsal_env_file", ".env.staging")).name
        for path in self.scan_files():
            data = path.read_bytes()
            for label, variants in self.secret_needles().items():
                seen = set()
                for at in sorted({m for n in variants for m in _find_all(data, n)}):
                    line_start = data.rfind(b"\n", 0, at) + 1
                    line_end = data.find(b"\n", at)
                    line = data[line_start: line_end if line_end >= 0 else None][:200].decode(errors="replace").strip()
                    task_at = data.rfind(b"TASK [", 0, at)
                    context = data[task_at: data.find(b"]", task_at) + 1].decode(errors="replace") if task_at >= 0 else line
                    if context in seen:  # one entry per task (or line) and password
                        continue
                    seen.add(context)
                    protected = (path.name.startswith(env_name) and (path.stat().st_mode & 0o077) == 0
                                 and (path.parent.stat().st_mode & 0o077) == 0)
                    if protected:
                        copies.append(f"{label} in {path} (mode {path.stat().st_mode & 0o777:04o}, "
                                      f"dir {path.parent.stat().st_mode & 0o777:04o})")
                        break
                    leaks.append(f"{label} in {path}: " + (f"{context} ... {line}" if task_at >= 0 else line))
        return leaks, copies

    # --- teardown ------------------------------------------------------------------------------
    def teardown(self) -> None:
        if (self.project / "docker-compose.yml").exists():
            env_file = ".env.staging" if (self.project / ".env.staging").exists() else ".env.staging.example"
            done = self.compose("down", "--volumes", "--timeout", "20", "--remove-orphans", env_file=env_file,
                                check=False, timeout=300)
            log(f"stack down --volumes: exit {done.returncode}")
        if not self.keep:
            removed = self.remove_image_tags()
            if removed:
                log(f"removed {len(removed)} e2e image tag(s)")
        if not self.keep:
            shutil.rmtree(self.project / ".wheelhouse", ignore_errors=True)


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0 and needle:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def deploy_env_overrides_with(extra: dict) -> dict:
    """The deploy role's default deploy_env_overrides plus some keys (an extra var replaces
    the whole mapping, so the defaults are carried along)."""
    defaults = yaml.safe_load(DEPLOY_DEFAULTS.read_text())
    overrides = copy.deepcopy(defaults["deploy_env_overrides"])
    overrides.update(extra)
    return overrides


class FileCorrupter(threading.Thread):
    """Flips bytes in the middle of the first new backup dump that appears in a directory.

    The backup role's db_dump module writes under a temporary name and renames the dump
    into place when pg_dump has finished; this thread sees the final name appear and
    corrupts the file before the role reads it back (bit rot, a bad disk, tampering)."""

    def __init__(self, directory: Path, pattern: str = "staging_db_*.sql.gz", poll_s: float = 0.002,
                 timeout_s: float = 900) -> None:
        super().__init__(daemon=True)
        self.directory = directory
        self.pattern = pattern
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.before = set(directory.glob(pattern))
        self.stop = threading.Event()
        self.corrupted: dict = {}

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not self.stop.is_set() and time.monotonic() < deadline:
            fresh = set(self.directory.glob(self.pattern)) - self.before
            if fresh:
                path = sorted(fresh)[0]
                try:
                    size = path.stat().st_size
                    offset = max(10, size // 2)
                    with path.open("r+b") as handle:
                        handle.seek(offset)
                        chunk = handle.read(64)
                        handle.seek(offset)
                        handle.write(bytes(b ^ 0xFF for b in chunk))
                        handle.flush()
                        os.fsync(handle.fileno())
                    self.corrupted = {"path": path, "size": size, "offset": offset, "bytes": len(chunk),
                                      "at": dt.datetime.now(dt.timezone.utc).isoformat()}
                except OSError as error:
                    self.corrupted = {"path": path, "error": str(error)}
                return
            time.sleep(self.poll_s)
