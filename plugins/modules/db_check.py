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
      - Each table gets its row count and a checksum of the text of its rows (see
        O(fingerprint_method)), computed by the server inside one read-only repeatable-read
        transaction, so all tables come from one snapshot.
      - The text of a row is C(row::text) under fixed session settings (time zone UTC, ISO dates,
        C(extra_float_digits=1), hex bytea), so it does not depend on the client.
      - Scratch tables of O(crud_probe) are never part of the fingerprint.
    type: list
    elements: str
    default: []
  fingerprint_method:
    description:
      - How a table's rows make its checksum. Every method reads every row once and sees only the
        data, never its physical layout, so a restore that writes the rows elsewhere has the same
        fingerprint. Every method includes the row count of each table.
      - V(ordered) - the MD5 of the MD5s of the row texts, concatenated in primary key order (in
        row text order when a table has no primary key). A 128-bit checksum of the sequence of
        row texts; the server sorts each table for it.
      - V(unordered) - the exact sum (C(numeric), no overflow) of a 64-bit hash of each row text
        (C(hashtextextended(row::text, 0))), reported as C(sum:<decimal>). It depends only on the
        multiset of row texts, so no sort is needed. Equal data always gives an equal checksum;
        a changed, missing or extra row changes it except with a probability of about 2^-64 for
        accidental (non-adversarial) corruption. It does not see the order of the rows, which SQL
        tables do not have, and it is no cryptographic proof, since a crafted set of rows can add
        up to the same sum.
      - V(unordered_record) - the same sum over C(hash_record_extended(row, 0)), which hashes each
        column with its type's hash function instead of formatting the row as text (several times
        cheaper), reported as C(rsum:<decimal>). It proves equality as SQL's C(=) sees it, column by
        column. Values that compare equal hash equal, so it does not see a change that keeps them
        equal, such as the scale of an unconstrained C(numeric) (V(1.5) and V(1.50)), C(-0) and C(0)
        in a float, or a column retyped from C(integer) to C(bigint). A table with a column type
        that has no hash function (C(json), C(point), ...) gets the V(unordered) checksum instead
        (so does every table before PostgreSQL 14, which has no C(hash_record_extended)).
      - The unordered methods use PostgreSQL's internal hash functions (the ones hash partitioning
        relies on); compare their fingerprints between servers of the same platform, as a backup
        and its test restore on one server are.
      - The methods give different checksums and digests for the same data (each has its own
        prefix), so compare fingerprints taken with the same method only.
    type: str
    choices: [ordered, unordered, unordered_record]
    default: ordered
  fingerprint_snapshot:
    description:
      - Identifier of an exported snapshot (C(SELECT pg_export_snapshot()) of a transaction that is
        still open, for example the one C(pg_dump --snapshot) dumps from). The fingerprint then
        reads exactly the data that transaction sees, and so proves what that dump contains.
      - The exporting transaction must stay open until this module has started its own; an
        identifier that no longer exists is a fingerprint error (RV(fingerprint.error)), not a failure.
      - Needs O(fingerprint_schemas).
    type: str
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
    O(query_timeout) accordingly. On the repository's benchmark (C(bench/fingerprint.py), figures in
    C(bench/README.md)), V(unordered) costs about 0.6x of V(ordered), V(unordered_record) about 0.25x.
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

- name: Fingerprint without sorting (compare only with fingerprints taken the same way)
  footballpred.rehearsal.db_check:
    login_password: "{{ staging_db_password }}"
    fingerprint_schemas: [public]
    fingerprint_method: unordered
  register: db_unordered

- name: Fingerprint exactly what a running pg_dump --snapshot={{ snapshot_id }} dumps
  footballpred.rehearsal.db_check:
    login_password: "{{ staging_db_password }}"
    fingerprint_schemas: [public]
    fingerprint_method: unordered_record
    fingerprint_snapshot: "{{ snapshot_id }}"
  register: db_in_dump_snapshot

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
    method:
      description: The O(fingerprint_method) used.
      type: str
    snapshot:
      description: The O(fingerprint_snapshot) read from, null when the module took its own snapshot.
      type: str
    tables:
      description:
        - Per V(schema.table), C({rows, checksum, ordered_by, error}); C(ordered_by) is V(primary_key) or
          V(row_text) (method V(ordered)), or V(none) (the unordered methods).
        - The checksum of V(unordered) starts with C(sum:), the one of V(unordered_record) with C(rsum:)
          (or C(sum:) for a table it had to sum over the row text).
      type: dict
    table_count:
      description: Number of tables fingerprinted.
      type: int
    total_rows:
      description: Sum of the row counts.
      type: int
    digest:
      description:
        - SHA-256 over all tables' names, counts and checksums; null when a table could not be read.
        - Equal digests mean equal data only when both fingerprints used the same O(fingerprint_method).
      type: str
    latency_ms:
      description: Time taken by the whole fingerprint.
      type: float
    error:
      description: First table error, empty when every table was read.
      type: str
  sample:
    schemas: [public]
    method: ordered
    snapshot: null
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
    undefined_function,
    validate_postgres_params,
)

CRUD_STEPS = ("create", "write", "read", "update", "delete", "drop")
FINGERPRINT_METHODS = ("ordered", "unordered", "unordered_record")

# Per method: the checksum of a table as one aggregate over its rows ``t``. The unordered ones
# add up a 64-bit hash per row with sum(bigint), which is exact (numeric), so they depend only
# on the multiset of rows; their prefix keeps them from ever equalling another method's.
CHECKSUM_SQL = {
    "ordered": "md5(coalesce(string_agg(md5(t::text), '' ORDER BY {order}), ''))",
    "unordered": "'sum:' || coalesce(sum(hashtextextended(t::text, 0)), 0)::text",
    "unordered_record": "'rsum:' || coalesce(sum(hash_record_extended(t, 0)), 0)::text",
}

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


def checksum_query(method: str, relation, primary_key: list):
    if method != "ordered":
        return sql.SQL("SELECT count(*), " + CHECKSUM_SQL[method] + " FROM {} AS t").format(relation)
    if primary_key:
        order = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(column)) for column in primary_key)
    else:
        order = sql.SQL("t::text")
    return sql.SQL("SELECT count(*), " + CHECKSUM_SQL[method].format(order="{}") + " FROM {} AS t").format(
        order, relation)


def table_fingerprint(cursor, schema: str, table: str, primary_key: list, secrets, method: str = "ordered") -> dict:
    """Row count and checksum of one table; a failed table rolls back to its savepoint.

    With ``unordered_record``, a table with a column type that has no hash function (json,
    point, ...) is summed over its row text instead (checksum ``sum:``, as ``unordered``).
    """
    relation = sql.Identifier(schema, table)
    ordered_by = "none" if method != "ordered" else "primary_key" if primary_key else "row_text"
    cursor.execute("SAVEPOINT fp_table")
    try:
        cursor.execute(checksum_query(method, relation, primary_key))
        rows, checksum = cursor.fetchone()
    except connection_errors() as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT fp_table")
        # "could not identify an extended hash function for type json" (or, before
        # PostgreSQL 14, no hash_record_extended at all): sum the row text instead.
        if method == "unordered_record" and isinstance(exc, undefined_function()):
            return table_fingerprint(cursor, schema, table, primary_key, secrets, "unordered")
        return dict(rows=None, checksum=None, ordered_by=ordered_by, error=error_text(exc, secrets))
    cursor.execute("RELEASE SAVEPOINT fp_table")
    return dict(rows=rows, checksum=checksum, ordered_by=ordered_by, error="")


def fingerprint(cursor, schemas: list, exclude: list, secrets, method: str = "ordered",
                snapshot: str | None = None) -> dict:
    """Row counts and checksums of all tables of ``schemas`` from one snapshot.

    The snapshot is the transaction's own, or the exported ``snapshot`` of another
    transaction (``SET TRANSACTION SNAPSHOT``), e.g. the one a ``pg_dump --snapshot`` reads.
    """
    started = monotonic()
    exclude_set = set(exclude)
    tables = {}
    errors = []
    cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        if snapshot:
            try:
                # Must come first in the transaction, before any query.
                cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
            except connection_errors() as exc:
                errors.append("snapshot %s: %s" % (snapshot, error_text(exc, secrets)))
        if not errors:
            for statement in FINGERPRINT_SESSION:
                cursor.execute(statement)
            cursor.execute(LIST_TABLES, (schemas,))
            for schema, table, primary_key in cursor.fetchall():
                if not excluded(schema, table, exclude_set):
                    tables["%s.%s" % (schema, table)] = table_fingerprint(cursor, schema, table, primary_key,
                                                                          secrets, method)
    finally:
        cursor.execute("ROLLBACK")
    errors += [entry["error"] for entry in tables.values() if entry["error"]]
    digest = None
    if not errors:
        canonical = json.dumps([[name, entry["rows"], entry["checksum"]] for name, entry in sorted(tables.items())])
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return dict(
        schemas=schemas,
        method=method,
        snapshot=snapshot or None,
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
    if params["fingerprint_snapshot"] is not None:
        if not params["fingerprint_snapshot"]:
            module.fail_json(msg="fingerprint_snapshot must not be empty")
        if not params["fingerprint_schemas"]:
            module.fail_json(msg="fingerprint_snapshot needs fingerprint_schemas")


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
                                                params["fingerprint_exclude_tables"], secrets,
                                                method=params["fingerprint_method"],
                                                snapshot=params["fingerprint_snapshot"])
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
        fingerprint_method=dict(type="str", default="ordered", choices=list(FINGERPRINT_METHODS)),
        fingerprint_snapshot=dict(type="str"),
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
