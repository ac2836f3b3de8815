# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tasks whose results carry a container's environment never show them.

A container's configuration (community.docker.docker_container_info) holds the env file
it was started with, secrets included (DATABASE_URL with its password): without no_log its
result reaches the output and every event of an AWX job. The e2e secret scans would find
the leak only on the code paths they run; this finds it in every task file.
"""

from __future__ import annotations

import pytest
import yaml

from support import ROOT

# Modules whose result includes a container's Config.Env.
ENV_REVEALING_MODULES = ("community.docker.docker_container_info",)


def tasks_in(items: list):
    """Every task of a task list, blocks included."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        for section in ("block", "rescue", "always"):
            yield from tasks_in(item.get(section))


TASKS = [(path, task) for path in sorted(ROOT.glob("roles/*/tasks/*.yml"))
         for task in tasks_in(yaml.safe_load(path.read_text(encoding="utf-8")))
         if any(module in task for module in ENV_REVEALING_MODULES)]


def test_there_are_such_tasks():
    assert TASKS


TASK_IDS = [f"{path.parent.parent.name}/{path.name}:{task.get('name')}" for path, task in TASKS]


@pytest.mark.parametrize(("path", "task"), TASKS, ids=TASK_IDS)
def test_a_task_that_reads_a_containers_environment_has_no_log(path, task):
    assert task.get("no_log") is True, f"{path.relative_to(ROOT)}: '{task.get('name')}' shows the container's env"
