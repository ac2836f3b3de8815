# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the end-to-end fault suite (run it with scripts/e2e.sh; see README.md).

The suite is opt-in: without FP_E2E=1 every test here is skipped, so a bare `pytest`
never starts a stack. Environment:

  FP_E2E=1            run the suite (scripts/e2e.sh sets it)
  FP_E2E_FAST=1       the CI subset's session: release 2 is deployed by a rehearsal that
                      skips load_test and rollback (scripts/e2e.sh --fast also selects -m fast)
  FP_E2E_WORK=DIR     work directory (default /var/tmp/fp-e2e/<UTC stamp>)
  FP_E2E_KEEP=1       keep the e2e app image tags and the project's wheelhouse at the end
                      (the stack itself is always taken down with its volumes)
  FP_E2E_PORT_BASE=N  ports = staging ports + N (default 30000)
  FP_E2E_PROJECT=NAME compose project and app image name (default footballpred-e2e)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import E2EError, E2EStack, log  # noqa: E402  pylint: disable=wrong-import-position

# Fault families in the order they run: the cheap refusals first, the secret scan last
# (it reads the output of every run before it).
MODULE_ORDER = ["test_baseline", "test_preflight_faults", "test_backup_faults", "test_deploy_faults",
                "test_dependency_faults", "test_load_faults", "test_check_mode", "test_retention", "test_secrets"]

ENABLED = os.environ.get("FP_E2E") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "fast: part of the CI subset (scripts/e2e.sh --fast)")


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    here = Path(__file__).resolve().parent
    ours = [item for item in items if Path(str(item.fspath)).resolve().parent == here]
    if not ENABLED:
        skip = pytest.mark.skip(reason="end-to-end fault suite: run scripts/e2e.sh (or set FP_E2E=1)")
        for item in ours:
            item.add_marker(skip)
        return

    def rank(item):
        name = Path(str(item.fspath)).stem
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    others = [item for item in items if item not in ours]
    items[:] = others + sorted(ours, key=rank)  # sorted() is stable: file order kept within a module


@pytest.fixture(scope="session")
def e2e():
    """The isolated stack with releases 1 and 2 deployed; down --volumes at the end."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = Path(os.environ.get("FP_E2E_WORK") or f"/var/tmp/fp-e2e/{stamp}")
    work.mkdir(parents=True, exist_ok=True)
    stack = E2EStack(work, fast=os.environ.get("FP_E2E_FAST") == "1", keep=os.environ.get("FP_E2E_KEEP") == "1")
    log(f"work dir {work} ({'fast' if stack.fast else 'full'} session)")
    try:
        stack.prepare()
        stack.deploy_baselines()
    except BaseException:
        _finish(stack)
        raise
    yield stack
    _finish(stack)


def _finish(stack: E2EStack) -> None:
    summary = {
        "work": str(stack.work),
        "timings": stack.timings,
        "runs": [{"name": run.name, "exit": run.returncode, "seconds": round(run.seconds, 1),
                  "verdict": run.verdict, "report": str(run.report_paths.get("json", "")),
                  "phases": {name: phase.get("status") for name, phase in run.phases.items()}}
                 for run in stack.runs],
    }
    (stack.work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    try:
        stack.teardown()
    except E2EError as error:
        log(f"teardown: {error}")
    log(f"summary: {stack.work / 'summary.json'}")


@pytest.fixture()
def stack(e2e):  # pylint: disable=redefined-outer-name
    """The e2e stack, back at release 2 with all services up before each scenario."""
    reset = e2e.reset_to_baseline()
    if reset:
        log("reset before the scenario: " + "; ".join(reset))
    return e2e
