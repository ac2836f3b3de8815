# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge ``load_test``: the load test run against its thresholds.

Probes (registered results; ``None`` for a step the run did not reach):

- ``ab_version``, ``ab_run``: ``ab -V`` and the ApacheBench run (ansible.builtin.command);
  ``None`` when the baseline is disabled.
- ``k6_version``, ``k6_run``: ``k6 version`` and ``k6 run`` (command; ``k6_run`` is
  ``{skipped: true}`` in check mode); ``k6_summary``: the k6_summary filter's result.
- ``locust_run``: ansible.builtin.async_status of the Locust job; ``summary``: the
  locust_summary filter's result (``None`` until Locust's statistics were summarised:
  then no Locust check is judged).
- ``app_logs``: the looped ``docker logs`` command; ``samples``: ``{docker, db, redis}``
  rounds; ``containers``, ``app_containers``: names; ``load_started_at``.
- ``failure``: ``{task, msg}`` when a step failed (the role's rescue): one more failed check.

- ``locust_version``: ``locust --version`` (command); ``run_dir``: the run's directory.

Targets, from the role options TARGET_VARIABLES names: ``thresholds`` (``p95_ms``,
``failure_rate_pct``, ``mean_ms``, ``error_rate_pct``), ``stages``, ``think_time_s``,
``timeout_margin_s``, ``ab_executable``, ``ab_requests``, ``ab_concurrency``, ``ab_path``
(or all four as ``ab``: ``executable``, ``requests``, ``concurrency``, ``path``),
``k6_executable``, ``base_url``.
"""

from __future__ import annotations

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged, truncate
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.load_stats import (
    ab_summary, judged_latency, load_thresholds, log_level_counts, resource_summary, series_summary)

MIB = 1048576
# A share of max_connections above which the database warns under load.
DB_USAGE_WARN_PCT = 80
# Each target from the role option it comes from (record_phase fills those not passed).
TARGET_VARIABLES = {
    "thresholds": "_load_test_thresholds",
    "stages": "load_test_stages",
    "think_time_s": "load_test_think_time_s",
    "timeout_margin_s": "load_test_timeout_margin_s",
    "ab_executable": "load_test_ab_executable",
    "ab_requests": "load_test_ab_requests",
    "ab_concurrency": "load_test_ab_concurrency",
    "ab_path": "load_test_ab_path",
    "k6_executable": "load_test_k6_executable",
    "base_url": "load_test_base_url",
}
AB_OPTIONS = ("executable", "requests", "concurrency", "path")


def _percentiles_detail(latency: dict) -> str:
    if latency["basis"] == "all requests":
        return "Locust aggregated percentiles over all endpoints"
    return latency["p95_of"].replace("95th percentile", "percentiles over all endpoints", 1)


def _reached(result) -> bool:
    """Whether a probe task ran: registered, not skipped."""
    return isinstance(result, dict) and not result.get("skipped")


def _float(value, default: float = 0.0) -> float:
    """Jinja's ``float`` filter: anything that is not a number is ``default``."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _thresholds(targets: dict) -> dict:
    return {key: float(value) for key, value in (targets.get("thresholds") or {}).items()}


def _scenario_target(thresholds: dict) -> str:
    return f"p95 < {thresholds.get('p95_ms')} ms, failed < {thresholds.get('failure_rate_pct')} %"


def _ab(probes: dict, targets: dict, thresholds: dict) -> tuple[list, dict]:
    version, run = probes.get("ab_version"), probes.get("ab_run")
    options = targets.get("ab") or {key: targets.get(f"ab_{key}") for key in AB_OPTIONS}
    plan = f"ab -n {options.get('requests')} -c {options.get('concurrency')} {options.get('path')}"
    if not _reached(version):
        return [], {}
    if version.get("rc") != 0:
        return [check("ApacheBench baseline", "not_run", None, plan,
                      f"{options.get('executable')} not found on the host (Debian package apache2-utils)")], {}
    if not _reached(run):
        return [], {}
    stdout, rc = run.get("stdout") or "", run.get("rc")
    figures = ab_summary(stdout) if "Complete requests:" in stdout else {}
    target = f"{plan}: all complete, errors < {thresholds['error_rate_pct']} %"
    evidence = {"ab": {**figures, "rc": rc}}
    if not figures:
        detail = f"ab produced no result (rc {rc}): " + truncate(str(run.get("stderr") or "").strip(), 200)
        return [check("ApacheBench baseline", "failed", None, target, detail)], evidence
    error_rate = figures["error_rate_pct"] if figures["error_rate_pct"] is not None else 100.0
    if figures["complete_requests"] < int(options.get("requests")) or error_rate >= thresholds["failure_rate_pct"]:
        status = "failed"
    else:
        status = "warned" if error_rate >= thresholds["error_rate_pct"] else "passed"
    value = (f"{figures['throughput_rps']} req/s, mean {figures['mean_ms']} ms, p95 {figures.get('p95_ms', '?')} ms, "
             f"errors {error_rate} %")
    detail = (f"rc {rc}, {figures['complete_requests']} complete, {figures['failed_requests']} failed, "
              f"{figures['non_2xx_responses']} non-2xx, {figures['length_mismatches']} length-only differences "
              "(not errors)")
    return [check("ApacheBench baseline", status, value, target, detail)], evidence


def _k6(probes: dict, targets: dict, thresholds: dict) -> tuple[list, dict]:
    version, run, summary = probes.get("k6_version"), probes.get("k6_run"), probes.get("k6_summary")
    target = _scenario_target(thresholds)
    if not _reached(version):
        return [], {}
    if version.get("rc") != 0:
        return [check("k6 scenario", "not_run", None, target,
                      f"{targets.get('k6_executable')} not found on the host; the scenario ran with Locust only")], {}
    if isinstance(run, dict) and run.get("skipped"):
        tool = str(version.get("stdout") or "k6").strip()
        return [check("k6 scenario", "skipped", "check mode", target,
                      f"would run {tool} against {targets.get('base_url')}: the scenario POSTs predictions, "
                      "which the app stores")], {}
    if not _reached(run) or not isinstance(summary, dict):
        return [], {}
    value = f"p95 {summary.get('p95_ms')} ms, failed {summary.get('failure_rate_pct')} %, {summary.get('throughput_rps')} req/s"
    return ([judged("k6 scenario", run.get("rc") == 0, value, target,
                    f"k6 exit {run.get('rc')} (99 = a threshold was crossed)")],
            {"k6": {**summary, "rc": run.get("rc")}})


def _series(rounds: list, key: str) -> dict:
    return series_summary([sample.get(key) for sample in rounds])


# The separator the role's YAML joined the logs with: a backslash and an "n", not a line
# break (Jinja keeps the escape of a YAML block scalar), so the counts stay as they were.
# It glues the first line of each log to the last of the one before; a follow-up may fix it.
LOG_JOIN = "\\n"


def _log_levels(app_logs) -> dict:
    results = (app_logs or {}).get("results") or []
    text = (LOG_JOIN.join(str(item.get("stdout", "")) for item in results) + LOG_JOIN
            + LOG_JOIN.join(str(item.get("stderr", "")) for item in results))
    return log_level_counts(text)


def _stages_detail(stages: list) -> str:
    return " users, ".join(f"{stage['duration_s']} s -> {stage['target_users']}" for stage in stages) + " users"


def _locust(probes: dict, targets: dict, thresholds: dict) -> tuple[list, dict]:
    summary = probes["summary"]
    run = probes.get("locust_run") or {}
    stages = targets.get("stages") or []
    samples = probes.get("samples") or {}
    docker_rounds, db_rounds, redis_rounds = (samples.get(key) or [] for key in ("docker", "db", "redis"))
    containers, app_containers = probes.get("containers") or [], probes.get("app_containers") or []
    total_s = sum(int(stage["duration_s"]) for stage in stages)
    peak_stage_users = max(stage["target_users"] for stage in stages) if stages else None
    rc = run.get("rc", "?")
    resources = resource_summary(docker_rounds)
    app_resources = [figures for name, figures in resources.items() if name in app_containers]
    db = {key: _series(db_rounds, key) for key in ("total", "active", "idle", "usage_percent")}
    redis = {key: _series(redis_rounds, key) for key in ("used_memory", "used_memory_peak", "mem_fragmentation_ratio")}
    levels = _log_levels(probes.get("app_logs"))

    if app_resources:
        app = app_resources[0]
        resources_detail = (f"app peak CPU {app['cpu_pct_peak']} %, peak memory "
                            f"{round(int(app['mem_bytes_peak'] or 0) / MIB, 1)} MiB")
    else:
        resources_detail = "no app container sampled"
    if db["total"]["samples"] == 0:
        db_status = "not_run"
    else:
        db_status = "passed" if _float(db["usage_percent"]["max"]) < DB_USAGE_WARN_PCT else "warned"
    if not app_containers:
        log_status = "not_run"
    else:
        log_status = "passed" if levels["ERROR"] + levels["CRITICAL"] == 0 else "warned"

    # The figures the checks judge and the report shows: of successful requests when the
    # locustfile kept them apart (Locust's own, failures included, stay in summary).
    latency = judged_latency(summary)
    checks = [
        judged("Locust run", bool(run.get("finished", False)) and run.get("rc", -1) in (0, 1),
               f"{summary.get('requests')} requests in {summary.get('active_duration_s')} s, exit {rc}",
               f"completes within {total_s + int(targets.get('timeout_margin_s', 0))} s",
               "exit 1 means some request failed; the thresholds below judge the run"),
        judged("stages followed", peak_stage_users is not None and summary.get("peak_users") == int(peak_stage_users),
               f"peak {summary.get('peak_users')} users", f"peak {peak_stage_users} users",
               _stages_detail(stages), otherwise="warned"),
        judged("latency percentiles", latency["p99_ms"] is not None,
               f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, p99 {latency['p99_ms']} ms",
               "measured", _percentiles_detail(latency)),
        judged("throughput", _float(summary.get("throughput_rps")) > 0, f"{summary.get('throughput_rps')} req/s",
               "> 0 req/s", "requests over the whole run, ramps included"),
        *load_thresholds(summary, thresholds),
        check("container resources sampled", "passed" if docker_rounds else "not_run",
              f"{len(docker_rounds)} rounds of {len(containers)} containers", "sampled during the load",
              resources_detail),
        check("DB connections under load", db_status,
              f"total max {db['total']['max']}, active max {db['active']['max']}, idle max {db['idle']['max']}",
              f"< {DB_USAGE_WARN_PCT} % of max_connections",
              f"{db['total']['samples']} samples, peak usage {db['usage_percent']['max']} %"),
        check("Redis memory under load", "passed" if redis["used_memory"]["samples"] > 0 else "not_run",
              f"used_memory max {redis['used_memory']['max']} B, peak {redis['used_memory_peak']['max']} B, "
              f"fragmentation {redis['mem_fragmentation_ratio']['last']}",
              "sampled during the load", f"{redis['used_memory']['samples']} samples"),
        check("app log during the load", log_status,
              f"INFO {levels['INFO']}, WARNING {levels['WARNING']}, ERROR {levels['ERROR']}, "
              f"CRITICAL {levels['CRITICAL']}",
              "no ERROR/CRITICAL", f"lines of {', '.join(app_containers)} since the load started"),
    ]
    evidence = {
        "requests_total": summary.get("requests"),
        "requests_failed": summary.get("failures"),
        "error_rate_pct": summary.get("failure_rate_pct"),
        "latency_basis": latency["basis"],
        "response_time_mean_ms": latency["mean_ms"],
        "p50_ms": latency["p50_ms"],
        "p95_ms": latency["p95_ms"],
        "p99_ms": latency["p99_ms"],
        "throughput_rps": summary.get("throughput_rps"),
        "load_started_at": probes.get("load_started_at"),
        "locust_exit_code": run.get("rc"),
        "summary": {key: value for key, value in summary.items()
                    if key not in ("endpoints", "failure_kinds", "time_series")},
        "time_series": summary.get("time_series") or [],
        "endpoints": summary.get("endpoints"),
        "failure_kinds": summary.get("failure_kinds"),
        "resources": resources,
        "db_connections": db,
        "redis_memory": redis,
        "app_log_levels": levels,
        "samples": samples,
    }
    return checks, evidence


def _scenario(probes: dict, targets: dict) -> dict:
    """The tool version and the scenario, once the run was validated; the run directory."""
    evidence = {"run_dir": probes.get("run_dir")} if probes.get("run_dir") else {}
    version = probes.get("locust_version")
    if _reached(version):
        evidence.update({"locust_version": (version.get("stdout_lines") or [""])[-1],
                         "base_url": targets.get("base_url"), "stages": targets.get("stages"),
                         "think_time_s": targets.get("think_time_s"), "thresholds": targets.get("thresholds")})
    return evidence


def judge(probes: dict, targets: dict) -> dict:
    """The checks of the load test, in the order of the run: ab, k6, Locust, a failed step."""
    thresholds = _thresholds(targets)
    checks: list = []
    evidence: dict = _scenario(probes, targets)
    for part in (_ab, _k6):
        part_checks, part_evidence = part(probes, targets, thresholds)
        checks += part_checks
        evidence.update(part_evidence)
    if isinstance(probes.get("summary"), dict):
        part_checks, part_evidence = _locust(probes, targets, thresholds)
        checks += part_checks
        evidence.update(part_evidence)
    failure = probes.get("failure")
    if failure:
        checks.append(check("load test run", "failed", None, "completes",
                            f"{failure.get('task', '?')}: {failure.get('msg', 'failed')}"))
    return {"checks": checks, "evidence": evidence}
