# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of the health phase: the application and every dependency answer, quickly.

``probes`` are the registered results of roles/health (``None`` for a task that did not
run): ``api`` (api_check of /health and /metrics), ``db`` (db_check), ``redis``
(redis_check), ``kafka`` (kafka_check), ``mlflow`` (mlflow_check), ``checks_started_at`` and
``checks_ended_at`` (times noted around the checks, ended only when all of them ran) and
``failed_step`` (``{task, msg}`` from the role's rescue). ``targets`` are the role's options
without their ``health_`` prefix (record_phase takes them from the options TARGET_VARIABLES
names).

The checks run in one block, in the order of STEPS; the first one that did not finish ends
the judgement (the role had recorded only the checks before the task that failed), and the
failure of the block is one more check unless a check already failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from numbers import Number

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import (
    as_float, check, elapsed_seconds, finished, judged, truncate)

# Each target from the role option it comes from (record_phase fills those not passed).
TARGET_VARIABLES = {
    "expected_status": "health_expected_status",
    "latency_budget_ms": "health_latency_budget_ms",
    "metrics_required": "health_metrics_required",
    "db_max_connections_percent": "health_db_max_connections_percent",
    "kafka_required_topics": "health_kafka_required_topics",
    "mlflow_required_models": "health_mlflow_required_models",
}


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _join(items, separator: str = ", ") -> str:
    return separator.join(str(item) for item in items)


def _unavailable(result: Mapping) -> str:
    """Why a service did not answer: the module's error, else its message."""
    return result.get("error", result.get("msg", ""))


def _probe(result: Mapping, name: str) -> Mapping:
    return next((item for item in result.get("probes") or [] if _mapping(item).get("name") == name), {})


def _app(probes: Mapping, targets: Mapping):
    api = probes.get("api")
    if not finished(api):
        return None
    health, metrics = _probe(api, "health"), _probe(api, "metrics")
    body = _mapping(health.get("json"))
    dependencies = _join(f"{name}={_mapping(state).get('status')}"
                         for name, state in _mapping(body.get("checks", {})).items())
    answered = health.get("status") is not None
    latency = health.get("latency_ms")
    budget = targets.get("latency_budget_ms")
    required = _join(targets.get("metrics_required") or [])
    detail = health.get("reason")
    if health.get("ok"):
        detail = f"version {body.get('version', '?')}, commit {body.get('git_commit', '?')}"
        detail += f", dependencies: {dependencies}" if dependencies else ""
    checks = [
        judged("app /health", bool(health.get("ok")),
               f"HTTP {health.get('status')}, status {json.dumps(body.get('status', 'none'))}",
               f"HTTP 200 and status == {json.dumps(targets.get('expected_status'))}", detail),
        judged("app /health latency", answered and latency < as_float(budget),
               f"{latency} ms" if answered else f"no response ({latency} ms)", f"< {budget} ms",
               "" if answered else health.get("reason")),
        judged("app /metrics", bool(metrics.get("ok")),
               f"HTTP {metrics.get('status')}" + (f", has {required}" if metrics.get("ok") else ""),
               f"HTTP 200 and contains {required}", metrics.get("reason")),
    ]
    evidence = {"app_version": body.get("version"), "app_git_commit": body.get("git_commit"),
                "health_latency_ms": latency, "app_dependencies": body.get("checks", {})}
    return checks, evidence


def _database(probes: Mapping, targets: Mapping):
    db = probes.get("db")
    if not finished(db):
        return None
    available = db.get("is_available", False)
    select_one = _mapping(db.get("select_one"))
    connections = _mapping(db.get("connections", {}))
    usage = connections.get("usage_percent")
    limit = targets.get("db_max_connections_percent")
    answered = bool(available) and bool(select_one.get("ok"))
    measured = isinstance(usage, Number)
    version = _mapping(db.get("server_version")).get("full")
    checks = [
        judged("database SELECT 1", answered,
               f"1 in {select_one.get('latency_ms')} ms" if answered else "no answer", "SELECT 1 returns 1",
               # A server that went away mid-check is available without a version.
               f"PostgreSQL {version}, connected in {db.get('connect_latency_ms')} ms"
               if available and "server_version" in db else _unavailable(db)),
        judged("database connections", measured and usage < as_float(limit),
               f"{connections.get('total')} of {connections.get('max_connections')} ({usage} %)" if measured
               else "unknown",
               f"< {limit} % of max_connections",
               f"active {connections.get('active')}, idle {connections.get('idle')}, "
               f"idle in transaction {connections.get('idle_in_transaction')}" if measured
               else connections.get("error", db.get("error", ""))),
    ]
    return checks, {"db_server_version": version, "db_connections": connections}


def _redis(probes: Mapping, _targets: Mapping):
    redis = probes.get("redis")
    if not finished(redis):
        return None
    ping = _mapping(redis.get("ping"))
    pong = bool(redis.get("is_available", False)) and bool(ping.get("ok", False))
    version = _mapping(redis.get("server_version")).get("full")
    keyspace = _mapping(redis.get("keyspace"))
    detail = _unavailable(redis)
    if pong:
        detail = (f"Redis {version}, db {keyspace.get('db')} holds {keyspace.get('keys')} keys, "
                  f"used_memory {_mapping(redis.get('memory')).get('used_memory_human')}")
    return [judged("redis PING", pong, f"PONG in {ping.get('latency_ms')} ms" if pong else "no PONG", "PONG",
                   detail)], {"redis_version": version}


def _kafka(probes: Mapping, targets: Mapping):
    kafka = probes.get("kafka")
    if not finished(kafka):
        return None
    available = kafka.get("is_available", False)
    required = list(targets.get("kafka_required_topics") or [])
    missing = kafka.get("missing_topics", required)
    topics = kafka.get("topics", [])
    detail = _unavailable(kafka)
    if available:
        detail = ("missing: " + _join(missing) if missing else
                  f"topics: {_join(topics)}; {_mapping(kafka.get('cluster')).get('broker_count')} broker(s)")
    return [judged("kafka topics", bool(available) and not missing,
                   f"{len(topics)} topics listed in {kafka.get('bootstrap_latency_ms')} ms" if available
                   else "no answer",
                   "topics listed, including " + _join(required), detail)], {"kafka_topics": topics}


def _mlflow(probes: Mapping, targets: Mapping):
    mlflow = probes.get("mlflow")
    if not finished(mlflow):
        return None
    available = mlflow.get("is_available", False)
    required = list(targets.get("mlflow_required_models") or [])
    missing = mlflow.get("missing_models", required)
    names = [_mapping(model).get("name") for model in mlflow.get("registered_models") or []]
    health = _mapping(mlflow.get("health"))
    server_version = _mapping(mlflow.get("server_version"))
    detail = _unavailable(mlflow)
    if available:
        detail = f"MLflow {server_version.get('full', '?')}, models: {_join(names)}"
        detail += f", missing: {_join(missing)}" if missing else ""
    return [judged("mlflow model registry", bool(mlflow.get("ok", False)),
                   f"/health {health.get('status')} in {health.get('latency_ms')} ms, "
                   f"{mlflow.get('model_count')} registered model(s)" if available else "no answer",
                   f"/health OK and {_join(required)} registered", detail)], \
        {"mlflow_version": server_version.get("full"), "mlflow_models": names}


STEPS = (_app, _database, _redis, _kafka, _mlflow)


def _failed_step_check(failed_step) -> dict:
    step = _mapping(failed_step)
    return check("health step", "failed", step.get("task", "unknown task"), "every step completes",
                 truncate(str(step.get("msg", "")), 500))


def judge(probes: dict, targets: dict) -> dict:
    """The health phase's checks and evidence from the role's registered probe results."""
    checks, evidence = [], {}
    for step in STEPS:
        outcome = step(probes, targets)
        if outcome is None:
            break
        checks += outcome[0]
        evidence.update(outcome[1])
    if probes.get("checks_ended_at"):
        evidence["checks_wall_s"] = elapsed_seconds(probes["checks_started_at"], probes["checks_ended_at"])
    if probes.get("failed_step") and not any(item["status"] == "failed" for item in checks):
        checks.append(_failed_step_check(probes["failed_step"]))
    return {"checks": checks, "evidence": evidence}
