# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A filter is public because YAML needs it: every registered filter is used by a role, a
playbook or a template, and is documented (plugins/filter/<name>.yml); the helpers only
Python calls stay module functions."""

from __future__ import annotations

import importlib

import pytest

from support import ROOT

FILTER_DIR = ROOT / "plugins" / "filter"
PACKAGE = "ansible_collections.footballpred.rehearsal.plugins.filter"
REGISTERED = {name: path.stem for path in sorted(FILTER_DIR.glob("*.py")) if not path.name.startswith("_")
              for name in importlib.import_module(f"{PACKAGE}.{path.stem}").FilterModule().filters()}
YAML = [path.read_text(encoding="utf-8") for pattern in ("roles/**/*.yml", "roles/**/*.j2", "playbooks/**/*.yml")
        for path in ROOT.glob(pattern)]


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_filter_is_used_by_yaml_and_documented(name):
    assert any(f"footballpred.rehearsal.{name}" in text for text in YAML), f"{name} is used by no role or playbook"
    assert (FILTER_DIR / f"{name}.yml").is_file(), f"{name} has no plugins/filter/{name}.yml"


def test_every_filter_document_belongs_to_a_registered_filter():
    assert sorted(path.stem for path in FILTER_DIR.glob("*.yml")) == sorted(REGISTERED)
