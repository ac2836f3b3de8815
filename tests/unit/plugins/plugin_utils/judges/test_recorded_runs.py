# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every judge, fed what it saw in a real rehearsal, decides what it decided then.

fixtures/recorded/<run>/<phase>.json were written by record_phase in real runs on the local
stack (FP_RECORD_JUDGE_INPUTS, scripts/record-judge-fixtures.sh): the probes, the targets
and the checks the judge returned. A judge change that alters a verdict on real data shows
here; so does a module whose return shape drifted away from what its judge reads.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
JUDGES = "ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges"
CASES = sorted(RECORDED.glob("*/*.json"))


def test_real_runs_were_recorded_for_every_phase_with_a_judge():
    judges = {json.loads(path.read_text(encoding="utf-8"))["judge"] for path in CASES}
    assert {"preflight", "backup", "deploy", "health", "functional", "load_test"} <= judges


@pytest.mark.parametrize("case", CASES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_judge_decides_on_the_recorded_run_as_it_did_then(case):
    recorded = json.loads(case.read_text(encoding="utf-8"))
    judge = importlib.import_module(f"{JUDGES}.{recorded['judge']}").judge
    checks = judge(recorded["probes"], recorded["targets"])["checks"]
    assert checks == recorded["checks"]
