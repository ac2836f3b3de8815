# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback_retention (roles/rollback/tasks/run_retention.yml): what the
retention of the drills' leftovers removed (or, in check mode, would remove) and kept.

``probes``: ``plans`` (``{databases, backup_tags}``, each a plugin_utils/retention.py
``retention_plan``; ``{}`` when the retention stopped before deciding) and ``failed_step``
(``{task, msg}`` from the rescue, ``None``). ``targets``: ``keep_replaced_databases``,
``keep_backup_tags``, ``check_mode``.

A retention step that failed is a warning (the drills' verdict stands), and then the only
check, named with its cause.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, truncate
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import as_bool, mapping

TARGET_VARIABLES = {
    "keep_replaced_databases": "rollback_keep_replaced_databases",
    "keep_backup_tags": "rollback_keep_backup_tags",
    "check_mode": "ansible_check_mode",
}


def _plan_check(name: str, plan: Mapping, target: str, check_mode: bool, protected: bool = False) -> dict:
    verb = "would remove" if check_mode else "removed"
    remove, keep = list(plan.get("remove") or []), list(plan.get("keep") or [])
    value = f"{verb} {len(remove)}, kept {len(keep)}"
    if protected:
        value += f", protected {len(plan.get('protected') or [])}"
    detail = (f"{verb}: {', '.join(remove)}" if remove else "nothing to remove") + (
        "; check mode: nothing removed" if check_mode else "")
    return check(name, "skipped" if check_mode else "passed", value, target, detail)


def judge(probes: dict, targets: dict) -> dict:
    plans = mapping(probes.get("plans"))
    evidence = {"replaced_databases": dict(mapping(plans.get("databases"))),
                "backup_tags": dict(mapping(plans.get("backup_tags"))),
                "keep_replaced_databases": targets.get("keep_replaced_databases"),
                "keep_backup_tags": targets.get("keep_backup_tags")}
    failed = probes.get("failed_step")
    if isinstance(failed, Mapping):
        return {"checks": [check("retention step", "warned", failed.get("task", "unknown task"),
                                 "leftovers listed and the old ones removed", truncate(failed.get("msg", ""), 500))],
                "evidence": evidence}
    check_mode = as_bool(targets.get("check_mode"))
    return {"checks": [
        _plan_check("retention: replaced databases", evidence["replaced_databases"],
                    f"at most {targets.get('keep_replaced_databases')} kept, the live database never dropped", check_mode),
        _plan_check("retention: drill backup tags", evidence["backup_tags"],
                    f"at most {targets.get('keep_backup_tags')} kept, no image in use or rollback target removed",
                    check_mode, protected=True),
    ], "evidence": evidence}
