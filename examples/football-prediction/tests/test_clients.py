"""Real client wrappers against unreachable servers, and the /health probe runner."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from kafka.errors import KafkaError

from footballpred_app import events
from footballpred_app.cache import PredictionCache, cache_key
from footballpred_app.config import SOURCE_ROOT, Settings
from footballpred_app.events import EventPublisher, PublisherStats
from footballpred_app.health import ProbeRunner

CLOSED_PORT = "127.0.0.1:1"  # nothing listens on port 1: connections are refused at once


def test_cache_key_depends_on_model_version_and_request() -> None:
    key = cache_key("1", "Arsenal", "Chelsea", "2024-12-25T15:00:00+00:00", "Premier League")
    assert key == cache_key("1", "Arsenal", "Chelsea", "2024-12-25T15:00:00+00:00", "Premier League")
    assert key != cache_key("2", "Arsenal", "Chelsea", "2024-12-25T15:00:00+00:00", "Premier League")
    assert key != cache_key("1", "Chelsea", "Arsenal", "2024-12-25T15:00:00+00:00", "Premier League")


def test_cache_degrades_when_redis_is_down() -> None:
    cache = PredictionCache(f"redis://{CLOSED_PORT}/1", ttl_s=60, timeout_s=0.2)
    assert cache.get("k") is None
    cache.set("k", {"v": 1})  # must not raise
    with pytest.raises(redis.ConnectionError):
        cache.ping()


def test_event_publisher_counts_failures_without_blocking_requests() -> None:
    publisher = EventPublisher(CLOSED_PORT, "prediction-events", timeout_s=0.3)
    try:
        started = time.perf_counter()
        assert publisher.publish({"x": 1}, key="k") is False
        assert time.perf_counter() - started < 0.1  # the connect runs in the background
        deadline = time.monotonic() + 5
        while "producer connect failed" not in (publisher.stats.last_error or "") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert publisher.publish({"x": 2}, key="k") is False
        assert publisher.stats.failed == 2
        assert "producer connect failed" in publisher.stats.last_error
        assert publisher.stats.failing(window_s=60)
        assert publisher.connect() is False
        with pytest.raises(KafkaError):
            publisher.ping()
    finally:
        publisher.close()


def test_stats_failing_clears_after_a_later_delivery() -> None:
    stats = PublisherStats(last_error="x", last_error_at=time.time() - 1)
    assert stats.failing(window_s=60)
    stats.last_delivery_at = time.time()
    assert not stats.failing(window_s=60)
    assert not PublisherStats(last_error="x", last_error_at=time.time() - 120).failing(window_s=60)


def test_probes_report_ok_error_and_timeout_within_the_budget() -> None:
    def boom() -> None:
        raise ConnectionError("refused")

    started = time.perf_counter()
    runner = ProbeRunner()
    results = runner.run({"fast": lambda: "v1", "broken": boom, "slow": lambda: time.sleep(2)}, timeout_s=0.3)
    assert time.perf_counter() - started < 1.0
    assert results["fast"] == {"status": "ok", "latency_ms": results["fast"]["latency_ms"], "detail": "v1"}
    assert results["broken"]["status"] == "error" and "refused" in results["broken"]["detail"]
    assert results["slow"]["status"] == "timeout"
    runner.close()


def test_concurrent_health_requests_share_one_probe_per_dependency() -> None:
    calls: list[float] = []

    def slow_dependency() -> str:
        calls.append(time.monotonic())
        time.sleep(0.3)
        return "ok"

    runner = ProbeRunner(max_workers=2)
    with ThreadPoolExecutor(10) as callers:
        results = list(callers.map(lambda _: runner.run({"db": slow_dependency}, timeout_s=1.0), range(10)))
    assert len(calls) == 1
    assert all(result["db"]["status"] == "ok" for result in results)
    runner.run({"db": slow_dependency}, timeout_s=1.0)  # a later request probes afresh
    assert len(calls) == 2
    runner.close()


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_PORT", "8011")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("APP_VERSION", "")  # an unset build arg must not blank the version
    monkeypatch.setenv("FAULT_HEALTH_FAIL", "1")
    monkeypatch.setenv("FAULT_SLOW_MS", "250")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5001/")
    settings = Settings.from_env()
    assert (settings.api_port, settings.log_level) == (8011, "DEBUG")
    assert settings.app_version == (SOURCE_ROOT / "VERSION").read_text().strip()
    assert settings.fault_health_fail is True and settings.fault_slow_ms == 250
    assert settings.mlflow_tracking_uri == "http://127.0.0.1:5001"
    monkeypatch.delenv("FAULT_HEALTH_FAIL")
    monkeypatch.delenv("FAULT_SLOW_MS")
    assert Settings.from_env().fault_health_fail is False and Settings.from_env().fault_slow_ms == 0


class FakeAdmin:
    """Just enough of KafkaAdminClient: a broker that starts without the topic."""

    def __init__(self, **_config: object) -> None:
        self.topics: set[str] = set()
        self.created: list[str] = []

    def list_topics(self) -> list[str]:
        return sorted(self.topics)

    def describe_topics(self, names: list[str]) -> list[dict]:
        return [{"name": n, "error_code": 0 if n in self.topics else 3,
                 "partitions": [{"partition_index": 0}] if n in self.topics else []} for n in names]

    def create_topics(self, new_topics: dict, timeout_ms: int) -> None:
        self.topics.update(new_topics)
        self.created.extend(new_topics)

    def close(self) -> None:
        pass


def test_health_ping_creates_a_topic_missing_since_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = FakeAdmin()
    monkeypatch.setattr(events, "KafkaAdminClient", lambda **config: admin)
    publisher = EventPublisher("127.0.0.1:9093", "prediction-events")
    assert publisher.ping() == {"topic": "prediction-events", "partitions": 1}
    assert admin.created == ["prediction-events"]
    assert publisher.ensure_topic() is False  # already there: nothing created twice
    assert admin.created == ["prediction-events"]
