# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release comparison, on latency samples drawn from known distributions (seeded)."""

from __future__ import annotations

import random

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import release_comparison
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.release_comparison import (
    judge, percentile)


def latencies(seed: int, median_ms: float, count: int = 400) -> list:
    """Log-normal latencies around ``median_ms``, as web latencies are."""
    rng = random.Random(seed)
    return [round(median_ms * rng.lognormvariate(0, 0.35), 2) for _sample in range(count)]


def run(seed: int, median_ms: float, failures: int = 0, image: str = "sha256:a", version: str = "1.4.0") -> dict:
    return {"image_id": image, "version": version, "endpoints": {
        "GET /health": {"latencies_ms": latencies(seed, 3.0), "requests": 400, "failures": 0},
        "POST /api/v1/predictions": {"latencies_ms": latencies(seed + 1, median_ms), "requests": 400,
                                     "failures": failures}}}


def verdicts(judgement: dict) -> dict:
    return {item["name"]: item["status"] for item in judgement["checks"]}


def test_the_same_release_against_itself_passes():
    judgement = judge({"baseline": run(1, 40.0), "candidate": run(101, 40.0, image="sha256:a")}, {})
    assert set(verdicts(judgement).values()) == {"passed"}
    evidence = judgement["evidence"]["release_comparison"]
    assert evidence["method"] == "mann-whitney-u" and evidence["verdict"] == "pass"
    row = next(row for row in evidence["endpoints"] if row["endpoint"] == "POST /api/v1/predictions")
    assert row["baseline_samples"] == row["candidate_samples"] == 400
    assert row["p_value"] > 0.01 or abs(row["median_shift_pct"]) < 10


def test_a_release_twice_as_slow_fails_and_a_slightly_slower_one_is_marginal():
    slow = judge({"baseline": run(1, 40.0), "candidate": run(2, 80.0, image="sha256:b", version="1.5.0")}, {})
    assert verdicts(slow)["release comparison POST /api/v1/predictions"] == "failed"
    assert verdicts(slow)["release comparison GET /health"] == "passed"
    assert slow["evidence"]["release_comparison"]["verdict"] == "fail"
    assert slow["evidence"]["release_comparison"]["candidate"] == {"image_id": "sha256:b", "version": "1.5.0"}
    row = next(row for row in slow["evidence"]["release_comparison"]["endpoints"] if "predictions" in row["endpoint"])
    assert row["p_value"] < 1e-6 and row["median_shift_pct"] > 80

    marginal = judge({"baseline": run(1, 400.0), "candidate": run(2, 460.0)}, {})
    assert marginal["evidence"]["release_comparison"]["verdict"] == "marginal"
    assert verdicts(marginal)["release comparison verdict"] == "warned"


def test_a_slowdown_of_a_few_milliseconds_is_not_counted_however_significant():
    # 10 ms -> 20 ms: +100 % and certain, but what two runs in a row differ by on a busy host.
    small = {"baseline": run(1, 10.0), "candidate": run(2, 20.0)}
    judgement = judge(small, {})
    row = next(row for row in judgement["evidence"]["release_comparison"]["endpoints"] if "predictions" in row["endpoint"])
    assert row["p_value"] < 1e-6 and row["median_shift_pct"] > 80
    assert judgement["evidence"]["release_comparison"]["verdict"] == "pass"
    assert ">= 25 ms" in row["reason"]
    assert judge(small, {"min_shift_ms": 5})["evidence"]["release_comparison"]["verdict"] == "fail"


def test_more_errors_fail_even_at_the_same_speed():
    judgement = judge({"baseline": run(1, 40.0), "candidate": run(2, 40.0, failures=12)}, {})
    assert judgement["evidence"]["release_comparison"]["verdict"] == "fail"
    assert "error rate up 3.00 points" in judgement["checks"][1]["detail"]


def test_tolerances_come_from_the_targets():
    tolerances = {"fail_effect_pct": 200.0, "marginal_effect_pct": 150.0}
    lenient = judge({"baseline": run(1, 40.0), "candidate": run(2, 80.0)}, tolerances)
    assert lenient["evidence"]["release_comparison"]["verdict"] == "pass"


def test_what_was_not_measured_is_not_compared_never_passed(monkeypatch):
    few = run(1, 40.0)
    few["endpoints"] = {"GET /health": {"latencies_ms": [1.0, 2.0], "requests": 2, "failures": 0}}
    judgement = judge({"baseline": few, "candidate": few}, {})
    assert set(verdicts(judgement).values()) == {"skipped"}
    assert judge({"baseline": None, "candidate": run(1, 1.0)}, {})["evidence"] == {"release_comparison": None}
    monkeypatch.setattr(release_comparison, "mannwhitneyu", None)
    without_scipy = judge({"baseline": run(1, 40.0), "candidate": run(2, 80.0)}, {})
    assert [item["status"] for item in without_scipy["checks"]] == ["skipped"]
    assert "scipy" in without_scipy["checks"][0]["detail"]


PERCENTILES = [([], 0.5, None), ([5.0], 0.95, 5.0), ([1, 2, 3, 4], 0.5, 2.5), ([1, 2, 3, 4, 5], 0.95, 4.8)]


@pytest.mark.parametrize("values, fraction, expected", PERCENTILES)
def test_percentiles_interpolate_as_numpy_does(values, fraction, expected):
    assert percentile(values, fraction) == expected
