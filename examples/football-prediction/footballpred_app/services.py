"""The app's external clients, built once from Settings and shared by all requests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .cache import PredictionCache
from .config import Settings
from .db import Database
from .events import EventPublisher
from .health import ProbeResult, ProbeRunner
from .model_store import ModelStore
from .registry import RegistryClient

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database: Database
    cache: PredictionCache
    events: EventPublisher
    registry: RegistryClient
    models: ModelStore
    probes: ProbeRunner = field(default_factory=ProbeRunner)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        registry = RegistryClient(settings.mlflow_tracking_uri, timeout_s=5.0)
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            cache=PredictionCache(settings.redis_url, ttl_s=settings.cache_ttl_s),
            events=EventPublisher(settings.kafka_bootstrap_servers, settings.kafka_predictions_topic),
            registry=registry,
            models=ModelStore(registry, settings.model_name, settings.model_alias),
        )

    def startup(self) -> None:
        """Best effort: the app starts even when a dependency is down; /health tells."""
        try:
            self.events.ensure_topic()
            self.events.connect()
        except Exception as exc:
            log.error("could not ensure Kafka topic %s: %s", self.events.topic, exc)
        try:
            self.models.load()
        except Exception as exc:
            log.warning("no model loaded at startup (will retry on demand): %s", exc)

    def check_health(self) -> dict[str, ProbeResult]:
        return self.probes.run(self.health_probes(), self.settings.health_check_timeout_s)

    def health_probes(self) -> dict[str, Any]:
        timeout = self.settings.health_check_timeout_s

        def kafka() -> dict[str, Any]:
            detail = self.events.ping()
            stats = self.events.stats
            if stats.failing(self.events.FAILURE_WINDOW_S):
                raise RuntimeError(f"broker answers but event delivery is failing: {stats.last_error}")
            return {**detail, "events_delivered": stats.delivered, "events_failed": stats.failed}

        def mlflow() -> dict[str, Any]:
            self.registry.ping(timeout_s=timeout)
            return {"tracking_uri": self.registry.tracking_uri}

        return {
            "database": lambda: {"server_version": self.database.ping()},
            "redis": lambda: {"server_version": self.cache.ping()},
            "kafka": kafka,
            "mlflow": mlflow,
        }

    def close(self) -> None:
        for close in (self.probes.close, self.events.close, self.cache.close, self.registry.close,
                      self.database.dispose):
            try:
                close()
            except Exception as exc:
                log.warning("shutdown: %s", exc)
