# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fakes shared by the unit tests of the modules built on module_utils.docker_db:
the Docker SDK's container collection, and a way to run a module and catch its result."""

from __future__ import annotations

from types import ModuleType

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.footballpred.rehearsal.plugins.module_utils.docker_db import NotFound


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def exit_json(_module, **kwargs):
    raise ExitJson(kwargs)


def fail_json(_module, **kwargs):
    raise FailJson(kwargs)


def patch_module_exits(monkeypatch) -> None:
    """Make exit_json and fail_json raise, so a test gets the result back as a dict."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_main(module: ModuleType, args: dict, check_mode: bool = False) -> tuple[str, dict]:
    """Run ``module.main()``; return ``("exit" | "fail", result)``. Needs patch_module_exits."""
    if check_mode:
        args = {**args, "_ansible_check_mode": True}
    with patch_module_args(args):
        try:
            module.main()
        except ExitJson as exc:
            return "exit", exc.args[0]
        except FailJson as exc:
            return "fail", exc.args[0]
    raise AssertionError("module neither exited nor failed")


class FakeContainer:
    def __init__(self, name: str = "football-prediction-staging-db-1", status: str = "running") -> None:
        self.id = f"id-{name}"
        self.name = name
        self.status = status


class FakeContainers:
    """client.containers: get by name or ID, list the running ones (recording the filters)."""

    def __init__(self, containers: list[FakeContainer]) -> None:
        self._containers = containers
        self.list_filters = None

    def get(self, name: str) -> FakeContainer:
        for container in self._containers:
            if name in (container.name, container.id):
                return container
        raise NotFound(f"no such container: {name}")

    def list(self, filters: dict) -> list[FakeContainer]:
        self.list_filters = filters
        return [container for container in self._containers if container.status == "running"]
