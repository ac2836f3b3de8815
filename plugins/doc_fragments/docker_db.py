# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by the modules that run a PostgreSQL client (pg_dump, psql) inside
    # the database container (plugins/module_utils/docker_db.py).
    DOCUMENTATION = r"""
options:
  container:
    description:
      - Name or ID of the database container.
      - Mutually exclusive with I(project).
    type: str
  project:
    description:
      - Docker compose project whose I(service) container is used (found by the
        C(com.docker.compose.project) and C(com.docker.compose.service) labels).
      - Mutually exclusive with I(container).
    type: str
  service:
    description: Compose service of the database, with I(project).
    type: str
    default: db
  docker_host:
    description:
      - Docker daemon to talk to.
      - Falls back to the E(DOCKER_HOST) environment variable, then the default socket.
    type: str
  login_user:
    description: Database user the PostgreSQL client connects as.
    type: str
    required: true
  login_password:
    description:
      - Password of I(login_user), handed to the client as E(PGPASSWORD) in the exec
        environment (never on its command line).
    type: str
    default: ""
  login_host:
    description:
      - Host the client connects to, as seen from inside the container.
      - Default is the container's own Unix socket.
    type: str
  login_port:
    description:
      - Port the client connects to, as seen from inside the container.
      - Default is the container's E(PGPORT), else 5432.
    type: int
  exec_user:
    description: OS user the exec runs as inside the container (for example C(postgres)).
    type: str
"""
