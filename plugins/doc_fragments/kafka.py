# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of the modules that talk to Kafka.
    DOCUMENTATION = r"""
options:
  bootstrap_servers:
    description:
      - Brokers to bootstrap from, as V(host:port).
      - Falls back to the comma separated E(KAFKA_BOOTSTRAP_SERVERS), then to the staging stack's
        external listener.
    type: list
    elements: str
    default: ["127.0.0.1:9093"]
  security_protocol:
    description:
      - Protocol used to talk to the brokers.
    type: str
    default: PLAINTEXT
    choices: [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]
  sasl_mechanism:
    description:
      - SASL mechanism, required with the C(SASL_*) protocols.
    type: str
    choices: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]
  sasl_username:
    description:
      - SASL user name, required with the C(SASL_*) protocols.
    type: str
  sasl_password:
    description:
      - SASL password. Never returned nor logged.
      - Falls back to the E(KAFKA_SASL_PASSWORD) environment variable.
    type: str
  ssl_cafile:
    description:
      - CA bundle used to verify the brokers with the C(SSL) and C(SASL_SSL) protocols.
    type: path
  validate_certs:
    description:
      - Check that the broker certificate matches its host name.
    type: bool
    default: true
  bootstrap_timeout:
    description:
      - Seconds to wait for the first broker to answer before the cluster is reported unavailable.
    type: float
    default: 10.0
  request_timeout:
    description:
      - Seconds to wait for each request to the cluster.
    type: float
    default: 10.0
requirements:
  - kafka-python >= 3.0 on the host that runs the module
"""
