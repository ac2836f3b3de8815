# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight env_file check (the probes of roles/preflight/tasks/project_files.yml, run
with ansible-playbook on localhost, judged by the judge preflight): API_PORT is judged as it will be in service - the
inventory's when deploy renders the env file, the env file's when it does not."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from support.playbook import playbook_argv, run_playbook, write_vars_file

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = REPO_ROOT / "examples" / "football-prediction"

PLAYBOOK = """\
- name: Judge the env file as preflight does
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run the project files probes of preflight, with the role's variables
      ansible.builtin.include_role:
        name: {role}
        tasks_from: project_files.yml
        public: true
    - name: Judge them as tasks/main.yml does
      footballpred.rehearsal.record_phase:
        phase: preflight
        started_at: "2026-12-03T10:00:00+00:00"
        judge: preflight
        probes:
          files: "{{{{ _preflight_files }}}}"
          env_source: "{{{{ _preflight_env_source }}}}"
          env_content: "{{{{ _preflight_env_content }}}}"
        targets: "{{{{ _preflight_targets }}}}"
      register: _record
    - name: Write the env file check out
      ansible.builtin.copy:
        content: "{{{{ _record.checks | selectattr('name', 'eq', 'env_file') | first | to_json }}}}"
        dest: "{{{{ playbook_dir }}}}/check.json"
        mode: "0600"
"""

INVENTORY = {
    "rehearsal_environment": "staging",
    "rehearsal_compose_project": "fp-other-ports",
    "rehearsal_compose_files": ["docker-compose.yml", "docker-compose.staging.yml"],
    "rehearsal_env_file": ".env.staging",
    "rehearsal_env_file_template": ".env.staging.example",
    "rehearsal_api_host": "127.0.0.1",
    "rehearsal_api_port": 48001,
    "rehearsal_db_name": "football_prediction_staging",
}


def judge(tmp_path: Path, env_file_api_port: int | None, **extra) -> dict:
    """The env_file check for a project with the template (API_PORT 8001) and, when
    env_file_api_port is set, an env file with that API_PORT."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    template = (EXAMPLE / ".env.staging.example").read_text(encoding="utf-8")
    assert "\nAPI_PORT=8001\n" in template
    (project / ".env.staging.example").write_text(template, encoding="utf-8")
    if env_file_api_port is not None:
        (project / ".env.staging").write_text(template.replace("\nAPI_PORT=8001\n", f"\nAPI_PORT={env_file_api_port}\n"),
                                              encoding="utf-8")
    for name in ("docker-compose.yml", "docker-compose.staging.yml", "scripts/deploy-staging.sh",
                 "scripts/rollback-staging.sh"):
        (project / name).write_text("", encoding="utf-8")
        (project / name).chmod(0o755)
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(role=REPO_ROOT / "roles" / "preflight"), encoding="utf-8")
    variables = write_vars_file(tmp_path / "vars.json", {**INVENTORY, **extra, "rehearsal_project_dir": str(project),
                                                         "ansible_python_interpreter": sys.executable})
    env = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
           "ANSIBLE_COLLECTIONS_PATH": f"{REPO_ROOT / 'collections'}:{os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')}"}
    result = run_playbook(playbook_argv("play.yml", inventory="localhost,", vars_file=variables), env=env,
                          config=None, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))


def test_first_deploy_judges_the_inventory_port_not_the_template(tmp_path):
    """No env file yet: deploy will render it with the inventory's 48001, not the template's 8001."""
    check = judge(tmp_path, None)
    assert check["status"] == "warned", check
    assert check["value"] == "5/5 required keys right"
    assert "API_PORT 48001 from the inventory: deploy renders .env.staging from .env.staging.example" in check["detail"]
    assert "deploy creates it" in check["detail"]


def test_rendered_env_file_with_an_old_port_is_rewritten_by_deploy(tmp_path):
    check = judge(tmp_path, 8001)
    assert check["status"] == "passed", check


def test_env_file_kept_as_it_is_must_carry_the_port(tmp_path):
    check = judge(tmp_path, 8001, deploy_render_env_file=False)
    assert check["status"] == "failed", check
    assert "API_PORT=8001 (expected 48001) in .env.staging" in check["detail"]
    assert judge(tmp_path / "right", 48001, deploy_render_env_file=False)["status"] == "passed"


def test_env_file_kept_as_it_is_must_exist(tmp_path):
    check = judge(tmp_path, None, deploy_render_env_file=False, rehearsal_api_port=8001)
    assert check["status"] == "failed", check
    assert "deploy needs it (deploy_render_env_file=false)" in check["detail"]


def test_deploy_api_port_other_than_the_probed_port_fails(tmp_path):
    """Deploy would write API_PORT 48002 while the checks probe 48001."""
    check = judge(tmp_path, None, deploy_api_port=48002)
    assert check["status"] == "failed", check
    assert "API_PORT=48002 (expected 48001)" in check["detail"]
