# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for db_restore: a fake Docker client whose "psql" is the far end of a real
socket pair, so the streaming, the multiplexed answer and the exit code are exercised."""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import threading

import pytest

from ansible_collections.footballpred.rehearsal.plugins.modules import db_restore
from ansible_collections.footballpred.rehearsal.tests.unit.plugins.modules.docker_fakes import (
    FakeContainer,
    FakeContainers,
    patch_module_exits,
    run_main,
)

DUMP = b"".join([
    b"-- Dumped from database version 15.14\n",
    b"CREATE TABLE public.teams (id integer NOT NULL, name character varying(100) NOT NULL);\n",
    b"COPY public.teams (id, name) FROM stdin;\n",
    b"".join(b"%d\tTeam %d\n" % (i, i) for i in range(20000)),
    b"\\.\n",
    b"-- PostgreSQL database dump complete\n",
])
RESTORE_DB = "football_prediction_staging_restore_20260101_000500"


def frame(stream: int, data: bytes) -> bytes:
    """Docker's multiplexed stream framing: stream id, 3 zero bytes, big-endian length."""
    return struct.pack(">BxxxL", stream, len(data)) + data


class FakeApi:
    """Answers psql's admin commands and plays psql for the restore on a socket pair."""

    def __init__(self, db_exists: bool = False, restore_exit: int = 0, restore_stderr: bytes = b"") -> None:
        self.db_exists = db_exists
        self.restore_exit = restore_exit
        self.restore_stderr = restore_stderr
        self.calls: list[dict] = []
        self.received = bytearray()
        self._exit_codes: dict[str, int] = {}
        self._psql: threading.Thread | None = None

    def exec_create(self, container_id, cmd, **kwargs):
        exec_id = f"exec-{len(self.calls)}"
        self.calls.append({"id": exec_id, "container": container_id, "cmd": cmd, **kwargs})
        return {"Id": exec_id}

    def _call(self, exec_id):
        return next(call for call in self.calls if call["id"] == exec_id)

    def sql_of(self, exec_id) -> str:
        return next((part.split("=", 1)[1] for part in self._call(exec_id)["cmd"] if part.startswith("--command=")), "")

    def exec_start(self, exec_id, demux=False, socket=False):
        if socket:
            return self._start_psql(exec_id)
        statement = self.sql_of(exec_id)
        self._exit_codes[exec_id] = 0
        if statement.startswith("SELECT count(*) FROM pg_database"):
            return (b"1\n" if self.db_exists else b"0\n"), None
        if statement.startswith("SELECT schemaname"):
            return b"public.teams\n", None
        return b"", None

    def _start_psql(self, exec_id):
        ours, theirs = _socketpair()

        def psql():
            while True:
                chunk = theirs.recv(65536)
                if not chunk:
                    break
                self.received.extend(chunk)
            answer = frame(1, b"") if not self.restore_stderr else frame(2, self.restore_stderr)
            theirs.sendall(answer)
            theirs.close()

        self._exit_codes[exec_id] = self.restore_exit
        self._psql = threading.Thread(target=psql, daemon=True)
        self._psql.start()
        return ours

    def exec_inspect(self, exec_id):
        if self._psql is not None:
            self._psql.join(5)
        return {"ExitCode": self._exit_codes.get(exec_id, 0)}

    def statements(self) -> list[str]:
        return [self.sql_of(call["id"]) for call in self.calls if self.sql_of(call["id"])]


def _socketpair():
    return socket.socketpair()


class FakeClient:
    def __init__(self, api: FakeApi, containers=None) -> None:
        self.api = api
        self.containers = FakeContainers(containers if containers is not None else [FakeContainer()])


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    patch_module_exits(monkeypatch)


@pytest.fixture(name="dump")
def dump_fixture(tmp_path):
    path = tmp_path / "staging_db_20260101_000000.sql.gz"
    path.write_bytes(gzip.compress(DUMP, mtime=0))
    return path


def use_api(monkeypatch, api: FakeApi) -> FakeApi:
    monkeypatch.setattr(db_restore, "docker_client", lambda host, timeout: FakeClient(api))
    return api


def run(args: dict, check_mode: bool = False) -> tuple[str, dict]:
    return run_main(db_restore, args, check_mode)


def base_args(dump, **overrides) -> dict:
    args = {
        "project": "football-prediction-staging",
        "src": str(dump),
        "checksum": hashlib.sha256(dump.read_bytes()).hexdigest(),
        "db": RESTORE_DB,
        "login_user": "football_staging_user",
        "login_password": "s3cret",
    }
    args.update(overrides)
    return args


def test_restore_streams_the_whole_dump_into_a_new_database(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi())

    outcome, result = run(base_args(dump))

    assert outcome == "exit"
    assert result["changed"] is True
    assert result["checksum_verified"] is True
    assert bytes(api.received) == DUMP
    assert result["raw_bytes"] == len(DUMP)
    assert result["tables"] == ["public.teams"]
    assert f"CREATE DATABASE {RESTORE_DB} OWNER football_staging_user TEMPLATE template0" in api.statements()
    restore_call = next(call for call in api.calls if call.get("stdin"))
    assert restore_call["cmd"][:5] == ["psql", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                                       f"--dbname={RESTORE_DB}"]
    assert restore_call["environment"] == {"PGPASSWORD": "s3cret"}
    assert not any("s3cret" in part for call in api.calls for part in call["cmd"])


def test_check_mode_verifies_and_changes_nothing(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi())

    outcome, result = run(base_args(dump), check_mode=True)

    assert outcome == "exit"
    assert result["changed"] is True
    assert result["msg"].startswith(f"would create and restore database {RESTORE_DB}")
    assert all(statement.startswith("SELECT") for statement in api.statements())
    assert not api.received


def test_existing_database_is_left_alone(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi(db_exists=True))

    outcome, result = run(base_args(dump))

    assert outcome == "exit"
    assert result["changed"] is False
    assert result["existed"] is True
    assert not any(statement.startswith(("CREATE", "DROP")) for statement in api.statements())


def test_force_drops_and_restores_again(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi(db_exists=True))

    outcome, result = run(base_args(dump, force=True))

    assert outcome == "exit" and result["changed"] is True
    assert api.statements()[1] == f"DROP DATABASE {RESTORE_DB}"


def test_checksum_mismatch_fails_before_anything_runs(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi())

    outcome, result = run(base_args(dump, checksum="0" * 64))

    assert outcome == "fail"
    assert "does not match its checksum" in result["msg"]
    assert api.calls == []


def test_failed_restore_drops_the_partial_database(monkeypatch, dump):
    api = use_api(monkeypatch, FakeApi(restore_exit=3, restore_stderr=b"ERROR:  relation \"teams\" already exists\n"))

    outcome, result = run(base_args(dump))

    assert outcome == "fail"
    assert "psql exited 3" in result["msg"] and "already exists" in result["msg"]
    assert api.statements()[-1] == f"DROP DATABASE IF EXISTS {RESTORE_DB}"
    assert result["changed"] is False


@pytest.mark.parametrize("name", ["staging; DROP DATABASE x", "1starts_with_digit", "x" * 64, "with-dash"])
def test_database_names_that_need_quoting_are_refused(monkeypatch, dump, name):
    api = use_api(monkeypatch, FakeApi())

    outcome, result = run(base_args(dump, db=name))

    assert outcome == "fail"
    assert "not a plain PostgreSQL identifier" in result["msg"]
    assert api.calls == []


def test_missing_dump_fails(monkeypatch, tmp_path):
    use_api(monkeypatch, FakeApi())

    outcome, result = run({"project": "football-prediction-staging", "src": str(tmp_path / "missing.sql.gz"),
                           "db": RESTORE_DB, "login_user": "football_staging_user"})

    assert outcome == "fail"
    assert "does not exist" in result["msg"]


def test_no_running_container_fails_clearly(monkeypatch, dump):
    api = FakeApi()
    monkeypatch.setattr(db_restore, "docker_client",
                        lambda host, timeout: FakeClient(api, containers=[FakeContainer(status="exited")]))

    outcome, result = run(base_args(dump))

    assert outcome == "fail"
    assert "no running container for service 'db'" in result["msg"]
