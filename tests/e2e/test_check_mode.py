# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ansible-playbook rehearsal.yml --check`: exit 0, change nothing, report what would run.

The run is the real rehearsal with --check against the e2e stack (release 2 in service).
It must exit 0 with none of the false failures check mode used to produce (k6's
"Unable to change directory", "Automatic rollback failed", "report ... was not written"),
leave the stack exactly as it was (containers' ids and start times, app image ids of every
tag, env file sha256, backups, the database fingerprint and the list of databases), and
write a report whose verdict is check_mode and which lists the phases it skipped, none of
them as passed. The report files are the one change a check-mode run makes.
"""

from __future__ import annotations

import pytest

from harness import DB_USER, PORTS, Expect

pytestmark = pytest.mark.fast

# Phases that change the stack: check mode records them as skipped, none of their checks run.
SKIPPED_PHASES = ["load_test", "rollback_container", "rollback_database", "rollback_config", "post_rollback"]
# Read-only phases: their checks run in check mode too.
RAN_PHASES = ["preflight", "health"]
FALSE_FAILURES = ["Unable to change directory", "Automatic rollback failed", "was not written"]


def database_names(stack) -> list[str]:
    import psycopg2  # pylint: disable=import-outside-toplevel

    connection = psycopg2.connect(host="127.0.0.1", port=PORTS["db"], dbname="postgres", user=DB_USER,
                                  password=stack.db_password, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def test_check_mode_changes_nothing_and_reports_what_would_run(stack):
    before = stack.snapshot()
    dbs_before = database_names(stack)
    results_before = {p.name for p in stack.results_dir.rglob("*")}
    run = stack.rehearse("check-mode", extra_args=["--check"], timeout=900)
    after = stack.snapshot()
    dbs_after = database_names(stack)
    results_after = {p.name for p in stack.results_dir.rglob("*")}

    expect = Expect("check mode")
    expect.equal(run.returncode, 0, "ansible-playbook --check exit code")
    output = run.output
    for needle in FALSE_FAILURES:
        expect.that(needle not in output, f"no false failure '{needle}' in the output",
                    output[max(0, output.find(needle) - 300): output.find(needle) + 200] if needle in output else "")
    expect.that(bool(run.report), "a JSON report was written", str(run.report_paths.get("json", "none")))
    expect.that(len(run.report_paths) == 3 and all(p.is_file() for p in run.report_paths.values()),
                "the Markdown and HTML reports were written too", str(run.report_paths))

    verdict = run.report.get("verdict") or {}
    expect.equal(verdict.get("status"), "check_mode", "verdict status")
    expect.equal(verdict.get("check_mode"), True, "verdict.check_mode")
    expect.equal(verdict.get("ready_for_production"), False, "a check-mode run never claims readiness")
    expect.that("Check mode" in str(verdict.get("summary")), "the verdict's summary says check mode",
                str(verdict.get("summary")))
    expect.equal(verdict.get("failures"), [], "no failure in the verdict")
    expect.equal((run.report.get("check_mode") or {}).get("enabled"), True, "report.check_mode.enabled")

    skipped_phases = verdict.get("skipped_phases") or []
    for phase in SKIPPED_PHASES:
        expect.that(phase in skipped_phases, f"phase {phase} listed as skipped", str(skipped_phases))
        expect.that(run.phase_status(phase) in ("skipped", "not_run"), f"phase {phase} recorded as skipped/not run",
                    run.phase_status(phase))
        ran = [c.get("name") for c in run.checks(phase) if c.get("status") in ("passed", "warned", "failed")]
        expect.equal(ran, [], f"no check of {phase} reported as run")
    # No backup is made, so the phase is not passed, though its source fingerprint ran.
    expect.equal(run.phase_status("backup"), "skipped", "phase backup recorded as skipped (no dump made)")
    # The deploy records the state it found (read-only: commit, containers) and is itself not run.
    expect.that(run.phase_status("deploy") in ("skipped", "not_run"), "phase deploy recorded as not run",
                run.phase_status("deploy"))
    deploy = [c for c in run.checks("deploy") if c.get("name") == "deploy"]
    expect.that(len(deploy) == 1 and deploy[0].get("status") in ("skipped", "not_run")
                and "would" in str(deploy[0].get("detail")),
                "the deploy check is not run and says what would change", str(deploy))
    expect.that(any(row.get("phase") == "deploy" and row.get("check") == "deploy" for row in verdict.get("skipped") or []),
                "the verdict lists the deploy as skipped", "")
    for phase in RAN_PHASES:
        expect.that(phase in (verdict.get("ran_phases") or []), f"read-only phase {phase} ran",
                    str(verdict.get("ran_phases")))
        expect.that(run.phase_status(phase) in ("passed", "warned"), f"phase {phase} passed or warned",
                    run.phase_status(phase))
    skipped_rows = verdict.get("skipped") or []
    expect.that(any(row.get("phase") == "load_test" and "would run" in str(row.get("detail")) for row in skipped_rows),
                "the load test's skip says what would run", str(skipped_rows)[:400])
    expect.that(any(row.get("phase") == "rollback_database" and "would" in str(row.get("detail"))
                    for row in skipped_rows), "the database drill's skip says what it would do", "")
    failed = [f"{name}: {c.get('name')}" for name, phase in run.phases.items()
              for c in phase.get("checks", []) if c.get("status") == "failed"]
    expect.equal(failed, [], "no check failed")
    expect.that("rollback" not in run.phases, "no automatic rollback ran", str(list(run.phases)))
    expect.that(not (run.report.get("rehearsal_results", {}).get("run", {}) or {}).get("failure"),
                "the run did not stop at a task", str(run.report.get("rehearsal_results", {}).get("run")))
    markdown = run.report_paths["md"].read_text() if "md" in run.report_paths else ""
    expect.that("Check mode (`--check`)" in markdown, "the Markdown report says check mode", "")

    # Nothing changed.
    expect.equal(after["containers"], before["containers"], "containers unchanged (ids, images, start times)")
    expect.equal(after["app_image"], before["app_image"], "the app container's image id unchanged")
    expect.equal(after["tags"], before["tags"], "app image tags and their ids unchanged")
    expect.equal(after["env_sha256"], before["env_sha256"], ".env.staging unchanged (sha256)")
    expect.equal(after["backups"], before["backups"], "no backup written or removed")
    expect.equal(after["fingerprint"], before["fingerprint"], "database fingerprint unchanged")
    expect.equal(dbs_after, dbs_before, "no database created or dropped")
    expect.equal(after["health"], before["health"], "/health reports the same release")
    new_files = sorted(results_after - results_before)
    reports = {p.name for p in run.report_paths.values()}
    expect.equal([name for name in new_files if name not in reports], [],
                 "no file but the report written under the results dir")
    lock = stack.lock_dir / "rehearsal.lock"
    expect.that(not lock.exists(), "no rehearsal lock left behind", "")
    expect.check(run)
