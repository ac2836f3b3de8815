# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


def test_live_registry_lists_the_staging_model(ansible_module, mlflow_target, stack):
    model = stack.mlflow_model
    args = dict(tracking_uri=mlflow_target, required_models=[model, model + "@staging"])
    checked = ansible_module("mlflow_check", args, check=True)
    real = ansible_module("mlflow_check", args)

    for run in (checked, real):
        result = run.result
        assert run.returncode == 0, run.output
        assert result["changed"] is False
        assert result["ok"] is True, result["error"]
        assert result["health"]["ok"] is True and result["health"]["status"] == 200
        assert result["server_version"]["major"] >= 2
        assert result["missing_models"] == []
        entry = next(item for item in result["registered_models"] if item["name"] == model)
        assert entry["aliases"]["staging"] in [version["version"] for version in entry["versions"]]


def test_missing_model_and_alias_are_listed(ansible_module, mlflow_target, stack):
    model = stack.mlflow_model
    result = ansible_module("mlflow_check", dict(tracking_uri=mlflow_target, required_models=[
        model, model + "@no-such-alias", "fp-it-no-such-model"])).result

    assert result["missing_models"] == [model + "@no-such-alias", "fp-it-no-such-model"]
    assert result["ok"] is False and result["is_available"] is True


def test_stopped_server_is_reported_not_failed(ansible_module, stopped_port):
    run = ansible_module("mlflow_check", dict(tracking_uri="http://127.0.0.1:%d" % stopped_port, timeout=3))

    assert run.returncode == 0 and run.failed is False
    assert run.result["is_available"] is False and run.result["ok"] is False
    assert "Connection refused" in run.result["error"]


def test_bad_tracking_uri_fails_the_task(ansible_module):
    run = ansible_module("mlflow_check", dict(tracking_uri="127.0.0.1:5001"))

    assert run.failed is True
    assert "tracking_uri must be an absolute http:// or https:// URL" in run.result["msg"]
