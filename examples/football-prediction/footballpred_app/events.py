"""Kafka: prediction events out, topic ensured at startup, broker answering for /health.

Publishing is fire-and-forget from the request's point of view: a broker outage is
logged, counted and shown in /health, but never fails a prediction.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError, TopicAlreadyExistsError

from . import metrics

log = logging.getLogger(__name__)

UNKNOWN_TOPIC_OR_PARTITION = 3  # Kafka protocol error code


@dataclass
class PublisherStats:
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_delivery_at: float | None = None

    def failing(self, window_s: float) -> bool:
        """The newest delivery outcome is a failure, and a recent one."""
        if self.last_error_at is None:
            return False
        newer_success = self.last_delivery_at is not None and self.last_delivery_at > self.last_error_at
        return not newer_success and time.time() - self.last_error_at < window_s


class EventPublisher:
    # After a failed connect, wait this long before the next background attempt.
    RECONNECT_INTERVAL_S = 5.0
    FAILURE_WINDOW_S = 60.0

    def __init__(self, bootstrap_servers: str, topic: str, client_id: str = "footballpred-app",
                 timeout_s: float = 2.0) -> None:
        self.bootstrap_servers = bootstrap_servers.split(",")
        self.topic = topic
        self.client_id = client_id
        self.timeout_ms = int(timeout_s * 1000)
        self.stats = PublisherStats()
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._lock = threading.Lock()
        self._connector: threading.Thread | None = None
        self._last_connect_attempt = 0.0

    # -- topic -------------------------------------------------------------------
    def ensure_topic(self, partitions: int = 1, replication_factor: int = 1) -> bool:
        """Create the topic when missing. Returns True if this call created it."""
        admin = self._admin_client()
        if self.topic in admin.list_topics():
            return False
        try:
            admin.create_topics({self.topic: {"num_partitions": partitions,
                                              "replication_factor": replication_factor}},
                                timeout_ms=self.timeout_ms * 5)
        except TopicAlreadyExistsError:
            return False
        log.info("created Kafka topic %s", self.topic)
        return True

    def ping(self) -> dict[str, Any]:
        """Metadata round trip to the broker; raises when it does not answer or the topic is gone."""
        try:
            topic = self._describe_topic()
            if topic.get("error_code") == UNKNOWN_TOPIC_OR_PARTITION:
                # The broker was down when the app started (or lost the topic): ensure it now.
                self.ensure_topic()
                topic = self._describe_topic()
        except Exception:
            self._reset_admin()
            raise
        if topic.get("error_code", 0) != 0:
            raise KafkaError(f"topic {self.topic} not available (error code {topic.get('error_code')})")
        return {"topic": self.topic, "partitions": len(topic.get("partitions", []))}

    def _describe_topic(self) -> dict[str, Any]:
        topics = self._admin_client().describe_topics([self.topic])
        return topics[0] if topics else {}

    def _admin_client(self) -> KafkaAdminClient:
        with self._lock:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=f"{self.client_id}-admin",
                    request_timeout_ms=self.timeout_ms,
                    bootstrap_timeout_ms=self.timeout_ms,
                )
            return self._admin

    def _reset_admin(self) -> None:
        with self._lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception as exc:  # closing a broken client must not mask the real error
                log.debug("closing Kafka admin client: %s", exc)

    # -- producing ---------------------------------------------------------------
    def publish(self, event: dict[str, Any], key: str) -> bool:
        """Queue an event; True when queued. Delivery is reported by callbacks."""
        producer = self._producer_client()
        if producer is None:
            self._record_failure(self.stats.last_error or "Kafka producer not connected yet")
            return False
        try:
            future = producer.send(self.topic, key=key.encode(), value=json.dumps(event).encode())
        except KafkaError as exc:
            self._record_failure(f"send failed: {exc}")
            return False
        self.stats.queued += 1
        future.add_callback(self._on_delivered)
        future.add_errback(self._on_error)
        return True

    def _producer_client(self) -> KafkaProducer | None:
        """The producer, or None while it is not connected (a connect is then started
        in the background: a request never waits for a broker that is down)."""
        with self._lock:
            if self._producer is not None:
                return self._producer
            connecting = self._connector is not None and self._connector.is_alive()
            if not connecting and time.monotonic() - self._last_connect_attempt >= self.RECONNECT_INTERVAL_S:
                self._last_connect_attempt = time.monotonic()
                self._connector = threading.Thread(target=self._connect, name="kafka-connect", daemon=True)
                self._connector.start()
        return None

    def connect(self) -> bool:
        """Connect the producer now (startup); False when the broker is not reachable."""
        self._connect()
        return self._producer is not None

    def _connect(self) -> None:
        try:
            producer = KafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                acks=1,
                linger_ms=5,
                retries=3,
                request_timeout_ms=self.timeout_ms * 2,
                delivery_timeout_ms=self.timeout_ms * 5,
                max_block_ms=self.timeout_ms,
                bootstrap_timeout_ms=self.timeout_ms,
            )
        except Exception as exc:
            self.stats.last_error = f"producer connect failed: {exc}"
            log.error("Kafka producer unavailable (%s): %s", ",".join(self.bootstrap_servers), exc)
            return
        with self._lock:
            self._producer = producer
        log.info("Kafka producer connected to %s", ",".join(self.bootstrap_servers))

    def _on_delivered(self, _metadata: Any) -> None:
        self.stats.delivered += 1
        self.stats.last_delivery_at = time.time()
        metrics.KAFKA_EVENTS.labels(result="delivered").inc()

    def _on_error(self, exc: BaseException) -> None:
        self._record_failure(f"delivery failed: {exc}")

    def _record_failure(self, message: str) -> None:
        self.stats.failed += 1
        self.stats.last_error = message
        self.stats.last_error_at = time.time()
        metrics.KAFKA_EVENTS.labels(result="failed").inc()
        log.error("prediction event to %s not delivered: %s", self.topic, message)

    def flush(self, timeout_s: float = 5.0) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout_s)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
        self._reset_admin()
