# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.footballpred.rehearsal.plugins.modules import api_check


def response(status=200, body=None, latency_ms=5.0, content_type="application/json", reached=True, error=""):
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    return dict(reached=reached, status=status if reached else None,
                headers={"content-type": content_type} if reached else {}, body=raw, latency_ms=latency_ms,
                error=error)


class FakeApi:
    def __init__(self, routes):
        self.routes = routes
        self.requests = []
        self.lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, context=None):
        with self.lock:
            self.requests.append(dict(url=url, method=method, body=body, headers=headers, timeout=timeout))
        answer = self.routes[(method, url.split("8001", 1)[1])]
        return answer() if callable(answer) else answer


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi({
        ("GET", "/health"): response(body={"status": "healthy", "version": "1.1.0"}),
        ("GET", "/metrics"): response(body=b"# TYPE http_requests_total counter\nhttp_requests_total 7\n",
                                      content_type="text/plain"),
        ("GET", "/api/v1/models/info"): response(body={"models": [
            {"name": "football-match-predictor", "version": "2", "stage": "Staging"}]}),
        ("POST", "/api/v1/predictions/match"): response(body={"prediction": "home_win", "confidence": 0.61}),
    })
    monkeypatch.setattr(api_check, "http_request", fake)
    return fake


def probe(name, path, **extra):
    return dict(dict(name=name, path=path), **extra)


def test_all_probes_pass_in_order(run_module, api):
    result = run_module(api_check, dict(probes=[
        probe("health", "/health", json_equals={"status": "healthy"}, max_latency_ms=2000),
        probe("metrics", "/metrics", body_contains=["http_requests_total"]),
        probe("models", "/api/v1/models/info", json_exists=["models[*].name", "models[*].stage"],
              json_equals={"models[0].version": "2"}),
    ])).result

    assert result["changed"] is False
    assert result["ok"] is True and result["is_available"] is True and result["error"] == ""
    assert result["summary"] == dict(passed=3, failed=0, skipped=0, total=3)
    assert [entry["name"] for entry in result["probes"]] == ["health", "metrics", "models"]
    health = result["probes"][0]
    assert health["status"] == 200 and health["latency_ms"] == 5.0 and health["reason"] == ""
    assert health["json"] == {"status": "healthy", "version": "1.1.0"}
    assert health["url"] == "http://127.0.0.1:8001/health"
    metrics = result["probes"][1]
    assert metrics["json"] is None and metrics["body_excerpt"].startswith("# TYPE http_requests_total")


def test_unhealthy_is_not_healthy(run_module, api):
    api.routes[("GET", "/health")] = response(body={"status": "unhealthy"})
    result = run_module(api_check, dict(probes=[
        probe("health", "/health", json_equals={"status": "healthy"}),
        probe("health_text", "/health", body_contains=["healthy"], body_not_contains=["unhealthy"]),
    ])).result

    first, second = result["probes"]
    assert first["ok"] is False
    assert first["reason"] == "json_equals status: expected 'healthy', got 'unhealthy'"
    assert second["ok"] is False and second["failures"] == ["body contains 'unhealthy'"]
    assert result["ok"] is False and result["summary"] == dict(passed=0, failed=2, skipped=0, total=2)
    assert result["error"] == "health: json_equals status: expected 'healthy', got 'unhealthy'"


def test_json_equality_is_type_strict(run_module, api):
    api.routes[("GET", "/health")] = response(body={"status": "healthy", "ready": 1, "workers": 2})
    result = run_module(api_check, dict(probes=[
        probe("bool_vs_int", "/health", json_equals={"ready": True}),
        probe("str_vs_int", "/health", json_equals={"workers": "2"}),
        probe("int_vs_float", "/health", json_equals={"workers": 2.0}),
    ])).result

    assert [entry["ok"] for entry in result["probes"]] == [False, False, True]


def test_post_sends_json_body_and_accepts_listed_error_status(run_module, api):
    api.routes[("POST", "/api/v1/predictions/match")] = response(422, {"error": "unknown team"})
    result = run_module(api_check, dict(probes=[
        probe("invalid_team", "/api/v1/predictions/match", method="POST",
              body={"home_team": "Invalid Team Name 123", "away_team": "Chelsea"},
              status=[400, 404, 422], json_exists=["error"]),
    ])).result

    assert result["probes"][0]["ok"] is True and result["probes"][0]["status"] == 422
    sent = api.requests[0]
    assert json.loads(sent["body"]) == {"home_team": "Invalid Team Name 123", "away_team": "Chelsea"}
    assert sent["headers"]["Content-Type"] == "application/json"


def test_single_status_code_is_accepted_as_int(run_module, api):
    result = run_module(api_check, dict(probes=[probe("health", "/health", status=204)])).result
    assert result["probes"][0]["reason"] == "status 200 not in [204]"


def test_latency_budget(run_module, api):
    api.routes[("GET", "/health")] = response(body={"status": "healthy"}, latency_ms=2300.0)
    result = run_module(api_check, dict(probes=[probe("health", "/health", max_latency_ms=2000)])).result
    assert result["probes"][0]["reason"] == "latency 2300 ms over budget 2000 ms"


def test_json_checks_on_a_non_json_body(run_module, api):
    result = run_module(api_check, dict(probes=[probe("metrics", "/metrics", json_exists=["status"])])).result
    assert result["probes"][0]["reason"].startswith("body is not JSON")


def test_every_failure_is_listed(run_module, api):
    api.routes[("GET", "/health")] = response(500, {"detail": "boom"}, latency_ms=50.0)
    result = run_module(api_check, dict(probes=[
        probe("health", "/health", json_exists=["status"], body_contains=["healthy"], max_latency_ms=10),
    ])).result

    assert result["probes"][0]["failures"] == [
        "status 500 not in [200]", "latency 50 ms over budget 10 ms", "body lacks 'healthy'",
        "json path status missing"]


def test_api_down_is_a_result(run_module, api):
    down = response(reached=False, error="ConnectionRefusedError: [Errno 111] Connection refused")
    api.routes = {key: down for key in api.routes}
    outcome = run_module(api_check, dict(probes=[probe("health", "/health"), probe("metrics", "/metrics")]))

    assert outcome.failed is False
    assert outcome.result["is_available"] is False and outcome.result["ok"] is False
    assert outcome.result["probes"][0]["status"] is None
    assert outcome.result["probes"][0]["reason"] == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_large_json_is_truncated_but_still_json(run_module, api):
    api.routes[("GET", "/health")] = response(body={"items": list(range(100)), "text": "x" * 2000})
    result = run_module(api_check, dict(max_json_items=5, max_string_length=10,
                                        probes=[probe("health", "/health")])).result

    entry = result["probes"][0]
    assert entry["json_truncated"] is True
    assert entry["json"]["items"] == [0, 1, 2, 3, 4]
    assert entry["json"]["text"] == "x" * 10 + "..."


def test_probes_run_concurrently(run_module, api):
    barrier = threading.Barrier(3, timeout=5)

    def rendezvous():
        barrier.wait()
        return response(body={"status": "healthy"})

    api.routes[("GET", "/health")] = rendezvous
    result = run_module(api_check, dict(concurrency=3, probes=[probe("h%d" % i, "/health") for i in range(3)])).result
    assert result["ok"] is True


def test_check_mode_sends_only_read_only_probes(run_module, api):
    prediction = dict(method="POST", body={"home_team": "Arsenal", "away_team": "Chelsea"})
    result = run_module(api_check, dict(probes=[
        probe("health", "/health"),
        probe("predict", "/api/v1/predictions/match", **prediction),
        probe("predict_as_read", "/api/v1/predictions/match", read_only=True, **prediction),
    ]), check_mode=True).result

    health, predict, predict_as_read = result["probes"]
    assert health["ok"] is True and health["skipped"] is False
    assert predict["skipped"] is True and predict["ok"] is True and predict["status"] is None
    assert predict["reason"] == "check mode: POST is not read-only"
    assert predict_as_read["skipped"] is False and predict_as_read["status"] == 200
    assert [request["url"].rsplit("/", 1)[1] for request in api.requests].count("match") == 1
    assert result["summary"] == dict(passed=2, failed=0, skipped=1, total=3)
    assert result["ok"] is True


def test_without_check_mode_every_probe_is_sent(run_module, api):
    result = run_module(api_check, dict(probes=[
        probe("predict", "/api/v1/predictions/match", method="POST", body={"home_team": "Arsenal"}),
    ])).result
    assert result["probes"][0]["skipped"] is False and len(api.requests) == 1


def test_module_headers_merge_with_probe_headers(run_module, api):
    run_module(api_check, dict(headers={"X-Rehearsal": "1", "Accept": "text/plain"},
                               probes=[probe("health", "/health", headers={"Accept": "application/json"})]))
    assert api.requests[0]["headers"] == {"X-Rehearsal": "1", "Accept": "application/json"}


@pytest.mark.parametrize("bad_args, message", [
    (dict(probes=[]), "probes must not be empty"),
    (dict(probes=[probe("a", "/x"), probe("a", "/y")]), "probe names must be unique; 'a' is used twice"),
    (dict(probes=[probe("a", "health")]), "probe a: path must start with /"),
    (dict(probes=[probe("a", "/x", status=[700])]), "status must list HTTP codes between 100 and 599"),
    (dict(probes=[probe("a", "/x", json_exists=["models[0"])]), "cannot parse JSON path"),
    (dict(probes=[probe("a", "/x", body={"k": 1}, body_format="raw")]), "a raw body must be a string"),
    (dict(probes=[probe("a", "/x", max_latency_ms=0)]), "max_latency_ms must be greater than 0"),
    (dict(probes=[probe("a", "/x", method="FETCH")]), "value of method must be one of"),
    (dict(probes=[probe("a", "/x")], base_url="127.0.0.1:8001"), "base_url must be an absolute"),
    (dict(probes=[probe("a", "/x")], concurrency=0), "concurrency must be at least 1"),
    (dict(probes=[dict(path="/x")]), "missing required arguments: name"),
])
def test_bad_parameters_fail_clearly(run_module, api, bad_args, message):
    outcome = run_module(api_check, bad_args)

    assert outcome.failed is True
    assert message in outcome.result["msg"]
    assert api.requests == []
