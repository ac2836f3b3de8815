# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters the backup, functional, health and load_test roles call."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter.answered_prediction_ids import (
    answered_prediction_ids)
from ansible_collections.footballpred.rehearsal.plugins.filter.backup_manifest import backup_latest, backup_manifest
from ansible_collections.footballpred.rehearsal.plugins.filter.failed_checks import failed_checks
from ansible_collections.footballpred.rehearsal.plugins.filter.load_stats import (
    load_samples_added, load_scenario_problem, load_target_problem, round_wait_s)

JUDGE_FIXTURES = Path(__file__).parents[1] / "plugin_utils" / "judges" / "fixtures"


def test_failed_checks_says_each_failed_check_once():
    checks = [{"name": "a", "status": "passed", "value": 1, "target": 1, "detail": ""},
              {"name": "kafka topics", "status": "failed", "value": "1/2", "target": "all", "detail": "missing: x"},
              {"name": "latency", "status": "failed", "value": "3 ms", "target": "< 1 ms", "detail": ""}]
    assert failed_checks(checks) == ("kafka topics: 1/2 (target: all); missing: x. "
                                     "latency: 3 ms (target: < 1 ms).")
    assert failed_checks(checks[:1]) == ""
    with pytest.raises(AnsibleFilterError):
        failed_checks("not checks")


def test_the_backup_filters_wrap_the_judges_manifest():
    probes = json.loads((JUDGE_FIXTURES / "backup" / "backup.json").read_text())["probes"]
    manifest = backup_manifest(probes, {"status": "passed", "checks": []},
                               {"created_at": "now", "verify_restore": "true"})
    assert manifest["verification"] == {"status": "passed", "test_restore": True, "checks": {}}
    assert backup_latest(probes, manifest)["fingerprint_digest"] == manifest["fingerprint"]["digest"]
    with pytest.raises(AnsibleFilterError):
        backup_manifest(None, {}, {})


def test_answered_prediction_ids_are_the_single_and_the_batch_ones_that_answered():
    single = {"probes": [{"name": "single prediction", "ok": True, "json": {"prediction_id": 7}}]}
    more = {"probes": [{"name": "invalid team", "ok": True, "json": {"error": "x"}},
                       {"name": "batch prediction", "ok": True,
                        "json": {"predictions": [{"prediction_id": 8}, {"home_team": "no id"}, {"prediction_id": 9}]}}]}
    assert answered_prediction_ids(single, more) == [7, 8, 9]
    failed = copy.deepcopy(single)
    failed["probes"][0]["ok"] = False
    assert answered_prediction_ids(failed, {"probes": []}) == []


def test_a_sampling_round_keeps_only_what_answered():
    stats = {"rc": 0, "stdout": json.dumps({"Name": "app", "CPUPerc": "1.5%", "MemUsage": "10MiB / 1GiB",
                                            "MemPerc": "1%", "NetIO": "1kB / 2kB", "BlockIO": "0B / 0B",
                                            "PIDs": "3"})}
    db = {"is_available": True, "connections": {"total": 5, "error": ""}}
    redis = {"is_available": True, "memory": {"used_memory": 100}}
    samples = load_samples_added({"docker": [], "db": [], "redis": []}, 1, stats, db, redis, at="t1")
    assert samples["docker"][0][0]["name"] == "app" and samples["docker"][0][0]["cpu_pct"] == 1.5
    assert samples["db"] == [{"total": 5, "error": "", "at": "t1", "round": 1}]
    assert samples["redis"] == [{"used_memory": 100, "at": "t1", "round": 1}]
    down = load_samples_added(samples, "after", {"skipped": True}, {"is_available": False},
                              {"is_available": False}, at="t2")
    assert down == samples
    db_error = {"is_available": True, "connections": {"error": "permission denied"}}
    assert load_samples_added(samples, 2, {"rc": 1}, db_error, {}, at="t3")["db"] == samples["db"]


@pytest.mark.parametrize(("started", "now", "wait"), [(100.0, 100.5, 5), (100.0, 103.2, 2), (100.0, 104.5, 0),
                                                      (100.0, 110.0, 0)])
def test_a_round_waits_out_the_rest_of_its_interval(started, now, wait):
    assert round_wait_s(started, 5, now) == wait


@pytest.mark.parametrize(("url", "allowed", "refused"), [
    ("http://127.0.0.1:8001", False, False), ("https://localhost/", False, False), ("http://[::1]:8001", False, False),
    ("http://127.5.5.5", False, False), ("http://192.0.2.10:8001", False, True),
    ("http://192.0.2.10:8001", True, False),
    ("http://192.0.2.10:8001", "true", False), ("ftp://127.0.0.1", False, True), ("ftp://192.0.2.10", True, True),
    ("127.0.0.1:8001", False, True)])
def test_load_goes_to_loopback_addresses_only_unless_allowed(url, allowed, refused):
    problem = load_target_problem(url, allowed)
    assert bool(problem) is refused
    if refused:
        assert problem == (f"load_test_base_url {url} is not a loopback address; set "
                           "load_test_allow_non_loopback=true only for a host you own.")


STAGES = [{"duration_s": 10, "target_users": 5}, {"duration_s": 10, "target_users": 0}]


@pytest.mark.parametrize(("stages", "fixtures", "interval", "ok"), [
    (STAGES, [{"home_team": "A"}], 5, True), (STAGES, [{"home_team": "A"}], "5", True),
    ([{"duration_s": 10, "target_users": 5}], [{"home_team": "A"}], 5, False),
    ([{"duration_s": 10, "target_users": 0}], [{"home_team": "A"}], 5, False),
    ([{"duration_s": 0, "target_users": 5}, STAGES[1]], [{"home_team": "A"}], 5, False),
    (STAGES, [], 5, False), (STAGES, [{"home_team": "A"}], 0, False), ([], [{"home_team": "A"}], 5, False)])
def test_a_scenario_ramps_up_ends_at_zero_and_has_fixtures(stages, fixtures, interval, ok):
    assert (load_scenario_problem(stages, fixtures, interval) == "") is ok
