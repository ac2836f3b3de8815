# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Python libraries the collection needs on the target, and how to judge them.

This is the one place where the minimum versions live. The requirements file that
``playbooks/prepare_target.yml`` installs (``meta/target-requirements.txt``) is rendered
from TARGET_REQUIREMENTS by :func:`render_requirements_txt` (a unit test keeps the two
identical), and the ``python_requirements`` module judges the target against the same list.

Only the standard library is used: the module must run on a bare system Python, which
is exactly the interpreter it is meant to find wanting.
"""

from __future__ import annotations

import re

try:
    from importlib import metadata as importlib_metadata
except ImportError:  # Python < 3.8: no metadata API, every library counts as missing
    importlib_metadata = None

# Each entry: the distribution pip installs (``name``), other distributions that provide the
# same import (``alternatives``), the minimum version and why the collection needs it.
TARGET_REQUIREMENTS = [
    {"name": "psycopg2-binary", "alternatives": ["psycopg2"], "min_version": "2.9.9",
     "purpose": "db_check, db_dump, db_restore and community.postgresql talk to PostgreSQL"},
    {"name": "redis", "alternatives": [], "min_version": "5.0.0",
     "purpose": "redis_check (redis-py 5 API)"},
    {"name": "kafka-python", "alternatives": [], "min_version": "3.0.0",
     "purpose": "kafka_check (kafka-python 3.x: bootstrap_timeout_ms)"},
    {"name": "docker", "alternatives": [], "min_version": "7.1.0",
     "purpose": "db_dump and db_restore exec into the database container (Docker SDK)"},
    {"name": "requests", "alternatives": [], "min_version": "2.31.0",
     "purpose": "community.docker's API modules (docker_host_info, docker_image_*, docker_container_info)"},
    {"name": "locust", "alternatives": [], "min_version": "2.47.0", "group": "load_test",
     "purpose": "the load test runs Locust on the target, against the app's loopback address"},
]

REQUIREMENTS_HEADER = """\
# Python libraries the footballpred.rehearsal collection needs on the TARGET host (the
# staging host the modules run on), with their minimum versions. Installed into a venv by
# playbooks/prepare_target.yml; checked by preflight (module python_requirements).
# Generated from plugins/module_utils/python_requirements.py (TARGET_REQUIREMENTS), the one
# place the minimums live; tests/unit keeps this file identical to it.
"""

_NUMBER = re.compile(r"\d+")
_PRE_RELEASE = re.compile(r"(a|b|rc|alpha|beta|c|pre|preview|dev)\d*", re.IGNORECASE)


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name: ``Kafka_Python`` -> ``kafka-python``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def version_key(version: str) -> tuple:
    """A key that orders release versions the way PEP 440 does for the common cases.

    ``2.9.13`` > ``2.9.9``; ``3.0.0`` == ``3``; a pre-release (``3.0.0rc1``, ``3.0.0.dev2``)
    sorts before its release; a local part (``+deb12u1``) and an epoch-less post part are
    ignored for the comparison. Raises ValueError for a string with no release number.
    """
    text = (version or "").strip().lower()
    if text.startswith("v"):
        text = text[1:]
    text = text.split("+", 1)[0]
    release = re.match(r"\d+(\.\d+)*", text)
    if not release:
        raise ValueError(f"not a version: {version!r}")
    numbers = [int(part) for part in _NUMBER.findall(release.group(0))]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    rest = text[release.end():]
    pre = 1 if _PRE_RELEASE.match(rest.lstrip(".-_")) else 0
    return (tuple(numbers), 0 if pre else 1)


def version_at_least(found: str, needed: str) -> bool:
    """True when ``found`` >= ``needed`` (see :func:`version_key`)."""
    return version_key(found) >= version_key(needed)


def installed_version(name: str, alternatives=()) -> tuple:
    """(distribution, version) of the first of ``name``/``alternatives`` installed, else (None, None)."""
    if importlib_metadata is None:
        return None, None
    for candidate in [name, *alternatives]:
        try:
            return candidate, importlib_metadata.version(candidate)
        except importlib_metadata.PackageNotFoundError:
            continue
    return None, None


def judge(requirements: list) -> list:
    """One result per requirement: ``{name, distribution, found, needed, ok, detail}``.

    ``found`` is None for a library that is not installed; ``ok`` is False for a missing
    one, one older than ``needed``, and one whose version string cannot be read.
    """
    results = []
    for requirement in requirements:
        name = requirement["name"]
        needed = requirement["min_version"]
        distribution, found = installed_version(name, requirement.get("alternatives") or [])
        if found is None:
            ok, detail = False, f"{name} is not installed (needed >= {needed})"
        else:
            try:
                ok = version_at_least(found, needed)
            except ValueError:
                ok = False
            shown = name if distribution == name else f"{name} (as {distribution})"
            detail = f"{shown} {found} {'>=' if ok else 'is older than the needed'} {needed}"
        results.append({"name": name, "distribution": distribution, "found": found, "needed": needed,
                        "ok": ok, "detail": detail})
    return results


def select(requirements: list, groups: list) -> list:
    """The requirements without a group, plus those whose group is in ``groups``."""
    return [r for r in requirements if not r.get("group") or r["group"] in groups]


def pip_specifiers(requirements: list) -> list:
    """``name>=min_version`` for each requirement, in order."""
    return [f"{r['name']}>={r['min_version']}" for r in requirements]


def render_requirements_txt(requirements: list | None = None) -> str:
    """The text of meta/target-requirements.txt."""
    requirements = TARGET_REQUIREMENTS if requirements is None else requirements
    lines = [REQUIREMENTS_HEADER.rstrip("\n")]
    for requirement in requirements:
        group = f" [{requirement['group']}]" if requirement.get("group") else ""
        lines.append(f"# {requirement['purpose']}{group}")
        lines.append(f"{requirement['name']}>={requirement['min_version']}")
    return "\n".join(lines) + "\n"
