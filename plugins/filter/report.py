# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the shared rehearsal results into what the report shows.

Everything the report prints is derived here from ``rehearsal_results``: a phase
that was not recorded is "not run", a metric with no measured source is "not
measured", and the verdict is computed - never assumed. The templates only lay out
what these filters return.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import checks, report_charts, report_history


# plugin_utils/checks.py's rules, with the filter's error for input that is not results.
def _parse_time(value):
    """An ISO 8601 time (naive is UTC); AnsibleFilterError when it is not one."""
    try:
        return checks.parse_time(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"not an ISO 8601 time: {value!r}") from exc


def elapsed_seconds(started_at: str, ended_at: str) -> float:
    """Seconds between two ISO 8601 times (naive times are taken as UTC)."""
    return round((_parse_time(ended_at) - _parse_time(started_at)).total_seconds(), 3)


def phase_status(checks_list: list) -> str:
    """The status of a phase, derived from the statuses of its checks."""
    try:
        return checks.phase_status(checks_list)
    except TypeError as exc:
        raise AnsibleFilterError(str(exc)) from exc


DEFAULT_EXPECTED_PHASES = (
    "preflight",
    "backup",
    "deploy",
    "health",
    "functional",
    "load_test",
    "release_comparison",
    "rollback_container",
    "rollback_database",
    "rollback_config",
    "post_rollback",
)

# Other spellings a phase may have been recorded under; the canonical name wins.
DEFAULT_PHASE_ALIASES = {
    "load_test": ["load", "loadtest", "performance"],
    "rollback_container": ["rollback_app", "rollback_image"],
    "rollback_database": ["rollback_db", "restore"],
    "rollback_config": ["rollback_cfg", "rollback_configuration"],
    "post_rollback": ["post_rollback_verification", "verify", "verification"],
}

RAN = ("passed", "warned", "failed")
NOT_RAN = ("skipped", "not_run")

STATUS_LABELS = {
    "passed": ("✅", "passed"),
    "warned": ("⚠️", "warned"),
    "failed": ("❌", "failed"),
    "skipped": ("⏭️", "skipped"),
    "not_run": ("⬜", "not run"),
    "incomplete": ("◐", "incomplete"),
    "not_measured": ("➖", "not measured"),
    "check_mode": ("🔍", "check mode"),
}

DEFAULT_GOALS = (
    {"goal": "Preparation: host, tools, configuration and a verified database backup",
     "phases": ["preflight", "backup"]},
    {"goal": "Deploy the release with the staging compose stack", "phases": ["deploy"]},
    {"goal": "Every service healthy after the deploy", "phases": ["health"]},
    {"goal": "API, database and model work end to end", "phases": ["functional"]},
    {"goal": "Performance holds under load, and is no worse than the release it replaces",
     "phases": ["load_test", "release_comparison"]},
    {"goal": "Every rollback path works and is verified",
     "phases": ["rollback_container", "rollback_database", "rollback_config", "post_rollback"],
     # A failed rehearsal rolls back automatically instead of drilling (the next goal).
     "replaced_by": "rollback"},
    {"goal": "After a failure, the automatic rollback restores the last good release",
     "phases": ["rollback"], "only_when_run": True},
)

DEFAULT_TARGETS = {
    "deploy_time_s": 1800.0,
    "availability_pct": 100.0,
    "api_response_s": 1.0,
    "error_rate_pct": 1.0,
    "health_response_s": 2.0,
}

# Where each key metric is read from, in order of preference. The load-test keys
# are the contract with roles/load_test (see roles/report/README.md).
DEFAULT_METRICS = (
    {"id": "deploy_time", "name": "Total deploy time", "target": "deploy_time_s",
     "comparison": "lt", "unit": "s",
     "sources": [{"phase": "deploy", "evidence": "total_deploy_time_s"},
                 {"phase": "deploy", "field": "duration_s"}]},
    {"id": "availability", "name": "Availability (probes that succeeded)",
     "target": "availability_pct", "comparison": "ge", "unit": "%", "aggregate": "ratio",
     "sources": [{"phases": ["health", "functional", "load_test"], "count": "checks"},
                 {"phase": "load_test", "evidence_total": "requests_total",
                  "evidence_failed": "requests_failed"}]},
    {"id": "api_response", "name": "API response time (mean)", "target": "api_response_s",
     "comparison": "lt", "unit": "s",
     "sources": [{"phase": "load_test", "evidence": "response_time_mean_ms", "scale": 0.001},
                 {"phase": "load_test", "evidence": "k6.mean_ms", "scale": 0.001}]},
    {"id": "error_rate", "name": "Error rate", "target": "error_rate_pct",
     "comparison": "lt", "unit": "%",
     "sources": [{"phase": "load_test", "evidence": "error_rate_pct"},
                 {"phase": "load_test", "evidence": "k6.failure_rate_pct"},
                 {"phase": "load_test", "evidence_total": "requests_total",
                  "evidence_failed": "requests_failed"}]},
)

DEFAULT_CRITERIA = (
    {"id": "deployed_healthy", "name": "Deployed and healthy", "phases": ["deploy", "health"]},
    {"id": "models_info", "name": "GET /api/v1/models/info works",
     "checks": r"models[/_ .-]?info", "in_phases": ["functional", "post_rollback"]},
    {"id": "health_response", "name": "/health answers in < {health_response_s:g} s",
     "checks": r"health.*(response|latency|time)|(response|latency|time).*health",
     "in_phases": ["health", "post_rollback"]},
    {"id": "rollback_available",
     "name": "Rollback available (container, database and config drills verified)",
     "phases": ["rollback_container", "rollback_database", "rollback_config"]},
    {"id": "report_written", "name": "Report written", "report_written": True},
)

# Phases whose failure leaves staging broken or unrecoverable.
CRITICAL_PHASES = frozenset(
    ("backup", "deploy", "health", "rollback_container", "rollback_database",
     "rollback_config", "post_rollback")
)
SEVERITY_ORDER = ("critical", "high", "medium", "low")

# Known kinds of check, matched (first match wins) on "<phase> <check name>".
DEFAULT_KNOWN_PROBLEMS = (
    {"kind": "health response time", "match": r"health.*(response|latency|time)",
     "analysis": "/health is slow: it probes every dependency synchronously, or the app "
                 "is starved of CPU/memory under the 1 CPU / 1 GiB staging limits.",
     "short": "Read the per-dependency timings of /health and the container stats; "
              "restart the slow dependency.",
     "medium": "Give each dependency probe in /health its own timeout and cache the result briefly.",
     "long": "Split liveness and readiness; alert on /health latency in Prometheus."},
    {"kind": "latency under load",
     "match": r"p9[59]|latency|response.?time|duration|slow|time per request",
     "analysis": "Requests exceeded the latency budget: model inference, database queries "
                 "or the worker count do not keep up with the load profile.",
     "short": "Compare the slowest endpoints in the load-test output with the app and DB logs.",
     "medium": "Cache model results and frequent queries in Redis; add DB indexes; tune workers.",
     "long": "Size staging like production, load-test every release, track p95 in Grafana."},
    {"kind": "error rate", "match": r"error.?rate|failed.?(rate|requests)|http_req_failed|non-2xx",
     "analysis": "Part of the requests failed: the app returned errors or dropped "
                 "connections under load (pool exhaustion, timeouts, crashes).",
     "short": "Group the failed requests by status and endpoint; read the app ERROR lines.",
     "medium": "Raise DB/Redis pool sizes to match workers; add retries with backoff on clients.",
     "long": "Add an error-rate SLO with alerting and a release gate on it."},
    {"kind": "database", "match": r"postgres|\bdb\b|database|pg_|psql|sql|migration|alembic|crud",
     "analysis": "PostgreSQL did not answer as expected: the container is down, the "
                 "credentials or database name are wrong, or a migration failed.",
     "short": "Check `docker compose logs db`, pg_isready and `alembic current`.",
     "medium": "Gate the app start on a DB health check and a migration step that fails loudly.",
     "long": "Test migrations (upgrade and downgrade) in CI against a copy of staging data."},
    {"kind": "redis", "match": r"redis|cache",
     "analysis": "Redis did not answer PONG or its memory is unhealthy (password, db index, "
                 "maxmemory, fragmentation).",
     "short": "Check `docker compose logs redis` and the password/db index in .env.staging.",
     "medium": "Set maxmemory and an eviction policy; monitor used_memory and fragmentation.",
     "long": "Make the app degrade gracefully without cache."},
    {"kind": "kafka", "match": r"kafka|topic|broker|consumer|producer",
     "analysis": "The Kafka broker or a required topic is unavailable: broker not started, "
                 "advertised listener wrong, or the topic was never created.",
     "short": "List topics against the bootstrap server; check the advertised listener.",
     "medium": "Create required topics declaratively at deploy time and check them in preflight.",
     "long": "Monitor consumer lag and broker availability; alert on both."},
    {"kind": "model", "match": r"mlflow|model|predict",
     "analysis": "The model registry or the prediction endpoints failed: MLflow unreachable, "
                 "no model in the expected stage, or inference errors.",
     "short": "Check MLflow /health and the registered model versions and stage.",
     "medium": "Pin the model version per release and verify it during deploy.",
     "long": "Add model validation (schema, accuracy) to the release pipeline."},
    {"kind": "monitoring", "match": r"prometheus|grafana|metrics|alert|dashboard|target",
     "analysis": "Monitoring is incomplete: scrape targets, dashboards or alert routes are "
                 "missing, so failures in staging would go unnoticed.",
     "short": "Check the Prometheus targets page and the alert route to #alerts-staging.",
     "medium": "Provision dashboards and alert rules as code with the stack.",
     "long": "Test alerts end to end (fire a synthetic alert) on every rehearsal."},
    {"kind": "backup", "match": r"backup|dump|restore|pg_restore",
     "analysis": "The backup could not be written, verified or restored, so a failed "
                 "release could lose data.",
     "short": "Check free disk, the dump's exit status and the backup directory permissions.",
     "medium": "Verify every backup by restoring it into a scratch database.",
     "long": "Automate backup verification and retention with alerting on failure."},
    {"kind": "rollback", "match": r"rollback|previous image|image tag|marker",
     "analysis": "A rollback path did not bring back the previous state, so a bad release "
                 "could not be undone quickly.",
     "short": "Roll back by hand following the runbook and record every step that failed.",
     "medium": "Keep the previous image tagged and the last backup at hand before every deploy.",
     "long": "Run rollback drills in CI for every release; measure RTO."},
    {"kind": "configuration", "match": r"config|\.env|env file|compose|identical|checksum",
     "analysis": "The configuration is missing, incomplete or was not restored byte for byte.",
     "short": "Diff the configuration against the backup copy and restore it.",
     "medium": "Template configuration from version control with vault for secrets.",
     "long": "Treat configuration as a versioned release artefact with its own rollback."},
    {"kind": "ports", "match": r"\bport",
     "analysis": "A required port is taken by another process, so a service cannot bind.",
     "short": "Find the owner (`ss -ltnp`) and stop it or move the stack.",
     "medium": "Reserve the staging ports on the host and check them in preflight.",
     "long": "Run staging on a dedicated host or network namespace."},
    {"kind": "host resources", "match": r"cpu|memory|\bram\b|disk|space|inode",
     "analysis": "The host lacks CPU, memory or disk for the stack and its limits.",
     "short": "Free disk (old images and backups of this stack only) or stop idle services.",
     "medium": "Size the staging host to the documented minimum (2 CPU, 4 GiB, 20 GiB free).",
     "long": "Alert on host capacity before rehearsals."},
    {"kind": "tool versions", "match": r"version|docker|python",
     "analysis": "A tool is missing or older than required (Docker >= 20.10, Compose >= 2.21, "
                 "Python 3.11).",
     "short": "Upgrade the tool on the staging host.",
     "medium": "Provision the host's toolchain with Ansible, pinned.",
     "long": "Run rehearsals from an execution environment with pinned tools."},
    {"kind": "log errors", "match": r"\blogs?\b|error lines|fatal|critical|exception",
     "analysis": "Services logged ERROR/CRITICAL/FATAL lines during the run.",
     "short": "Read the logged lines in this report's evidence and fix their cause.",
     "medium": "Turn recurring errors into alerts.",
     "long": "Keep logs structured and centralised; review error budgets per release."},
    {"kind": "scripts", "match": r"script|executable",
     "analysis": "A deploy or rollback script is missing or not executable.",
     "short": "Restore the script from version control and make it executable.",
     "medium": "Check scripts in CI (shellcheck, executable bit).",
     "long": "Replace ad-hoc scripts with the collection's roles."},
    {"kind": "api", "match": r"api|endpoint|http|/docs|health|status",
     "analysis": "An API endpoint did not honour the contract (status, JSON shape or "
                 "latency), or the app did not start.",
     "short": "Call the endpoint by hand and read the app logs for the request.",
     "medium": "Add contract tests for every endpoint to the app's CI.",
     "long": "Version the API and run contract tests against staging on every deploy."},
)

GENERIC_PROBLEM = {
    "kind": "generic",
    "analysis": "The check did not meet its target; see its detail and the phase evidence.",
    "short": "Reproduce the check by hand and read the logs of the services involved.",
    "medium": "Fix the cause and add a regression test or a preflight check for it.",
    "long": "Track the problem until a rehearsal passes without it.",
}

DEFAULT_RESOURCE_KEYS = (
    "resources", "host_resources", "disk_free_bytes", "container_stats", "db_connections",
    "redis_memory",
)
DEFAULT_VERSION_KEYS = ("versions", "software_versions")
MAX_FLAT_ROWS = 200
# The report JSON's format; its shape is pinned by tests/unit/plugins/filter/fixtures/report_schema.json.
REPORT_FORMAT = "footballpred.rehearsal/report/v1"
MAX_EVIDENCE_ROWS = 60
# Evidence the charts draw; as rows of the evidence table it would only crowd out the rest
# (the JSON keeps it).
CHART_EVIDENCE_KEYS = frozenset(("time_series",))
DEFAULT_HISTORY_RUNS = 10
DEFAULT_HISTORY_TOLERANCE_PCT = 20.0


# ---------------------------------------------------------------- small helpers

def _mapping(value: Any, what: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError(f"{what} must be a mapping, got {type(value).__name__}")
    return value


def _results(results: Any) -> Mapping:
    results = _mapping(results, "rehearsal_results")
    _mapping(results.get("phases"), "rehearsal_results.phases")
    return results


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number  # NaN is not a measurement


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def _fmt_number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def duration_text(seconds: Any) -> str:
    seconds = _number(seconds)
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _time_text(value: Any) -> str:
    if not value:
        return "—"
    try:
        parsed = _parse_time(value)
    except AnsibleFilterError:
        return str(value)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status(value: Any) -> str:
    status = str(value or "not_run")
    return status if status in STATUS_LABELS else "not_run"


def combine_statuses(statuses: Iterable[str]) -> str:
    """One status for a group: any failure fails it; a partly run group is incomplete."""
    statuses = [_status(status) for status in statuses]
    if not statuses:
        return "not_run"
    if "failed" in statuses:
        return "failed"
    ran = [status for status in statuses if status in RAN]
    if not ran:
        return "skipped" if "skipped" in statuses else "not_run"
    if len(ran) < len(statuses):
        return "incomplete"
    return "warned" if "warned" in ran else "passed"


def status_label(status: Any, icon: bool = True) -> str:
    """Icon and words for a status; only "passed" ever gets the check mark."""
    mark, words = STATUS_LABELS.get(str(status), ("", str(status).replace("_", " ")))
    return f"{mark} {words}" if icon and mark else words


def report_cell(value: Any, max_chars: int = 300, markdown: bool = True) -> str:
    """A value as one table cell: "—" for nothing, JSON for structures, truncated."""
    if value is None or value == "":
        text = "—"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = _fmt_number(value)
    elif isinstance(value, (Mapping, list, tuple)):
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    else:
        text = str(value)
    max_chars = int(max_chars)
    if max_chars > 0 and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    if markdown:
        text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "")
        text = text.replace("\n", "<br>")
    return text


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        rows = []
        for key in sorted(value, key=str):
            rows.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, (list, tuple)) and value and all(isinstance(i, Mapping) for i in value):
        rows = []
        for index, item in enumerate(value):
            label_key = next((key for key in ("name", "container", "service") if item.get(key)), None)
            label = item[label_key] if label_key else index
            rest = {key: item_value for key, item_value in item.items() if key != label_key}
            rows.extend(_flatten(rest, f"{prefix}.{label}" if prefix else str(label)))
        return rows
    return [(prefix, value)]


# ---------------------------------------------------------------- phases

def _aliases(aliases: Mapping | None) -> dict:
    merged = {name: list(names) for name, names in DEFAULT_PHASE_ALIASES.items()}
    for name, names in _mapping(aliases, "aliases").items():
        merged.setdefault(name, [])
        merged[name] = list(names) + merged[name]
    return merged


def _check(raw: Any) -> dict:
    raw = _mapping(raw, "a check")
    return {
        "name": str(raw.get("name", "unnamed check")),
        "status": _status(raw.get("status")),
        "value": raw.get("value"),
        "target": raw.get("target"),
        "detail": raw.get("detail"),
    }


def _counts(statuses: Iterable[str]) -> dict:
    counts = {status: 0 for status in ("passed", "warned", "failed", "skipped", "not_run")}
    for status in statuses:
        counts[_status(status) if _status(status) in counts else "not_run"] += 1
    return counts


def _phases(results: Mapping, expected_phases: Iterable[str] | None = None,
            aliases: Mapping | None = None) -> list[dict]:
    """Expected phases in order (absent ones as not run), then any other recorded phase.

    The one place the phase views are built; every part of the report reads them.
    """
    phases = _mapping(results.get("phases"), "phases")
    expected = list(expected_phases or DEFAULT_EXPECTED_PHASES)
    alias_map = _aliases(aliases)
    used: set[str] = set()
    ordered = []
    for name in expected:
        recorded_as = next((key for key in [name] + alias_map.get(name, [])
                            if key in phases and key not in used), None)
        if recorded_as is not None:
            used.add(recorded_as)
        ordered.append(_phase_view(name, recorded_as, phases.get(recorded_as), expected=True))
    for key in sorted((key for key in phases if key not in used), key=lambda key: _start_key(phases[key])):
        _insert_by_start(ordered, _phase_view(key, key, phases[key], expected=False))
    return ordered


def _start_key(raw: Any) -> float:
    started = _mapping(raw, "a phase").get("started_at")
    try:
        return _parse_time(started).timestamp() if started else float("inf")
    except AnsibleFilterError:
        return float("inf")


def _insert_by_start(ordered: list[dict], phase: dict) -> None:
    """Place a phase outside the expected list after the last phase that started before it."""
    start = _start_key(phase)
    position = len(ordered)
    if start != float("inf"):
        earlier = [index for index, other in enumerate(ordered) if _start_key(other) <= start]
        position = earlier[-1] + 1 if earlier else 0
    ordered.insert(position, phase)


def _phase_view(name: str, recorded_as: str | None, raw: Any, expected: bool) -> dict:
    raw = _mapping(raw, f"phase {name}")
    checks = [_check(check) for check in raw.get("checks") or []]
    status = raw.get("status") or (phase_status(checks) if raw else "not_run")
    evidence_rows = _flatten({key: value for key, value in (raw.get("evidence") or {}).items()
                              if key not in CHART_EVIDENCE_KEYS})
    return {
        "name": name,
        "recorded_as": recorded_as,
        "recorded": bool(raw),
        "expected": expected,
        "status": _status(status),
        "started_at": raw.get("started_at"),
        "ended_at": raw.get("ended_at"),
        "started_text": _time_text(raw.get("started_at")),
        "ended_text": _time_text(raw.get("ended_at")),
        "duration_s": _number(raw.get("duration_s")),
        "duration_text": duration_text(raw.get("duration_s")),
        "checks": checks,
        "check_counts": _counts(check["status"] for check in checks),
        "evidence": dict(_mapping(raw.get("evidence"), f"phase {name} evidence")),
        "evidence_rows": evidence_rows[:MAX_EVIDENCE_ROWS],
        "evidence_rows_omitted": max(len(evidence_rows) - MAX_EVIDENCE_ROWS, 0),
    }


def _phase_index(phases: list[dict]) -> dict:
    return {phase["name"]: phase for phase in phases}


# ---------------------------------------------------------------- key metrics

def _targets(targets: Mapping | None) -> dict:
    """The built-in targets, with those that are set replacing them.

    None or "" (an unset role variable, as older ansible-core renders it) keeps the built-in
    target, so the role's defaults need not repeat DEFAULT_TARGETS.
    """
    chosen = {name: value for name, value in _mapping(targets, "targets").items() if value not in (None, "")}
    return {**DEFAULT_TARGETS, **chosen}


def _compare(value: float, comparison: str, target: float) -> bool:
    operations = {"lt": value < target, "le": value <= target,
                  "gt": value > target, "ge": value >= target}
    if comparison not in operations:
        raise AnsibleFilterError(f"unknown comparison {comparison!r} (lt, le, gt, ge)")
    return operations[comparison]


def _source_phase(index: Mapping, name: str) -> dict | None:
    phase = index.get(name)
    return phase if phase and phase["status"] in RAN else None


def _single_value(index: Mapping, source: Mapping) -> tuple[float | None, str]:
    phase = _source_phase(index, source.get("phase", ""))
    if phase is None:
        return None, ""
    scale = float(source.get("scale", 1))
    where = phase["name"]
    if "field" in source:
        value, where = _number(phase.get(source["field"])), f"{where}.{source['field']}"
    elif "evidence" in source:
        value = _number(_dig(phase["evidence"], source["evidence"]))
        where = f"{where}.evidence.{source['evidence']}"
    elif "check" in source:
        pattern = re.compile(source["check"], re.IGNORECASE)
        matches = [check for check in phase["checks"]
                   if check["status"] in RAN and pattern.search(check["name"])
                   and _number(check["value"]) is not None]
        value = _number(matches[0]["value"]) if matches else None
        where = f"{where} check '{matches[0]['name']}'" if matches else where
    elif "evidence_total" in source:
        ok, total = _ratio(index, source)
        value = (total - ok) / total * 100 if total else None
        where = f"{where}.evidence.{source['evidence_failed']} / {source['evidence_total']} × 100"
    else:
        raise AnsibleFilterError(f"metric source needs field, evidence, check or evidence_total: {dict(source)}")
    if value is None:
        return None, ""
    return value * scale, where + (f" × {scale:g}" if scale != 1 else "")


def _ratio(index: Mapping, source: Mapping) -> tuple[float, float]:
    """(succeeded, total) probes of one availability source."""
    if source.get("count") == "checks":
        checks = [check for name in source.get("phases", [])
                  if (phase := _source_phase(index, name)) for check in phase["checks"]
                  if check["status"] in RAN]
        return float(sum(check["status"] != "failed" for check in checks)), float(len(checks))
    phase = _source_phase(index, source.get("phase", ""))
    if phase is None:
        return 0.0, 0.0
    total = _number(_dig(phase["evidence"], source["evidence_total"]))
    failed = _number(_dig(phase["evidence"], source["evidence_failed"]))
    if not total or failed is None:
        return 0.0, 0.0
    return total - failed, total


def _metric_value(index: Mapping, spec: Mapping) -> tuple[float | None, str, str]:
    """The metric's value, where it was read, and the phase that measured it: for a ratio,
    the source phase with the most failed probes (the first measured one without failures)."""
    if spec.get("aggregate") == "ratio":
        parts, failed_by_phase = [], {}
        ok_sum = total_sum = 0.0
        for source in spec["sources"]:
            for name, (ok, total) in _ratio_by_phase(index, source):
                if total:
                    ok_sum, total_sum = ok_sum + ok, total_sum + total
                    failed_by_phase[name] = failed_by_phase.get(name, 0.0) + total - ok
                    where = f"checks in {name}" if source.get("count") == "checks" else f"{name} requests"
                    parts.append(f"{ok:,.0f} of {total:,.0f} {where}")
        if not total_sum:
            return None, "", _metric_phase(spec)
        worst = max(failed_by_phase, key=lambda name: (failed_by_phase[name], -list(failed_by_phase).index(name)))
        return ok_sum / total_sum * 100, "; ".join(parts), worst
    for source in spec["sources"]:
        value, where = _single_value(index, source)
        if value is not None:
            return value, where, source.get("phase") or _metric_phase(spec)
    return None, "", _metric_phase(spec)


def _ratio_by_phase(index: Mapping, source: Mapping) -> list[tuple[str, tuple[float, float]]]:
    """(phase, (succeeded, total)) of one availability source, phase by phase."""
    if source.get("count") == "checks":
        return [(name, _ratio(index, {**source, "phases": [name]})) for name in source.get("phases", [])]
    return [(source.get("phase", ""), _ratio(index, source))]


def _metric_phase(spec: Mapping) -> str:
    """The phase a metric belongs to when nothing measured it: that of its first source."""
    first = spec["sources"][0]
    return first.get("phase") or (first.get("phases") or [""])[0]


def _metric_text(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    if unit == "s" and value >= 60:
        return f"{duration_text(value)} ({_fmt_number(value)} s)"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{_fmt_number(value)} {unit}".strip()


def _key_metrics(index: Mapping, targets: Mapping, metrics: Iterable[Mapping] | None = None) -> list[dict]:
    """Each key metric with its target, the measured value and where it came from.

    ``index``: the phase views by name; ``targets``: all targets (see ``_targets``).
    """
    symbols = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
    rows = []
    for spec in metrics or DEFAULT_METRICS:
        spec = _mapping(spec, "a metric")
        target = _number(targets.get(spec["target"], spec["target"]))
        if target is None:
            raise AnsibleFilterError(f"metric {spec.get('id')}: target {spec['target']!r} is not a number")
        value, source, phase = _metric_value(index, spec)
        comparison = spec.get("comparison", "lt")
        status = ("not_measured" if value is None
                  else "passed" if _compare(value, comparison, target) else "failed")
        unit = spec.get("unit", "")
        rows.append({
            "id": spec.get("id", spec.get("name")),
            "name": spec.get("name", spec.get("id")),
            "target": target,
            "target_text": f"{symbols.get(comparison, comparison)} {_metric_text(target, unit)}",
            "actual": None if value is None else round(value, 4),
            "actual_text": _metric_text(value, unit),
            "unit": unit,
            "status": status,
            "source": source or "no measured source in this run",
            "phase": phase,
        })
    return rows


# ---------------------------------------------------------------- success criteria

def report_written_check(written: Mapping) -> dict:
    """The "report written" criterion, judged from the stat of the Markdown file read back
    from disk (``{"path", "stat"}``); a ready ``{"status", "detail"}`` is taken as it is."""
    if "stat" not in written:
        return dict(written)
    stat = _mapping(written.get("stat"), "report_written.stat")
    ok = bool(stat.get("exists")) and (_number(stat.get("size")) or 0) > 0
    return {"status": "passed" if ok else "failed",
            "detail": f"{written.get('path', 'the Markdown report')} "
                      + ("exists and is not empty (read back from disk)" if ok else "is missing or empty")}


def _success_criteria(index: Mapping, targets: Mapping, criteria: Iterable[Mapping] | None = None,
                      report_written: Mapping | None = None) -> list[dict]:
    """The runbook's success criteria, each passed, failed or not measured."""
    rows = []
    for spec in criteria or DEFAULT_CRITERIA:
        spec = _mapping(spec, "a criterion")
        if spec.get("report_written"):
            written = report_written_check(_mapping(report_written, "report_written")) if report_written else {}
            status = _status(written.get("status")) if written else "not_measured"
            status = "not_measured" if status in NOT_RAN else status
            detail = written.get("detail") or "checked after the report file is written"
        elif "phases" in spec:
            status, detail = _criterion_phases(index, spec["phases"])
        elif "checks" in spec:
            status, detail = _criterion_checks(index, spec["checks"], spec.get("in_phases"))
        else:
            raise AnsibleFilterError(f"criterion {spec.get('id')} needs phases, checks or report_written")
        rows.append({"id": spec.get("id", spec.get("name")),
                     "name": str(spec.get("name", spec.get("id"))).format(**targets),
                     "status": status, "detail": detail})
    return rows


def _criterion_phases(index: Mapping, names: Iterable[str]) -> tuple[str, str]:
    statuses = {name: index[name]["status"] if name in index else "not_run" for name in names}
    detail = ", ".join(f"{name} {status_label(status, icon=False)}" for name, status in statuses.items())
    if "failed" in statuses.values():
        return "failed", detail
    if any(status not in RAN for status in statuses.values()):
        return "not_measured", detail
    return "passed", detail


def _criterion_checks(index: Mapping, pattern: str, in_phases: Iterable[str] | None) -> tuple[str, str]:
    regex = re.compile(pattern, re.IGNORECASE)
    names = list(in_phases or index)
    matches = [(name, check) for name in names if name in index
               for check in index[name]["checks"]
               if check["status"] in RAN and regex.search(check["name"])]
    if not matches:
        return "not_measured", f"no matching check ran in {', '.join(names)}"
    detail = "; ".join(
        f"{name}: {check['name']} {status_label(check['status'], icon=False)}"
        + (f" ({report_cell(check['value'], 60, False)})" if check["value"] not in (None, "") else "")
        for name, check in matches)
    failed = any(check["status"] == "failed" for _phase, check in matches)
    return ("failed" if failed else "passed"), detail


# ---------------------------------------------------------------- problems

def _severity(status: str, phase: str) -> str:
    if status == "failed":
        return "critical" if phase in CRITICAL_PHASES else "high"
    return "medium" if phase in CRITICAL_PHASES else "low"


def _probability(status: str) -> str:
    if status == "failed":
        return "high: it happened in this rehearsal and will recur in production unless fixed"
    return "medium: the condition was observed; it may turn into a failure under production load"


def _known(known: Iterable[Mapping], phase: str, name: str) -> Mapping:
    subject = f"{phase} {name}".lower()
    for entry in known:
        if re.search(entry["match"], subject, re.IGNORECASE):
            return entry
    return GENERIC_PROBLEM


def _problems(phases: list[dict], known_problems: Iterable[Mapping] | None = None,
              metrics: Iterable[Mapping] | None = None) -> list[dict]:
    """Problems from failed/warned checks, failed/warned phases without such checks, and failed metrics."""
    known = list(known_problems or []) + list(DEFAULT_KNOWN_PROBLEMS)
    found = []
    for phase in phases:
        bad_checks = [check for check in phase["checks"] if check["status"] in ("failed", "warned")]
        for check in bad_checks:
            found.append(_problem(known, phase["name"], check["name"], check["status"],
                                  _check_description(check)))
        if phase["status"] in ("failed", "warned") and not bad_checks:
            reason = next((phase["evidence"][key] for key in ("error", "failure", "msg", "message")
                           if phase["evidence"].get(key)), "no failing check was recorded")
            found.append(_problem(known, phase["name"], f"phase {phase['name']}", phase["status"],
                                  f"Phase {phase['name']} {phase['status']}: {report_cell(reason, 500, False)}"))
    for metric in metrics or []:
        if metric["status"] == "failed":
            found.append(_problem(known, metric["phase"], metric["name"], "failed",
                                  f"Key metric {metric['name']}: {metric['actual_text']}, "
                                  f"target {metric['target_text']} ({metric['source']})"))
    found.sort(key=lambda problem: SEVERITY_ORDER.index(problem["severity"]))
    for number, problem in enumerate(found, start=1):
        problem["id"] = f"P{number}"
    return found


def _check_description(check: Mapping) -> str:
    parts = [f"{check['name']} {check['status']}"]
    if check["value"] not in (None, ""):
        parts.append(f"measured {report_cell(check['value'], 120, False)}")
    if check["target"] not in (None, ""):
        parts.append(f"target {report_cell(check['target'], 120, False)}")
    text = ", ".join(parts)
    return f"{text}: {report_cell(check['detail'], 500, False)}" if check["detail"] else text


def _problem(known: Iterable[Mapping], phase: str, name: str, status: str, description: str) -> dict:
    entry = _known(known, phase, name)
    return {
        "id": "",
        "phase": phase,
        "check": name,
        "status": status,
        "kind": entry.get("kind", "generic"),
        "description": description,
        "severity": _severity(status, phase),
        "probability": _probability(status),
        "analysis": entry.get("analysis", GENERIC_PROBLEM["analysis"]),
        "fixes": {term: entry.get(term, GENERIC_PROBLEM[term]) for term in ("short", "medium", "long")},
    }


# ---------------------------------------------------------------- timeline, goals, evidence

def _timeline(phases: list[dict]) -> dict:
    """Phase bars on one time axis: offset and width in % of the run's span."""
    timed = [phase for phase in phases if phase["started_at"] and phase["ended_at"]]
    rows = []
    if timed:
        anchor = timed[0]["started_at"]
        spans = {phase["name"]: (elapsed_seconds(anchor, phase["started_at"]),
                                 elapsed_seconds(anchor, phase["ended_at"])) for phase in timed}
        start = min(begin for begin, _finish in spans.values())
        end = max(finish for _begin, finish in spans.values())
        total = max(end - start, 0.001)
    else:
        spans, start, total = {}, 0.0, 0.0
    for phase in phases:
        row = {key: phase[key] for key in ("name", "status", "started_text", "ended_text",
                                           "duration_s", "duration_text")}
        if phase["name"] in spans:
            begin, finish = spans[phase["name"]]
            row["offset_s"] = round(begin - start, 3)
            row["offset_pct"] = round((begin - start) / total * 100, 2)
            row["width_pct"] = round(max((finish - begin) / total * 100, 0.5), 2)
        else:
            row.update(offset_s=None, offset_pct=None, width_pct=None)
        rows.append(row)
    return {"phases": rows, "span_s": round(total, 3) if timed else None,
            "span_text": duration_text(total) if timed else "—"}


def _goals(index: Mapping, goals: Iterable[Mapping] | None) -> list[dict]:
    rows = []
    for goal in goals or DEFAULT_GOALS:
        names = list(goal["phases"])
        statuses = [index[name]["status"] if name in index else "not_run" for name in names]
        ran = [status for status in statuses if status != "not_run"]
        status, note = combine_statuses(statuses), ""
        if not ran and goal.get("only_when_run"):
            status, note = "skipped", "not needed: no phase failed, so nothing was rolled back automatically"
        elif not ran and index.get(goal.get("replaced_by"), {}).get("status", "not_run") != "not_run":
            status, note = "skipped", f"not run: the automatic rollback ({goal['replaced_by']}) ran instead"
        rows.append({"goal": goal["goal"], "phases": names, "phase_statuses": dict(zip(names, statuses)),
                     "status": status, "note": note})
    return rows


def _evidence_rows(phases: list[dict], keys: Iterable[str], versions: bool) -> list[dict]:
    keys = list(keys)
    rows = []
    for phase in phases:
        for key in keys:
            value = phase["evidence"].get(key)
            if value is not None:
                rows.extend({"phase": phase["name"], "name": name or key, "value": item}
                            for name, item in _flatten(value, "" if versions else key))
        if versions:
            for key, value in phase["evidence"].items():
                if str(key).endswith("_version") and key not in keys:
                    if isinstance(value, Mapping) and "full" in value:
                        value = value["full"]
                    rows.append({"phase": phase["name"], "name": str(key)[: -len("_version")],
                                 "value": value})
    return rows[:MAX_FLAT_ROWS]


def _evaluation(phases: list[dict]) -> dict:
    checks = [check for phase in phases for check in phase["checks"]]
    counts = _counts(check["status"] for check in checks)
    ran = counts["passed"] + counts["warned"] + counts["failed"]
    return {
        "phase_counts": _counts(phase["status"] for phase in phases),
        "check_counts": counts,
        "checks_total": len(checks),
        "checks_ran": ran,
        "check_pass_rate_pct": round((counts["passed"] + counts["warned"]) / ran * 100, 1) if ran else None,
        "passed_phases": [p["name"] for p in phases if p["status"] == "passed"],
        "warned_phases": [p["name"] for p in phases if p["status"] == "warned"],
        "failed_phases": [p["name"] for p in phases if p["status"] == "failed"],
        "not_run_phases": [p["name"] for p in phases if p["status"] in NOT_RAN],
    }


# ---------------------------------------------------------------- verdict

def run_failure(results: Mapping) -> str | None:
    """The task a run stopped at (``run.failure``, set by the rehearsal's rescue), as a sentence."""
    failure = _mapping(results.get("run"), "run").get("failure")
    if not failure:
        return None
    if isinstance(failure, Mapping):
        task = failure.get("task") or "an unnamed task"
        message = report_cell(failure.get("message"), 300, False)
        return f"the run stopped at task '{task}'" + (f": {message}" if message != "—" else "")
    return f"the run stopped: {report_cell(failure, 300, False)}"


def check_mode_summary(phases: list[dict]) -> dict:
    """What a check-mode run ran (read-only probes) and what it skipped, and why.

    ``ran``: phases with at least one check that ran; ``skipped``: every check (with its
    phase) that did not run, with the check's detail (what it would have done);
    ``skipped_phases``: phases in which nothing ran.
    """
    ran, skipped, skipped_phases = [], [], []
    for phase in phases:
        statuses = [check["status"] for check in phase["checks"]]
        if any(status in RAN for status in statuses):
            ran.append(phase["name"])
        elif phase["status"] in NOT_RAN:
            skipped_phases.append(phase["name"])
        for check in phase["checks"]:
            if check["status"] in NOT_RAN:
                skipped.append({"phase": phase["name"], "check": check["name"], "status": check["status"],
                                "detail": report_cell(check.get("detail"), 300, False)})
        if not phase["checks"] and phase["status"] in NOT_RAN:
            skipped.append({"phase": phase["name"], "check": "—", "status": phase["status"],
                            "detail": "not recorded in this run"})
    return {"enabled": True, "ran_phases": ran, "skipped_phases": skipped_phases, "skipped": skipped}


def _verdict(phases: list[dict], stopped: str | None, metrics: Iterable[Mapping],
             criteria: Iterable[Mapping], check_mode: Mapping | None = None) -> dict:
    """failed, incomplete, warned or passed - and whether staging proved ready for production.

    ``stopped``: the ``run_failure`` sentence, if any; ``metrics`` and ``criteria``: the
    rows of ``_key_metrics`` and ``_success_criteria``.

    With ``check_mode`` (the ``check_mode_summary`` of an ``ansible-playbook --check`` run)
    the verdict is ``check_mode`` unless a check that ran failed (then ``failed``: a real run
    would fail too); it is never ready for production, and it lists what was skipped. What
    did not run is not a failure.
    """
    failed, missing, warned = [], [], []
    if stopped:
        failed.append(stopped)
    for phase in phases:
        if phase["status"] == "failed":
            bad = [c["name"] for c in phase["checks"] if c["status"] == "failed"]
            failed.append(f"phase {phase['name']} failed" + (f": {', '.join(bad)}" if bad else ""))
        elif phase["status"] in NOT_RAN and phase["expected"]:
            missing.append(f"phase {phase['name']} {status_label(phase['status'], icon=False)}")
        elif phase["status"] == "warned":
            warned.append(f"phase {phase['name']} warned")
    for row in metrics:
        if row["status"] == "failed":
            failed.append(f"metric {row['name']}: {row['actual_text']} (target {row['target_text']})")
        elif row["status"] == "not_measured":
            missing.append(f"metric {row['name']} not measured")
    for row in criteria:
        if row["status"] == "failed":
            failed.append(f"criterion {row['name']} failed")
        elif row["status"] == "not_measured":
            missing.append(f"criterion {row['name']} not measured")
    if check_mode:
        return _check_mode_verdict(phases, check_mode, failed, missing, warned)
    status = ("failed" if failed else "incomplete" if missing
              else "warned" if warned else "passed")
    ready = status in ("passed", "warned")
    summary = {
        "failed": "The rehearsal failed: staging is not ready for production.",
        "incomplete": "The rehearsal is incomplete: what did not run or was not measured "
                      "cannot be claimed, so staging is not proven ready for production.",
        "warned": "Every phase and criterion passed, with warnings: ready for production "
                  "once the warnings are reviewed.",
        "passed": "Every phase, key metric and success criterion passed: ready for production.",
    }[status]
    return {"status": status, "ready_for_production": ready, "summary": summary,
            "reasons": failed + missing + warned,
            "failures": failed, "not_verified": missing, "warnings": warned}


def _check_mode_verdict(phases: list[dict], summary_of: Mapping, failed: list, missing: list,
                        warned: list) -> dict:
    # In check mode only what ran can fail; a phase or metric that did not run is expected.
    ran_checks = sum(1 for phase in phases for check in phase["checks"] if check["status"] in RAN)
    skipped = summary_of["skipped"]
    if failed:
        status = "failed"
        failed_checks = sum(1 for phase in phases for check in phase["checks"] if check["status"] == "failed")
        summary = (f"Check mode (--check): nothing was changed, but {failed_checks or len(failed)} of the "
                   f"{ran_checks} read-only checks failed, so a real rehearsal would fail too.")
    else:
        status = "check_mode"
        summary = (f"Check mode (--check): nothing was changed. {ran_checks} read-only checks ran "
                   f"({', '.join(summary_of['ran_phases']) or 'none'}); {len(skipped)} checks were skipped, most "
                   f"because they change the stack ({', '.join(summary_of['skipped_phases']) or 'no phase'} "
                   "not run at all). "
                   "Not a rehearsal: run without --check to prove staging ready for production.")
    would = [f"{row['phase']}: {row['check']} skipped - {row['detail']}" for row in skipped]
    return {"status": status, "ready_for_production": False, "summary": summary, "check_mode": True,
            "reasons": failed + ["check mode: nothing deployed, loaded or rolled back"] + warned,
            "failures": failed, "not_verified": would, "warnings": warned,
            "not_measured": missing, **{key: summary_of[key] for key in ("ran_phases", "skipped_phases", "skipped")}}


# ---------------------------------------------------------------- charts and history

def _charts(phases: list[dict]) -> dict:
    """The SVG charts of the HTML report (plugin_utils/report_charts.py)."""
    outages = report_charts.recorded_outages(phases)
    load = next((phase for phase in phases if phase["name"] == "load_test"), None)
    return {"timeline": report_charts.timeline_chart(phases, outages if outages else None),
            "load": report_charts.load_chart(load["evidence"] if load and load["recorded"] else {})}


def _history(results: Mapping, verdict: str, span_s: Any, opts: Mapping) -> dict:
    """This run's history line and the trend of the last runs (plugin_utils/report_history.py)."""
    runs = opts.get("history_runs")
    tolerance = opts.get("history_tolerance_pct")
    try:
        parsed = report_history.parse_history(opts.get("history_text"))
        entry = report_history.history_entry(results, verdict, span_s)
        view = report_history.history_view(
            parsed["entries"], entry, DEFAULT_HISTORY_RUNS if runs in (None, "") else runs,
            DEFAULT_HISTORY_TOLERANCE_PCT if tolerance in (None, "") else tolerance)
    except report_history.HistoryError as exc:
        raise AnsibleFilterError(f"rehearsal_report: {exc}") from exc
    view["unreadable_lines"] = parsed["unreadable"]
    for metric in view["metrics"]:
        metric["sparkline"] = report_charts.sparkline([run.get(metric["id"]) for run in view["runs"]])
    return view


def _release_comparison(index: Mapping) -> dict:
    """The candidate against the baseline (judge release_comparison), or why it was not compared."""
    phase = index.get("release_comparison")
    compared = ((phase or {}).get("evidence") or {}).get("release_comparison")
    if compared:
        return dict(compared)
    reason = ("the release_comparison phase did not run" if not phase or phase["status"] == "not_run"
              else "; ".join(check.get("detail") or "" for check in phase.get("checks") or []) or "not compared")
    return {"verdict": None, "method": None, "baseline": None, "candidate": None, "endpoints": [], "not_compared": reason}


# ---------------------------------------------------------------- everything at once

def rehearsal_report(results: Any, options: Mapping | None = None) -> dict:
    """Everything the report templates render, computed once: the phase views are built here
    and every part of the report reads them.

    ``options`` keys (all optional): expected_phases, aliases, goals, targets, metrics,
    criteria, known_problems, report_written, resource_keys, version_keys, check_mode,
    history_text (the history file's content), history_runs, history_tolerance_pct.
    """
    results = _results(results)
    opts = _mapping(options, "options")
    phases = _phases(results, opts.get("expected_phases") or None, opts.get("aliases") or None)
    index = _phase_index(phases)
    targets = _targets(opts.get("targets"))
    metrics = _key_metrics(index, targets, opts.get("metrics") or None)
    criteria = _success_criteria(index, targets, opts.get("criteria") or None, opts.get("report_written"))
    stopped = run_failure(results)
    check_mode = check_mode_summary(phases) if opts.get("check_mode") else None
    run = dict(_mapping(results.get("run"), "run"))
    started = run.get("started_at")
    verdict = _verdict(phases, stopped, metrics, criteria, check_mode)
    timeline = _timeline(phases)
    return {
        "check_mode": check_mode or {"enabled": False},
        "run": run,
        "run_rows": _flatten(run),
        "run_stamp": _report_stamp(started) if started else None,
        "run_started_text": _time_text(started),
        "run_failure": stopped,
        "phases": phases,
        "goals": _goals(index, opts.get("goals") or None),
        "key_metrics": metrics,
        "success_criteria": criteria,
        "problems": _problems(phases, opts.get("known_problems") or None, metrics),
        "evaluation": _evaluation(phases),
        "verdict": verdict,
        "timeline": timeline,
        "charts": _charts(phases),
        "history": _history(results, verdict["status"], timeline["span_s"], opts),
        "release_comparison": _release_comparison(index),
        "resources": _evidence_rows(phases, opts.get("resource_keys") or DEFAULT_RESOURCE_KEYS, False),
        "versions": _evidence_rows(phases, opts.get("version_keys") or DEFAULT_VERSION_KEYS, True),
    }


def report_document(view: Any, results: Any, files: Mapping, generated_at: str) -> dict:
    """The report JSON: the results unchanged, with what ``rehearsal_report`` computed from them."""
    view = _mapping(view, "the report view")
    return {
        "format": REPORT_FORMAT,
        "generated_at": generated_at,
        "check_mode": view["check_mode"],
        "files": dict(_mapping(files, "files")),
        "verdict": view["verdict"],
        "goals": view["goals"],
        "key_metrics": view["key_metrics"],
        "success_criteria": view["success_criteria"],
        "problems": view["problems"],
        "timeline": view["timeline"],
        "history": {key: view["history"][key] for key in ("entry", "earlier_runs", "tolerance_pct", "regressions")}
        | {"metrics": [{key: value for key, value in metric.items() if key != "sparkline"}
                       for metric in view["history"]["metrics"]]},
        "release_comparison": view["release_comparison"],
        "phase_statuses": {phase["name"]: phase["status"] for phase in view["phases"]},
        "rehearsal_results": _results(results),
    }


def _report_stamp(value: Any = None) -> str:
    """YYYYmmdd-HHMMSS (UTC) of an ISO 8601 time, or of now when empty."""
    moment = _parse_time(value) if value else datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")


def report_files(results: dict, directory: str, basename: str = "", timestamp: str = "", host: str = "") -> dict:
    """The report's stamp and file names: ``{stamp, files: {markdown, html, json}}``.

    The name is ``basename`` when given, else staging_rehearsal_<stamp>[_<host>], the stamp
    being ``timestamp`` or the run's start; ``host`` (given when a play has several hosts)
    keeps their reports apart, reduced to characters safe in a file name.
    """
    stamp = timestamp or _report_stamp(((results or {}).get("run") or {}).get("started_at") or "")
    suffix = "_" + re.sub(r"[^A-Za-z0-9._-]", "_", host) if host else ""
    base = basename or f"staging_rehearsal_{stamp}{suffix}"
    return {"stamp": stamp,
            "files": {kind: posixpath.join(directory, f"{base}.{extension}")
                      for kind, extension in (("markdown", "md"), ("html", "html"), ("json", "json"))}}


def report_stats(view: dict, files: dict) -> dict:
    """What the play publishes for AWX (set_stats): the verdict, the files, each phase's status."""
    verdict = view["verdict"]
    return {"verdict": verdict["status"], "ready_for_production": verdict["ready_for_production"],
            "files": files, "phases": {phase["name"]: phase["status"] for phase in view["phases"]},
            "problems": len(view["problems"])}


class FilterModule:
    """Filters that build the rehearsal report from the shared results structure."""

    def filters(self):
        return {
            "rehearsal_report": rehearsal_report,
            "report_document": report_document,
            "report_cell": report_cell,
            "status_label": status_label,
            "report_files": report_files,
            "report_stats": report_stats,
        }
