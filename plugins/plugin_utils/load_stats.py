# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers for what the load test measures: Locust CSV, ApacheBench, k6, docker stats, logs.

Each parser takes the text a tool wrote and returns plain data; ``load_thresholds`` turns
a Locust summary into result checks. Nothing here runs a tool, reads a file or imports
Ansible, so the filters (plugins/filter/load_stats.py) and the load_test judge share it
and every function is tested with captured output. Bad input raises LoadStatsError.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import urllib.parse

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged

LOCUST_TOTAL_ROW = "Aggregated"
PERCENTILE_COLUMNS = {"p50_ms": "50%", "p66_ms": "66%", "p75_ms": "75%", "p90_ms": "90%",
                      "p95_ms": "95%", "p99_ms": "99%", "p100_ms": "100%"}
# The latency figures judged: of successful requests when known (judged_latency).
LATENCY_KEYS = ("mean_ms", "p50_ms", "p95_ms", "p99_ms")
# The report draws the time series; a long run is thinned to about this many points.
MAX_SERIES_POINTS = 240
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The app's format is "<asctime> <LEVEL> <logger>: <message>"; uvicorn writes "LEVEL:    ...".
LOG_LEVEL_RE = re.compile(r"(?:^|\s)(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)(?::|\s)")
SIZE_RE = re.compile(r"^\s*([0-9.]+)\s*([a-zA-Z]*)\s*$")
SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4,
    "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "tib": 1024 ** 4,
}


class LoadStatsError(ValueError):
    """Input that is not what the tool writes (the filters raise it as a filter error)."""


def _number(value, default=None):
    """A float from Locust/ab text; "N/A" and empty cells become ``default``."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _rounded(value, digits=3):
    return None if value is None else round(value, digits)


def _percent(part, whole):
    return round(100.0 * part / whole, 3) if whole else None


def _locust_row(row: dict) -> dict:
    requests = int(_number(row.get("Request Count"), 0))
    failures = int(_number(row.get("Failure Count"), 0))
    entry = {
        "method": row.get("Type") or "",
        "name": row.get("Name") or "",
        "requests": requests,
        "failures": failures,
        "failure_rate_pct": _percent(failures, requests),
        "mean_ms": _rounded(_number(row.get("Average Response Time"))),
        "min_ms": _rounded(_number(row.get("Min Response Time"))),
        "max_ms": _rounded(_number(row.get("Max Response Time"))),
        "throughput_rps": _rounded(_number(row.get("Requests/s"))),
    }
    for key, column in PERCENTILE_COLUMNS.items():
        entry[key] = _number(row.get(column))
    return entry


def locust_summary(stats_csv: str, failures_csv: str = "", history_csv: str = "", latency_json: str = "") -> dict:
    """Summarise Locust's ``<prefix>_stats.csv`` (plus failures, history and latency, when given).

    Returns the aggregated figures (requests, failures, failure rate, mean and
    percentiles in ms, throughput in req/s), one entry per endpoint, the distinct
    failures, from the history the peak user count and the run's duration, and from the
    locustfile's ``locust_latency.json`` the ``latency`` of successful and failed
    requests apart (:func:`latency_by_outcome`; ``None`` without that file).
    """
    if not isinstance(stats_csv, str) or not stats_csv.strip():
        raise LoadStatsError("locust_summary: the stats CSV is empty (did Locust run?)")
    rows = list(csv.DictReader(io.StringIO(stats_csv)))
    if not rows or "Request Count" not in rows[0]:
        raise LoadStatsError("locust_summary: not a Locust stats CSV (no 'Request Count' column)")
    totals = [row for row in rows if row.get("Name") == LOCUST_TOTAL_ROW and not row.get("Type")]
    if not totals:
        raise LoadStatsError("locust_summary: the stats CSV has no Aggregated row")
    summary = _locust_row(totals[-1])
    summary.pop("method")
    summary.pop("name")
    summary["endpoints"] = [_locust_row(row) for row in rows if row is not totals[-1]]
    summary["failure_kinds"] = [
        {"method": row.get("Method", ""), "name": row.get("Name", ""), "error": row.get("Error", ""),
         "occurrences": int(_number(row.get("Occurrences"), 0))}
        for row in csv.DictReader(io.StringIO(failures_csv or ""))
    ]
    summary.update(_locust_history(history_csv or ""))
    summary["latency"] = latency_by_outcome(latency_json) if (latency_json or "").strip() else None
    return summary


def percentile(samples: list, pct: float):
    """The nearest-rank ``pct`` percentile of ``samples`` (None when there are none)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100.0 * len(ordered)) - 1)]


def _outcome_figures(entries: list) -> dict:
    """Count, mean and percentiles of one outcome, from ``{count, samples_ms}`` entries."""
    samples = [float(value) for entry in entries for value in entry.get("samples_ms") or []]
    count = sum(int(entry.get("count") or 0) for entry in entries)
    return {
        "requests": count,
        "sampled": len(samples) < count,
        "mean_ms": _rounded(sum(samples) / len(samples)) if samples else None,
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
    }


def latency_by_outcome(latency_json: str) -> dict:
    """Latency of successful and failed requests apart, from the locustfile's JSON
    (``{samples_max, endpoints: {name: {ok|failed: {count, samples_ms}}}}``).

    Locust's own percentiles mix both: a run whose failures are instant (connection
    refused) looks fast. ``successful`` and ``failed`` cover every endpoint (an endpoint
    whose samples were cut to ``samples_max`` weighs as much as its sample), and
    ``endpoints`` has the same per endpoint.
    """
    try:
        document = json.loads(latency_json)
        endpoints = document["endpoints"]
        outcomes = {name: (entry["ok"], entry["failed"]) for name, entry in endpoints.items()}
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise LoadStatsError(f"latency_by_outcome: not the locustfile's latency JSON: {exc}") from exc
    return {
        "source": "locust request events",
        "samples_max": document.get("samples_max"),
        "successful": _outcome_figures([ok for ok, _failed in outcomes.values()]),
        "failed": _outcome_figures([failed for _ok, failed in outcomes.values()]),
        "endpoints": {name: {"successful": _outcome_figures([ok]), "failed": _outcome_figures([failed])}
                      for name, (ok, failed) in sorted(outcomes.items())},
    }


def _locust_history(history_csv: str) -> dict:
    """Peak users, the span between the first and the last sample with traffic, and the
    time series of the Aggregated rows."""
    users, stamps_with_requests, rows = [], [], []
    for row in csv.DictReader(io.StringIO(history_csv)):
        if row.get("Name") != LOCUST_TOTAL_ROW:
            continue
        rows.append(row)
        users.append(int(_number(row.get("User Count"), 0)))
        if _number(row.get("Total Request Count"), 0):
            stamps_with_requests.append(int(_number(row.get("Timestamp"), 0)))
    return {
        "peak_users": max(users) if users else None,
        "active_duration_s": (stamps_with_requests[-1] - stamps_with_requests[0]) if stamps_with_requests else None,
        "time_series": locust_time_series(rows),
    }


def locust_time_series(rows: list, max_points: int = MAX_SERIES_POINTS) -> list:
    """``[{t_s, users, rps, failures_per_s, p50_ms, p95_ms}]`` from the Aggregated rows of
    Locust's stats history (one a second), ``t_s`` from the first row. Locust's history
    percentiles cover its recent window, so each point is the latency of that moment; a
    cell Locust wrote as N/A (no request yet) is None. Every k-th row is kept when there
    are more than ``max_points``, the last one always."""
    if not rows:
        return []
    first = _number(rows[0].get("Timestamp"), 0)
    stride = max(1, math.ceil(len(rows) / max_points))
    kept = rows[::stride] if rows[::stride][-1] is rows[-1] else rows[::stride] + [rows[-1]]
    return [{"t_s": _number(row.get("Timestamp"), first) - first,
             "users": int(_number(row.get("User Count"), 0)),
             "rps": _rounded(_number(row.get("Requests/s"))),
             "failures_per_s": _rounded(_number(row.get("Failures/s"))),
             "p50_ms": _number(row.get("50%")),
             "p95_ms": _number(row.get("95%"))}
            for row in kept]


def _threshold_check(name, value, limit, unit, status_if_missed, detail):
    limit = int(limit) if float(limit).is_integer() else limit
    if value is None:
        return check(name, "failed", None, f"< {limit} {unit}", f"not measured: {detail}")
    return judged(name, value < limit, value, f"< {limit} {unit}", detail, otherwise=status_if_missed)


def release_sample(latency_json: str, image_id: str = "", version: str = "") -> dict:
    """One side of the release comparison (judge release_comparison): per endpoint, the
    response times of its successful requests and its request and failure counts, from the
    locustfile's ``locust_latency.json``, with the release that served them."""
    try:
        endpoints = json.loads(latency_json)["endpoints"]
        sides = {name: {"latencies_ms": [float(value) for value in entry["ok"]["samples_ms"]],
                        "requests": int(entry["ok"]["count"]) + int(entry["failed"]["count"]),
                        "failures": int(entry["failed"]["count"])}
                 for name, entry in sorted(endpoints.items())}
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise LoadStatsError(f"release_sample: not the locustfile's latency JSON: {exc}") from exc
    return {"image_id": image_id or None, "version": version or None, "endpoints": sides}


def judged_latency(summary: dict) -> dict:
    """The latency figures the checks judge and the report shows, and what they are of
    (``basis``: V(successful requests) or V(all requests)).

    Successful requests alone when the locustfile kept them by outcome (a request that
    failed has no meaningful latency: a refused connection takes no time); otherwise
    Locust's aggregate, which the detail then says includes the failed requests.
    """
    latency = summary.get("latency")
    if not latency:
        failures = summary.get("failures") or 0
        included = f", its {failures} failed requests included (no latency by outcome)" if failures else ""
        return {"basis": "all requests", **{key: summary.get(key) for key in LATENCY_KEYS},
                "p95_of": f"Locust aggregated 95th percentile{included}", "mean_of": f"Locust aggregated mean{included}"}
    ok, failed = latency["successful"], latency["failed"]
    if not ok["requests"]:
        none = f"of successful requests: none of {failed['requests']} succeeded"
        return {"basis": "successful requests", **dict.fromkeys(LATENCY_KEYS),
                "p95_of": f"95th percentile {none}", "mean_of": f"mean {none}"}
    excluded = f"; the {failed['requests']} failed requests (p95 {failed['p95_ms']} ms) excluded" if failed["requests"] else ""
    sampled = ", sampled" if ok["sampled"] else ""
    of = f"of the {ok['requests']} successful requests{sampled}{excluded}"
    return {"basis": "successful requests", **{key: ok[key] for key in LATENCY_KEYS},
            "p95_of": f"95th percentile {of}", "mean_of": f"mean {of}"}


def load_thresholds(summary: dict, thresholds: dict) -> list:
    """Checks for the spec's thresholds, from a :func:`locust_summary`.

    ``thresholds`` holds ``p95_ms`` and ``failure_rate_pct`` (missing one fails the
    phase) and ``mean_ms`` and ``error_rate_pct`` (missing one warns). A run that made
    no request fails every check: there is nothing to judge.
    """
    required = ("p95_ms", "failure_rate_pct", "mean_ms", "error_rate_pct")
    missing = [key for key in required if key not in thresholds]
    if missing:
        raise LoadStatsError(f"load_thresholds: missing thresholds {missing}")
    if not summary.get("requests"):
        return [check("load test traffic", "failed", 0, "> 0 requests", "Locust recorded no request")]
    rate_detail = f"{summary['failures']} of {summary['requests']} requests failed"
    try:
        limits = {key: float(thresholds[key]) for key in required}
    except (TypeError, ValueError) as exc:
        raise LoadStatsError(f"load_thresholds: thresholds must be numbers: {exc}") from exc
    latency = judged_latency(summary)
    return [
        _threshold_check("p95 response time", latency["p95_ms"], limits["p95_ms"], "ms", "failed",
                         f"{latency['p95_of']} (fails the phase)"),
        _threshold_check("failure rate", summary.get("failure_rate_pct"), limits["failure_rate_pct"], "%",
                         "failed", rate_detail + " (fails the phase)"),
        _threshold_check("mean response time", latency["mean_ms"], limits["mean_ms"], "ms", "warned",
                         f"{latency['mean_of']} (report target, warns)"),
        _threshold_check("error rate", summary.get("failure_rate_pct"), limits["error_rate_pct"], "%",
                         "warned", rate_detail + " (report target, warns)"),
    ]


def ab_summary(output: str) -> dict:
    """The figures of an ApacheBench (``ab``) run, from its text output."""
    if not isinstance(output, str) or "Complete requests:" not in output:
        raise LoadStatsError("ab_summary: not ApacheBench output (no 'Complete requests:')")

    def field(label):
        match = re.search(rf"^{re.escape(label)}:\s+([0-9.]+)", output, re.MULTILINE)
        return _number(match.group(1)) if match else None

    complete = int(field("Complete requests") or 0)
    failed = int(field("Failed requests") or 0)
    non_2xx = int(field("Non-2xx responses") or 0)
    # ab counts a body whose length differs from the first one as "failed" (Length);
    # a JSON body with timestamps varies by design, so only the other kinds are errors.
    breakdown = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)", output)
    length_mismatches = int(breakdown.group(3)) if breakdown else 0
    failed -= length_mismatches
    percentiles = {
        f"p{int(pct)}_ms": _number(ms)
        for pct, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", output, re.MULTILINE)
    }
    return {
        "complete_requests": complete,
        "failed_requests": failed,
        "length_mismatches": length_mismatches,
        "non_2xx_responses": non_2xx,
        "error_rate_pct": _percent(failed + non_2xx, complete),
        "throughput_rps": field("Requests per second"),
        "mean_ms": field("Time per request"),
        "total_time_s": field("Time taken for tests"),
        **percentiles,
    }


def k6_summary(summary_json: str) -> dict:
    """p95/mean duration, failed rate and throughput from ``k6 run --summary-export``."""
    try:
        metrics = json.loads(summary_json)["metrics"]
    except (TypeError, ValueError, KeyError) as exc:
        raise LoadStatsError(f"k6_summary: not a k6 summary export: {exc}") from exc
    duration = metrics.get("http_req_duration", {})
    failed = metrics.get("http_req_failed", {})
    requests = metrics.get("http_reqs", {})
    return {
        "requests": int(requests.get("count", 0)),
        "throughput_rps": _rounded(requests.get("rate")),
        "mean_ms": _rounded(duration.get("avg")),
        "p50_ms": _rounded(duration.get("med")),
        "p95_ms": _rounded(duration.get("p(95)")),
        "failure_rate_pct": _rounded(100.0 * failed["value"]) if "value" in failed else None,
    }


def parse_size(text: str) -> int | None:
    """Bytes in a docker size such as ``12.5MiB``, ``1.02kB`` or ``0B``."""
    match = SIZE_RE.match(str(text))
    if not match or match.group(2).lower() not in SIZE_UNITS:
        return None
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])


def _pair(text: str) -> tuple:
    parts = str(text).split("/", 1)
    return parse_size(parts[0]), parse_size(parts[1]) if len(parts) == 2 else None


def docker_stats(output: str) -> list:
    """One dict per container from ``docker stats --no-stream --format json`` (a JSON object per line)."""
    samples = []
    for line in str(output).splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise LoadStatsError(f"docker_stats: not a JSON line: {line[:80]!r}") from exc
        mem_used, mem_limit = _pair(row.get("MemUsage", ""))
        net_rx, net_tx = _pair(row.get("NetIO", ""))
        block_read, block_write = _pair(row.get("BlockIO", ""))
        samples.append({
            "name": row.get("Name", ""),
            "cpu_pct": _number(str(row.get("CPUPerc", "")).rstrip("%")),
            "mem_bytes": mem_used,
            "mem_limit_bytes": mem_limit,
            "mem_pct": _number(str(row.get("MemPerc", "")).rstrip("%")),
            "net_rx_bytes": net_rx,
            "net_tx_bytes": net_tx,
            "block_read_bytes": block_read,
            "block_write_bytes": block_write,
            "pids": int(_number(row.get("PIDs"), 0)),
        })
    return samples


def sampled(samples: dict, round_name, docker_stats_result, db_result, redis_result, at: str) -> dict:
    """``samples`` (``{docker, db, redis}`` lists) with one sampling round added: the parsed
    ``docker stats`` of a command that exited 0 and gave rows, the db_check connection counts
    and the redis_check memory figures of a service that answered, each stamped ``at`` and
    ``round``. A probe that did not answer adds nothing."""
    samples = samples or {}
    out = {key: list(samples.get(key) or []) for key in ("docker", "db", "redis")}
    docker_result = docker_stats_result or {}
    if docker_result.get("rc", 1) == 0:
        rows = docker_stats(docker_result.get("stdout", ""))
        if rows:
            out["docker"].append(rows)
    db_result, redis_result = db_result or {}, redis_result or {}
    connections = db_result.get("connections") or {}
    if db_result.get("is_available") and not connections.get("error"):
        out["db"].append({**connections, "at": at, "round": round_name})
    if redis_result.get("is_available"):
        out["redis"].append({**(redis_result.get("memory") or {}), "at": at, "round": round_name})
    return out


def round_wait_s(started: float, interval_s: float, now: float) -> int:
    """Whole seconds still to wait for a sampling round started at ``started`` (epoch) to last
    ``interval_s``: 0 when less than a second is left."""
    left = float(interval_s) - (float(now) - float(started))
    return int(math.ceil(left)) if left >= 1 else 0


def _as_int(value) -> int:
    """Jinja's ``int`` filter: what is not a number is 0."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def target_problem(base_url: str, allow_non_loopback: bool) -> str:
    """Why load must not go to ``base_url`` ("" when it may): an http(s) URL of a loopback
    address (localhost, ::1, 127.*), unless ``allow_non_loopback``."""
    parts = urllib.parse.urlsplit(str(base_url))
    host = parts.hostname or ""
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if parts.scheme in ("http", "https") and (allow_non_loopback or loopback):
        return ""
    return (f"load_test_base_url {base_url} is not a loopback address; set "
            "load_test_allow_non_loopback=true only for a host you own.")


def scenario_problem(stages: list, fixtures: list, sample_interval_s) -> str:
    """Why the scenario cannot run ("" when it can): the stages must have positive durations,
    reach at least one user and end at 0 users; fixtures must be given; the sampling interval
    must be positive."""
    stages = [stage if isinstance(stage, dict) else {} for stage in stages or []]
    users = [_as_int(stage.get("target_users")) for stage in stages]
    durations = [_as_int(stage.get("duration_s")) for stage in stages]
    if stages and max(users) > 0 and users[-1] == 0 and min(durations) > 0 and fixtures \
            and _as_int(sample_interval_s) > 0:
        return ""
    return ("load_test_stages must have positive durations, reach at least one user and end at 0 users; "
            "load_test_fixtures must not be empty.")


def resource_summary(rounds: list) -> dict:
    """Per container: peak and mean CPU %, peak memory, last net/block IO over sampling rounds.

    ``rounds`` is a list of :func:`docker_stats` results, one per sampling round.
    """
    per_container: dict = {}
    for samples in rounds:
        for sample in samples:
            per_container.setdefault(sample["name"], []).append(sample)
    summary = {}
    for name, samples in sorted(per_container.items()):
        cpu = [s["cpu_pct"] for s in samples if s["cpu_pct"] is not None]
        mem = [s["mem_bytes"] for s in samples if s["mem_bytes"] is not None]
        last = samples[-1]
        summary[name] = {
            "samples": len(samples),
            "cpu_pct_peak": max(cpu) if cpu else None,
            "cpu_pct_mean": round(sum(cpu) / len(cpu), 2) if cpu else None,
            "mem_bytes_peak": max(mem) if mem else None,
            "mem_limit_bytes": last["mem_limit_bytes"],
            "net_rx_bytes": last["net_rx_bytes"],
            "net_tx_bytes": last["net_tx_bytes"],
            "block_read_bytes": last["block_read_bytes"],
            "block_write_bytes": last["block_write_bytes"],
        }
    return summary


def log_level_counts(text: str) -> dict:
    """Lines per log level (WARN counted as WARNING, FATAL as CRITICAL) in a log text."""
    counts = dict.fromkeys(LOG_LEVELS, 0)
    for line in str(text).splitlines():
        match = LOG_LEVEL_RE.search(line)
        if match:
            level = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(match.group(1), match.group(1))
            counts[level] += 1
    return counts


def series_summary(values: list) -> dict:
    """min / max / mean / last of a numeric series (None values are ignored)."""
    numbers = [float(v) for v in values if v is not None]
    if not numbers:
        return {"samples": 0, "min": None, "max": None, "mean": None, "last": None}
    return {"samples": len(numbers), "min": min(numbers), "max": max(numbers),
            "mean": round(sum(numbers) / len(numbers), 3), "last": numbers[-1]}
