# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is the candidate release worse than the baseline it replaces, under the same load?

As Kayenta judges a canary: per endpoint, a one-sided Mann-Whitney U test (scipy) asks
whether the candidate's latencies are stochastically greater than the baseline's, and the
relative shift of the median says by how much; the error rates are compared apart. A metric
fails only when the difference is both significant (p < ``p_value``) and large enough to
matter (``fail_effect_pct``): with thousands of samples even a 1 % slowdown is significant.

probes: ``baseline`` and ``candidate``, each ``{image_id, version, endpoints: {name:
        {latencies_ms: [...], requests, failures}}}`` - the same load profile run against
        the release in service before the deploy and against the deployed one (the
        release_sample filter); ``baseline_problem``: why there is no baseline, if so.
targets: ``p_value`` (0.01), ``fail_effect_pct`` (20: the median slower by 20 % fails),
         ``marginal_effect_pct`` (10), ``min_shift_ms`` (25: nor by less than 25 ms - on a
         busy host two runs of a 10 ms endpoint differ by more than 20 %),
         ``fail_error_rate_increase_pct`` (1.0 percentage
         point), ``marginal_error_rate_increase_pct`` (0.5), ``min_samples`` (20).
Checks: one per endpoint and one verdict, "release comparison ...". Evidence:
``release_comparison`` as the report JSON carries it.
"""

from __future__ import annotations

try:
    from scipy.stats import mannwhitneyu
except ImportError:  # judged as "not compared", never as passed
    mannwhitneyu = None

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check

METHOD = "mann-whitney-u"
DEFAULT_TARGETS = {"p_value": 0.01, "fail_effect_pct": 20.0, "marginal_effect_pct": 10.0,
                   "min_shift_ms": 25.0, "fail_error_rate_increase_pct": 1.0,
                   "marginal_error_rate_increase_pct": 0.5, "min_samples": 20}
TARGET_VARIABLES = {key: f"load_test_compare_{key}" for key in DEFAULT_TARGETS}
VERDICT_ORDER = ("fail", "marginal", "pass")
CHECK_STATUS = {"pass": "passed", "marginal": "warned", "fail": "failed"}


def percentile(values: list, fraction: float) -> float | None:
    """The ``fraction`` percentile by linear interpolation (numpy's default), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 3)


def error_rate_pct(endpoint: dict) -> float:
    requests = endpoint.get("requests") or 0
    return round(100.0 * (endpoint.get("failures") or 0) / requests, 3) if requests else 0.0


def compare_endpoint(name: str, baseline: dict, candidate: dict, targets: dict) -> dict:
    """The comparison of one endpoint: sample counts, p50/p95 of both, p-value, effect, verdict."""
    base, cand = list(baseline.get("latencies_ms") or []), list(candidate.get("latencies_ms") or [])
    row = {"endpoint": name, "baseline_samples": len(base), "candidate_samples": len(cand),
           "baseline_p50_ms": percentile(base, 0.5), "candidate_p50_ms": percentile(cand, 0.5),
           "baseline_p95_ms": percentile(base, 0.95), "candidate_p95_ms": percentile(cand, 0.95),
           "baseline_error_rate_pct": error_rate_pct(baseline), "candidate_error_rate_pct": error_rate_pct(candidate),
           "p_value": None, "median_shift_pct": None, "verdict": None, "reason": ""}
    if min(len(base), len(cand)) < targets["min_samples"]:
        row["reason"] = f"too few samples to compare (at least {targets['min_samples']} of each)"
        return row
    row["p_value"] = float(mannwhitneyu(cand, base, alternative="greater").pvalue)
    base_p50 = row["baseline_p50_ms"] or 0.0
    row["median_shift_pct"] = round(100.0 * (row["candidate_p50_ms"] - base_p50) / base_p50, 2) if base_p50 else 0.0
    error_increase = row["candidate_error_rate_pct"] - row["baseline_error_rate_pct"]
    # Significant, and large enough to matter both relatively and in absolute terms: two
    # runs one after the other on a busy host differ by tens of percent on a 10 ms endpoint.
    significant = (row["p_value"] < targets["p_value"]
                   and row["candidate_p50_ms"] - base_p50 >= float(targets["min_shift_ms"]))
    shift = row["median_shift_pct"]
    if error_increase > targets["fail_error_rate_increase_pct"]:
        row["verdict"], row["reason"] = "fail", f"error rate up {error_increase:.2f} points"
    elif significant and shift >= targets["fail_effect_pct"]:
        row["verdict"], row["reason"] = "fail", f"median {shift:+.1f} % (p = {row['p_value']:.2g})"
    elif error_increase > targets["marginal_error_rate_increase_pct"]:
        row["verdict"], row["reason"] = "marginal", f"error rate up {error_increase:.2f} points"
    elif significant and shift >= targets["marginal_effect_pct"]:
        row["verdict"], row["reason"] = "marginal", f"median {shift:+.1f} % (p = {row['p_value']:.2g})"
    else:
        row["verdict"] = "pass"
        row["reason"] = (f"median {shift:+.1f} %, p = {row['p_value']:.2g}: no slowdown that is both "
                         f"significant and >= {targets['marginal_effect_pct']:g} % and "
                         f">= {float(targets['min_shift_ms']):g} ms")
    return row


def release(probe: dict) -> dict:
    return {"image_id": probe.get("image_id"), "version": probe.get("version")}


def judge(probes: dict, targets: dict) -> dict:
    limits = {**DEFAULT_TARGETS, **{key: value for key, value in (targets or {}).items() if value is not None}}
    baseline, candidate = probes.get("baseline"), probes.get("candidate")
    if mannwhitneyu is None or not baseline or not candidate:
        why = ("scipy is not installed on the controller" if mannwhitneyu is None
               else probes.get("baseline_problem") or "the baseline was not measured" if not baseline
               else "the candidate's response times were not recorded")
        return {"checks": [check("release comparison", "skipped", None, None, f"not compared: {why}")],
                "evidence": {"release_comparison": None}}
    names = sorted(set(baseline.get("endpoints") or {}) & set(candidate.get("endpoints") or {}))
    rows = [compare_endpoint(name, baseline["endpoints"][name], candidate["endpoints"][name], limits)
            for name in names]
    verdicts = [row["verdict"] for row in rows if row["verdict"]]
    verdict = next((item for item in VERDICT_ORDER if item in verdicts), None)
    checks = [check(f"release comparison {row['endpoint']}",
                    CHECK_STATUS[row["verdict"]] if row["verdict"] else "skipped",
                    row["median_shift_pct"], f"< {limits['marginal_effect_pct']:g} % slower", row["reason"])
              for row in rows]
    checks.append(check("release comparison verdict", CHECK_STATUS[verdict] if verdict else "skipped", verdict,
                        "pass", "" if verdict else "no endpoint had enough samples in both runs"))
    return {"checks": checks,
            "evidence": {"release_comparison": {"baseline": release(baseline), "candidate": release(candidate),
                                                "method": METHOD, "targets": limits, "endpoints": rows,
                                                "verdict": verdict}}}
