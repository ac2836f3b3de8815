# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Docker environment of scripts/lib/docker-env.sh, and stopping the children we start."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess

from support import ROOT

DOCKER_ENV_SCRIPT = ROOT / "scripts" / "lib" / "docker-env.sh"


class DockerUnavailable(RuntimeError):
    """No Docker engine answers (or docker has no compose v2 plugin)."""


def docker_env(require: bool = True) -> dict:
    """os.environ as scripts/lib/docker-env.sh leaves it: the caller's engine when it
    answers, else the private one of scripts/local-engine.sh.

    With ``require`` (fp_require_docker) a missing engine or compose plugin raises
    DockerUnavailable with the script's hint; without it, the environment is returned
    as the script sets it and the caller finds out on its first docker command."""
    script = f"source {shlex.quote(str(DOCKER_ENV_SCRIPT))}"
    if require:
        script += " && fp_require_docker"
    done = subprocess.run(["bash", "-c", script + " && env -0"], capture_output=True, check=False)
    if done.returncode != 0:
        raise DockerUnavailable("no Docker engine: " + done.stderr.decode(errors="replace").strip())
    return dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)


def stop_process_group(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM, then SIGKILL, the process group of a child started with start_new_session."""
    for sig, grace in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
