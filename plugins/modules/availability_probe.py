#!/usr/bin/python
# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: availability_probe
short_description: Measure what users of the API see while the rehearsal changes the stack
version_added: 0.4.0
description:
  - With O(state=started), starts a prober on the target, a separate process that sends GET
    requests to each of O(paths) of O(base_url) at O(rate) per second and appends one line per request to
    O(samples_file). It stops by itself after O(max_duration_s).
  - With O(state=stopped), stops the prober (when it still runs), reads its samples and
    returns, for the whole run and for each of O(events), the requests, the failed requests
    and the longest error window.
  - An error window of an endpoint runs from its first failed request to its next successful
    one, the moment users were served again; a request fails when it gets no answer, or a
    status of 400 or more, within O(timeout) seconds.
  - The prober needs only the Python standard library of the target.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  state:
    description: Start the prober, or stop it and summarise what it measured.
    type: str
    choices: [started, stopped]
    required: true
  samples_file:
    description:
      - File of the samples; the prober's pid and stop files are written beside it
        (C(<samples_file>.pid), C(<samples_file>.stop)).
      - Starting again with the same file adds to it; remove it first for a fresh measurement.
    type: path
    required: true
  base_url:
    description:
      - Base URL of the API. The playbooks give it to the C(api) action group from the
        inventory's C(rehearsal_api_base_url) (module_defaults).
    type: str
    default: http://127.0.0.1:8001
  paths:
    description: Endpoints to probe, as paths under O(base_url). Required with O(state=started).
    type: list
    elements: str
    default: []
  rate:
    description: Requests per second to each endpoint.
    type: float
    default: 10.0
  timeout:
    description: Seconds a request may take before it counts as failed.
    type: float
    default: 1.0
  max_duration_s:
    description: The prober stops by itself after this many seconds, whatever happens to the play.
    type: int
    default: 3600
  events:
    description:
      - With O(state=stopped), the spans to summarise apart (a deploy, a rollback drill).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the event.
        type: str
        required: true
      started_at:
        description: ISO 8601 start of the event.
        type: str
        required: true
      ended_at:
        description: ISO 8601 end of the event.
        type: str
        required: true
extends_documentation_fragment:
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the prober is neither started nor stopped; a stop reads what a prober
        started outside check mode measured.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Start measuring what users see
  footballpred.rehearsal.availability_probe:
    state: started
    samples_file: /var/tmp/rehearsal/availability.samples
    base_url: http://127.0.0.1:8001
    paths: [/health, /api/v1/teams]

- name: Stop, and summarise the deploy apart
  footballpred.rehearsal.availability_probe:
    state: stopped
    samples_file: /var/tmp/rehearsal/availability.samples
    events:
      - name: deploy
        started_at: "{{ deploy_started_at }}"
        ended_at: "{{ deploy_ended_at }}"
  register: availability
"""

RETURN = r"""
pid:
  description: Process id of the prober.
  returned: O(state=started), not in check mode
  type: int
running:
  description: Whether the prober was still running when it was stopped.
  returned: O(state=stopped)
  type: bool
overall:
  description: The whole measurement, with the keys of an RV(events) item but C(event).
  returned: O(state=stopped)
  type: dict
events:
  description: One summary per O(events) item, in their order.
  returned: O(state=stopped)
  type: list
  elements: dict
  contains:
    event:
      description: Name of the event.
      type: str
    probes:
      description: Requests sent during the event.
      type: int
    failed_requests:
      description: Requests that failed.
      type: int
    longest_window_s:
      description: Longest error window of an endpoint, in seconds (0 without failures).
      type: float
    first_failure:
      description: ISO 8601 time of the first failed request, or null.
      type: str
    last_failure:
      description: ISO 8601 time of the last failed request, or null.
      type: str
    recovered:
      description: Whether every endpoint answered again after its last failure.
      type: bool
"""

import json
import os
import signal
import sys
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils import availability

STOP_WAIT_S = 10
START_WAIT_S = 10


def spawn_detached(argv: list) -> None:
    """Run ``argv`` in a new session, detached from this module (double fork, as Ansible's
    async_wrapper does): the task returns while the prober goes on."""
    child = os.fork()
    if child == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for descriptor in (0, 1, 2):
                    os.dup2(null, descriptor)
                os.closerange(3, 4096)
                os.execv(argv[0], argv)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def iso(moment):
    return None if moment is None else datetime.fromtimestamp(moment, timezone.utc).isoformat()


def unix_time(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def with_iso_times(summary: dict) -> dict:
    return dict(summary, first_failure=iso(summary["first_failure"]), last_failure=iso(summary["last_failure"]))


def prober_pid(samples_file: str):
    """The pid of the prober of ``samples_file`` when it is alive (and is that prober)."""
    try:
        with open(samples_file + ".pid", encoding="utf-8") as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if samples_file in cmdline else None


def start(module) -> dict:
    params = module.params
    if not params["paths"]:
        module.fail_json(msg="paths is required to start the prober")
    if not params["base_url"].startswith(("http://", "https://")):
        module.fail_json(msg="base_url must be an http:// or https:// URL, not %r" % params["base_url"])
    urls = [params["base_url"].rstrip("/") + "/" + path.lstrip("/") for path in params["paths"]]
    if params["rate"] <= 0 or params["timeout"] <= 0 or params["max_duration_s"] <= 0:
        module.fail_json(msg="rate, timeout and max_duration_s must be positive")
    samples = params["samples_file"]
    running = prober_pid(samples)
    if running:
        module.fail_json(msg="a prober already writes %s (pid %d)" % (samples, running))
    if module.check_mode:
        return dict(changed=True)
    os.makedirs(os.path.dirname(samples) or ".", exist_ok=True)
    script = samples + ".prober.py"
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(availability.__loader__.get_source(availability.__name__))
    for stale in (samples + ".stop", samples + ".pid"):
        if os.path.exists(stale):
            os.unlink(stale)
    spec = dict(urls=urls, rate=params["rate"], timeout=params["timeout"],
                max_duration_s=params["max_duration_s"], samples_file=samples, stop_file=samples + ".stop",
                pid_file=samples + ".pid")
    spawn_detached([sys.executable, script, json.dumps(spec)])
    deadline = time.monotonic() + START_WAIT_S
    while prober_pid(samples) is None:
        if time.monotonic() > deadline:
            module.fail_json(msg="the prober did not start within %d s (%s)" % (START_WAIT_S, script))
        time.sleep(0.05)
    return dict(changed=True, pid=prober_pid(samples))


def stop(module) -> dict:
    params = module.params
    samples = params["samples_file"]
    pid = prober_pid(samples)
    if pid and not module.check_mode:
        with open(samples + ".stop", "w", encoding="utf-8"):
            pass
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        while prober_pid(samples) and time.monotonic() < deadline:
            time.sleep(0.1)
    try:
        with open(samples, encoding="utf-8") as handle:
            measured = availability.parse_samples(handle.read())
    except OSError as exc:
        module.fail_json(msg="no samples in %s: %s" % (samples, exc))
    events = []
    for event in params["events"]:
        try:
            span = unix_time(event["started_at"]), unix_time(event["ended_at"])
        except ValueError as exc:
            module.fail_json(msg="event %s: %s" % (event["name"], exc))
        events.append(dict(event=event["name"], **with_iso_times(availability.summarise(measured, *span))))
    return dict(changed=bool(pid) and not module.check_mode, running=bool(pid),
                overall=with_iso_times(availability.summarise(measured)), events=events)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["started", "stopped"]),
            samples_file=dict(type="path", required=True),
            base_url=dict(type="str", default="http://127.0.0.1:8001"),
            paths=dict(type="list", elements="str", default=[]),
            rate=dict(type="float", default=10.0),
            timeout=dict(type="float", default=1.0),
            max_duration_s=dict(type="int", default=3600),
            events=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                started_at=dict(type="str", required=True),
                ended_at=dict(type="str", required=True),
            )),
        ),
        supports_check_mode=True,
    )
    result = start(module) if module.params["state"] == "started" else stop(module)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
