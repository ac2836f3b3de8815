# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the check modules through Ansible against live services.

Targets come from the environment and default to the local staging stack
(docs/CONVENTIONS.md):

  FP_DB_HOST FP_DB_PORT FP_DB_USER FP_DB_NAME FP_DB_PASSWORD
  FP_REDIS_HOST FP_REDIS_PORT FP_REDIS_DB FP_REDIS_PASSWORD
  FP_KAFKA_BOOTSTRAP  FP_MLFLOW_URL  FP_MLFLOW_MODEL  FP_API_URL

Passwords not set in the environment are read from the example stack's
.env.staging (STAGING_DB_PASSWORD, REDIS_PASSWORD). A service that does not
answer makes its tests skip, unless FP_REQUIRE_STACK=1 (CI with the stack up),
where it makes them fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

from pathlib import Path
from urllib.parse import urlsplit

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
ENV_FILE = COLLECTION_ROOT / "examples" / "football-prediction" / ".env.staging"


def _env_file_values() -> dict:
    values = {}
    if ENV_FILE.is_file():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.lstrip().startswith("#"):
                values[key.strip()] = value.strip().strip("'\"")
    return values


class Stack:
    """Where the live services are, from FP_* variables or the staging defaults."""

    def __init__(self):
        env_file = _env_file_values()
        getenv = os.environ.get
        self.db = dict(
            host=getenv("FP_DB_HOST", "127.0.0.1"),
            port=int(getenv("FP_DB_PORT", "5433")),
            user=getenv("FP_DB_USER", "football_staging_user"),
            name=getenv("FP_DB_NAME", "football_prediction_staging"),
            password=getenv("FP_DB_PASSWORD", env_file.get("STAGING_DB_PASSWORD", "")),
        )
        self.redis = dict(
            host=getenv("FP_REDIS_HOST", "127.0.0.1"),
            port=int(getenv("FP_REDIS_PORT", "6380")),
            db=int(getenv("FP_REDIS_DB", "1")),
            password=getenv("FP_REDIS_PASSWORD", env_file.get("REDIS_PASSWORD", "")),
        )
        self.kafka_bootstrap = getenv("FP_KAFKA_BOOTSTRAP", "127.0.0.1:9093")
        self.mlflow_url = getenv("FP_MLFLOW_URL", "http://127.0.0.1:5001")
        self.mlflow_model = getenv("FP_MLFLOW_MODEL", "football-match-predictor")
        self.api_url = getenv("FP_API_URL", "http://127.0.0.1:8001")

    def secrets_env(self) -> dict:
        """Secrets go to the modules through their environment fallbacks, never the command line."""
        return dict(PGPASSWORD=self.db["password"], REDIS_PASSWORD=self.redis["password"])


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require(host: str, port: int, what: str) -> None:
    if port_open(host, port):
        return
    message = "%s is not listening on %s:%d" % (what, host, port)
    if os.environ.get("FP_REQUIRE_STACK") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def stopped_port() -> int:
    """A local port where nothing listens: a stopped service, as the modules see it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


@pytest.fixture
def db_target(stack):
    require(stack.db["host"], stack.db["port"], "PostgreSQL")
    return stack.db


@pytest.fixture
def redis_target(stack):
    require(stack.redis["host"], stack.redis["port"], "Redis")
    return stack.redis


@pytest.fixture
def kafka_target(stack):
    host, _sep, port = stack.kafka_bootstrap.split(",")[0].rpartition(":")
    require(host, int(port), "Kafka")
    return stack.kafka_bootstrap


@pytest.fixture
def mlflow_target(stack):
    parts = urlsplit(stack.mlflow_url)
    require(parts.hostname, parts.port or 80, "MLflow")
    return stack.mlflow_url


@pytest.fixture
def api_target(stack):
    parts = urlsplit(stack.api_url)
    require(parts.hostname, parts.port or 80, "API")
    return stack.api_url


@pytest.fixture(scope="session")
def collections_path():
    """An ansible_collections tree whose footballpred/rehearsal is this checkout."""
    tree = Path(tempfile.mkdtemp(prefix="fp-it-collections-"))
    link = tree / "ansible_collections" / "footballpred" / "rehearsal"
    link.parent.mkdir(parents=True)
    link.symlink_to(COLLECTION_ROOT)
    yield str(tree)
    shutil.rmtree(tree)


class AnsibleRun:
    """The registered result of the module task, the playbook's exit code and all it printed."""

    def __init__(self, result: dict, returncode: int, output: str):
        self.result = result
        self.returncode = returncode
        self.output = output

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))


PLAYBOOK = """\
- name: Run one module and keep its result
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run footballpred.rehearsal.{name}
      footballpred.rehearsal.{name}: {args}
      register: outcome
      ignore_errors: true

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{{{ outcome | to_json }}}}"
        dest: {result_file}
        mode: "0600"
      check_mode: false
"""


@pytest.fixture
def ansible_module(collections_path, stack, tmp_path):
    """Run footballpred.rehearsal.<name> with ``args`` in a one-task playbook and return its result."""
    playbook_command = Path(sys.executable).with_name("ansible-playbook")
    command = str(playbook_command) if playbook_command.exists() else shutil.which("ansible-playbook")

    def run(name: str, args: dict, check: bool = False, extra_env: dict | None = None) -> AnsibleRun:
        result_file = tmp_path / ("%s-result.json" % name)
        result_file.unlink(missing_ok=True)
        playbook = tmp_path / ("%s.yml" % name)
        playbook.write_text(PLAYBOOK.format(name=name, args=json.dumps(args), result_file=json.dumps(str(result_file))),
                            encoding="utf-8")
        env = dict(os.environ, **stack.secrets_env())
        env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_RETRY_FILES_ENABLED="0")
        env.update(extra_env or {})
        argv = [command, "-i", "localhost,", "-c", "local", "-e", json.dumps({"ansible_python_interpreter": sys.executable}),
                str(playbook)]
        if check:
            argv.append("--check")
        completed = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False,
                                   cwd=str(tmp_path))
        output = completed.stdout + completed.stderr
        assert result_file.exists(), "the playbook kept no result:\n" + output
        text = result_file.read_text(encoding="utf-8")
        result = json.loads(text)
        return AnsibleRun(result, completed.returncode, output + text)

    return run
