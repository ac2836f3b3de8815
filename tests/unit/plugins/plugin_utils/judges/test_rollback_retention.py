# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge of phase rollback_retention, from the plans the retention decided on
(fixtures/rollback/retention_plans.json, as plugin_utils/retention.py returns them)."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import phase_status
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_retention import (
    TARGET_VARIABLES, judge)

PLANS = json.loads((Path(__file__).parent / "fixtures" / "rollback" / "retention_plans.json").read_text("utf-8"))
TARGETS = {"keep_replaced_databases": 2, "keep_backup_tags": 3, "check_mode": False}
DATABASES, TAGS = "retention: replaced databases", "retention: drill backup tags"


def by_name(judgement: dict) -> dict:
    return {item["name"]: item for item in judgement["checks"]}


def test_a_real_run_says_what_it_removed_and_kept():
    judgement = judge({"plans": PLANS, "failed_step": None}, TARGETS)
    checks = by_name(judgement)
    assert list(checks) == [DATABASES, TAGS]
    assert phase_status(judgement["checks"]) == "passed"
    assert checks[DATABASES]["value"] == "removed 2, kept 2"
    assert checks[DATABASES]["target"] == "at most 2 kept, the live database never dropped"
    assert checks[DATABASES]["detail"] == ("removed: football_prediction_staging_replaced_20261129_000000, "
                                           "football_prediction_staging_replaced_20261130_235959")
    assert checks[TAGS]["value"] == "removed 1, kept 3, protected 1"
    assert checks[TAGS]["target"] == "at most 3 kept, no image in use or rollback target removed"
    assert checks[TAGS]["detail"] == "removed: staging-backup-20261130-101500"


def test_check_mode_says_what_would_go_and_removes_nothing():
    judgement = judge({"plans": PLANS, "failed_step": None}, {**TARGETS, "check_mode": True})
    checks = by_name(judgement)
    assert [item["status"] for item in judgement["checks"]] == ["skipped", "skipped"]
    assert checks[DATABASES]["value"] == "would remove 2, kept 2"
    assert checks[TAGS]["value"] == "would remove 1, kept 3, protected 1"
    assert checks[TAGS]["detail"] == "would remove: staging-backup-20261130-101500; check mode: nothing removed"


def test_check_mode_from_a_templated_variable_is_read_as_a_bool():
    judgement = judge({"plans": PLANS}, {**TARGETS, "check_mode": "false"})
    assert by_name(judgement)[DATABASES]["status"] == "passed"


def test_nothing_to_remove_is_said_so():
    empty = {"remove": [], "keep": [], "protected": [], "ignored": [], "reasons": {}}
    judgement = judge({"plans": {"databases": empty, "backup_tags": empty}}, TARGETS)
    checks = by_name(judgement)
    assert checks[DATABASES]["value"] == "removed 0, kept 0"
    assert checks[DATABASES]["detail"] == "nothing to remove"
    assert checks[TAGS]["value"] == "removed 0, kept 0, protected 0"


def test_a_failed_step_is_a_warning_named_with_its_cause():
    failed = {"task": "Drop the replaced databases older than the newest kept", "msg": "x" * 600}
    judgement = judge({"plans": PLANS, "failed_step": failed}, TARGETS)
    (only,) = judgement["checks"]
    assert only["name"] == "retention step" and only["status"] == "warned"
    assert only["value"] == failed["task"]
    assert only["target"] == "leftovers listed and the old ones removed"
    assert only["detail"].endswith("...") and len(only["detail"]) == 500
    assert phase_status(judgement["checks"]) == "warned"


def test_the_evidence_has_both_plans_and_the_limits():
    evidence = judge({"plans": PLANS}, TARGETS)["evidence"]
    assert evidence == {"replaced_databases": PLANS["databases"], "backup_tags": PLANS["backup_tags"],
                        "keep_replaced_databases": 2, "keep_backup_tags": 3}
    assert judge({"plans": {}, "failed_step": {"task": "List the databases (read-only)", "msg": "refused"}},
                 TARGETS)["evidence"]["replaced_databases"] == {}


def test_targets_come_from_the_role_options():
    assert TARGET_VARIABLES == {"keep_replaced_databases": "rollback_keep_replaced_databases",
                                "keep_backup_tags": "rollback_keep_backup_tags", "check_mode": "ansible_check_mode"}
