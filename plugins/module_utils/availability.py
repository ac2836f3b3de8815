# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a user of the API would have seen: a bounded prober and the outage windows it measured.

The prober is this file run as a script (``python availability.py SPEC_JSON``), so it needs
nothing but the standard library. Each endpoint gets its own thread, which sends one GET
per ``1 / rate`` seconds and appends one line per request to the samples file::

    <unix time of the request> <endpoint index> <1 if it succeeded else 0> <HTTP status or -> <ms>

A request succeeds when it answers with a status below 400 within ``timeout`` seconds. The
prober stops by itself after ``max_duration_s``, on SIGTERM, or when its stop file appears.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

SAMPLE_FIELDS = 5


def parse_samples(text: str) -> list[dict]:
    """The samples of a samples file, oldest first; a torn last line is ignored."""
    samples = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != SAMPLE_FIELDS:
            continue
        try:
            samples.append({"t": float(fields[0]), "endpoint": int(fields[1]), "ok": fields[2] == "1",
                            "status": None if fields[3] == "-" else int(fields[3]), "ms": float(fields[4])})
        except ValueError:
            continue
    samples.sort(key=lambda sample: sample["t"])
    return samples


def error_windows(samples: list[dict]) -> list[dict]:
    """Per endpoint, each run of failed requests: from the first failure to the next success
    (the moment users were served again), or to the last failure when none came after."""
    windows = []
    for endpoint in sorted({sample["endpoint"] for sample in samples}):
        start = last = None
        for sample in (item for item in samples if item["endpoint"] == endpoint):
            if not sample["ok"]:
                start = sample["t"] if start is None else start
                last = sample["t"]
            elif start is not None:
                windows.append({"endpoint": endpoint, "start": start, "end": sample["t"], "recovered": True})
                start = None
        if start is not None:
            windows.append({"endpoint": endpoint, "start": start, "end": last, "recovered": False})
    return windows


def summarise(samples: list[dict], started: float | None = None, ended: float | None = None) -> dict:
    """Requests, failed requests, longest error window (s) and first/last failure (unix time)
    of the samples between ``started`` and ``ended`` (inclusive; None = unbounded)."""
    inside = [sample for sample in samples
              if (started is None or sample["t"] >= started) and (ended is None or sample["t"] <= ended)]
    failures = [sample["t"] for sample in inside if not sample["ok"]]
    windows = error_windows(inside)
    return {
        "probes": len(inside),
        "failed_requests": len(failures),
        "longest_window_s": round(max((window["end"] - window["start"] for window in windows), default=0.0), 3),
        "first_failure": min(failures) if failures else None,
        "last_failure": max(failures) if failures else None,
        "recovered": all(window["recovered"] for window in windows),
    }


def probe_once(url: str, timeout: float) -> tuple[bool, int | None]:
    """One GET of ``url``: (succeeded, HTTP status or None when nothing answered).

    http.client, not urllib: the prober runs as a plain script on the target, where
    Ansible's open_url is not importable; one connection per request, as a new user's.
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", (parts.path or "/") + ("?" + parts.query if parts.query else ""),
                           headers={"User-Agent": "footballpred-rehearsal-availability"})
        response = connection.getresponse()
        response.read(65536)
        return response.status < 400, response.status
    except (OSError, http.client.HTTPException, ValueError):
        return False, None
    finally:
        connection.close()


def run_prober(spec: dict) -> None:
    """Probe every URL of ``spec`` until stopped (see the module docstring)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open(spec["pid_file"], "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    deadline = time.monotonic() + float(spec["max_duration_s"])
    interval = 1.0 / float(spec["rate"])
    lock = threading.Lock()
    with open(spec["samples_file"], "a", encoding="utf-8", buffering=1) as out:

        def probe_endpoint(index: int, url: str) -> None:
            next_at = time.monotonic()
            while not stop.is_set() and time.monotonic() < deadline:
                started_wall, started = time.time(), time.monotonic()
                ok, status = probe_once(url, float(spec["timeout"]))
                line = "%.3f %d %d %s %.1f\n" % (
                    started_wall, index, 1 if ok else 0, "-" if status is None else status,
                    (time.monotonic() - started) * 1000)
                with lock:
                    out.write(line)
                next_at += interval
                stop.wait(max(0.0, next_at - time.monotonic()))
                next_at = max(next_at, time.monotonic() - interval)  # after a slow request, do not burst

        threads = [threading.Thread(target=probe_endpoint, args=(index, url), daemon=True)
                   for index, url in enumerate(spec["urls"])]
        for thread in threads:
            thread.start()
        while not stop.is_set() and time.monotonic() < deadline:
            if os.path.exists(spec["stop_file"]):
                stop.set()
            stop.wait(0.2)
        stop.set()
        for thread in threads:
            thread.join(float(spec["timeout"]) + 1)


if __name__ == "__main__":
    run_prober(json.loads(sys.argv[1]))
