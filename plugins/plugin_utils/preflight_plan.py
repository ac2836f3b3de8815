# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight role's decisions before it judges: whether the target may be rehearsed at
all (the safety guard), which ports to check, which env file to read, and the fields of
the containers the port check needs.

Pure functions behind the filters of plugins/filter/preflight_plan.py, unit-tested in
tests/unit/plugins/plugin_utils/test_preflight_plan.py. The texts are the ones the role's
Jinja wrote, word for word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import as_int as _int


class PreflightPlanError(ValueError):
    """The inputs do not have the shape the role gives."""


def _as_bool(value) -> bool:
    """Ansible's ``bool`` filter."""
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "on", "1", "true", "y", "t")
    return bool(value)


def _unique(items) -> list:
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _hostname(url) -> str:
    return (urlsplit(str(url)).hostname or "") if url else ""


def guard(facts: Mapping) -> dict:
    """The guard's decision from ``facts`` (roles/preflight/vars/main.yml ``_preflight_guard_facts``).

    ``refusals``: why the target is not staging (a host outside ``required_group``, an
    environment other than ``required_environment``): always refused. ``production_like``:
    why it looks like production (a production port, a database name without the marker, a
    production host name among ``names``): refused unless ``allow_production_like``.
    ``not_staging``, ``looks_like_production`` and ``warning`` are the messages the role
    fails or warns with, in that order ("" for none).
    """
    groups = list(facts.get("groups") or [])
    refusals = []
    if facts["required_group"] not in groups:
        refusals.append(f"host {facts['host']} is not in the inventory group {facts['required_group']}"
                        f" (its groups: {', '.join(groups) or 'none'})")
    if facts["environment"] != facts["required_environment"]:
        refusals.append(f"rehearsal_environment is {json.dumps(facts['environment'])}, not "
                        f"{json.dumps(facts['required_environment'])}")
    production_like = []
    for label, key in (("API port", "api_port"), ("database port", "db_port"), ("Redis port", "redis_port")):
        if _int(facts[key]) in list(facts[f"production_{key}s"] or []):
            production_like.append(f"{label} {facts[key]} is a production port")
    if str(facts["db_name_marker"]) not in str(facts["db_name"]):
        production_like.append(f"database name {facts['db_name']} does not contain {json.dumps(facts['db_name_marker'])}")
    names = [str(name) for name in list(facts.get("names") or []) + [_hostname(facts.get("api_base_url"))] if name]
    production_hostnames = [str(name).lower() for name in facts.get("production_hostnames") or []]
    production_names = [name for name in _unique(name.lower() for name in names) if name in production_hostnames]
    if production_names:
        production_like.append(f"production host name in the targets: {', '.join(production_names)}")
    allowed = _as_bool(facts.get("allow_production_like", False))
    not_staging = looks_like_production = warning = ""
    if refusals:
        not_staging = ("REFUSED: the rehearsal only runs against staging, and nothing was changed. "
                       f"{'; '.join(refusals)}.")
    if production_like and not allowed:
        looks_like_production = ("REFUSED: the targets look like production, and nothing was changed: "
                                 f"{'; '.join(production_like)}. "
                                 "If this really is a staging system, set preflight_allow_production_like=true.")
    if production_like and allowed:
        warning = f"preflight_allow_production_like=true: going on although {'; '.join(production_like)}."
    return {"refusals": refusals, "production_like": production_like, "not_staging": not_staging,
            "looks_like_production": looks_like_production, "warning": warning}


def _servers(bootstrap_servers) -> list:
    if isinstance(bootstrap_servers, str):
        bootstrap_servers = bootstrap_servers.split(",")
    else:
        bootstrap_servers = ",".join(str(item) for item in bootstrap_servers or []).split(",")
    return [item.strip() for item in bootstrap_servers if item.strip()]


def port_list(ports, api_port, db_port, redis_port, kafka_bootstrap_servers, mlflow_url) -> list:
    """``ports`` (preflight_ports) when given, else the API, database, Redis, Kafka (the first
    bootstrap server's) and MLflow (its URL's) ports of the inventory, as ``{name, port}``."""
    if ports:
        return list(ports)
    servers = _servers(kafka_bootstrap_servers)
    if not servers:
        raise PreflightPlanError("no Kafka bootstrap server")
    return [
        {"name": "api", "port": _int(api_port)},
        {"name": "db", "port": _int(db_port)},
        {"name": "redis", "port": _int(redis_port)},
        {"name": "kafka", "port": _int(servers[0].split(":")[-1])},
        {"name": "mlflow", "port": _int(urlsplit(str(mlflow_url)).port)},
    ]


def container_columns(container_info: Mapping) -> dict:
    """The fields port_owners.py reads of the containers docker_container_info inspected (a
    loop result), column by column, without their environment: ``ids``, ``names``, ``pids``
    and ``ports``."""
    containers = [result["container"] for result in (container_info or {}).get("results") or []
                  if result.get("container")]
    return {
        "ids": [container.get("Id") for container in containers],
        "names": [container.get("Name") for container in containers],
        "pids": [(container.get("State") or {}).get("Pid") for container in containers],
        "ports": [(container.get("NetworkSettings") or {}).get("Ports") for container in containers],
    }


def env_source(files: Mapping, env_file: str, env_file_template: str = "") -> str:
    """The env file to read from the stat loop over the project files: the env file when it
    exists, else its template when there is one and it exists, else ""."""
    stats = {result.get("item"): result.get("stat") or {} for result in (files or {}).get("results") or []}
    if env_file not in stats:
        raise PreflightPlanError(f"{env_file} was not looked at")
    if stats[env_file].get("exists"):
        return env_file
    if env_file_template and (stats.get(env_file_template) or {}).get("exists"):
        return env_file_template
    return ""


def inspect_failures(container_info: Mapping) -> str:
    """The containers docker_container_info could not inspect and why: ``name, name: msg; msg``."""
    failed = [result for result in (container_info or {}).get("results") or [] if result.get("failed")]
    names = ", ".join(str(((result.get("item") or {}).get("Names") or ["?"])[0]) for result in failed)
    return f"{names}: " + "; ".join(str(result.get("msg", "no message")) for result in failed)
