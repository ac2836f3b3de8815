# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A live ansible-playbook that holds the rehearsal lock with the product's own lock tasks
(preflight tasks_from lock/unlock), for the tests of a second, concurrent run."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from support import ROOT
from support.playbook import Output, playbook_argv, start_playbook

HOLD_LOCK_PLAYBOOK = """---
# Written by tests/support/lock.py: a live run holding the rehearsal lock (the product's
# own lock tasks) until the release file appears.
- name: Hold the rehearsal lock until told to let go
  hosts: staging
  gather_facts: false
  tasks:
    - name: Take the lock
      ansible.builtin.include_role:
        name: footballpred.rehearsal.preflight
        tasks_from: lock
    - name: Wait for the release file
      ansible.builtin.wait_for:
        path: "{{ release_file }}"
        timeout: "{{ hold_lock_timeout_s }}"
    - name: Release the lock
      ansible.builtin.include_role:
        name: footballpred.rehearsal.preflight
        tasks_from: unlock
"""


def holder_pid(lock_file: Path) -> int:
    """The PID recorded in the rehearsal lock, 0 when there is no (readable) lock."""
    try:
        return int(json.loads(lock_file.read_text() or "{}").get("pid", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def start_lock_holder(playbook: Path, release_file: Path, *, inventory: str | Path, base_env: dict,
                      hold_s: int, extra_vars: dict | None = None, cwd: Path = ROOT,
                      stdout: Output = subprocess.DEVNULL,
                      stderr: Output = subprocess.DEVNULL) -> subprocess.Popen:
    """Write the holder playbook to ``playbook`` and start it: it takes the lock, keeps it
    until ``release_file`` appears (at most ``hold_s`` seconds), then releases it."""
    playbook.write_text(HOLD_LOCK_PLAYBOOK)
    variables = {**(extra_vars or {}), "release_file": str(release_file), "hold_lock_timeout_s": hold_s}
    argv = playbook_argv(playbook, inventory=inventory, extra_vars=variables)
    return start_playbook(argv, base_env=base_env, cwd=cwd, stdout=stdout, stderr=stderr)


def wait_until_held(holder: subprocess.Popen, lock_file: Path, timeout_s: float | None = None) -> bool:
    """True once ``lock_file`` names the holder's PID; False when the holder exits first or
    ``timeout_s`` passes (None: no limit but the holder's own)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while holder.poll() is None:
        if holder_pid(lock_file) == holder.pid:
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return False
