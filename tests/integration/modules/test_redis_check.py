# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import uuid

import pytest

redis = pytest.importorskip("redis")


def connection_args(target, **extra):
    return dict(dict(login_host=target["host"], login_port=target["port"], db=target["db"]), **extra)


def probe_keys(target) -> list:
    client = redis.Redis(host=target["host"], port=target["port"], db=target["db"], password=target["password"])
    try:
        return client.keys("fp_rehearsal_probe_*")
    finally:
        client.close()


def test_live_redis_answers(ansible_module, redis_target):
    checked = ansible_module("redis_check", connection_args(redis_target), check=True)
    real = ansible_module("redis_check", connection_args(redis_target))

    for run in (checked, real):
        result = run.result
        assert run.returncode == 0, run.output
        assert result["changed"] is False
        assert result["ok"] is True and result["ping"]["ok"] is True, result["error"]
        assert result["server_version"]["major"] >= 7
        assert result["memory"]["used_memory"] > 0 and result["memory"]["used_memory_peak"] > 0
        assert result["memory"]["mem_fragmentation_ratio"] > 0
        assert result["clients"]["connected_clients"] >= 1
        assert result["target"]["db"] == redis_target["db"]
    assert redis_target["password"] not in real.output


def test_url_with_password_and_db(ansible_module, redis_target):
    url = "redis://:%s@%s:%d/%d" % (redis_target["password"], redis_target["host"], redis_target["port"],
                                    redis_target["db"])
    run = ansible_module("redis_check", dict(url="{{ lookup('ansible.builtin.env', 'FP_IT_REDIS_URL') }}"),
                         extra_env=dict(FP_IT_REDIS_URL=url, REDIS_PASSWORD=""))

    assert run.result["ok"] is True, run.result["error"]
    assert run.result["target"] == dict(host=redis_target["host"], port=redis_target["port"], db=redis_target["db"],
                                        tls=False)
    assert redis_target["password"] not in run.output


def test_round_trip_leaves_no_key(ansible_module, redis_target):
    run = ansible_module("redis_check", connection_args(redis_target, round_trip=True))

    trip = run.result["round_trip"]
    assert trip["status"] == "passed", trip
    assert trip["cleaned_up"] is True
    assert all(step["ok"] and step["latency_ms"] >= 0 for step in trip["steps"].values())
    assert probe_keys(redis_target) == []


def test_round_trip_skipped_in_check_mode(ansible_module, redis_target):
    run = ansible_module("redis_check", connection_args(redis_target, round_trip=True), check=True)
    assert run.result["round_trip"]["status"] == "skipped"
    assert run.result["ok"] is True


def test_stopped_server_is_reported_not_failed(ansible_module, stack, stopped_port):
    run = ansible_module("redis_check", connection_args(stack.redis, login_port=stopped_port, socket_timeout=2))

    assert run.returncode == 0 and run.failed is False
    assert run.result["is_available"] is False and run.result["ok"] is False
    assert "Connection refused" in run.result["error"]


def test_wrong_password_is_unavailable_and_not_echoed(ansible_module, redis_target):
    wrong = "wrong-%s" % uuid.uuid4().hex
    run = ansible_module("redis_check", connection_args(redis_target), extra_env=dict(REDIS_PASSWORD=wrong))

    assert run.result["is_available"] is False
    assert run.result["error"].startswith(("AuthenticationError", "ResponseError"))
    assert wrong not in run.output


def test_bad_url_fails_the_task(ansible_module, stack):
    run = ansible_module("redis_check", dict(url="http://%s:%d/1" % (stack.redis["host"], stack.redis["port"])))

    assert run.failed is True
    assert "url must start with redis:// or rediss://" in run.result["msg"]
