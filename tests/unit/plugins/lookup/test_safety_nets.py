# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.footballpred.rehearsal.plugins.lookup import safety_nets


@pytest.mark.parametrize("cli_args", [
    {},
    {"tags": ("deploy",)},
    {"skip_tags": ("load_test", "rollback")},
    {"tags": ("backup",), "skip_tags": ("preflight",)},
    {"start_at_task": None, "step": False, "skip_tags": ()},
])
def test_flags_that_keep_the_safety_nets_are_accepted(cli_args):
    assert safety_nets.unsafe_flags(cli_args) == []


@pytest.mark.parametrize("cli_args, named", [
    ({"start_at_task": "Deploy the release"}, "--start-at-task"),
    ({"step": True}, "--step"),
    ({"skip_tags": ("always",)}, "--skip-tags always"),
    ({"skip_tags": ("deploy", "all")}, "--skip-tags all"),
    ({"skip_tags": ("tagged",)}, "--skip-tags tagged"),
])
def test_flags_that_would_skip_a_safety_net_are_refused(cli_args, named):
    reasons = safety_nets.unsafe_flags(cli_args)
    assert len(reasons) == 1 and reasons[0].startswith(named)


def test_the_lookup_raises_a_refusal_and_passes_safe_patterns_through(monkeypatch):
    lookup = safety_nets.LookupModule()
    monkeypatch.setattr(safety_nets.context, "CLIARGS", {"tags": ("deploy",)})
    assert lookup.run(["staging"]) == ["staging"]
    monkeypatch.setattr(safety_nets.context, "CLIARGS", {"start_at_task": "Start the app"})
    with pytest.raises(safety_nets.AnsibleError, match="^REFUSED: nothing was run or changed"):
        lookup.run(["staging"])
