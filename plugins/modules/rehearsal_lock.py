#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rehearsal_lock
short_description: Take or release the one-rehearsal-per-host lock
version_added: 0.2.0
description:
  - The lock is a file on the target whose content names its holder (a JSON record). It
    appears atomically with that content - the record is written to a private file first and
    hard-linked to the lock name, and C(link(2)) fails when the name already exists, so of
    two runs racing for a free lock exactly one wins, and the other is told who did.
  - A lock held by another run is refused with a message naming the holder (pid,
    controller, user, start time, age). A lock whose holder is known to be gone
    (O(stale_tokens)) or that is older than O(stale_after_s) is stale, and is replaced.
  - Re-entrant - a run that already holds the lock (same token) takes it again without change.
  - The action plugin of the same name describes this run as a holder on the controller
    (its C(ansible-playbook) process, host and user) and finds holders on that controller
    whose process is gone; call it as C(footballpred.rehearsal.rehearsal_lock).
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  path:
    description: Path of the lock file on the target. Its directory is created (mode 0755) when missing.
    type: path
    required: true
  state:
    description:
      - V(present) takes the lock (or confirms that this run holds it).
      - V(absent) releases it, only if it carries the C(token) of O(holder); a lock that now names
        another run is left alone.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description:
      - This run's holder record. C(token) is required and identifies the run; the other
        keys are kept as they are and shown to a run that finds the lock taken.
      - Filled in by the action plugin when omitted.
    type: dict
    required: true
  stale_after_s:
    description: A lock file older than this (seconds, by its modification time on the target) is stale.
    type: int
    default: 21600
  stale_tokens:
    description: Tokens of holders known to be gone; a lock carrying one of them is stale.
    type: list
    elements: str
    default: []
  wait_s:
    description: Seconds to wait for a live holder to release the lock before refusing; V(0) refuses at once.
    type: int
    default: 0
extends_documentation_fragment:
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the lock and refuses when another run holds it; creates and removes nothing.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Take the rehearsal lock
  footballpred.rehearsal.rehearsal_lock:
    path: /run/lock/footballpred-rehearsal/rehearsal.lock
    holder:
      project: football-prediction-staging
  register: rehearsal_lock

- name: Release it at the end of the run
  footballpred.rehearsal.rehearsal_lock:
    path: /run/lock/footballpred-rehearsal/rehearsal.lock
    state: absent
    holder: "{{ rehearsal_lock.holder }}"
"""

RETURN = r"""
holder:
  description: This run's holder record, as written to the lock file.
  returned: always
  type: dict
  sample: {"token": "3f2a9c1b7d0e4a5b6c7d8e9f", "pid": 4242, "controller": "ops-1", "user": "sre",
           "started_at": "2026-12-02T20:41:00+00:00"}
lock_state:
  description:
    - What this call found and did. V(taken) (the lock was free or stale and is now this run's),
      V(ours) (this run held it already), V(would_take) (check mode), V(released),
      V(not_ours) (release found no lock, or another run's), V(held) (another run holds it; the task fails).
  returned: always
  type: str
  sample: taken
current_holder:
  description: The record found in the lock file before this call, if any.
  returned: always
  type: dict
  sample: {}
replaced_stale:
  description: The record of a stale holder this call replaced, if any.
  returned: always
  type: dict
  sample: {}
age_s:
  description: Age in seconds of the lock file found (by its modification time), or null.
  returned: always
  type: float
  sample: 12.5
"""

import json
import os
import time
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native


class LockHeld(Exception):
    """Another live run holds the lock."""

    def __init__(self, holder: dict, age_s: float | None, path: str):
        super().__init__(describe_holder(holder, age_s, path))
        self.holder = holder
        self.age_s = age_s


def describe_holder(holder: dict, age_s: float | None, path: str) -> str:
    age = "?" if age_s is None else "%d" % age_s
    return (
        "pid %s on controller %s (user %s), since %s (%s s ago). Lock file: %s"
        % (holder.get("pid", "?"), holder.get("controller", "?"), holder.get("user", "?"),
           holder.get("started_at", "?"), age, path))


def read_lock(path: str) -> tuple[dict | None, float | None]:
    """The holder record in the lock file and the file's age, or (None, None) when free.

    A file that cannot be parsed is treated as a holder without details: refusing is the
    safe reading of a lock nobody can interpret (it becomes stale with age).
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
            age_s = max(0.0, time.time() - os.fstat(handle.fileno()).st_mtime)
    except FileNotFoundError:
        return None, None
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        record = {"token": "", "unreadable": raw[:200].decode("utf-8", "replace")}
    return record, age_s


def is_stale(holder: dict, age_s: float | None, stale_tokens: list, stale_after_s: int) -> bool:
    if holder.get("token") and holder.get("token") in stale_tokens:
        return True
    return age_s is not None and age_s >= stale_after_s


def remove_if_token(path: str, token: str) -> bool:
    """Delete the lock only if it carries ``token`` (another run may have replaced it).

    The file is first renamed aside (atomic), so that what is judged is what is deleted;
    a lock that turns out to be another run's is linked back at once.
    """
    aside = "%s.aside.%d.%s" % (path, os.getpid(), uuid.uuid4().hex[:8])
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    holder, _age = read_lock(aside)
    try:
        if holder is not None and holder.get("token", "") == token:
            return True
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # the name was taken in that instant: its new holder keeps it
        return False
    finally:
        os.unlink(aside)


def publish(path: str, holder: dict) -> bool:
    """Create the lock atomically with ``holder`` as content; False when the name exists."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o755, exist_ok=True)
    private = "%s.%s" % (path, holder["token"])
    with open(private, "w", encoding="utf-8") as handle:
        json.dump(holder, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(private, 0o644)
    try:
        os.link(private, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(private)


def acquire(path: str, holder: dict, stale_tokens: list, stale_after_s: int, wait_s: int,
            check_mode: bool = False, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Take the lock for ``holder``; raises LockHeld when a live run keeps it past ``wait_s``."""
    deadline = clock() + max(0, wait_s)
    first_seen = None
    replaced = {}
    while True:
        current, age_s = read_lock(path)
        if first_seen is None:
            first_seen = current or {}
        if current is not None and current.get("token") == holder["token"]:
            return dict(lock_state="ours", changed=False, current_holder=first_seen, replaced_stale=replaced, age_s=age_s)
        if current is not None and is_stale(current, age_s, stale_tokens, stale_after_s):
            if check_mode:
                return dict(lock_state="would_take", changed=True, current_holder=first_seen, replaced_stale=current, age_s=age_s)
            if remove_if_token(path, current.get("token", "")):
                replaced = current
            continue
        if current is None:
            if check_mode:
                return dict(lock_state="would_take", changed=True, current_holder=first_seen, replaced_stale=replaced, age_s=None)
            if publish(path, holder):
                return dict(lock_state="taken", changed=True, current_holder=first_seen, replaced_stale=replaced, age_s=None)
            # Another run created it between our read and our link: read who, and judge again.
            continue
        if clock() >= deadline:
            raise LockHeld(current, age_s, path)
        sleep(min(1.0, max(0.0, deadline - clock())))


def release(path: str, holder: dict, check_mode: bool = False) -> dict:
    current, age_s = read_lock(path)
    if current is None or current.get("token") != holder["token"]:
        return dict(lock_state="not_ours", changed=False, current_holder=current or {}, replaced_stale={}, age_s=age_s)
    if check_mode:
        return dict(lock_state="released", changed=True, current_holder=current, replaced_stale={}, age_s=age_s)
    changed = remove_if_token(path, holder["token"])
    return dict(lock_state="released" if changed else "not_ours", changed=changed,
                current_holder=current, replaced_stale={}, age_s=age_s)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            holder=dict(type="dict", required=True),
            stale_after_s=dict(type="int", default=21600),
            stale_tokens=dict(type="list", elements="str", default=[], no_log=False),
            wait_s=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    holder = params["holder"]
    token = str(holder.get("token") or "")
    if len(token) < 8:
        module.fail_json(msg="holder.token is required (at least 8 characters): it identifies this run's lock")
    if params["stale_after_s"] < 1 or params["wait_s"] < 0:
        module.fail_json(msg="stale_after_s must be at least 1 and wait_s at least 0")
    path = params["path"]
    try:
        if params["state"] == "absent":
            result = release(path, holder, module.check_mode)
        else:
            result = acquire(path, holder, params["stale_tokens"], params["stale_after_s"], params["wait_s"],
                             module.check_mode)
    except LockHeld as held:
        module.fail_json(
            msg="LOCKED: another rehearsal is running against this host, and nothing was changed. Holder: %s. "
                "Wait for that run to finish; if it is gone, delete the lock file." % held,
            lock_state="held", holder=holder, current_holder=held.holder, replaced_stale={}, age_s=held.age_s)
    except OSError as exc:
        module.fail_json(msg="cannot use the lock file %s: %s" % (path, to_native(exc)), holder=holder)
    module.exit_json(holder=holder, **result)


if __name__ == "__main__":
    main()
