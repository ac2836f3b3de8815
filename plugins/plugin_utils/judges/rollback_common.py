# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the rollback judges share (not a judge itself: it has no ``judge``).

The rollback role's checks were Jinja expressions; these helpers read the registered results
the way those expressions did (``default`` replaces only what is missing, ``~`` is ``str``,
``truncate`` keeps a text within its leeway), so the checks keep their values and details.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, elapsed_seconds, human_readable, truncate


def mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def as_bool(value) -> bool:
    """A role option as Ansible's ``bool`` filter reads it (a target templated from a
    variable may be the string "false")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "yes", "on", "true", "y", "t")
    return bool(value)


def dig(value, path: str, default=None):
    """``value.a.b`` as Jinja reads it: ``default`` only where a key is missing."""
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def finished(result) -> bool:
    """The task ran to its end (registered, not failed; skipped counts as done)."""
    return isinstance(result, Mapping) and not result.get("failed")


def basename(path) -> str:
    return str(path).rsplit("/", 1)[-1]


def env_value(env, key: str) -> str:
    """The value of ``key`` in a container's ``KEY=value`` list, the first one ('' when unset)."""
    for entry in env or []:
        if re.match(f"^{key}=", str(entry)):
            return re.sub(r"^[^=]*=", "", str(entry), count=1)
    return ""


def waited(waits, name: str, timeout_s) -> dict | None:
    """The wait for /health noted as ``name`` (tasks/restart_app.yml): whether the app became
    healthy within the timeout (5 s of slack for the last poll) and after how long."""
    wait = mapping(waits).get(name)
    if not isinstance(wait, Mapping):
        return None
    health = mapping(wait.get("health"))
    after_s = elapsed_seconds(wait["from"], wait["to"])
    answered = health.get("status", -1) == 200 and str(dig(health, "json.status", "")) == "healthy"
    return {"healthy": answered and after_s <= float(timeout_s) + 5, "after_s": after_s, "health": health}


def step_check(name: str, failed_step, target: str) -> list:
    """The check for the step that stopped the phase (``failed_step``: ``{task, msg}``), if any."""
    if not isinstance(failed_step, Mapping):
        return []
    return [check(name, "failed", failed_step.get("task", "unknown task"), target,
                  truncate(failed_step.get("msg", ""), 500))]


def fingerprint_text(fingerprint: Mapping, missing="?") -> str:
    """``<tables> tables, <rows> rows, <digest[:12]>`` of a db_check fingerprint."""
    return (f"{fingerprint.get('table_count', missing)} tables, {fingerprint.get('total_rows', missing)} rows, "
            f"{str(fingerprint.get('digest', 'none'))[:12]}")


def restored_db(probes: Mapping):
    """The database the backup was restored into (db_restore's ``db``)."""
    return probes.get("restore_db") or mapping(probes.get("restore")).get("db")


def restore_checks(prefix: str, probes: Mapping, targets: Mapping) -> list:
    """The checks of tasks/restore_db.yml: the restore and its fingerprint once the restored
    database was fingerprinted, the swap once the live one was (the tasks stop in between when
    the restored data is not the backup's)."""
    restored_fp = probes.get("restored_fp")
    if not finished(restored_fp):
        return []
    backup = mapping(probes.get("backup"))
    want = mapping(dig(backup, "manifest.fingerprint", {}))
    restore = mapping(probes.get("restore"))
    fingerprint = mapping(restored_fp.get("fingerprint"))
    checks = [
        check(f"{prefix}: restore", "passed",
              f"{human_readable(restore.get('raw_bytes', 0))} SQL in {restore.get('duration_s', '?')} s",
              "sha256 verified, one transaction, ON_ERROR_STOP",
              f"{basename(backup.get('dump'))} into {restored_db(probes)} "
              f"({len(restore.get('tables', []))} tables, sha256 {str(restore.get('sha256'))[:12]})"),
        check(f"{prefix}: restored fingerprint",
              "passed" if fingerprint.get("digest") == want.get("digest") else "failed",
              fingerprint_text(fingerprint, 0),
              f"{want.get('table_count')} tables, {want.get('total_rows')} rows, {str(want.get('digest'))[:12]} (manifest)",
              restored_fp.get("error", "") or fingerprint.get("error", "")),
    ]
    live_fp = probes.get("live_fp")
    if not finished(live_fp):
        return checks
    wait = waited(probes.get("waits"), "restore", targets.get("health_timeout_s")) or {"healthy": False, "after_s": None}
    live = mapping(live_fp.get("fingerprint"))
    matches = live.get("digest") == want.get("digest")
    terminated = dig(probes.get("terminated"), "query_result", [{}])
    differing = [name for name, table in mapping(live.get("tables")).items()
                 if table not in mapping(want.get("tables")).values()]
    checks += [
        check(f"{prefix}: app healthy on the restored database", "passed" if wait["healthy"] else "failed",
              f"{wait['after_s']} s", f"<= {targets.get('health_timeout_s')} s",
              f"from stopping the app to /health healthy; {targets.get('db_name')} was renamed to "
              f"{probes.get('replaced_db')}, {mapping(terminated[0] if terminated else {}).get('terminated', 0)} "
              "sessions closed"),
        check(f"{prefix}: live fingerprint equals the backup", "passed" if matches else "failed",
              fingerprint_text(live, 0),
              f"{str(want.get('digest'))[:12]} (manifest of {dig(backup, 'manifest.file')})",
              live_fp.get("error", "") or live.get("error", "")
              or ("" if matches else "tables that differ: " + ", ".join(differing))),
    ]
    return checks


# --------------------------------------------------------------------------- check mode
# Every drill changes the stack, so under --check none runs: each drill's judge records it
# as skipped, saying what it would do against what the preparation's read-only probes found
# (probes ``running_tag``, ``backup``, ``previous`` (the previous image's version),
# ``preparation_failure``).
CHECK_MODE_TARGETS = {
    "check_mode": "ansible_check_mode",
    "app_image": "rollback_app_image",
    "current_tag": "rollback_current_tag",
    "previous_tag": "rollback_previous_tag",
    "backup_tag_prefix": "rollback_backup_tag_prefix",
    "db_name": "rehearsal_db_name",
    "config_files": "rollback_config_files",
    "config_key": "rollback_config_key",
    "config_values": "rollback_config_values",
}


def would(drill: str, probes: Mapping, targets: Mapping) -> str:
    """What drill ``drill`` would do ('' for a drill this judge does not know)."""
    image, previous_tag, db_name = targets.get("app_image"), targets.get("previous_tag"), targets.get("db_name")
    if drill == "container":
        previous = mapping(probes.get("previous"))
        return (f"tag the running image {image}:{probes.get('running_tag') or targets.get('current_tag')} "
                f"as {targets.get('backup_tag_prefix')}<time>, stop the app, start {image}:{previous_tag} "
                f"(version {previous.get('version') or '?'}) and wait for /health to report it")
    if drill == "database":
        backup = basename(mapping(probes.get("backup")).get("dump") or "") or "the newest verified backup"
        return (f"write a marker row, restore {backup} into {db_name}_restore_<time>, swap it in "
                f"(the live database renamed {db_name}_replaced_<time>) and prove the marker is gone")
    if drill == "config":
        values = list(targets.get("config_values") or [""])
        return (f"copy {', '.join(targets.get('config_files') or [])} aside, set {targets.get('config_key')}="
                f"{values[-1]} and apply it, roll back and prove the files byte-identical")
    return ""


def check_mode_judgement(drill: str, probes: Mapping, targets: Mapping) -> dict:
    """Drill ``drill`` recorded as skipped (check mode), with what it would do."""
    text = would(drill, probes, targets)
    detail = ("not run: the preparation failed; " if probes.get("preparation_failure") else "") + "would " + (
        text or f"run drill {drill}")
    return {"checks": [check(f"{drill} drill", "skipped", "check mode", "drill done for real and proven", detail)],
            "evidence": {"check_mode": True, "would": text}}
