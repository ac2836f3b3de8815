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

from pathlib import Path

import pytest

from harness import Expect, sha256_file

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
        phases += ["load_test", "release_comparison", "rollback_container", "rollback_database", "rollback_config",
                   "post_rollback"]
    bad = {phase: run.phase_status(phase) for phase in phases if run.phase_status(phase) not in ("passed", "warned")}
    expect.equal(bad, {}, "every phase that ran passed or warned")
    expect.that(e2e.previous_version != e2e.good_version, "releases 1 and 2 report different versions")
    if not e2e.fast:
        # Releases 1 and 2 are the same code: the comparison measured both and found no slowdown.
        comparison = run.report.get("release_comparison") or {}
        expect.that(comparison.get("verdict") in ("pass", "marginal"), "the release comparison passed (A/A)",
                    f"{comparison.get('verdict')!r}: {comparison.get('not_compared') or comparison.get('endpoints')}")
        expect.equal(((comparison.get("baseline") or {}).get("version"), (comparison.get("candidate") or {}).get("version")),
                     (e2e.previous_version, e2e.good_version), "it compared release 1 (baseline) with release 2")
    expect.check(run)


def test_report_matches_the_live_stack(e2e):
    """Spot-check of the baseline run's report against what this test measures itself on the
    stack: the release it names runs (image id of the app container, /health version), and
    the backup it names is on disk with the size and sha256 it reports."""
    run = e2e.baseline_run
    expect = Expect("report values against the live stack")
    release = ((run.phases.get("deploy") or {}).get("evidence") or {}).get("images", {}).get("release", {})
    app = e2e.containers().get("app", {})
    expect.equal(release.get("id"), app.get("image"), "the report's release image id is the running app's image")
    status, health = e2e.health()
    expect.equal(status, 200, "/health answers 200")
    expect.equal(release.get("version"), health.get("version"), "the report's release version is the one /health reports")
    expect.equal(health.get("version"), e2e.good_version, "and that is release 2")

    backup = (run.phases.get("backup") or {}).get("evidence") or {}
    dump = Path(backup.get("file", "/nonexistent"))
    expect.that(dump.is_file(), "the backup the report names exists", str(dump))
    if dump.is_file():
        expect.equal(backup.get("size_bytes"), dump.stat().st_size, "its size is the reported size")
        expect.equal(backup.get("sha256"), sha256_file(dump), "its sha256 is the reported sha256")
    expect.check(run)
