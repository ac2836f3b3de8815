# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup judge, from fixtures in the shape of the registered results."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import backup

RUN = json.loads((Path(__file__).parent / "fixtures" / "backup" / "backup.json").read_text())
STEPS = ["source fingerprint", "dump", "backup size", "checksum", "file permissions", "gzip integrity",
         "schema objects", "test restore", "restored data matches the source", "scratch database dropped",
         "manifest", "retention"]


@pytest.fixture(name="probes")
def probes_fixture():
    return copy.deepcopy(RUN["probes"])


@pytest.fixture(name="targets")
def targets_fixture():
    return copy.deepcopy(RUN["targets"])


def checks(probes, targets):
    return {item["name"]: item for item in backup.judge(probes, targets)["checks"]}


def test_a_good_backup_passes_every_step_in_order(probes, targets):
    result = backup.judge(probes, targets)
    assert [item["name"] for item in result["checks"]] == STEPS
    assert {item["status"] for item in result["checks"]} == {"passed"}
    by_name = {item["name"]: item for item in result["checks"]}
    assert by_name["source fingerprint"]["target"] == "every table of public readable"
    assert by_name["dump"]["value"] == "47.08 KB gzip (500.91 KB SQL) in 0.84 s"
    assert by_name["retention"]["value"] == "deleted 1 backup(s) (2 files), kept 2, oldest 2.0 days"
    assert by_name["restored data matches the source"]["value"] == "4/4 tables match, 443 rows, digest 0b6f3c5e8d2a"


def test_the_evidence_keeps_its_keys(probes, targets):
    assert set(backup.judge(probes, targets)["evidence"]) == {
        "server_version", "database", "file", "size_bytes", "raw_bytes", "sha256", "dump_duration_s",
        "pg_dump_version", "git_commit", "readback_s", "file_tables", "restore_s", "restored_fingerprint_digest",
        "tables_written_during_dump", "manifest", "backups_kept", "backups_deleted"}


def test_an_unreadable_source_fails_and_stops_the_judging_there(probes, targets):
    probes["source"] = {"changed": False, "ok": False, "is_available": False,
                        "error": "OperationalError: connection refused"}
    for key in ("dump", "source_after", "stat", "dir_stat", "readback", "restore", "restored", "dropdb",
                "scratch_left", "manifest", "expired_deleted", "kept"):
        probes[key] = None
    probes["failure"] = {"task": "Stop when the database cannot be fingerprinted", "msg": "could not"}
    result = backup.judge(probes, targets)
    assert [(item["name"], item["status"], item["value"]) for item in result["checks"]] == [
        ("source fingerprint", "failed", "unavailable")]  # no "backup step": a check failed already
    assert result["checks"][0]["detail"] == "OperationalError: connection refused"
    assert result["evidence"] == {"server_version": "unknown", "database": "football_prediction_staging"}


def test_a_failed_step_without_a_failed_check_is_the_backup_step(probes, targets):
    for key in ("dump", "source_after", "stat", "dir_stat", "readback", "restore", "restored", "dropdb",
                "scratch_left", "manifest", "expired_deleted", "kept"):
        probes[key] = None
    probes["dump"] = {"failed": True, "msg": "no running container for service db of project fp-no-such-project"}
    probes["failure"] = {"task": "Dump the database from the db container into x", "msg": probes["dump"]["msg"] * 20}
    result = backup.judge(probes, targets)
    assert [item["name"] for item in result["checks"]] == ["source fingerprint", "backup step"]
    step = result["checks"][-1]
    assert (step["status"], step["value"], step["target"]) == (
        "failed", "Dump the database from the db container into x", "every step completes")
    assert step["detail"].startswith("no running container") and len(step["detail"]) <= 500


def test_check_mode_skips_the_dump_and_keeps_the_retention(probes, targets):
    probes["check_mode"] = True
    probes["dump"] = {"changed": True, "dest": probes["file"], "container": probes["dump"]["container"],
                      "command": ["pg_dump"], "msg": "would dump database x from container c to f"}
    for key in ("stat", "dir_stat", "readback", "restore", "restored", "dropdb", "scratch_left", "manifest"):
        probes[key] = None
    probes["now"] = probes["now"] + 30 * 86400
    result = checks(probes, targets)
    assert list(result) == ["source fingerprint", "dump", "retention"]
    assert (result["dump"]["status"], result["dump"]["value"]) == ("skipped", "check mode")
    assert result["dump"]["detail"] == "would dump database x from container c to f"
    assert result["retention"]["status"] == "passed"  # too old, but nothing is deleted in check mode


def test_an_old_backup_kept_fails_the_retention(probes, targets):
    probes["now"] = probes["now"] + 30 * 86400
    probes["expired_deleted"] = {"results": [], "skipped": True, "changed": False}
    retention = checks(probes, targets)["retention"]
    assert retention["status"] == "failed" and retention["detail"] == "nothing expired"
    assert retention["value"] == "deleted 0 backup(s) (0 files), kept 2, oldest 32.0 days"


def test_a_file_that_does_not_read_back_fails_its_checks(probes, targets):
    probes["stat"] = {"changed": False, "stat": {"exists": False}}
    probes["dir_stat"]["stat"]["mode"] = "0755"
    probes["readback"].update(rc=1, stderr="gzip: stdin: invalid compressed data--crc error",
                              stdout_lines=["table public.matches"])
    result = checks(probes, targets)
    assert (result["backup size"]["status"], result["backup size"]["value"]) == ("failed", "0.00 Bytes")
    assert (result["checksum"]["status"], result["checksum"]["value"]) == ("failed", "sha256 missing")
    assert result["file permissions"]["value"] == "file missing, directory 0755"
    assert result["file permissions"]["status"] == "failed"
    assert result["gzip integrity"]["status"] == "failed"
    schema = result["schema objects"]
    assert schema["status"] == "failed"
    assert schema["value"] == "1/4 tables have CREATE TABLE, completion trailer missing"
    assert schema["detail"] == "missing: public.alembic_version, public.predictions, public.teams"


def test_an_empty_database_warns_and_expected_tables_are_the_target(probes, targets):
    probes["source"]["fingerprint"]["tables"] = {}
    probes["readback"]["stdout_lines"] = ["complete"]
    schema = checks(probes, targets)["schema objects"]
    assert (schema["status"], schema["value"]) == ("warned", "0/0 tables have CREATE TABLE")
    assert schema["detail"] == "the database has no tables: the backup holds no data"
    targets["expected_tables"] = ["public.teams"]
    probes["readback"]["stdout_lines"] = ["table public.teams", "complete"]
    schema = checks(probes, targets)["schema objects"]
    assert (schema["status"], schema["target"]) == ("passed", "CREATE TABLE for public.teams")


def test_a_failed_restore_fails_and_the_comparison_is_not_run(probes, targets):
    probes["restore"] = {"failed": True, "changed": True, "msg": "psql exited 3: ERROR:  relation exists"}
    probes["restored"] = {"skipped": True, "changed": False}
    result = backup.judge(probes, targets)
    by_name = {item["name"]: item for item in result["checks"]}
    assert (by_name["test restore"]["status"], by_name["test restore"]["value"]) == ("failed", "failed")
    assert by_name["test restore"]["detail"] == "psql exited 3: ERROR:  relation exists"
    assert by_name["restored data matches the source"]["status"] == "not_run"
    assert by_name["restored data matches the source"]["value"] == "not restored"
    assert result["evidence"]["restore_s"] is None and result["evidence"]["restored_fingerprint_digest"] is None


def test_a_restore_that_lost_rows_fails_the_comparison(probes, targets):
    probes["restored"]["fingerprint"]["tables"]["public.alembic_version"] = {"rows": 0, "checksum": "d41d8cd9"}
    match = checks(probes, targets)["restored data matches the source"]
    assert match["status"] == "failed"
    assert match["value"].startswith("3/4 tables match")
    assert match["detail"] == "differ: public.alembic_version 0 1 rows, checksum 5d41402a"


def test_a_table_written_during_the_dump_may_have_any_count_in_between(probes, targets):
    probes["source_after"]["fingerprint"]["tables"]["public.predictions"] = {"rows": 50, "checksum": "other"}
    probes["restored"]["fingerprint"]["tables"]["public.predictions"] = {"rows": 45, "checksum": "third"}
    result = backup.judge(probes, targets)
    match = {item["name"]: item for item in result["checks"]}["restored data matches the source"]
    assert match["status"] == "passed" and match["detail"] == "written during the dump: public.predictions"
    assert result["evidence"]["tables_written_during_dump"] == ["public.predictions"]
    probes["restored"]["fingerprint"]["tables"]["public.predictions"]["rows"] = 51
    match = checks(probes, targets)["restored data matches the source"]
    assert match["status"] == "failed" and match["detail"] == "differ: public.predictions 51 42..50 rows (written during the dump)"


def test_a_scratch_database_left_behind_fails(probes, targets):
    probes["scratch_left"].update(stdout="1")
    probes["dropdb"].update(stderr="dropdb: error: database is being accessed")
    dropped = checks(probes, targets)["scratch database dropped"]
    assert (dropped["status"], dropped["value"]) == ("failed", "1 left")
    assert dropped["detail"] == "dropdb: error: database is being accessed"
    probes["scratch_left"].update(rc=2, stdout="")
    assert checks(probes, targets)["scratch database dropped"]["value"] == "unknown"


def test_a_restore_fingerprint_that_failed_stops_the_restore_checks(probes, targets):
    probes["restored"] = {"failed": True, "msg": "module failure"}
    probes["manifest"] = probes["expired_deleted"] = probes["kept"] = None
    probes["failure"] = {"task": "Fingerprint the restored scratch database", "msg": "module failure"}
    names = [item["name"] for item in backup.judge(probes, targets)["checks"]]
    assert names == STEPS[:7] + ["backup step"]


def test_the_targets_come_from_the_role_options_by_name():
    assert backup.TARGET_VARIABLES == {"database": "rehearsal_db_name",
                                       "fingerprint_schemas": "backup_fingerprint_schemas",
                                       "expected_tables": "backup_expected_tables",
                                       "retention_days": "backup_retention_days"}


def test_the_manifest_holds_the_restored_fingerprint_and_the_verification(probes, targets):
    record = {"status": "passed", "checks": backup.judge(probes, targets)["checks"]}
    options = {"created_at": "2026-01-01T00:00:00+00:00", "environment": "staging", "host": "staging-host",
               "database": "football_prediction_staging", "fingerprint_schemas": ["public"],
               "fingerprint_exclude_tables": [], "verify_restore": True}
    manifest = backup.manifest(probes, record, options)
    restored = probes["restored"]["fingerprint"]
    assert manifest["file"] == probes["file"].rsplit("/", 1)[-1]
    assert manifest["fingerprint"] == {
        "schemas": ["public"], "excluded_tables": [], "digest": restored["digest"],
        "table_count": restored["table_count"], "total_rows": restored["total_rows"], "tables": restored["tables"],
        "taken_from": "test restore of the file", "exact": True}
    assert manifest["size_bytes"] == probes["dump"]["size_bytes"]
    assert manifest["container"] == probes["dump"]["container"]["name"]
    assert manifest["server_version"] == probes["source"]["server_version"]["raw"]
    assert manifest["verification"]["status"] == "passed"
    assert manifest["verification"]["test_restore"] is True
    assert manifest["verification"]["checks"]["test restore"] == "passed"
    latest = backup.published(probes, manifest)
    assert latest == {"path": probes["file"], "manifest": probes["manifest_file"],
                      "sha256": probes["dump"]["sha256"], "size_bytes": probes["dump"]["size_bytes"],
                      "created_at": "2026-01-01T00:00:00+00:00", "fingerprint_digest": restored["digest"],
                      "container": probes["dump"]["container"]["name"]}


def test_without_a_restore_the_manifest_fingerprint_is_the_sources_exact_only_if_it_stood_still(probes):
    probes["restore"], probes["restored"] = None, None
    chosen = backup.manifest_fingerprint(probes)
    assert chosen["fingerprint"] == probes["source"]["fingerprint"]
    assert (chosen["taken_from"], chosen["exact"]) == ("source database (unchanged during the dump)", True)
    probes["source_after"]["fingerprint"]["digest"] = "moved"
    chosen = backup.manifest_fingerprint(probes)
    assert (chosen["taken_from"], chosen["exact"]) == (
        "source database before the dump (changed during it: not exact)", False)
    probes["restore"] = {"failed": True, "msg": "psql exited 3"}
    probes["restored"] = {"skipped": True}
    assert backup.manifest_fingerprint(probes)["exact"] is False


def test_the_commit_is_the_given_one_else_heads_else_unknown(probes):
    probes["git_commit"] = ""
    probes["git_head"] = {"rc": 0, "stdout": "abc123\n"}
    assert backup.git_commit(probes) == "abc123"
    probes["git_head"] = {"rc": 128, "stdout": "", "stderr": "not a git repository"}
    assert backup.git_commit(probes) == "unknown"
    probes["git_commit"] = "feedbeef"
    assert backup.git_commit(probes) == "feedbeef"


def test_the_read_back_lasts_the_commands_delta_unless_given(probes, targets):
    probes.pop("readback_s")
    probes["readback"]["delta"] = "0:00:01.250000"
    result = backup.judge(probes, targets)
    assert result["evidence"]["readback_s"] == 1.25
    assert {item["name"]: item for item in result["checks"]}["gzip integrity"]["value"].endswith("in 1.25 s")
