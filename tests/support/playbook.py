# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one way the tests and the benchmarks run ansible-playbook.

Extra vars always go as JSON (``-e '{...}'``) or as a file (``-e @file``), never as
``key=value``: ansible-playbook splits key=value on white space, so a path in a directory
whose name has a space would arrive cut in two. Secrets go in the file (mode 0600),
never on a command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO, Iterable, Union

from support import ROOT
from support.processes import stop_process_group

PROJECT_CONFIG = ROOT / "ansible.cfg"
CONNECTIONS_VARS_FILE = ROOT / "playbooks" / "vars" / "connections.yml"
CONNECTION_GROUPS = ("postgres", "postgres_container", "redis", "kafka", "mlflow", "api")
# Each play's module_defaults: our groups (meta/runtime.yml) and community.postgresql's
# (the server's login_* options only), each given its settings from
# playbooks/vars/connections.yml.
MODULE_DEFAULTS = {
    **{f"group/footballpred.rehearsal.{group}": "{{ _rehearsal_%s }}" % group for group in CONNECTION_GROUPS[:1]},
    "group/community.postgresql.all": "{{ _rehearsal_postgres_server }}",
    **{f"group/footballpred.rehearsal.{group}": "{{ _rehearsal_%s }}" % group for group in CONNECTION_GROUPS[1:]},
}
# The play keys every playbook of the collection carries, for plays a test writes itself:
# put the text in the play, at the indentation of `hosts:`.
CONNECTION_PLAY_KEYS = "  vars_files:\n    - {}\n  module_defaults:\n{}".format(
    json.dumps(str(CONNECTIONS_VARS_FILE)),
    "".join(f'    {group}: "{value}"\n' for group, value in MODULE_DEFAULTS.items()),
)

Output = Union[int, IO, None]


def ansible_playbook() -> str:
    """The venv's ansible-playbook: beside the running interpreter (pytest and bench run in
    .venv), else the checkout's .venv, else the first on PATH."""
    for candidate in (Path(sys.executable).with_name("ansible-playbook"), ROOT / ".venv" / "bin" / "ansible-playbook"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("ansible-playbook")
    if not found:
        raise FileNotFoundError("ansible-playbook not found (run `make deps`)")
    return found


def write_vars_file(path: Path, values: dict) -> Path:
    """Extra vars as a JSON file only its owner can read, for ``-e @file``."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    return path


def playbook_argv(playbook: str | Path, *, inventory: str | Path | None = None, vars_file: Path | None = None,
                  extra_vars: dict | None = None, args: Iterable = ()) -> list[str]:
    """ansible-playbook <playbook> [-i <inventory>] [-e @<vars_file>] [-e <extra_vars as JSON>] [args]."""
    argv = [ansible_playbook(), str(playbook)]
    if inventory is not None:
        argv += ["-i", str(inventory)]
    if vars_file is not None:
        argv += ["-e", f"@{vars_file}"]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    return argv + [str(arg) for arg in args]


def playbook_env(env: dict | None = None, *, base_env: dict | None = None,
                 config: Path | None = PROJECT_CONFIG) -> dict:
    """base_env (default os.environ) with ANSIBLE_CONFIG set to ``config`` (None: unset, so
    that the run uses no project configuration), then ``env`` on top."""
    full = dict(os.environ if base_env is None else base_env)
    if config is None:
        full.pop("ANSIBLE_CONFIG", None)
    else:
        full["ANSIBLE_CONFIG"] = str(config)
    full.update(env or {})
    return full


def start_playbook(argv: list[str], *, env: dict | None = None, base_env: dict | None = None,
                   config: Path | None = PROJECT_CONFIG, cwd: Path = ROOT, stdout: Output = subprocess.PIPE,
                   stderr: Output = subprocess.PIPE) -> subprocess.Popen:
    """Start ``argv`` (playbook_argv) in a process group of its own (stop it with
    support.processes.stop_process_group); text output."""
    return subprocess.Popen(argv, cwd=cwd, env=playbook_env(env, base_env=base_env, config=config),
                            stdout=stdout, stderr=stderr, text=True, start_new_session=True)


def run_playbook(argv: list[str], *, timeout: float, env: dict | None = None, base_env: dict | None = None,
                 config: Path | None = PROJECT_CONFIG, cwd: Path = ROOT, stdout: Output = subprocess.PIPE,
                 stderr: Output = subprocess.PIPE) -> subprocess.CompletedProcess:
    """Run ``argv`` (playbook_argv) to its end; output captured as text unless stdout and
    stderr name files. On a timeout (subprocess.TimeoutExpired, re-raised) or an interrupt
    its whole process group is stopped first."""
    proc = start_playbook(argv, env=env, base_env=base_env, config=config, cwd=cwd, stdout=stdout, stderr=stderr)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        stop_process_group(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
