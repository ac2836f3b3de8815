# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

psycopg2 = pytest.importorskip("psycopg2")

from psycopg2 import sql  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.footballpred.rehearsal.plugins.module_utils import postgres  # noqa: E402
from ansible_collections.footballpred.rehearsal.plugins.modules import db_check  # noqa: E402

SECRET = "s3cr3t-pg-password"


def render(query) -> str:
    """Text of a query as the tests match it (identifiers double-quoted)."""
    if isinstance(query, str):
        return query
    if isinstance(query, sql.Composed):
        return "".join(render(part) for part in query.seq)
    if isinstance(query, sql.SQL):
        return query.string
    if isinstance(query, sql.Identifier):
        return ".".join('"%s"' % part for part in query.strings)
    raise TypeError("unexpected query part %r" % (query,))


class FakePostgres:
    """A connection whose cursor answers the module's queries from a table of rules."""

    def __init__(self):
        self.executed = []
        self.params = []
        self.closed = False
        self.payload = None
        self.failures = {}
        self.tables = [("public", "teams", ["id"]), ("public", "nopk", []), ("public", "audit", ["id"]),
                       ("public", "fp_rehearsal_probe_1_leftover", ["id"])]
        self.checksums = {'"public"."teams"': (2, "a" * 32), '"public"."nopk"': (3, "b" * 32),
                          '"public"."audit"': (9, "c" * 32)}

    def fail_on(self, fragment: str, error: Exception) -> None:
        self.failures[fragment] = error

    def cursor(self):
        return FakeCursor(self)

    def close(self):
        self.closed = True

    def answer(self, text: str, params):
        for fragment, error in self.failures.items():
            if fragment in text:
                raise error
        if "server_version_num" in text:
            return [(150014, "PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu")], -1
        if "current_database(), current_user" in text:
            return [("football_prediction_staging", "football_staging_user")], 1
        if text.strip() == "SELECT 1":
            return [(1,)], 1
        if "pg_stat_activity" in text:
            return [(6, 1, 3, 1, 100)], 1
        if text.startswith("INSERT INTO"):
            self.payload = params[0]
            return [], 1
        if text.startswith("SELECT payload"):
            return [(self.payload,)], 1
        if text.startswith("UPDATE"):
            return [(self.payload + "-updated",)], 1
        if text.startswith("DELETE"):
            return [(1,)], 1
        if "to_regclass" in text:
            return [(None,)], 1
        if "FROM pg_class" in text:
            return list(self.tables), len(self.tables)
        if "string_agg" in text:
            relation = text.rsplit(" FROM ", 1)[1].split(" AS t")[0]
            return [self.checksums[relation]], 1
        for prefix in ("sum:", "rsum:"):
            if "'%s' ||" % prefix in text:
                relation = text.rsplit(" FROM ", 1)[1].split(" AS t")[0]
                rows, checksum = self.checksums[relation]
                return [(rows, "%s%d" % (prefix, int(checksum[:8], 16)))], 1
        return [], -1


class FakeCursor:
    def __init__(self, connection: FakePostgres):
        self.connection = connection
        self.rows = []
        self.rowcount = -1

    def execute(self, query, params=None):
        text = render(query)
        self.connection.executed.append(text)
        self.connection.params.append(params)
        self.rows, self.rowcount = self.connection.answer(text, params)

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return list(self.rows)

    def close(self):
        pass


@pytest.fixture
def server(monkeypatch):
    fake = FakePostgres()
    calls = []

    def connect(params):
        calls.append(dict(params))
        return fake

    monkeypatch.setattr(db_check, "connect_to_postgres", connect)
    fake.connect_calls = calls
    return fake


def args(**extra):
    return dict(dict(login_password=SECRET), **extra)


def test_healthy_server_reports_version_select_one_and_sessions(run_module, server):
    outcome = run_module(db_check, args())

    result = outcome.result
    assert outcome.exit_code == 0
    assert result["changed"] is False
    assert result["ok"] is True and result["is_available"] is True and result["error"] == ""
    assert result["server_version"]["major"] == 15
    assert result["server_version"]["minor"] == 14
    assert result["server_version"]["full"] == "15.14"
    assert result["select_one"] == dict(ok=True, value=1, latency_ms=result["select_one"]["latency_ms"], error="")
    assert result["connections"]["total"] == 6
    assert result["connections"]["other"] == 1
    assert result["connections"]["usage_percent"] == 6.0
    assert result["database"] == dict(name="football_prediction_staging", user="football_staging_user")
    assert isinstance(result["connect_latency_ms"], float)
    assert "crud_probe" not in result and "fingerprint" not in result
    assert server.closed is True


def test_connection_uses_staging_defaults(run_module, server):
    run_module(db_check, args())

    params = server.connect_calls[0]
    assert (params["login_host"], params["login_port"]) == ("127.0.0.1", 5433)
    assert params["login_db"] == "football_prediction_staging"
    assert params["login_user"] == "football_staging_user"


def test_environment_fallbacks_fill_connection(run_module, server, monkeypatch):
    monkeypatch.setenv("PGHOST", "db.staging.internal")
    monkeypatch.setenv("PGPORT", "6543")
    run_module(db_check, dict(login_password=SECRET))

    params = server.connect_calls[0]
    assert (params["login_host"], params["login_port"]) == ("db.staging.internal", 6543)


def test_server_down_is_a_result_not_a_failure(run_module, monkeypatch):
    def refuse(params):
        raise psycopg2.OperationalError(
            'connection to server at "127.0.0.1", port 5433 failed: Connection refused (password=%s)' % SECRET)

    monkeypatch.setattr(db_check, "connect_to_postgres", refuse)
    outcome = run_module(db_check, args())

    assert outcome.failed is False
    assert outcome.result["is_available"] is False
    assert outcome.result["ok"] is False
    assert "Connection refused" in outcome.result["error"]
    assert SECRET not in outcome.stdout


def test_crud_probe_runs_every_step_and_drops_the_table(run_module, server):
    result = run_module(db_check, args(crud_probe=True)).result

    probe = result["crud_probe"]
    assert probe["status"] == "passed" and probe["reason"] == ""
    assert list(probe["steps"]) == ["create", "write", "read", "update", "delete", "drop"]
    assert all(step["ok"] and isinstance(step["latency_ms"], float) for step in probe["steps"].values())
    assert probe["cleaned_up"] is True
    assert probe["table"].startswith("public.fp_rehearsal_probe_")
    assert result["ok"] is True and result["changed"] is False
    assert any(text.startswith("DROP TABLE IF EXISTS") for text in server.executed)


def test_crud_probe_tables_are_unique(run_module, server):
    first = run_module(db_check, args(crud_probe=True)).result["crud_probe"]["table"]
    second = run_module(db_check, args(crud_probe=True)).result["crud_probe"]["table"]
    assert first != second


def test_failed_crud_step_still_drops_the_table(run_module, server):
    server.fail_on("INSERT INTO", psycopg2.errors.InsufficientPrivilege("permission denied for table"))
    result = run_module(db_check, args(crud_probe=True)).result

    probe = result["crud_probe"]
    assert probe["status"] == "failed"
    assert probe["reason"].startswith("write: InsufficientPrivilege")
    assert probe["steps"]["create"]["ok"] is True
    assert probe["steps"]["read"] == dict(ok=False, latency_ms=None, error="not run: write failed")
    assert probe["steps"]["drop"]["ok"] is True and probe["cleaned_up"] is True
    assert server.executed[-2].startswith("DROP TABLE IF EXISTS")
    assert result["ok"] is False and result["error"].startswith("crud_probe: write")


def test_failed_drop_is_reported_as_not_cleaned_up(run_module, server):
    server.fail_on("DROP TABLE", psycopg2.OperationalError("server closed the connection unexpectedly"))
    probe = run_module(db_check, args(crud_probe=True)).result["crud_probe"]

    assert probe["status"] == "failed"
    assert probe["cleaned_up"] is False
    assert probe["steps"]["delete"]["ok"] is True
    assert probe["steps"]["drop"]["ok"] is False


def test_check_mode_skips_the_write_probe_but_reads(run_module, server):
    result = run_module(db_check, args(crud_probe=True, fingerprint_schemas=["public"]), check_mode=True).result

    assert result["crud_probe"]["status"] == "skipped"
    assert "check mode" in result["crud_probe"]["reason"]
    assert not any(text.startswith(("CREATE", "INSERT", "UPDATE", "DELETE", "DROP")) for text in server.executed)
    assert result["fingerprint"]["table_count"] == 3
    assert result["ok"] is True and result["changed"] is False


def test_fingerprint_orders_by_primary_key_and_excludes_probe_tables(run_module, server):
    result = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_exclude_tables=["audit"])).result

    fingerprint = result["fingerprint"]
    assert sorted(fingerprint["tables"]) == ["public.nopk", "public.teams"]
    assert fingerprint["tables"]["public.teams"] == dict(rows=2, checksum="a" * 32, ordered_by="primary_key",
                                                         error="")
    assert fingerprint["tables"]["public.nopk"]["ordered_by"] == "row_text"
    assert fingerprint["total_rows"] == 5 and fingerprint["table_count"] == 2
    assert len(fingerprint["digest"]) == 64
    queries = [text for text in server.executed if "string_agg" in text]
    assert any('ORDER BY t."id"' in text and '"public"."teams"' in text for text in queries)
    assert any("ORDER BY t::text" in text and '"public"."nopk"' in text for text in queries)
    assert "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" in server.executed
    assert "SET LOCAL TimeZone = 'UTC'" in server.executed
    assert server.executed[-1] == "ROLLBACK"


def test_fingerprint_exclusion_accepts_qualified_names(run_module, server):
    fingerprint = run_module(db_check, args(fingerprint_schemas=["public"],
                                            fingerprint_exclude_tables=["public.audit", "public.nopk"])).result
    assert sorted(fingerprint["fingerprint"]["tables"]) == ["public.teams"]


def test_fingerprint_digest_follows_the_data(run_module, server):
    before = run_module(db_check, args(fingerprint_schemas=["public"])).result["fingerprint"]["digest"]
    again = run_module(db_check, args(fingerprint_schemas=["public"])).result["fingerprint"]["digest"]
    server.checksums['"public"."teams"'] = (2, "d" * 32)
    changed = run_module(db_check, args(fingerprint_schemas=["public"])).result["fingerprint"]["digest"]

    assert before == again
    assert before != changed


def test_unreadable_table_voids_the_digest(run_module, server):
    server.fail_on('"public"."audit"', psycopg2.errors.InsufficientPrivilege("permission denied for table audit"))
    result = run_module(db_check, args(fingerprint_schemas=["public"])).result

    fingerprint = result["fingerprint"]
    assert fingerprint["digest"] is None
    assert fingerprint["tables"]["public.audit"]["rows"] is None
    assert "permission denied" in fingerprint["error"]
    assert fingerprint["tables"]["public.teams"]["checksum"] == "a" * 32
    assert "ROLLBACK TO SAVEPOINT fp_table" in server.executed
    assert result["ok"] is False


def test_fingerprint_method_defaults_to_ordered_in_its_own_snapshot(run_module, server):
    fingerprint = run_module(db_check, args(fingerprint_schemas=["public"])).result["fingerprint"]

    assert fingerprint["method"] == "ordered" and fingerprint["snapshot"] is None
    assert not any("SET TRANSACTION SNAPSHOT" in text for text in server.executed)
    assert not any("'sum:'" in text for text in server.executed)


def test_unordered_fingerprint_sums_row_hashes_without_sorting(run_module, server):
    result = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_method="unordered")).result

    fingerprint = result["fingerprint"]
    assert fingerprint["method"] == "unordered"
    assert fingerprint["tables"]["public.teams"] == dict(rows=2, checksum="sum:%d" % 0xaaaaaaaa, ordered_by="none",
                                                         error="")
    assert fingerprint["tables"]["public.nopk"]["ordered_by"] == "none"
    assert fingerprint["total_rows"] == 14 and len(fingerprint["digest"]) == 64
    queries = [text for text in server.executed if "'sum:'" in text]
    assert len(queries) == 3
    assert all("ORDER BY" not in text and "string_agg" not in text for text in queries)
    assert all("sum(hashtextextended(t::text, 0))" in text for text in queries)
    assert "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" in server.executed
    assert server.executed[-1] == "ROLLBACK"
    assert result["ok"] is True


def test_record_fingerprint_hashes_columns_and_falls_back_to_row_text(run_module, server):
    server.fail_on('hash_record_extended(t, 0)), 0)::text FROM "public"."audit"', psycopg2.errors.UndefinedFunction(
        "could not identify an extended hash function for type json"))
    result = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_method="unordered_record")).result

    tables = result["fingerprint"]["tables"]
    assert tables["public.teams"] == dict(rows=2, checksum="rsum:%d" % 0xaaaaaaaa, ordered_by="none", error="")
    assert tables["public.audit"] == dict(rows=9, checksum="sum:%d" % 0xcccccccc, ordered_by="none", error="")
    assert result["fingerprint"]["method"] == "unordered_record" and len(result["fingerprint"]["digest"]) == 64
    assert "ROLLBACK TO SAVEPOINT fp_table" in server.executed
    assert result["ok"] is True


def test_other_record_hash_errors_are_table_errors(run_module, server):
    server.fail_on('FROM "public"."audit"', psycopg2.errors.InsufficientPrivilege("permission denied for table audit"))
    fingerprint = run_module(db_check, args(fingerprint_schemas=["public"],
                                            fingerprint_method="unordered_record")).result["fingerprint"]
    assert fingerprint["digest"] is None and "permission denied" in fingerprint["error"]
    assert not any("hashtextextended" in text for text in server.executed)


def test_each_method_has_its_own_digest_for_the_same_data(run_module, server):
    digests = {}
    for method in db_check.FINGERPRINT_METHODS:
        first = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_method=method)).result
        again = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_method=method)).result
        assert first["fingerprint"]["digest"] == again["fingerprint"]["digest"]
        digests[method] = first["fingerprint"]["digest"]
    assert len(set(digests.values())) == 3


def test_fingerprint_reads_in_a_given_snapshot(run_module, server):
    fingerprint = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_method="unordered",
                                            fingerprint_snapshot="00000004-0000002A-1")).result["fingerprint"]

    begin = server.executed.index("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    assert server.executed[begin + 1] == "SET TRANSACTION SNAPSHOT %s"
    assert server.params[begin + 1] == ("00000004-0000002A-1",)
    assert fingerprint["snapshot"] == "00000004-0000002A-1"
    assert fingerprint["table_count"] == 3 and fingerprint["error"] == ""


def test_missing_snapshot_is_a_fingerprint_error_not_a_failure(run_module, server):
    server.fail_on("SET TRANSACTION SNAPSHOT", psycopg2.errors.InvalidParameterValue(
        'invalid snapshot identifier: "00000004-0000002A-1"'))
    outcome = run_module(db_check, args(fingerprint_schemas=["public"], fingerprint_snapshot="00000004-0000002A-1"))

    fingerprint = outcome.result["fingerprint"]
    assert outcome.failed is False
    assert fingerprint["digest"] is None and fingerprint["tables"] == {}
    assert fingerprint["error"].startswith("snapshot 00000004-0000002A-1: InvalidParameterValue")
    assert not any("FROM pg_class" in text or "string_agg" in text for text in server.executed)
    assert server.executed[-1] == "ROLLBACK"
    assert outcome.result["ok"] is False and outcome.result["error"].startswith("fingerprint: snapshot")


def test_select_one_failure_is_reported(run_module, server):
    server.fail_on("SELECT 1", psycopg2.errors.QueryCanceled("canceling statement due to statement timeout"))
    result = run_module(db_check, args()).result

    assert result["is_available"] is True
    assert result["select_one"]["ok"] is False
    assert result["ok"] is False
    assert result["error"].startswith("select_one: QueryCanceled")


def test_connection_lost_mid_check_is_a_result(run_module, server):
    server.fail_on("current_database(), current_user", psycopg2.OperationalError("server closed the connection"))
    outcome = run_module(db_check, args())

    assert outcome.failed is False
    assert outcome.result["is_available"] is True
    assert outcome.result["ok"] is False
    assert "server closed the connection" in outcome.result["error"]


@pytest.mark.parametrize("bad_args, message", [
    (dict(login_port=0), "login_port must be between 1 and 65535"),
    (dict(connect_timeout=0), "connect_timeout must be at least 1 second"),
    (dict(query_timeout=0), "query_timeout must be at least 1 second"),
    (dict(login_db=""), "login_db must not be empty"),
    (dict(probe_schema=""), "probe_schema must not be empty"),
    (dict(fingerprint_schemas=["public", ""]), "fingerprint_schemas must not contain empty names"),
    (dict(ssl_mode="sometimes"), "value of ssl_mode must be one of"),
    (dict(crud_probe="perhaps"), "crud_probe"),
    (dict(fingerprint_schemas=["public"], fingerprint_method="fast"), "value of fingerprint_method must be one of"),
    (dict(fingerprint_snapshot="00000004-0000002A-1"), "fingerprint_snapshot needs fingerprint_schemas"),
    (dict(fingerprint_schemas=["public"], fingerprint_snapshot=""), "fingerprint_snapshot must not be empty"),
])
def test_bad_parameters_fail_clearly(run_module, server, bad_args, message):
    outcome = run_module(db_check, args(**bad_args))

    assert outcome.failed is True
    assert message in outcome.result["msg"]
    assert server.connect_calls == []


def test_missing_psycopg2_fails_with_missing_required_lib(run_module, monkeypatch):
    monkeypatch.setattr(postgres, "HAS_PSYCOPG2", False)
    monkeypatch.setattr(postgres, "PSYCOPG2_IMPORT_ERROR", "Traceback: No module named 'psycopg2'")
    outcome = run_module(db_check, args())

    assert outcome.failed is True
    assert "Failed to import the required Python library (psycopg2)" in outcome.result["msg"]


def test_password_is_never_printed(run_module, server):
    outcome = run_module(db_check, args(crud_probe=True, fingerprint_schemas=["public"]))
    assert SECRET not in outcome.stdout


def test_connect_to_postgres_builds_libpq_arguments(monkeypatch):
    seen = {}

    class Connection:
        autocommit = False

    def connect(**kwargs):
        seen.update(kwargs)
        return Connection()

    monkeypatch.setattr(postgres.psycopg2, "connect", connect)
    params = dict(login_host="h", login_port=5433, login_user="u", login_password=SECRET, login_db="d",
                  connect_timeout=3, query_timeout=7, ssl_mode="require", ca_cert="/ca.pem")
    connection = postgres.connect_to_postgres(params)

    assert connection.autocommit is True
    assert seen["options"] == "-c statement_timeout=7000"
    assert seen["sslrootcert"] == "/ca.pem" and seen["sslmode"] == "require"
    assert seen["password"] == SECRET and seen["dbname"] == "d" and seen["connect_timeout"] == 3
