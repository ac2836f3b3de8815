#!/usr/bin/env python3
"""Benchmarks of footballpred.rehearsal on an isolated local stack (run through bench/run.sh).

Every product figure is printed as a ratio against a baseline measured in the same run:

  rehearsal phases   each phase's duration_s from the full rehearsal's report JSON, against
                     the bare command that does that phase's core work (where one exists)
  app rollback       the rollback role's container drill against `compose stop app` +
                     `compose up -d app` on the previous tag + polling /health
  restore + verify   db_restore into a scratch db + db_check fingerprint compared with the
                     manifest, against createdb + `gunzip | psql` of the same dump
  health             the health phase's checks concurrently against one by one
  backup             the backup role (streamed dump + sha256 + manifest + verify) against
                     `pg_dump | gzip` of the same database

The stack is a second compose project (default footballpred-bench) on its own ports and
volumes, with its own app image name (footballpred-bench/app) and rehearsal lock, so the
shared staging stack, its images and its data are never touched. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The code the tests and the bench share (tests/support), imported as `support`.
sys.path.insert(0, str(REPO / "tests"))

# pylint: disable=wrong-import-position
from support.playbook import playbook_argv, run_playbook, write_vars_file  # noqa: E402
from support.processes import stop_process_group  # noqa: E402
from support.stack import COMPOSE_FILES, SOURCE_PROJECT as PROJECT_DIR  # noqa: E402
from support.stack import IsolatedStack, retarget_env_text  # noqa: E402

BENCH = REPO / "bench"

DB_NAME = "football_prediction_staging"
DB_USER = "football_staging_user"
DB_PASSWORD = "local-only-bench-db-password"
REDIS_PASSWORD = "local-only-bench-redis-password"
SOURCE_IMAGE = "football-prediction:staging-latest"
BENCH_IMAGE = "footballpred-bench/app"
SHARED_PORTS = {8001, 5433, 6380, 9093, 5001, 9090}
MIB = 1024 * 1024

T0 = time.monotonic()
CURRENT: subprocess.Popen | None = None


# --- small helpers -------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[bench {time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


class OutOfTime(Exception):
    pass


def run(cmd, *, timeout: float, env: dict | None = None, stdin=None, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, check: bool = True, shell: bool = False, cwd: Path = REPO) -> tuple[int, str, str, float]:
    """Run a command in its own process group; kill the whole group on timeout."""
    global CURRENT
    full_env = dict(os.environ, **(env or {}))
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=full_env, stdin=stdin, stdout=stdout, stderr=stderr, shell=shell,
                            cwd=cwd, start_new_session=True, text=True,
                            executable="/bin/bash" if shell else None)
    CURRENT = proc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process_group(proc, grace_s=15)
        proc.communicate()
        raise BenchError(f"timed out after {timeout:.0f}s: {cmd if shell else ' '.join(map(str, cmd))}")
    finally:
        CURRENT = None
    seconds = time.monotonic() - started
    if check and proc.returncode != 0:
        tail = (err or out or "").strip().splitlines()[-15:]
        raise BenchError(f"exit {proc.returncode}: {cmd if shell else ' '.join(map(str, cmd))}\n  " + "\n  ".join(tail))
    return proc.returncode, out or "", err or "", seconds


def ratio(product: float | None, baseline: float | None) -> float | None:
    if product is None or baseline is None or baseline <= 0:
        return None
    return round(product / baseline, 2)


def med(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def http_health(url: str, timeout: float = 3.0) -> tuple[bool, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read().decode() or "{}")
            return response.status == 200 and body.get("status") == "healthy", body
    except (urllib.error.URLError, OSError, ValueError):
        return False, {}


# --- the bench --------------------------------------------------------------------------------

class BenchStack(IsolatedStack):
    """The bench's compose project on the example project itself; docker through run()
    (its own process group, BenchError)."""

    def docker(self, *args, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        argv = ["docker", *map(str, args)]
        rc, out, err, _ = run(argv, timeout=timeout, check=check)
        return subprocess.CompletedProcess(argv, rc, out, err)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stack = BenchStack(args.project, {"api": args.api_port, "db": args.db_port, "redis": args.redis_port,
                                               "kafka": args.kafka_port, "mlflow": args.mlflow_port,
                                               "prometheus": args.prometheus_port}, BENCH_IMAGE)
        self.stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.work = Path(args.work_dir).resolve() if args.work_dir else BENCH / ".work" / self.stamp
        self.env_file = self.work / "env.bench"
        self.inventory = self.work / "inventory"
        self.backup_dir = self.work / "backups"
        self.results_dir = self.work / "rehearsal_results"
        self.logs = self.work / "logs"
        self.deadline = T0 + args.budget_min * 60
        self.db_container = ""
        self.out: dict = {
            "format": "footballpred.rehearsal/bench/v1",
            "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "bench/run.sh " + " ".join(sys.argv[1:]),
            "host": self.host_info(),
            "stack": {"project": self.stack.project_name, "ports": self.stack.ports, "app_image": BENCH_IMAGE},
            "database": {},
            "comparisons": [],
            "rehearsal": {},
            "details": {},
            "not_measured": [],
        }

    # --- environment ------------------------------------------------------------------------
    @staticmethod
    def host_info() -> dict:
        mem_kib = 0
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
        except OSError:
            pass
        return {"cpus": os.cpu_count(), "mem_gib": round(mem_kib / 1024 / 1024, 1),
                "loadavg_at_start": list(os.getloadavg())}

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def need(self, seconds: float, what: str) -> None:
        """Skip a step when the time budget cannot fit it (teardown reserve included)."""
        if self.remaining() - 60 < seconds:
            raise OutOfTime(f"{what}: needs ~{seconds:.0f}s, {max(0, self.remaining() - 60):.0f}s left of the budget")

    def compose_cmd(self, *args: str) -> list[str]:
        return self.stack.compose_command(self.env_file, *args)

    def stack_env(self) -> dict:
        return {"FP_STACK_PROJECT": self.stack.project_name, "FP_STACK_ENV_FILE": str(self.env_file)}

    def check_ports(self) -> None:
        clash = self.stack.clashing_ports(SHARED_PORTS)
        if clash:
            raise BenchError(f"ports {clash} belong to the shared staging stack; choose others")
        if self.stack.project_containers():
            raise BenchError(f"compose project {self.stack.project_name} already has containers (a kept bench stack?): "
                             f"tear it down with `bench/run.sh --down` (or use --project)")
        busy = self.stack.busy_ports()
        if busy:
            raise BenchError(f"ports already in use: {busy}; choose free ones (--api-port ... --prometheus-port)")

    def write_env_file(self) -> None:
        overrides = {
            **self.stack.env_values(),
            "LOG_LEVEL": "INFO", "STAGING_DB_PASSWORD": DB_PASSWORD, "REDIS_PASSWORD": REDIS_PASSWORD,
            "STAGING_REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.stack.ports['redis']}/1",
            "APP_TAG": "staging-latest",
        }
        text = retarget_env_text((PROJECT_DIR / ".env.staging.example").read_text(), overrides, append_missing=True)
        self.env_file.write_text("# Generated by bench/bench.py for the isolated bench stack.\n" + text)
        self.env_file.chmod(0o600)

    def write_inventory(self) -> None:
        gv = {
            "rehearsal_environment": "staging",
            # Project dir, compose project, ports, service URLs and app image of the bench stack.
            **self.stack.inventory_vars(),
            "rehearsal_compose_files": COMPOSE_FILES,
            # Relative to the project dir: every role joins project dir and env file.
            "rehearsal_env_file": os.path.relpath(self.env_file, PROJECT_DIR),
            "rehearsal_env_file_template": ".env.staging.example",
            "rehearsal_api_host": "127.0.0.1",
            "rehearsal_api_base_url": self.stack.api,
            "rehearsal_db_host": "127.0.0.1",
            "rehearsal_db_name": DB_NAME,
            "rehearsal_db_user": DB_USER,
            "rehearsal_db_password": DB_PASSWORD,
            "rehearsal_redis_host": "127.0.0.1",
            "rehearsal_redis_db": 1,
            "rehearsal_redis_password": REDIS_PASSWORD,
            "rehearsal_kafka_required_topics": ["prediction-events"],
            "rehearsal_mlflow_required_models": ["football-match-predictor"],
            "rehearsal_grafana_url": "",
            "rehearsal_images": {"postgres": "footballpred/postgres:15", "redis": "footballpred/redis:7",
                                 "kafka": "footballpred/kafka:tansu", "mlflow": "footballpred/mlflow:local",
                                 "prometheus": "footballpred/prometheus:local"},
            "rehearsal_results_dir": str(self.results_dir),
            "rehearsal_backup_dir": str(self.backup_dir),
            # Bench-only settings: its own lock (the shared stack's rehearsals keep theirs),
            # the env file made above (rendering it would reset the other ports), the
            # images tagged above (no build), the runbook's full stop/start on every deploy,
            # and a config drill that only touches the bench's own env file.
            "preflight_lock_dir": "/run/lock/footballpred-bench",
            "deploy_render_env_file": False,
            "deploy_build": False,
            "deploy_restart_policy": "always",
            "rollback_config_files": ["{{ rehearsal_env_file }}"],
        }
        hosts = {"staging": {"hosts": {"bench-staging": {
            "ansible_host": "127.0.0.1", "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}
        (self.inventory / "group_vars").mkdir(parents=True, exist_ok=True)
        header = "# Generated by bench/bench.py: the isolated bench stack (JSON is YAML).\n"
        (self.inventory / "hosts.yml").write_text(header + json.dumps(hosts, indent=2) + "\n")
        (self.inventory / "group_vars" / "all.yml").write_text(header + json.dumps(gv, indent=2) + "\n")

    def make_images(self) -> None:
        """footballpred-bench/app:staging-previous and :staging-latest, two thin layers on the
        current app image that differ only in the version /health reports."""
        _, out, _, _ = run(["docker", "image", "inspect", SOURCE_IMAGE, "--format",
                            "{{.Id}} {{index .Config.Labels \"org.opencontainers.image.version\"}}"], timeout=30)
        image_id, _, version = out.strip().partition(" ")
        version = version or "unknown"
        # Pin the source by ID under the bench's own name: other engineers re-tag
        # staging-latest while they work, and BuildKit resolves a bare ID as a registry name.
        run(["docker", "tag", image_id, f"{BENCH_IMAGE}:source"], timeout=30)
        built = {}
        for tag, suffix in (("staging-previous", "bench.1"), ("staging-latest", "bench.2")):
            bench_version = f"{version}+{suffix}"
            dockerfile = f"FROM {BENCH_IMAGE}:source\nENV APP_VERSION={bench_version}\n"
            proc = subprocess.run(["docker", "build", "-q", "--label", f"org.opencontainers.image.version={bench_version}",
                                   "-t", f"{BENCH_IMAGE}:{tag}", "-"], input=dockerfile, text=True,
                                  capture_output=True, timeout=300, check=False)
            if proc.returncode != 0:
                raise BenchError(f"docker build {BENCH_IMAGE}:{tag} failed: {proc.stderr.strip()[-500:]}")
            built[tag] = bench_version
        self.out["stack"]["app_source_image"] = {"image": SOURCE_IMAGE, "id": image_id[:19], "version": version}
        self.out["stack"]["app_versions"] = built
        log(f"images {BENCH_IMAGE}:staging-previous ({built['staging-previous']}) and :staging-latest "
            f"({built['staging-latest']}) from {SOURCE_IMAGE} {image_id[7:19]}")

    # --- database helpers -----------------------------------------------------------------------
    def find_db_container(self) -> str:
        _, out, _, _ = run(self.compose_cmd("ps", "-q", "db"), timeout=60)
        cid = out.strip().splitlines()[0] if out.strip() else ""
        if not cid:
            raise BenchError("no db container in the bench stack")
        _, name, _, _ = run(["docker", "inspect", "--format", "{{.Name}}", cid], timeout=30)
        self.db_container = name.strip().lstrip("/")
        return self.db_container

    def psql(self, sql: str, db: str = DB_NAME, timeout: float = 600) -> str:
        cmd = ["docker", "exec", "-i", "-e", "PGPASSWORD", self.db_container, "psql", "-X", "-q", "-tA",
               "-v", "ON_ERROR_STOP=1", "-U", DB_USER, "-d", db]
        proc = subprocess.run(cmd, input=sql, text=True, capture_output=True, timeout=timeout,
                              env=dict(os.environ, PGPASSWORD=DB_PASSWORD), check=False)
        if proc.returncode != 0:
            raise BenchError(f"psql failed: {proc.stderr.strip()[-800:]}")
        return proc.stdout.strip()

    def db_size(self) -> int:
        return int(self.psql("SELECT pg_database_size(current_database());"))

    # --- steps ------------------------------------------------------------------------------------
    def setup(self) -> None:
        for d in (self.work, self.backup_dir, self.results_dir, self.logs, self.work / "bare"):
            d.mkdir(parents=True, exist_ok=True)
        self.check_ports()
        self.make_images()
        self.write_env_file()
        self.write_inventory()
        log(f"work dir {self.work.relative_to(REPO) if self.work.is_relative_to(REPO) else self.work}; "
            f"inventory {self.inventory}")

    def stack_up(self) -> None:
        log(f"starting the bench stack {self.stack.project_name} on ports {self.stack.ports} (stack.sh up --with-app)")
        with open(self.logs / "stack_up.log", "w") as fh:
            _, _, _, seconds = run([str(REPO / "scripts" / "stack.sh"), "up", "--with-app"], timeout=600,
                                   env=self.stack_env(), stdout=fh, stderr=subprocess.STDOUT)
        self.out["details"]["stack_up_s"] = round(seconds, 1)
        self.find_db_container()
        ok, body = http_health(f"{self.stack.api}/health")
        if not ok:
            raise BenchError(f"bench app not healthy after stack up: {body}")
        log(f"stack healthy in {seconds:.0f}s, app version {body.get('version')}")

    def generate_data(self) -> None:
        target = int(self.args.db_mib * MIB)
        size0 = self.db_size()
        log(f"generating predictions rows until pg_database_size >= {self.args.db_mib} MiB (now {size0 / MIB:.1f} MiB)")
        batch, started, batches = self.args.batch_rows, time.monotonic(), 0
        lo = int(self.psql("SELECT coalesce(max(id), 0) + 1 FROM predictions;"))
        size = size0
        while size < target:
            if batches >= self.args.max_batches:
                raise BenchError(f"database still {size / MIB:.0f} MiB after {batches} batches (limit --max-batches)")
            self.need(60, "data generation")
            hi = lo + batch - 1
            self.psql(f"""
SET statement_timeout = '600s';
INSERT INTO predictions (home_team_id, away_team_id, league, match_date, predicted_outcome,
    home_win_prob, draw_prob, away_win_prob, confidence, expected_home_goals, expected_away_goals,
    model_name, model_version, request_id, created_at)
SELECT t.ids[1 + g % t.n], t.ids[1 + (g / t.n + g + 1) % t.n], 'Bench League',
       timestamptz '2015-01-01 00:00:00+00' + g * interval '1 minute',
       (ARRAY['home_win', 'draw', 'away_win'])[1 + g % 3],
       0.20 + (g % 50) / 100.0, 0.25, 0.55 - (g % 50) / 100.0, 0.40 + (g % 40) / 100.0,
       0.5 + (g % 30) / 10.0, 0.4 + (g % 25) / 10.0,
       'football-match-predictor', '1', md5(g::text)::uuid::text,
       timestamptz '2015-01-01 00:00:00+00' + g * interval '1 minute' - interval '1 day'
FROM generate_series({lo}, {hi}) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM teams) AS t;
""")
            lo, batches = hi + 1, batches + 1
            size = self.db_size()
            log(f"  batch {batches}: {batch} rows, database {size / MIB:.1f} MiB")
        # Settle the new rows (hint bits, visibility map, statistics) so that the first
        # reader measured below does not pay for writing them back.
        self.psql("VACUUM (ANALYZE) predictions;", timeout=900)
        try:
            self.psql("CHECKPOINT;", timeout=300)
        except BenchError:
            pass
        size = self.db_size()
        rows = int(self.psql("SELECT count(*) FROM predictions;"))
        tables = self.psql("SELECT relname || '=' || pg_size_pretty(pg_total_relation_size(relid)) "
                           "FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC;").splitlines()
        self.out["database"] = {
            "name": DB_NAME, "size_bytes": size, "size_mib": round(size / MIB, 1),
            "size_pretty": self.psql("SELECT pg_size_pretty(pg_database_size(current_database()));"),
            "size_before_bytes": size0, "predictions_rows": rows, "batches": batches,
            "generation_s": round(time.monotonic() - started, 1), "tables": tables,
        }
        log(f"pg_database_size({DB_NAME}) = {size} bytes ({size / MIB:.1f} MiB), predictions {rows} rows, "
            f"generated in {time.monotonic() - started:.0f}s")

    def ansible(self, playbook: str, name: str, extra: dict | None = None, timeout: float = 900,
                check: bool = True) -> tuple[int, float]:
        extra_file = write_vars_file(self.work / f"{name}.vars.json", extra or {})
        argv = playbook_argv(playbook, inventory=self.inventory, vars_file=extra_file)
        started = time.monotonic()
        with open(self.logs / f"{name}.log", "w") as fh:
            try:
                rc = run_playbook(argv, timeout=timeout, stdout=fh, stderr=subprocess.STDOUT,
                                  env={"ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
                                  ).returncode
            except subprocess.TimeoutExpired as exc:
                raise BenchError(f"timed out after {timeout:.0f}s: {' '.join(argv)}") from exc
        seconds = time.monotonic() - started
        if rc != 0 and check:
            tail = (self.logs / f"{name}.log").read_text().strip().splitlines()[-25:]
            raise BenchError(f"ansible-playbook {playbook} exited {rc} (log {self.logs / (name + '.log')}):\n  "
                             + "\n  ".join(tail))
        return rc, seconds

    def ansible_floor(self) -> None:
        samples = [self.ansible("bench/playbooks/noop.yml", f"noop_{i}", timeout=120)[1] for i in range(2)]
        self.out["details"]["ansible_floor_s"] = {"samples": [round(s, 2) for s in samples], "median": med(samples)}
        log(f"ansible-playbook floor (one no-op task): {med(samples):.2f}s")

    def add(self, cid: str, title: str, product_label: str, product: float | None, baseline_label: str,
            baseline: float | None, **extra) -> None:
        row = {"id": cid, "title": title, "product": product_label, "product_s": product,
               "baseline": baseline_label, "baseline_s": baseline, "ratio": ratio(product, baseline)}
        row.update(extra)
        self.out["comparisons"].append(row)
        log(f"{title}: product {product}s vs baseline {baseline}s -> x{row['ratio']}")

    # --- backup -------------------------------------------------------------------------------------
    def bare_dump(self, rep: int) -> tuple[float, int]:
        dest = self.work / "bare" / f"bare_{rep}.sql.gz"
        cmd = (f"set -o pipefail; docker exec -e PGPASSWORD {self.db_container} pg_dump --format=plain "
               f"--no-password --dbname={DB_NAME} --username={DB_USER} | gzip -6 > {dest}")
        _, _, _, seconds = run(cmd, shell=True, timeout=900, env={"PGPASSWORD": DB_PASSWORD})
        size = dest.stat().st_size
        dest.unlink()
        return seconds, size

    def product_backup(self, rep: int) -> dict:
        out = self.work / f"backup_{rep}.json"
        _, wall = self.ansible("bench/playbooks/phase.yml", f"backup_{rep}", timeout=1200,
                               extra={"bench_roles": ["backup"], "bench_results_file": str(out),
                                      "backup_verify_restore": False})
        phase = json.loads(out.read_text())["phases"]["backup"]
        if phase["status"] == "failed":
            raise BenchError(f"backup phase failed: {[c for c in phase['checks'] if c['status'] == 'failed']}")
        ev = phase.get("evidence", {})
        fingerprint = next((c for c in phase["checks"] if c["name"] == "source fingerprint"), {})
        match = re.search(r"fingerprint in ([0-9.]+) ms", str(fingerprint.get("detail", "")))
        return {"wall_s": round(wall, 2), "phase_s": float(phase["duration_s"]),
                "dump_s": ev.get("dump_duration_s"), "readback_s": ev.get("readback_s"),
                "source_fingerprint_s": round(float(match.group(1)) / 1000, 2) if match else None,
                "size_bytes": ev.get("size_bytes"), "raw_bytes": ev.get("raw_bytes"),
                "manifest": ev.get("manifest"), "file": ev.get("file")}

    def bench_backup(self) -> None:
        self.need(240, "backup benchmark")
        bare, product = [], []
        for rep in range(self.args.reps):
            order = ("bare", "product") if rep % 2 == 0 else ("product", "bare")
            for which in order:
                if which == "bare":
                    seconds, size = self.bare_dump(rep)
                    bare.append({"s": round(seconds, 2), "size_bytes": size})
                    log(f"bare pg_dump | gzip: {seconds:.1f}s, {size / MIB:.1f} MiB")
                else:
                    product.append(self.product_backup(rep))
                    p = product[-1]
                    log(f"backup role: phase {p['phase_s']}s (db_dump {p['dump_s']}s, read-back {p['readback_s']}s, "
                        f"each of 2 source fingerprints ~{p['source_fingerprint_s']}s), "
                        f"playbook wall {p['wall_s']}s, {p['size_bytes'] / MIB:.1f} MiB")
        self.manifest = Path(product[-1]["manifest"])
        base = med([b["s"] for b in bare])
        self.out["details"]["backup"] = {"bare": bare, "product": product}
        self.add("backup", "Backup phase (backup role)",
                 "backup role: db_dump streamed + sha256, re-fingerprint, gzip read-back, manifest, retention",
                 med([p["phase_s"] for p in product]), "docker exec pg_dump | gzip -6 > file", base,
                 note="backup_verify_restore=false here; the rehearsal's backup phase (below) adds the test restore")
        self.add("backup_dump", "Backup: the db_dump step alone",
                 "db_dump: pg_dump streamed through the Docker API, gzip + sha256 in Python",
                 med([p["dump_s"] for p in product]), "docker exec pg_dump | gzip -6 > file", base)
        self.add("backup_wall", "Backup: ansible-playbook wall time",
                 "ansible-playbook phase.yml (backup role), start to exit", med([p["wall_s"] for p in product]),
                 "docker exec pg_dump | gzip -6 > file", base)

    # --- restore ------------------------------------------------------------------------------------
    def bare_restore(self, dump: Path, rep: int) -> float:
        db = f"bench_bare_restore_{rep}"
        self.psql(f"DROP DATABASE IF EXISTS {db};", db="postgres")
        cmd = (f"set -o pipefail; docker exec -e PGPASSWORD {self.db_container} createdb --username={DB_USER} {db} "
               f"&& gzip -dc {dump} | docker exec -i -e PGPASSWORD {self.db_container} "
               f"psql -X -q --username={DB_USER} --dbname={db} > /dev/null")
        try:
            _, _, _, seconds = run(cmd, shell=True, timeout=1200, env={"PGPASSWORD": DB_PASSWORD})
        finally:
            self.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE);", db="postgres")
        return seconds

    def product_restore(self, rep: int) -> dict:
        out = self.work / f"restore_{rep}.json"
        _, wall = self.ansible("bench/playbooks/restore_verify.yml", f"restore_{rep}", timeout=1500,
                               extra={"bench_manifest": str(self.manifest), "bench_results_file": str(out)})
        res = json.loads(out.read_text())
        if not res.get("ok"):
            raise BenchError(f"restored fingerprint does not match the manifest: {res}")
        res["wall_s"] = round(wall, 2)
        return res

    def bench_restore(self) -> None:
        self.need(300, "restore benchmark")
        manifest = json.loads(self.manifest.read_text())
        dump = self.manifest.parent / manifest["file"]
        bare, product = [], []
        for rep in range(self.args.reps):
            order = ("bare", "product") if rep % 2 == 0 else ("product", "bare")
            for which in order:
                if which == "bare":
                    bare.append(round(self.bare_restore(dump, rep), 2))
                    log(f"bare createdb + gunzip | psql: {bare[-1]:.1f}s")
                else:
                    product.append(self.product_restore(rep))
                    p = product[-1]
                    log(f"restore + verify: {p['restore_and_verify_s']}s (db_restore {p['restore_module_s']}s, "
                        f"fingerprint {p['fingerprint_ms']} ms), playbook wall {p['wall_s']}s")
        base = med(bare)
        self.out["details"]["restore"] = {"dump": str(dump.name), "dump_bytes": dump.stat().st_size,
                                          "bare_s": bare, "product": product}
        self.add("restore_verify", "Restore + verify (scratch db, fingerprint)",
                 "db_restore (sha256, scratch db, 1 transaction) + db_check fingerprint == manifest",
                 med([p["restore_and_verify_s"] for p in product]), "createdb + gunzip | psql (same dump)", base)
        self.add("restore_only", "Restore alone (db_restore module)",
                 "db_restore: createdb + streamed psql --single-transaction ON_ERROR_STOP",
                 med([p["restore_module_s"] for p in product]), "createdb + gunzip | psql (same dump)", base)
        self.add("restore_wall", "Restore + verify: ansible-playbook wall",
                 "ansible-playbook restore_verify.yml, start to exit (incl. dropdb)",
                 med([p["wall_s"] for p in product]), "createdb + gunzip | psql (same dump)", base)

    # --- health ---------------------------------------------------------------------------------------
    def bench_health(self) -> None:
        self.need(150, "health benchmark")
        out = self.work / "health_modes.json"
        _, wall = self.ansible("bench/playbooks/health_modes.yml", "health_modes", timeout=900,
                               extra={"bench_results_file": str(out), "bench_reps": self.args.health_reps})
        data = json.loads(out.read_text())
        by_mode: dict = {}
        for t in data["timings"]:
            by_mode.setdefault(t["mode"], []).append(t)
        m = {mode: med([float(t["s"]) for t in ts]) for mode, ts in by_mode.items()}
        mod = {mode: med([float(t["module_ms"]) for t in ts if t.get("module_ms") is not None])
               for mode, ts in by_mode.items()}
        phase = med([float(t["phase_duration_s"]) for t in by_mode.get("phase_role", [])])
        self.out["details"]["health_modes"] = {"wall_s": round(wall, 1), "median_s": m, "module_median_ms": mod,
                                               "timings": data["timings"]}
        self.health_sequential_s = m.get("sequential")
        self.add("health_phase", "Health phase vs its checks one by one",
                 "health role (2 API probes in 1 concurrent call + db, redis, kafka, mlflow) incl. recording",
                 m.get("phase_role"), "the same 6 checks as 6 sequential module calls", m.get("sequential"),
                 phase_recorded_duration_s=phase)
        self.add("health_async", "Health checks as async jobs vs one by one",
                 "5 async module calls awaited together", m.get("async"),
                 "the same checks as 6 sequential module calls", m.get("sequential"))
        self.add("api_one_call", "API probes: 1 concurrent call vs 1 call/probe",
                 "api_check, 7 contract probes in 1 call (concurrency 8)", m.get("api_one_call"),
                 "api_check called once per probe (loop of 7)", m.get("api_per_call"))
        self.add("api_module", "API probes in the module: concurrent vs serial",
                 "api_check module time, 7 probes, concurrency 8",
                 None if mod.get("api_one_call") is None else round(mod["api_one_call"] / 1000, 3),
                 "api_check module time, same probes, concurrency 1",
                 None if mod.get("api_serial") is None else round(mod["api_serial"] / 1000, 3))

    # --- app rollback ---------------------------------------------------------------------------------
    def app_switch(self, tag: str, timed: bool) -> dict:
        """Plain compose: stop app, start it on `tag`, poll /health every 0.5 s until healthy."""
        env = {"APP_TAG": tag}
        started = time.monotonic()
        if timed:
            run(self.compose_cmd("stop", "app"), timeout=120, env=env)
            run(self.compose_cmd("up", "-d", "--no-deps", "--force-recreate", "app"), timeout=120, env=env)
            body: dict = {}
            while time.monotonic() - started < 120:
                ok, body = http_health(f"{self.stack.api}/health", timeout=2)
                if ok:
                    return {"s": round(time.monotonic() - started, 2), "version": body.get("version")}
                time.sleep(0.5)
            raise BenchError(f"app not healthy 120 s after switching to {tag}")
        run(self.compose_cmd("up", "-d", "--no-deps", "--wait", "--wait-timeout", "120", "app"), timeout=180, env=env)
        ok, body = http_health(f"{self.stack.api}/health")
        if not ok:
            raise BenchError(f"app not healthy after reset to {tag}")
        return {"s": round(time.monotonic() - started, 2), "version": body.get("version")}

    def product_container_drill(self, rep: int) -> dict:
        out = self.work / f"rollback_{rep}.json"
        _, wall = self.ansible("bench/playbooks/phase.yml", f"rollback_container_{rep}", timeout=600,
                               extra={"bench_roles": ["rollback"], "bench_results_file": str(out),
                                      "rollback_drills": ["container"], "rollback_verify": False})
        phases = json.loads(out.read_text())["phases"]
        drill = phases["rollback_container"]
        if drill["status"] == "failed":
            raise BenchError(f"container drill failed: {[c for c in drill['checks'] if c['status'] == 'failed']}")
        ev = drill.get("evidence", {})
        return {"wall_s": round(wall, 2), "phase_s": float(drill["duration_s"]),
                "preparation_s": float(phases["rollback_preparation"]["duration_s"]),
                "time_to_healthy_s": float(ev.get("time_to_healthy_s")), "version_after": ev.get("version_after"),
                "status": drill["status"]}

    def bench_app_rollback(self) -> None:
        self.need(180, "app rollback benchmark")
        bare, product = [], []
        for rep in range(self.args.reps):
            order = ("bare", "product") if rep % 2 == 0 else ("product", "bare")
            for which in order:
                if which == "bare":
                    bare.append(self.app_switch("staging-previous", timed=True))
                    log(f"bare compose stop + up app (previous) + poll: {bare[-1]['s']}s -> {bare[-1]['version']}")
                else:
                    product.append(self.product_container_drill(rep))
                    p = product[-1]
                    log(f"container drill: healthy after {p['time_to_healthy_s']}s, phase {p['phase_s']}s "
                        f"(+ preparation {p['preparation_s']}s), playbook wall {p['wall_s']}s -> {p['version_after']}")
                self.app_switch("staging-latest", timed=False)
        base = med([b["s"] for b in bare])
        self.out["details"]["app_rollback"] = {"bare": bare, "product": product}
        self.add("rollback_healthy", "App rollback: stop -> healthy (previous image)",
                 "rollback role container drill, time_to_healthy_s (compose module, 1 s /health polls)",
                 med([p["time_to_healthy_s"] for p in product]),
                 "compose stop app; APP_TAG=previous compose up -d app; poll /health 0.5 s", base)
        self.add("rollback_drill", "App rollback: the whole container drill phase",
                 "rollback_container phase (tag backup, stop, start previous, wait, verify image+version)",
                 med([p["phase_s"] for p in product]),
                 "compose stop app; APP_TAG=previous compose up -d app; poll /health 0.5 s", base)

    # --- deploy baseline and the full rehearsal -----------------------------------------------------
    def bare_redeploy(self) -> float:
        """The runbook's deploy without gates: compose down, then up -d --wait of every service."""
        env = {"APP_TAG": "staging-latest"}
        started = time.monotonic()
        run(self.compose_cmd("down", "--timeout", "30"), timeout=240, env=env)
        run(self.compose_cmd("up", "-d", "--wait", "--wait-timeout", "300"), timeout=420, env=env)
        seconds = time.monotonic() - started
        ok, _ = http_health(f"{self.stack.api}/health")
        if not ok:
            raise BenchError("app not healthy after the plain redeploy")
        self.find_db_container()
        return seconds

    def bench_rehearsal(self) -> None:
        self.need(420, "full rehearsal")
        redeploy = None
        if not self.args.no_redeploy_baseline:
            self.need(540, "plain redeploy baseline + full rehearsal")
            redeploy = round(self.bare_redeploy(), 2)
            log(f"bare compose down + up -d --wait (all services): {redeploy}s")
        timeout = max(300, self.remaining() - 90)
        log(f"full rehearsal: ansible-playbook rehearsal.yml (time limit {timeout:.0f}s)")
        rc, wall = self.ansible("rehearsal.yml", "rehearsal", timeout=timeout, check=False)
        reports = sorted(self.results_dir.glob("staging_rehearsal_*.json"))
        if not reports:
            raise BenchError(f"the rehearsal wrote no report JSON (exit {rc}); log {self.logs / 'rehearsal.log'}")
        report = json.loads(reports[-1].read_text())
        phases = (report.get("rehearsal_results") or report).get("phases", {})
        base = {
            "backup": ("docker exec pg_dump | gzip -6 (phase adds 2 fingerprints, read-back, test restore)", med([b["s"] for b in self.out["details"].get("backup", {}).get("bare", [])])),
            "deploy": ("compose down + up -d --wait (all services)", redeploy),
            "health": ("its 6 checks as sequential module calls", getattr(self, "health_sequential_s", None)),
            "load_test": ("configured load stages (10+20+10 s), nominal", 40.0),
            "rollback_container": ("compose stop + up app (previous) + poll", med([b["s"] for b in self.out["details"].get("app_rollback", {}).get("bare", [])])),
            "rollback_database": ("createdb + gunzip | psql (phase adds marker, 3 fingerprints, swap)", med(self.out["details"].get("restore", {}).get("bare_s", []))),
        }
        total = sum(float(p.get("duration_s") or 0) for p in phases.values())
        rows = []
        for name, p in sorted(phases.items(), key=lambda item: str(item[1].get("started_at") or "")):
            seconds = float(p["duration_s"]) if p.get("duration_s") not in (None, "") else None
            label, b = base.get(name, ("", None))
            rows.append({"phase": name, "status": p.get("status"), "duration_s": seconds,
                         "share_pct": round(100 * seconds / total, 1) if seconds and total else None,
                         "baseline": label or "no bare equivalent", "baseline_s": b, "ratio": ratio(seconds, b)})
        def evidence(phase: str, key: str):
            return (phases.get(phase, {}).get("evidence") or {}).get(key)

        self.out["rehearsal_evidence"] = {
            "backup_dump_s": evidence("backup", "dump_duration_s"),
            "backup_test_restore_s": evidence("backup", "restore_s"),
            "container_drill_time_to_healthy_s": evidence("rollback_container", "time_to_healthy_s"),
            "database_drill_restore_s": evidence("rollback_database", "restore_s"),
            "database_drill_time_to_healthy_s": evidence("rollback_database", "time_to_healthy_s"),
            "health_checks_wall_s": evidence("health", "checks_wall_s"),
        }
        self.out["rehearsal"] = {
            "mode": "full rehearsal (ansible-playbook rehearsal.yml), phases from its report JSON",
            "exit_code": rc, "wall_s": round(wall, 1), "phases_total_s": round(total, 1),
            "verdict": (report.get("verdict") or {}).get("status"),
            "report_json": reports[-1].name, "phases": rows,
            "ansible_floor_s": self.out["details"].get("ansible_floor_s", {}).get("median"),
        }
        log(f"rehearsal exit {rc}, verdict {self.out['rehearsal']['verdict']}, wall {wall:.0f}s, "
            f"phases {total:.0f}s")

    # --- teardown ----------------------------------------------------------------------------------------
    def teardown(self) -> None:
        log(f"tearing down {self.stack.project_name} (stack.sh down --volumes) and its images")
        try:
            run([str(REPO / "scripts" / "stack.sh"), "down", "--volumes"], timeout=240, env=self.stack_env())
        except BenchError as exc:
            log(f"teardown: {exc}")
        try:
            self.stack.remove_image_tags()
        except BenchError as exc:
            log(f"removing images: {exc}")


# --- output -------------------------------------------------------------------------------------------

def fmt(value, width: int, digits: int = 1) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.{digits}f}"
    else:
        text = str(value)
    return text.rjust(width)


def render(out: dict) -> str:
    lines = []
    db = out.get("database", {})
    lines.append(f"footballpred.rehearsal benchmarks - {out['started_at']} - stack {out['stack']['project']} "
                 f"(api :{out['stack']['ports']['api']}, db :{out['stack']['ports']['db']}), "
                 f"{out['host']['cpus']} CPUs, load average {out['host']['loadavg_at_start'][0]:.1f} at start, "
                 f"{out['host'].get('loadavg_at_end', [0])[0]:.1f} at end (shared host)")
    if db:
        lines.append(f"database {db['name']}: pg_database_size = {db['size_bytes']} bytes ({db['size_mib']} MiB, "
                     f"{db['size_pretty']}); predictions {db['predictions_rows']} rows (generated in {db['generation_s']} s)")
    floor = out["details"].get("ansible_floor_s", {}).get("median")
    if floor is not None:
        lines.append(f"fixed cost of one ansible-playbook run (no-op play, this inventory): {floor} s")
    lines.append("")
    lines.append("Product vs baseline (seconds; ratio = product / baseline; median of the repetitions)")
    lines.append(f"{'measure':<48}{'product':>9}{'baseline':>10}{'ratio':>8}  baseline is")
    for row in out["comparisons"]:
        lines.append(f"{row['title'][:47]:<48}{fmt(row['product_s'], 9, 2)}{fmt(row['baseline_s'], 10, 2)}"
                     f"{fmt(row['ratio'], 8, 2)}  {row['baseline']}")
    reh = out.get("rehearsal") or {}
    if reh.get("phases"):
        lines.append("")
        lines.append(f"Rehearsal wall time per phase - {reh['mode']}; exit {reh['exit_code']}, verdict {reh['verdict']}, "
                     f"ansible-playbook wall {reh['wall_s']} s, sum of phases {reh['phases_total_s']} s")
        lines.append(f"{'phase':<22}{'status':<9}{'seconds':>9}{'share':>8}{'baseline':>10}{'ratio':>8}  baseline is")
        for p in reh["phases"]:
            lines.append(f"{p['phase']:<22}{str(p['status']):<9}{fmt(p['duration_s'], 9)}"
                         f"{fmt(p['share_pct'], 7)}%{fmt(p['baseline_s'], 10)}{fmt(p['ratio'], 8, 2)}  {p['baseline']}")
    ev = {k: v for k, v in (out.get("rehearsal_evidence") or {}).items() if v not in (None, "")}
    if ev:
        lines.append("inside the rehearsal: " + ", ".join(f"{k} {v}" for k, v in ev.items()))
    if out["not_measured"]:
        lines.append("")
        lines.append("Not measured:")
        lines += [f"  - {item}" for item in out["not_measured"]]
    lines.append("")
    lines.append(f"total bench time {out.get('total_s')} s; results {out.get('results_file')}")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="leave the bench stack, images and work dir in place")
    ap.add_argument("--down", action="store_true", help="only tear down a kept bench stack and its images, then exit")
    ap.add_argument("--db-mib", type=float, default=300, help="grow the database to at least this many MiB (300)")
    ap.add_argument("--batch-rows", type=int, default=250_000, help="rows per INSERT ... generate_series batch")
    ap.add_argument("--max-batches", type=int, default=16, help="upper bound on generation batches")
    ap.add_argument("--reps", type=int, default=2,
                    help="repetitions of the backup, restore and app rollback pairs, in alternating order (2)")
    ap.add_argument("--health-reps", type=int, default=3, help="repetitions of each health mode (3)")
    ap.add_argument("--budget-min", type=float, default=20, help="time budget in minutes; steps that no longer fit are skipped (20)")
    ap.add_argument("--no-rehearsal", action="store_true", help="skip the full rehearsal (phase table)")
    ap.add_argument("--no-redeploy-baseline", action="store_true", help="skip the plain compose down/up baseline of the deploy phase")
    ap.add_argument("--project", default="footballpred-bench", help="compose project of the bench stack")
    ap.add_argument("--work-dir", default="", help="work directory (default bench/.work/<timestamp>)")
    ap.add_argument("--api-port", type=int, default=28001)
    ap.add_argument("--db-port", type=int, default=25433)
    ap.add_argument("--redis-port", type=int, default=26381)
    ap.add_argument("--kafka-port", type=int, default=29094)
    ap.add_argument("--mlflow-port", type=int, default=25002)
    ap.add_argument("--prometheus-port", type=int, default=29091)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args)

    def on_signal(signum, _frame):
        if CURRENT is not None:
            stop_process_group(CURRENT, grace_s=15)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.down:
        if not bench.env_file.exists():
            # A kept stack's env file lives in its own work dir; any env file with the same
            # project name lets compose find and remove its containers and volumes.
            bench.work.mkdir(parents=True, exist_ok=True)
            bench.write_env_file()
        bench.teardown()
        shutil.rmtree(bench.work, ignore_errors=True)
        return 0

    ok = False
    stack_started = False
    try:
        bench.setup()
        stack_started = True
        bench.stack_up()
        bench.generate_data()
        bench.ansible_floor()
        steps = [("backup", bench.bench_backup), ("restore", bench.bench_restore),
                 ("health", bench.bench_health), ("app rollback", bench.bench_app_rollback)]
        if not args.no_rehearsal:
            steps.append(("rehearsal", bench.bench_rehearsal))
        else:
            bench.out["not_measured"].append("rehearsal phase times: --no-rehearsal")
        for name, step in steps:
            try:
                step()
            except OutOfTime as exc:
                bench.out["not_measured"].append(f"{name}: skipped, time budget ({exc})")
                log(f"SKIPPED {name}: {exc}")
            except BenchError as exc:
                bench.out["not_measured"].append(f"{name}: failed - {str(exc).splitlines()[0]}")
                log(f"FAILED {name}: {exc}")
        ok = True
    except (BenchError, KeyboardInterrupt) as exc:
        bench.out["not_measured"].append(f"run aborted: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        log(f"ABORTED: {exc}")
    finally:
        if stack_started and not args.keep:
            bench.teardown()
        bench.out["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        bench.out["total_s"] = round(time.monotonic() - T0, 1)
        bench.out["host"]["loadavg_at_end"] = list(os.getloadavg())
        results = BENCH / "results" / f"{bench.stamp}.json"
        results.parent.mkdir(parents=True, exist_ok=True)
        bench.out["results_file"] = str(results.relative_to(REPO))
        if args.keep:
            bench.out["work_dir"] = str(bench.work)
        results.write_text(json.dumps(bench.out, indent=2) + "\n")
        print(render(bench.out), flush=True)
        if not args.keep and bench.work.exists():
            if ok:
                shutil.rmtree(bench.work, ignore_errors=True)
            else:
                # Keep the logs of a failed run; drop the dumps.
                shutil.rmtree(bench.backup_dir, ignore_errors=True)
                shutil.rmtree(bench.work / "bare", ignore_errors=True)
                log(f"logs kept in {bench.work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
