# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight role's decisions (see plugin_utils/preflight_plan.py): the safety guard,
the ports to check, the env file to read and the containers' port fields."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils import preflight_plan as _plan


def preflight_guard(facts):
    """Filter wrapper of guard."""
    try:
        return _plan.guard(facts)
    except KeyError as exc:
        raise AnsibleFilterError(f"preflight_guard: missing {exc}") from exc


def preflight_port_list(ports, api_port, db_port, redis_port, kafka_bootstrap_servers, mlflow_url):
    """Filter wrapper of port_list."""
    try:
        return _plan.port_list(ports, api_port, db_port, redis_port, kafka_bootstrap_servers, mlflow_url)
    except (_plan.PreflightPlanError, ValueError) as exc:
        raise AnsibleFilterError(f"preflight_port_list: {exc}") from exc


def preflight_container_columns(container_info):
    """Filter wrapper of container_columns."""
    return _plan.container_columns(container_info)


def preflight_env_source(files, env_file, env_file_template=""):
    """Filter wrapper of env_source."""
    try:
        return _plan.env_source(files, env_file, env_file_template or "")
    except _plan.PreflightPlanError as exc:
        raise AnsibleFilterError(f"preflight_env_source: {exc}") from exc


def preflight_inspect_failures(container_info):
    """Filter wrapper of inspect_failures."""
    return _plan.inspect_failures(container_info)


class FilterModule:
    """The preflight role's decisions."""

    def filters(self):
        return {"preflight_guard": preflight_guard, "preflight_port_list": preflight_port_list,
                "preflight_container_columns": preflight_container_columns,
                "preflight_env_source": preflight_env_source, "preflight_inspect_failures": preflight_inspect_failures}
