# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback_config (roles/rollback/tasks/run_drill.yml, the config drill): the
changed setting ran in the app, the files were rolled back byte-identical, and the app runs the
original setting again.

``probes``: ``started_at``, ``verified_at`` (noted after the rollback; ``None`` when the
drill stopped before), ``original`` and ``after`` (ansible.builtin.stat of each config file,
looped: ``results``), ``before`` and ``changed_to`` (the setting's value and the value the
drill set), ``applied_env`` and ``app_container`` (the setting in the app after the change,
and the app after the rollback, tasks/inspect_app.yml), ``waits`` (``change`` and
``rollback``), ``copies_dir``, ``running_tag`` and ``failed_step``. No probe holds the env
file's content. ``targets``: ``config_files``, ``config_key``, ``app_image``,
``health_timeout_s`` (TARGET_VARIABLES), and in check mode rollback_common.CHECK_MODE_TARGETS.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import elapsed_seconds, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    CHECK_MODE_TARGETS, as_bool, check_mode_judgement, dig, env_value, step_check, truncate, waited)

NO_WAIT = {"healthy": False, "after_s": None}

TARGET_VARIABLES = {
    **CHECK_MODE_TARGETS,
    "app_image": "rollback_app_image",
    "health_timeout_s": "rollback_health_timeout_s",
    "config_files": "rollback_config_files",
    "config_key": "rollback_config_key",
}


def _stats(result, field: str, missing) -> list:
    return [dig(item, f"stat.{field}", missing) for item in dig(result, "results", []) or []]


def _checks(probes: Mapping, targets: Mapping) -> list:
    key = targets.get("config_key")
    timeout = targets.get("health_timeout_s")
    files = list(targets.get("config_files") or [])
    change = waited(probes.get("waits"), "change", timeout) or NO_WAIT
    rollback = waited(probes.get("waits"), "rollback", timeout) or NO_WAIT
    applied = env_value(probes.get("applied_env"), key)
    running = env_value(dig(probes.get("app_container"), "Config.Env", []), key)
    before, changed_to = probes.get("before"), probes.get("changed_to")
    sums_before = _stats(probes.get("original"), "checksum", None)
    sums_after = _stats(probes.get("after"), "checksum", "")
    sizes_before = _stats(probes.get("original"), "size", None)
    sizes_after = _stats(probes.get("after"), "size", -1)
    identical = sums_before == sums_after
    return [
        judged("config drill: change applied", change["healthy"] and applied == changed_to,
               f"{key}={applied} in the app, healthy after {change['after_s']} s",
               f"{key}={changed_to} (was {before})", "env file edited, app recreated"),
        judged("config drill: files byte-identical after rollback", identical and sizes_before == sizes_after,
               ", ".join(truncate(item, 15, True, "") for item in sums_after),
               ", ".join(truncate(item, 15, True, "") for item in sums_before) + " (sha256 before)",
               " B, ".join(f"{name}: {size}" for name, size in zip(files, sizes_after)) + " B; "
               + ("copies deleted" if identical else f"copies kept in {probes.get('copies_dir')}")),
        judged("config drill: app healthy on the rolled-back config", rollback["healthy"] and running == before,
               f"{key}={running}, healthy after {rollback['after_s']} s", f"{key}={before}, <= {timeout} s",
               f"app recreated from {targets.get('app_image')}:{probes.get('running_tag')}"),
    ]


def judge(probes: dict, targets: dict) -> dict:
    if as_bool(targets.get("check_mode")):
        return check_mode_judgement("config", probes, targets)
    checks, evidence = [], {}
    if probes.get("verified_at"):
        checks = _checks(probes, targets)
        files = list(targets.get("config_files") or [])
        timeout = targets.get("health_timeout_s")
        evidence = {
            "started_at": probes.get("started_at"),
            "time_to_healthy_s": (waited(probes.get("waits"), "rollback", timeout) or NO_WAIT)["after_s"],
            "change_time_to_healthy_s": (waited(probes.get("waits"), "change", timeout) or NO_WAIT)["after_s"],
            "time_to_verified_s": elapsed_seconds(probes["started_at"], probes["verified_at"]),
            "files": dict(zip(files, _stats(probes.get("after"), "checksum", ""))),
            "sha256_before": dict(zip(files, _stats(probes.get("original"), "checksum", None))),
            "change": f"{targets.get('config_key')}: {probes.get('before')} -> {probes.get('changed_to')}",
        }
    checks += step_check("config drill step", probes.get("failed_step"), "every drill step completes")
    return {"checks": checks, "evidence": evidence}
