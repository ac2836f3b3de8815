# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The load test's parsers as filters (the pure code is plugin_utils/load_stats.py)."""

from __future__ import annotations

import functools
import time
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import load_stats
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.load_stats import LoadStatsError


def _filter(function):
    """``function`` with its input errors raised as filter errors."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except LoadStatsError as exc:
            raise AnsibleFilterError(str(exc)) from exc
    return wrapper


locust_summary = _filter(load_stats.locust_summary)
release_sample = _filter(load_stats.release_sample)
load_thresholds = _filter(load_stats.load_thresholds)
ab_summary = _filter(load_stats.ab_summary)
k6_summary = _filter(load_stats.k6_summary)
docker_stats = _filter(load_stats.docker_stats)
resource_summary = _filter(load_stats.resource_summary)
log_level_counts = _filter(load_stats.log_level_counts)
series_summary = _filter(load_stats.series_summary)
parse_size = load_stats.parse_size


def load_samples_added(samples, round_name, docker_stats_result, db_result, redis_result, at=None):
    """The samples with one round added (plugin_utils/load_stats.sampled); ``at`` defaults to now (UTC)."""
    at = at or datetime.now(timezone.utc).isoformat()
    return _filter(load_stats.sampled)(samples, round_name, docker_stats_result, db_result, redis_result, at)


def load_target_problem(base_url, allow_non_loopback=False):
    """Why load must not go to ``base_url``, "" when it may (plugin_utils/load_stats.target_problem)."""
    return load_stats.target_problem(base_url, boolean(allow_non_loopback or False, strict=False))


def load_scenario_problem(stages, fixtures, sample_interval_s):
    """Why the scenario cannot run, "" when it can (plugin_utils/load_stats.scenario_problem)."""
    return load_stats.scenario_problem(stages, fixtures, sample_interval_s)


def round_wait_s(started, interval_s, now=None):
    """Seconds left of a sampling round (plugin_utils/load_stats.round_wait_s); ``now`` defaults to now."""
    return load_stats.round_wait_s(started, interval_s, time.time() if now is None else now)


class FilterModule:
    """Parsers and threshold checks of the load test."""

    def filters(self):
        return {
            "locust_summary": locust_summary,
            "release_sample": release_sample,
            "k6_summary": k6_summary,
            "load_samples_added": load_samples_added,
            "round_wait_s": round_wait_s,
            "load_target_problem": load_target_problem,
            "load_scenario_problem": load_scenario_problem,
        }
