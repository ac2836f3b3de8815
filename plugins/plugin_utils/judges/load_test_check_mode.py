# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge ``load_test_check_mode``: what the load test would run, in check mode.

The scenario POSTs predictions, which the app stores, so check mode sends no load: the
one check is ``skipped`` and says what would run. No probes; targets: ``stages``,
``thresholds`` (``p95_ms``, ``failure_rate_pct``), ``base_url``, ``k6_enabled``,
``ab_enabled``, ``ab_path``, from the role options TARGET_VARIABLES names.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check

# Each target from the role option it comes from (record_phase fills those not passed).
TARGET_VARIABLES = {
    "stages": "load_test_stages",
    "thresholds": "_load_test_thresholds",
    "base_url": "load_test_base_url",
    "k6_enabled": "load_test_k6_enabled",
    "ab_enabled": "load_test_ab_enabled",
    "ab_path": "load_test_ab_path",
}


def judge(probes: dict, targets: dict) -> dict:  # pylint: disable=unused-argument
    """The skipped load test run, with the tools, stages and users it would run."""
    stages = targets.get("stages") or []
    thresholds = {key: float(value) for key, value in (targets.get("thresholds") or {}).items()}
    tools = ["Locust"]
    if boolean(targets.get("k6_enabled") or False, strict=False):
        tools.append("k6 (when on the host)")
    if boolean(targets.get("ab_enabled") or False, strict=False):
        tools.append(f"ab on {targets.get('ab_path')} (when on the host)")
    total_s = sum(int(stage["duration_s"]) for stage in stages)
    peak = max((int(stage["target_users"]) for stage in stages), default=0)
    detail = (f"would run {', '.join(tools)} against {targets.get('base_url')}: {len(stages)} stages, "
              f"{total_s} s, up to {peak} users; not sent in check mode, since every prediction it POSTs is stored")
    run = check("load test run", "skipped", "check mode",
                f"p95 < {thresholds.get('p95_ms')} ms, failed < {thresholds.get('failure_rate_pct')} %", detail)
    return {"checks": [run],
            "evidence": {"check_mode": True, "stages": stages, "base_url": targets.get("base_url")}}
