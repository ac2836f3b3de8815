"""A small MLflow client over the REST API (no mlflow dependency in the image).

Tracking/registry: /api/2.0/mlflow/...; artifacts: /api/2.0/mlflow-artifacts/artifacts/...
(the server runs with --serve-artifacts, so run artifact URIs are `mlflow-artifacts:/...`).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlparse

import httpx

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"


class MlflowError(RuntimeError):
    def __init__(self, message: str, status_code: int | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code


def _now_ms() -> int:
    return int(time.time() * 1000)


def artifact_path(artifact_uri: str) -> str:
    """`mlflow-artifacts:/1/<run>/artifacts` (or with //host:port) -> `1/<run>/artifacts`."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme != "mlflow-artifacts":
        raise MlflowError(
            f"artifact URI {artifact_uri!r} is not served by the tracking server "
            "(start mlflow server with --serve-artifacts)"
        )
    return parsed.path.lstrip("/")


class RegistryClient:
    def __init__(self, tracking_uri: str, timeout_s: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self._http = httpx.Client(base_url=self.tracking_uri, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._http.close()

    # -- plumbing -----------------------------------------------------------------
    def _call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None,
              json: dict[str, Any] | None = None, timeout_s: float | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": params, "json": json}
        if timeout_s is not None:
            kwargs["timeout"] = timeout_s
        try:
            response = self._http.request(method, API + endpoint, **kwargs)
        except httpx.HTTPError as exc:
            raise MlflowError(f"MLflow {method} {endpoint} failed: {exc}") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise MlflowError(
                f"MLflow {method} {endpoint} -> {response.status_code}: {body.get('message', response.text[:200])}",
                status_code=response.status_code,
                error_code=body.get("error_code"),
            )
        return response.json() if response.content else {}

    def ping(self, timeout_s: float | None = None) -> None:
        """Ask the registry backend something real (not just the /health liveness page)."""
        self._call("GET", "/registered-models/search", params={"max_results": 1}, timeout_s=timeout_s)

    # -- tracking -----------------------------------------------------------------
    def get_or_create_experiment(self, name: str) -> str:
        try:
            found = self._call("GET", "/experiments/get-by-name", params={"experiment_name": name})
            return str(found["experiment"]["experiment_id"])
        except MlflowError as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        return str(self._call("POST", "/experiments/create", json={"name": name})["experiment_id"])

    def create_run(self, experiment_id: str, run_name: str, tags: dict[str, str]) -> dict[str, Any]:
        body = {
            "experiment_id": experiment_id,
            "run_name": run_name,
            "start_time": _now_ms(),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
        return self._call("POST", "/runs/create", json=body)["run"]

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._call("GET", "/runs/get", params={"run_id": run_id})["run"]

    def log_batch(self, run_id: str, params: dict[str, str], metrics: dict[str, float]) -> None:
        timestamp = _now_ms()
        self._call("POST", "/runs/log-batch", json={
            "run_id": run_id,
            "params": [{"key": k, "value": str(v)} for k, v in params.items()],
            "metrics": [{"key": k, "value": float(v), "timestamp": timestamp, "step": 0}
                        for k, v in metrics.items()],
        })

    def finish_run(self, run_id: str, status: str = "FINISHED") -> None:
        self._call("POST", "/runs/update", json={"run_id": run_id, "status": status, "end_time": _now_ms()})

    def upload_artifact(self, artifact_uri: str, relative_path: str, content: bytes) -> None:
        url = f"{ARTIFACTS_API}/{quote(artifact_path(artifact_uri))}/{quote(relative_path)}"
        try:
            response = self._http.put(url, content=content)
        except httpx.HTTPError as exc:
            raise MlflowError(f"artifact upload to {url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise MlflowError(f"artifact upload to {url} -> {response.status_code}: {response.text[:200]}",
                              status_code=response.status_code)

    def download_artifact(self, artifact_uri: str, relative_path: str) -> bytes:
        url = f"{ARTIFACTS_API}/{quote(artifact_path(artifact_uri))}/{quote(relative_path)}"
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise MlflowError(f"artifact download from {url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise MlflowError(f"artifact download from {url} -> {response.status_code}",
                              status_code=response.status_code)
        return response.content

    # -- registry -----------------------------------------------------------------
    def get_registered_model(self, name: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", "/registered-models/get", params={"name": name})["registered_model"]
        except MlflowError as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    def ensure_registered_model(self, name: str, description: str = "") -> None:
        if self.get_registered_model(name) is None:
            self._call("POST", "/registered-models/create", json={"name": name, "description": description})

    def create_model_version(self, name: str, source: str, run_id: str, tags: dict[str, str],
                             description: str = "") -> dict[str, Any]:
        body = {
            "name": name,
            "source": source,
            "run_id": run_id,
            "description": description,
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
        return self._call("POST", "/model-versions/create", json=body)["model_version"]

    def transition_stage(self, name: str, version: str, stage: str) -> None:
        self._call("POST", "/model-versions/transition-stage", json={
            "name": name, "version": version, "stage": stage, "archive_existing_versions": True,
        })

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call("POST", "/registered-models/alias", json={"name": name, "alias": alias, "version": version})

    def get_version_by_alias(self, name: str, alias: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", "/registered-models/alias",
                              params={"name": name, "alias": alias})["model_version"]
        except MlflowError as exc:
            # Unknown alias or unknown model: both mean "no such version" here.
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                return None
            raise

    def search_versions(self, name: str) -> list[dict[str, Any]]:
        """All versions of a registered model, newest first."""
        versions: list[dict[str, Any]] = []
        params: dict[str, Any] = {"filter": f"name='{name}'", "max_results": 200}
        while True:
            page = self._call("GET", "/model-versions/search", params=params)
            versions.extend(page.get("model_versions", []))
            if not page.get("next_page_token"):
                break
            params["page_token"] = page["next_page_token"]
        return sorted(versions, key=lambda v: int(v["version"]), reverse=True)


def version_tags(version: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in version.get("tags", [])}
