# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a deploy changes, decided from what roles/deploy probed before changing anything.

Pure functions (module results in, plain data out), behind the filters of
plugins/filter/deploy_plan.py, unit-tested in tests/unit/plugins/plugin_utils/test_deploy_plan.py:

- ``stack_state``: the commit being deployed and the stack as ``docker compose ps`` lists it
  (record_state.yml);
- ``release_plan``: whether to build, what to tag ``staging-previous``, whether to stop the
  stack, and the list of actions check mode shows (plan.yml);
- ``prune_plan``: which release tags the image retention removes (prune.yml).

``options`` are the role's options without their ``deploy_`` prefix (roles/deploy/vars/main.yml
``_deploy_options``). The texts are the ones the role's Jinja wrote, word for word.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import as_int as _int

# The fields of `docker compose ps` kept as evidence of the stack before the deploy.
STACK_FIELDS = ("Service", "Name", "Image", "State", "Health", "Status")


class DeployPlanError(ValueError):
    """The probes do not have the shape the role registers."""


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def as_bool(value) -> bool:
    """Ansible's ``bool`` filter: "yes", "on", "1" and "true" (any case) are true."""
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "on", "1", "true", "y", "t")
    return bool(value)


def compose_ps_rows(stdout) -> list:
    """`docker compose ps --format json`: a JSON list (older Compose) or a JSON object a line."""
    text = str(stdout or "").strip()
    if not text:
        return []
    try:
        if text.startswith("["):
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as exc:
        raise DeployPlanError(f"docker compose ps did not print JSON: {exc}") from exc


def stack_state(compose_ps: Mapping, git: Mapping, git_status: Mapping, git_commit: str = "") -> dict:
    """The probe ``state``: ``git`` (the rev-parse result), ``commit`` (``deploy_git_commit``
    when set, else the short HEAD with ``-dirty`` for uncommitted changes, ``unknown`` outside
    a git checkout), ``stack`` (the ps rows' STACK_FIELDS, by service) and
    ``app_container_id`` (the app's container, "" when there is none)."""
    rows = compose_ps_rows(_mapping(compose_ps).get("stdout"))
    git = _mapping(git)
    if git_commit:
        commit = str(git_commit)
    elif git.get("rc") == 0:
        dirty = len(_mapping(git_status).get("stdout_lines") or []) > 0
        commit = str(git.get("stdout", "")) + ("-dirty" if dirty else "")
    else:
        commit = "unknown"
    app = next((row for row in rows if row.get("Service") == "app"), {})
    stack = sorted(({key: row[key] for key in STACK_FIELDS if key in row} for row in rows),
                   key=lambda row: str(row.get("Service", "")))
    return {"git": dict(git), "commit": commit, "stack": stack, "app_container_id": str(app.get("ID", ""))}


def images_by_tag(image_info: Mapping, app_image: str, tags) -> dict:
    """tag -> the docker_image_info image that carries ``<app_image>:<tag>`` ({} when none)."""
    images = _mapping(image_info).get("images") or []
    return {tag: next((image for image in images if f"{app_image}:{tag}" in (image.get("RepoTags") or [])), {})
            for tag in tags}


def source_digest(source_hash: str, build_args: Mapping) -> str:
    """The digest an image's source label carries: sha256 of the source hash followed by the
    build args as ``to_json(sort_keys=true)`` writes them."""
    return hashlib.sha256((source_hash + json.dumps(build_args, sort_keys=True)).encode("utf-8")).hexdigest()


def _version(version_file: Mapping, options: Mapping) -> str:
    if str(options.get("app_version") or ""):
        return str(options["app_version"])
    content = _mapping(version_file).get("content")
    if content is None:
        raise DeployPlanError("no deploy_app_version and no VERSION file read")
    return base64.b64decode(content).decode("utf-8").strip()


def release_plan(probes: Mapping, options: Mapping) -> dict:
    """The plan (plan.yml's evidence ``plan``) from the probes ``version_file`` (slurp of
    VERSION, skipped when ``app_version`` is set), ``source_hash`` (the shell hash of the
    source, skipped without a build), ``env_preview`` (the env file template in check mode),
    ``images`` (docker_image_info of the tags), ``app`` (docker_container_info of the app
    container, skipped when none) and ``commit``."""
    version = _version(probes.get("version_file"), options)
    build_args = {"APP_VERSION": version, "ENVIRONMENT": str(options["environment"]),
                  "GIT_COMMIT": str(probes["commit"])}
    may_build, forced = as_bool(options["build"]), as_bool(options["force_build"])
    # The script's stdout ends with a newline (and a carriage return through a tty).
    source_hash = str(_mapping(probes.get("source_hash")).get("stdout", "")).strip()
    digest = source_digest(source_hash, build_args) if may_build else ""
    app_tag, latest_tag = options["app_tag"], options["latest_tag"]
    images = images_by_tag(probes.get("images"), options["app_image"],
                           [app_tag, latest_tag, options["previous_tag"]])
    latest, target = images[latest_tag], images[app_tag]
    latest_digest = (_mapping(latest.get("Config")).get("Labels") or {}).get(options["source_label"], "")
    build = may_build and (forced or not latest or latest_digest != digest)
    runs_new_build = build and app_tag == latest_tag
    app = _mapping(_mapping(probes.get("app")).get("container"))
    running_image = str(app.get("Image", "")) if _mapping(app.get("State")).get("Running", False) else ""
    # The image in service is the one to come back to; without a running app, the current
    # staging-latest.
    previous_candidate = running_image or str(latest.get("Id", ""))
    image_changes = runs_new_build or str(target.get("Id", "")) != running_image
    env_changes = bool(_mapping(probes.get("env_preview")).get("changed", False))
    always = options["restart_policy"] == "always"
    stop = always or image_changes or env_changes
    actions = []
    if env_changes:
        actions.append(f"render {options['env_file']} (content changes)")
    if build:
        why = (" (forced)" if forced else f" (no {latest_tag} yet)" if not latest
               else " (source or build args changed)")
        actions.append(f"build {options['app_image']}:{options['tag_prefix']}<timestamp> version {version}"
                       f" commit {probes['commit']} and tag it {latest_tag}{why}")
        if previous_candidate:
            actions.append(f"tag the image in service ({previous_candidate[7:19]}) as {options['previous_tag']}")
    if stop:
        because = " because the policy is always" if always and not (image_changes or env_changes) else ""
        actions += [f"stop the stack (docker compose down --timeout {options['stop_timeout_s']}, volumes kept){because}",
                    f"start db, redis, kafka, mlflow, app ({options['app_image']}:{app_tag}) and the rest of the stack",
                    "run the migrations with the new image"]
    return {
        "version": version,
        "build_args": build_args,
        "digest": digest,
        "build": build,
        "runs_new_build": runs_new_build,
        "target_image_id": "" if runs_new_build else str(target.get("Id", "")),
        "running_image_id": running_image,
        "previous_candidate": previous_candidate,
        "env_changes": env_changes,
        "stop": stop,
        "actions": actions,
    }


def missing_image(plan: Mapping, options: Mapping) -> str:
    """Why the deploy is refused: the tag to run does not exist and is not built ("" when it is fine)."""
    if plan["runs_new_build"] or plan["target_image_id"]:
        return ""
    return (f"{options['app_image']}:{options['app_tag']} does not exist and this deploy does not build it "
            f"(deploy_build={options['build']}). Build it first or choose an existing tag.")


def prune_plan(host_info: Mapping, options: Mapping, protected_ids=()) -> dict:
    """The release tags (``<tag_prefix><YYYYmmdd-HHMMSS>``, newest first) of
    docker_host_info's images (filtered to the app image), the ones beyond the newest
    ``keep_releases`` (0: none) to ``remove``, and the ones ``spared``: their image is what
    the app tag, staging-latest or staging-previous name, one of ``protected_ids`` (the
    rollback point's, the running app's) or any container's."""
    host_info = _mapping(host_info)
    # tag -> image id; the tag is what follows the last colon (a registry may have a port).
    tag_ids = {}
    for image in host_info.get("images") or []:
        for ref in image.get("RepoTags") or []:
            tag_ids[re.sub(r"^.*:", "", ref)] = image.get("Id")
    pattern = re.compile("^" + re.escape(str(options["tag_prefix"])) + r"[0-9]{8}-[0-9]{6}$")
    # Newest first: the timestamp is fixed width, so text order is time order.
    release = sorted((tag for tag in tag_ids if pattern.match(tag)), reverse=True)
    keep = int(options["keep_releases"])
    old = release[keep:] if keep > 0 else []
    protected = {tag_ids.get(options[name], "") for name in ("app_tag", "latest_tag", "previous_tag")}
    protected |= {str(item) for item in protected_ids}
    protected |= {container.get("ImageID") for container in host_info.get("containers") or []}
    protected.discard("")
    protected.discard(None)
    protected_tags = {tag for tag, image_id in tag_ids.items() if image_id in protected}
    return {"release": release, "remove": [tag for tag in old if tag not in protected_tags],
            "spared": [tag for tag in old if tag in protected_tags]}


def migrations_changed(run: Mapping) -> bool:
    """Whether the migrations run changed the database: alembic ran an upgrade, or the seed
    (its last JSON line on stdout) added teams or matches."""
    run = _mapping(run)
    stdout, stderr = str(run.get("stdout") or ""), str(run.get("stderr") or "")
    if "Running upgrade" in stderr + stdout:
        return True
    summaries = [line for line in stdout.strip().splitlines() if re.match(r"^\{", line)]
    try:
        summary = json.loads(summaries[-1]) if summaries else {}
    except ValueError as exc:
        raise DeployPlanError(f"the seed's summary is not JSON: {exc}") from exc
    summary = _mapping(summary)
    return any(_int(summary.get(key)) > 0 for key in ("teams_added", "matches_added"))


def app_healthy(health: Mapping) -> bool:
    """The uri result of /health says healthy: HTTP 200 and ``status == "healthy"`` (JSON
    equality: "unhealthy" contains "healthy")."""
    health = _mapping(health)
    return health.get("status", -1) == 200 and _mapping(health.get("json")).get("status", "") == "healthy"


def check_mode_preview(plan: Mapping, compose_preview: Mapping) -> dict:
    """What check mode says the deploy would change: the plan's actions (``would``, or
    "nothing") and compose's (``compose_would``: ``<what> <id>`` of each action)."""
    actions = list(_mapping(compose_preview).get("actions") or [])
    return {"would": list(plan.get("actions") or []) or ["nothing"],
            "compose_would": [f"{action.get('what')} {action.get('id')}" for action in actions]}


def rollback_point(plan: Mapping, recorded_at: str) -> dict:
    """The rollback point the plan makes (deploy_rollback_point, read by the rollback role):
    the image in service (by id) and whether it ran; rollback_point.yml adds the copy of the
    env file."""
    return {"image_id": plan["previous_candidate"], "image_was_running": len(plan["running_image_id"]) > 0,
            "env_file_copy": "", "recorded_at": recorded_at}
