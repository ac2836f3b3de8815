"""Redis cache of prediction results, keyed by request and model version."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "footballpred:prediction:v1"


def cache_key(model_version: str, home_team: str, away_team: str, match_date: str, league: str | None) -> str:
    # The model version is part of the key, so a newly promoted model never serves stale answers.
    request = json.dumps([home_team, away_team, match_date, league or ""])
    digest = hashlib.sha256(request.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{model_version}:{digest}"


class PredictionCache:
    """Best effort: a Redis outage slows predictions down but never fails them."""

    def __init__(self, url: str, ttl_s: int, timeout_s: float = 0.5) -> None:
        self.ttl_s = ttl_s
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, health_check_interval=30,
        )

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(key)
        except redis.RedisError as exc:
            log.warning("cache read failed: %s", exc)
            return None
        return json.loads(raw) if raw else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        try:
            self._redis.set(key, json.dumps(value), ex=self.ttl_s)
        except redis.RedisError as exc:
            log.warning("cache write failed: %s", exc)

    def ping(self) -> str:
        """Raises on failure; returns the server version."""
        self._redis.ping()
        return str(self._redis.info("server").get("redis_version", "unknown"))

    def close(self) -> None:
        self._redis.close()
