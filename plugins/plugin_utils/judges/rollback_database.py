# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge of phase rollback_database (roles/rollback/tasks/run_drill.yml, the database drill): a
marker the backup cannot hold is written, the backup restored and swapped in, and the marker is gone.

``probes``: ``started_at``, ``verified_at`` (noted at the end of the drill; ``None`` when it
stopped before), ``backup`` (``{dump, manifest}``), ``marker`` (its name),
``marker_insert`` and ``marker_left`` (community.postgresql.postgresql_query),
``marked_fp`` (db_check with the marker), the restore's ``replaced_db``, ``restore``
(db_restore, whose ``db`` is the restored database), ``restored_fp``, ``terminated``,
``live_fp``, ``waits`` (the wait ``restore``) and ``failed_step``. ``targets``: ``db_name``,
``health_timeout_s``, ``drop_replaced_db`` (TARGET_VARIABLES), and in check mode
rollback_common.CHECK_MODE_TARGETS.

Each check is judged once the task it was recorded after has run, in the drill's order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import elapsed_seconds, judged
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    CHECK_MODE_TARGETS, as_bool, check_mode_judgement, dig, finished, mapping, restore_checks, restored_db,
    step_check, waited)

PREFIX = "database drill"

TARGET_VARIABLES = {
    **CHECK_MODE_TARGETS,
    "health_timeout_s": "rollback_health_timeout_s",
    "db_name": "rehearsal_db_name",
    "drop_replaced_db": "rollback_drop_replaced_db",
}


def _marker_written(probes: Mapping) -> dict:
    fingerprint = mapping(dig(probes.get("marked_fp"), "fingerprint", {}))
    want = mapping(dig(probes.get("backup"), "manifest.fingerprint", {}))
    inserted = (dig(probes.get("marker_insert"), "query_result", []) or [{}])[0]
    return judged(f"{PREFIX}: marker written", fingerprint.get("digest") != want.get("digest"),
                  f"teams.id {mapping(inserted).get('id')} {json.dumps(probes.get('marker'))}",
                  "live fingerprint differs from the backup",
                  f"live {str(fingerprint.get('digest', 'none'))[:12]} ({fingerprint.get('total_rows', '?')} rows) "
                  f"vs backup {str(want.get('digest'))[:12]} ({want.get('total_rows')} rows)")


def _marker_gone(probes: Mapping, targets: Mapping) -> dict:
    markers = mapping((dig(probes.get("marker_left"), "query_result", []) or [{}])[0]).get("markers")
    dropped = as_bool(targets.get("drop_replaced_db"))
    return judged(f"{PREFIX}: marker gone", markers == 0, f"{markers} marker rows", "0 marker rows",
                  f"the replaced database {probes.get('replaced_db')}"
                  + (" was dropped" if dropped else " is kept until cleanup (rollback_drop_replaced_db)"))


def _evidence(probes: Mapping, targets: Mapping) -> dict:
    backup = mapping(probes.get("backup"))
    wait = waited(probes.get("waits"), "restore", targets.get("health_timeout_s")) or {"after_s": None}
    return {
        "started_at": probes.get("started_at"), "time_to_healthy_s": wait["after_s"],
        "time_to_verified_s": elapsed_seconds(probes["started_at"], probes["verified_at"]),
        "backup": backup.get("dump"), "backup_sha256": dig(backup, "manifest.sha256"),
        "restore_s": mapping(probes.get("restore")).get("duration_s"), "restored_db": restored_db(probes),
        "replaced_db": probes.get("replaced_db"), "replaced_db_dropped": as_bool(targets.get("drop_replaced_db")),
        "fingerprint": dig(probes.get("live_fp"), "fingerprint.digest"),
        "manifest_fingerprint": dig(backup, "manifest.fingerprint.digest"),
    }


def judge(probes: dict, targets: dict) -> dict:
    if as_bool(targets.get("check_mode")):
        return check_mode_judgement("database", probes, targets)
    checks, evidence = [], {}
    if finished(probes.get("marked_fp")):
        checks.append(_marker_written(probes))
        checks += restore_checks(PREFIX, probes, targets)
    if probes.get("verified_at"):
        checks.append(_marker_gone(probes, targets))
        evidence = _evidence(probes, targets)
    checks += step_check(f"{PREFIX} step", probes.get("failed_step"), "every drill step completes")
    return {"checks": checks, "evidence": evidence}
