# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""availability_probe through Ansible against a real HTTP server on 127.0.0.1 that this test
takes down (503, then connection refused) and brings back. No stack needed."""

from __future__ import annotations

import http.server
import os
import threading
import time
from datetime import datetime, timezone

import pytest


class Service:
    """An HTTP service on 127.0.0.1 that answers 200, or 503 when degraded, or is stopped."""

    def __init__(self):
        self.degraded = False
        self.server = None
        self.port = None
        self.start()

    def start(self):
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                status = 503 if service.degraded else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self.server.allow_reuse_address = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


@pytest.fixture
def service():
    running = Service()
    yield running
    running.stop()


def test_a_degraded_then_stopped_service_shows_as_bounded_error_windows(ansible_module, service, tmp_path):
    samples = str(tmp_path / "availability samples")  # a space: the prober's paths are quoted nowhere
    started = ansible_module("availability_probe", {"state": "started", "samples_file": samples,
                                                    "base_url": f"http://127.0.0.1:{service.port}/",
                                                    "paths": ["/health", "api/v1/teams"],
                                                    "rate": 20, "timeout": 0.5, "max_duration_s": 60})
    assert not started.failed, started.output
    time.sleep(1.0)
    steady = (now(), None)
    time.sleep(1.0)
    steady = (steady[0], now())
    outage_started = now()
    service.degraded = True
    time.sleep(1.0)
    service.stop()
    time.sleep(1.0)
    service.start()
    service.degraded = False
    time.sleep(1.0)
    outage_ended = now()

    stopped = ansible_module("availability_probe", {"state": "stopped", "samples_file": samples, "events": [
        {"name": "steady", "started_at": steady[0], "ended_at": steady[1]},
        {"name": "outage", "started_at": outage_started, "ended_at": outage_ended}]})
    assert not stopped.failed, stopped.output
    result = stopped.result
    assert result["running"] is True
    steady_event, outage_event = result["events"]
    assert steady_event["event"] == "steady"
    assert steady_event["probes"] >= 20 and steady_event["failed_requests"] == 0  # 2 endpoints x 20/s x 1 s
    assert steady_event["longest_window_s"] == 0 and steady_event["first_failure"] is None
    assert outage_event["failed_requests"] >= 40
    assert 1.5 <= outage_event["longest_window_s"] <= 3.5, outage_event  # ~2 s down, measured per endpoint
    assert outage_event["recovered"] is True
    assert outage_event["first_failure"] >= outage_started
    assert result["overall"]["probes"] >= steady_event["probes"] + outage_event["probes"]

    # The prober is gone: a second stop finds nothing running and reads the same samples.
    again = ansible_module("availability_probe", {"state": "stopped", "samples_file": samples})
    assert again.result["running"] is False and again.result["changed"] is False
    assert again.result["overall"]["probes"] >= result["overall"]["probes"]


def test_the_prober_stops_by_itself_after_its_maximum_duration(ansible_module, service, tmp_path):
    samples = str(tmp_path / "samples")
    started = ansible_module("availability_probe", {"state": "started", "samples_file": samples,
                                                    "base_url": f"http://127.0.0.1:{service.port}",
                                                    "paths": ["/"], "rate": 10,
                                                    "max_duration_s": 1})
    assert not started.failed, started.output
    pid = started.result["pid"]
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            if handle.read().split(") ", 1)[1].startswith("Z"):
                break  # exited, not yet reaped by its parent
        time.sleep(0.2)
    stopped = ansible_module("availability_probe", {"state": "stopped", "samples_file": samples})
    assert stopped.result["running"] is False
    assert 5 <= stopped.result["overall"]["probes"] <= 15  # ~10 requests in its one second


def test_bad_input_is_refused_before_anything_starts(ansible_module, tmp_path):
    refused = ansible_module("availability_probe", {"state": "started", "samples_file": str(tmp_path / "s")})
    assert refused.failed and "paths is required" in refused.result["msg"]
    refused = ansible_module("availability_probe", {"state": "started", "samples_file": str(tmp_path / "s"),
                                                    "paths": ["/"], "base_url": "127.0.0.1:8001"})
    assert refused.failed and "must be an http" in refused.result["msg"]
    refused = ansible_module("availability_probe", {"state": "started", "samples_file": str(tmp_path / "s"),
                                                    "paths": ["/"], "rate": 0})
    assert refused.failed and "must be positive" in refused.result["msg"]
    assert not (tmp_path / "s.pid").exists()
