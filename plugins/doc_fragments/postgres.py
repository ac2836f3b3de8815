# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of the modules that talk to PostgreSQL.
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name or address of the PostgreSQL server, or a directory holding its Unix socket.
      - Falls back to the E(PGHOST) environment variable, then to the staging stack's address.
    type: str
    default: 127.0.0.1
  login_port:
    description:
      - TCP port of the PostgreSQL server.
      - Falls back to E(PGPORT), then to the staging port.
    type: int
    default: 5433
  login_user:
    description:
      - Role to connect as.
      - Falls back to E(PGUSER), then to the staging application role.
    type: str
    default: football_staging_user
  login_password:
    description:
      - Password of O(login_user). Never returned nor logged.
      - Falls back to E(PGPASSWORD); when unset, libpq may still use C(~/.pgpass).
    type: str
  login_db:
    description:
      - Database to connect to, and the one the checks describe.
      - Falls back to E(PGDATABASE), then to the staging database.
    type: str
    default: football_prediction_staging
    aliases: [db]
  connect_timeout:
    description:
      - Seconds to wait for the connection before the server is reported unavailable.
    type: int
    default: 5
  query_timeout:
    description:
      - Server-side C(statement_timeout), in seconds, applied to every statement the module runs.
    type: int
    default: 30
  ssl_mode:
    description:
      - libpq C(sslmode) of the connection.
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - CA certificate file used to verify the server (libpq C(sslrootcert)).
    type: path
requirements:
  - psycopg2 (C(psycopg2-binary) is enough) on the host that runs the module
notes:
  - The defaults describe the local staging stack of this collection (see C(docs/CONVENTIONS.md)),
    never a production server.
"""
