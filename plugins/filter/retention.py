# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_retention_plans, report_retention_plan: which rollback drill leftovers and which
old reports to remove (see plugin_utils/retention.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.retention import (
    RetentionError,
    report_retention_plan as _report_retention_plan,
    retention_plans,
)


def rollback_retention_plans(databases, docker, options):
    """Filter wrapper: both plans of the rollback role's retention (databases, backup tags),
    their input errors as filter errors."""
    try:
        return retention_plans(databases, docker, options)
    except (RetentionError, KeyError) as exc:
        raise AnsibleFilterError(f"rollback_retention_plans: {exc}") from exc


def report_retention_plan(names, keep, current=""):
    """Filter wrapper: the report files to remove (never history.jsonl), input errors as filter errors."""
    try:
        return _report_retention_plan(names, keep, current)
    except RetentionError as exc:
        raise AnsibleFilterError(f"report_retention_plan: {exc}") from exc


class FilterModule:
    """Retention of the rollback drills' leftovers and of old reports."""

    def filters(self):
        return {"rollback_retention_plans": rollback_retention_plans, "report_retention_plan": report_retention_plan}
