# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

MATCH = {"home_team": "Arsenal", "away_team": "Chelsea", "match_date": "2024-12-25T15:00:00Z",
         "league": "Premier League"}

CONTRACT = [
    dict(name="health", path="/health", json_equals={"status": "healthy"}, json_exists=["version", "git_commit"],
         max_latency_ms=2000),
    dict(name="docs", path="/docs"),
    dict(name="metrics", path="/metrics", body_contains=["http_requests_total"]),
    dict(name="models_info", path="/api/v1/models/info",
         json_exists=["models[0]", "models[*].name", "models[*].version", "models[*].stage"]),
    dict(name="matches", method="POST", path="/api/v1/data/matches", body={"limit": 5, "offset": 0},
         json_exists=["matches"]),
    dict(name="predict", method="POST", path="/api/v1/predictions/match", body=MATCH,
         json_exists=["prediction", "confidence"]),
    dict(name="predict_batch", method="POST", path="/api/v1/predictions/match/batch",
         body={"matches": [MATCH, dict(MATCH, home_team="Manchester United", away_team="Liverpool")]},
         json_exists=["predictions[1]", "predictions[*].home_team", "predictions[*].prediction",
                      "predictions[*].confidence"]),
    dict(name="invalid_team", method="POST", path="/api/v1/predictions/match",
         body=dict(MATCH, home_team="Invalid Team Name 123"), status=[400, 404, 422], json_exists=["error"]),
    dict(name="invalid_date", method="POST", path="/api/v1/predictions/match",
         body=dict(MATCH, match_date="invalid-date-format"), status=[400, 422], json_exists=["error"]),
]


def test_live_api_honours_the_contract(ansible_module, api_target):
    run = ansible_module("api_check", dict(base_url=api_target, probes=CONTRACT))

    result = run.result
    assert run.returncode == 0, run.output
    assert result["changed"] is False
    failures = {probe["name"]: probe["failures"] for probe in result["probes"] if not probe["ok"]}
    assert result["ok"] is True, failures
    assert result["summary"] == dict(passed=len(CONTRACT), failed=0, skipped=0, total=len(CONTRACT))
    assert [probe["name"] for probe in result["probes"]] == [probe["name"] for probe in CONTRACT]
    assert all(probe["latency_ms"] > 0 for probe in result["probes"])
    assert result["probes"][0]["json"]["status"] == "healthy"


def test_check_mode_sends_only_read_only_probes(ansible_module, api_target):
    result = ansible_module("api_check", dict(base_url=api_target, probes=CONTRACT), check=True).result

    sent = [probe["name"] for probe in result["probes"] if not probe["skipped"]]
    assert sent == ["health", "docs", "metrics", "models_info"]
    assert result["ok"] is True
    assert result["summary"] == dict(passed=4, failed=0, skipped=5, total=9)


class _Handler(BaseHTTPRequestHandler):
    """An API that is up but unwell: the case a text search for 'healthy' gets wrong."""

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(0.3)
        body = json.dumps({"status": "unhealthy", "checks": {"database": "down"}}).encode()
        self.send_response(503 if self.path == "/health" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def unhealthy_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_unhealthy_api_is_detected(ansible_module, unhealthy_api):
    result = ansible_module("api_check", dict(base_url=unhealthy_api, probes=[
        dict(name="health", path="/health", status=[200, 503], json_equals={"status": "healthy"},
             body_contains=["healthy"]),
        dict(name="slow", path="/slow", max_latency_ms=100),
    ])).result

    health, slow = result["probes"]
    assert result["is_available"] is True and result["ok"] is False
    assert health["status"] == 503
    assert health["failures"] == ["json_equals status: expected 'healthy', got 'unhealthy'"]
    assert slow["reason"].startswith("latency ") and slow["latency_ms"] >= 300
    assert result["summary"] == dict(passed=0, failed=2, skipped=0, total=2)


def test_stopped_api_is_reported_not_failed(ansible_module, stopped_port):
    run = ansible_module("api_check", dict(base_url="http://127.0.0.1:%d" % stopped_port, timeout=3,
                                           probes=[dict(name="health", path="/health")]))

    assert run.returncode == 0 and run.failed is False
    assert run.result["is_available"] is False and run.result["ok"] is False
    assert run.result["probes"][0]["status"] is None
    assert "Connection refused" in run.result["probes"][0]["reason"]


def test_duplicate_probe_names_fail_the_task(ansible_module, stopped_port):
    run = ansible_module("api_check", dict(base_url="http://127.0.0.1:%d" % stopped_port,
                                           probes=[dict(name="a", path="/"), dict(name="a", path="/x")]))

    assert run.failed is True
    assert run.result["msg"] == "probe names must be unique; 'a' is used twice"
