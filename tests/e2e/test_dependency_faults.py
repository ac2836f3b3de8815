# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A dependency goes down right after the deploy: Redis, the Kafka broker, MLflow.

A before_health hook (-e rehearsal_hooks_dir) stops one service of the e2e stack with
`docker compose stop`. Expected: the health phase fails naming that dependency's check,
the automatic rollback leaves every service running and the last good version serving,
and no data is lost.
"""

from __future__ import annotations

import pytest

from harness import Expect


@pytest.mark.parametrize(("service", "check_pattern"), [
    ("redis", r"^redis PING$"),
    ("kafka", r"^kafka topics$"),
    ("mlflow", r"^mlflow"),
])
def test_dependency_down_is_detected(stack, service, check_pattern):
    before = stack.snapshot()
    run = stack.rehearse(f"fault-{service}-down", hooks={"before_health": stack.hook_stop_service(service)})
    after = stack.snapshot()

    expect = Expect(f"{service} down")
    stack.expect_detected(expect, run, "health", check_pattern)
    expect.that(run.phase_status("deploy") in ("passed", "warned"), "the deploy itself passed (the fault comes after it)",
                f"deploy: {run.phase_status('deploy')}")
    stack.expect_rolled_back(expect, run, before, after)
    expect.check(run)
