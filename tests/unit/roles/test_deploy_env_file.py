# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The env file the deploy role renders (its defaults' deploy_env_overrides through
templates/env_file.j2, with ansible-playbook on localhost): the ports the services listen
on follow the inventory, not the template."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from support.playbook import playbook_argv, run_playbook, write_vars_file

REPO_ROOT = Path(__file__).resolve().parents[3]
ROLE = REPO_ROOT / "roles" / "deploy"
TEMPLATE = REPO_ROOT / "examples" / "football-prediction" / ".env.staging.example"
LOCAL_INVENTORY = REPO_ROOT / "inventories" / "local"

PORT_KEYS = ("API_PORT", "APP_PORT", "STAGING_DB_PORT", "REDIS_PORT", "KAFKA_PORT", "KAFKA_BOOTSTRAP_SERVERS",
             "MLFLOW_PORT", "MLFLOW_TRACKING_URI", "PROMETHEUS_PORT", "PROMETHEUS_URL", "STAGING_REDIS_URL")

# An inventory whose services all sit on ports other than the template's.
OTHER_PORTS = {
    "rehearsal_environment": "staging",
    "rehearsal_compose_project": "fp-other-ports",
    "rehearsal_compose_files": ["docker-compose.yml", "docker-compose.staging.yml"],
    "rehearsal_env_file": ".env.staging",
    "rehearsal_env_file_template": ".env.staging.example",
    "rehearsal_api_port": 48101,
    "rehearsal_api_base_url": "http://127.0.0.1:48101",
    "rehearsal_db_host": "127.0.0.1",
    "rehearsal_db_port": 45533,
    "rehearsal_db_name": "football_prediction_staging",
    "rehearsal_db_user": "football_staging_user",
    "rehearsal_db_password": "made-up-db-password",
    "rehearsal_redis_host": "127.0.0.1",
    "rehearsal_redis_port": 46480,
    "rehearsal_redis_db": 1,
    "rehearsal_redis_password": "made-up-redis-password",
    "rehearsal_kafka_bootstrap_servers": "127.0.0.1:49193, 127.0.0.1:49194",
    "rehearsal_mlflow_url": "http://127.0.0.1:45101",
    "rehearsal_prometheus_url": "http://127.0.0.1:49190",
    "rehearsal_app_image": "football-prediction",
    "rehearsal_images": {"prometheus": "footballpred/prometheus:local"},
}

# The role's defaults (vars_files) and its template, as env_file.yml renders them after
# plan.yml slurped the template; nothing else of the role runs.
PLAYBOOK = """\
- name: Render the deploy role's env file
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
  tasks:
    - name: Read the env file template
      ansible.builtin.slurp:
        path: "{{{{ deploy_project_dir }}}}/{{{{ deploy_env_file_template }}}}"
      register: _deploy_env_template
    - name: Render the env file
      ansible.builtin.template:
        src: {template}
        dest: "{{{{ deploy_project_dir }}}}/{{{{ deploy_env_file }}}}"
        mode: "0600"
"""


def parse_env(text: str) -> dict:
    pairs = re.findall(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*?)[ \t]*$", text, re.M)
    return {key: value.strip("'\"") for key, value in pairs}


def render(tmp_path: Path, inventory_vars: dict, inventory: Path | None = None) -> dict:
    """The env file rendered for these inventory values, parsed."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env.staging.example").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK.format(defaults=ROLE / "defaults" / "main.yml",
                                        template=ROLE / "templates" / "env_file.j2"), encoding="utf-8")
    extra = write_vars_file(tmp_path / "inventory_vars.json",
                            {**inventory_vars, "rehearsal_project_dir": str(project), "ansible_python_interpreter": sys.executable})
    # An inventory's group_vars apply to the implicit localhost (group "all").
    argv = playbook_argv(playbook, inventory=inventory if inventory is not None else "localhost,", vars_file=extra)
    env = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
           "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}
    result = run_playbook(argv, env=env, config=None, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return parse_env((project / ".env.staging").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def template_env() -> dict:
    return parse_env(TEMPLATE.read_text(encoding="utf-8"))


def test_ports_follow_an_inventory_with_other_ports(tmp_path, template_env):
    env = render(tmp_path, OTHER_PORTS)
    assert {key: env[key] for key in PORT_KEYS} == {
        "API_PORT": "48101", "APP_PORT": "48101",
        "STAGING_DB_PORT": "45533",
        "REDIS_PORT": "46480",
        "STAGING_REDIS_URL": "redis://:made-up-redis-password@127.0.0.1:46480/1",
        # The broker listens on the first bootstrap server's port.
        "KAFKA_PORT": "49193",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:49193, 127.0.0.1:49194",
        "MLFLOW_PORT": "45101", "MLFLOW_TRACKING_URI": "http://127.0.0.1:45101",
        "PROMETHEUS_PORT": "49190", "PROMETHEUS_URL": "http://127.0.0.1:49190",
    }
    # Keys the inventory does not set keep the template's values, each once.
    assert env["KAFKA_PREDICTIONS_TOPIC"] == template_env["KAFKA_PREDICTIONS_TOPIC"]
    assert env["COMPOSE_PROJECT_NAME"] == "fp-other-ports"


def test_kafka_list_and_urls_without_port_or_prometheus(tmp_path, template_env):
    inventory = {key: value for key, value in OTHER_PORTS.items() if key != "rehearsal_prometheus_url"}
    inventory["rehearsal_kafka_bootstrap_servers"] = ["[::1]:39093", "127.0.0.1:39094"]
    inventory["rehearsal_mlflow_url"] = "https://mlflow.staging.example"
    env = render(tmp_path, inventory)
    assert env["KAFKA_PORT"] == "39093"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "[::1]:39093,127.0.0.1:39094"
    # No port in the URL, no Prometheus in the inventory: the template's values stay.
    assert env["MLFLOW_TRACKING_URI"] == "https://mlflow.staging.example"
    for key in ("MLFLOW_PORT", "PROMETHEUS_PORT", "PROMETHEUS_URL"):
        assert env[key] == template_env[key]


def test_local_inventory_renders_the_template_ports(tmp_path, template_env):
    """inventories/local matches .env.staging.example: no port changes."""
    env = render(tmp_path, {}, inventory=LOCAL_INVENTORY)
    assert {key: env[key] for key in PORT_KEYS} == {key: template_env[key] for key in PORT_KEYS}
