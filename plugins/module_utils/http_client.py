# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plain HTTP requests for the checks, with timing and no exception for HTTP errors."""

from __future__ import annotations

import json

from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context

from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    elapsed_ms,
    error_text,
    monotonic,
)

MAX_BODY_BYTES = 5 * 1024 * 1024
USER_AGENT = "footballpred-rehearsal"


def http_argument_spec() -> dict:
    """Options shared by the modules that talk HTTP."""
    return dict(
        timeout=dict(type="float", default=10.0),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    )


def validate_http_params(module, name: str) -> str:
    """Check the shared HTTP options and the base URL option ``name``; return that URL without a trailing slash."""
    url = module.params[name]
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        module.fail_json(msg="%s must be an absolute http:// or https:// URL, got %r" % (name, url))
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be greater than 0")
    return url.rstrip("/")


def tls_context(validate_certs: bool = True, ca_path: str | None = None):
    """One TLS context for all requests of a module run.

    Loading the CA store takes tens of milliseconds; doing it once, outside the timed
    section, keeps the measured latency that of the server.
    """
    return make_context(cafile=ca_path, validate_certs=validate_certs)


def http_request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
                 timeout: float = 10.0, context=None, url_username: str | None = None,
                 url_password: str | None = None, secrets: tuple = ()) -> dict:
    """Send one request and describe the outcome; never raises for network or HTTP errors.

    Returns ``{reached, status, headers, body, latency_ms, error}``: ``reached`` is false
    when no HTTP response came back at all (refused, timed out, TLS failure), and
    ``latency_ms`` runs until the whole body (up to 5 MiB) has been read.
    """
    outcome = dict(reached=False, status=None, headers={}, body=b"", latency_ms=None, error="")
    request = Request(headers=headers or {}, timeout=timeout, http_agent=USER_AGENT, url_username=url_username,
                      url_password=url_password, force_basic_auth=url_username is not None, context=context)
    started = monotonic()
    try:
        response = request.open(method, url, data=body)
    except HTTPError as exc:
        response = exc
    except (URLError, OSError, HTTPException, UrlsConnectionError) as exc:
        # URLError wraps the socket error that says what actually went wrong.
        reason = exc.reason if isinstance(exc, URLError) and isinstance(exc.reason, BaseException) else exc
        outcome.update(latency_ms=elapsed_ms(started), error=error_text(reason, secrets))
        return outcome
    try:
        payload = response.read(MAX_BODY_BYTES + 1)
    except (OSError, HTTPException) as exc:
        payload = b""
        outcome["error"] = error_text(exc, secrets)
    finally:
        response.close()
    outcome.update(
        reached=True,
        status=response.getcode(),
        headers={key.lower(): value for key, value in (response.headers or {}).items()},
        body=payload[:MAX_BODY_BYTES],
        latency_ms=elapsed_ms(started),
    )
    return outcome


def parse_json(body: bytes):
    """Decode a JSON body; returns ``(value, error)`` with ``error`` empty on success."""
    try:
        return json.loads(body.decode("utf-8")), ""
    except (UnicodeDecodeError, ValueError) as exc:
        return None, error_text(exc)
