#!/usr/bin/python
# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore a gzip plain-SQL dump into a new database inside the database container."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_restore
short_description: Restore a gzip PostgreSQL dump into a new database inside the database container
version_added: 0.1.0
author:
  - Football Prediction Platform SRE (@footballpred)
description:
  - Verifies the dump file against its expected SHA-256 (when given), creates a new,
    empty database, and streams the decompressed dump, chunk by chunk, into C(psql)
    running inside the database container through the Docker API. The dump is never held
    in memory, whatever its size.
  - The restore runs in a single transaction with C(ON_ERROR_STOP), so it either loads
    completely or not at all; a database this module created for a restore that failed
    is dropped again.
  - The module never touches an existing database. When I(db) already exists nothing is
    restored and C(changed=false) is returned (I(force=true) drops and restores it again).
  - Swapping the restored database in (renames) is left to the play, which must stop the
    application first; see the C(rollback) role.
extends_documentation_fragment:
  - footballpred.rehearsal.attributes
  - footballpred.rehearsal.docker_db
attributes:
  check_mode:
    support: full
    details:
      - Verifies the checksum, finds the container and reports whether I(db) exists and the
        command it would run; creates and restores nothing.
  diff_mode:
    support: none
options:
  timeout:
    description: Timeout in seconds of each Docker API call.
    type: int
    default: 60
  src:
    description: The gzip plain-SQL dump to restore (as written by M(footballpred.rehearsal.db_dump)).
    type: path
    required: true
  checksum:
    description:
      - Expected SHA-256 of I(src). When given and the file does not match, the module fails
        before it changes anything.
    type: str
  db:
    description:
      - Name of the database to create and restore into. Letters, digits and underscores only,
        at most 63 characters, not starting with a digit.
    type: str
    required: true
  owner:
    description: Owner of the new database. Default is I(login_user).
    type: str
  maintenance_db:
    description: Database C(psql) connects to in order to create or drop I(db).
    type: str
    default: postgres
  force:
    description: Drop I(db) first when it exists, then restore into a new one.
    type: bool
    default: false
requirements:
  - docker (Python SDK) >= 5.0
notes:
  - The dump must be in plain SQL format and must not create or connect to databases itself
    (C(pg_dump) without C(--create)).
seealso:
  - module: footballpred.rehearsal.db_dump
  - module: footballpred.rehearsal.db_check
"""

EXAMPLES = r"""
- name: Restore the newest verified backup into a scratch database
  footballpred.rehearsal.db_restore:
    project: football-prediction-staging
    service: db
    src: "{{ rehearsal_backup_dir }}/staging_db_20260101_000000.sql.gz"
    checksum: "{{ (lookup('ansible.builtin.file', manifest_path) | from_json).sha256 }}"
    db: football_prediction_staging_restore_20260101_000500
    login_user: football_staging_user
    login_password: "{{ rehearsal_db_password }}"
  register: restore

- name: Prove that the restored data equals the backup's fingerprint
  footballpred.rehearsal.db_check:
    login_db: "{{ restore.db }}"
    login_password: "{{ rehearsal_db_password }}"
    fingerprint_schemas: [public]
  register: restored
  failed_when: restored.fingerprint.digest != (lookup('ansible.builtin.file', manifest_path) | from_json).fingerprint.digest
"""

RETURN = r"""
db:
  description: The database restored into.
  returned: always
  type: str
  sample: football_prediction_staging_restore_20260101_000500
src:
  description: The dump restored.
  returned: always
  type: str
  sample: /opt/football-prediction/backups/staging/staging_db_20260101_000000.sql.gz
sha256:
  description: SHA-256 of I(src), as read by the module.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
checksum_verified:
  description: Whether I(checksum) was given and matched.
  returned: always
  type: bool
  sample: true
container:
  description: The container the restore ran in.
  returned: always
  type: dict
  contains:
    id:
      description: Container ID.
      type: str
    name:
      description: Container name.
      type: str
  sample: {"id": "3f2a...", "name": "football-prediction-staging-db-1"}
existed:
  description: Whether I(db) existed before the module ran.
  returned: always
  type: bool
  sample: false
command:
  description: The psql command line that loads (or, in check mode, would load) the dump.
  returned: always
  type: list
  elements: str
  sample:
    - psql
    - --quiet
    - --set=ON_ERROR_STOP=1
    - --single-transaction
    - --dbname=football_prediction_staging_restore_20260101_000500
    - --no-psqlrc
    - --username=football_staging_user
raw_bytes:
  description: Uncompressed SQL bytes streamed into psql.
  returned: when changed and not check mode
  type: int
  sample: 512930
duration_s:
  description: Seconds from creating the database to the end of the restore.
  returned: when changed and not check mode
  type: float
  sample: 1.42
tables:
  description: Tables of the restored database (schema-qualified), read back after the restore.
  returned: when changed and not check mode
  type: list
  elements: str
  sample: ["public.alembic_version", "public.matches", "public.predictions", "public.teams"]
stderr:
  description: What psql wrote to stderr (truncated to 64 KiB).
  returned: when changed and not check mode
  type: str
  sample: ""
"""

import gzip
import os
import re
import socket
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.docker_db import (
    COPY_CHUNK,
    DOCKER_DB_MUTUALLY_EXCLUSIVE,
    DOCKER_DB_REQUIRED_ONE_OF,
    STDERR_LIMIT,
    DockerDbError,
    DockerException,
    check_exit_code,
    container_summary,
    create_exec,
    decode_output,
    docker_client,
    docker_db_argument_spec,
    ensure_docker,
    file_sha256,
    find_container,
    login_args,
    read_exec_socket,
    resolve_docker_host,
    run_in_container,
)

# A plain identifier needs no quoting anywhere, so no name can inject SQL.
DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def connection_args(params: dict) -> list[str]:
    return ["--no-psqlrc"] + login_args(params)


def restore_command(params: dict) -> list[str]:
    return ["psql", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
            f"--dbname={params['db']}"] + connection_args(params)


def admin_command(params: dict, statement: str, dbname: str | None = None) -> list[str]:
    return (["psql", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1",
             f"--dbname={dbname or params['maintenance_db']}", f"--command={statement}"]
            + connection_args(params))


def database_exists(client, container, params: dict) -> bool:
    output = run_in_container(client, container, admin_command(
        params, f"SELECT count(*) FROM pg_database WHERE datname = '{params['db']}'"), params)
    return output.strip() == "1"


def list_tables(client, container, params: dict) -> list[str]:
    output = run_in_container(client, container, admin_command(
        params,
        "SELECT schemaname || '.' || tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        dbname=params["db"]), params)
    return [line.strip() for line in output.splitlines() if line.strip()]


def _read_output(sock, sink: dict) -> None:
    """Collect the exec's multiplexed stdout/stderr until it closes its side."""
    try:
        sink["output"] = read_exec_socket(sock)
    except (OSError, DockerException) as exc:
        sink["error"] = exc


def stream_restore(client, container, src: str, params: dict) -> dict:
    """Feed the decompressed dump to psql's stdin through an attached exec socket."""
    exec_id = create_exec(client, container, restore_command(params), params, stdin=True)
    sock = client.api.exec_start(exec_id, socket=True)
    raw_socket = getattr(sock, "_sock", sock)
    sink: dict = {}
    # psql may answer while it reads; draining concurrently keeps both sides moving.
    reader = threading.Thread(target=_read_output, args=(sock, sink), daemon=True)
    reader.start()
    raw_bytes = 0
    try:
        with gzip.open(src, "rb") as dump:
            for chunk in iter(lambda: dump.read(COPY_CHUNK), b""):
                raw_socket.sendall(chunk)
                raw_bytes += len(chunk)
    except OSError as exc:
        # psql stopping on an error closes its stdin; its stderr says why.
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            raise DockerDbError(f"cannot stream {src}: {exc}") from exc
    finally:
        try:
            raw_socket.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        reader.join(params["timeout"] * 10)
        sock.close()
    if "error" in sink:
        raise DockerDbError(f"reading psql output failed: {sink['error']}")
    stdout, stderr = sink.get("output") or (b"", b"")
    stderr_text = decode_output((stderr or b"")[:STDERR_LIMIT])
    check_exit_code(client, exec_id, "psql", stderr_text.strip()[-2000:])
    return {"raw_bytes": raw_bytes, "stderr": stderr_text}


def validate(module) -> None:
    params = module.params
    for key in ("db", "maintenance_db", "owner"):
        if params[key] and not DB_NAME_RE.match(params[key]):
            module.fail_json(msg=f"{key} {params[key]!r} is not a plain PostgreSQL identifier "
                                 "(letters, digits, underscores; at most 63 characters)")
    if params["db"] == params["maintenance_db"]:
        module.fail_json(msg="db must not be the maintenance database")
    if not os.path.isfile(params["src"]):
        module.fail_json(msg=f"dump file {params['src']} does not exist")
    if params["checksum"] and not re.match(r"^[0-9a-fA-F]{64}$", params["checksum"]):
        module.fail_json(msg="checksum must be a SHA-256 in hex (64 characters)")


def run_module() -> None:
    argument_spec = docker_db_argument_spec()
    argument_spec.update(
        src=dict(type="path", required=True),
        checksum=dict(type="str"),
        db=dict(type="str", required=True),
        owner=dict(type="str"),
        maintenance_db=dict(type="str", default="postgres"),
        force=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=DOCKER_DB_MUTUALLY_EXCLUSIVE,
        required_one_of=DOCKER_DB_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    ensure_docker(module)
    validate(module)
    params = module.params

    sha256 = file_sha256(params["src"])
    result = {"changed": False, "db": params["db"], "src": params["src"], "sha256": sha256,
              "checksum_verified": False, "container": {}, "existed": False,
              "command": restore_command(params)}
    if params["checksum"]:
        if sha256 != params["checksum"].lower():
            module.fail_json(msg=f"{params['src']} does not match its checksum "
                                 f"(expected {params['checksum'].lower()}, read {sha256}); nothing restored", **result)
        result["checksum_verified"] = True

    docker_host = resolve_docker_host(params)
    try:
        client = docker_client(docker_host, params["timeout"])
        container = find_container(client, params)
        result["container"] = container_summary(container)
        result["existed"] = database_exists(client, container, params)
    except DockerDbError as exc:
        module.fail_json(msg=str(exc), **result)
    except DockerException as exc:
        module.fail_json(msg=f"Docker at {docker_host}: {exc}", **result)

    if result["existed"] and not params["force"]:
        result["msg"] = f"database {params['db']} exists; not restored again (force=false)"
        module.exit_json(**result)
    if module.check_mode:
        verb = "drop and restore" if result["existed"] else "create and restore"
        result.update(changed=True, msg=f"would {verb} database {params['db']} from {params['src']} in {container.name}")
        module.exit_json(**result)

    owner = params["owner"] or params["login_user"]
    started = time.monotonic()
    created = dropped_existing = False
    try:
        if result["existed"]:
            run_in_container(client, container, admin_command(params, f"DROP DATABASE {params['db']}"), params)
            dropped_existing = True
        run_in_container(client, container, admin_command(
            params, f"CREATE DATABASE {params['db']} OWNER {owner} TEMPLATE template0"), params)
        created = True
        result.update(stream_restore(client, container, params["src"], params))
        result["tables"] = list_tables(client, container, params)
    except (DockerDbError, DockerException) as exc:
        if created:
            # A half-restored database must not be mistaken for a good one.
            try:
                run_in_container(client, container, admin_command(params, f"DROP DATABASE IF EXISTS {params['db']}"), params)
            except (DockerDbError, DockerException) as drop_exc:
                exc = DockerDbError(f"{exc}; and dropping the partial database failed: {drop_exc}")
        result["changed"] = dropped_existing
        module.fail_json(msg=f"restore of {params['src']} into {params['db']} failed: {exc}", **result)
    result.update(changed=True, duration_s=round(time.monotonic() - started, 3),
                  msg=f"restored {params['src']} into database {params['db']}")
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
