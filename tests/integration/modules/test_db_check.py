# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import uuid

import pytest

psycopg2 = pytest.importorskip("psycopg2")


def connect(target):
    connection = psycopg2.connect(host=target["host"], port=target["port"], user=target["user"],
                                  password=target["password"], dbname=target["name"], connect_timeout=5)
    connection.autocommit = True
    return connection


def connection_args(target, **extra):
    return dict(dict(login_host=target["host"], login_port=target["port"], login_user=target["user"],
                     login_db=target["name"]), **extra)


def probe_tables(target) -> list:
    with connect(target) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT schemaname || '.' || tablename FROM pg_tables WHERE tablename LIKE 'fp_rehearsal_probe%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def scratch_schema(db_target):
    """A schema with two small tables (one without primary key), dropped afterwards."""
    schema = "fp_it_%s" % uuid.uuid4().hex[:10]
    connection = connect(db_target)
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA %s" % schema)
        cursor.execute("CREATE TABLE %s.teams (id int PRIMARY KEY, name text, rating numeric(6,2), "
                       "founded timestamptz)" % schema)
        cursor.execute("INSERT INTO %s.teams SELECT g, 'team ' || g, g * 1.5, "
                       "'2000-01-01'::timestamptz + g * interval '1 day' FROM generate_series(1, 50) g" % schema)
        cursor.execute("CREATE TABLE %s.events (kind text, payload jsonb)" % schema)
        cursor.execute("INSERT INTO %s.events VALUES ('goal', '{\"minute\": 12}'), ('card', NULL), "
                       "('goal', '{\"minute\": 12}')" % schema)
    yield schema, connection
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        cursor.execute("DROP SCHEMA IF EXISTS %s_copy CASCADE" % schema)
    connection.close()


def test_live_database_answers(ansible_module, db_target):
    checked = ansible_module("db_check", connection_args(db_target), check=True)
    real = ansible_module("db_check", connection_args(db_target))

    for run in (checked, real):
        assert run.returncode == 0, run.output
        result = run.result
        assert result["changed"] is False
        assert result["ok"] is True and result["is_available"] is True, result["error"]
        assert result["server_version"]["major"] >= 15
        assert result["select_one"]["ok"] is True and result["select_one"]["latency_ms"] > 0
        assert result["connections"]["total"] >= 1 and result["connections"]["max_connections"] > 0
        assert result["database"]["name"] == db_target["name"]
    assert db_target["password"] not in real.output


def test_crud_probe_writes_and_leaves_nothing_behind(ansible_module, db_target):
    run = ansible_module("db_check", connection_args(db_target, crud_probe=True))

    probe = run.result["crud_probe"]
    assert probe["status"] == "passed", probe
    assert all(step["ok"] for step in probe["steps"].values())
    assert probe["cleaned_up"] is True
    assert probe_tables(db_target) == []
    assert run.result["changed"] is False


def test_crud_probe_in_check_mode_writes_nothing(ansible_module, db_target):
    run = ansible_module("db_check", connection_args(db_target, crud_probe=True), check=True)

    assert run.result["crud_probe"]["status"] == "skipped"
    assert run.result["ok"] is True


def test_crud_probe_in_a_missing_schema_fails_and_cleans_up(ansible_module, db_target):
    run = ansible_module("db_check", connection_args(db_target, crud_probe=True, probe_schema="no_such_schema"))

    probe = run.result["crud_probe"]
    assert run.returncode == 0 and run.failed is False
    assert probe["status"] == "failed" and probe["reason"].startswith("create:")
    assert probe["steps"]["write"]["error"] == "not run: create failed"
    assert probe["cleaned_up"] is True
    assert run.result["ok"] is False


def test_fingerprint_proves_equal_data_and_detects_changes(ansible_module, db_target, scratch_schema):
    schema, connection = scratch_schema
    args = connection_args(db_target, fingerprint_schemas=[schema])

    before = ansible_module("db_check", args).result["fingerprint"]
    assert before["table_count"] == 2 and before["total_rows"] == 53
    assert before["tables"]["%s.teams" % schema]["ordered_by"] == "primary_key"
    assert before["tables"]["%s.events" % schema]["ordered_by"] == "row_text"
    again = ansible_module("db_check", args, check=True).result["fingerprint"]
    assert again["digest"] == before["digest"]

    with connection.cursor() as cursor:
        cursor.execute("UPDATE %s.teams SET rating = rating + 0.01 WHERE id = 7" % schema)
    changed = ansible_module("db_check", args).result["fingerprint"]
    assert changed["digest"] != before["digest"]
    assert changed["tables"]["%s.teams" % schema]["rows"] == 50
    assert changed["tables"]["%s.teams" % schema]["checksum"] != before["tables"]["%s.teams" % schema]["checksum"]
    assert changed["tables"]["%s.events" % schema] == before["tables"]["%s.events" % schema]

    with connection.cursor() as cursor:
        cursor.execute("UPDATE %s.teams SET rating = rating - 0.01 WHERE id = 7" % schema)
    restored = ansible_module("db_check", args).result["fingerprint"]
    assert restored["digest"] == before["digest"]


def test_fingerprint_ignores_physical_row_order(ansible_module, db_target, scratch_schema):
    """A restore writes rows in another physical order; the checksum must not care."""
    schema, connection = scratch_schema
    copy = schema + "_copy"
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA %s" % copy)
        cursor.execute("CREATE TABLE %s.teams (LIKE %s.teams INCLUDING ALL)" % (copy, schema))
        cursor.execute("INSERT INTO %s.teams SELECT * FROM %s.teams ORDER BY id DESC" % (copy, schema))
        cursor.execute("CREATE TABLE %s.events AS SELECT * FROM %s.events ORDER BY kind DESC" % (copy, schema))

    original = ansible_module("db_check", connection_args(db_target, fingerprint_schemas=[schema])).result
    copied = ansible_module("db_check", connection_args(db_target, fingerprint_schemas=[copy])).result
    for table in ("teams", "events"):
        left = original["fingerprint"]["tables"]["%s.%s" % (schema, table)]
        right = copied["fingerprint"]["tables"]["%s.%s" % (copy, table)]
        assert (left["rows"], left["checksum"]) == (right["rows"], right["checksum"])


def table_checksums(result: dict, schema: str) -> dict:
    tables = result["fingerprint"]["tables"]
    return {name.split(".", 1)[1]: (entry["rows"], entry["checksum"]) for name, entry in tables.items()
            if name.startswith(schema + ".")}


@pytest.mark.parametrize("method, prefix", [("unordered", "sum:"), ("unordered_record", "rsum:")])
def test_unordered_fingerprint_ignores_order_and_detects_every_change(ansible_module, db_target, scratch_schema,
                                                                      method, prefix):
    """Same rows in another order: same checksums. A changed, missing or extra row: another one."""
    schema, connection = scratch_schema
    copy = schema + "_copy"
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA %s" % copy)
        cursor.execute("CREATE TABLE %s.teams (LIKE %s.teams INCLUDING ALL)" % (copy, schema))
        cursor.execute("INSERT INTO %s.teams SELECT * FROM %s.teams ORDER BY id DESC" % (copy, schema))
        cursor.execute("CREATE TABLE %s.events AS SELECT * FROM %s.events ORDER BY kind DESC" % (copy, schema))

    def unordered(target_schema):
        run = ansible_module("db_check", connection_args(db_target, fingerprint_schemas=[target_schema],
                                                         fingerprint_method=method))
        assert run.result["ok"] is True, run.output
        return run.result

    original = unordered(schema)
    assert original["fingerprint"]["method"] == method
    assert original["fingerprint"]["tables"]["%s.teams" % schema]["ordered_by"] == "none"
    assert original["fingerprint"]["tables"]["%s.teams" % schema]["checksum"].startswith(prefix)
    before = table_checksums(original, schema)
    assert before == table_checksums(unordered(copy), copy)
    assert before["teams"][0] == 50 and before["events"][0] == 3

    changes = [  # (statement on the copy, table it changes, statement that undoes it)
        ("UPDATE {s}.teams SET name = 'team 7 ' WHERE id = 7", "teams",
         "UPDATE {s}.teams SET name = 'team 7' WHERE id = 7"),
        ("UPDATE {s}.teams SET rating = 10.51 WHERE id = 7", "teams",
         "UPDATE {s}.teams SET rating = 10.50 WHERE id = 7"),
        ("DELETE FROM {s}.teams WHERE id = 50", "teams",
         "INSERT INTO {s}.teams VALUES (50, 'team 50', 75.00, '2000-01-01'::timestamptz + 50 * interval '1 day')"),
        ("INSERT INTO {s}.events VALUES ('goal', '{{\"minute\": 12}}')", "events",
         "DELETE FROM {s}.events WHERE ctid IN (SELECT ctid FROM {s}.events WHERE kind = 'goal' LIMIT 1)"),
        ("UPDATE {s}.events SET payload = NULL WHERE kind = 'goal'", "events",
         "UPDATE {s}.events SET payload = '{{\"minute\": 12}}' WHERE kind = 'goal'"),
    ]
    for change, table, undo in changes:
        with connection.cursor() as cursor:
            cursor.execute(change.format(s=copy))
        after = table_checksums(unordered(copy), copy)
        assert after[table] != before[table], change
        assert all(after[other] == before[other] for other in before if other != table), change
        with connection.cursor() as cursor:
            cursor.execute(undo.format(s=copy))
    assert table_checksums(unordered(copy), copy) == before


def test_record_fingerprint_falls_back_to_row_text_without_hash_functions(ansible_module, db_target, scratch_schema):
    schema, connection = scratch_schema
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE %s.raw_events (id int PRIMARY KEY, body json)" % schema)
        cursor.execute("INSERT INTO %s.raw_events VALUES (1, '{\"a\": 1}'), (2, '[]')" % schema)
    args = connection_args(db_target, fingerprint_schemas=[schema])
    record = ansible_module("db_check", dict(args, fingerprint_method="unordered_record")).result["fingerprint"]
    text = ansible_module("db_check", dict(args, fingerprint_method="unordered")).result["fingerprint"]

    assert record["error"] == "" and record["digest"]
    assert record["tables"]["%s.raw_events" % schema] == text["tables"]["%s.raw_events" % schema]
    assert record["tables"]["%s.teams" % schema]["checksum"].startswith("rsum:")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE %s.raw_events SET body = '{\"a\": 2}' WHERE id = 1" % schema)
    changed = ansible_module("db_check", dict(args, fingerprint_method="unordered_record")).result["fingerprint"]
    assert changed["tables"]["%s.raw_events" % schema] != record["tables"]["%s.raw_events" % schema]


def test_fingerprint_in_an_exported_snapshot_sees_that_snapshot(ansible_module, db_target, scratch_schema):
    """What pg_dump --snapshot=<id> dumps is what db_check fingerprint_snapshot=<id> reads."""
    schema, connection = scratch_schema
    args = connection_args(db_target, fingerprint_schemas=[schema], fingerprint_method="unordered_record")
    before = ansible_module("db_check", args).result["fingerprint"]

    holder = connect(db_target)
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE %s.teams SET name = 'renamed' WHERE id = 3" % schema)

        in_snapshot = ansible_module("db_check", dict(args, fingerprint_snapshot=snapshot)).result
        now = ansible_module("db_check", args).result["fingerprint"]
        assert in_snapshot["ok"] is True, in_snapshot["error"]
        assert in_snapshot["fingerprint"]["snapshot"] == snapshot
        assert in_snapshot["fingerprint"]["digest"] == before["digest"]
        assert now["digest"] != before["digest"]
    finally:
        with holder.cursor() as cursor:
            cursor.execute("ROLLBACK")
        holder.close()

    gone = ansible_module("db_check", dict(args, fingerprint_snapshot=snapshot))
    assert gone.returncode == 0 and gone.failed is False
    assert gone.result["ok"] is False and gone.result["fingerprint"]["digest"] is None
    assert "invalid snapshot identifier" in gone.result["fingerprint"]["error"]


def test_stopped_server_is_reported_not_failed(ansible_module, stack, stopped_port):
    run = ansible_module("db_check", connection_args(stack.db, login_port=stopped_port, connect_timeout=2))

    assert run.returncode == 0 and run.failed is False
    assert run.result["is_available"] is False and run.result["ok"] is False
    assert "refused" in run.result["error"].lower() or "failed" in run.result["error"].lower()


def test_wrong_password_is_unavailable_and_not_echoed(ansible_module, db_target):
    wrong = "wrong-%s" % uuid.uuid4().hex
    run = ansible_module("db_check", connection_args(db_target), extra_env=dict(PGPASSWORD=wrong))

    assert run.result["is_available"] is False
    assert "password authentication failed" in run.result["error"] or "authentication" in run.result["error"]
    assert wrong not in run.output


def test_bad_parameter_fails_the_task(ansible_module, stack):
    run = ansible_module("db_check", connection_args(stack.db, fingerprint_schemas=[""]))

    assert run.failed is True
    assert run.result["msg"] == "fingerprint_schemas must not contain empty names"
