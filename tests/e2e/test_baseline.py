# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control: without a fault, the rehearsal of release 2 on the e2e stack does not fail.

Every fault scenario expects verdict failed; this shows the same stack, inventory and
command give a non-failed verdict when nothing is injected, so a failure below is the
fault's doing. In the full session release 2 is deployed by the full rehearsal (every
phase); in the fast session load_test and rollback are skipped (verdict incomplete).
"""

from __future__ import annotations

import pytest

from harness import Expect

pytestmark = pytest.mark.fast


def test_rehearsal_without_fault_does_not_fail(e2e):
    run = e2e.baseline_run
    expect = Expect("rehearsal without a fault")
    expect.equal(run.returncode, 0, "exit code")
    wanted = ("incomplete",) if e2e.fast else ("passed", "warned")
    expect.that(run.verdict in wanted, f"verdict is one of {wanted}", f"got {run.verdict!r}: "
                f"{(run.report.get('verdict') or {}).get('reasons')}")
    phases = ["preflight", "backup", "deploy", "health", "functional"]
    if not e2e.fast:
        phases += ["load_test", "rollback_container", "rollback_database", "rollback_config", "post_rollback"]
    bad = {phase: run.phase_status(phase) for phase in phases if run.phase_status(phase) not in ("passed", "warned")}
    expect.equal(bad, {}, "every phase that ran passed or warned")
    expect.that(e2e.previous_version != e2e.good_version, "releases 1 and 2 report different versions")
    expect.check(run)
