# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_argv: `docker compose` with a project's name, directory, files and env file."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleFilterError


def compose_argv(files, project, project_dir, env_file=""):
    """``docker compose --project-name P --project-directory D --file=F... [--env-file D/E]``:
    the command the community.docker modules do not cover (config, logs) starts with it. No
    ``--env-file`` when ``env_file`` is empty."""
    if isinstance(files, str) or not all(isinstance(item, str) for item in files or []):
        raise AnsibleFilterError("compose_argv: the compose files must be a list of paths")
    argv = ["docker", "compose", "--project-name", str(project), "--project-directory", str(project_dir)]
    argv += [f"--file={item}" for item in files]
    if env_file:
        argv += ["--env-file", posixpath.join(str(project_dir), str(env_file))]
    return argv


class FilterModule:
    """docker compose command lines."""

    def filters(self):
        return {"compose_argv": compose_argv}
