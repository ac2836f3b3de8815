# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase post_rollback (roles/rollback/tasks/verify_after_rollback.yml): every
service up, the data equal to the backup, models/info answers, /health fast, Prometheus
targets up.

``probes``: ``ps`` (community.docker.docker_host_info, verbose, the stack's containers),
``fingerprint`` (db_check of the live database), ``api`` (api_check with the probes
``health`` and ``models_info``), ``prometheus`` (ansible.builtin.uri of /api/v1/targets,
read until every target was up: ``attempts``) and ``backup`` (the newest verified backup,
``{dump, manifest}``; ``{}`` when there is none). ``None`` is a probe that did not run.
``targets``: ``expected_services``, ``health_max_response_s``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    basename, dig, fingerprint_text, mapping)

SERVICE_LABEL = "com.docker.compose.service"
NOT_READY = re.compile(r"\(unhealthy\)|\(health: starting\)")

TARGET_VARIABLES = {
    "expected_services": "rollback_expected_services",
    "health_max_response_s": "rollback_health_max_response_s",
}


def _probe(api, name: str) -> Mapping:
    return next((item for item in dig(api, "probes", []) or [] if mapping(item).get("name") == name), {})


def _up(containers: list) -> list:
    """The compose services of the containers that run and are not unhealthy or starting."""
    return [mapping(item.get("Labels")).get(SERVICE_LABEL) for item in containers
            if item.get("State") == "running" and not NOT_READY.search(str(item.get("Status", "")))
            and SERVICE_LABEL in mapping(item.get("Labels"))]


def _services(probes: Mapping, targets: Mapping) -> dict:
    containers = dig(probes.get("ps"), "containers", []) or []
    up = _up(containers)
    expected = list(targets.get("expected_services") or [])
    missing = [name for name in expected if name not in up]
    return judged("all services up", not missing, ", ".join(sorted(up)),
                  ", ".join(expected) + " running (healthy where checked)",
                  ("not up: " + ", ".join(missing)) if missing
                  else "; ".join(str(item.get("Status")) for item in containers))


def _data(probes: Mapping) -> dict:
    backup = mapping(probes.get("backup"))
    live = mapping(dig(probes.get("fingerprint"), "fingerprint", {}))
    want = mapping(dig(backup, "manifest.fingerprint", {}))
    try:
        want_count = int(want.get("table_count", -2))
    except (TypeError, ValueError):
        want_count = 0
    matches = live.get("digest") == want.get("digest", "") and live.get("table_count", -1) == want_count
    live_tables, want_tables = mapping(live.get("tables")), mapping(want.get("tables"))
    same = {name for name, table in live_tables.items() if table in want_tables.values()}
    differing = [name for name in dict.fromkeys(list(want_tables) + list(live_tables)) if name not in same]
    want_text = (f"{want.get('table_count', '?')} tables, {want.get('total_rows', '?')} rows, "
                 f"{str(want.get('digest', ''))[:12]}")
    status = "not_run" if not want else "passed" if matches else "failed"
    return check("data consistent with the backup", status, fingerprint_text(live),
                 f"{want_text} (manifest)" if want else "a verified backup",
                 basename(backup.get("dump", "no verified backup"))
                 + ("; tables that differ: " + ", ".join(differing) if differing else ""))


def _models(api) -> dict:
    probe = _probe(api, "models_info")
    models = [mapping(item) for item in mapping(probe.get("json") or {}).get("models", [])]
    listed = ", ".join(f"{item.get('name', '?')} v{item.get('version', '?')}" for item in models)
    return judged("models/info works", bool(probe.get("ok")), listed or "none",
                  "HTTP 200 with models (name, version, stage)",
                  f"HTTP {probe.get('status')} in {probe.get('latency_ms')} ms {probe.get('reason')}")


def _health(api, targets: Mapping) -> dict:
    probe = _probe(api, "health")
    body = mapping(probe.get("json") or {})
    max_ms = int(float(targets.get("health_max_response_s")) * 1000)
    return judged("/health response time", bool(probe.get("ok")),
                  f"{probe.get('latency_ms')} ms, {body.get('status', 'no answer')}",
                  f"HTTP 200, status healthy, < {max_ms} ms",
                  f"version {body.get('version', '?')}, HTTP {probe.get('status')} {probe.get('reason')}")


def _prometheus(answer) -> dict:
    active = [mapping(item) for item in dig(answer, "json.data.activeTargets", []) or []]
    down = [item.get("scrapePool") for item in active if item.get("health") != "up"]
    reads = mapping(answer).get("attempts", 1)
    pools = ", ".join(dict.fromkeys(str(item.get("scrapePool")) for item in active))
    return judged("Prometheus targets answer", bool(active) and not down,
                  f"{len(active) - len(down)} of {len(active)} targets up", "every active target up",
                  (("down: " + ", ".join(map(str, down))) if down else pools)
                  + f"; read {reads} " + ("time" if int(reads) == 1 else "times"))


def judge(probes: dict, targets: dict) -> dict:
    api = probes.get("api")
    health = _probe(api, "health")
    containers = dig(probes.get("ps"), "containers", []) or []
    fingerprint = mapping(dig(probes.get("fingerprint"), "fingerprint", {}))
    return {
        "checks": [_services(probes, targets), _data(probes), _models(api), _health(api, targets),
                   _prometheus(probes.get("prometheus"))],
        "evidence": {
            "services": [f"{item['Names'][0]}: {item.get('Status')}" for item in containers],
            "fingerprint": {key: value for key, value in fingerprint.items() if key != "tables"},
            "health_ms": health.get("latency_ms"),
            "version": mapping(health.get("json") or {}).get("version"),
            "prometheus_targets": [mapping(item).get("scrapeUrl")
                                   for item in dig(probes.get("prometheus"), "json.data.activeTargets", []) or []],
        },
    }
