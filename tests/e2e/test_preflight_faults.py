# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults preflight must catch before anything changes: a production-looking inventory,
a second concurrent rehearsal, a missing .env.staging key, too little free disk.

Each is refused with a non-zero exit and a report whose verdict is failed and whose
preflight phase names the check; the stack, its env file, backups, image tags and data
are exactly as before (container ids and start times compared).
"""

from __future__ import annotations

import subprocess

import pytest

from harness import Expect, stop_process_group

pytestmark = pytest.mark.fast


def test_production_like_inventory_is_refused(stack):
    """An inventory whose database port is production's 5432."""
    inventory = stack.write_inventory(stack.work / "inventory-production-like", {"rehearsal_db_port": 5432})
    before = stack.snapshot()
    run = stack.rehearse("fault-production-like-inventory", inventory=inventory)
    after = stack.snapshot()

    expect = Expect("production-like inventory")
    check = stack.expect_detected(expect, run, "preflight", r"^preflight_aborted$")
    detail = str((check or {}).get("detail", ""))
    expect.that("REFUSED" in detail and "5432" in detail, "the refusal says why (REFUSED, port 5432)", detail[:300])
    stack.expect_nothing_changed(expect, run, before, after)
    expect.check(run)


@pytest.mark.parametrize("tags", ["deploy", "rollback", "backup"])
def test_a_tag_selection_cannot_skip_the_guard(stack, tags):
    """`--tags deploy` against an inventory that names the production API host: the guard
    is tagged always, so the run is refused exactly as the phase playbooks refuse it."""
    inventory = stack.write_inventory(stack.work / "inventory-public-host", {"rehearsal_public_host": "api.footballpred.com"})
    before = stack.snapshot()
    run = stack.rehearse(f"fault-production-host-tags-{tags}", inventory=inventory, extra_args=["--tags", tags])
    after = stack.snapshot()

    expect = Expect(f"--tags {tags} against a production host name")
    check = stack.expect_detected(expect, run, "preflight", r"^preflight_aborted$")
    detail = str((check or {}).get("detail", ""))
    expect.that("REFUSED" in detail and "api.footballpred.com" in detail, "the refusal names the host", detail[:300])
    stack.expect_nothing_changed(expect, run, before, after)
    expect.check(run)


@pytest.mark.parametrize("flags", [["--start-at-task", "Deploy the release"], ["--skip-tags", "always"]])
def test_flags_that_would_skip_the_safety_nets_are_refused(stack, flags):
    """Flags that tags cannot protect against are refused before any task runs."""
    before = stack.snapshot()
    run = stack.rehearse("fault-unsafe-flags-" + flags[0].strip("-"), extra_args=flags)
    after = stack.snapshot()

    expect = Expect(" ".join(flags))
    expect.that(run.returncode != 0, "the run exits non-zero", f"exit {run.returncode}")
    expect.that("REFUSED: nothing was run or changed" in run.output and flags[0] in run.output,
                "the refusal names the flag", run.tail(5))
    expect.equal(after["containers"], before["containers"], "containers unchanged (ids, images, start times)")
    expect.equal(after["env_sha256"], before["env_sha256"], ".env.staging unchanged")
    expect.that(not (stack.lock_dir / "rehearsal.lock").exists(), "no lock was taken")
    expect.check(run)


def test_concurrent_rehearsal_is_refused(stack):
    """A second rehearsal while a live ansible-playbook holds the rehearsal lock."""
    holder, release = stack.hold_lock()
    try:
        before = stack.snapshot()
        holder_record = (stack.lock_dir / "rehearsal.lock").read_text()
        run = stack.rehearse("fault-concurrent-rehearsal")
        after = stack.snapshot()
        lock_after = (stack.lock_dir / "rehearsal.lock").read_text() if (stack.lock_dir / "rehearsal.lock").exists() else ""
        holder_alive = holder.poll() is None
    finally:
        release.touch()
        try:
            holder.wait(120)
        except subprocess.TimeoutExpired:
            stop_process_group(holder)

    expect = Expect("concurrent rehearsal")
    expect.that(run.returncode != 0, "the rehearsal exits non-zero", f"exit {run.returncode}")
    expect.equal(run.verdict, "failed", "verdict")
    expect.equal(run.phase_status("preflight"), "failed", "status of phase preflight")
    check = run.failed_check("preflight", r"^preflight_aborted$")
    detail = str((check or {}).get("detail", ""))
    expect.that("LOCKED" in detail, "preflight names the held lock (LOCKED)", detail[:300])
    expect.that(holder_alive, "the holder was alive during the run")
    expect.equal(lock_after, holder_record, "the holder's lock is left alone by the refused run")
    expect.equal(holder.returncode, 0, "the holder released its lock normally")
    expect.that(not (stack.lock_dir / "rehearsal.lock").exists(), "no lock remains once the holder released it")
    stack.expect_nothing_changed(expect, run, before, after)
    expect.check(run)


def test_missing_env_key_is_refused(stack):
    """.env.staging without STAGING_DB_HOST (a key the spec requires)."""
    env_file = stack.project / ".env.staging"
    original = env_file.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    env_file.write_text("".join(line for line in lines if not line.startswith("STAGING_DB_HOST=")))
    try:
        before = stack.snapshot()
        run = stack.rehearse("fault-missing-env-key")
        after = stack.snapshot()
    finally:
        env_file.write_bytes(original)

    expect = Expect("missing .env.staging key")
    check = stack.expect_detected(expect, run, "preflight", r"^env_file$")
    detail = str((check or {}).get("detail", ""))
    expect.that("STAGING_DB_HOST missing" in detail, "the check names the missing key", detail[:300])
    stack.expect_nothing_changed(expect, run, before, after)
    expect.check(run)


def test_disk_below_threshold_is_refused(stack):
    """Free disk below preflight_min_disk_free_gib (raised past what any disk here has)."""
    before = stack.snapshot()
    run = stack.rehearse("fault-disk-threshold", extra_vars={"preflight_min_disk_free_gib": 1000000})
    after = stack.snapshot()

    expect = Expect("disk below threshold")
    check = stack.expect_detected(expect, run, "preflight", r"^disk_free_gib$")
    expect.that(">= 1000000" in str((check or {}).get("target", "")), "the check shows the threshold",
                str((check or {}).get("target")))
    stack.expect_nothing_changed(expect, run, before, after)
    expect.check(run)
