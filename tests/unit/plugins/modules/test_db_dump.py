# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for db_dump: a fake Docker client streams a captured pg_dump output."""

from __future__ import annotations

import gzip
import hashlib
import os
import stat

import pytest

from ansible_collections.footballpred.rehearsal.plugins.module_utils import docker_db
from ansible_collections.footballpred.rehearsal.plugins.modules import db_dump
from ansible_collections.footballpred.rehearsal.tests.unit.plugins.modules.docker_fakes import (
    FakeContainer,
    FakeContainers,
    patch_module_exits,
    run_main,
)

DUMP_HEADER = b"""--
-- PostgreSQL database dump
--

-- Dumped from database version 15.14 (Debian 15.14-0+deb12u1)
-- Dumped by pg_dump version 15.14 (Debian 15.14-0+deb12u1)

SET statement_timeout = 0;
"""
DUMP_BODY = b"""
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);

CREATE TABLE public.teams (
    id integer NOT NULL,
    name character varying(100) NOT NULL
);

COPY public.teams (id, name) FROM stdin;
1\tArsenal
2\tChelsea
\\.

"""
DUMP_TRAILER = b"""--
-- PostgreSQL database dump complete
--

"""
COMPLETE_DUMP = DUMP_HEADER + DUMP_BODY + DUMP_TRAILER


class FakeApi:
    def __init__(self, chunks: list[tuple[bytes | None, bytes | None]], exit_code: int) -> None:
        self._chunks = chunks
        self._exit_code = exit_code
        self.exec_calls: list[dict] = []

    def exec_create(self, container_id, cmd, **kwargs):
        self.exec_calls.append({"container": container_id, "cmd": cmd, **kwargs})
        return {"Id": "exec-1"}

    def exec_start(self, exec_id, stream, demux):
        assert stream and demux, "the dump must be streamed, stdout and stderr apart"
        yield from self._chunks

    def exec_inspect(self, exec_id):
        return {"ExitCode": self._exit_code}


class FakeClient:
    def __init__(self, chunks=None, exit_code: int = 0, containers=None) -> None:
        self.containers = FakeContainers(containers if containers is not None else [FakeContainer()])
        self.api = FakeApi(chunks if chunks is not None else chunked(COMPLETE_DUMP), exit_code)


def chunked(data: bytes, size: int = 37) -> list[tuple[bytes, None]]:
    """Split the dump at awkward places, the way a socket delivers it."""
    return [(data[i:i + size], None) for i in range(0, len(data), size)]


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    patch_module_exits(monkeypatch)


@pytest.fixture
def client(monkeypatch):
    fake = FakeClient()
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)
    return fake


def run(args: dict, check_mode: bool = False) -> tuple[str, dict]:
    return run_main(db_dump, args, check_mode)


def base_args(tmp_path, **overrides) -> dict:
    args = {
        "project": "football-prediction-staging",
        "db": "football_prediction_staging",
        "login_user": "football_staging_user",
        "login_password": "s3cret",
        "dest": str(tmp_path / "staging_db_20260101T000000Z.sql.gz"),
    }
    args.update(overrides)
    return args


def test_dump_streams_into_gzip_with_checksum_and_metadata(tmp_path, client):
    outcome, result = run(base_args(tmp_path))

    assert outcome == "exit"
    assert result["changed"] is True
    dest = tmp_path / "staging_db_20260101T000000Z.sql.gz"
    written = dest.read_bytes()
    assert gzip.decompress(written) == COMPLETE_DUMP
    assert result["sha256"] == hashlib.sha256(written).hexdigest()
    assert result["size_bytes"] == len(written)
    assert result["raw_bytes"] == len(COMPLETE_DUMP)
    assert result["tables"] == ["public.alembic_version", "public.teams"]
    assert result["server_version"] == {
        "full": "15.14 (Debian 15.14-0+deb12u1)", "major": 15, "minor": 14, "patch": None}
    assert result["pg_dump_version"] == "15.14 (Debian 15.14-0+deb12u1)"
    assert result["complete"] is True
    assert result["container"]["name"] == "football-prediction-staging-db-1"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]


def test_password_goes_to_the_exec_environment_not_the_command_line(tmp_path, client):
    run(base_args(tmp_path, login_host="127.0.0.1", login_port=5433, exec_user="postgres"))

    call = client.api.exec_calls[0]
    assert call["environment"] == {"PGPASSWORD": "s3cret"}
    assert not any("s3cret" in part for part in call["cmd"])
    assert call["cmd"][:2] == ["pg_dump", "--format=plain"]
    assert "--host=127.0.0.1" in call["cmd"] and "--port=5433" in call["cmd"]
    assert call["user"] == "postgres"
    assert client.containers.list_filters == {
        "label": ["com.docker.compose.project=football-prediction-staging", "com.docker.compose.service=db"],
        "status": "running",
    }


def test_same_data_gives_the_same_file(tmp_path, client):
    first = run(base_args(tmp_path, dest=str(tmp_path / "a.sql.gz")))[1]
    second = run(base_args(tmp_path, dest=str(tmp_path / "b.sql.gz")))[1]

    assert first["sha256"] == second["sha256"]


def test_check_mode_writes_nothing_and_says_what_it_would_do(tmp_path, client):
    outcome, result = run(base_args(tmp_path), check_mode=True)

    assert outcome == "exit"
    assert result["changed"] is True
    assert "would dump database football_prediction_staging" in result["msg"]
    assert client.api.exec_calls == []
    assert list(tmp_path.iterdir()) == []


def test_existing_dest_is_kept_without_force(tmp_path, client):
    dest = tmp_path / "staging_db_20260101T000000Z.sql.gz"
    dest.write_bytes(b"older backup")
    dest.chmod(0o600)

    outcome, result = run(base_args(tmp_path))

    assert outcome == "exit"
    assert result["changed"] is False
    assert result["sha256"] == hashlib.sha256(b"older backup").hexdigest()
    assert dest.read_bytes() == b"older backup"
    assert client.api.exec_calls == []


def test_force_replaces_existing_dest(tmp_path, client):
    dest = tmp_path / "staging_db_20260101T000000Z.sql.gz"
    dest.write_bytes(b"older backup")

    outcome, result = run(base_args(tmp_path, force=True))

    assert outcome == "exit" and result["changed"] is True
    assert gzip.decompress(dest.read_bytes()) == COMPLETE_DUMP


def test_failed_pg_dump_fails_and_leaves_no_file(tmp_path, monkeypatch):
    fake = FakeClient(chunks=[(DUMP_HEADER, None), (None, b'pg_dump: error: connection failed: FATAL:  role "x" does not exist\n')],
                      exit_code=1)
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)

    outcome, result = run(base_args(tmp_path))

    assert outcome == "fail"
    assert "pg_dump exited 1" in result["msg"] and 'role "x" does not exist' in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_truncated_dump_is_refused_even_with_exit_code_zero(tmp_path, monkeypatch):
    fake = FakeClient(chunks=chunked(DUMP_HEADER + DUMP_BODY))
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)

    outcome, result = run(base_args(tmp_path))

    assert outcome == "fail"
    assert "completion trailer" in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_interrupted_stream_leaves_no_file(tmp_path, monkeypatch):
    def broken_stream(exec_id, stream, demux):
        yield DUMP_HEADER, None
        raise db_dump.DockerException("connection reset")

    fake = FakeClient()
    fake.api.exec_start = broken_stream
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)

    outcome, result = run(base_args(tmp_path))

    assert outcome == "fail" and "connection reset" in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_no_running_db_container_fails_clearly(tmp_path, monkeypatch):
    fake = FakeClient(containers=[FakeContainer(status="exited")])
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)

    outcome, result = run(base_args(tmp_path))

    assert outcome == "fail"
    assert "no running container for service 'db'" in result["msg"]


def test_named_container_must_be_running(tmp_path, monkeypatch):
    fake = FakeClient(containers=[FakeContainer(name="pg", status="exited")])
    monkeypatch.setattr(db_dump, "docker_client", lambda host, timeout: fake)

    args = base_args(tmp_path, container="pg")
    del args["project"]
    outcome, result = run(args)

    assert outcome == "fail" and "is exited, not running" in result["msg"]


@pytest.mark.parametrize("arg", ["--format=custom", "-Fc", "--file=/tmp/x", "-Z9"])
def test_output_changing_pg_dump_args_are_refused(tmp_path, client, arg):
    outcome, result = run(base_args(tmp_path, pg_dump_args=[arg]))

    assert outcome == "fail" and "may not set the output format" in result["msg"]


def test_missing_destination_directory_fails(tmp_path, client):
    outcome, result = run(base_args(tmp_path, dest=str(tmp_path / "missing" / "x.sql.gz")))

    assert outcome == "fail" and "does not exist" in result["msg"]


def test_missing_docker_sdk_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(docker_db, "HAS_DOCKER", False)
    monkeypatch.setattr(docker_db, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")

    outcome, result = run(base_args(tmp_path))

    assert outcome == "fail"
    assert "docker" in result["msg"] and result["exception"].startswith("Traceback")


def test_scanner_handles_lines_split_across_chunks():
    scanner = db_dump.DumpScanner()
    for chunk, _stderr in chunked(COMPLETE_DUMP, size=5):
        scanner.feed(chunk)
    scanner.close()

    assert scanner.tables == ["public.alembic_version", "public.teams"]
    assert scanner.complete
