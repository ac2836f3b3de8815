# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.module_utils import python_requirements as reqs
from ansible_collections.footballpred.rehearsal.plugins.modules import python_requirements

ROOT = Path(__file__).resolve().parents[4]

# Every library at the minimum the collection needs: the passing case.
AT_MINIMUM = {r["name"]: r["min_version"] for r in reqs.TARGET_REQUIREMENTS}


@pytest.fixture
def installed(monkeypatch):
    """Patch importlib.metadata.version to answer from a dict (name -> version)."""
    packages: dict = {}

    def version(name):
        if name not in packages:
            raise metadata.PackageNotFoundError(name)
        return packages[name]

    monkeypatch.setattr(reqs.importlib_metadata, "version", version)
    return packages


def by_name(result):
    return {library["name"]: library for library in result["libraries"]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_all_at_minimum_passes(run_module, installed, check_mode):
    installed.update(AT_MINIMUM)
    outcome = run_module(python_requirements, {}, check_mode=check_mode)
    assert not outcome.failed
    assert outcome.result["ok"] is True
    assert outcome.result["changed"] is False
    assert outcome.result["problems"] == []
    names = [library["name"] for library in outcome.result["libraries"]]
    assert names == [r["name"] for r in reqs.TARGET_REQUIREMENTS]
    assert all(library["ok"] and library["found"] == library["needed"] for library in outcome.result["libraries"])
    assert outcome.result["python"]["executable"]


def test_debian_bookworm_system_python_fails_naming_each_library(run_module, installed):
    """Debian 12's python3-kafka 2.0.2, python3-redis 4.3.4, python3-psycopg2 2.9.5, no docker SDK."""
    installed.update({"kafka-python": "2.0.2", "redis": "4.3.4", "psycopg2": "2.9.5",
                      "requests": "2.28.1", "locust": "2.47.0"})
    outcome = run_module(python_requirements, {})
    assert outcome.failed and outcome.exit_code == 1
    libraries = by_name(outcome.result)
    assert libraries["kafka-python"] == {"name": "kafka-python", "distribution": "kafka-python", "found": "2.0.2",
                                         "needed": "3.0.0", "ok": False,
                                         "detail": "kafka-python 2.0.2 is older than the needed 3.0.0"}
    assert libraries["psycopg2-binary"]["distribution"] == "psycopg2"
    assert libraries["psycopg2-binary"]["found"] == "2.9.5" and not libraries["psycopg2-binary"]["ok"]
    assert libraries["docker"]["found"] is None and not libraries["docker"]["ok"]
    assert libraries["locust"]["ok"]
    msg = outcome.result["msg"]
    for text in ("kafka-python 2.0.2 is older than the needed 3.0.0", "redis 4.3.4 is older than the needed 5.0.0",
                 "docker is not installed (needed >= 7.1.0)", "requests 2.28.1 is older than the needed 2.31.0",
                 "prepare_target.yml"):
        assert text in msg
    assert "locust" not in msg


def test_alternative_distribution_satisfies(run_module, installed):
    installed.update(AT_MINIMUM)
    del installed["psycopg2-binary"]
    installed["psycopg2"] = "2.9.10"
    outcome = run_module(python_requirements, {})
    library = by_name(outcome.result)["psycopg2-binary"]
    assert library["ok"] and library["distribution"] == "psycopg2" and library["found"] == "2.9.10"
    assert "(as psycopg2)" in library["detail"]


def test_report_only_does_not_fail(run_module, installed):
    outcome = run_module(python_requirements, {"fail_on_missing": False})
    assert not outcome.failed
    assert outcome.result["ok"] is False
    assert len(outcome.result["problems"]) == len(reqs.TARGET_REQUIREMENTS)


def test_without_load_test_group_locust_is_not_checked(run_module, installed):
    installed.update(AT_MINIMUM)
    del installed["locust"]
    assert run_module(python_requirements, {}).failed
    outcome = run_module(python_requirements, {"groups": []})
    assert not outcome.failed
    assert "locust" not in by_name(outcome.result)
    assert "locust>=2.47.0" not in outcome.result["pip_requirements"]


def test_explicit_requirements(run_module, installed):
    installed["redis"] = "6.4.0"
    outcome = run_module(python_requirements, {"requirements": [{"name": "redis", "min_version": "6.5"}]})
    assert outcome.failed
    assert outcome.result["problems"] == ["redis 6.4.0 is older than the needed 6.5"]
    assert outcome.result["pip_requirements"] == ["redis>=6.5"]


def test_unreadable_version_is_not_ok(run_module, installed):
    installed["redis"] = "unknown"
    outcome = run_module(python_requirements, {"requirements": [{"name": "redis", "min_version": "5"}]})
    assert outcome.failed and by_name(outcome.result)["redis"]["found"] == "unknown"


@pytest.mark.parametrize("found, needed, ok", [
    ("2.9.13", "2.9.9", True),
    ("2.9.9", "2.9.13", False),
    ("3", "3.0.0", True),
    ("3.0.0rc1", "3.0.0", False),
    ("3.0.0.dev2", "3.0.0", False),
    ("3.0.1rc1", "3.0.0", True),
    ("2.9.5+deb12u1", "2.9.5", True),
    ("10.0", "9.99", True),
    ("v7.1.0", "7.1.0", True),
])
def test_version_at_least(found, needed, ok):
    assert reqs.version_at_least(found, needed) is ok


def test_version_key_rejects_garbage():
    with pytest.raises(ValueError):
        reqs.version_key("unknown")


def test_shipped_requirements_file_is_rendered_from_the_one_list():
    """meta/target-requirements.txt (installed by prepare_target.yml) == TARGET_REQUIREMENTS."""
    shipped = (ROOT / "meta" / "target-requirements.txt").read_text()
    assert shipped == reqs.render_requirements_txt(), (
        "meta/target-requirements.txt is stale: regenerate it from module_utils/python_requirements.py")
    specs = [line for line in shipped.splitlines() if line and not line.startswith("#")]
    assert specs == reqs.pip_specifiers(reqs.TARGET_REQUIREMENTS)


def test_controller_pins_meet_the_minimums():
    """The controller's pinned requirements.txt (what the local runs test) meets every minimum."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[reqs.canonical_name(name)] = version.strip()
    for requirement in reqs.TARGET_REQUIREMENTS:
        assert reqs.version_at_least(pins[reqs.canonical_name(requirement["name"])], requirement["min_version"])
