# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""record_phase: the pure parts, then the plugin itself in a real ansible-playbook run."""

from __future__ import annotations

import json
import platform
import sys
import types

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.footballpred.rehearsal.plugins.action import record_phase as action
from support.playbook import playbook_argv, run_playbook

ARGS = {"phase": "health", "started_at": "2026-12-03T10:00:00+00:00", "status": None, "checks": [],
        "judge": None, "probes": {}, "targets": {}, "evidence": {}}


def _check(name, status):
    return {"name": name, "status": status, "value": None, "target": None, "detail": ""}


def test_the_worst_check_decides_and_times_are_recorded():
    record = action.phase_record({**ARGS, "checks": [_check("a", "passed"), _check("b", "warned")]},
                                 "2026-12-03T10:00:02.500000+00:00")
    assert record["status"] == "warned"
    assert record["duration_s"] == 2.5
    assert record["ended_at"] == "2026-12-03T10:00:02.500000+00:00"


def test_a_phase_without_checks_is_not_run_and_a_given_status_wins():
    assert action.phase_record(ARGS, "2026-12-03T10:00:01+00:00")["status"] == "not_run"
    record = action.phase_record({**ARGS, "status": "skipped", "checks": [_check("a", "passed")]},
                                 "2026-12-03T10:00:01+00:00")
    assert record["status"] == "skipped"


def test_a_judge_adds_its_checks_and_evidence(monkeypatch):
    def judge(probes, targets):
        ok = probes["latency_ms"] < targets["max_ms"]
        return {"checks": [_check("latency", "passed" if ok else "failed")], "evidence": {"p": 1, "q": 1}}
    monkeypatch.setattr(action.importlib, "import_module", lambda name: types.SimpleNamespace(judge=judge))
    record = action.phase_record({**ARGS, "checks": [_check("given", "passed")], "judge": "latency",
                                  "probes": {"latency_ms": 900}, "targets": {"max_ms": 500},
                                  "evidence": {"q": 2}}, "2026-12-03T10:00:01+00:00")
    assert [item["name"] for item in record["checks"]] == ["given", "latency"]
    assert record["status"] == "failed"
    assert record["evidence"] == {"p": 1, "q": 2}  # the role's evidence over the judge's


def test_a_judge_name_is_a_name_and_must_exist():
    with pytest.raises(AnsibleActionFail, match="not a judge name"):
        action.run_judge("../../etc", {}, {})
    with pytest.raises(AnsibleActionFail, match="no judge 'nosuchjudge'"):
        action.run_judge("nosuchjudge", {}, {})


def test_recording_keeps_other_phases_and_replaces_a_phase_recorded_again():
    run = {"id": "c:1", "started_at": "t0"}
    results = action.recorded(None, "backup", {"status": "passed", "checks": [1], "evidence": {"a": 1}}, run)
    results = action.recorded(results, "deploy", {"status": "failed", "checks": [2]}, run)
    again = action.recorded(results, "backup", {"status": "warned", "checks": [3], "evidence": {"b": 2}}, run)
    assert list(again["phases"]) == ["backup", "deploy"]
    assert again["phases"]["backup"] == {"status": "warned", "checks": [3], "evidence": {"b": 2}}
    assert results["phases"]["backup"]["checks"] == [1], "the earlier results were not copied"


def test_results_of_another_run_are_not_this_runs():
    assert action.current_results({"run": {"id": "ops:1"}, "phases": {}}, "ops:1") is not None
    assert action.current_results({"run": {"id": "ops:2"}, "phases": {"x": {}}}, "ops:1") is None
    assert action.current_results({"run": {}, "phases": {}}, "ops:1") is None


def test_failure_text_names_the_failed_checks():
    record = {"status": "failed", "checks": [_check("a", "passed"), _check("p95", "failed"), _check("errors", "failed")]}
    assert action.failure_text("load_test", record) == "phase load_test failed: p95, errors"
    assert action.failure_text("load_test", {**record, "status": "warned"}) == ""


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    rehearsal_environment: staging
  tasks:
    - footballpred.rehearsal.record_phase:
    - footballpred.rehearsal.record_phase:
        phase: backup
        started_at: "2026-12-03T10:00:00+00:00"
        checks: [{name: dump, status: passed, value: 1, target: 1, detail: ""}]
    - footballpred.rehearsal.record_phase:
        run: {failure: {phase: deploy}}
    - name: Record a failed phase
      footballpred.rehearsal.record_phase:
        phase: deploy
        started_at: "2026-12-03T10:00:01+00:00"
        checks: [{name: gate, status: failed, value: null, target: up, detail: down}]
      register: deploy_record
    - name: A loop is refused
      footballpred.rehearsal.record_phase:
        phase: "drill_{{ item }}"
        started_at: "2026-12-03T10:00:02+00:00"
      loop: [a, b]
      ignore_errors: true
      register: looped
    - ansible.builtin.copy:
        content: "{{ {'results': rehearsal_results, 'deploy': deploy_record, 'looped': looped} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def test_in_a_real_run_the_results_are_a_fact_and_a_failed_phase_says_why(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    out = tmp_path / "out.json"
    argv = playbook_argv(playbook, inventory="localhost,", args=["-c", "local"],
                         extra_vars={"out": str(out), "ansible_python_interpreter": sys.executable})
    proc = run_playbook(argv, env={"ANSIBLE_NOCOLOR": "1"}, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    results = written["results"]
    assert results["run"]["environment"] == "staging"
    assert results["run"]["failure"] == {"phase": "deploy"}
    node, pid = results["run"]["id"].rsplit(":", 1)
    assert node == platform.node() and int(pid) > 1
    assert {name: phase["status"] for name, phase in results["phases"].items()} == {
        "backup": "passed", "deploy": "failed"}
    assert written["deploy"]["failure"] == "phase deploy failed: gate"
    assert written["looped"]["failed"] is True
    assert all("cannot run in a loop" in item["msg"] for item in written["looped"]["results"])
    assert written["deploy"].get("failed") is not True


def test_targets_not_given_come_from_the_role_options_the_judge_names():
    judge = types.SimpleNamespace(TARGET_VARIABLES={"p95_ms": "load_test_p95_ms", "errors": "load_test_errors",
                                                    "absent": "load_test_not_defined"})
    options = {"load_test_p95_ms": 1000, "load_test_errors": 5}

    def variable(name):
        return options[name]  # KeyError for an option that is not defined

    assert action.targets_by_name(judge, {"p95_ms": 250}, variable) == {"p95_ms": 250, "errors": 5}
    assert action.targets_by_name(types.SimpleNamespace(), {"x": 1}, variable) == {"x": 1}


def test_with_the_record_variable_each_judged_phase_leaves_its_inputs(monkeypatch, tmp_path):
    def judge(probes, targets):
        return {"checks": [_check("latency", "passed" if probes["ms"] < targets["max_ms"] else "failed")]}
    monkeypatch.setattr(action.importlib, "import_module",
                        lambda name: types.SimpleNamespace(judge=judge, TARGET_VARIABLES={"max_ms": "opt_max_ms"}))
    monkeypatch.setenv(action.RECORD_INPUTS_ENV, str(tmp_path / "inputs"))
    action.phase_record({**ARGS, "judge": "latency", "probes": {"ms": 900}}, "2026-12-03T10:00:01+00:00",
                        variable={"opt_max_ms": 500}.__getitem__)
    written = tmp_path / "inputs" / "health.json"
    assert json.loads(written.read_text(encoding="utf-8")) == {
        "judge": "latency", "probes": {"ms": 900}, "targets": {"max_ms": 500},
        "checks": [_check("latency", "failed")]}
    assert written.stat().st_mode & 0o777 == 0o600
