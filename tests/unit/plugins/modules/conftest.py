# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args


class ModuleOutcome:
    """What a module printed and how it ended, as Ansible would see it."""

    def __init__(self, result: dict, exit_code: int, stdout: str):
        self.result = result
        self.exit_code = exit_code
        self.stdout = stdout

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))


@pytest.fixture
def run_module(capsys):
    """Run ``module.main()`` with ``args`` and return its parsed JSON result.

    The JSON is read from stdout exactly as AnsibleModule prints it, so no_log masking
    is part of what the tests see.
    """

    def run(module, args: dict, check_mode: bool = False) -> ModuleOutcome:
        arguments = dict(args, _ansible_check_mode=check_mode)
        with patch_module_args(arguments):
            with pytest.raises(SystemExit) as stopped:
                module.main()
        stdout = capsys.readouterr().out
        return ModuleOutcome(json.loads(stdout), stopped.value.code or 0, stdout)

    return run
