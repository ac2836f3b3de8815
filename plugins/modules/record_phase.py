#!/usr/bin/python
# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: record_phase
short_description: Judge a rehearsal phase and record it in the run's results
version_added: 0.3.0
description:
  - The one writer of the results structure C(rehearsal_results) that the report renders. It
    runs on the controller (action plugin) and publishes the results as the host fact
    C(rehearsal_results).
  - With O(judge), the named judge (a pure Python function in the collection's
    C(plugin_utils/judges)) turns the registered probe results O(probes) and the thresholds
    O(targets) into checks; they are added to O(checks).
  - The phase status is O(status) when given, else the worst status of its checks
    (C(failed) > C(warned) > C(passed)); a phase without checks is C(not_run), never C(passed).
  - Without O(phase), only starts the results of this run (or annotates them with O(run)).
    Results carried over from another run (a fact cache) are replaced, never extended.
  - It cannot run in a loop (Ansible applies the facts of a loop's items once, after the
    loop, so only the last item would be kept); include a task file per item instead.
  - It does not fail when the phase failed (Ansible keeps the facts of successful tasks
    only); the task after it stops the play on RV(failure).
notes:
  - With the environment variable E(FP_RECORD_JUDGE_INPUTS) set to a directory on the controller,
    each judged phase's probes, targets and checks are also written there as C(<phase>.json)
    (mode 0600), to show what the judge saw when explaining a verdict or recording test fixtures.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  phase:
    description: Name of the phase to record (see docs/CONVENTIONS.md). Recording a phase again replaces its record (checks and evidence).
    type: str
  started_at:
    description: ISO 8601 start time of the phase. Required with O(phase).
    type: str
  status:
    description: The phase status, when it is not the one its checks add up to (for example V(skipped)).
    type: str
    choices: [passed, warned, failed, skipped, not_run, check_mode]
  checks:
    description: Checks already judged, each with the keys C(name), C(status), C(value), C(target), C(detail).
    type: list
    elements: dict
    default: []
  judge:
    description: Name of the judge that turns O(probes) and O(targets) into more checks.
    type: str
  probes:
    description: Registered results of the phase's probe tasks, as the judge expects them.
    type: dict
    default: {}
  targets:
    description:
      - Thresholds the judge compares the probes with.
      - A judge names the role option each of its targets comes from (its C(TARGET_VARIABLES));
        the targets not given here are read from those variables, so a role usually passes none.
    type: dict
    default: {}
  evidence:
    description: What the report shows as the phase's evidence (merged over the judge's).
    type: dict
    default: {}
  run:
    description: Keys merged into the run's own record (C(rehearsal_results.run)), for example a failure.
    type: dict
    default: {}
extends_documentation_fragment:
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - Records in check mode too; it changes nothing outside the run's variables.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Start the results of this run
  footballpred.rehearsal.record_phase:

- name: Record phase load_test
  footballpred.rehearsal.record_phase:
    phase: load_test
    started_at: "{{ _load_test_started_at }}"
    judge: load_test
    probes:
      summary: "{{ _load_test_summary }}"
    # Targets not given come from the role options the judge names (load_test_p95_ms...).
    targets:
      p95_ms: 500
    evidence:
      run_dir: "{{ _load_test_run_dir }}"
  register: _load_test_record

- name: Stop when the load test failed
  ansible.builtin.fail:
    msg: "{{ _load_test_record.failure }}"
  when: _load_test_record.failure | length > 0
"""

RETURN = r"""
status:
  description: The recorded phase status.
  returned: when O(phase) is given
  type: str
  sample: passed
checks:
  description: The recorded checks.
  returned: when O(phase) is given
  type: list
  elements: dict
  sample: [{"name": "p95 latency", "status": "passed", "value": 120.5, "target": "< 200 ms", "detail": ""}]
failure:
  description: Why the phase failed (the names of its failed checks); empty when it did not fail.
  returned: when O(phase) is given
  type: str
  sample: "phase load_test failed: p95 latency"
phase:
  description: The whole phase record (status, started_at, ended_at, duration_s, checks, evidence).
  returned: when O(phase) is given
  type: dict
ansible_facts:
  description: The results of this run.
  returned: always
  type: dict
  contains:
    rehearsal_results:
      description: C(run) (id, started_at, host, environment) and C(phases) by name.
      type: dict
      returned: always
"""
