# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import subprocess

from ansible_collections.footballpred.rehearsal.plugins.action import rehearsal_lock as action


def test_this_run_is_described_by_its_parent_process():
    record = action.this_run()
    assert record["pid"] == os.getppid()
    assert len(record["token"]) == 24
    assert record["controller"] and record["user"]


def test_a_gone_holder_on_this_controller_is_stale():
    dead = subprocess.Popen(["true"])
    dead.wait()
    current = {"token": "crashed-run", "pid": dead.pid, "controller": "ops-1"}
    assert action.stale_local_token(current, "ops-1") == "crashed-run"


def test_a_live_ansible_holder_is_not_stale():
    current = {"token": "live-run", "pid": 1234, "controller": "ops-1"}
    assert action.stale_local_token(current, "ops-1", alive=lambda pid: True) is None


def test_a_holder_on_another_controller_is_left_to_the_age_rule():
    current = {"token": "remote-run", "pid": 1, "controller": "ops-2"}
    assert action.stale_local_token(current, "ops-1", alive=lambda pid: False) is None


def test_a_live_process_that_is_not_ansible_does_not_hold_the_lock(tmp_path):
    proc = tmp_path / "4321"
    proc.mkdir()
    (proc / "cmdline").write_bytes(b"sleep\x00600\x00")
    assert not action.process_is_ansible(4321, proc_root=str(tmp_path))
    (proc / "cmdline").write_bytes(b"/usr/bin/python3\x00/usr/bin/ansible-playbook\x00site.yml\x00")
    assert action.process_is_ansible(4321, proc_root=str(tmp_path))
