#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_dump
short_description: Stream a PostgreSQL dump out of the database container into a gzip file
version_added: 0.1.0
author:
  - Football Prediction Platform SRE (@footballpred)
description:
  - Runs C(pg_dump) (plain SQL format) inside the running database container through the
    Docker API and streams its output, chunk by chunk, into a gzip file on the managed
    host. The dump is never held in memory, whatever the size of the database.
  - The file is written under a temporary name in the destination directory and renamed
    into place only when C(pg_dump) exited 0 and the dump ends with its completion
    trailer, so a half-written dump never carries the destination name.
  - Returns the SHA-256 and size of the compressed file, the uncompressed size, the
    server and C(pg_dump) versions read from the dump header, and the tables the dump
    creates.
  - The file is created with mode C(0600) unless I(mode) says otherwise. Its directory
    must exist (create it, C(0700), beforehand).
  - When I(dest) already exists and I(force=false), nothing is dumped; the checksum and
    size of the existing file are returned with C(changed=false).
extends_documentation_fragment:
  - ansible.builtin.files
  - footballpred.rehearsal.attributes
  - footballpred.rehearsal.docker_db
attributes:
  check_mode:
    support: full
    details: Finds the container and reports the command it would run; writes nothing.
  diff_mode:
    support: none
options:
  timeout:
    description: Timeout in seconds of each Docker API call (not of the dump as a whole).
    type: int
    default: 60
  db:
    description: Database to dump.
    type: str
    required: true
    aliases: [login_db]
  pg_dump_args:
    description:
      - Extra C(pg_dump) arguments, for example C(--no-owner) or C(--exclude-table=audit_log).
      - The output format is always plain SQL; C(--format), C(--file) and
        C(--compress) are refused.
    type: list
    elements: str
    default: []
  dest:
    description: Path of the gzip file to write, for example C(backups/staging/staging_db_20260101T000000.sql.gz).
    type: path
    required: true
  compression_level:
    description: gzip compression level.
    type: int
    default: 6
  force:
    description: Dump again and replace I(dest) when it already exists.
    type: bool
    default: false
requirements:
  - docker (Python SDK) >= 5.0
notes:
  - Plain format is chosen so that the backup restores with C(psql) anywhere and can be
    inspected with C(zcat); C(pg_dump) takes a consistent snapshot, so the dump is
    consistent even while the application writes.
seealso:
  - module: footballpred.rehearsal.db_check
"""

EXAMPLES = r"""
- name: Dump the staging database from the compose db service
  footballpred.rehearsal.db_dump:
    project: football-prediction-staging
    service: db
    db: football_prediction_staging
    login_user: football_staging_user
    login_password: "{{ rehearsal_db_password }}"
    dest: "{{ rehearsal_backup_dir }}/staging_db_{{ now(utc=true).strftime('%Y%m%dT%H%M%SZ') }}.sql.gz"
  no_log: false
  register: dump

- name: Show what was written
  ansible.builtin.debug:
    msg: "{{ dump.dest }}: {{ dump.size_bytes }} bytes, sha256 {{ dump.sha256 }}, tables {{ dump.tables | join(', ') }}"
"""

RETURN = r"""
dest:
  description: Path of the gzip file.
  returned: always
  type: str
  sample: /opt/football-prediction/backups/staging/staging_db_20260101T000000Z.sql.gz
container:
  description: The container the dump was taken from.
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
command:
  description: The pg_dump command line run (or, in check mode, that would run) inside the container.
  returned: always
  type: list
  elements: str
  sample: ["pg_dump", "--format=plain", "--no-password", "--dbname=football_prediction_staging", "--username=football_staging_user"]
sha256:
  description: SHA-256 of the gzip file.
  returned: unless check mode
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size_bytes:
  description: Size of the gzip file in bytes.
  returned: unless check mode
  type: int
  sample: 48213
raw_bytes:
  description: Size of the uncompressed SQL in bytes (only when the dump was taken in this run).
  returned: when changed and not check mode
  type: int
  sample: 512930
duration_s:
  description: Seconds from the start of pg_dump to the file being in place.
  returned: when changed and not check mode
  type: float
  sample: 0.84
server_version:
  description: Server version from the dump header (C(-- Dumped from database version ...)).
  returned: when changed and not check mode
  type: dict
  contains:
    full:
      description: Version string as pg_dump wrote it.
      type: str
    major:
      description: Major version.
      type: int
    minor:
      description: Minor version.
      type: int
    patch:
      description: Third version number, null for PostgreSQL 10 and later.
      type: int
  sample: {"full": "15.14 (Debian 15.14-0+deb12u1)", "major": 15, "minor": 14, "patch": null}
pg_dump_version:
  description: Version of pg_dump from the dump header.
  returned: when changed and not check mode
  type: str
  sample: "15.14 (Debian 15.14-0+deb12u1)"
tables:
  description: Tables the dump creates (C(CREATE TABLE) statements), schema-qualified, in dump order.
  returned: when changed and not check mode
  type: list
  elements: str
  sample: ["public.alembic_version", "public.matches", "public.predictions", "public.teams"]
complete:
  description: Whether the dump ended with pg_dump's completion trailer.
  returned: when changed and not check mode
  type: bool
  sample: true
stderr:
  description: What pg_dump wrote to stderr (truncated to 64 KiB).
  returned: when changed and not check mode
  type: str
  sample: ""
"""

import gzip
import hashlib
import os
import re
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import parse_version
from ansible_collections.footballpred.rehearsal.plugins.module_utils.docker_db import (
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
    resolve_docker_host,
)

DEFAULT_MODE = 0o600
# Only statement and comment lines matter to the scan; a longer line is table data.
LINE_LIMIT = 64 * 1024
DUMP_TRAILER = b"-- PostgreSQL database dump complete"
SERVER_VERSION_RE = re.compile(rb"^-- Dumped from database version (\S.*)$")
PG_DUMP_VERSION_RE = re.compile(rb"^-- Dumped by pg_dump version (\S.*)$")
CREATE_TABLE_RE = re.compile(rb"^CREATE (?:UNLOGGED )?TABLE (\S+) \($")
REFUSED_ARG_PREFIXES = ("-F", "--format", "-f", "--file", "-Z", "--compress")


class HashingWriter:
    """File-like sink that counts and hashes what passes through it to the real file."""

    def __init__(self, fileobj) -> None:
        self._fileobj = fileobj
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self._fileobj.write(data)

    def flush(self) -> None:
        self._fileobj.flush()


class DumpScanner:
    """Reads the plain-format dump as it streams by: header versions, tables, trailer."""

    def __init__(self) -> None:
        self.server_version = ""
        self.pg_dump_version = ""
        self.tables: list[str] = []
        self.last_line = b""
        self.complete = False
        self._pending = b""

    def feed(self, chunk: bytes) -> None:
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > LINE_LIMIT:
            self._pending = self._pending[-LINE_LIMIT:]
        for line in lines:
            self._scan_line(line.rstrip(b"\r"))

    def close(self) -> None:
        if self._pending:
            self._scan_line(self._pending)
            self._pending = b""

    def _scan_line(self, line: bytes) -> None:
        if not line.strip():
            return
        self.last_line = line[:200]
        if line.strip() == DUMP_TRAILER:
            self.complete = True
            return
        # Only comments and psql meta-commands (pg 15.14+ ends with \unrestrict) may follow it.
        if not line.startswith((b"--", b"\\")):
            self.complete = False
        if not line.startswith((b"--", b"CREATE")):
            return
        for pattern, attr in ((SERVER_VERSION_RE, "server_version"), (PG_DUMP_VERSION_RE, "pg_dump_version")):
            match = pattern.match(line)
            if match and not getattr(self, attr):
                setattr(self, attr, match.group(1).decode("utf-8", "replace").strip())
                return
        match = CREATE_TABLE_RE.match(line)
        if match:
            self.tables.append(match.group(1).decode("utf-8", "replace"))


def build_command(params: dict) -> list[str]:
    command = ["pg_dump", "--format=plain", "--no-password", f"--dbname={params['db']}"]
    return command + login_args(params) + list(params["pg_dump_args"])


def refused_args(args: list[str]) -> list[str]:
    return [arg for arg in args if arg.startswith(REFUSED_ARG_PREFIXES)]


def stream_dump(client, container, command: list[str], params: dict, tmp_path: str) -> dict:
    """Run pg_dump in the container and stream its stdout through gzip into tmp_path."""
    exec_id = create_exec(client, container, command, params)
    scanner = DumpScanner()
    stderr = bytearray()
    raw_bytes = 0
    with open(tmp_path, "wb") as handle:
        sink = HashingWriter(handle)
        # mtime=0 and no file name in the header: the same data gives the same file.
        with gzip.GzipFile(filename="", mode="wb", fileobj=sink, compresslevel=params["compression_level"], mtime=0) as zipped:
            for out_chunk, err_chunk in client.api.exec_start(exec_id, stream=True, demux=True):
                if out_chunk:
                    zipped.write(out_chunk)
                    scanner.feed(out_chunk)
                    raw_bytes += len(out_chunk)
                if err_chunk and len(stderr) < STDERR_LIMIT:
                    stderr.extend(err_chunk[: STDERR_LIMIT - len(stderr)])
        handle.flush()
        os.fsync(handle.fileno())
    scanner.close()
    stderr_text = decode_output(bytes(stderr))
    check_exit_code(client, exec_id, "pg_dump", stderr_text.strip())
    if not scanner.complete:
        raise DockerDbError(f"pg_dump output ends without its completion trailer (last line: {scanner.last_line[:80]!r})")
    return {
        "sha256": sink.sha256.hexdigest(),
        "size_bytes": sink.size,
        "raw_bytes": raw_bytes,
        "server_version": parse_version(scanner.server_version),
        "pg_dump_version": scanner.pg_dump_version,
        "tables": scanner.tables,
        "complete": True,
        "stderr": stderr_text,
    }


def run_module() -> None:
    argument_spec = docker_db_argument_spec()
    argument_spec.update(
        db=dict(type="str", required=True, aliases=["login_db"]),
        pg_dump_args=dict(type="list", elements="str", default=[]),
        dest=dict(type="path", required=True),
        compression_level=dict(type="int", default=6),
        force=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=DOCKER_DB_MUTUALLY_EXCLUSIVE,
        required_one_of=DOCKER_DB_REQUIRED_ONE_OF,
        add_file_common_args=True,
        supports_check_mode=True,
    )
    ensure_docker(module)

    params = module.params
    refused = refused_args(params["pg_dump_args"])
    if refused:
        module.fail_json(msg=f"pg_dump_args may not set the output format, file or compression: {refused}")
    if not 0 <= params["compression_level"] <= 9:
        module.fail_json(msg="compression_level must be between 0 and 9")
    dest = params["dest"]
    dest_dir = os.path.dirname(dest) or "."
    if not os.path.isdir(dest_dir):
        module.fail_json(msg=f"destination directory {dest_dir} does not exist")

    command = build_command(params)
    result = {"changed": False, "dest": dest, "command": command, "container": {}}
    docker_host = resolve_docker_host(params)
    try:
        client = docker_client(docker_host, params["timeout"])
        container = find_container(client, params)
    except DockerDbError as exc:
        module.fail_json(msg=str(exc), **result)
    except DockerException as exc:
        module.fail_json(msg=f"Docker at {docker_host}: {exc}", **result)
    result["container"] = container_summary(container)

    file_args = module.load_file_common_arguments(params)
    if file_args.get("mode") is None:
        file_args["mode"] = DEFAULT_MODE

    if os.path.exists(dest) and not params["force"]:
        result.update(sha256=file_sha256(dest), size_bytes=os.path.getsize(dest),
                      msg=f"{dest} exists; not dumped again (force=false)")
        result["changed"] = module.set_fs_attributes_if_different(file_args, False)
        module.exit_json(**result)

    if module.check_mode:
        result.update(changed=True, msg=f"would dump database {params['db']} from container {container.name} to {dest}")
        module.exit_json(**result)

    started = time.monotonic()
    fd, tmp_path = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", suffix=".partial", dir=dest_dir)
    os.close(fd)
    try:
        result.update(stream_dump(client, container, command, params, tmp_path))
        os.chmod(tmp_path, DEFAULT_MODE)
        os.replace(tmp_path, dest)
    except (DockerDbError, DockerException, OSError) as exc:
        module.fail_json(msg=f"dump of {params['db']} failed: {exc}", **result)
    finally:
        # Whatever went wrong (even an interrupted stream), no partial file stays behind.
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
    module.set_fs_attributes_if_different(file_args, True)
    result.update(changed=True, duration_s=round(time.monotonic() - started, 3),
                  msg=f"dumped {params['db']} to {dest}")
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
