# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers shared by the footballpred.rehearsal check modules."""

from __future__ import annotations

import re
import time
import uuid

ERROR_TEXT_LIMIT = 300
PROBE_NAME_PREFIX = "fp_rehearsal_probe"

_VERSION_RE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def monotonic() -> float:
    """Clock used for every latency measurement (immune to wall-clock jumps)."""
    return time.perf_counter()


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a value of :func:`monotonic`)."""
    return round((time.perf_counter() - started) * 1000.0, 3)


def unique_token(prefix: str = PROBE_NAME_PREFIX) -> str:
    """A name no concurrent run can pick: prefix, epoch seconds and a random part."""
    return "%s_%d_%s" % (prefix, int(time.time()), uuid.uuid4().hex[:12])


def error_text(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """One short line describing ``exc``, with any secret masked.

    Client libraries sometimes echo the connection string (and so the password)
    in their messages; the modules pass their secrets here so none can leak into
    a result even when Ansible's own no_log masking is bypassed.
    """
    text = " ".join(str(exc).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    name = exc.__class__.__name__
    if not text:
        text = name
    elif not text.startswith(name):
        text = "%s: %s" % (name, text)
    if len(text) > ERROR_TEXT_LIMIT:
        text = text[: ERROR_TEXT_LIMIT - 3] + "..."
    return text


def parse_version(text: str | None) -> dict:
    """Split a version string into ``{major, minor, patch, full}``.

    ``full`` keeps the text as the server reported it; missing parts are ``None``.
    Returns an empty dict when ``text`` holds no version number.
    """
    if not text:
        return {}
    match = _VERSION_RE.search(text)
    if not match:
        return {}
    major, minor, patch = match.groups()
    return {
        "major": int(major),
        "minor": int(minor) if minor is not None else None,
        "patch": int(patch) if patch is not None else None,
        "full": text.strip(),
    }
