# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Redis connection options and client factory (redis-py)."""

from __future__ import annotations

import traceback

from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import redis
except ImportError:
    redis = None
    REDIS_IMPORT_ERROR = traceback.format_exc()
else:
    REDIS_IMPORT_ERROR = None

HAS_REDIS = redis is not None

URL_SCHEMES = ("redis", "rediss")


def redis_argument_spec() -> dict:
    """Connection options shared by every module that talks to Redis.

    Either O(url) or the discrete login options describe the server; defaults are
    the staging stack's (docs/CONVENTIONS.md).
    """
    return dict(
        url=dict(type="str", no_log=True),
        login_host=dict(type="str"),
        login_port=dict(type="int"),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True, fallback=(env_fallback, ["REDIS_PASSWORD"])),
        db=dict(type="int"),
        tls=dict(type="bool", default=False),
        validate_certs=dict(type="bool", default=True),
        ca_certs=dict(type="path"),
        socket_timeout=dict(type="float", default=5.0),
    )


REDIS_MUTUALLY_EXCLUSIVE = [
    ("url", "login_host"),
    ("url", "login_port"),
    ("url", "db"),
    ("url", "tls"),
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6380
DEFAULT_DB = 1


def ensure_redis(module) -> None:
    """Fail the module the Ansible way when redis-py cannot be imported."""
    if not HAS_REDIS:
        module.fail_json(msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR)


def connection_errors() -> tuple:
    """Exceptions that mean the server is down, refused us or misbehaved."""
    return (redis.exceptions.RedisError, OSError)


def parse_redis_url(url: str) -> dict:
    """Split a C(redis://[[user]:password@]host[:port][/db]) URL into connection settings.

    Raises ValueError with a message that never contains the password.
    """
    parts = urlsplit(url)
    if parts.scheme not in URL_SCHEMES:
        raise ValueError("url must start with redis:// or rediss://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("url has an invalid port") from None
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError("url path must be a database index, e.g. /1")
    return dict(
        host=parts.hostname or DEFAULT_HOST,
        port=port or 6379,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        db=int(path) if path else 0,
        ssl=parts.scheme == "rediss",
    )


def connection_settings(params: dict) -> dict:
    """Resolve the module parameters into keyword arguments for ``redis.Redis``.

    A password given in O(url) wins; otherwise O(login_password) (or E(REDIS_PASSWORD)) is used.
    """
    if params.get("url"):
        settings = parse_redis_url(params["url"])
    else:
        settings = dict(
            host=params.get("login_host") or DEFAULT_HOST,
            port=params["login_port"] if params.get("login_port") is not None else DEFAULT_PORT,
            username=None,
            password=None,
            db=params["db"] if params.get("db") is not None else DEFAULT_DB,
            ssl=params.get("tls", False),
        )
    if settings["username"] is None:
        settings["username"] = params.get("login_user")
    if settings["password"] is None:
        settings["password"] = params.get("login_password")
    if not 1 <= settings["port"] <= 65535:
        raise ValueError("port must be between 1 and 65535, got %d" % settings["port"])
    if settings["db"] < 0:
        raise ValueError("db must not be negative, got %d" % settings["db"])
    return settings


def connect_to_redis(settings: dict, params: dict):
    """Build a client; redis-py connects lazily, on the first command."""
    kwargs = dict(
        host=settings["host"],
        port=settings["port"],
        db=settings["db"],
        username=settings["username"],
        password=settings["password"],
        socket_timeout=params["socket_timeout"],
        socket_connect_timeout=params["socket_timeout"],
        decode_responses=True,
        client_name="footballpred-rehearsal",
    )
    if settings["ssl"]:
        kwargs.update(ssl=True, ssl_cert_reqs="required" if params["validate_certs"] else "none",
                      ssl_ca_certs=params.get("ca_certs"))
    return redis.Redis(**kwargs)
