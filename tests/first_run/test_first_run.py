# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's main command as a newcomer meets it (scripts/test.sh first-run).

A clone of this repository in a path with a space, `make -C <clone> rehearsal` started
from another working directory, on an engine where the staging stack's containers,
volumes and app images were removed first. The run must establish the baseline release,
then rehearse the upgrade with verdict passed or warned. Opt-in (FP_FIRST_RUN=1): it
destroys the local staging stack.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from support import ROOT
from support.processes import docker_env

PROJECT = "football-prediction-staging"
APP_IMAGE = "football-prediction"

pytestmark = pytest.mark.skipif(os.environ.get("FP_FIRST_RUN") != "1",
                                reason="destroys the local staging stack: run scripts/test.sh first-run")


def docker(env: dict, *args: str) -> str:
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, check=True).stdout


def remove_the_staging_system(env: dict) -> None:
    subprocess.run([str(ROOT / "scripts/stack.sh"), "down", "--volumes"], env=env, check=True,
                   capture_output=True)
    images = docker(env, "image", "ls", APP_IMAGE, "--format", "{{.Repository}}:{{.Tag}}").split()
    if images:
        docker(env, "image", "rm", "--force", *images)


def test_make_rehearsal_from_a_clone_in_a_path_with_a_space_with_no_stack(tmp_path):
    env = docker_env()
    remove_the_staging_system(env)
    assert not docker(env, "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").split()
    assert not docker(env, "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").split()
    assert not docker(env, "image", "ls", "-q", APP_IMAGE).split()

    clone = tmp_path / "first run" / "football pred"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = tmp_path / "make-rehearsal.log"
    with log.open("wb") as out:
        done = subprocess.run(["make", "-C", str(clone), "rehearsal"], cwd=elsewhere, env=env,
                              stdout=out, stderr=subprocess.STDOUT, timeout=2400, check=False)
    output = log.read_text(errors="replace")
    print(output[-6000:])

    assert done.returncode == 0, output[-3000:]
    assert "no staging system exists yet" in output and "baseline release" in output
    reports = sorted((clone / "rehearsal_results").glob("staging_rehearsal_*.json"))
    assert len(reports) == 1, reports
    report = json.loads(reports[0].read_text())
    assert report["verdict"]["status"] in ("passed", "warned"), report["verdict"]
    phases = report["rehearsal_results"]["phases"]
    for phase in ("preflight", "backup", "deploy", "health", "functional", "load_test"):
        assert phases[phase]["status"] in ("passed", "warned"), (phase, phases[phase]["status"])
    # The upgrade went from the baseline (N-1, now staging-previous, the rollback drill's
    # target) to the release built from this source (staging-latest); the stack is healthy.
    health = json.loads(subprocess.run(["curl", "-fsS", "http://127.0.0.1:8001/health"], capture_output=True,
                                       check=True, text=True).stdout)
    assert health["status"] == "healthy", health
    version = (clone / "examples/football-prediction/VERSION").read_text().strip()

    def image_version(tag: str) -> str:
        return docker(env, "image", "inspect", f"{APP_IMAGE}:{tag}", "--format",
                      "{{ index .Config.Labels \"org.opencontainers.image.version\" }}").strip()

    assert image_version("staging-latest") == version
    assert image_version("staging-previous") == f"{version}-baseline"
