# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback_container (roles/rollback/tasks/run_drill.yml, the container drill):
the running image kept under a backup tag, the app healthy on the previous image, reporting the
version recorded in it.

``probes``: ``started_at`` (the drill's start), ``verified_at`` (noted once the proof was
read; ``None`` when the drill stopped before), ``tagged`` (community.docker.docker_image_tag),
``waits`` (tasks/restart_app.yml, the wait ``switch``), ``app_container`` (the app container
after the switch, tasks/inspect_app.yml), ``previous`` (the previous image,
``{exists, id, version, git_commit}``), ``backup_tag`` (the tag given to the running image),
``version_before`` and ``failed_step``. ``targets``: ``app_image``, ``previous_tag``,
``health_timeout_s`` (TARGET_VARIABLES), and in check mode rollback_common.CHECK_MODE_TARGETS.

A drill whose app is not healthy or runs another version ends with a failed step check.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, elapsed_seconds, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    CHECK_MODE_TARGETS, as_bool, check_mode_judgement, dig, mapping, step_check, truncate, waited)

STEP = "container drill step"
STEP_TARGET = "every drill step completes"

TARGET_VARIABLES = {
    **CHECK_MODE_TARGETS,
    "app_image": "rollback_app_image",
    "previous_tag": "rollback_previous_tag",
    "health_timeout_s": "rollback_health_timeout_s",
}


def _backup_tag(probes: Mapping, targets: Mapping):
    """The tag the drill gave the running image (a probe; a target in older callers)."""
    return probes.get("backup_tag") or targets.get("backup_tag")


def _checks(probes: Mapping, targets: Mapping) -> list:
    wait = waited(probes.get("waits"), "switch", targets.get("health_timeout_s")) or {
        "healthy": False, "after_s": None, "health": {}}
    previous = mapping(probes.get("previous"))
    image = mapping(probes.get("app_container")).get("Image", "")
    version_now = dig(wait["health"], "json.version", "unknown")
    commit_now = str(dig(wait["health"], "json.git_commit", "unknown"))
    before = probes.get("version_before")
    image_ok = image == previous.get("id")
    same_version = previous.get("version") == before
    image_name = f"{targets.get('app_image')}:{targets.get('previous_tag')}"
    return [
        check("container drill: running image kept", "passed", f"{targets.get('app_image')}:{_backup_tag(probes, targets)}",
              "tagged before the switch",
              ", ".join(dig(probes.get("tagged"), "tagged_images", []) or []) or "tag already present"),
        judged("container drill: healthy on the previous image", wait["healthy"], f"{wait['after_s']} s",
               f"<= {targets.get('health_timeout_s')} s",
               f"from stopping the app to /health healthy (last status {wait['health'].get('status', -1)})"),
        check("container drill: previous version runs",
              "failed" if not (image_ok and version_now == previous.get("version"))
              else "warned" if same_version else "passed",
              f"version {version_now} (commit {commit_now[:12]})",
              f"version {previous.get('version')} recorded in {image_name}",
              f"was {before}; container image {str(mapping(probes.get('app_container')).get('Image', 'none'))[:19]}"
              + (" is" if image_ok else " is NOT") + " the previous image"
              + ("; previous and current report the same version, only the image id tells them apart"
                 if same_version else "")),
    ]


def judge(probes: dict, targets: dict) -> dict:
    if as_bool(targets.get("check_mode")):
        return check_mode_judgement("container", probes, targets)
    if not probes.get("verified_at"):
        return {"checks": step_check(STEP, probes.get("failed_step"), STEP_TARGET), "evidence": {}}
    checks = _checks(probes, targets)
    if "failed" in (checks[-2]["status"], checks[-1]["status"]):
        last = checks[-1]
        checks.append(check(STEP, "failed", "Stop when the previous version does not run", STEP_TARGET,
                            truncate(f"Container drill failed: {last['value']}, expected {last['target']} "
                                     f"({last['detail']})", 500)))
    wait = waited(probes.get("waits"), "switch", targets.get("health_timeout_s")) or {"after_s": None, "health": {}}
    evidence = {
        "started_at": probes.get("started_at"), "time_to_healthy_s": wait["after_s"],
        "time_to_verified_s": elapsed_seconds(probes["started_at"], probes["verified_at"]),
        "backup_tag": _backup_tag(probes, targets), "version_before": probes.get("version_before"),
        "version_after": dig(wait["health"], "json.version", "unknown"),
        "git_commit_after": dig(wait["health"], "json.git_commit", "unknown"),
        "image_after": mapping(probes.get("app_container")).get("Image"),
    }
    return {"checks": checks, "evidence": evidence}
