# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The database and Redis passwords never appear in any output or report.

The session's passwords are made up for it (e2e-db-secret-<random>,
e2e-redis-secret-<random>), so a match is a leak and nothing else; they are looked for
as-is and inside base64 (at every alignment). Scanned: stdout and stderr of every
rehearsal of the session (the baselines and every fault scenario, whose failures are
where secrets usually slip out), every file the runs wrote under the results dir (report
.md/.html/.json, load test and rollback records), the backup manifests. The config
drill keeps its copy of .env.staging in a private temp dir it deletes, so no copy of it
may be found under the results dir either.

The session's runs use the default verbosity; test_secrets_never_in_verbose_output makes
one more run at -v (the verbosity AWX jobs are often launched with) and scans it.
"""

from __future__ import annotations

import pytest

from harness import Expect


@pytest.mark.fast
def test_secrets_never_in_output_or_reports(stack):
    expect = Expect("secrets in output and reports (default verbosity)")
    env_text = (stack.project / ".env.staging").read_text()
    expect.that(stack.db_password in env_text and stack.redis_password in env_text,
                "the session's passwords are the ones in use (sanity check of the needles)")
    expect.that(len(stack.runs) >= 3, "several rehearsals ran in this session", f"{len(stack.runs)} run(s)")
    leaks, copies = stack.secret_hits()
    expect.equal(leaks, [], f"no password in any of {len(stack.scan_files())} scanned files")
    expect.equal(copies, [], "no copy of the env file under the results dir")
    expect.check(*stack.runs[-1:])


def test_secrets_never_in_verbose_output(stack):
    skip = ["load_test", "rollback"] if stack.fast else []
    known = set(stack.secret_hits()[0])
    run = stack.rehearse("secret-scan-verbose", skip_tags=skip, verbosity=1)
    expect = Expect("secrets in output and reports (-v)")
    expect.that(run.returncode == 0, "the verbose rehearsal itself succeeded", f"exit {run.returncode}")
    leaks = [hit for hit in stack.secret_hits()[0] if hit not in known]
    expect.equal(leaks, [], "no password in the -v run's output and report")
    expect.check(run)
