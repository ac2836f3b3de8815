# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy's hook points use the rehearsal's one hook system (rehearsal_hooks_dir).

roles/deploy/tasks/hook.yml runs for real in ansible-playbook (no stack needed): a
deploy_<point>.yml in the hook directory runs, a missing one is skipped, and without a hook
directory nothing runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
_VENV_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
ANSIBLE_PLAYBOOK = _VENV_PLAYBOOK if _VENV_PLAYBOOK.exists() else Path(shutil.which("ansible-playbook") or _VENV_PLAYBOOK)

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: Each deploy hook point
      ansible.builtin.include_tasks: {hook}
      vars:
        _deploy_hook: "{{{{ item }}}}"
      loop: [before_build, before_stop, after_start]
"""

HOOK = """
- name: Note that this hook ran
  ansible.builtin.lineinfile:
    path: {ran}
    line: "{{{{ _deploy_hook }}}}"
    create: true
    mode: "0600"
"""


def run_hooks(tmp_path: Path, hooks_dir: str | None) -> subprocess.CompletedProcess:
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(hook=REPO_ROOT / "roles" / "deploy" / "tasks" / "hook.yml"), encoding="utf-8")
    extra = {"ansible_python_interpreter": sys.executable}
    if hooks_dir is not None:
        extra["rehearsal_hooks_dir"] = hooks_dir
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run([str(ANSIBLE_PLAYBOOK), str(playbook), "-i", "localhost,", "-e", json.dumps(extra)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_hook_file_runs_at_its_point_and_missing_ones_are_skipped(tmp_path):
    hooks = tmp_path / "my hooks"
    hooks.mkdir()
    ran = tmp_path / "ran.txt"
    for point in ("before_build", "after_start"):
        (hooks / f"deploy_{point}.yml").write_text(HOOK.format(ran=ran), encoding="utf-8")
    result = run_hooks(tmp_path, str(hooks))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ran.read_text(encoding="utf-8").split() == ["before_build", "after_start"]


def test_without_a_hook_directory_nothing_runs(tmp_path):
    result = run_hooks(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Note that this hook ran" not in result.stdout
    result = run_hooks(tmp_path, "")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Note that this hook ran" not in result.stdout
