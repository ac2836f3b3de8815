# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What users of the API saw during each event of the rehearsal (availability_probe).

probes: ``availability`` - the result of footballpred.rehearsal.availability_probe with
        state=stopped (its ``events``), or a failed/skipped task result.
targets: ``max_window_s`` - the longest error window each event may have, in seconds, by
         event name (an event without a target is measured and reported, not judged);
         ``steady_state_events`` - events that must show no failed request at all (the
         probes before anything changes).
Checks: one per event, "user-visible outage during <event>". Evidence: ``outages``, the
measured figures per event, as the report JSON carries them.
"""

from __future__ import annotations

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, finished

OUTAGE_KEYS = ("event", "probes", "failed_requests", "longest_window_s", "first_failure", "last_failure")
TARGET_VARIABLES = {"max_window_s": "rehearsal_outage_max_window_s",
                    "steady_state_events": "rehearsal_outage_steady_state_events"}


def event_check(event: dict, max_window_s, steady: bool) -> dict:
    name = f"user-visible outage during {event['event']}"
    window, failed = event["longest_window_s"], event["failed_requests"]
    measured = f"{failed} of {event['probes']} requests failed, longest error window {window} s"
    if event["probes"] == 0:
        return check(name, "failed", None, max_window_s, "the prober sent no request during the event")
    if steady:
        return check(name, "passed" if failed == 0 else "failed", window, 0,
                     measured + ("" if failed == 0 else " before anything changed"))
    if not event.get("recovered", True):
        return check(name, "failed", window, max_window_s, measured + "; not served again by the end of the event")
    if max_window_s is None:
        return check(name, "passed", window, None, measured + " (no target: measured only)")
    ok = window <= float(max_window_s)
    return check(name, "passed" if ok else "failed", window, max_window_s,
                 measured + ("" if ok else f", above {max_window_s} s"))


def judge(probes: dict, targets: dict) -> dict:
    result = probes.get("availability")
    if not finished(result):
        why = (result or {}).get("msg") or "the availability prober did not run"
        return {"checks": [check("user-visible outage", "skipped", None, None, f"not measured: {why}")],
                "evidence": {"outages": None}}
    limits = targets.get("max_window_s") or {}
    steady = set(targets.get("steady_state_events") or [])
    events = result.get("events") or []
    return {"checks": [event_check(event, limits.get(event["event"]), event["event"] in steady) for event in events],
            "evidence": {"outages": [{key: event.get(key) for key in OUTAGE_KEYS} for event in events]}}
