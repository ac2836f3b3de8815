# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What roles/preflight decides before it judges (plugin_utils/preflight_plan.py): the safety
guard (refuse before any change), the ports to check, the env file to read and the
containers' fields for the port check."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter import preflight_plan as filters
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import preflight_plan as plan

STAGING = {
    "host": "staging-1", "groups": ["staging"], "environment": "staging", "required_group": "staging",
    "required_environment": "staging", "api_port": 8001, "db_port": 5433, "redis_port": "6380",
    "db_name": "football_prediction_staging", "production_api_ports": [8000], "production_db_ports": [5432],
    "production_redis_ports": [6379], "db_name_marker": "staging", "production_hostnames": ["api.footballpred.com"],
    "names": ["staging-1", "", "127.0.0.1", "127.0.0.1", "127.0.0.1", ""],
    "api_base_url": "http://127.0.0.1:8001", "allow_production_like": False,
}
PRODUCTION_LIKE = {**STAGING, "api_port": "8000", "db_port": 5432, "redis_port": 6379, "db_name": "football_prediction",
                   "names": ["staging-1", "API.footballpred.com"], "api_base_url": "https://api.footballpred.com/v1"}


def test_staging_goes_on_silently():
    assert plan.guard(STAGING) == {"refusals": [], "production_like": [], "not_staging": "",
                                   "looks_like_production": "", "warning": ""}


def test_a_host_outside_staging_is_always_refused():
    decision = plan.guard({**STAGING, "groups": ["prod", "web"], "environment": "production",
                           "allow_production_like": True})
    assert decision["not_staging"] == (
        "REFUSED: the rehearsal only runs against staging, and nothing was changed. host staging-1 is not in the "
        'inventory group staging (its groups: prod, web); rehearsal_environment is "production", not "staging".')
    assert plan.guard({**STAGING, "groups": []})["refusals"] == [
        "host staging-1 is not in the inventory group staging (its groups: none)"]


def test_production_like_targets_are_refused_unless_allowed():
    decision = plan.guard(PRODUCTION_LIKE)
    reasons = ["API port 8000 is a production port", "database port 5432 is a production port",
               "Redis port 6379 is a production port",
               'database name football_prediction does not contain "staging"',
               "production host name in the targets: api.footballpred.com"]
    assert decision["production_like"] == reasons
    assert decision["not_staging"] == "" and decision["warning"] == ""
    assert decision["looks_like_production"] == (
        "REFUSED: the targets look like production, and nothing was changed: " + "; ".join(reasons)
        + ". If this really is a staging system, set preflight_allow_production_like=true.")
    allowed = filters.preflight_guard({**PRODUCTION_LIKE, "allow_production_like": "true"})
    assert allowed["looks_like_production"] == ""
    assert allowed["warning"] == "preflight_allow_production_like=true: going on although " + "; ".join(reasons) + "."


def test_the_guard_names_a_missing_fact():
    facts = dict(STAGING)
    del facts["db_name"]
    with pytest.raises(AnsibleFilterError, match="db_name"):
        filters.preflight_guard(facts)


def test_the_ports_are_the_inventory_s_unless_given():
    assert plan.port_list([], "8001", 5433, 6380, "127.0.0.1:9093, other:9094", "http://127.0.0.1:5001") == [
        {"name": "api", "port": 8001}, {"name": "db", "port": 5433}, {"name": "redis", "port": 6380},
        {"name": "kafka", "port": 9093}, {"name": "mlflow", "port": 5001}]
    assert plan.port_list([], 1, 2, 3, ["k:4", "k:5"], "http://m:6")[3] == {"name": "kafka", "port": 4}
    given = [{"name": "api", "port": 1}]
    assert plan.port_list(given, 1, 2, 3, "", "") == given
    with pytest.raises(AnsibleFilterError, match="Kafka"):
        filters.preflight_port_list([], 1, 2, 3, " , ", "http://m:6")


def test_the_container_columns_leave_the_environment_out():
    info = {"results": [
        {"container": {"Id": "c1", "Name": "/db", "State": {"Pid": 10}, "NetworkSettings": {"Ports": {}},
                       "Config": {"Env": ["PASSWORD=secret"]}}, "item": {"Id": "c1"}},
        {"container": None, "item": {"Id": "c2"}},
        {"skipped": True, "item": {"Id": "c3"}},
    ]}
    columns = plan.container_columns(info)
    assert columns == {"ids": ["c1"], "names": ["/db"], "pids": [10], "ports": [{}]}
    assert "secret" not in repr(columns)
    assert plan.container_columns({"skipped": True, "results": []})["ids"] == []


def test_the_inspect_failures_name_the_containers():
    info = {"results": [{"failed": True, "msg": "boom", "item": {"Names": ["/db"]}},
                        {"failed": True, "item": {"Names": ["/app"]}}, {"container": {}}]}
    assert plan.inspect_failures(info) == "/db, /app: boom; no message"


@pytest.mark.parametrize(("env", "template", "expected"), [
    (True, True, ".env.staging"), (False, True, ".env.staging.example"), (False, False, ""),
])
def test_the_env_file_to_read(env, template, expected):
    files = {"results": [{"item": ".env.staging", "stat": {"exists": env}},
                         {"item": ".env.staging.example", "stat": {"exists": template}}]}
    assert plan.env_source(files, ".env.staging", ".env.staging.example") == expected
    assert plan.env_source(files, ".env.staging", "") == (".env.staging" if env else "")


def test_the_env_file_must_have_been_looked_at():
    with pytest.raises(AnsibleFilterError, match="not looked at"):
        filters.preflight_env_source({"results": []}, ".env.staging")


def test_the_filters_are_registered():
    assert set(filters.FilterModule().filters()) == {
        "preflight_guard", "preflight_port_list", "preflight_container_columns", "preflight_env_source",
        "preflight_inspect_failures"}
