# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.footballpred.rehearsal.plugins.modules import mlflow_check

TOKEN = "s3cr3t-mlflow-token"
MODEL = "football-match-predictor"


def response(status=200, body=b"", reached=True, error=""):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return dict(reached=reached, status=status if reached else None, headers={}, body=body, latency_ms=1.5,
                error=error)


class FakeMlflow:
    """Answers the endpoints the module calls, like an MLflow 2.x server."""

    def __init__(self):
        self.requests = []
        self.health = response(body=b"OK")
        self.version = response(body=b"2.22.5")
        self.models = [
            {"name": MODEL, "aliases": [{"alias": "staging", "version": "2"}],
             "latest_versions": [{"version": "1", "current_stage": "None"}, {"version": "2", "current_stage": "Staging"}]},
            {"name": "baseline-elo"},
        ]
        self.versions = {
            MODEL: [{"name": MODEL, "version": "1", "current_stage": "None", "status": "READY", "run_id": "r1"},
                    {"name": MODEL, "version": "2", "current_stage": "Staging", "status": "READY", "run_id": "r2"}],
        }
        self.page_size = None

    def __call__(self, url, headers=None, **kwargs):
        self.requests.append(dict(url=url, headers=headers, **kwargs))
        parts = urlsplit(url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/health":
            return self.health
        if parts.path == "/version":
            return self.version
        if parts.path.endswith("/registered-models/search"):
            return self.page(self.models, "registered_models", query)
        if parts.path.endswith("/model-versions/search"):
            name = query["filter"].split("'")[1]
            return self.page(self.versions.get(name, []), "model_versions", query)
        return response(404, b"not found")

    def page(self, items, key, query):
        size = self.page_size or int(query["max_results"])
        start = int(query.get("page_token", 0))
        document = {key: items[start:start + size]}
        if start + size < len(items):
            document["next_page_token"] = str(start + size)
        return response(body=document)


@pytest.fixture
def server(monkeypatch):
    fake = FakeMlflow()
    monkeypatch.setattr(mlflow_check, "http_request", fake)
    return fake


def test_healthy_registry_lists_models_versions_and_aliases(run_module, server):
    result = run_module(mlflow_check, dict(required_models=[MODEL, MODEL + "@staging", MODEL + "/staging"])).result

    assert result["changed"] is False
    assert result["ok"] is True and result["is_available"] is True and result["error"] == ""
    assert result["health"] == dict(ok=True, status=200, body="OK", latency_ms=1.5)
    assert result["server_version"] == dict(major=2, minor=22, patch=5, full="2.22.5")
    assert result["model_count"] == 2
    predictor = result["registered_models"][1]
    assert predictor["name"] == MODEL
    assert predictor["aliases"] == {"staging": "2"}
    assert [version["version"] for version in predictor["versions"]] == ["2", "1"]
    assert predictor["versions"][0]["aliases"] == ["staging"] and predictor["versions"][0]["stage"] == "Staging"
    assert result["missing_models"] == []
    assert server.requests[0]["url"] == "http://127.0.0.1:5001/health"


def test_missing_models_aliases_and_stages_are_listed(run_module, server):
    result = run_module(mlflow_check, dict(
        required_models=[MODEL + "@production", MODEL + "/Production", "ghost", "baseline-elo"])).result

    assert result["missing_models"] == [MODEL + "@production", MODEL + "/Production", "ghost"]
    assert result["ok"] is False
    assert result["error"].startswith("missing models: ")


def test_search_follows_page_tokens(run_module, server):
    server.page_size = 1
    result = run_module(mlflow_check, dict()).result

    assert [model["name"] for model in result["registered_models"]] == ["baseline-elo", MODEL]
    assert len(result["registered_models"][1]["versions"]) == 2


def test_server_down_is_a_result(run_module, server):
    server.health = response(reached=False, error="ConnectionRefusedError: [Errno 111] Connection refused")
    outcome = run_module(mlflow_check, dict(required_models=[MODEL]))

    assert outcome.failed is False
    assert outcome.result["is_available"] is False and outcome.result["ok"] is False
    assert outcome.result["error"] == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert outcome.result["missing_models"] == [MODEL]
    assert len(server.requests) == 1


def test_unhealthy_server_answers_but_is_not_ok(run_module, server):
    server.health = response(503, b"Service Unavailable")
    result = run_module(mlflow_check, dict()).result

    assert result["is_available"] is True
    assert result["health"]["ok"] is False and result["health"]["status"] == 503
    assert result["ok"] is False and result["error"] == "/health answered HTTP 503: Service Unavailable"


def test_broken_search_is_reported(run_module, server):
    server.models = "not a list"
    server.page = lambda items, key, query: response(500, b"Internal Server Error")
    result = run_module(mlflow_check, dict()).result

    assert result["registered_models"] == []
    assert "registered-models/search answered HTTP 500" in result["error"]


def test_token_is_sent_but_never_printed(run_module, server):
    outcome = run_module(mlflow_check, dict(token=TOKEN, tracking_uri="https://mlflow.staging:8443/prefix/"))

    assert server.requests[0]["headers"]["Authorization"] == "Bearer " + TOKEN
    assert server.requests[0]["url"] == "https://mlflow.staging:8443/prefix/health"
    assert TOKEN not in outcome.stdout


def test_tracking_uri_falls_back_to_environment(run_module, server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5005")
    run_module(mlflow_check, dict())
    assert server.requests[0]["url"] == "http://mlflow.internal:5005/health"


def test_check_mode_behaves_like_normal_mode(run_module, server):
    normal = run_module(mlflow_check, dict(required_models=[MODEL])).result
    checked = run_module(mlflow_check, dict(required_models=[MODEL]), check_mode=True).result
    assert checked["ok"] is normal["ok"] is True
    assert checked["missing_models"] == normal["missing_models"]


@pytest.mark.parametrize("bad_args, message", [
    (dict(tracking_uri="mlflow:5001"), "tracking_uri must be an absolute http:// or https:// URL"),
    (dict(timeout=0), "timeout must be greater than 0"),
    (dict(max_models=0), "max_models must be at least 1"),
    (dict(required_models=["@staging"]), "must be name, name@alias or name/Stage"),
    (dict(required_models=[MODEL + "/"]), "must be name, name@alias or name/Stage"),
    (dict(token=TOKEN, username="u", password="p"), "mutually exclusive: token|username"),
])
def test_bad_parameters_fail_clearly(run_module, server, bad_args, message):
    outcome = run_module(mlflow_check, bad_args)

    assert outcome.failed is True
    assert message in outcome.result["msg"]
    assert server.requests == []
