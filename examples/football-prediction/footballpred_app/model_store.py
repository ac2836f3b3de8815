"""The model the API serves, loaded from the MLflow registry (alias first, else latest)."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from .model import PoissonModel
from .registry import RegistryClient, version_tags

log = logging.getLogger(__name__)

PARAMS_ARTIFACT = "poisson_params.json"
MODEL_ARTIFACT_DIR = "model"


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    alias: str | None
    run_id: str | None
    source: str
    loaded_at: float
    model: PoissonModel


class ModelUnavailableError(RuntimeError):
    pass


class ModelStore:
    # A missing model is retried on demand, but not more often than this (the registry
    # must not be hammered by every prediction request while it is down).
    RETRY_INTERVAL_S = 5.0

    def __init__(self, registry: RegistryClient, model_name: str, alias: str) -> None:
        self.registry = registry
        self.model_name = model_name
        self.alias = alias
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()
        self._last_attempt = 0.0
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def load(self) -> LoadedModel:
        """Fetch the aliased (else latest) version from the registry and swap it in."""
        with self._lock:
            self._last_attempt = time.monotonic()
            try:
                loaded = self._fetch()
            except Exception as exc:
                self.last_error = str(exc)
                raise
            self._current, self.last_error = loaded, None
        log.info("serving model %s version %s (alias %s)", loaded.name, loaded.version, loaded.alias)
        return loaded

    def get(self) -> LoadedModel:
        """The serving model; tries to load one (rate limited) when none is loaded yet."""
        current = self._current
        if current is not None:
            return current
        with self._lock:
            # Check and claim the retry slot together, so concurrent requests try once.
            due = time.monotonic() - self._last_attempt >= self.RETRY_INTERVAL_S
            if due:
                self._last_attempt = time.monotonic()
        if due:
            try:
                return self.load()
            except Exception as exc:
                log.warning("model %s not loadable: %s", self.model_name, exc)
        raise ModelUnavailableError(
            f"no version of model {self.model_name!r} could be loaded from the registry"
            + (f": {self.last_error}" if self.last_error else "")
        )

    def _fetch(self) -> LoadedModel:
        version = self.registry.get_version_by_alias(self.model_name, self.alias)
        alias: str | None = self.alias
        if version is None:
            alias = None
            ready = [v for v in self.registry.search_versions(self.model_name) if v.get("status", "READY") == "READY"]
            if not ready:
                raise ModelUnavailableError(f"registered model {self.model_name!r} has no ready version")
            version = ready[0]
        source = self._artifact_dir(version)
        params = json.loads(self.registry.download_artifact(source, PARAMS_ARTIFACT))
        model = PoissonModel.from_dict(params)
        model.meta.update({"registry_tags": version_tags(version)})
        return LoadedModel(
            name=self.model_name,
            version=str(version["version"]),
            alias=alias,
            run_id=version.get("run_id"),
            source=source,
            loaded_at=time.time(),
            model=model,
        )

    def _artifact_dir(self, version: dict[str, Any]) -> str:
        source = str(version.get("source", ""))
        if source.startswith("mlflow-artifacts:"):
            return source
        # e.g. a `runs:/<id>/model` source: resolve through the run's artifact root.
        run = self.registry.get_run(version["run_id"])
        return f"{run['info']['artifact_uri']}/{MODEL_ARTIFACT_DIR}"
