# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection settings are given once: action groups (meta/runtime.yml), one mapping from the
inventory (playbooks/vars/connections.yml), module_defaults in every play that runs a role."""

from __future__ import annotations

import re

import pytest
import yaml

from support import ROOT
from support.playbook import CONNECTION_GROUPS, CONNECTION_PLAY_KEYS, MODULE_DEFAULTS

RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
CONNECTIONS = yaml.safe_load((ROOT / "playbooks" / "vars" / "connections.yml").read_text(encoding="utf-8"))
PHASE_PLAYBOOKS = sorted(path for path in (ROOT / "playbooks").glob("*.yml")
                         if "safety_nets" in path.read_text(encoding="utf-8"))
# A module is in a group when it takes that group's connection options.
GROUP_MARKERS = {
    "postgres": "postgres_argument_spec()",
    "postgres_container": "docker_db_argument_spec()",
    "redis": "redis_argument_spec()",
    "kafka": "kafka_argument_spec()",
    "mlflow": "tracking_uri=dict(",
    "api": "base_url=dict(",
}


def test_the_groups_are_the_ones_the_tests_and_playbooks_use():
    assert set(RUNTIME["action_groups"]) == set(CONNECTION_GROUPS) == set(GROUP_MARKERS)
    assert set(CONNECTIONS) == {f"_rehearsal_{group}" for group in CONNECTION_GROUPS} | {"_rehearsal_postgres_server"}
    # community.postgresql's modules name their database each their own way: no login_db for them.
    assert CONNECTIONS["_rehearsal_postgres_server"] == {
        key: value for key, value in CONNECTIONS["_rehearsal_postgres"].items() if key != "login_db"}


@pytest.mark.parametrize("group", CONNECTION_GROUPS)
def test_every_module_taking_a_groups_connection_options_is_in_the_group(group):
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py")
                     if GROUP_MARKERS[group] in path.read_text(encoding="utf-8"))
    assert modules and sorted(RUNTIME["action_groups"][group]) == modules


def test_the_mapping_reads_only_the_inventorys_variables():
    for group, options in CONNECTIONS.items():
        for option, value in options.items():
            assert re.fullmatch(r"\{\{ rehearsal_[a-z_]+ \}\}", value), (group, option, value)


@pytest.mark.parametrize("playbook", PHASE_PLAYBOOKS, ids=lambda path: path.name)
def test_every_play_that_runs_a_phase_gives_the_modules_their_connections(playbook):
    for play in yaml.safe_load(playbook.read_text(encoding="utf-8")):
        assert "vars/connections.yml" in play.get("vars_files", []), play["name"]
        assert play["module_defaults"] == MODULE_DEFAULTS, play["name"]


MOLECULE_PLAYBOOKS = sorted(path for path in (ROOT / "extensions" / "molecule").glob("*/*.yml")
                            if "module_defaults:" in path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("playbook", MOLECULE_PLAYBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_molecule_play_gives_the_modules_the_playbooks_connections(playbook):
    """A scenario runs the roles as the playbooks do: the same connections (community.postgresql's
    modules reject login_db, so the server mapping, not the database one, goes to them)."""
    for play in yaml.safe_load(playbook.read_text(encoding="utf-8")):
        if "module_defaults" in play:
            assert play["module_defaults"] == MODULE_DEFAULTS, play["name"]
            assert any(name.endswith("playbooks/vars/connections.yml") for name in play["vars_files"]), play["name"]


def test_a_play_a_test_writes_carries_the_same_keys():
    play = yaml.safe_load("- hosts: staging\n" + CONNECTION_PLAY_KEYS)[0]
    assert play["module_defaults"] == MODULE_DEFAULTS
    assert play["vars_files"][0].endswith("playbooks/vars/connections.yml")


# <role>_db_host and the like: an option that only re-aliased the inventory's setting.
CONNECTION_OPTION = (r"^{role}_(?:db_(?:host|port|name|user|password)|redis_(?:host|port|password|db)"
                     r"|kafka_bootstrap_servers|mlflow_url|api_base_url):")


@pytest.mark.parametrize("role", sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "tasks").is_dir()))
def test_no_role_option_re_aliases_a_connection_setting(role):
    for name in ("defaults/main.yml", "meta/argument_specs.yml"):
        path = ROOT / "roles" / role / name
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        found = re.findall(CONNECTION_OPTION.format(role=role), re.sub(r"^\s+", "", text, flags=re.MULTILINE),
                           re.MULTILINE)
        assert not found, f"{role}/{name}: {found}"
