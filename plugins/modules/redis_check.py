#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_check
short_description: Measure the health and memory of a Redis server
version_added: 0.1.0
description:
  - Connects to a Redis server, sends C(PING) and reports the server version, memory figures
    (C(used_memory), C(used_memory_peak), C(mem_fragmentation_ratio)) and client counts from C(INFO).
  - Optionally writes, reads and deletes a key with a unique name and a short expiry; the key is
    deleted whatever happens to the probe.
  - A server that cannot be reached, or refuses the credentials, is a result
    (RV(is_available=false) and RV(error)), not a failure. Bad parameters fail the task.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  round_trip:
    description:
      - C(SET) a unique key (with a 60 second expiry as a safety net), C(GET) it back and C(DEL) it.
      - Skipped in check mode, and reported as skipped.
    type: bool
    default: false
extends_documentation_fragment:
  - footballpred.rehearsal.redis
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - C(PING) and C(INFO) run as usual; the write probe (O(round_trip)) is skipped.
  diff_mode:
    support: none
seealso:
  - module: footballpred.rehearsal.db_check
  - module: community.general.redis_info
"""

EXAMPLES = r"""
- name: Check the staging Redis from its URL
  footballpred.rehearsal.redis_check:
    url: "redis://:{{ staging_redis_password }}@127.0.0.1:6380/1"
  register: cache
  failed_when: not cache.ping.ok

- name: Check Redis and prove it stores and returns a value
  footballpred.rehearsal.redis_check:
    login_host: 127.0.0.1
    login_port: 6380
    login_password: "{{ staging_redis_password }}"
    db: 1
    round_trip: true
  register: cache_rw
  failed_when: not cache_rw.ok

- name: Record the memory figures of the load test
  ansible.builtin.set_fact:
    load_test_redis_memory: "{{ cache_rw.memory }}"
"""

RETURN = r"""
ok:
  description: V(true) when the server answered C(PING) and the round trip (if requested and run) passed.
  returned: always
  type: bool
  sample: true
is_available:
  description: Whether the server answered C(PING).
  returned: always
  type: bool
  sample: true
error:
  description: Why the server is unavailable or the round trip failed; empty when there is none.
  returned: always
  type: str
  sample: "ConnectionError: Error 111 connecting to 127.0.0.1:6380. Connection refused."
target:
  description: Where the module connected to (never the password).
  returned: always
  type: dict
  sample: {host: 127.0.0.1, port: 6380, db: 1, tls: false}
connect_latency_ms:
  description: Time to connect, authenticate and get the first C(PONG), in milliseconds.
  returned: when RV(is_available=true)
  type: float
  sample: 1.92
ping:
  description: A C(PING) on the open connection.
  returned: when RV(is_available=true)
  type: dict
  sample: {ok: true, latency_ms: 0.21}
server_version:
  description: Version of the server (C(redis_version)).
  returned: when RV(is_available=true)
  type: dict
  sample: {major: 7, minor: 0, patch: 15, full: "7.0.15"}
server:
  description: Mode, role and uptime of the server.
  returned: when RV(is_available=true)
  type: dict
  sample: {mode: standalone, role: master, uptime_in_seconds: 3601}
memory:
  description: Memory figures from C(INFO memory), in bytes unless named C(_human) or C(_ratio).
  returned: when RV(is_available=true)
  type: dict
  sample:
    used_memory: 1046880
    used_memory_human: 1022.34K
    used_memory_peak: 1104784
    used_memory_peak_human: 1.05M
    mem_fragmentation_ratio: 11.54
    maxmemory: 0
    maxmemory_policy: noeviction
clients:
  description: Client counts from C(INFO clients).
  returned: when RV(is_available=true)
  type: dict
  sample: {connected_clients: 3, blocked_clients: 0}
keyspace:
  description: Number of keys in the selected database (C(DBSIZE)).
  returned: when RV(is_available=true)
  type: dict
  sample: {db: 1, keys: 12}
round_trip:
  description: Outcome of the write probe.
  returned: when O(round_trip=true) and RV(is_available=true)
  type: dict
  contains:
    status:
      description: V(passed), V(failed) or V(skipped) (check mode).
      type: str
    reason:
      description: Why the probe was skipped or failed.
      type: str
    key:
      description: The key that was used.
      type: str
    steps:
      description: C({ok, latency_ms, error}) for V(set), V(get) and V(delete).
      type: dict
    cleaned_up:
      description: Whether the key is verifiably gone.
      type: bool
  sample:
    status: passed
    reason: ""
    key: fp_rehearsal_probe_1764150000_3f2a9c1b0d4e
    cleaned_up: true
    steps:
      set: {ok: true, latency_ms: 0.31, error: ""}
      get: {ok: true, latency_ms: 0.18, error: ""}
      delete: {ok: true, latency_ms: 0.2, error: ""}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    elapsed_ms,
    error_text,
    monotonic,
    parse_version,
    unique_token,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.redis import (
    REDIS_MUTUALLY_EXCLUSIVE,
    connect_to_redis,
    connection_errors,
    connection_settings,
    ensure_redis,
    redis_argument_spec,
)

ROUND_TRIP_STEPS = ("set", "get", "delete")
PROBE_TTL_SECONDS = 60
MEMORY_FIELDS = ("used_memory", "used_memory_human", "used_memory_peak", "used_memory_peak_human",
                 "mem_fragmentation_ratio", "maxmemory", "maxmemory_policy")


def timed(call):
    started = monotonic()
    value = call()
    return value, elapsed_ms(started)


def describe_server(client, db: int) -> dict:
    info = client.info()
    pong, ping_latency = timed(client.ping)
    return dict(
        ping=dict(ok=pong is True, latency_ms=ping_latency),
        server_version=parse_version(str(info.get("redis_version", ""))),
        server=dict(mode=info.get("redis_mode"), role=info.get("role"),
                    uptime_in_seconds=info.get("uptime_in_seconds")),
        memory={field: info.get(field) for field in MEMORY_FIELDS},
        clients=dict(connected_clients=info.get("connected_clients"),
                     blocked_clients=info.get("blocked_clients")),
        keyspace=dict(db=db, keys=client.dbsize()),
    )


def run_round_trip(client, secrets) -> dict:
    """SET, GET and DEL a unique key; the DEL runs whatever happened before."""
    key = unique_token()
    value = unique_token("value")
    steps = {}
    try:
        try:
            stored, latency = timed(lambda: client.set(key, value, ex=PROBE_TTL_SECONDS, nx=True))
            steps["set"] = dict(ok=stored is True, latency_ms=latency,
                                error="" if stored is True else "SET NX did not store the key")
            if stored is True:
                read, latency = timed(lambda: client.get(key))
                steps["get"] = dict(ok=read == value, latency_ms=latency,
                                    error="" if read == value else "GET returned a different value")
        except connection_errors() as exc:
            steps[next(step for step in ROUND_TRIP_STEPS if step not in steps)] = dict(
                ok=False, latency_ms=None, error=error_text(exc, secrets))
    finally:
        steps["delete"], cleaned_up = delete_key(client, key, secrets)

    failed = next((step for step in ROUND_TRIP_STEPS if step in steps and not steps[step]["ok"]), None)
    for step in ROUND_TRIP_STEPS:
        steps.setdefault(step, dict(ok=False, latency_ms=None, error="not run: %s failed" % failed))
    return dict(
        status="failed" if failed else "passed",
        reason="%s: %s" % (failed, steps[failed]["error"]) if failed else "",
        key=key,
        steps={step: steps[step] for step in ROUND_TRIP_STEPS},
        cleaned_up=cleaned_up,
    )


def delete_key(client, key: str, secrets) -> tuple:
    try:
        removed, latency = timed(lambda: client.delete(key))
        gone = client.exists(key) == 0
    except connection_errors() as exc:
        return dict(ok=False, latency_ms=None, error=error_text(exc, secrets)), False
    # Nothing to remove is fine when SET never stored the key.
    return dict(ok=gone, latency_ms=latency,
                error="" if gone else "key still exists after DEL (removed %s)" % removed), gone


def main():
    module = AnsibleModule(
        argument_spec=dict(redis_argument_spec(), round_trip=dict(type="bool", default=False)),
        mutually_exclusive=REDIS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    ensure_redis(module)
    if module.params["socket_timeout"] <= 0:
        module.fail_json(msg="socket_timeout must be greater than 0")
    try:
        settings = connection_settings(module.params)
    except ValueError as exc:
        module.fail_json(msg="Invalid Redis connection settings: %s" % exc)
    secrets = tuple(secret for secret in (settings["password"], module.params["url"]) if secret)
    module.no_log_values.update(secrets)

    result = dict(
        changed=False, ok=False, is_available=False, error="",
        target=dict(host=settings["host"], port=settings["port"], db=settings["db"], tls=settings["ssl"]),
    )
    client = connect_to_redis(settings, module.params)
    try:
        try:
            pong, result["connect_latency_ms"] = timed(client.ping)
            if pong is not True:
                raise ValueError("PING answered %r" % (pong,))
        except connection_errors() + (ValueError,) as exc:
            result.pop("connect_latency_ms", None)
            result["error"] = error_text(exc, secrets)
            module.exit_json(**result)
        result["is_available"] = True

        try:
            result.update(describe_server(client, settings["db"]))
        except connection_errors() as exc:
            result["error"] = error_text(exc, secrets)
            module.exit_json(**result)

        if module.params["round_trip"]:
            if module.check_mode:
                result["round_trip"] = dict(status="skipped", reason="check mode: the round trip writes a key",
                                            key="", steps={}, cleaned_up=True)
            else:
                result["round_trip"] = run_round_trip(client, secrets)
                if result["round_trip"]["status"] == "failed":
                    result["error"] = "round_trip: " + result["round_trip"]["reason"]
    finally:
        client.close()

    result["ok"] = result["ping"]["ok"] and not result["error"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
