# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of footballpred.rehearsal.rehearsal_lock.

The module runs on the target and only sees the lock file. Two facts live on the
controller: who this run is (its ansible-playbook process, host and user), and whether a
holder that started from this same controller is still alive. This plugin adds both.
"""

from __future__ import annotations

import datetime
import getpass
import os
import platform
import secrets

from ansible.plugins.action import ActionBase

MODULE = "footballpred.rehearsal.rehearsal_lock"


def this_run() -> dict:
    """The holder record of this run. Task workers are forked from ansible-playbook, so the
    parent process is the run's own process: it lives exactly as long as the run."""
    return {
        "token": secrets.token_hex(12),
        "pid": os.getppid(),
        "controller": platform.node(),
        "user": getpass.getuser(),
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def process_is_ansible(pid: int, proc_root: str = "/proc") -> bool:
    """Whether ``pid`` is a live ansible process on this controller (pid reuse aside)."""
    if pid <= 1:
        return False
    try:
        with open(os.path.join(proc_root, str(pid), "cmdline"), "rb") as handle:
            return b"ansible" in handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_local_token(current: dict, controller: str, alive=process_is_ansible) -> str | None:
    """The token of a holder that ran from this controller and whose process is gone."""
    if not current or current.get("controller") != controller:
        return None
    try:
        pid = int(current.get("pid", 0))
    except (TypeError, ValueError):
        pid = 0
    token = current.get("token")
    return token if token and not alive(pid) else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        given = dict(args.get("holder") or {})
        # A run that holds the lock passes its record back; a new one is described here.
        args["holder"] = given if given.get("token") else {**this_run(), **{k: v for k, v in given.items() if k != "token"}}

        outcome = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        if outcome.get("lock_state") == "held" and args.get("state", "present") == "present":
            token = stale_local_token(outcome.get("current_holder") or {}, platform.node())
            if token:
                args["stale_tokens"] = list(args.get("stale_tokens") or []) + [token]
                outcome = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(outcome)
        return result
