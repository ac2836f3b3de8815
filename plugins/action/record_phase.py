# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""footballpred.rehearsal.record_phase: the one writer of ``rehearsal_results``.

Runs on the controller only. It judges (a judge from plugin_utils/judges, by name), merges
the phase record into the results and publishes them as the host fact
``rehearsal_results``. It never fails because the phase failed: Ansible keeps the facts of
successful tasks only, so the record would be lost. It returns ``failure`` (the names of the
failed checks) for the task after it that stops the play.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import platform
import re
from datetime import datetime, timezone

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import (
    STATUSES, elapsed_seconds, phase_status)

JUDGES_PACKAGE = "ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges"
RESULTS = "rehearsal_results"
# A directory: each judged phase's inputs and checks are written there as <phase>.json, the
# judge's view of a real run (the unit tests' recorded fixtures come from it).
RECORD_INPUTS_ENV = "FP_RECORD_JUDGE_INPUTS"

ARGUMENT_SPEC = {
    "phase": {"type": "str"},
    "started_at": {"type": "str"},
    "status": {"type": "str", "choices": list(STATUSES) + ["check_mode"]},
    "checks": {"type": "list", "elements": "dict", "default": []},
    "judge": {"type": "str"},
    "probes": {"type": "dict", "default": {}},
    "targets": {"type": "dict", "default": {}},
    "evidence": {"type": "dict", "default": {}},
    "run": {"type": "dict", "default": {}},
}


def this_run_id() -> str:
    """This ansible-playbook run: task workers are forked from its process. Results carried
    over from another run (a fact cache, AWX's included) are not this run's."""
    return f"{platform.node()}:{os.getppid()}"


def current_results(results, run_id: str):
    """The results of this run, or None when ``results`` belong to another run."""
    if isinstance(results, dict) and results.get("run", {}).get("id") == run_id:
        return results
    return None


def merged(base: dict, update: dict) -> dict:
    """``base`` updated by ``update``, dicts merged recursively, anything else replaced
    (as ``combine(..., recursive=true)`` did when the results were a set_fact)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def judge_module(name: str):
    """The judge called ``name`` (a module of plugin_utils/judges with a ``judge()``)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise AnsibleActionFail(f"record_phase: judge {name!r} is not a judge name")
    try:
        return importlib.import_module(f"{JUDGES_PACKAGE}.{name}")
    except ImportError as exc:
        raise AnsibleActionFail(f"record_phase: no judge {name!r} ({exc})") from exc


def targets_by_name(module, given: dict, variable) -> dict:
    """The targets passed to the task, completed from the role options the judge names.

    A judge declares ``TARGET_VARIABLES = {"p95_ms": "load_test_p95_ms", ...}``: the role
    option each target comes from. ``variable(name)`` gives an option's value, or raises
    KeyError when it is not defined (that target is then left out, as if not passed).
    """
    targets = dict(given)
    for key, name in getattr(module, "TARGET_VARIABLES", {}).items():
        if key not in targets:
            try:
                targets[key] = variable(name)
            except KeyError:
                pass
    return targets


def run_judge(name: str, probes: dict, targets: dict) -> dict:
    """The judge ``name``'s checks and evidence."""
    judgement = judge_module(name).judge(probes, targets)
    return {"checks": list(judgement.get("checks", [])), "evidence": dict(judgement.get("evidence") or {})}


def write_judge_inputs(directory: str, phase: str, judge: str, probes: dict, targets: dict, checks: list) -> None:
    """``<directory>/<phase>.json``, readable by its owner only (probes may name hosts)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{phase}.json")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"judge": judge, "probes": probes, "targets": targets, "checks": checks},
                  handle, indent=2, default=str)  # key order kept: judges list in it


def phase_record(args: dict, ended_at: str, variable=None) -> dict:
    """The phase as it goes into the results: status, times, checks, evidence.
    ``variable`` looks up the role options a judge takes its targets from."""
    checks = list(args["checks"])
    evidence = dict(args["evidence"])
    if args.get("judge"):
        targets = args["targets"]
        if variable is not None:
            targets = targets_by_name(judge_module(args["judge"]), targets, variable)
        judgement = run_judge(args["judge"], args["probes"], targets)
        if os.environ.get(RECORD_INPUTS_ENV) and args.get("phase"):
            write_judge_inputs(os.environ[RECORD_INPUTS_ENV], args["phase"], args["judge"], args["probes"],
                               targets, judgement["checks"])
        checks += judgement["checks"]
        evidence = merged(judgement["evidence"], evidence)
    return {
        "status": args.get("status") or phase_status(checks),
        "started_at": args["started_at"],
        "ended_at": ended_at,
        "duration_s": elapsed_seconds(args["started_at"], ended_at),
        "checks": checks,
        "evidence": evidence,
    }


def recorded(results: dict | None, phase: str, record: dict, run: dict) -> dict:
    """The results with ``record`` as phase ``phase``; ``run`` starts results that do not exist yet."""
    base = copy.deepcopy(results) if results else {"run": run, "phases": {}}
    base.setdefault("phases", {})[phase] = record  # a phase recorded again is replaced, evidence too
    return base


def failure_text(phase: str, record: dict) -> str:
    """Why the phase failed ("" when it did not)."""
    if record["status"] != "failed":
        return ""
    failed = [item.get("name", "?") for item in record["checks"] if item.get("status") == "failed"]
    return f"phase {phase} failed: {', '.join(failed) or 'see the report'}"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        if self._task.loop is not None or self._task.loop_with:
            # Ansible applies the facts of a loop's items only once, after the loop: every
            # item would start from the same results, and only the last would be kept.
            raise AnsibleActionFail("record_phase cannot run in a loop: include a task file per item")
        given = dict(self._task.args or {})
        if given.get("status") in ("", None):  # "{{ 'skipped' if ... else '' }}": no override
            given.pop("status", None)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(given)
        if validation.error_messages:
            raise AnsibleActionFail("record_phase: " + "; ".join(validation.error_messages))
        args = validation.validated_parameters
        if args.get("phase") and not args.get("started_at"):
            raise AnsibleActionFail(f"record_phase: phase {args['phase']}: started_at is required")

        now = datetime.now(timezone.utc).isoformat()
        run_id = this_run_id()
        current = (task_vars.get("ansible_facts") or {}).get(RESULTS)
        if current is None:  # results given as a variable (a test, or a user's extra vars)
            current = task_vars.get(RESULTS)
        if current is not None:
            current = current_results(self._templar.template(current), run_id)
        run = {"id": run_id, "started_at": now, "host": task_vars.get("inventory_hostname"),
               "environment": self._templar.template(task_vars.get("rehearsal_environment", "unknown"))}
        results = current or {"run": run, "phases": {}}
        if args["run"]:
            results = merged(results, {"run": args["run"]})
        if not args.get("phase"):  # only start (or annotate) the results of this run
            result.update(changed=False, ansible_facts={RESULTS: results})
            return result

        def variable(name):
            if name not in task_vars:
                raise KeyError(name)
            return self._templar.template(task_vars[name])

        record = phase_record(args, now, variable)
        results = recorded(results, args["phase"], record, run)
        result.update(changed=False, phase=record, status=record["status"], checks=record["checks"],
                      failure=failure_text(args["phase"], record), ansible_facts={RESULTS: results})
        return result
