# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outage judge, from availability_probe results shaped as its RETURN documents them."""

from __future__ import annotations

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.outages import judge


def event(name, probes=100, failed=0, window=0.0, recovered=True):
    return {"event": name, "probes": probes, "failed_requests": failed, "longest_window_s": window,
            "first_failure": None if not failed else "2026-12-03T10:00:01+00:00",
            "last_failure": None if not failed else "2026-12-03T10:00:03+00:00", "recovered": recovered}


TARGETS = {"max_window_s": {"deploy": 30, "rollback_container": 60}, "steady_state_events": ["before_deploy"]}


def statuses(judgement):
    return {item["name"].rsplit(" ", 1)[1]: item["status"] for item in judgement["checks"]}


def test_each_event_is_judged_against_its_own_target():
    availability = {"events": [event("before_deploy"), event("deploy", failed=40, window=12.5),
                               event("rollback_container", failed=400, window=75.0), event("roll_forward", failed=3)]}
    judgement = judge({"availability": availability}, TARGETS)
    assert statuses(judgement) == {"before_deploy": "passed", "deploy": "passed", "rollback_container": "failed",
                                   "roll_forward": "passed"}
    by_event = {item["name"]: item for item in judgement["checks"]}
    assert by_event["user-visible outage during rollback_container"]["value"] == 75.0
    assert "above 60 s" in by_event["user-visible outage during rollback_container"]["detail"]
    assert "no target" in by_event["user-visible outage during roll_forward"]["detail"]
    assert judgement["evidence"]["outages"][1] == {
        "event": "deploy", "probes": 100, "failed_requests": 40, "longest_window_s": 12.5,
        "first_failure": "2026-12-03T10:00:01+00:00", "last_failure": "2026-12-03T10:00:03+00:00"}


def test_a_failure_before_anything_changed_fails_and_so_does_an_unrecovered_or_unmeasured_event():
    availability = {"events": [event("before_deploy", failed=1, window=0.1),
                               event("deploy", failed=5, window=1.0, recovered=False),
                               event("rollback_container", probes=0)]}
    assert set(statuses(judge({"availability": availability}, TARGETS)).values()) == {"failed"}


def test_a_prober_that_did_not_run_is_not_measured_never_passed():
    for result in (None, {"failed": True, "msg": "no samples"}, {"skipped": True}):
        judgement = judge({"availability": result}, TARGETS)
        assert [item["status"] for item in judgement["checks"]] == ["skipped"]
        assert judgement["evidence"] == {"outages": None}
