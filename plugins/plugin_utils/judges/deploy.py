# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of the deploy phase: every gate of roles/deploy, in the order the role runs them.

``probes`` hold what each step of the deploy registered, by step (roles/deploy/tasks):
``state`` (record_state.yml: ``git`` command result, ``commit``, ``stack`` as docker compose
ps lists it), ``plan`` and ``rollback_point`` (kept as evidence; the build's version is the
plan's, its commit the state's), ``preview`` (check mode: docker_compose_v2 in check mode),
``env_file`` (template result), ``build`` (only when the deploy built: docker_image_build
result, tag, wheelhouse script result, the previous tag's result, push results), ``images``
(``after``: docker_image_info of the tags after the build), ``stop``
(docker_compose_v2 down), ``db`` (pg_isready exec and db_check), ``migrate``
(docker_compose_v2_run), ``messaging`` (redis_check, kafka_check), ``mlflow`` (wait_for,
mlflow_check), ``model`` (mlflow_check before and after docker_compose_v2_run of the
training), ``app`` (docker_compose_v2 up, uri /health, the app container's Image and Name),
``stack_up`` (docker_compose_v2 up of the rest), ``logs`` (command loop of docker compose
logs), ``prune`` (the release tags, the ones spared and the docker_image_remove loop) and
``aborted`` (``{task, message}`` from the role's rescue). A gate's times are probes too:
``t0`` when it started, ``at`` when it was judged (epoch seconds; roles/deploy/tasks/judge_gate.yml
adds both to a gate's probe).

A step missing from ``probes`` (or ``{}``) was not reached and has no check. ``targets`` are
the role's options without their ``deploy_`` prefix: record_phase fills them from the
variables TARGET_VARIABLES names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged, truncate

# compose may print terminal control sequences even with --no-color.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
HEALTH_EVIDENCE = ("status", "version", "git_commit", "build_date", "environment")

# target -> the variable it comes from (roles/deploy: defaults/main.yml, vars/main.yml).
TARGET_VARIABLES = {
    "project_dir": "deploy_project_dir",
    "compose_project": "deploy_compose_project",
    "env_file": "deploy_env_file",
    "env_file_template": "deploy_env_file_template",
    "render_env_file": "deploy_render_env_file",
    "app_image": "deploy_app_image",
    "app_tag": "deploy_app_tag",
    "previous_tag": "deploy_previous_tag",
    "registry": "deploy_registry",
    "version_label": "_deploy_version_label",
    "revision_label": "_deploy_revision_label",
    "created_label": "_deploy_created_label",
    "stop_timeout_s": "deploy_stop_timeout_s",
    "db_ready_timeout_s": "deploy_db_ready_timeout_s",
    "service_ready_timeout_s": "deploy_service_ready_timeout_s",
    "mlflow_ready_timeout_s": "deploy_mlflow_ready_timeout_s",
    "mlflow_url": "rehearsal_mlflow_url",
    "model_name": "deploy_model_name",
    "model_alias": "deploy_model_alias",
    "health_timeout_s": "deploy_health_timeout_s",
    "log_tail_lines": "deploy_log_tail_lines",
    "keep_releases": "deploy_keep_releases",
}


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _dig(value, *keys, default=None):
    """``value.k1.k2 | default(default)``: the default only when a key is missing."""
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def _seconds(probe: Mapping, since: str = "t0", until: str = "at") -> float:
    return round(float(probe[until]) - float(probe[since]), 1)


def _as_bool(value) -> bool:
    """Ansible's ``bool`` filter: "false", "no", "0" and "" are false."""
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "on", "1", "true", "y", "t")
    return bool(value)


def _failed(result) -> bool:
    """Ansible's ``is failed``."""
    return bool(_mapping(result).get("failed", False))


def _last_lines(text, count: int = 3) -> str:
    return " | ".join(str(text or "").strip().splitlines()[-count:])


def _service_states(containers) -> str:
    return ", ".join(f"{item.get('Service')}: {item.get('State')}" for item in containers)


def _state(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    state = probes["state"]
    commit, stack = state["commit"], list(state.get("stack") or [])
    known = commit != "unknown"
    running = [item for item in stack if item.get("State") == "running"]
    checks = [
        judged("git_commit", known, commit, "recorded",
               f"commit of {targets['project_dir']}" if known
               else "not a git checkout: " + truncate(_dig(state, "git", "stderr", default=""), 200),
               otherwise="warned"),
        check("stack_before", "passed", f"{len(running)} of {len(stack)} containers running",
              "recorded (docker compose ps)",
              _service_states(stack) or f"no container of {targets['compose_project']}"),
    ]
    return checks, {"git_commit": commit, "stack_before": stack}


def _plan(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    return [], {"plan": probes["plan"]}


def _preview(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    actions = _dig(probes, "plan", "actions", default=[]) or []
    return [check("deploy", "not_run", "check mode", "deployed and healthy",
                  "would: " + ("; ".join(actions) or "nothing"))], {}


def _rollback_point(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    return [], {"rollback_point": probes["rollback_point"]}


def _env_file(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    env_file = targets["env_file"]
    if _as_bool(targets["render_env_file"]):
        value = "rendered" if probes["env_file"].get("changed", False) else "unchanged"
        detail = f"{env_file} from {targets['env_file_template']} and the inventory"
    else:
        value = "present (not rendered)"
        detail = f"{env_file} kept as it is (deploy_render_env_file=false)"
    return [check("env_file", "passed", value, "present, mode 0600", detail)], {}


def _build(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    build = probes["build"]
    image_id = build["result"]["image"]["Id"]
    detail = (f"{targets['app_image']}:{build['tag']} {image_id[7:19]}, version {_dig(probes, 'plan', 'version')}, "
              f"commit {_dig(probes, 'state', 'commit')}"
              + ("; wheelhouse rebuilt" if _dig(build, "wheelhouse", "changed") else ""))
    return [check("image_build", "passed", f"{_seconds(build)} s", "built", detail)], {}


def _image_tagged(images: list, reference: str) -> Mapping:
    return next((image for image in images if reference in (image.get("RepoTags") or [])), {})


def release_image(probes: Mapping, targets: Mapping) -> Mapping:
    """The image the tag to run names after tagging ({} when none)."""
    images = _dig(probes, "images", "after", "images", default=[]) or []
    return _image_tagged(images, f"{targets['app_image']}:{targets['app_tag']}")


def _labels(image: Mapping) -> Mapping:
    return _dig(image, "Config", "Labels", default={}) or {}


def _images(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    images = probes["images"]
    build = _mapping(probes.get("build"))
    app_image, app_tag, previous_tag = targets["app_image"], targets["app_tag"], targets["previous_tag"]
    version_label, revision_label = targets["version_label"], targets["revision_label"]
    target = release_image(probes, targets)
    previous = _image_tagged(_dig(images, "after", "images", default=[]) or [], f"{app_image}:{previous_tag}")
    target_labels, previous_labels = _labels(target), _labels(previous)
    built = bool(build)
    checks = [
        judged("release_image", bool(target), f"{app_image}:{app_tag} = {target.get('Id', 'missing')[7:19]}", "exists",
               f"version {target_labels.get(version_label, '?')}, commit {target_labels.get(revision_label, '?')}, "
               f"built {target_labels.get(targets['created_label'], '?')}"
               + ("" if built else "; source and build args unchanged: no rebuild")),
        judged("previous_image", bool(previous),
               f"{app_image}:{previous_tag} = {previous['Id'][7:19]}" if previous else "none", "kept for rollback",
               (f"version {previous_labels.get(version_label, '?')}, commit {previous_labels.get(revision_label, '?')}"
                + ("; tagged now" if _dig(build, "tagged_previous", "changed") else "; unchanged"))
               if previous else "no earlier image: nothing to roll back to yet",
               otherwise="warned"),
    ]
    registry = targets["registry"]
    if registry and built:
        pushed = ", ".join(str(item.get("item")) for item in _dig(build, "push", "results", default=[]) or [])
        checks.append(check("image_push", "passed", pushed, f"pushed to {registry}", f"{registry}/{app_image}"))
    evidence = {"images": {
        "built": f"{app_image}:{build['tag']}" if built else "",
        "release": {"tag": app_tag, "id": target.get("Id", ""), "version": target_labels.get(version_label, ""),
                    "revision": target_labels.get(revision_label, "")},
        "previous": {"tag": previous_tag, "id": previous.get("Id", ""),
                     "version": previous_labels.get(version_label, ""),
                     "revision": previous_labels.get(revision_label, "")}}}
    return checks, evidence


def _stop(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    stop = probes["stop"]
    target = f"graceful (timeout {targets['stop_timeout_s']} s), volumes kept"
    if not _as_bool(stop["stop"]):
        return [check("stack_stop", "skipped", "kept running", target,
                      "same image and env file as the running stack: nothing to restart "
                      "(deploy_restart_policy=on_change)")], {}
    actions = _dig(stop, "down", "actions", default=[]) or []
    stopped = sum(1 for action in actions if action.get("status") == "Stopping")
    removed = sum(1 for action in actions if action.get("status") == "Removing")
    return [check("stack_stop", "passed", f"{_seconds(stop)} s", target,
                  f"{stopped} container(s) stopped, {removed} removed")], {}


def _db(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["db"]
    pg_isready, db = _mapping(gate.get("pg_isready")), _mapping(gate.get("db"))
    ready = pg_isready.get("rc", 1) == 0
    version_ok = bool(db.get("ok", False))
    return [
        judged("db_ready", ready, f"{_seconds(gate)} s" if ready else "not ready",
               f"pg_isready within {targets['db_ready_timeout_s']} s",
               str(pg_isready.get("stdout", "")).strip() or str(pg_isready.get("stderr", "")).strip()
               or truncate(pg_isready.get("msg", ""), 300)),
        check("db_version", "passed" if version_ok else ("failed" if ready else "not_run"),
              _dig(db, "server_version", "full", default="unknown"), "SELECT version() answers",
              _dig(db, "server_version", "raw", default=db.get("error", "database not ready"))),
    ], {}


def _migrate(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["migrate"]
    run = _mapping(gate.get("run"))
    stdout, stderr = str(run.get("stdout", "")), str(run.get("stderr", ""))
    ok = run.get("rc", 1) == 0
    if ok:
        summaries = [line for line in stdout.strip().splitlines() if line.startswith("{")]
        summary = json.loads(summaries[-1] if summaries else "{}")
        upgrades = re.findall(r"Running upgrade [^\n]*", f"{stderr}\n{stdout}")
        detail = (f"{len(upgrades)} migration(s) applied" + (f": {', '.join(upgrades)}" if upgrades else "")
                  + f"; seed: {json.dumps(summary)}")
    else:
        detail = f"exit {run.get('rc', '?')}: " + truncate(_last_lines(stderr) or run.get("msg", ""), 500)
    return [judged("migrations", ok, f"{_seconds(gate)} s", "alembic upgrade head with the new image", detail)], {}


def _messaging(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["messaging"]
    redis, kafka = _mapping(gate.get("redis")), _mapping(gate.get("kafka"))
    timeout = targets["service_ready_timeout_s"]
    redis_ok = bool(_dig(redis, "ping", "ok", default=False))
    kafka_ok = bool(kafka.get("is_available")) and "topics" in kafka
    topics = list(kafka.get("topics") or [])
    return [
        judged("redis_ready", redis_ok, f"{_seconds(gate, until='redis_at')} s" if redis_ok else "no PONG",
               f"PONG within {timeout} s",
               f"Redis {_dig(redis, 'server_version', 'full', default='?')}, "
               f"PING {_dig(redis, 'ping', 'latency_ms', default='?')} ms" if redis_ok else redis.get("error", "")),
        judged("kafka_ready", kafka_ok, f"{_seconds(gate)} s" if kafka_ok else "no answer",
               f"topic list within {timeout} s",
               f"{len(topics)} topic(s): {', '.join(topics) or 'none yet'}, "
               f"{_dig(kafka, 'cluster', 'broker_count', default='?')} broker(s)" if kafka_ok
               else kafka.get("error", "")),
    ], {}


def _mlflow(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["mlflow"]
    port, api = _mapping(gate.get("port")), _mapping(gate.get("api"))
    port_ok = not _failed(port)
    api_ok = bool(api.get("ok", False))
    return [
        judged("mlflow_port", port_ok, f"{_seconds(gate, until='port_at')} s" if port_ok else "closed",
               f"port open within {targets['mlflow_ready_timeout_s']} s",
               targets["mlflow_url"] if port_ok else truncate(port.get("msg", ""), 300)),
        check("mlflow_api", "passed" if api_ok else ("failed" if port_ok else "not_run"),
              f"MLflow {_dig(api, 'server_version', 'full', default='?')}" if api_ok else "no answer",
              "/health OK, /version and the registry answer",
              f"answered after {_seconds(gate)} s, /health {_dig(api, 'health', 'latency_ms', default='?')} ms"
              if api_ok else api.get("error", "port closed")),
    ], {}


def _model(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["model"]
    name, alias = targets["model_name"], targets["model_alias"]
    train = _mapping(gate.get("train"))
    trained = not train.get("skipped", False)
    registry = _mapping(gate.get("after") if trained else gate.get("before"))
    ok = len(registry.get("missing_models", ["?"])) == 0
    model = next((item for item in registry.get("registered_models") or [] if item.get("name") == name), {})
    if ok:
        value = f"{name}@{alias} = version {(model.get('aliases') or {}).get(alias, '?')}"
        detail = f"trained and registered in {_seconds(gate)} s" if trained else "already registered"
    else:
        value = "missing"
        detail = (f"still missing after football-train (exit {train.get('rc', '?')}): "
                  + truncate(_last_lines(train.get("stderr", "")) or registry.get("error", ""), 500))
    return [judged("model_registered", ok, value, f"{name}@{alias} registered", detail)], {}


def _failing_health_checks(body: Mapping) -> str:
    failing = [key for key, value in _mapping(body.get("checks")).items() if _dig(value, "status") != "ok"]
    return f"failing: {', '.join(failing)}" if failing else ""


def _app(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    gate = probes["app"]
    health, container = _mapping(gate.get("health")), _mapping(gate.get("container"))
    body = _mapping(health.get("json"))
    healthy = health.get("status", -1) == 200 and body.get("status", "") == "healthy"
    running_image = str(container.get("Image", ""))
    expected_image = str(release_image(probes, targets).get("Id", ""))
    name = re.sub("^/", "", str(container.get("Name", "?")))
    checks = [
        judged("app_image", running_image == expected_image, running_image[7:19] or "no container",
               f"{targets['app_image']}:{targets['app_tag']} = {expected_image[7:19]}",
               f"container {name}, " + ("recreated" if _dig(gate, "up", "changed") else "unchanged")),
        judged("app_health", healthy,
               f"{_seconds(gate, until='health_at')} s" if healthy
               else f"HTTP {health.get('status', '-')} {body.get('status', 'no answer')}",
               f"/health 200 and status == healthy within {targets['health_timeout_s']} s",
               f"version {body.get('version', '?')}, commit {body.get('git_commit', '?')}, "
               f"environment {body.get('environment', '?')}" if healthy
               else _failing_health_checks(body) or truncate(health.get("msg", ""), 300)),
    ]
    return checks, {"health": {key: value for key, value in body.items() if key in HEALTH_EVIDENCE}}


def _stack_up(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    containers = list(probes["stack_up"].get("containers") or [])
    running = [item for item in containers if item.get("State") == "running"]
    return [judged("stack_up", len(running) == len(containers), f"{len(running)} of {len(containers)} containers running",
                   "every service running", _service_states(containers))], {}


def _log_check(result: Mapping, tail_lines) -> dict:
    service, pattern = result["item"]["key"], result["item"]["value"]
    lines = [ANSI_ESCAPE.sub("", str(line))
             for line in list(result.get("stdout_lines") or []) + list(result.get("stderr_lines") or [])]
    hits = [line for line in lines if re.search(pattern, line)]
    if result.get("rc") != 0:
        status, detail = "failed", "docker compose logs failed: " + truncate(result.get("stderr", ""), 300)
    else:
        status = "warned" if hits else "passed"
        detail = " | ".join(truncate(line, 200) for line in hits[:3]) if hits else "clean"
    return check(f"logs_{service}", status, f"{len(hits)} of {len(lines)} lines",
                 f"no line matching {pattern} in the last {tail_lines}", detail)


def _logs(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    return [_log_check(result, targets["log_tail_lines"]) for result in probes["logs"].get("results") or []], {}


def _prune(probes: Mapping, targets: Mapping) -> tuple[list, dict]:
    prune = probes["prune"]
    keep = targets["keep_releases"]
    release, spared = list(prune.get("release") or []), list(prune.get("spared") or [])
    results = _dig(prune, "removed", "results", default=[]) or []
    removed = [result.get("item") for result in results if not _failed(result)]
    failed = [result for result in results if _failed(result)]
    check_mode = _as_bool(prune.get("check_mode"))
    verb = "would remove" if check_mode else "removed"
    kept = ("would keep " if check_mode else "kept ") + str(len(release) - len(removed))
    detail = ((f"{verb} " + truncate(", ".join(removed), 300)) if removed else "nothing to remove")
    if spared:
        detail += "; kept, image in use or a rollback target: " + ", ".join(spared)
    if failed:
        detail += "; could not remove: " + truncate(
            "; ".join(f"{result.get('item')} - {result.get('msg', '?')}" for result in failed), 300)
    checks = [judged("release_images_pruned", not failed, f"{verb} {len(removed)} of {len(release)} release tags, {kept}",
                     f"keep newest {keep}" if int(keep) > 0 else "keep all", detail, otherwise="warned")]
    evidence = {"image_retention": {"keep": int(keep), "release_tags": len(release), "removed": removed,
                                    "spared": spared, "failed": [result.get("item") for result in failed]}}
    return checks, evidence


# The steps in the order roles/deploy runs them; each judges its own probe.
STEPS = (
    ("state", _state), ("plan", _plan), ("preview", _preview), ("rollback_point", _rollback_point),
    ("env_file", _env_file), ("build", _build), ("images", _images), ("stop", _stop), ("db", _db),
    ("migrate", _migrate), ("messaging", _messaging), ("mlflow", _mlflow), ("model", _model), ("app", _app),
    ("stack_up", _stack_up), ("logs", _logs), ("prune", _prune),
)


def judge(probes: dict, targets: dict) -> dict:
    """The deploy's checks and evidence, from the steps it reached."""
    checks: list = []
    evidence: dict = {}
    for step, judge_step in STEPS:
        if probes.get(step):
            step_checks, step_evidence = judge_step(probes, targets)
            checks += step_checks
            evidence.update(step_evidence)
    aborted = probes.get("aborted")
    if aborted and not any(item["status"] == "failed" for item in checks):
        checks.append(check("deploy_aborted", "failed", aborted.get("task"), "completes",
                            truncate(aborted.get("message", ""), 500)))
    return {"checks": checks, "evidence": evidence}
