# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of the modules that talk to Redis.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Server as a URL, C(redis://[[user]:password@]host[:port][/db]) or C(rediss://...) for TLS,
        for example the stack's C(STAGING_REDIS_URL).
      - The whole URL is treated as a secret and never returned nor logged.
      - Mutually exclusive with O(login_host), O(login_port), O(db) and O(tls).
    type: str
  login_host:
    description:
      - Host name or address of the server. V(127.0.0.1) when neither this nor O(url) is set.
    type: str
  login_port:
    description:
      - TCP port of the server. The staging port V(6380) when neither this nor O(url) is set.
    type: int
  login_user:
    description:
      - ACL user to authenticate as (Redis 6 and later). Used when O(url) names no user.
    type: str
  login_password:
    description:
      - Password to authenticate with. Used when O(url) carries no password. Never returned nor logged.
      - Falls back to the E(REDIS_PASSWORD) environment variable.
    type: str
  db:
    description:
      - Database index. The staging index V(1) when neither this nor O(url) is set.
    type: int
  tls:
    description:
      - Connect with TLS. With O(url), use the C(rediss://) scheme instead.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the server certificate when TLS is used.
    type: bool
    default: true
  ca_certs:
    description:
      - CA bundle used to verify the server certificate.
    type: path
  socket_timeout:
    description:
      - Seconds to wait for the connection and for each reply.
    type: float
    default: 5.0
requirements:
  - redis (redis-py) on the host that runs the module
"""
