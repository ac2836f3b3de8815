# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

redis = pytest.importorskip("redis")

from ansible_collections.footballpred.rehearsal.plugins.module_utils import redis as redis_utils  # noqa: E402
from ansible_collections.footballpred.rehearsal.plugins.modules import redis_check  # noqa: E402

SECRET = "s3cr3t-redis-password"

INFO = {
    "redis_version": "7.0.15",
    "redis_mode": "standalone",
    "role": "master",
    "uptime_in_seconds": 3601,
    "used_memory": 1046880,
    "used_memory_human": "1022.34K",
    "used_memory_peak": 1104784,
    "used_memory_peak_human": "1.05M",
    "mem_fragmentation_ratio": 11.54,
    "maxmemory": 0,
    "maxmemory_policy": "noeviction",
    "connected_clients": 3,
    "blocked_clients": 0,
}


class FakeRedis:
    """Just enough of redis.Redis for the module, with switchable faults."""

    def __init__(self):
        self.store = {}
        self.commands = []
        self.closed = False
        self.faults = {}
        self.get_override = None

    def ping(self):
        self.commands.append("PING")
        if "ping" in self.faults:
            raise self.faults["ping"]
        return True

    def info(self):
        self.commands.append("INFO")
        return dict(INFO)

    def dbsize(self):
        return len(self.store)

    def set(self, key, value, ex=None, nx=False):
        self.commands.append("SET %s ex=%s nx=%s" % (key, ex, nx))
        if nx and key in self.store:
            return None
        self.store[key] = value
        return True

    def get(self, key):
        self.commands.append("GET %s" % key)
        return self.get_override if self.get_override is not None else self.store.get(key)

    def delete(self, key):
        self.commands.append("DEL %s" % key)
        if "delete" in self.faults:
            raise self.faults["delete"]
        return 1 if self.store.pop(key, None) is not None else 0

    def exists(self, key):
        return 1 if key in self.store else 0

    def close(self):
        self.closed = True


@pytest.fixture
def server(monkeypatch):
    fake = FakeRedis()
    fake.settings = []

    def connect(settings, params):
        fake.settings.append(settings)
        return fake

    monkeypatch.setattr(redis_check, "connect_to_redis", connect)
    return fake


def test_healthy_server_reports_memory_clients_and_version(run_module, server):
    result = run_module(redis_check, dict(login_password=SECRET)).result

    assert result["changed"] is False
    assert result["ok"] is True and result["is_available"] is True and result["error"] == ""
    assert result["ping"]["ok"] is True and isinstance(result["ping"]["latency_ms"], float)
    assert result["server_version"] == dict(major=7, minor=0, patch=15, full="7.0.15")
    assert result["memory"]["used_memory"] == 1046880
    assert result["memory"]["used_memory_peak"] == 1104784
    assert result["memory"]["mem_fragmentation_ratio"] == 11.54
    assert result["clients"] == dict(connected_clients=3, blocked_clients=0)
    assert result["target"] == dict(host="127.0.0.1", port=6380, db=1, tls=False)
    assert "round_trip" not in result
    assert server.closed is True


def test_url_gives_host_port_db_and_password(run_module, server):
    outcome = run_module(redis_check, dict(url="redis://:%s@cache.internal:6390/3" % SECRET))

    settings = server.settings[0]
    assert (settings["host"], settings["port"], settings["db"]) == ("cache.internal", 6390, 3)
    assert settings["password"] == SECRET
    assert outcome.result["target"] == dict(host="cache.internal", port=6390, db=3, tls=False)
    assert SECRET not in outcome.stdout


def test_password_falls_back_to_environment(run_module, server, monkeypatch):
    monkeypatch.setenv("REDIS_PASSWORD", SECRET)
    outcome = run_module(redis_check, dict(login_port=6381, db=2))

    assert server.settings[0]["password"] == SECRET
    assert server.settings[0]["port"] == 6381 and server.settings[0]["db"] == 2
    assert SECRET not in outcome.stdout


def test_server_down_is_a_result(run_module, server):
    server.faults["ping"] = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6380. Connection refused.")
    outcome = run_module(redis_check, dict(login_password=SECRET))

    assert outcome.failed is False
    assert outcome.result["is_available"] is False and outcome.result["ok"] is False
    assert outcome.result["error"] == "ConnectionError: Error 111 connecting to 127.0.0.1:6380. Connection refused."
    assert "memory" not in outcome.result


def test_wrong_password_is_a_result(run_module, server):
    server.faults["ping"] = redis.exceptions.AuthenticationError("invalid username-password pair")
    result = run_module(redis_check, dict(login_password="nope")).result

    assert result["is_available"] is False
    assert result["error"].startswith("AuthenticationError")


def test_round_trip_sets_reads_and_deletes_a_unique_key(run_module, server):
    result = run_module(redis_check, dict(login_password=SECRET, round_trip=True)).result

    trip = result["round_trip"]
    assert trip["status"] == "passed" and trip["cleaned_up"] is True
    assert trip["key"].startswith("fp_rehearsal_probe_")
    assert all(step["ok"] for step in trip["steps"].values())
    assert server.store == {}
    assert "SET %s ex=60 nx=True" % trip["key"] in server.commands
    assert result["ok"] is True and result["changed"] is False


def test_round_trip_mismatch_fails_but_still_deletes(run_module, server):
    server.get_override = "someone else's value"
    result = run_module(redis_check, dict(login_password=SECRET, round_trip=True)).result

    trip = result["round_trip"]
    assert trip["status"] == "failed"
    assert trip["reason"] == "get: GET returned a different value"
    assert trip["steps"]["delete"]["ok"] is True and trip["cleaned_up"] is True
    assert server.store == {}
    assert result["ok"] is False and result["error"].startswith("round_trip: get")


def test_round_trip_delete_error_is_reported(run_module, server):
    server.faults["delete"] = redis.exceptions.TimeoutError("Timeout reading from socket")
    trip = run_module(redis_check, dict(login_password=SECRET, round_trip=True)).result["round_trip"]

    assert trip["status"] == "failed"
    assert trip["cleaned_up"] is False
    assert trip["steps"]["delete"]["error"].startswith("TimeoutError")


def test_check_mode_skips_the_round_trip(run_module, server):
    result = run_module(redis_check, dict(login_password=SECRET, round_trip=True), check_mode=True).result

    assert result["round_trip"]["status"] == "skipped"
    assert not any(command.startswith(("SET", "DEL")) for command in server.commands)
    assert result["ok"] is True


@pytest.mark.parametrize("bad_args, message", [
    (dict(url="http://cache:6379/1"), "url must start with redis:// or rediss://"),
    (dict(url="redis://cache:6379/one"), "url path must be a database index"),
    (dict(url="redis://cache:99999/1"), "invalid port"),
    (dict(url="redis://cache:6379/1", login_port=6380), "mutually exclusive: url|login_port"),
    (dict(login_port=0), "port must be between 1 and 65535"),
    (dict(db=-1), "db must not be negative"),
    (dict(socket_timeout=0), "socket_timeout must be greater than 0"),
])
def test_bad_parameters_fail_clearly(run_module, server, bad_args, message):
    outcome = run_module(redis_check, bad_args)

    assert outcome.failed is True
    assert message in outcome.result["msg"]
    assert server.settings == []


def test_bad_url_message_never_shows_the_password(run_module, server):
    outcome = run_module(redis_check, dict(url="redis://:%s@cache:6379/x" % SECRET))
    assert outcome.failed is True
    assert SECRET not in outcome.stdout


def test_missing_redis_library_fails_with_missing_required_lib(run_module, monkeypatch):
    monkeypatch.setattr(redis_utils, "HAS_REDIS", False)
    outcome = run_module(redis_check, dict())

    assert outcome.failed is True
    assert "Failed to import the required Python library (redis)" in outcome.result["msg"]


def test_parse_redis_url_handles_users_tls_and_defaults():
    assert redis_utils.parse_redis_url("rediss://app:p%40ss@cache:6390/2") == dict(
        host="cache", port=6390, username="app", password="p@ss", db=2, ssl=True)
    assert redis_utils.parse_redis_url("redis://cache") == dict(
        host="cache", port=6379, username=None, password=None, db=0, ssl=False)


def test_connect_to_redis_passes_tls_settings():
    settings = dict(host="cache", port=6390, db=2, username=None, password=SECRET, ssl=True)
    client = redis_utils.connect_to_redis(settings, dict(socket_timeout=2.0, validate_certs=False, ca_certs=None))
    kwargs = client.connection_pool.connection_kwargs

    assert kwargs["host"] == "cache" and kwargs["port"] == 6390 and kwargs["db"] == 2
    assert kwargs["ssl_cert_reqs"] == "none" and kwargs["socket_timeout"] == 2.0
    client.close()
