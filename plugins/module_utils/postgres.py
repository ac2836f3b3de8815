# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PostgreSQL connection options and client factory (psycopg2)."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import psycopg2
    from psycopg2 import sql
except ImportError:
    psycopg2 = None
    sql = None
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()
else:
    PSYCOPG2_IMPORT_ERROR = None

HAS_PSYCOPG2 = psycopg2 is not None

__all__ = [
    "HAS_PSYCOPG2",
    "PSYCOPG2_IMPORT_ERROR",
    "connect_to_postgres",
    "connection_errors",
    "ensure_psycopg2",
    "postgres_argument_spec",
    "sql",
    "undefined_function",
    "validate_postgres_params",
]

APPLICATION_NAME = "footballpred-rehearsal"
SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


def postgres_argument_spec() -> dict:
    """Connection options shared by every module that talks to PostgreSQL.

    Defaults are the staging stack's (docs/CONVENTIONS.md); the libpq environment
    variables take precedence over them, explicit options over both.
    """
    return dict(
        login_host=dict(type="str", default="127.0.0.1", fallback=(env_fallback, ["PGHOST"])),
        login_port=dict(type="int", default=5433, fallback=(env_fallback, ["PGPORT"])),
        login_user=dict(type="str", default="football_staging_user", fallback=(env_fallback, ["PGUSER"])),
        login_password=dict(type="str", no_log=True, fallback=(env_fallback, ["PGPASSWORD"])),
        login_db=dict(type="str", default="football_prediction_staging", aliases=["db"],
                      fallback=(env_fallback, ["PGDATABASE"])),
        connect_timeout=dict(type="int", default=5),
        query_timeout=dict(type="int", default=30),
        ssl_mode=dict(type="str", default="prefer", choices=SSL_MODES),
        ca_cert=dict(type="path"),
    )


def ensure_psycopg2(module) -> None:
    """Fail the module the Ansible way when psycopg2 cannot be imported."""
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=PSYCOPG2_IMPORT_ERROR)


def connection_errors() -> tuple:
    """Exceptions that mean "the server did not answer as asked", never a bug here."""
    return (psycopg2.Error,)


def undefined_function() -> type:
    """The error of SQLSTATE 42883: no such function, or no (hash) function for a type."""
    return psycopg2.errors.UndefinedFunction


def connect_to_postgres(params: dict):
    """Open an autocommit connection described by the module's parameters.

    Every statement is bounded by ``query_timeout`` on the server side, so a
    locked table cannot hang the play.
    """
    kwargs = dict(
        host=params["login_host"],
        port=params["login_port"],
        user=params["login_user"],
        dbname=params["login_db"],
        connect_timeout=params["connect_timeout"],
        sslmode=params["ssl_mode"],
        application_name=APPLICATION_NAME,
        options="-c statement_timeout=%d" % (params["query_timeout"] * 1000),
    )
    if params.get("login_password"):
        kwargs["password"] = params["login_password"]
    if params.get("ca_cert"):
        kwargs["sslrootcert"] = params["ca_cert"]
    connection = psycopg2.connect(**kwargs)
    connection.autocommit = True
    return connection


def validate_postgres_params(module) -> None:
    """Reject connection settings that can only be mistakes."""
    params = module.params
    if not 1 <= params["login_port"] <= 65535:
        module.fail_json(msg="login_port must be between 1 and 65535, got %d" % params["login_port"])
    if params["connect_timeout"] < 1:
        module.fail_json(msg="connect_timeout must be at least 1 second")
    if params["query_timeout"] < 1:
        module.fail_json(msg="query_timeout must be at least 1 second")
    if not params["login_db"]:
        module.fail_json(msg="login_db must not be empty")
