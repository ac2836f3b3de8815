# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A corrupted backup file must stop the rehearsal before the deploy.

How the fault is injected: the backup role's db_dump module streams pg_dump into a
temporary file, hashes it while writing, and renames it to staging_db_<ts>.sql.gz when
pg_dump is done; the role then reads the file back (sha256 against the hash taken while
writing, `gzip -dc` over the whole stream, CREATE TABLE list) and test-restores it into a
scratch database. A watcher thread started by the test flips 64 bytes in the middle of
the new dump the moment its final name appears, i.e. after it was written and before it
is read back: what bit rot, a bad disk or tampering does to a backup at rest. A hook
(before_deploy) would come too late: the backup phase is over by then.
"""

from __future__ import annotations

from harness import Expect, FileCorrupter


def test_corrupted_backup_stops_before_deploy(stack):
    before = stack.snapshot()
    corrupter = FileCorrupter(stack.backup_dir)
    corrupter.start()
    try:
        run = stack.rehearse("fault-corrupted-backup")
    finally:
        corrupter.stop.set()
        corrupter.join(5)
    after = stack.snapshot()

    expect = Expect("corrupted backup")
    expect.that("offset" in corrupter.corrupted, "the fault was injected (the new dump was corrupted)",
                str(corrupter.corrupted))
    stack.expect_detected(expect, run, "backup", r"^checksum$")
    for name in (r"^gzip integrity$", r"^test restore$"):
        expect.that(run.failed_check("backup", name) is not None, f"backup check /{name}/ failed too",
                    str([c.get("name") for c in run.checks("backup", "failed")]))
    expect.that(run.phase_status("deploy") not in ("passed", "warned", "failed"), "the deploy never started",
                f"deploy: {run.phase_status('deploy')}")
    expect.that("rollback" not in run.phases, "no rollback was needed (nothing changed)", str(list(run.phases)))
    expect.equal(after["containers"], before["containers"], "containers unchanged (ids, images, start times)")
    expect.equal(after["env_sha256"], before["env_sha256"], ".env.staging unchanged")
    expect.equal(after["tags"], before["tags"], "app image tags unchanged")
    expect.equal(after["fingerprint"], before["fingerprint"], "no data lost: database fingerprint unchanged")
    # A rollback must never pick the corrupted dump: its manifest, if written, says so.
    manifests = [stack.backup_dir / name for name in after["backups"]
                 if name.endswith(".manifest.json") and name not in before["backups"]]
    for manifest in manifests:
        text = manifest.read_text()
        expect.that('"status": "failed"' in text, f"{manifest.name} records the failed verification", text[-400:])
    expect.check(run)
