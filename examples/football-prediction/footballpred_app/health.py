"""Dependency probes for /health: run concurrently, each bounded by a timeout."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from . import metrics

log = logging.getLogger(__name__)

Probe = Callable[[], Any]
ProbeResult = dict[str, Any]


def _timed(probe: Probe) -> ProbeResult:
    started = time.perf_counter()
    try:
        detail = probe()
        status = "ok"
    except Exception as exc:
        detail, status = f"{type(exc).__name__}: {exc}", "error"
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1), "detail": detail}


class ProbeRunner:
    """At most one probe per dependency in flight: concurrent /health requests share it.

    Without this, a load test on /health during an outage queues probes behind the hung
    ones, and healthy dependencies start to time out too.
    """

    def __init__(self, max_workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="health")
        self._inflight: dict[str, Future[ProbeResult]] = {}
        self._lock = threading.Lock()

    def _submit(self, name: str, probe: Probe) -> Future[ProbeResult]:
        with self._lock:
            future = self._inflight.get(name)
            if future is None or future.done():
                future = self._pool.submit(_timed, probe)
                self._inflight[name] = future
            return future

    def run(self, probes: dict[str, Probe], timeout_s: float) -> dict[str, ProbeResult]:
        futures = {name: self._submit(name, probe) for name, probe in probes.items()}
        wait(futures.values(), timeout=timeout_s)
        results: dict[str, ProbeResult] = {}
        for name, future in futures.items():
            if future.done():
                results[name] = future.result()
            else:
                results[name] = {"status": "timeout", "latency_ms": round(timeout_s * 1000, 1),
                                 "detail": f"no answer within {timeout_s:.1f}s"}
            up = results[name]["status"] == "ok"
            metrics.DEPENDENCY_UP.labels(dependency=name).set(1 if up else 0)
            if not up:
                log.warning("health probe %s: %s", name, results[name]["detail"])
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
