# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every molecule scenario of extensions/molecule, as a user runs it: `molecule test -s NAME`.

The report scenario needs nothing; the others run the roles against the real local stack
(deployed twice, so a previous release exists: run after tests/integration/roles). Without a
healthy stack they skip, unless FP_REQUIRE_STACK=1 makes that a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from support import ROOT
from support.processes import docker_env

SCENARIOS_DIR = ROOT / "extensions" / "molecule"
SCENARIOS = sorted(path.name for path in SCENARIOS_DIR.iterdir() if (path / "molecule.yml").is_file())
WITHOUT_STACK = {"report"}
TIMEOUT_S = 900


def stack_is_up() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:8001/health", timeout=5) as response:  # noqa: S310
            return json.load(response).get("status") == "healthy"
    except (OSError, ValueError):
        return False


def test_every_role_has_a_scenario():
    roles = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "tasks").is_dir())
    assert SCENARIOS == roles


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    if scenario not in WITHOUT_STACK and not stack_is_up():
        if os.environ.get("FP_REQUIRE_STACK") == "1":
            pytest.fail("the local staging stack is not healthy on 127.0.0.1:8001", pytrace=False)
        pytest.skip("the local staging stack is not healthy on 127.0.0.1:8001")
    bin_dir = Path(sys.executable).parent  # molecule runs the venv's ansible-playbook
    env = {**docker_env(require=False), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1"}
    proc = subprocess.run([str(bin_dir / "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]
