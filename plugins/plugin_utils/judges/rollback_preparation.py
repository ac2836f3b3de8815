# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback_preparation (roles/rollback/tasks/prepare_drills.yml): is there
something to roll back to, and what was the state before the drills.

``probes``: ``backups`` (tasks/find_backup.yml, newest first, each ``{manifest_path, dump,
manifest, verified}``), ``backup`` (the newest verified one, ``{}`` when none),
``image_versions`` (tasks/inspect_app.yml), ``running_tag``, ``health_before``
(ansible.builtin.uri of /health), ``db_before`` (db_check), ``ps_before``
(community.docker.docker_host_info), ``script_stat`` (ansible.builtin.stat), ``notice`` (the
rollback notice's path) and ``failed_step`` (``{task, msg}`` from the rescue, ``None``).
``targets`` (TARGET_VARIABLES): ``app_image``, ``previous_tag``, ``backup_dir``, ``script``,
``check_mode``.

With no backup or no previous image the role stops here: the judgement then ends with the
step check the stop used to record, and the drills do not run.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    as_bool, basename, dig, mapping, step_check, truncate)

STEP = "rollback preparation step"
STEP_TARGET = "backups, images and state found"

TARGET_VARIABLES = {
    "app_image": "rollback_app_image",
    "previous_tag": "rollback_previous_tag",
    "backup_dir": "rollback_backup_dir",
    "script": "rollback_script",
    "check_mode": "ansible_check_mode",
}


def _checks(probes: Mapping, targets: Mapping) -> list:
    backups = probes.get("backups") or []
    backup = mapping(probes.get("backup"))
    verified = [item for item in backups if mapping(item).get("verified")]
    previous_tag = targets.get("previous_tag")
    previous = mapping(mapping(probes.get("image_versions")).get(previous_tag))
    health = mapping(probes.get("health_before"))
    script = mapping(dig(probes.get("script_stat"), "stat", {}))
    notice = str(probes.get("notice") or "")
    check_mode = as_bool(targets.get("check_mode"))
    status = health.get("status", -1)
    return [
        judged("backup available", bool(backup), f"{len(verified)} of {len(backups)} backups verified",
               "at least one backup whose dump matches its manifest sha256",
               f"newest verified: {basename(backup.get('dump'))} ({dig(backup, 'manifest.created_at', '?')})"
               if backup else f"none in {targets.get('backup_dir')}"),
        judged("previous app image available", bool(previous.get("exists")),
               f"{targets.get('app_image')}:{previous_tag}"
               + (f" = version {previous.get('version')}" if previous.get("exists") else " missing"),
               "image present", str(previous.get("id", ""))[:19]),
        judged("state before the drills", status == 200,
               f"app {probes.get('running_tag')}, /health {status} version {dig(health, 'json.version', '?')}",
               "recorded",
               f"{len(dig(probes.get('ps_before'), 'containers', []))} containers, "
               f"PostgreSQL {dig(probes.get('db_before'), 'server_version.full', 'unavailable')}",
               otherwise="warned"),
        judged("rollback script present", bool(script.get("exists") and script.get("executable")),
               targets.get("script") if script.get("exists") else "missing",
               f"executable {targets.get('script')}", "the drills below are done by this role either way",
               otherwise="warned"),
        check("rollback notice", "skipped" if check_mode else "passed",
              ("would write " if check_mode else "") + basename(notice),
              "time, environment, reason, steps, expected impact",
              notice + (" (check mode: not written)" if check_mode else "")),
    ]


def _evidence(probes: Mapping) -> dict:
    backups = probes.get("backups") or []
    return {
        "notice": probes.get("notice"),
        "before": {"app_tag": probes.get("running_tag"),
                   "health": dig(probes.get("health_before"), "json", {}),
                   "db_version": dig(probes.get("db_before"), "server_version.full"),
                   "containers": [item["Names"][0] for item in dig(probes.get("ps_before"), "containers", [])]},
        "images": probes.get("image_versions") or {},
        "backups": {"count": len(backups), "verified": len([item for item in backups if mapping(item).get("verified")]),
                    "latest_verified": dig(probes.get("backup"), "dump")},
    }


def judge(probes: dict, targets: dict) -> dict:
    # A probe that failed stopped the preparation before anything was judged.
    if isinstance(probes.get("failed_step"), Mapping):
        return {"checks": step_check(STEP, probes["failed_step"], STEP_TARGET), "evidence": {}}
    checks = _checks(probes, targets)
    failed = [item["detail"] for item in checks if item["status"] == "failed"]
    if failed:
        checks.append(check(STEP, "failed", "Stop when there is nothing to roll back to", STEP_TARGET,
                            truncate("No rollback is possible: " + "; ".join(failed), 500)))
    return {"checks": checks, "evidence": _evidence(probes)}
