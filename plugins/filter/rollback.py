# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the rollback role: what its probes found, read from the modules' results.

They replace Jinja dict literals of roles/rollback/tasks (inspect_app.yml, find_backup.yml,
automatic.yml) and are unit-tested in tests/unit/plugins/filter/test_rollback.py. Each is a
pure function of registered results and role options.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import elapsed_seconds


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _env_entry(env, key: str) -> str | None:
    """The first ``KEY=value`` entry of ``env`` whose key is ``key`` (a regex, as the role's
    ``select('match', '^KEY=')`` read it), or None."""
    for entry in env or []:
        if re.match(f"^{key}=", str(entry)):
            return str(entry)
    return None


def rollback_app_container(info, config_key: str) -> dict:
    """The non-secret part of ``docker_container_info``'s ``container``: Id, Name, Image,
    Created, State {Status, Running, StartedAt, Health.Status}, Config {Image, Labels, Env with
    only the ``config_key`` entry}. ``{}`` when there is no container (the task was skipped)."""
    container = _mapping(_mapping(info).get("container"))
    if not container:
        return {}
    state = _mapping(container.get("State"))
    config = _mapping(container.get("Config"))
    return {
        "Id": container.get("Id"), "Name": container.get("Name"), "Image": container.get("Image"),
        "Created": container.get("Created"),
        "State": {"Status": state.get("Status"), "Running": state.get("Running"), "StartedAt": state.get("StartedAt"),
                  "Health": {"Status": _mapping(state.get("Health")).get("Status", "none")}},
        "Config": {"Image": config.get("Image"), "Labels": dict(config.get("Labels") or {}),
                   "Env": [str(entry) for entry in config.get("Env") or [] if re.match(f"^{config_key}=", str(entry))]},
    }


def rollback_container_summary(container, config_key: str, project: str) -> str:
    """One line about the app container for the play's output."""
    container = _mapping(container)
    if not container:
        return f"no app container in {project}"
    state, config = _mapping(container.get("State")), _mapping(container.get("Config"))
    return (f"{str(container.get('Name', '')).lstrip('/')}: {config.get('Image')} ({str(container.get('Image'))[7:19]}), "
            f"{state.get('Status')}, health {_mapping(state.get('Health')).get('Status')}, "
            + (", ".join(config.get("Env") or []) or f"{config_key} not set"))


def rollback_image_versions(results, version_label: str, version_env: str) -> dict:
    """``{tag or id: {exists, id, version, git_commit}}`` from the looped
    ``docker_image_info`` results (each ``item`` is the tag or id inspected). The version is
    the label ``version_label``, else the env variable ``version_env``."""
    versions = {}
    for result in _mapping(results).get("results", results if isinstance(results, list) else []):
        result = _mapping(result)
        images = result.get("images") or []
        image = _mapping(images[0]) if images else {}
        config = _mapping(image.get("Config"))
        env = config.get("Env") or []
        labelled = _mapping(config.get("Labels")).get(version_label) or ""
        from_env = (_env_entry(env, version_env) or "=").split("=", 1)[1]
        versions[result.get("item")] = {
            "exists": len(images) > 0, "id": image.get("Id", ""), "version": labelled or from_env,
            "git_commit": (_env_entry(env, "GIT_COMMIT") or "=").split("=", 1)[1],
        }
    return versions


def rollback_last_good(versions, point, app_image: str, previous_tag: str, last_good_tag: str) -> dict:
    """What the automatic rollback brings back: the image of the deploy's rollback point
    (under a tag that already names it, else ``last_good_tag``), or without a point the
    ``previous_tag`` image. ``{tag, id, version, source}``, plus ``problem`` (why there is
    nothing to roll back to, ``""`` when there is)."""
    versions, point = _mapping(versions), _mapping(point)
    point_id = point.get("image_id") or ""
    at_point = _mapping(versions.get(point_id))
    if at_point.get("exists"):
        known = [tag for tag, image in versions.items()
                 if not str(tag).startswith("sha256:") and _mapping(image).get("id") == at_point.get("id", "-")]
        good = {"tag": known[0] if known else last_good_tag, "id": at_point.get("id"), "version": at_point.get("version"),
                "source": "the image in service before the deploy"}
    else:
        previous = _mapping(versions.get(previous_tag))
        good = {"tag": previous_tag, "id": previous.get("id", ""), "version": previous.get("version"),
                "source": f"the {previous_tag} tag (this run recorded no rollback point)"}
    good["problem"] = "" if good["id"] else (
        "Nothing to roll back to: "
        + (f"the image in service before the deploy ({point_id[7:19]}) is gone and " if point_id else "")
        + f"there is no {app_image}:{previous_tag} image.")
    return good


def rollback_backups(dump_stats) -> list:
    """The backups, newest first, each ``{manifest_path, dump, manifest, verified}``, from the
    looped ``stat`` of the dumps, whose items are the ``slurp`` results of the manifests
    (tasks/find_backup.yml). ``verified``: the dump exists and its sha256 is the manifest's."""
    backups = []
    for result in _mapping(dump_stats).get("results", []):
        result = _mapping(result)
        read = _mapping(result.get("item"))
        try:
            manifest = json.loads(base64.b64decode(read.get("content", "")).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise AnsibleFilterError(f"rollback_backups: {read.get('source')} is not a JSON manifest: {exc}") from exc
        stat = _mapping(result.get("stat"))
        backups.append({
            "manifest_path": read.get("source"),
            "dump": _mapping(_mapping(result.get("invocation")).get("module_args")).get("path"),
            "manifest": manifest,
            "verified": bool(stat.get("exists")) and stat.get("checksum", "") == _mapping(manifest).get("sha256", "-"),
        })
    return backups


def rollback_env_value(content_b64, key: str) -> str:
    """The value of ``key`` in an env file read with ``slurp`` (the last ``KEY=`` line, '' when
    unset). Never logged: the file holds passwords."""
    text = base64.b64decode(content_b64 or "").decode("utf-8")
    values = [re.sub(r"^[^=]*=", "", line, count=1) for line in text.splitlines() if re.match(f"^{key}=", line)]
    return values[-1] if values else ""


def rollback_loop_failure(result, action: str) -> str:
    """Why a looped file task failed, naming the items and their messages (no content):
    ``""`` when no item failed."""
    failed = [_mapping(item) for item in _mapping(result).get("results", []) if _mapping(item).get("failed")]
    if not failed:
        return ""
    return (f"Could not {action} {', '.join(str(item.get('item')) for item in failed)}: "
            + "; ".join(str(item.get("msg") or "no message") for item in failed))


def rollback_healthy(health) -> bool:
    """/health answered 200 with status "healthy" (an ``ansible.builtin.uri`` result)."""
    health = _mapping(health)
    return health.get("status", -1) == 200 and str(_mapping(health.get("json")).get("status", "")) == "healthy"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def rollback_wait_over(health, waited_from, timeout_s, now=None) -> bool:
    """Whether the wait for /health ends: the app is healthy, or ``timeout_s`` has passed
    since ``waited_from`` (ISO time) at ``now`` (default: the time of the poll)."""
    return rollback_healthy(health) or elapsed_seconds(waited_from, now or _now()) > float(timeout_s)


def rollback_wait_noted(waits, name: str, waited_from, health, now=None) -> dict:
    """``waits`` with the wait ``name`` noted as ``{from, to (default: now), health}``
    (judged by judges/rollback_common.waited)."""
    return {**_mapping(waits), name: {"from": waited_from, "to": now or _now(), "health": health}}


def rollback_targets_up(answer) -> bool:
    """Prometheus answered its targets, and every active target is up."""
    active = _mapping(_mapping(_mapping(answer).get("json")).get("data")).get("activeTargets") or []
    return bool(active) and all(_mapping(item).get("health") == "up" for item in active)


def rollback_differs_from_backup(fingerprinted, backup) -> bool:
    """A ``db_check`` fingerprint (``fingerprinted``, its registered result) is not the one
    in ``backup``'s manifest. ``False`` without a backup: there is nothing to compare with."""
    backup = _mapping(backup)
    if not backup:
        return False
    digest = _mapping(_mapping(fingerprinted).get("fingerprint")).get("digest")
    return digest != _mapping(_mapping(backup.get("manifest")).get("fingerprint")).get("digest", "")


def rollback_same_files(stats, other_stats) -> bool:
    """Two looped ``stat`` results (with checksums, over the same files in the same order)
    show byte-identical files: every file exists in both with the same checksum."""
    def sums(result):
        return [_mapping(_mapping(item).get("stat")).get("checksum") for item in _mapping(result).get("results", [])]
    mine, theirs = sums(stats), sums(other_stats)
    return len(mine) == len(theirs) and all(a is not None and a == b for a, b in zip(mine, theirs))


def rollback_failed_step(failed_result, failed_task) -> dict:
    """``{task, msg}`` of the step that stopped a phase, from a rescue's
    ``ansible_failed_result`` and ``ansible_failed_task`` (the judges' ``failed_step``)."""
    task = _mapping(failed_task).get("name") or "unknown task"
    msg = _mapping(failed_result).get("msg", "")
    return {"task": str(task), "msg": "" if msg is None else str(msg)}


class FilterModule:
    """What the rollback role's probes found."""

    def filters(self):
        return {
            "rollback_app_container": rollback_app_container,
            "rollback_container_summary": rollback_container_summary,
            "rollback_image_versions": rollback_image_versions,
            "rollback_last_good": rollback_last_good,
            "rollback_backups": rollback_backups,
            "rollback_env_value": rollback_env_value,
            "rollback_loop_failure": rollback_loop_failure,
            "rollback_failed_step": rollback_failed_step,
            "rollback_differs_from_backup": rollback_differs_from_backup,
            "rollback_same_files": rollback_same_files,
            "rollback_wait_over": rollback_wait_over,
            "rollback_wait_noted": rollback_wait_noted,
            "rollback_targets_up": rollback_targets_up,
        }
