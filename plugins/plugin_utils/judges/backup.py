# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge ``backup``: the dump of the staging database, its file, its test restore, retention.

Each step is judged once its probes are there (``None``: the step was not reached, so
it has no check - the role records the phase after any step, also after a failed one):

- ``source``, ``source_after``: footballpred.rehearsal.db_check with a fingerprint, before
  and after the dump.
- ``dump``: footballpred.rehearsal.db_dump (in check mode it only says what it would do).
- ``stat``, ``dir_stat``: ansible.builtin.stat of the file and of the backup directory;
  ``readback``: ``gzip -dc | awk`` (ansible.builtin.shell; its ``delta`` is the read-back's
  duration, unless ``readback_s`` gives it).
- ``restore``: footballpred.rehearsal.db_restore into the scratch database (errors ignored);
  ``restored``: db_check of the scratch database (skipped when the restore failed);
  ``dropdb``, ``scratch_left``: dropping it and counting what is left (command).
- ``manifest``: the ansible.builtin.copy that wrote the manifest (its fingerprint is
  ``manifest_fingerprint()`` of the same probes).
- ``expired_deleted``: the looped ansible.builtin.file deletions; ``kept``: the
  ansible.builtin.find of the backups kept; ``now``: the time (epoch seconds) to age them.
- ``file``, ``manifest_file``, ``scratch_db``, ``check_mode``; ``git_commit`` (the role's
  option, empty: ``git_head``, the ``git rev-parse HEAD`` command, says it).
- ``failure``: ``{task, msg}`` when a step failed (the role's rescue); it becomes the check
  ``backup step`` unless a check already failed.

Targets: ``database``, ``fingerprint_schemas``, ``expected_tables`` (empty: every table the
source fingerprint found), ``retention_days``; record_phase takes them from TARGET_VARIABLES.

``manifest()`` builds the manifest written beside the dump from the same probes, and
``published()`` the ``backup_latest`` fact.
"""

from __future__ import annotations

import os
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import check, finished, human_readable, judged, truncate

DUMP_NAME_RE = re.compile(r".*\.sql\.gz$")
DAY_S = 86400
_MISSING = object()
TARGET_VARIABLES = {
    "database": "rehearsal_db_name",
    "fingerprint_schemas": "backup_fingerprint_schemas",
    "expected_tables": "backup_expected_tables",
    "retention_days": "backup_retention_days",
}
TAKEN_FROM_RESTORE = "test restore of the file"
TAKEN_FROM_STABLE_SOURCE = "source database (unchanged during the dump)"
TAKEN_FROM_MOVING_SOURCE = "source database before the dump (changed during it: not exact)"


def _fingerprint(result) -> dict:
    return (result or {}).get("fingerprint") or {}


def git_commit(probes: dict) -> str:
    """The commit of the deployed checkout: the one given, else HEAD as git read it, else 'unknown'."""
    given = str(probes.get("git_commit") or "")
    if given:
        return given
    head = probes.get("git_head") or {}
    return str(head.get("stdout", "")).strip() if head.get("rc", 1) == 0 else "unknown"


def _delta_s(delta) -> float | None:
    """Seconds of a command result's ``delta`` (``H:MM:SS.ffffff``)."""
    try:
        hours, minutes, seconds = str(delta).split(":")
        return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)
    except ValueError:
        return None


def _source(probes: dict, targets: dict) -> tuple[list, dict]:
    source = probes.get("source")
    if not finished(source):
        return [], {}
    fingerprint = _fingerprint(source)
    ok = bool(source.get("is_available")) and fingerprint.get("digest") is not None
    if ok:
        value = (f"{fingerprint.get('table_count')} tables, {fingerprint.get('total_rows')} rows, "
                 f"digest {fingerprint['digest'][:12]}")
        detail = (f"PostgreSQL {(source.get('server_version') or {}).get('full')}, fingerprint in "
                  f"{fingerprint.get('latency_ms')} ms")
    else:
        value, detail = "unavailable", source.get("error", "") or fingerprint.get("error", "")
    target = "every table of " + ", ".join(targets.get("fingerprint_schemas") or []) + " readable"
    evidence = {"server_version": (source.get("server_version") or {}).get("raw", "unknown"),
                "database": targets.get("database")}
    return [judged("source fingerprint", ok, value, target, detail)], evidence


def _dump(probes: dict) -> tuple[list, dict]:
    dump = probes.get("dump")
    if not finished(dump):
        return [], {}
    measured = not probes.get("check_mode")
    if measured:
        value = (f"{human_readable(dump.get('size_bytes'))} gzip ({human_readable(dump.get('raw_bytes'))} SQL) "
                 f"in {dump.get('duration_s')} s")
        detail = f"{dump.get('msg', '')} ({len(dump.get('tables') or [])} tables)"
    else:
        value, detail = "check mode", str(dump.get("msg", ""))
    evidence = {"file": probes.get("file"), "size_bytes": dump.get("size_bytes"), "raw_bytes": dump.get("raw_bytes"),
                "sha256": dump.get("sha256"), "dump_duration_s": dump.get("duration_s"),
                "pg_dump_version": dump.get("pg_dump_version"), "git_commit": git_commit(probes)}
    return [check("dump", "passed" if measured else "skipped", value,
                  "pg_dump exits 0 and writes its completion trailer", detail)], evidence


def _verify(probes: dict, targets: dict) -> tuple[list, dict]:
    readback = probes.get("readback")
    if not finished(readback):
        return [], {}
    stat = (probes.get("stat") or {}).get("stat") or {}
    dir_stat = (probes.get("dir_stat") or {}).get("stat") or {}
    sha256 = (probes.get("dump") or {}).get("sha256")
    lines = readback.get("stdout_lines") or []
    complete = "complete" in lines
    file_tables = [line[len("table "):] for line in lines if line.startswith("table ")]
    expected = list(targets.get("expected_tables") or []) or list(_fingerprint(probes.get("source")).get("tables") or {})
    missing = [table for table in dict.fromkeys(expected) if table not in file_tables]
    readback_s = probes.get("readback_s")
    if readback_s is None:
        readback_s = _delta_s(readback.get("delta"))
    size = stat.get("size", 0)
    file_mode, dir_mode = stat.get("mode", "missing"), dir_stat.get("mode", "missing")
    if missing or not complete:
        schema_status = "failed"
    else:
        schema_status = "passed" if expected else "warned"
    if missing:
        schema_detail = "missing: " + ", ".join(missing)
    elif expected:
        schema_detail = "file creates " + ", ".join(file_tables)
    else:
        schema_detail = "the database has no tables: the backup holds no data"
    checks = [
        judged("backup size", size > 0, human_readable(size), "> 0 bytes", f"{size} bytes"),
        judged("checksum", stat.get("checksum", "") == sha256, f"sha256 {stat.get('checksum', 'missing')}",
               f"equals the sha256 computed while writing ({str(sha256)[:12]}...)", f"read back from {probes.get('file')}"),
        judged("file permissions", file_mode == "0600" and dir_mode == "0700",
               f"file {file_mode}, directory {dir_mode}", "file 0600, directory 0700", ""),
        judged("gzip integrity", readback.get("rc") == 0,
               f"gzip -dc exit {readback.get('rc')} in {readback_s} s",
               "exit 0 (CRC and length of the whole file)", truncate(str(readback.get("stderr", "")), 300)),
        check("schema objects", schema_status,
              f"{len(expected) - len(missing)}/{len(expected)} tables have CREATE TABLE"
              + ("" if complete else ", completion trailer missing"),
              "CREATE TABLE for " + ", ".join(expected), schema_detail),
    ]
    return checks, {"readback_s": readback_s, "file_tables": file_tables}


def _rows(table: dict) -> int:
    return table.get("rows") or 0


def _table_comparison(name: str, before: dict, after: dict, got: dict) -> dict:
    """How one restored table compares with the source before and after the dump. A table
    that stood still must come back identical; one written to during the dump must come
    back with a row count between its counts before and after."""
    stable = (before.get("checksum") == after.get("checksum") and before.get("rows") == after.get("rows"))
    low, high = sorted((_rows(before), _rows(after)))
    rows = got.get("rows")
    if rows is None:
        ok = False
    elif stable:
        ok = (got.get("checksum", _MISSING) == before.get("checksum", _MISSING)
              and rows == before.get("rows", _MISSING))
    else:
        ok = low <= int(rows) <= high
    if stable:
        expected = f"{before.get('rows', '?')} rows, checksum {str(before.get('checksum', '?'))[:8]}"
    else:
        expected = f"{low}..{high} rows (written during the dump)"
    return {"table": name, "stable": stable, "restored_rows": rows, "ok": ok, "expected": expected}


def _restore(probes: dict) -> tuple[list, dict]:
    restore, restored, scratch_left = probes.get("restore"), probes.get("restored"), probes.get("scratch_left")
    if not finished(scratch_left) or (isinstance(restored, dict) and restored.get("failed")):
        return [], {}
    restore = restore or {}
    restore_ok = not restore.get("failed")
    restored_fp = _fingerprint(restored) if finished(restored) else {}
    restored_ok = restore_ok and restored_fp.get("digest") is not None
    comparison = []
    if restore_ok:
        before_tables = _fingerprint(probes.get("source")).get("tables") or {}
        after_tables = _fingerprint(probes.get("source_after")).get("tables") or {}
        got_tables = restored_fp.get("tables") or {}
        for name in sorted(dict.fromkeys([*before_tables, *got_tables]), key=str.lower):
            comparison.append(_table_comparison(name, before_tables.get(name) or {}, after_tables.get(name) or {},
                                                got_tables.get(name) or {}))
    moving = [item["table"] for item in comparison if not item["stable"]]
    wrong = [item for item in comparison if not item["ok"]]
    scratch_db = probes.get("scratch_db")
    container = (probes.get("container") or (restore.get("container") or {}).get("name")
                 or ((probes.get("dump") or {}).get("container") or {}).get("name"))

    if restore_ok:
        restore_value = (f"restored {human_readable(restore.get('raw_bytes', 0))} of SQL in "
                         f"{restore.get('duration_s')} s")
        restore_detail = (f"into scratch database {scratch_db} in {container}, "
                          f"{len(restore.get('tables') or [])} tables")
    else:
        restore_value, restore_detail = "failed", truncate(str(restore.get("msg", "")), 500)
    if not restored_ok:
        match_status, match_value = "not_run", "not restored"
    else:
        match_status = "passed" if not wrong else "failed"
        match_value = (f"{len(comparison) - len(wrong)}/{len(comparison)} tables match, "
                       f"{restored_fp.get('total_rows')} rows, digest {restored_fp['digest'][:12]}")
    if wrong:
        match_detail = "differ: " + "; ".join(f"{item['table']} {item['restored_rows']} {item['expected']}"
                                              for item in wrong)
    elif moving:
        match_detail = "written during the dump: " + ", ".join(moving)
    else:
        match_detail = "the data stood still during the dump: the fingerprints are identical"
    left = str(scratch_left.get("stdout", "")).strip()
    dropped_detail = f"{(probes.get('dropdb') or {}).get('stderr', '')} {scratch_left.get('stderr', '')}".strip()

    checks = [
        judged("test restore", restore_ok, restore_value,
               "checksum verified, the whole dump restores in one transaction (ON_ERROR_STOP)", restore_detail),
        check("restored data matches the source", match_status, match_value,
              "tables unchanged during the dump identical (rows and checksum), tables written during it "
              "within their row counts before and after", match_detail),
        judged("scratch database dropped", scratch_left.get("rc") == 0 and left == "0",
               f"{left} left" if scratch_left.get("rc") == 0 else "unknown", f"0 databases named {scratch_db}",
               truncate(dropped_detail, 300)),
    ]
    evidence = {"restore_s": restore.get("duration_s"), "restored_fingerprint_digest": restored_fp.get("digest"),
                "tables_written_during_dump": moving}
    return checks, evidence


def manifest_fingerprint(probes: dict) -> dict:
    """The fingerprint that describes the data in the file: that of the test-restored copy when
    there is one, else the source's before the dump, exact only when the source stood still
    during it. ``{fingerprint, taken_from, exact}``."""
    restored = _fingerprint(probes.get("restored"))
    from_restore = not (probes.get("restore") or {}).get("failed") and restored.get("digest") is not None
    source = _fingerprint(probes.get("source"))
    stable = _fingerprint(probes.get("source_after")).get("digest") == source.get("digest")
    if from_restore:
        return {"fingerprint": restored, "taken_from": TAKEN_FROM_RESTORE, "exact": True}
    return {"fingerprint": source, "taken_from": TAKEN_FROM_STABLE_SOURCE if stable else TAKEN_FROM_MOVING_SOURCE,
            "exact": stable}


def manifest(probes: dict, record: dict, options: dict) -> dict:
    """The manifest written beside the dump. ``record`` is the phase judged so far (a restore
    should prefer a backup that passed its checks); ``options``: ``created_at``,
    ``environment``, ``host``, ``database``, ``fingerprint_schemas``,
    ``fingerprint_exclude_tables``, ``verify_restore``."""
    dump = probes.get("dump") or {}
    chosen = manifest_fingerprint(probes)
    fingerprint = chosen["fingerprint"]
    return {
        "manifest_version": 1,
        "file": os.path.basename(str(probes.get("file"))),
        "created_at": options.get("created_at"),
        "environment": options.get("environment"),
        "host": options.get("host"),
        "database": options.get("database"),
        "container": (dump.get("container") or {}).get("name"),
        "format": "plain SQL, gzip",
        "size_bytes": dump.get("size_bytes"),
        "raw_bytes": dump.get("raw_bytes"),
        "sha256": dump.get("sha256"),
        "dump_duration_s": dump.get("duration_s"),
        "server_version": ((probes.get("source") or {}).get("server_version") or {}).get("raw"),
        "pg_dump_version": dump.get("pg_dump_version"),
        "git_commit": git_commit(probes),
        "tables": dump.get("tables"),
        "fingerprint": {
            "schemas": options.get("fingerprint_schemas"),
            "excluded_tables": options.get("fingerprint_exclude_tables"),
            "digest": fingerprint.get("digest"),
            "table_count": fingerprint.get("table_count"),
            "total_rows": fingerprint.get("total_rows"),
            "tables": fingerprint.get("tables"),
            "taken_from": chosen["taken_from"],
            "exact": chosen["exact"],
        },
        "source_fingerprints": {
            "before_dump": _fingerprint(probes.get("source")).get("digest"),
            "after_dump": _fingerprint(probes.get("source_after")).get("digest"),
        },
        # How this backup fared in its own checks: a restore should prefer a passed one.
        "verification": {
            "status": (record or {}).get("status"),
            "test_restore": boolean(options.get("verify_restore") or False, strict=False),
            "checks": {item.get("name"): item.get("status") for item in (record or {}).get("checks") or []},
        },
    }


def published(probes: dict, written: dict) -> dict:
    """``backup_latest``, what later phases (a rollback) read of this backup: its files, its
    checksum and size, and the fingerprint of ``written``, the manifest beside it."""
    dump = probes.get("dump") or {}
    return {
        "path": probes.get("file"),
        "manifest": probes.get("manifest_file"),
        "sha256": dump.get("sha256"),
        "size_bytes": dump.get("size_bytes"),
        "created_at": written.get("created_at"),
        "fingerprint_digest": (written.get("fingerprint") or {}).get("digest"),
        "container": (dump.get("container") or {}).get("name"),
    }


def _manifest(probes: dict) -> tuple[list, dict]:
    if not finished(probes.get("manifest")):
        return [], {}
    manifest_file = str(probes.get("manifest_file"))
    chosen = manifest_fingerprint(probes)
    fingerprint = {"digest": chosen["fingerprint"].get("digest"), "taken_from": chosen["taken_from"]}
    detail = (f"git commit {git_commit(probes)}, fingerprint {str(fingerprint.get('digest'))[:12]} "
              f"from the {fingerprint.get('taken_from')}")
    return ([check("manifest", "passed", os.path.basename(manifest_file),
                   "manifest with time, versions, commit, size, sha256 and fingerprint beside the dump", detail)],
            {"manifest": manifest_file})


def _retention(probes: dict, targets: dict) -> tuple[list, dict]:
    kept_found = probes.get("kept")
    if not finished(kept_found):
        return [], {}
    deleted = [str(item.get("path")) for item in (probes.get("expired_deleted") or {}).get("results") or []
               if item.get("changed")]
    deleted_dumps = [path for path in deleted if DUMP_NAME_RE.match(path)]
    files = kept_found.get("files") or []
    kept = [os.path.basename(item["path"]) for item in sorted(files, key=lambda item: item["mtime"])]
    oldest_days = round((float(probes["now"]) - min(item["mtime"] for item in files)) / DAY_S, 2) if files else 0
    days = targets.get("retention_days")
    ok = oldest_days <= float(days) or bool(probes.get("check_mode"))
    detail = ("deleted: " + ", ".join(os.path.basename(path) for path in deleted)) if deleted else "nothing expired"
    return ([judged("retention", ok,
                    f"deleted {len(deleted_dumps)} backup(s) ({len(deleted)} files), kept {len(kept)}, "
                    f"oldest {oldest_days} days",
                    f"no backup older than {days} days", detail)],
            {"backups_kept": len(kept), "backups_deleted": len(deleted_dumps)})


def judge(probes: dict, targets: dict) -> dict:
    """The checks of the backup, in the order of its steps; a failed step last."""
    checks: list = []
    evidence: dict = {}
    for part in (lambda: _source(probes, targets), lambda: _dump(probes), lambda: _verify(probes, targets),
                 lambda: _restore(probes), lambda: _manifest(probes), lambda: _retention(probes, targets)):
        part_checks, part_evidence = part()
        checks += part_checks
        evidence.update(part_evidence)
    failure = probes.get("failure")
    if failure and not any(item["status"] == "failed" for item in checks):
        checks.append(check("backup step", "failed", failure.get("task", "unknown task"), "every step completes",
                            truncate(str(failure.get("msg", "")), 500)))
    return {"checks": checks, "evidence": evidence}
