# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""record_phase fills a judge's targets from the role options its TARGET_VARIABLES names:
each name must be an option of the role (defaults or vars) or an inventory setting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import (
    backup, functional, health, load_test, load_test_check_mode)

ROOT = Path(__file__).resolve().parents[5]
INVENTORY = ROOT / "inventories" / "local" / "group_vars" / "all.yml"


def defined_names(role: str) -> set:
    names = set(yaml.safe_load(INVENTORY.read_text(encoding="utf-8")) or {})
    for part in ("defaults", "vars"):
        path = ROOT / "roles" / role / part / "main.yml"
        if path.is_file():
            names |= set(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return names


@pytest.mark.parametrize(("judge", "role"), [(backup, "backup"), (functional, "functional"), (health, "health"),
                                             (load_test, "load_test"), (load_test_check_mode, "load_test")])
def test_every_target_comes_from_an_option_of_the_role_or_the_inventory(judge, role):
    missing = sorted(set(judge.TARGET_VARIABLES.values()) - defined_names(role))
    assert not missing


def test_the_check_mode_judge_reads_the_tool_switches_as_ansible_booleans():
    targets = {"stages": [{"duration_s": 5, "target_users": 1}, {"duration_s": 5, "target_users": 0}],
               "thresholds": {"p95_ms": 1000, "failure_rate_pct": 5}, "base_url": "http://127.0.0.1:8001",
               "k6_enabled": "false", "ab_enabled": "yes", "ab_path": "/health"}
    detail = load_test_check_mode.judge({}, targets)["checks"][0]["detail"]
    assert "k6" not in detail and "ab on /health" in detail
