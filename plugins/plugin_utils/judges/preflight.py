# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge ``preflight``: every check of roles/preflight, from its registered probes.

``probes`` holds the results roles/preflight/tasks registered, by area::

    python_requirements                  footballpred.rehearsal.python_requirements
    docker, compose_version, python      tool_versions.yml (docker_host_info, two commands)
    hardware, df                         host_resources.yml (facts, df)
    port_list, port_owners               ports.yml (the ports checked, port_owners.py)
    files, env_source, env_content       project_files.yml (stat loop, the env file read)
    compose_config                       compose_config.yml (docker compose config --services)
    git, git_status, compose_ps          stack_state.yml (git log, git status, docker compose ps)
    db, redis, kafka, mlflow             services.yml (db_check, redis_check, kafka_check, mlflow_check)
    prometheus, grafana                  monitoring.yml (uri loops)
    aborted                              the rescue: {task, msg} of the task that failed

An area is judged only when all its probes are there and none of them failed: a probe that
is missing (None) was not reached, and a failed one stopped preflight (the rescue records
what was judged before it, then ``preflight_aborted``). A skipped probe (``{skipped: true}``,
as a task skipped by ``when`` registers it) is judged, like an empty answer. ``targets`` are
the role's options. Texts follow what the role's Jinja wrote before, word for word.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import as_int as _int, check, judged, truncate

_MISSING = object()

_ENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_QUOTED = re.compile(r"^([\"'])(.*)\1$")
_NUMERIC_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*")
_PYTHON_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_DF_LINE = re.compile(r"^(/\S*)\s+([0-9]+)$", re.MULTILINE)
_LOOSE_COMPONENT = re.compile(r"(\d+|[a-z]+|\.)", re.IGNORECASE)
GIB = 1073741824


# --- helpers that behave as the Jinja filters the role used --------------------------------

def _get(data, *path, default=None):
    """``data.a.b | default(default)``: the value at ``path``, ``default`` when a key is missing."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _float(value) -> float:
    """Jinja's ``float``."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _unique(values) -> list:
    """Ansible's ``unique``: first of each, compared case-insensitively."""
    seen, out = set(), []
    for value in values:
        key = value.lower() if isinstance(value, str) else value
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _sorted(values, key=None) -> list:
    """Jinja's ``sort``: case-insensitive."""
    def sort_key(item):
        value = key(item) if key else item
        return value.lower() if isinstance(value, str) else value
    return sorted(values, key=sort_key)


def _loose_version(text: str) -> list:
    return [int(part) if part.isdigit() else part.lower()
            for part in _LOOSE_COMPONENT.findall(str(text)) if part != "."]


def _version_at_least(found: str, needed) -> bool:
    """``found is version(needed, '>=')`` (loose versions)."""
    try:
        return _loose_version(found) >= _loose_version(needed)
    except TypeError:  # a number compared with a word: Ansible's test fails, so no pass either
        return False


def _search(pattern: str, value) -> bool:
    return value is not None and re.search(pattern, str(value)) is not None


def _judgeable(probes: dict, *names: str) -> bool:
    """The area's probes were all reached, and none failed (which would have stopped preflight)."""
    return all(isinstance(probes.get(name), dict) and not probes[name].get("failed") for name in names)


def _results(probe) -> list:
    results = _get(probe, "results", default=[])
    return results if isinstance(results, list) else []


# --- python_requirements.yml ------------------------------------------------------------

def python_requirements(result: dict) -> tuple[list, dict]:
    python = _get(result, "python", default={})
    value = f"{_get(python, 'executable', default='unknown interpreter')} {_get(python, 'version', default='')}"
    if "libraries" in result:
        detail = "; ".join(_get(result, "problems", default=[]))
    else:
        detail = truncate(_get(result, "msg", default="the module did not run"), 500)
    item = judged("python_requirements", bool(result.get("ok", False)), value,
                  ", ".join(_get(result, "pip_requirements", default=[])), detail)
    return [item], {"python_requirements": {"python": python, "libraries": _get(result, "libraries", default=[])}}


# --- tool_versions.yml ------------------------------------------------------------------

def _numeric(version: str) -> str:
    match = _NUMERIC_VERSION.search(version)
    return match.group(0) if match else ""


def tool_versions(docker: dict, compose: dict, python: dict, targets: dict) -> tuple[list, dict]:
    docker_up = bool(docker.get("can_talk_to_docker", False))
    docker_version = str(_get(docker, "host_info", "ServerVersion", default="")) if docker_up else ""
    compose_version = re.sub(r"^v", "", str(_get(compose, "stdout", default="")).strip())
    match = _PYTHON_VERSION.search(f"{python.get('stdout', '')}{python.get('stderr', '')}")
    python_version = match.group(0) if match else ""

    if docker_up:
        docker_detail = (f"engine {_get(docker, 'host_info', 'Name', default='?')}, root dir "
                         f"{_get(docker, 'host_info', 'DockerRootDir', default='?')}")
    else:
        docker_detail = "the Docker engine does not answer: " + truncate(_get(docker, "msg", default=""), 300)
    if _get(compose, "rc", default=1) == 0:
        compose_detail = "docker compose version --short"
    else:
        compose_detail = "docker compose does not answer: " + truncate(_get(compose, "stderr", default=""), 300)

    def at_least(version: str, needed) -> bool:
        numeric = _numeric(version)
        return bool(numeric) and _version_at_least(numeric, needed)

    checks = [
        judged("docker_version", at_least(docker_version, targets["min_docker_version"]),
               docker_version or "unavailable", f">= {targets['min_docker_version']}", docker_detail),
        judged("compose_version", at_least(compose_version, targets["min_compose_version"]),
               compose_version or "unavailable", f">= {targets['min_compose_version']}", compose_detail),
        judged("python_version", bool(python_version) and _version_at_least(python_version, targets["python_version"]),
               python_version or "unavailable", f">= {targets['python_version']}",
               f"{targets['python_executable']} --version"),
    ]
    evidence = {"versions": {"docker_engine": docker_version, "docker_compose": compose_version,
                             "python": python_version}}
    return checks, evidence


# --- host_resources.yml -----------------------------------------------------------------

def host_resources(hardware: dict, df: dict, targets: dict) -> tuple[list, dict]:
    vcpus = hardware.get("processor_vcpus")
    cpus = _int(vcpus if vcpus is not None else (hardware.get("processor_nproc") or 0))
    memory_gib = round(_int(hardware.get("memtotal_mb") or 0) / 1024, 2)
    # df prints one "mount avail" line per path; a filesystem shared by both counts once.
    filesystems = dict(_DF_LINE.findall(str(_get(df, "stdout", default=""))))
    min_free_gib = round(min(int(avail) for avail in filesystems.values()) / GIB, 2) if filesystems else -1
    if filesystems:
        disk_detail = "least free of: " + ", ".join(filesystems)
    else:
        disk_detail = "df failed: " + truncate(_get(df, "stderr", default=""), 300)
    checks = [
        judged("cpu_count", cpus >= _int(targets["min_cpus"]), cpus, f">= {targets['min_cpus']}",
               "vCPUs seen by the host"),
        judged("memory_total_gib", memory_gib >= _float(targets["min_memory_gib"]), memory_gib,
               f">= {targets['min_memory_gib']}", "MemTotal of the host"),
        judged("disk_free_gib", min_free_gib >= 0 and min_free_gib >= _float(targets["min_disk_free_gib"]),
               float(min_free_gib) if min_free_gib >= 0 else "unavailable",
               f">= {targets['min_disk_free_gib']}", disk_detail),
    ]
    return checks, {"disk_free_bytes": filesystems}


# --- ports.yml --------------------------------------------------------------------------

def _port_report(owners: dict) -> tuple[bool, list, str]:
    """(answered, the ports port_owners.py reported, why not)."""
    why = truncate(f"{_get(owners, 'stderr', default='')}{_get(owners, 'msg', default='')}", 300)
    if _get(owners, "rc", default=1) != 0:
        return False, [], why
    try:
        return True, list(json.loads(owners.get("stdout", ""))["ports"]), ""
    except (ValueError, TypeError, KeyError):
        return False, [], truncate("port_owners.py did not print its report: " + str(owners.get("stdout", "")), 300)


def ports(port_list: list, owners: dict, targets: dict) -> tuple[list, dict]:
    answered, report, why = _port_report(owners)
    target = f"free or held by {targets['compose_project']}"
    checks = []
    for wanted in port_list:
        name = f"port_{wanted['name']}_{wanted['port']}"
        entry = next((item for item in report if item.get("port") == wanted["port"]), None)
        if not answered:
            checks.append(check(name, "failed", "unknown", target, "could not inspect the listening sockets: " + why))
        elif entry is None:
            checks.append(check(name, "failed", "unknown", target, "port_owners.py did not report this port"))
        else:
            checks.append(judged(name, entry.get("status") in ("free", "owned"), entry.get("status"), target,
                                 entry.get("detail")))
    return checks, ({"ports": report} if port_list else {})


# --- project_files.yml ------------------------------------------------------------------

def _stat(files: dict, path: str) -> dict:
    return next((_get(item, "stat", default={}) for item in _results(files) if item.get("item") == path), {})


def project_files(files: dict, targets: dict) -> list:
    wanted = ([(path, "compose_file") for path in targets["compose_files"]]
              + [(path, "script") for path in targets["required_scripts"]])
    checks = []
    for path, kind in wanted:
        stat = _stat(files, path)
        executable_wanted = kind == "script"
        present = bool(stat.get("exists")) and bool(stat.get("isreg", False))
        executable = bool(stat.get("executable", False))
        if present and executable_wanted:
            value = "executable" if executable else "not executable"
        else:
            value = "present" if present else "missing"
        checks.append(judged(f"{kind}_{os.path.basename(path)}", present and (not executable_wanted or executable),
                             value, "present and executable" if executable_wanted else "present",
                             f"{targets['project_dir']}/{path}"))
    return checks


def _env_pairs(content) -> dict:
    try:
        text = base64.b64decode(str(content or "")).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        text = ""
    return {key: _QUOTED.sub(r"\2", value) for key, value in _ENV_LINE.findall(text)}


def env_file(env_source: str, env_content: dict, targets: dict) -> dict:
    """The env file (or, before the first deploy, its template) carries the required keys.

    API_PORT is judged as it will be in service: unless deploy_render_env_file is false, deploy
    renders the env file from its template on every run, with API_PORT from the inventory, so
    the value in the template (or in an env file rendered before) is not the one the app uses.
    Only the values the check requires are echoed; any other value may be a secret.
    """
    env_name, template = targets["env_file"], targets["env_file_template"] or ""
    required = targets["env_required"]
    renders = bool(targets["env_renders"]) and len(template) > 0
    rendered_api_port = str(targets["rendered_api_port"])
    env = _env_pairs(_get(env_content, "content", default=""))
    if renders:
        env["API_PORT"] = rendered_api_port
    problems = []
    for key, expected in required.items():
        if key not in env:
            problems.append(f"{key} missing")
        elif str(expected) == "" and env[key] == "":
            problems.append(f"{key} is empty")
        elif str(expected) != "" and env[key] != str(expected):
            problems.append(f"{key}={env[key]} (expected {expected})")
    from_template = env_source != env_name
    target = ", ".join(f"{key}={expected if len(str(expected)) > 0 else '<set>'}" for key, expected in required.items())

    if not env_source:
        return check("env_file", "failed", "missing", target,
                     f"{env_name} and {template or 'no template'} are missing")
    if problems:
        detail = f"{'; '.join(problems)} in {env_source}"
    else:
        detail = f"all required keys set in {env_source}"
    if renders:
        detail += f"; API_PORT {rendered_api_port} from the inventory: deploy renders {env_name} from {template}"
    if from_template:
        detail += (f"; {env_name} does not exist yet: the keys were read from its template, "
                   + ("deploy creates it" if renders else "deploy needs it (deploy_render_env_file=false)"))
    if problems or (from_template and not renders):
        status = "failed"
    else:
        status = "warned" if from_template else "passed"
    return check("env_file", status, f"{len(required) - len(problems)}/{len(required)} required keys right",
                 target, detail)


# --- compose_config.yml -----------------------------------------------------------------

def compose_services(compose_config) -> list:
    """The services the compose configuration defines, sorted."""
    return _sorted(_get(compose_config, "stdout_lines", default=[]) or [])


def compose_config(result: dict, env_source: str, targets: dict) -> list:
    rendered = _get(result, "rc", default=1) == 0
    services = compose_services(result)
    required = targets["required_services"]
    missing = [name for name in required if name not in services]
    if rendered:
        detail = (f"docker compose config with {', '.join(targets['compose_files'])} and "
                  f"{env_source or 'no env file'}")
    else:
        detail = truncate(result["stderr"] if "stderr" in result else _get(result, "msg", default=""), 500)
    if rendered:
        services_status = "failed" if missing else "passed"
        services_detail = f"missing: {', '.join(missing)}" if missing else "all defined"
    else:
        services_status, services_detail = "not_run", "the configuration does not render"
    return [
        judged("compose_config", rendered, "renders" if rendered else "does not render", "renders", detail),
        check("compose_services", services_status, ", ".join(services) if rendered else "unknown",
              f"defines {', '.join(required)}", services_detail),
    ]


# --- stack_state.yml --------------------------------------------------------------------

def _ps_entries(compose_ps) -> list:
    """docker compose ps --format json: one object per line (older releases: one array)."""
    raw = str(_get(compose_ps, "stdout", default="")).strip()
    if _get(compose_ps, "rc", default=1) != 0 or not raw:
        return []
    try:
        entries = json.loads(raw) if raw.startswith("[") else [json.loads(line) for line in raw.splitlines() if line.strip()]
    except ValueError:
        return []
    return [entry for entry in entries if isinstance(entry, dict)]


def stack_services(compose_ps) -> list:
    """The containers of the project as compose ps shows them, sorted by service."""
    keep = ("Service", "Name", "Image", "State", "Health", "Status")
    services = [{key: value for key, value in entry.items() if key in keep} for entry in _ps_entries(compose_ps)]
    return _sorted(services, key=lambda entry: entry.get("Service", ""))


def running_services(compose_ps) -> list:
    return [entry.get("Service") for entry in stack_services(compose_ps) if entry.get("State") == "running"]


def stack_state(git: dict, git_status: dict, compose_ps: dict, targets: dict) -> tuple[list, dict]:
    stdout = str(_get(git, "stdout", default=""))
    git_ok = _get(git, "rc", default=1) == 0 and len(stdout) > 0
    fields = (stdout.split("\t", 2) + ["", ""])[:3] if git_ok else ["", "", ""]
    changed_files = _get(git_status, "stdout_lines", default=[]) or []
    dirty = len(changed_files) > 0
    services = stack_services(compose_ps)
    running = [entry.get("Service") for entry in services if entry.get("State") == "running"]
    if git_ok:
        git_detail = f"{truncate(fields[2], 120)} ({fields[1]})"
        if dirty:
            git_detail += f"; uncommitted changes: {len(changed_files)} files"
    else:
        git_detail = "not a git checkout: " + truncate(_get(git, "stderr", default=""), 200)
    state_detail = (", ".join(f"{entry.get('Service')}: {entry.get('State')}" for entry in services)
                    or f"no container of {targets['compose_project']}")
    checks = [
        check("git_commit", "passed" if git_ok and not dirty else "warned", fields[0] if git_ok else "unknown",
              "a committed revision", git_detail),
        judged("stack_state", _get(compose_ps, "rc", default=1) == 0,
               f"{len(running)} of {len(services)} containers running", "recorded", state_detail),
    ]
    evidence = {"git": {"commit": fields[0], "committed_at": fields[1], "subject": fields[2], "dirty": dirty},
                "stack_before": services}
    return checks, evidence


# --- services.yml -----------------------------------------------------------------------

def _service_descriptions(probes: dict, targets: dict) -> dict:
    """How each service probe is judged and described: (compose service, major, target, detail)."""
    db, redis, kafka, mlflow = (probes[name] for name in ("db", "redis", "kafka", "mlflow"))
    return {
        "db": ("db", targets["postgres_major"], f"PostgreSQL {targets['postgres_major']}",
               f"SELECT 1 {'ok' if _get(db, 'select_one', 'ok', default=False) else 'failed'}, connect "
               f"{_get(db, 'connect_latency_ms', default='?')} ms, database {_get(db, 'database', 'name', default='?')}"),
        "redis": ("redis", targets["redis_major"], f"Redis {targets['redis_major']}",
                  f"PING ok in {_get(redis, 'ping', 'latency_ms', default='?')} ms"),
        "kafka": ("kafka", 0, "answers the Kafka protocol (staging: Kafka 3.6.1)",
                  f"cluster {_get(kafka, 'cluster', 'cluster_id', default='?')}, "
                  f"{_get(kafka, 'cluster', 'broker_count', default='?')} broker(s), "
                  f"{len(_get(kafka, 'topics', default=[]) or [])} topic(s); "
                  "the Kafka protocol does not expose the broker version"),
        "mlflow": ("mlflow", 0, "/health OK",
                   f"MLflow {_get(mlflow, 'server_version', 'full', default='?')}, "
                   f"{_get(mlflow, 'model_count', default=0)} registered model(s)"),
    }


def services(probes: dict, targets: dict) -> list:
    """A service that does not answer is judged by where it stands: not running in this
    project -> not_run (the deploy starts it); running but silent -> warned (the deploy
    restarts it, and its gate fails if it stays silent); outside the project -> failed."""
    in_project = compose_services(probes.get("compose_config"))
    running = running_services(probes.get("compose_ps"))
    checks = []
    for key, (service, major, target, answer_detail) in _service_descriptions(probes, targets).items():
        probe = probes[key]
        version = str(_get(probe, "server_version", "full", default=""))
        version_ok = _int(major) == 0 or _int(_get(probe, "server_version", "major", default=-1)) == _int(major)
        error = truncate(_get(probe, "error", default=""), 300)
        if probe.get("ok"):
            status = "passed" if version_ok else "failed"
            detail = answer_detail if version_ok else f"version {version} is not the expected major version"
        elif service in running:
            status, detail = "warned", f"service {service} is running but does not answer: {error}"
        elif service in in_project:
            status, detail = "not_run", f"service {service} is not running (the deploy starts it): {error}"
        else:
            status, detail = "failed", f"not part of this compose project and does not answer: {error}"
        checks.append(check(f"{key}_reachable", status, (version or "answers") if probe.get("ok") else "unreachable",
                            target, detail))
    return checks


# --- monitoring.yml ---------------------------------------------------------------------

def _prometheus_data(prometheus: dict) -> dict:
    """The `data` of each Prometheus API answer with HTTP 200, by endpoint."""
    return {item.get("item"): _get(item, "json", "data") for item in _results(prometheus)
            if "status" in item and item["status"] == 200}


def _staging_targets(active: list, pattern: str) -> list:
    by_job = [item for item in active if _search(pattern, _get(item, "labels", "job"))]
    by_environment = [item for item in active if not _search(pattern, _get(item, "labels", "job"))
                      and _search(pattern, _get(item, "labels", "environment"))]
    return by_job + by_environment


def prometheus(probe: dict, in_project: list, running: list, targets: dict) -> list:
    data = _prometheus_data(probe)
    up = "targets" in data
    first = (_results(probe) or [{}])[0]
    error = truncate(_get(first, "msg", default="not configured"), 300)
    down_status = "warned" if "prometheus" in running else ("not_run" if "prometheus" in in_project else "failed")
    required_jobs = targets["prometheus_required_jobs"]
    channel = targets["alert_channel"] or ""

    staging = _staging_targets(_get(data, "targets", "activeTargets", default=[]) or [], targets["prometheus_target_pattern"])
    jobs = _sorted(_unique(_get(item, "labels", "job") for item in staging))
    missing_jobs = [job for job in required_jobs if job not in jobs]
    groups = _get(data, "rules", "groups", default=[]) or []
    alert_rules = [rule for group in groups for rule in (_get(group, "rules", default=[]) or [])
                   if rule.get("type") == "alerting"]
    channels = _unique(_get(rule, "labels", "channel") for rule in alert_rules
                       if isinstance(rule.get("labels"), dict) and "channel" in rule["labels"])
    alertmanagers = _get(data, "alertmanagers", "activeAlertmanagers", default=[]) or []

    down = ", ".join(str(item.get("scrapeUrl")) for item in staging if item.get("health") != "up")
    targets_detail = (f"jobs: {', '.join(map(str, jobs)) or 'none'}"
                      + (f"; missing: {', '.join(missing_jobs)}" if missing_jobs else "")
                      + f"; down: {down or 'none'}")
    up_count = len([item for item in staging if item.get("health") == "up"])
    checks = [
        check("prometheus_targets",
              ("passed" if staging and not missing_jobs else "failed") if up else down_status,
              f"{len(staging)} staging target(s), {up_count} up" if up else "unreachable",
              "staging targets exist" + (f" (jobs {', '.join(required_jobs)})" if required_jobs else ""),
              targets_detail if up else error),
        check("prometheus_alert_rules",
              ("passed" if alert_rules else "failed") if up else down_status,
              f"{len(alert_rules)} alerting rule(s) in {len(groups)} group(s)" if up else "unreachable",
              "at least 1 alerting rule loaded",
              (", ".join(str(rule.get("name")) for rule in alert_rules) or "no alerting rule") if up else error),
    ]
    if not channel:
        checks.append(check("alert_channel", "skipped", "not configured", "an alert channel",
                            "no alert channel configured (preflight_alert_channel is empty)"))
        return checks
    if up:
        status = ("passed" if alertmanagers else "warned") if channel in channels else "failed"
        receivers = (f"{len(alertmanagers)} Alertmanager(s) receive the alerts" if alertmanagers
                     else "no Alertmanager receives the alerts, so nothing reaches the channel")
        value = ", ".join(map(str, channels)) or "no channel label"
        detail = f"alert rules route to {', '.join(map(str, channels)) or 'no channel'}; {receivers}"
    else:
        status, value, detail = down_status, "unknown", error
    checks.append(check("alert_channel", status, value, channel, detail))
    return checks


def grafana(probe: dict, targets: dict) -> dict:
    uid = targets["grafana_dashboard_uid"] or ""
    target = f"staging dashboard {uid or '(uid not set)'} exists"
    if not targets["grafana_url"]:
        return check("grafana_dashboard", "skipped", "not configured", target,
                     "no Grafana URL configured (preflight_grafana_url is empty): not checked")
    results = _results(probe)
    health = next((item for item in results if item.get("item") == "/api/health"), {})
    dashboard = next((item for item in results if item.get("item") != "/api/health"), {})
    if _get(health, "status", default=-1) != 200:
        status = "failed"
    elif not uid:
        status = "warned"
    else:
        status = "passed" if _get(dashboard, "status", default=-1) == 200 else "failed"
    value = (f"Grafana {_get(health, 'json', 'version', default='?')}, dashboard HTTP "
             f"{_get(dashboard, 'status', default='not checked')}")
    detail = f"{truncate(_get(health, 'msg', default=''), 200)} {truncate(_get(dashboard, 'msg', default=''), 200)}"
    return check("grafana_dashboard", status, value, target, detail.strip())


# --- the phase ----------------------------------------------------------------------------

def aborted(probe: dict) -> dict:
    """The task that stopped preflight (its rescue records what was judged before it)."""
    return check("preflight_aborted", "failed", probe.get("task"), "completes", truncate(probe.get("msg", ""), 500))


def judge(probes: dict, targets: dict) -> dict:
    """Every area whose probes were reached, in the order preflight runs them."""
    checks, evidence = [], {}

    def add(judgement):
        area_checks, area_evidence = judgement
        checks.extend(area_checks)
        evidence.update(area_evidence)

    if _judgeable(probes, "python_requirements"):
        add(python_requirements(probes["python_requirements"]))
    if _judgeable(probes, "docker", "compose_version", "python"):
        add(tool_versions(probes["docker"], probes["compose_version"], probes["python"], targets))
    if _judgeable(probes, "df"):
        add(host_resources(probes.get("hardware") or {}, probes["df"], targets))
    if _judgeable(probes, "port_owners") and isinstance(probes.get("port_list"), list):
        add(ports(probes["port_list"], probes["port_owners"], targets))
    if _judgeable(probes, "files"):
        checks.extend(project_files(probes["files"], targets))
        if _judgeable(probes, "env_content"):
            checks.append(env_file(str(probes.get("env_source") or ""), probes["env_content"], targets))
    if _judgeable(probes, "compose_config"):
        checks.extend(compose_config(probes["compose_config"], str(probes.get("env_source") or ""), targets))
    if _judgeable(probes, "git", "git_status", "compose_ps"):
        add(stack_state(probes["git"], probes["git_status"], probes["compose_ps"], targets))
    if _judgeable(probes, "db", "redis", "kafka", "mlflow"):
        checks.extend(services(probes, targets))
    if _judgeable(probes, "prometheus"):
        checks.extend(prometheus(probes["prometheus"], compose_services(probes.get("compose_config")),
                                 running_services(probes.get("compose_ps")), targets))
    if _judgeable(probes, "grafana"):
        checks.append(grafana(probes["grafana"], targets))
    if isinstance(probes.get("aborted"), dict):
        checks.append(aborted(probes["aborted"]))
    return {"checks": checks, "evidence": evidence}
