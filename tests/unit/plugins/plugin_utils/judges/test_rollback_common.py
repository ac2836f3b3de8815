# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rollback judges' helpers read values as the role's Jinja filters did."""

from __future__ import annotations

import jinja2
import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges.rollback_common import (
    dig, env_value, truncate, waited)


@pytest.mark.parametrize("text,length,killwords,end", [
    ("short", 500, False, "..."), ("word " * 120, 500, False, "..."), ("x" * 600, 500, False, "..."),
    ("a" * 64, 15, True, ""), ("a" * 20, 15, True, ""), ("", 15, True, "")])
def test_truncate_is_jinjas(text, length, killwords, end):
    environment = jinja2.Environment()
    expected = environment.from_string("{{ t | truncate(l, k, e) }}").render(t=text, l=length, k=killwords, e=end)
    assert truncate(text, length, killwords, end) == expected


def test_dig_defaults_only_what_is_missing():
    assert dig({"a": {"b": None}}, "a.b", "?") is None
    assert dig({"a": {}}, "a.b", "?") == "?"
    assert dig(None, "a", "?") == "?"


def test_env_value_reads_the_first_entry_of_the_key():
    assert env_value(["LOG_LEVEL=WARNING", "LOG_LEVEL=INFO"], "LOG_LEVEL") == "WARNING"
    assert env_value(["LOG_LEVELX=1", "A=b=c"], "LOG_LEVEL") == ""
    assert env_value(None, "LOG_LEVEL") == ""


def test_a_wait_is_healthy_only_when_healthy_within_the_timeout_and_its_slack():
    healthy = {"status": 200, "json": {"status": "healthy"}}
    start = "2026-12-03T10:00:00+00:00"
    assert waited({"w": {"from": start, "to": "2026-12-03T10:02:05+00:00", "health": healthy}}, "w", 120) == {
        "healthy": True, "after_s": 125.0, "health": healthy}
    assert not waited({"w": {"from": start, "to": "2026-12-03T10:02:05.5+00:00", "health": healthy}}, "w", 120)["healthy"]
    assert not waited({"w": {"from": start, "to": "2026-12-03T10:00:03+00:00",
                             "health": {"status": 503, "json": {"status": "unhealthy"}}}}, "w", 120)["healthy"]
    assert waited({}, "w", 120) is None
