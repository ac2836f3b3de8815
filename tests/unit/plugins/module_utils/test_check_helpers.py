# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    error_text,
    parse_version,
    unique_token,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.http_client import http_request, tls_context
from ansible_collections.footballpred.rehearsal.plugins.module_utils.json_path import (
    PathError,
    parse_path,
    path_equals,
    path_exists,
    resolve,
    truncate,
)

DOCUMENT = {
    "status": "healthy",
    "models": [{"name": "a", "version": "1"}, {"name": "b", "version": None}],
    "empty": [],
    "nested": {"0": "zero-key"},
}


@pytest.mark.parametrize("path, tokens", [
    ("status", ["status"]),
    ("$.models[0].name", ["models", 0, "name"]),
    ("models.0.name", ["models", "0", "name"]),
    ("models[*].name", ["models", "*", "name"]),
    ("models[-1]", ["models", -1]),
])
def test_parse_path(path, tokens):
    assert parse_path(path) == tokens


@pytest.mark.parametrize("path", ["", "$", "models[0", "a..b", "models[x]"])
def test_parse_path_rejects_garbage(path):
    with pytest.raises(PathError):
        parse_path(path)


def test_exists_covers_indexes_wildcards_and_null():
    assert path_exists(DOCUMENT, "models[1].name")
    assert path_exists(DOCUMENT, "models.1.name")
    assert path_exists(DOCUMENT, "models[*].version")
    assert path_exists(DOCUMENT, "nested.0")
    assert not path_exists(DOCUMENT, "models[2]")
    assert not path_exists(DOCUMENT, "models[*].stage")
    assert not path_exists(DOCUMENT, "empty[*]")
    assert not path_exists(DOCUMENT, "status.length")
    assert not path_exists(["x"], "key")


def test_equals_is_json_equality_not_substring():
    assert path_equals(DOCUMENT, "status", "healthy") == (True, "healthy")
    assert path_equals({"status": "unhealthy"}, "status", "healthy") == (False, "unhealthy")
    assert path_equals(DOCUMENT, "models[*].name", "a") == (False, ["a", "b"])
    assert path_equals({"n": 1}, "n", True)[0] is False
    assert path_equals({"n": True}, "n", 1)[0] is False
    assert path_equals({"n": 1}, "n", 1.0)[0] is True
    assert path_equals({"n": {"a": [1]}}, "n", {"a": [1]})[0] is True
    assert path_equals({}, "missing", None) == (False, None)


def test_resolve_keeps_missing_branches():
    values = resolve(DOCUMENT, "models[*].version")
    assert values == ["1", None]


def test_truncate_keeps_valid_structure():
    value, cut = truncate({"a": list(range(10)), "s": "abcdef", "deep": [[[1]]]}, max_items=3, max_string=4,
                          max_depth=2)
    assert cut is True
    assert value == {"a": [0, 1, 2], "s": "abcd...", "deep": ["<1 items>"]}
    assert truncate({"a": 1}) == ({"a": 1}, False)


def test_parse_version():
    assert parse_version("7.0.15") == dict(major=7, minor=0, patch=15, full="7.0.15")
    assert parse_version("2.22") == dict(major=2, minor=22, patch=None, full="2.22")
    assert parse_version("unknown") == {}
    assert parse_version(None) == {}


def test_error_text_masks_secrets_and_stays_short():
    text = error_text(ValueError("password=hunter2 rejected " + "x" * 500), secrets=("hunter2", ""))
    assert "hunter2" not in text and "********" in text
    assert text.startswith("ValueError: ") and len(text) == 300
    assert error_text(TimeoutError()) == "TimeoutError"


def test_unique_token_is_unique():
    assert len({unique_token() for attempt in range(100)}) == 100


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status": "healthy"}'
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_request_reads_success_and_error_statuses(local_server):
    context = tls_context()
    ok = http_request(local_server + "/health", context=context)
    failing = http_request(local_server + "/other", context=context)

    assert ok["reached"] is True and ok["status"] == 200 and ok["body"] == b'{"status": "healthy"}'
    assert ok["headers"]["content-type"] == "application/json" and ok["latency_ms"] > 0
    assert failing["reached"] is True and failing["status"] == 503 and failing["error"] == ""


def test_http_request_reports_refused_connections():
    probe = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = probe.server_address[1]
    probe.server_close()

    outcome = http_request("http://127.0.0.1:%d/health" % port, timeout=2)
    assert outcome["reached"] is False and outcome["status"] is None
    assert outcome["error"].startswith("ConnectionRefusedError")
