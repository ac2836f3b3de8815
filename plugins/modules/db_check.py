#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_check
short_description: Measure the health of a PostgreSQL database and fingerprint its data
version_added: 0.1.0
description:
  - Connects to a PostgreSQL server and reports its version, the connection latency and
    the result of C(SELECT 1).
  - Counts the sessions of the database in C(pg_stat_activity) (total, active, idle, idle in transaction).
  - Optionally runs a write/read/update/delete probe on a scratch table that has a unique name
    and is dropped again whatever happens to the probe.
  - Optionally fingerprints the data (row count and a server-side checksum per table) so a later
    run can prove that a backup and restore lost nothing.
  - A server that cannot be reached is a result (RV(is_available=false) and RV(error)), not a
    failure; the play decides with C(failed_when). Bad parameters fail the task.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  crud_probe:
    description:
      - Create a scratch table, insert, read back, update and delete one row, then drop the table.
      - The table is dropped in all cases, also when a step fails; RV(crud_probe.cleaned_up) tells
        whether that worked.
      - Skipped in check mode, and reported as skipped.
    type: bool
    default: false
  probe_schema:
    description:
      - Schema in which the scratch table of O(crud_probe) is created.
    type: str
    default: public
  fingerprint_schemas:
    description:
      - Schemas whose tables are fingerprinted. An empty list skips the fingerprint.
      - Each table gets its row count and an MD5 checksum of its rows, computed by the server
        in primary key order (or in the order of the row text when a table has no primary key),
        inside one read-only repeatable-read transaction so all tables come from one snapshot.
      - Scratch tables of O(crud_probe) are never part of the fingerprint.
    type: list
    elements: str
    default: []
  fingerprint_exclude_tables:
    description:
      - Tables left out of the fingerprint, as V(table) (any schema) or V(schema.table).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - footballpred.rehearsal.postgres
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - The version, C(SELECT 1), session counts and fingerprint only read and run as usual;
        the write probe (O(crud_probe)) is skipped.
  diff_mode:
    support: none
notes:
  - The result reports C(changed=false) also after a write probe, since the scratch table
    is gone again when the module returns.
  - The fingerprint reads every row of every fingerprinted table; on large databases raise
    O(query_timeout) accordingly.
seealso:
  - module: footballpred.rehearsal.redis_check
  - module: community.postgresql.postgresql_ping
"""

EXAMPLES = r"""
- name: Check that the staging database answers
  footballpred.rehearsal.db_check:
    login_host: 127.0.0.1
    login_port: 5433
    login_user: football_staging_user
    login_password: "{{ staging_db_password }}"
    login_db: football_prediction_staging
  register: db
  failed_when: not db.is_available or not db.select_one.ok

- name: Write, read, update and delete a row on a scratch table
  footballpred.rehearsal.db_check:
    login_password: "{{ staging_db_password }}"
    crud_probe: true
  register: db_crud
  failed_when: db_crud.crud_probe.status != 'passed'

- name: Fingerprint the data before the backup
  footballpred.rehearsal.db_check:
    login_password: "{{ staging_db_password }}"
    fingerprint_schemas: [public]
    fingerprint_exclude_tables: [alembic_version]
  register: db_before

- name: After the restore, the data must be the same
  footballpred.rehearsal.db_check:
    login_password: "{{ staging_db_password }}"
    fingerprint_schemas: [public]
    fingerprint_exclude_tables: [alembic_version]
  register: db_after
  failed_when: db_after.fingerprint.digest != db_before.fingerprint.digest
"""

RETURN = r"""
ok:
  description:
    - V(true) when the server answered, C(SELECT 1) returned 1 and every requested probe passed
      (a probe skipped in check mode does not count as failed).
  returned: always
  type: bool
  sample: true
is_available:
  description: Whether a connection could be opened.
  returned: always
  type: bool
  sample: true
error:
  description: Why the server is unavailable, or the first probe error; empty when there is none.
  returned: always
  type: str
  sample: "OperationalError: connection to server at \"127.0.0.1\", port 5433 failed: Connection refused"
connect_latency_ms:
  description: Time to open the connection, in milliseconds.
  returned: when RV(is_available=true)
  type: float
  sample: 4.127
server_version:
  description: Version of the server.
  returned: when RV(is_available=true)
  type: dict
  sample: {major: 15, minor: 14, full: "15.14", raw: "PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu"}
  contains:
    major:
      description: Major version.
      type: int
    minor:
      description: Minor version.
      type: int
    full:
      description: V(major.minor).
      type: str
    raw:
      description: Output of C(version()).
      type: str
database:
  description: Database and role of the session.
  returned: when RV(is_available=true)
  type: dict
  sample: {name: football_prediction_staging, user: football_staging_user}
select_one:
  description: Result of C(SELECT 1).
  returned: when RV(is_available=true)
  type: dict
  sample: {ok: true, value: 1, latency_ms: 0.41, error: ""}
connections:
  description:
    - Sessions of the database in C(pg_stat_activity), this module's own session included.
    - Without C(pg_read_all_stats), the state of other roles' sessions is hidden and counted in C(other).
  returned: when RV(is_available=true)
  type: dict
  sample: {total: 7, active: 1, idle: 5, idle_in_transaction: 0, other: 1, max_connections: 100,
           usage_percent: 7.0, error: ""}
crud_probe:
  description: Outcome of the scratch-table probe.
  returned: when O(crud_probe=true) and RV(is_available=true)
  type: dict
  contains:
    status:
      description: V(passed), V(failed), or V(skipped) (check mode).
      type: str
    reason:
      description: Why the probe was skipped or failed.
      type: str
    table:
      description: Qualified name of the scratch table.
      type: str
    steps:
      description:
        - One entry per step (V(create), V(write), V(read), V(update), V(delete), V(drop)), each
          C({ok, latency_ms, error}); steps after a failed one are not run and have C(latency_ms=null).
      type: dict
    cleaned_up:
      description: Whether the scratch table is verifiably gone.
      type: bool
  sample:
    status: passed
    reason: ""
    table: public.fp_rehearsal_probe_1764150000_3f2a9c1b0d4e
    cleaned_up: true
    steps:
      create: {ok: true, latency_ms: 3.2, error: ""}
      write: {ok: true, latency_ms: 1.1, error: ""}
      read: {ok: true, latency_ms: 0.4, error: ""}
      update: {ok: true, latency_ms: 0.9, error: ""}
      delete: {ok: true, latency_ms: 0.8, error: ""}
      drop: {ok: true, latency_ms: 2.5, error: ""}
fingerprint:
  description: Row count and content checksum of every table in O(fingerprint_schemas).
  returned: when O(fingerprint_schemas) is not empty and RV(is_available=true)
  type: dict
  contains:
    schemas:
      description: The schemas that were read.
      type: list
      elements: str
    tables:
      description:
        - Per V(schema.table), C({rows, checksum, ordered_by, error}); C(ordered_by) is V(primary_key) or V(row_text).
      type: dict
    table_count:
      description: Number of tables fingerprinted.
      type: int
    total_rows:
      description: Sum of the row counts.
      type: int
    digest:
      description: SHA-256 over all tables' names, counts and checksums; null when a table could not be read.
      type: str
    latency_ms:
      description: Time taken by the whole fingerprint.
      type: float
    error:
      description: First table error, empty when every table was read.
      type: str
  sample:
    schemas: [public]
    table_count: 2
    total_rows: 3
    digest: 0b6f3c5e8d...
    latency_ms: 12.4
    error: ""
    tables:
      public.matches: {rows: 1, checksum: 9e107d9d372bb6826bd81d3542a419d6, ordered_by: primary_key, error: ""}
      public.teams: {rows: 2, checksum: e4d909c290d0fb1ca068ffaddf22cbd0, ordered_by: primary_key, error: ""}
"""

import hashlib
import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    PROBE_NAME_PREFIX,
    elapsed_ms,
    error_text,
    monotonic,
    unique_token,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.postgres import (
    connect_to_postgres,
    connection_errors,
    ensure_psycopg2,
    postgres_argument_spec,
    sql,
    validate_postgres_params,
)

CRUD_STEPS = ("create", "write", "read", "update", "delete", "drop")

# Session settings that make the text form of a row independent of the client's
# locale and time zone, so two runs compare equal when the data is equal.
FINGERPRINT_SESSION = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)

LIST_TABLES = """
SELECT n.nspname::text, c.relname::text,
       ARRAY(SELECT a.attname::text
               FROM pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = c.oid AND i.indisprimary
              ORDER BY k.position) AS primary_key
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%s)
 ORDER BY 1, 2
"""

SESSION_COUNTS = """
SELECT count(*),
       count(*) FILTER (WHERE state = 'active'),
       count(*) FILTER (WHERE state = 'idle'),
       count(*) FILTER (WHERE state IN ('idle in transaction', 'idle in transaction (aborted)')),
       current_setting('max_connections')::int
  FROM pg_stat_activity
 WHERE datname = current_database()
"""


def timed(cursor, query, params=None) -> float:
    """Run one statement and return how long it took, in milliseconds."""
    started = monotonic()
    cursor.execute(query, params)
    return elapsed_ms(started)


def server_version(cursor) -> dict:
    cursor.execute("SELECT current_setting('server_version_num')::int, version()")
    number, raw = cursor.fetchone()
    # Since PostgreSQL 10 the number is major * 10000 + minor.
    major, minor = divmod(number, 10000) if number >= 100000 else (number // 100, number % 100)
    return dict(major=major, minor=minor, full="%d.%d" % (major, minor), raw=raw)


def select_one(cursor, secrets) -> dict:
    try:
        latency = timed(cursor, "SELECT 1")
        value = cursor.fetchone()[0]
    except connection_errors() as exc:
        return dict(ok=False, value=None, latency_ms=None, error=error_text(exc, secrets))
    return dict(ok=value == 1, value=value, latency_ms=latency,
                error="" if value == 1 else "SELECT 1 returned %r" % (value,))


def session_counts(cursor, secrets) -> dict:
    try:
        cursor.execute(SESSION_COUNTS)
        total, active, idle, idle_in_transaction, max_connections = cursor.fetchone()
    except connection_errors() as exc:
        return dict(error=error_text(exc, secrets))
    return dict(
        total=total,
        active=active,
        idle=idle,
        idle_in_transaction=idle_in_transaction,
        other=total - active - idle - idle_in_transaction,
        max_connections=max_connections,
        usage_percent=round(100.0 * total / max_connections, 1) if max_connections else None,
        error="",
    )


def run_crud_probe(cursor, schema: str, secrets) -> dict:
    """Exercise create/insert/select/update/delete on a scratch table, then drop it.

    The drop runs in ``finally`` so an interrupted probe leaves no table behind.
    """
    table_name = unique_token(PROBE_NAME_PREFIX)
    table = sql.Identifier(schema, table_name)
    marker = unique_token("marker")
    steps = {}
    statements = (
        ("create", sql.SQL("CREATE TABLE {} (id integer PRIMARY KEY, payload text NOT NULL)").format(table), None,
         lambda: True),
        ("write", sql.SQL("INSERT INTO {} (id, payload) VALUES (1, %s)").format(table), (marker,),
         lambda: cursor.rowcount == 1),
        ("read", sql.SQL("SELECT payload FROM {} WHERE id = 1").format(table), None,
         lambda: cursor.fetchone() == (marker,)),
        ("update", sql.SQL("UPDATE {} SET payload = payload || '-updated' WHERE id = 1 RETURNING payload").format(table),
         None, lambda: cursor.fetchall() == [(marker + "-updated",)]),
        ("delete", sql.SQL("DELETE FROM {} WHERE id = 1 RETURNING id").format(table), None,
         lambda: cursor.fetchall() == [(1,)]),
    )
    try:
        for name, query, params, verified in statements:
            try:
                latency = timed(cursor, query, params)
                if not verified():
                    steps[name] = dict(ok=False, latency_ms=latency, error="%s returned unexpected rows" % name)
                    break
            except connection_errors() as exc:
                steps[name] = dict(ok=False, latency_ms=None, error=error_text(exc, secrets))
                break
            steps[name] = dict(ok=True, latency_ms=latency, error="")
    finally:
        steps["drop"], cleaned_up = drop_table(cursor, table, schema, table_name, secrets)

    failed = next((name for name in CRUD_STEPS if name in steps and not steps[name]["ok"]), None)
    for name in CRUD_STEPS:
        steps.setdefault(name, dict(ok=False, latency_ms=None, error="not run: %s failed" % failed))
    return dict(
        status="failed" if failed else "passed",
        reason=("%s: %s" % (failed, steps[failed]["error"])) if failed else "",
        table="%s.%s" % (schema, table_name),
        steps={name: steps[name] for name in CRUD_STEPS},
        cleaned_up=cleaned_up,
    )


def drop_table(cursor, table, schema: str, table_name: str, secrets) -> tuple:
    try:
        latency = timed(cursor, sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        cursor.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, table_name))
        gone = cursor.fetchone()[0] is None
    except connection_errors() as exc:
        return dict(ok=False, latency_ms=None, error=error_text(exc, secrets)), False
    return dict(ok=gone, latency_ms=latency, error="" if gone else "table still exists after DROP"), gone


def excluded(schema: str, table: str, exclude: set) -> bool:
    return table.startswith(PROBE_NAME_PREFIX) or table in exclude or "%s.%s" % (schema, table) in exclude


def table_fingerprint(cursor, schema: str, table: str, primary_key: list, secrets) -> dict:
    relation = sql.Identifier(schema, table)
    if primary_key:
        order = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(column)) for column in primary_key)
    else:
        order = sql.SQL("t::text")
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY {}), '')) FROM {} AS t"
    ).format(order, relation)
    ordered_by = "primary_key" if primary_key else "row_text"
    cursor.execute("SAVEPOINT fp_table")
    try:
        cursor.execute(query)
        rows, checksum = cursor.fetchone()
    except connection_errors() as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT fp_table")
        return dict(rows=None, checksum=None, ordered_by=ordered_by, error=error_text(exc, secrets))
    cursor.execute("RELEASE SAVEPOINT fp_table")
    return dict(rows=rows, checksum=checksum, ordered_by=ordered_by, error="")


def fingerprint(cursor, schemas: list, exclude: list, secrets) -> dict:
    """Row counts and checksums of all tables of ``schemas`` from one snapshot."""
    started = monotonic()
    exclude_set = set(exclude)
    tables = {}
    cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        for statement in FINGERPRINT_SESSION:
            cursor.execute(statement)
        cursor.execute(LIST_TABLES, (schemas,))
        for schema, table, primary_key in cursor.fetchall():
            if not excluded(schema, table, exclude_set):
                tables["%s.%s" % (schema, table)] = table_fingerprint(cursor, schema, table, primary_key, secrets)
    finally:
        cursor.execute("ROLLBACK")
    errors = [entry["error"] for entry in tables.values() if entry["error"]]
    digest = None
    if not errors:
        canonical = json.dumps([[name, entry["rows"], entry["checksum"]] for name, entry in sorted(tables.items())])
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return dict(
        schemas=schemas,
        tables=tables,
        table_count=len(tables),
        total_rows=sum(entry["rows"] or 0 for entry in tables.values()),
        digest=digest,
        latency_ms=elapsed_ms(started),
        error=errors[0] if errors else "",
    )


def validate_params(module) -> None:
    validate_postgres_params(module)
    params = module.params
    if not params["probe_schema"]:
        module.fail_json(msg="probe_schema must not be empty")
    if any(not schema for schema in params["fingerprint_schemas"]):
        module.fail_json(msg="fingerprint_schemas must not contain empty names")


def check_database(module, connection, secrets) -> dict:
    params = module.params
    result = {}
    cursor = connection.cursor()
    try:
        result["server_version"] = server_version(cursor)
        cursor.execute("SELECT current_database(), current_user")
        name, user = cursor.fetchone()
        result["database"] = dict(name=name, user=user)
        result["select_one"] = select_one(cursor, secrets)
        result["connections"] = session_counts(cursor, secrets)
        if params["fingerprint_schemas"]:
            result["fingerprint"] = fingerprint(cursor, params["fingerprint_schemas"],
                                                params["fingerprint_exclude_tables"], secrets)
        if params["crud_probe"]:
            if module.check_mode:
                result["crud_probe"] = dict(status="skipped", reason="check mode: the write probe changes data",
                                            table="", steps={}, cleaned_up=True)
            else:
                result["crud_probe"] = run_crud_probe(cursor, params["probe_schema"], secrets)
    finally:
        cursor.close()
    return result


def first_error(result: dict) -> str:
    if not result["select_one"]["ok"]:
        return "select_one: " + result["select_one"]["error"]
    for section in ("connections", "fingerprint"):
        if result.get(section, {}).get("error"):
            return "%s: %s" % (section, result[section]["error"])
    if result.get("crud_probe", {}).get("status") == "failed":
        return "crud_probe: " + result["crud_probe"]["reason"]
    return ""


def main():
    argument_spec = postgres_argument_spec()
    argument_spec.update(
        crud_probe=dict(type="bool", default=False),
        probe_schema=dict(type="str", default="public"),
        fingerprint_schemas=dict(type="list", elements="str", default=[]),
        fingerprint_exclude_tables=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    validate_params(module)
    ensure_psycopg2(module)

    secrets = (module.params["login_password"],)
    result = dict(changed=False, ok=False, is_available=False, error="")

    started = monotonic()
    try:
        connection = connect_to_postgres(module.params)
    except connection_errors() as exc:
        result["error"] = error_text(exc, secrets)
        module.exit_json(**result)
    result["is_available"] = True
    result["connect_latency_ms"] = elapsed_ms(started)

    try:
        result.update(check_database(module, connection, secrets))
    except connection_errors() as exc:
        # The server went away (or refused a catalog query) mid-check.
        result["error"] = error_text(exc, secrets)
        module.exit_json(**result)
    finally:
        connection.close()

    result["error"] = first_error(result)
    result["ok"] = not result["error"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
