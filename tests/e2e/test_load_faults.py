# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint slowed past the load test's p95 threshold.

The release is deployed with FAULT_SLOW_MS=1500 in its env file (deploy_env_overrides,
carried in full because an extra var replaces the whole mapping): every prediction
request then takes 1.5 s. The load test keeps its real thresholds (p95 < 1000 ms); its
stages are shortened to 5 s -> 5 users, 10 s -> 5 users, 5 s -> 0 (load_test_stages), so
the scenario stays cheap and the traffic bounded. The functional phase is skipped
(--skip-tags functional): its single-prediction latency budget (1000 ms) would stop the
run at a 1.5 s prediction before the load test, and this scenario is about the load test.

Expected: the load_test phase fails on p95, the release comparison fails the prediction
endpoint against the baseline measured before the deploy, the automatic rollback leaves the last good
version serving at normal speed, and no data is lost (the predictions the load test
wrote are rolled back with the pre-deploy backup).
"""

from __future__ import annotations

from harness import Expect, deploy_env_overrides_with

SLOW_MS = 1500
SHORT_STAGES = [{"duration_s": 5, "target_users": 5}, {"duration_s": 10, "target_users": 5},
                {"duration_s": 5, "target_users": 0}]


def test_slow_endpoint_fails_the_load_test(stack):
    fast_before_ms = stack.predict_ms()  # (writes a prediction: before the snapshot)
    before = stack.snapshot()
    run = stack.rehearse(
        "fault-slow-endpoint",
        extra_vars={"deploy_env_overrides": deploy_env_overrides_with({"FAULT_SLOW_MS": str(SLOW_MS)}),
                    "load_test_stages": SHORT_STAGES},
        skip_tags=["functional"])
    after = stack.snapshot()
    slow_after_ms = stack.predict_ms() if after["health_status"] == 200 else -1.0
    env_after = (stack.project / ".env.staging").read_text()

    expect = Expect("slow endpoint")
    check = stack.expect_detected(expect, run, "load_test", r"p95")
    plan = (run.phases.get("deploy", {}).get("evidence") or {}).get("plan") or {}
    expect.that(plan.get("env_changes") in (True, "True", "true"), "the fault was deployed (the deploy rendered a changed env file)",
                f"deploy plan: {plan.get('actions')}")
    p95 = (run.phases.get("load_test", {}).get("evidence") or {}).get("p95_ms")
    expect.that(isinstance(p95, (int, float)) and p95 >= 1000, "the measured p95 is past 1000 ms",
                f"p95 {p95} ms; check {check}")
    comparison = run.report.get("release_comparison") or {}
    slow_rows = [row for row in comparison.get("endpoints") or [] if row.get("endpoint") == "POST /api/v1/predictions/match"]
    expect.that(comparison.get("verdict") == "fail" and slow_rows and slow_rows[0].get("verdict") == "fail",
                "the release comparison fails the slowed endpoint against the baseline",
                f"{comparison.get('verdict')!r}: {slow_rows or comparison.get('not_compared')}")
    stack.expect_rolled_back(expect, run, before, after)
    expect.that(slow_after_ms < 1000,
                "after the rollback a prediction is fast again (the slow config was rolled back)",
                f"{slow_after_ms:.0f} ms (before the run {fast_before_ms:.0f} ms); "
                f"FAULT_SLOW_MS still in .env.staging: {f'FAULT_SLOW_MS={SLOW_MS}' in env_after}")
    expect.check(run)
