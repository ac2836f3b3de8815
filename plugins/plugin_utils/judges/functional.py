# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of the functional phase: the API contract, the database, the model and Kafka.

``probes`` are the registered results of roles/functional (``None`` for a task that did not
run): ``api`` (api_check of the contract), ``db`` (db_check with the CRUD probe),
``table_checked`` (the assert on the predictions table name), ``count_before`` and
``count_after`` (db_check fingerprints of the predictions table), ``single`` and ``more``
(api_check of the predictions), ``stored`` (postgresql_query of answered_prediction_ids()),
``kafka`` (kafka_check with the round trip), ``check_mode`` and ``failed_step`` (``{task, msg}`` from
the role's rescue). ``targets`` are the role's options without their ``functional_`` prefix
(record_phase takes them from the options TARGET_VARIABLES names).

The role's steps run in one block, in the order of STEPS. Each step returns its checks, its
evidence and whether it finished; one that did not finish ends the judgement (the role had
recorded only the checks before the task that failed), and the failure of the block is one
more check unless a check already failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import (
    as_float, check, finished, judged, truncate)

MATCHES = "POST /api/v1/data/matches"
MODELS_INFO = "GET /api/v1/models/info"
DEFAULT_MATCHES_LIMIT = 20
NOT_RUN = ([], {}, False)
# Each target from the role option it comes from (record_phase fills those not passed).
TARGET_VARIABLES = {name: f"functional_{name}" for name in (
    "expected_health_status", "metrics_required", "matches_request", "expected_models", "prediction", "batch",
    "prediction_latency_budget_ms", "error_statuses", "predictions_table", "kafka_topic",
    "kafka_round_trip_timeout_s")}


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _join(items, separator: str = ", ") -> str:
    return separator.join(str(item) for item in items)


def _unique_missing(wanted, present) -> list:
    """The entries of ``wanted`` not in ``present``, once each, in the order of ``wanted``."""
    missing = []
    for item in wanted:
        if item not in present and item not in missing:
            missing.append(item)
    return missing


def _as_int(value) -> int:
    """A number as Jinja's ``int`` filter reads it (0 when it is none)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def _probe(result: Mapping, name: str) -> Mapping:
    """The api_check probe ``name`` of a registered api_check result."""
    return next((item for item in result.get("probes") or [] if _mapping(item).get("name") == name), {})


def _json_body(probe: Mapping) -> Mapping:
    return _mapping(probe.get("json"))


def _matches_limit(targets: Mapping):
    return _mapping(targets.get("matches_request")).get("limit", DEFAULT_MATCHES_LIMIT)


# --- API contract -----------------------------------------------------------------------

def _contract_targets(targets: Mapping) -> dict:
    return {
        "GET /health": f"HTTP 200, JSON status == {json.dumps(targets.get('expected_health_status'))}",
        "GET /docs": "HTTP 200, OpenAPI UI (swagger-ui)",
        "GET /metrics": f"HTTP 200, contains {_join(targets.get('metrics_required') or [])}",
        MODELS_INFO: "HTTP 200, models[] each with name, version, stage",
        MATCHES: f"HTTP 200, 1..{_matches_limit(targets)} matches with teams and date",
    }


def _contract_probe(probe: Mapping, targets: Mapping, expected: dict) -> dict:
    body = probe.get("json")
    count = None
    if probe.get("name") == MATCHES and isinstance(body, Mapping) and isinstance(body.get("matches"), list):
        count = len(body["matches"])
    count_ok = count is None or count <= _as_int(_matches_limit(targets))
    value = f"HTTP {probe.get('status')} in {probe.get('latency_ms')} ms"
    if count is not None:
        value += f", {count} matches"
    if not probe.get("ok"):
        detail = probe.get("reason")
    else:
        detail = "" if count_ok else "more matches than the limit asked for"
    return judged(probe.get("name"), bool(probe.get("ok")) and count_ok, value, expected.get(probe.get("name")),
                  detail)


def _api_contract(probes: Mapping, targets: Mapping):
    api = probes.get("api")
    if not finished(api):
        return NOT_RUN
    expected = _contract_targets(targets)
    entries = [_mapping(item) for item in api.get("probes") or []]
    checks = [_contract_probe(item, targets, expected) for item in entries]
    evidence = {"api_latency_ms": {item.get("name"): item.get("latency_ms") for item in entries},
                "api_batch_wall_ms": api.get("latency_ms")}
    return checks, evidence, True


# --- Database -------------------------------------------------------------------------

def _crud_checks(db: Mapping) -> list:
    crud = db.get("crud_probe", {"status": "not_run", "steps": {}, "cleaned_up": False})
    status = crud.get("status")
    steps = _mapping(crud.get("steps"))
    timings = " ms, ".join(f"{name} {_mapping(step).get('latency_ms')}" for name, step in steps.items())
    cleaned_up = crud.get("cleaned_up")
    return [
        check("database CRUD", status if status in ("skipped", "passed") else "failed",
              f"{timings} ms" if status == "passed" else status,
              "create, write, read, update, delete, drop on a scratch table succeed",
              crud.get("reason", "") if db.get("is_available") else db.get("error")),
        check("scratch table dropped",
              "passed" if cleaned_up else ("skipped" if status == "skipped" else "failed"),
              f"{crud.get('table', '')}{' gone' if cleaned_up else ' still there'}",
              "no scratch table left", ""),
    ]


def _sessions_check(db: Mapping) -> dict:
    connections = _mapping(db.get("connections"))
    if "total" in connections:
        return check("database sessions (pg_stat_activity)", "passed",
                     f"total {connections.get('total')}, active {connections.get('active')}, "
                     f"idle {connections.get('idle')}, idle in transaction {connections.get('idle_in_transaction')}",
                     "counts readable",
                     f"max_connections {connections.get('max_connections')} ({connections.get('usage_percent')} % used)")
    return check("database sessions (pg_stat_activity)", "failed", "unknown", "counts readable",
                 connections.get("error", db.get("error")))


def _database(probes: Mapping, _targets: Mapping):
    db = probes.get("db")
    if not finished(db):
        return NOT_RUN
    crud = db.get("crud_probe", {"steps": {}})
    evidence = {"db_sessions": db.get("connections", {}), "crud_steps": _mapping(crud).get("steps")}
    return _crud_checks(db) + [_sessions_check(db)], evidence, True


# --- Model ----------------------------------------------------------------------------

def _models_info_check(api: Mapping, targets: Mapping) -> dict:
    probe = _probe(api, MODELS_INFO)
    body = probe.get("json")
    models = list(body.get("models", [])) if isinstance(body, Mapping) else []
    expected = list(targets.get("expected_models") or [])
    listed = [_mapping(model)["name"] for model in models if "name" in _mapping(model)]
    missing = _unique_missing(expected, listed)
    complete = bool(models) and all(
        all(key in _mapping(model) for key in ("name", "version", "stage")) for model in models)
    versions = _join((" ".join(str(_mapping(model).get(key, "?")) for key in ("name", "version", "stage"))
                      for model in models))
    if missing:
        detail = "missing: " + _join(missing)
    elif isinstance(body, Mapping):
        detail = "serving " + json.dumps(body.get("serving", {}))
    else:
        detail = probe.get("reason")
    return judged("models/info lists the models", complete and not missing,
                  f"{len(models)} version(s): {versions}",
                  "name, version and stage for each; includes " + _join(expected), detail)


def _stored_rows(count: Mapping, table: str):
    """Rows of ``table`` in a db_check fingerprint; None when it was not read."""
    tables = _mapping(_mapping(count.get("fingerprint")).get("tables"))
    return _mapping(tables.get(table)).get("rows")


def _answered(single: Mapping, batch: Mapping) -> list:
    """The predictions the API answered with a prediction id, as YAML looked them up."""
    body = _json_body(single)
    batch_predictions = list(_json_body(batch).get("predictions", []))
    answered = ([body] if single.get("ok") else []) + (batch_predictions if batch.get("ok") else [])
    return [item for item in answered if isinstance(item, Mapping) and "prediction_id" in item]


def answered_prediction_ids(single: Mapping, more: Mapping) -> list:
    """The ids of the predictions the API answered, from the registered api_check results of
    the single prediction and of the batch: the rows the role looks up in the database."""
    single_probe = _mapping((_mapping(single).get("probes") or [{}])[0])
    return [item["prediction_id"] for item in _answered(single_probe, _probe(_mapping(more), "batch prediction"))]


def _single_checks(single: Mapping, targets: Mapping) -> list:
    body = _json_body(single)
    answered = single.get("status") is not None
    cached = body.get("cached", False)
    wanted = _mapping(targets.get("prediction"))
    budget = targets.get("prediction_latency_budget_ms")
    value = "no response"
    if answered:
        value = (f"HTTP {single.get('status')}, {body.get('home_team', '?')} - {body.get('away_team', '?')}: "
                 f"{body.get('prediction', '?')} (confidence {body.get('confidence', '?')}, "
                 f"{'cache hit' if cached else 'computed by the model'})")
    detail = single.get("reason")
    if single.get("ok"):
        detail = (f"model {body.get('model_name', '?')} v{body.get('model_version', '?')}, "
                  f"prediction_id {body.get('prediction_id', '?')}")
    latency = single.get("latency_ms")
    return [
        judged("single prediction", bool(single.get("ok")), value,
               f"HTTP 200 with prediction and confidence for {wanted.get('home_team')} - {wanted.get('away_team')}",
               detail),
        judged("single prediction latency", answered and latency < as_float(budget),
               f"{latency} ms" if answered else f"no response ({latency} ms)", f"< {budget} ms",
               ("served from the Redis cache" if cached else "computed by the model") if answered
               else single.get("reason")),
    ]


def _batch_check(batch: Mapping, targets: Mapping) -> dict:
    fixtures = list(targets.get("batch") or [])
    predictions = list(_json_body(batch).get("predictions", []))
    pairs = [f"{_mapping(item).get('home_team', '?')} - {_mapping(item).get('away_team', '?')}" for item in predictions]
    expected = [f"{_mapping(item).get('home_team')} - {_mapping(item).get('away_team')}" for item in fixtures]
    answers = _join(f"{pair}: {_mapping(item).get('prediction', '?')}" for pair, item in zip(pairs, predictions))
    return judged(f"batch prediction of {len(fixtures)}", bool(batch.get("ok")) and pairs == expected,
                  f"HTTP {batch.get('status')} in {batch.get('latency_ms')} ms, {len(predictions)} predictions: {answers}",
                  f"{len(fixtures)} predictions ({_join(expected)}) with home_team, away_team, prediction, confidence",
                  batch.get("reason"))


def _rejected_check(name: str, probe: Mapping, targets: Mapping) -> dict:
    body = probe.get("json")
    error = body.get("error", "none") if isinstance(body, Mapping) else "none"
    detail = probe.get("reason")
    if probe.get("ok"):
        detail = truncate(str(_mapping(body).get("detail", "")), 200)
    return judged(name, bool(probe.get("ok")), f"HTTP {probe.get('status')}, error {error}",
                  f"HTTP {_join(targets.get('error_statuses') or [], '/')} with a JSON error", detail)


def _stored_check(probes: Mapping, targets: Mapping, answered: list, rows: tuple) -> dict:
    batch_size = len(targets.get("batch") or [])
    expected = 1 + batch_size
    wanted = [f"{item.get('prediction_id')}:{item.get('request_id')}" for item in answered]
    found = [f"{_mapping(row).get('id')}:{_mapping(row).get('request_id')}"
             for row in _mapping(probes.get("stored")).get("query_result") or []]
    unstored = _unique_missing(wanted, found)
    before, after = rows
    new_rows = _as_int(after) - _as_int(before) if before is not None and after is not None else None
    value = f"{len(found)}/{expected} predictions found by id and request id"
    if new_rows is not None:
        value += f", rows {before} -> {after}"
    if unstored:
        detail = "answered without a stored row: " + _join(unstored)
    elif len(wanted) != expected:
        detail = f"only {len(wanted)} predictions were answered"
    elif new_rows is not None and new_rows > expected:
        detail = f"{new_rows - expected} rows written by other clients meanwhile"
    else:
        detail = ""
    return judged("predictions stored", len(wanted) == expected and not unstored, value,
                  f"{expected} rows in {targets.get('predictions_table')} (1 single, {batch_size} batch),"
                  " matching the answers", detail)


def _predictions(probes: Mapping, targets: Mapping) -> tuple:
    """The checks after the models/info one and the model's evidence."""
    single = _mapping((_mapping(probes.get("single")).get("probes") or [{}])[0])
    more = _mapping(probes.get("more"))
    batch = _probe(more, "batch prediction")
    table = targets.get("predictions_table")
    rows = (_stored_rows(_mapping(probes.get("count_before")), table),
            _stored_rows(_mapping(probes.get("count_after")), table))
    checks = _single_checks(single, targets) + [
        _batch_check(batch, targets),
        _rejected_check("invalid team rejected", _probe(more, "invalid team"), targets),
        _rejected_check("invalid date rejected", _probe(more, "invalid date"), targets),
        _stored_check(probes, targets, _answered(single, batch), rows),
    ]
    evidence = {"prediction_latency_ms": single.get("latency_ms"), "batch_latency_ms": batch.get("latency_ms"),
                "model_version": _json_body(single).get("model_version"),
                "predictions_rows_before": rows[0], "predictions_rows_after": rows[1]}
    return checks, evidence


def _model(probes: Mapping, targets: Mapping):
    if probes.get("check_mode"):  # check mode sends no prediction: each one stores a row
        return [check("model checks", "skipped", "check mode", "predictions answered and stored",
                      "every prediction stores a row")], {}, True
    if not finished(probes.get("table_checked")):
        return NOT_RUN
    models_info = _models_info_check(_mapping(probes.get("api")), targets)
    # The last model step; the tasks run in sequence, so it finished only when every one did.
    if not finished(probes.get("count_after")):
        return [models_info], {}, False
    checks, evidence = _predictions(probes, targets)
    return [models_info] + checks, evidence, True


# --- Kafka ----------------------------------------------------------------------------

def _kafka(probes: Mapping, targets: Mapping):
    kafka = probes.get("kafka")
    if not finished(kafka):
        return NOT_RUN
    trip = _mapping(kafka.get("round_trip", {"status": "not_run", "reason": kafka.get("error")}))
    status = trip.get("status")
    passed = status == "passed"
    value = status
    detail = trip.get("reason", "")
    if passed:
        value = (f"produced in {trip.get('produce_latency_ms')} ms, consumed in {trip.get('consume_latency_ms')} ms"
                 f" (total {trip.get('total_latency_ms')} ms)")
        detail = f"partition {trip.get('partition')}, offset {trip.get('offset')}"
    return [check("kafka round trip", status if status in ("passed", "skipped") else "failed", value,
                  f"message consumed back from {targets.get('kafka_topic')} within "
                  f"{targets.get('kafka_round_trip_timeout_s')} s", detail)], \
        {"kafka_round_trip_ms": trip.get("total_latency_ms")}, True


STEPS = (_api_contract, _database, _model, _kafka)


def _failed_step_check(failed_step) -> dict:
    step = _mapping(failed_step)
    return check("functional step", "failed", step.get("task", "unknown task"), "every step completes",
                 truncate(str(step.get("msg", "")), 500))


def judge(probes: dict, targets: dict) -> dict:
    """The functional phase's checks and evidence from the role's registered probe results."""
    checks, evidence = [], {}
    for step in STEPS:
        step_checks, step_evidence, finished = step(probes, targets)
        checks += step_checks
        evidence.update(step_evidence)
        if not finished:
            break
    if probes.get("failed_step") and not any(item["status"] == "failed" for item in checks):
        checks.append(_failed_step_check(probes["failed_step"]))
    return {"checks": checks, "evidence": evidence}
