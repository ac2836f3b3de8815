# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The prober's samples and the error windows they make (the prober itself runs in
tests/integration/modules/test_availability_probe.py)."""

from __future__ import annotations

from ansible_collections.footballpred.rehearsal.plugins.module_utils.availability import (
    error_windows, parse_samples, summarise)

# endpoint 0: down from 10.2 to 10.6 (served again at 10.6); endpoint 1: fails at 10.3 only.
SAMPLES_TEXT = """\
10.000 0 1 200 3.0
10.000 1 1 200 4.0
10.100 0 1 200 3.0
10.200 0 0 503 2.0
10.300 1 0 - 1000.0
10.300 0 0 - 0.5
10.400 1 1 200 5.0
10.600 0 1 200 9.0
10.700 0 0 - 0.4
10.7
"""


def test_samples_are_parsed_in_time_order_and_a_torn_line_is_ignored():
    samples = parse_samples("10.300 1 0 - 1000.0\n10.000 0 1 200 3.0\nnot a sample at all\n10.5 0 1")
    assert samples == [{"t": 10.0, "endpoint": 0, "ok": True, "status": 200, "ms": 3.0},
                       {"t": 10.3, "endpoint": 1, "ok": False, "status": None, "ms": 1000.0}]


def test_a_window_lasts_from_the_first_failure_to_the_next_success_of_that_endpoint():
    windows = error_windows(parse_samples(SAMPLES_TEXT))
    assert [(w["endpoint"], w["start"], w["end"], w["recovered"]) for w in windows] == [
        (0, 10.2, 10.6, True), (0, 10.7, 10.7, False), (1, 10.3, 10.4, True)]


def test_a_summary_counts_requests_and_failures_and_takes_the_longest_window():
    summary = summarise(parse_samples(SAMPLES_TEXT))
    assert summary == {"probes": 9, "failed_requests": 4, "longest_window_s": 0.4, "first_failure": 10.2,
                       "last_failure": 10.7, "recovered": False}


def test_an_event_is_summarised_from_its_own_span_only():
    samples = parse_samples(SAMPLES_TEXT)
    assert summarise(samples, 10.0, 10.1) == {"probes": 3, "failed_requests": 0, "longest_window_s": 0.0,
                                              "first_failure": None, "last_failure": None, "recovered": True}
    during = summarise(samples, 10.25, 10.65)
    assert during["failed_requests"] == 2 and during["longest_window_s"] == 0.3  # 10.3 -> 10.6 on endpoint 0
    assert summarise([], 1, 2)["probes"] == 0
