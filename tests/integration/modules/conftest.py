# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the check modules through Ansible against live services.

Where the services are (FP_* variables, the stack's .env.staging) is the ``stack``
fixture of tests/integration/conftest.py. A service that does not answer makes its
tests skip, unless FP_REQUIRE_STACK=1 (CI with the stack up), where it makes them fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.playbook import playbook_argv, run_playbook

COLLECTION_ROOT = Path(__file__).resolve().parents[3]


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
    def run(name: str, args: dict, check: bool = False, extra_env: dict | None = None) -> AnsibleRun:
        result_file = tmp_path / ("%s-result.json" % name)
        result_file.unlink(missing_ok=True)
        playbook = tmp_path / ("%s.yml" % name)
        playbook.write_text(PLAYBOOK.format(name=name, args=json.dumps(args), result_file=json.dumps(str(result_file))),
                            encoding="utf-8")
        env = {**stack.secrets_env(), "ANSIBLE_COLLECTIONS_PATH": collections_path, "ANSIBLE_LOCALHOST_WARNING": "0",
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", **(extra_env or {})}
        argv = playbook_argv(playbook, inventory="localhost,", extra_vars={"ansible_python_interpreter": sys.executable},
                             args=["-c", "local", *(["--check"] if check else [])])
        # No project configuration: the one-task playbook runs from its own directory.
        completed = run_playbook(argv, env=env, config=None, timeout=300, cwd=tmp_path)
        output = completed.stdout + completed.stderr
        assert result_file.exists(), "the playbook kept no result:\n" + output
        text = result_file.read_text(encoding="utf-8")
        result = json.loads(text)
        return AnsibleRun(result, completed.returncode, output + text)

    return run
