#!/usr/bin/env python3
"""What a full-table fingerprint costs, against alternatives and against the dump (not a test).

    flock /tmp/fp-stack.lock .venv/bin/python bench/fingerprint.py [--db-mib 300] [--reps 3]

On a running PostgreSQL (default: the shared staging stack, 127.0.0.1:5433) it creates a
scratch database fp_bench_fingerprint_<UTC timestamp>, copies the staging schema and its small
tables into it, grows ``predictions`` until pg_database_size >= --db-mib, and then times, in
the same run and in rotating order (median of --reps):

  ordered           db_check's fingerprint_method=ordered (its only one before issue 13):
                    count(*) and md5(string_agg(md5(row::text) ORDER BY primary key)) per table,
                    one REPEATABLE READ snapshot, tables one after the other (the reference)
  unordered_md5     count(*) and the sum (numeric, no overflow) of the first 64 bits of
                    md5(row::text); no sort (a candidate, not in the module)
  unordered         db_check's unordered: count(*) and sum(hashtextextended(row::text, 0))
  unordered_serial  the same with max_parallel_workers_per_gather = 0 (no parallel scan)
  unordered_record  db_check's unordered_record: sum(hash_record_extended(row, 0)), no row text
  parallel_snapshot unordered_record on --workers connections that share one exported snapshot
                    (pg_export_snapshot + SET TRANSACTION SNAPSHOT), big tables split into
                    ctid ranges (sums add up, so the result equals unordered_record's)
  scan_floor        count(*) per table: reading the rows without looking at them
  module_<method>   the db_check module's own fingerprint() for each of its methods (Python,
                    savepoints, catalog query included)
  dump              docker exec pg_dump --format=plain | gzip -6 > file (the backup's data path)
  dump+ordered / dump+unordered_record   the same dump with --snapshot=<id> of a transaction
                    that fingerprints concurrently, on its own connection, in that very snapshot

Every figure is also printed as a ratio to `ordered` and to `dump`. The run checks that the
methods agree with each other where they must (parallel == unordered_md5, the dump's snapshot
sees the same data). The scratch database is dropped at the end (--keep leaves it).
"""

from __future__ import annotations

# pylint: disable=consider-using-f-string,too-many-public-methods
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "collections"))
MIB = 1024 * 1024
T0 = time.monotonic()

# pylint: disable=wrong-import-position
try:
    from ansible_collections.footballpred.rehearsal.plugins.modules import db_check  # noqa: E402
except ImportError:  # a checkout without the collections/ symlink
    db_check = None

SESSION = db_check.FINGERPRINT_SESSION if db_check else (
    "SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1", "SET LOCAL bytea_output = 'hex'")

TABLES = """
SELECT n.nspname::text, c.relname::text, c.relpages,
       ARRAY(SELECT a.attname::text FROM pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.position)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = 'public'
 ORDER BY 1, 2
"""

MD5_64 = "('x' || left(md5(t::text), 16))::bit(64)::bigint"
# The module's own checksum SQL where it has it, so the candidates are what db_check runs.
CHECKSUM_SQL = getattr(db_check, "CHECKSUM_SQL", {})
AGGREGATES = {
    "unordered_md5": "count(*), sum(%s)::text" % MD5_64,
    "unordered": "count(*), " + CHECKSUM_SQL.get("unordered", "sum(hashtextextended(t::text, 0))::text"),
    "unordered_record": "count(*), " + CHECKSUM_SQL.get("unordered_record", "sum(hash_record_extended(t, 0))::text"),
    "scan_floor": "count(*), ''",
}

GENERATE = """
INSERT INTO predictions (home_team_id, away_team_id, league, match_date, predicted_outcome,
    home_win_prob, draw_prob, away_win_prob, confidence, expected_home_goals, expected_away_goals,
    model_name, model_version, request_id, created_at)
SELECT t.ids[1 + g %% t.n], t.ids[1 + (g / t.n + g + 1) %% t.n], 'Bench League',
       timestamptz '2015-01-01 00:00:00+00' + g * interval '1 minute',
       (ARRAY['home_win', 'draw', 'away_win'])[1 + g %% 3],
       0.20 + (g %% 50) / 100.0, 0.25, 0.55 - (g %% 50) / 100.0, 0.40 + (g %% 40) / 100.0,
       0.5 + (g %% 30) / 10.0, 0.4 + (g %% 25) / 10.0,
       'football-match-predictor', '1', md5(g::text)::uuid::text,
       timestamptz '2015-01-01 00:00:00+00' + g * interval '1 minute' - interval '1 day'
FROM generate_series(%s, %s) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM teams) AS t
"""


def log(msg: str) -> None:
    print("[fingerprint %6.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.db = "fp_bench_fingerprint_%s" % self.stamp.lower()
        self.deadline = T0 + args.budget_min * 60
        self.samples: dict[str, list[float]] = {}
        self.values: dict[str, object] = {}
        self.out: dict = {"format": "footballpred.rehearsal/bench-fingerprint/v1", "database": {"name": self.db},
                          "host": {"cpus": os.cpu_count(), "loadavg_at_start": list(os.getloadavg())},
                          "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}

    # --- connections ------------------------------------------------------------------------
    def connect(self, dbname: str | None = None):
        connection = psycopg2.connect(host=self.args.host, port=self.args.port, user=self.args.user,
                                      password=self.args.password, dbname=dbname or self.db, connect_timeout=5,
                                      application_name="footballpred-bench-fingerprint",
                                      options="-c statement_timeout=%d" % (self.args.statement_timeout * 1000))
        connection.autocommit = True
        return connection

    def need(self, seconds: float, what: str) -> None:
        if time.monotonic() + seconds > self.deadline:
            raise TimeoutError("%s would not fit in the --budget-min of %s min" % (what, self.args.budget_min))

    # --- scratch database -------------------------------------------------------------------
    def create(self) -> None:
        admin = self.connect(self.args.source_db)
        try:
            admin.cursor().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db)))
        finally:
            admin.close()
        log("created %s; copying the schema and small tables of %s" % (self.db, self.args.source_db))
        env = dict(os.environ, PGPASSWORD=self.args.password)
        base = ["-h", self.args.host, "-p", str(self.args.port), "-U", self.args.user, "--no-password"]
        dump = subprocess.Popen(["pg_dump", *base, "--no-owner", "--no-privileges", "-d", self.args.source_db,
                                 "--exclude-table-data=predictions"],
                                stdout=subprocess.PIPE, env=env)
        subprocess.run(["psql", *base, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.db], stdin=dump.stdout,
                       stdout=subprocess.DEVNULL, env=env, check=True, timeout=300)
        dump.stdout.close()
        if dump.wait(timeout=60) != 0:
            raise RuntimeError("pg_dump of the schema failed")

    def size(self, cursor) -> int:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]

    def generate(self) -> None:
        started = time.monotonic()
        target = int(self.args.db_mib * MIB)
        connection = self.connect()
        with connection.cursor() as cursor:
            lo, batches = 1, 0
            while self.size(cursor) < target:
                if batches >= self.args.max_batches:
                    raise RuntimeError("still below %s MiB after %d batches" % (self.args.db_mib, batches))
                self.need(60, "data generation")
                cursor.execute(GENERATE, (lo, lo + self.args.batch_rows - 1))
                lo, batches = lo + self.args.batch_rows, batches + 1
                log("  batch %d: database %.1f MiB" % (batches, self.size(cursor) / MIB))
            cursor.execute("SELECT setval('predictions_id_seq', (SELECT max(id) FROM predictions))")
            cursor.execute("VACUUM (ANALYZE)")  # hint bits and visibility map, so no reader pays for them
            size = self.size(cursor)
            cursor.execute("SELECT relname || '=' || pg_size_pretty(pg_total_relation_size(relid)) "
                           "|| ' ' || n_live_tup "
                           "FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC")
            tables = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT count(*) FROM predictions")
            rows = cursor.fetchone()[0]
        connection.close()
        self.out["database"].update(size_bytes=size, size_mib=round(size / MIB, 1), predictions_rows=rows,
                                    batches=batches, generation_s=round(time.monotonic() - started, 1),
                                    tables=tables)
        log("database %s: %.1f MiB, predictions %d rows, generated in %.0f s"
            % (self.db, size / MIB, rows, time.monotonic() - started))

    def drop(self) -> None:
        try:
            admin = self.connect(self.args.source_db)
            try:
                admin.cursor().execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.db)))
            finally:
                admin.close()
            log("dropped %s" % self.db)
        except psycopg2.Error as exc:
            log("could not drop %s: %s" % (self.db, exc))

    # --- fingerprints -----------------------------------------------------------------------
    @staticmethod
    def begin(cursor, snapshot: str | None = None, serial: bool = False) -> None:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if snapshot:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
        for statement in SESSION:
            cursor.execute(statement)
        if serial:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")

    @staticmethod
    def tables(cursor) -> list:
        cursor.execute(TABLES)
        return cursor.fetchall()

    def ordered(self, cursor) -> dict:
        result = {}
        for schema, table, _pages, primary_key in self.tables(cursor):
            order = (sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in primary_key)
                     if primary_key else sql.SQL("t::text"))
            cursor.execute(sql.SQL("SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY {}), '')) "
                                   "FROM {} AS t").format(order, sql.Identifier(schema, table)))
            result[table] = list(cursor.fetchone())
        return result

    def unordered(self, cursor, aggregate: str, where: sql.Composable = sql.SQL(""), tables=None) -> dict:
        result = {}
        for schema, table, _pages, _pk in tables if tables is not None else self.tables(cursor):
            cursor.execute(sql.SQL("SELECT {} FROM {} AS t {}").format(
                sql.SQL(AGGREGATES[aggregate]), sql.Identifier(schema, table), where))
            result[table] = list(cursor.fetchone())
        return result

    def one_snapshot(self, method: str) -> dict:
        connection = self.connect()
        cursor = connection.cursor()
        try:
            self.begin(cursor, serial=method.endswith("_serial"))
            if method == "ordered":
                return self.ordered(cursor)
            return self.unordered(cursor, method.replace("_serial", ""))
        finally:
            cursor.execute("ROLLBACK")
            connection.close()

    def parallel_snapshot(self) -> dict:
        """unordered_record on --workers connections in one exported snapshot, big tables in ctid ranges."""
        workers = self.args.workers
        leader = self.connect()
        cursor = leader.cursor()
        try:
            self.begin(cursor)
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            jobs = []  # (table row, ctid lower page, upper page or None)
            for row in self.tables(cursor):
                pages = max(row[2], 1)
                chunks = workers if pages >= 128 else 1
                step = -(-pages // chunks)
                for k in range(chunks):
                    jobs.append((row, k * step, None if k == chunks - 1 else (k + 1) * step))
            partial: list[tuple[str, int, int]] = []
            errors: list[BaseException] = []
            lock = threading.Lock()

            def work(mine):
                try:
                    connection = self.connect()
                    own = connection.cursor()
                    self.begin(own, snapshot=snapshot, serial=True)
                    for row, low, high in mine:
                        where = sql.SQL("WHERE t.ctid >= {}::tid").format(sql.Literal("(%d,0)" % low))
                        if high is not None:
                            where = sql.SQL("{} AND t.ctid < {}::tid").format(where, sql.Literal("(%d,0)" % high))
                        count, total = self.unordered(own, "unordered_record", where, [row])[row[1]]
                        with lock:
                            partial.append((row[1], count, int(str(total or "0").rsplit(":", maxsplit=1)[-1])))
                    own.execute("ROLLBACK")
                    connection.close()
                except BaseException as exc:  # pylint: disable=broad-except
                    errors.append(exc)

            # Greedy assignment by pages, so each worker reads about as much.
            loads = [[0, []] for _ in range(workers)]
            for job in sorted(jobs, key=lambda j: -((j[2] or j[0][2]) - j[1])):
                target = min(loads, key=lambda load: load[0])
                target[0] += max((job[2] or job[0][2]) - job[1], 1)
                target[1].append(job)
            threads = [threading.Thread(target=work, args=(load[1],)) for load in loads if load[1]]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=self.args.statement_timeout + 30)
            if errors or any(thread.is_alive() for thread in threads):
                raise RuntimeError("parallel fingerprint failed: %r" % (errors[:1],))
        finally:
            cursor.execute("ROLLBACK")
            leader.close()
        result: dict = {}
        for table, count, total in partial:
            entry = result.setdefault(table, [0, 0])
            entry[0] += count
            entry[1] += total
        prefix = "rsum:" if "rsum:" in AGGREGATES["unordered_record"] else ""
        return {table: [count, "%s%d" % (prefix, total)] for table, (count, total) in result.items()}

    def module(self, method: str) -> dict:
        connection = self.connect()
        cursor = connection.cursor()
        try:
            kwargs = {"method": method} if "method" in db_check.fingerprint.__code__.co_varnames else {}
            return db_check.fingerprint(cursor, ["public"], [], (), **kwargs)
        finally:
            connection.close()

    # --- the dump ---------------------------------------------------------------------------
    def dump_command(self, snapshot: str | None) -> str:
        dest = "/tmp/%s.sql.gz" % self.db
        snap = " --snapshot=%s" % snapshot if snapshot else ""
        return ("set -o pipefail; docker exec -e PGPASSWORD %s pg_dump --format=plain --no-password%s "
                "--dbname=%s --username=%s | gzip -6 > %s; rc=$?; stat -c %%s %s; rm -f %s; exit $rc"
                % (self.args.container, snap, self.db, self.args.user, dest, dest, dest))

    def dump(self, snapshot: str | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.dump_command(snapshot), shell=True, executable="/bin/bash", text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env=dict(os.environ, PGPASSWORD=self.args.password))

    def wait_dump(self, proc: subprocess.Popen) -> int:
        try:
            out, err = proc.communicate(timeout=self.args.statement_timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, 15)
            proc.communicate()
            raise RuntimeError("pg_dump timed out") from exc
        if proc.returncode != 0:
            raise RuntimeError("pg_dump failed: %s" % err.strip()[-500:])
        return int(out.strip().splitlines()[-1])

    def dump_alone(self) -> dict:
        return {"gzip_bytes": self.wait_dump(self.dump())}

    def dump_with(self, method: str) -> dict:
        connection = self.connect()
        cursor = connection.cursor()
        try:
            self.begin(cursor, serial=False)
            cursor.execute("SELECT pg_export_snapshot()")
            proc = self.dump(cursor.fetchone()[0])
            try:
                fingerprint = self.ordered(cursor) if method == "ordered" else self.unordered(cursor, method)
            finally:
                size = self.wait_dump(proc)
            return {"gzip_bytes": size, "fingerprint": fingerprint}
        finally:
            cursor.execute("ROLLBACK")
            connection.close()

    # --- the run ----------------------------------------------------------------------------
    def measure(self) -> None:
        cases = {
            "ordered": lambda: self.one_snapshot("ordered"),
            "unordered_md5": lambda: self.one_snapshot("unordered_md5"),
            "unordered": lambda: self.one_snapshot("unordered"),
            "unordered_serial": lambda: self.one_snapshot("unordered_serial"),
            "unordered_record": lambda: self.one_snapshot("unordered_record"),
            "parallel_snapshot": self.parallel_snapshot,
            "scan_floor": lambda: self.one_snapshot("scan_floor"),
            "dump": self.dump_alone,
            "dump+ordered": lambda: self.dump_with("ordered"),
            "dump+unordered_record": lambda: self.dump_with("unordered_record"),
        }
        if db_check is not None:
            methods = ["ordered"]
            if "method" in db_check.fingerprint.__code__.co_varnames:
                methods = list(getattr(db_check, "FINGERPRINT_METHODS", ["ordered"]))
            for method in methods:
                cases["module_%s" % method] = lambda method=method: self.module(method)
        names = [name for name in cases if not self.args.only or name in self.args.only]
        for rep in range(self.args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                self.need(60, "%s, repetition %d" % (name, rep + 1))
                started = time.monotonic()
                value = cases[name]()
                seconds = time.monotonic() - started
                self.samples.setdefault(name, []).append(round(seconds, 3))
                self.values[name] = value
                log("rep %d %-22s %7.2f s" % (rep + 1, name, seconds))

    def agreements(self) -> dict:
        values = self.values
        checks = {}

        def tables(name):
            value = values.get(name)
            if isinstance(value, dict) and "tables" in value:
                return {k.split(".", 1)[1]: [v["rows"], v["checksum"]] for k, v in value["tables"].items()}
            if isinstance(value, dict) and "fingerprint" in value:
                return value["fingerprint"]
            return value

        pairs = [("parallel_snapshot", "unordered_record"), ("unordered_serial", "unordered"),
                 ("dump+unordered_record", "unordered_record"), ("dump+ordered", "ordered"),
                 ("module_ordered", "ordered"), ("module_unordered", "unordered"),
                 ("module_unordered_record", "unordered_record")]
        for left, right in pairs:
            if left in values and right in values:
                a, b = tables(left), tables(right)
                norm = {k: [v[0], None if v[1] in ("", None) else str(v[1])] for k, v in a.items()}
                normb = {k: [v[0], None if v[1] in ("", None) else str(v[1])] for k, v in b.items()}
                checks["%s == %s" % (left, right)] = norm == normb
        return checks

    def report(self) -> str:
        med = {name: statistics.median(s) for name, s in self.samples.items()}
        ordered, dump = med.get("ordered"), med.get("dump")
        rows = []
        for name, seconds in med.items():
            rows.append({"method": name, "median_s": round(seconds, 3), "samples_s": self.samples[name],
                         "vs_ordered": round(seconds / ordered, 2) if ordered else None,
                         "vs_dump": round(seconds / dump, 2) if dump else None})
        self.out["methods"] = rows
        self.out["agreements"] = self.agreements()
        db = self.out["database"]
        lines = ["footballpred.rehearsal fingerprint bench - %s - %s:%s, %s CPUs, "
                 "load average %.1f at start, %.1f at end"
                 % (self.out["started_at"], self.args.host, self.args.port, self.out["host"]["cpus"],
                    self.out["host"]["loadavg_at_start"][0], os.getloadavg()[0]),
                 "database %s: %s MiB, predictions %s rows; %d repetitions, median"
                 % (db["name"], db.get("size_mib"), db.get("predictions_rows"), self.args.reps),
                 "",
                 "%-24s%10s%12s%10s" % ("method", "seconds", "/ ordered", "/ dump")]
        for row in rows:
            lines.append("%-24s%10.2f%12s%10s" % (row["method"], row["median_s"], row["vs_ordered"], row["vs_dump"]))
        lines.append("")
        lines.append("agreements: " + ", ".join("%s %s" % (k, "yes" if v else "NO")
                                                for k, v in self.out["agreements"].items()))
        return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/fingerprint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--user", default="football_staging_user")
    ap.add_argument("--password", default=os.environ.get("PGPASSWORD", ""),
                    help="default $PGPASSWORD, else STAGING_DB_PASSWORD of --env-file")
    ap.add_argument("--env-file", default=str(REPO / "examples" / "football-prediction" / ".env.staging"),
                    help="where STAGING_DB_PASSWORD is read when neither --password nor $PGPASSWORD is set")
    ap.add_argument("--source-db", default="football_prediction_staging", help="schema and small tables come from it")
    ap.add_argument("--container", default="football-prediction-staging-db-1", help="db container, for pg_dump")
    ap.add_argument("--db-mib", type=float, default=300)
    ap.add_argument("--batch-rows", type=int, default=250_000)
    ap.add_argument("--max-batches", type=int, default=40)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="connections of parallel_snapshot (2)")
    ap.add_argument("--only", nargs="*", default=[], help="measure only these methods")
    ap.add_argument("--statement-timeout", type=int, default=600, help="seconds, per statement and per dump")
    ap.add_argument("--budget-min", type=float, default=15, help="stop measuring when this would be exceeded (15)")
    ap.add_argument("--keep", action="store_true", help="leave the scratch database")
    args = ap.parse_args(argv)
    if not args.password:
        env_file = Path(args.env_file)
        if env_file.exists():
            for line in env_file.read_text(encoding="utf-8").splitlines():
                if line.startswith("STAGING_DB_PASSWORD="):
                    args.password = line.split("=", 1)[1].strip().strip("'\"")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    ok = False
    try:
        bench.create()
        bench.generate()
        bench.measure()
        ok = True
    except (TimeoutError, RuntimeError, psycopg2.Error, subprocess.SubprocessError) as exc:
        log("stopped: %s" % exc)
        bench.out["stopped"] = str(exc)
    finally:
        if not args.keep:
            bench.drop()
        bench.out["host"]["loadavg_at_end"] = list(os.getloadavg())
        bench.out["total_s"] = round(time.monotonic() - T0, 1)
        text = bench.report() if bench.samples else "no measurement"
        results = REPO / "bench" / "results" / ("fingerprint-%s.json" % bench.stamp)
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(bench.out, indent=2) + "\n", encoding="utf-8")
        print(text + "\nresults %s, total %.0f s" % (results.relative_to(REPO), bench.out["total_s"]), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
