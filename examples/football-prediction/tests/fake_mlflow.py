"""An in-memory stand-in for the MLflow tracking server's REST API (the subset we call).

Served through httpx.MockTransport, so RegistryClient runs unchanged against it.
Response shapes follow MLflow's REST API documentation.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx


class FakeMlflow:
    def __init__(self) -> None:
        self.experiments: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.artifacts: dict[str, bytes] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[str] = []
        self.down = False

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- dispatcher ----------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/"):
            key = path.removeprefix("/api/2.0/mlflow-artifacts/artifacts/")
            if request.method == "PUT":
                self.artifacts[key] = request.content
                return httpx.Response(200, json={})
            if key in self.artifacts:
                return httpx.Response(200, content=self.artifacts[key])
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"no artifact {key}")
        endpoint = path.removeprefix("/api/2.0/mlflow")
        body = json.loads(request.content) if request.content else {}
        params = dict(request.url.params)
        handler = getattr(self, "_" + request.method.lower() + endpoint.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            return _error(404, "ENDPOINT_NOT_FOUND", f"{request.method} {path}")
        return handler(body, params)

    # -- tracking --------------------------------------------------------------------
    def _get_experiments_get_by_name(self, _body: dict, params: dict) -> httpx.Response:
        for exp in self.experiments.values():
            if exp["name"] == params["experiment_name"]:
                return httpx.Response(200, json={"experiment": exp})
        return _error(404, "RESOURCE_DOES_NOT_EXIST", "no such experiment")

    def _post_experiments_create(self, body: dict, _params: dict) -> httpx.Response:
        exp_id = str(len(self.experiments) + 1)
        self.experiments[exp_id] = {"experiment_id": exp_id, "name": body["name"]}
        return httpx.Response(200, json={"experiment_id": exp_id})

    def _post_runs_create(self, body: dict, _params: dict) -> httpx.Response:
        run_id = uuid.uuid4().hex
        run = {"info": {"run_id": run_id, "experiment_id": body["experiment_id"], "status": "RUNNING",
                        "artifact_uri": f"mlflow-artifacts:/{body['experiment_id']}/{run_id}/artifacts"},
               "data": {"params": [], "metrics": [], "tags": body.get("tags", [])}}
        self.runs[run_id] = run
        return httpx.Response(200, json={"run": run})

    def _get_runs_get(self, _body: dict, params: dict) -> httpx.Response:
        run = self.runs.get(params["run_id"])
        return httpx.Response(200, json={"run": run}) if run else _error(404, "RESOURCE_DOES_NOT_EXIST", "no run")

    def _post_runs_log_batch(self, body: dict, _params: dict) -> httpx.Response:
        data = self.runs[body["run_id"]]["data"]
        data["params"] += body.get("params", [])
        data["metrics"] += body.get("metrics", [])
        return httpx.Response(200, json={})

    def _post_runs_update(self, body: dict, _params: dict) -> httpx.Response:
        self.runs[body["run_id"]]["info"]["status"] = body["status"]
        return httpx.Response(200, json={"run_info": self.runs[body["run_id"]]["info"]})

    # -- registry --------------------------------------------------------------------
    def _get_registered_models_search(self, _body: dict, _params: dict) -> httpx.Response:
        return httpx.Response(200, json={"registered_models": list(self.models.values())})

    def _get_registered_models_get(self, _body: dict, params: dict) -> httpx.Response:
        model = self.models.get(params["name"])
        if model is None:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "no such model")
        return httpx.Response(200, json={"registered_model": model})

    def _post_registered_models_create(self, body: dict, _params: dict) -> httpx.Response:
        if body["name"] in self.models:
            return _error(400, "RESOURCE_ALREADY_EXISTS", "exists")
        self.models[body["name"]] = {"name": body["name"], "aliases": []}
        self.versions[body["name"]] = []
        return httpx.Response(200, json={"registered_model": self.models[body["name"]]})

    def _post_model_versions_create(self, body: dict, _params: dict) -> httpx.Response:
        if body["name"] not in self.versions:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "no such model")
        versions = self.versions[body["name"]]
        version = {"name": body["name"], "version": str(len(versions) + 1), "source": body["source"],
                   "run_id": body["run_id"], "current_stage": "None", "status": "READY",
                   "creation_timestamp": int(time.time() * 1000), "tags": body.get("tags", [])}
        versions.append(version)
        return httpx.Response(200, json={"model_version": version})

    def _get_model_versions_search(self, _body: dict, params: dict) -> httpx.Response:
        name = params["filter"].split("'")[1]
        return httpx.Response(200, json={"model_versions": self.versions.get(name, [])})

    def _post_model_versions_transition_stage(self, body: dict, _params: dict) -> httpx.Response:
        for version in self.versions[body["name"]]:
            if version["version"] == body["version"]:
                version["current_stage"] = body["stage"]
            elif body.get("archive_existing_versions") and version["current_stage"] == body["stage"]:
                version["current_stage"] = "Archived"
        return httpx.Response(200, json={})

    def _post_registered_models_alias(self, body: dict, _params: dict) -> httpx.Response:
        model = self.models[body["name"]]
        model["aliases"] = [a for a in model["aliases"] if a["alias"] != body["alias"]]
        model["aliases"].append({"alias": body["alias"], "version": body["version"]})
        return httpx.Response(200, json={})

    def _get_registered_models_alias(self, _body: dict, params: dict) -> httpx.Response:
        model = self.models.get(params["name"])
        if model is None:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "no such model")
        for alias in model["aliases"]:
            if alias["alias"] == params["alias"]:
                version = self.versions[params["name"]][int(alias["version"]) - 1]
                return httpx.Response(200, json={"model_version": version})
        return _error(404, "RESOURCE_DOES_NOT_EXIST", "no such alias")


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})
