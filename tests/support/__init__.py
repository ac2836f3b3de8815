# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the test trees and bench/ share: running ansible-playbook (support.playbook), the
Docker environment and child processes (support.processes), the rehearsal lock holder
(support.lock) and an isolated copy of the example stack (support.stack).

Imported as ``support``: tests/conftest.py puts tests/ on sys.path for every pytest run
of this repository, bench/bench.py does the same for itself.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
