"""Prometheus metrics. Paths are route templates, so label cardinality stays bounded."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["method", "path", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["method", "path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PREDICTIONS = Counter(
    "predictions_total", "Match predictions served", ["outcome", "cached"],
)
KAFKA_EVENTS = Counter(
    "prediction_events_total", "Prediction events sent to Kafka, by delivery result", ["result"],
)
DEPENDENCY_UP = Gauge(
    "dependency_up", "1 when the dependency answered the last /health probe", ["dependency"],
)
APP_INFO = Gauge(
    "app_info", "Build information of the running app (value is always 1)",
    ["version", "git_commit", "environment"],
)
