# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback, the automatic rollback (roles/rollback/tasks/automatic.yml):
the env file and the image in service before the deploy are back and healthy, and the
database equals the pre-deploy backup.

``probes``: ``env_copy`` (ansible.builtin.stat of
its env file copy, skipped without one), ``env_done`` (the last task of
tasks/restore_env.yml), ``last_good`` (``{tag, id, version, source}``), ``image_versions``,
``waits`` (``image``, and ``restore`` after a restore), ``auto_fp`` (db_check of the live
database, skipped without a backup), ``backup``, the restore's probes (see
rollback_common.restore_checks), ``phases`` (the results' phases when the rollback began) and
``failed_step``. ``targets`` (TARGET_VARIABLES): ``point`` (the deploy's rollback point,
option rollback_point; a probe ``point`` in older callers), ``reason``, ``failed_phase``,
``app_image``, ``env_file``, ``health_timeout_s``, ``db_name``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    basename, dig, finished, mapping, restore_checks, step_check, waited)

PREFIX = "automatic rollback"

TARGET_VARIABLES = {
    "point": "rollback_point",
    "reason": "rollback_reason",
    "failed_phase": "rollback_failed_phase",
    "app_image": "rollback_app_image",
    "env_file": "rollback_env_file",
    "health_timeout_s": "rollback_health_timeout_s",
    "db_name": "rehearsal_db_name",
}


def _env(probes: Mapping, targets: Mapping) -> dict:
    point = mapping(targets.get("point", probes.get("point")))
    copy = str(point.get("env_file_copy", ""))
    env_file = targets.get("env_file")
    copy_found = bool(dig(probes.get("env_copy"), "stat.exists", False))
    status = "not_run" if not point else "passed" if not copy or copy_found else "failed"
    value = {"not_run": "no rollback point", "failed": "copy missing",
             "passed": "restored" if copy else "unchanged by the deploy"}[status]
    detail = {"not_run": f"this run did not deploy: {env_file} left as it is",
              "failed": f"the deploy rewrote {env_file} but its copy {copy} is gone",
              "passed": f"put back from {basename(copy)}" if copy else f"the deploy did not rewrite {env_file}"}[status]
    return check(f"{PREFIX}: env file in service before the deploy", status, value,
                 f"{env_file} as before the deploy", detail)


def _image(wait: dict, last_good: Mapping, targets: Mapping) -> list:
    version_now = dig(wait["health"], "json.version", "unknown")
    return [
        judged(f"{PREFIX}: last good image healthy", wait["healthy"], f"{wait['after_s']} s",
               f"<= {targets.get('health_timeout_s')} s",
               f"{targets.get('app_image')}:{last_good.get('tag')} ({str(last_good.get('id'))[7:19]}, "
               f"{last_good.get('source')}), last /health status {wait['health'].get('status', -1)}"),
        judged(f"{PREFIX}: last good version runs", version_now == last_good.get("version"), f"version {version_now}",
               f"version {last_good.get('version')} recorded in the image",
               f"git commit {dig(wait['health'], 'json.git_commit', 'unknown')}"),
    ]


def _database(probes: Mapping) -> dict:
    backup = mapping(probes.get("backup"))
    auto_fp = mapping(probes.get("auto_fp"))
    want = dig(backup, "manifest.fingerprint.digest", "")
    live = dig(auto_fp, "fingerprint.digest")
    changed = live != want
    return check(f"{PREFIX}: database vs the pre-deploy backup", "not_run" if not backup else "passed",
                 (("changed: restoring " if changed else "unchanged: kept ") + basename(backup.get("dump", "")))
                 if backup else "no verified backup",
                 f"fingerprint {str(dig(backup, 'manifest.fingerprint.digest', 'none'))[:12]}",
                 f"live {str(dig(auto_fp, 'fingerprint.digest', 'unavailable'))[:12]}"
                 + (f" {auto_fp['error']}" if auto_fp.get("error") else ""))


def _failed_phase(probes: Mapping, targets: Mapping) -> str:
    if targets.get("failed_phase"):
        return targets["failed_phase"]
    failed = [name for name, phase in mapping(probes.get("phases")).items() if mapping(phase).get("status") == "failed"]
    return failed[-1] if failed else "unknown"


def judge(probes: dict, targets: dict) -> dict:
    checks = []
    evidence = {"automatic": True, "reason": targets.get("reason"), "failed_phase": _failed_phase(probes, targets)}
    if finished(probes.get("env_done")):
        checks.append(_env(probes, targets))
    wait = waited(probes.get("waits"), "image", targets.get("health_timeout_s"))
    if wait is not None:
        last_good = mapping(probes.get("last_good"))
        checks += _image(wait, last_good, targets)
        evidence["image"] = {"tag": last_good.get("tag"), "id": last_good.get("id"), "source": last_good.get("source"),
                             "time_to_healthy_s": wait["after_s"],
                             "version": dig(wait["health"], "json.version", "unknown"),
                             "images": probes.get("image_versions") or {}}
    if finished(probes.get("auto_fp")):
        checks.append(_database(probes))
        checks += restore_checks(PREFIX, probes, targets)
    checks += step_check(f"{PREFIX} step", probes.get("failed_step"), "every rollback step completes")
    return {"checks": checks, "evidence": evidence}
