# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Kafka connection options and client factory (kafka-python 3.x)."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import kafka
    import kafka.errors
except ImportError:
    kafka = None
    KAFKA_IMPORT_ERROR = traceback.format_exc()
else:
    KAFKA_IMPORT_ERROR = None

HAS_KAFKA = kafka is not None

SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
CLIENT_ID = "footballpred-rehearsal"


def kafka_argument_spec() -> dict:
    """Connection options shared by every module that talks to Kafka."""
    return dict(
        bootstrap_servers=dict(type="list", elements="str", default=["127.0.0.1:9093"],
                               fallback=(env_fallback, ["KAFKA_BOOTSTRAP_SERVERS"])),
        security_protocol=dict(type="str", default="PLAINTEXT", choices=SECURITY_PROTOCOLS),
        sasl_mechanism=dict(type="str", choices=SASL_MECHANISMS),
        sasl_username=dict(type="str"),
        sasl_password=dict(type="str", no_log=True, fallback=(env_fallback, ["KAFKA_SASL_PASSWORD"])),
        ssl_cafile=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        bootstrap_timeout=dict(type="float", default=10.0),
        request_timeout=dict(type="float", default=10.0),
    )


KAFKA_REQUIRED_TOGETHER = [("sasl_username", "sasl_password")]
KAFKA_REQUIRED_IF = [
    ("security_protocol", "SASL_PLAINTEXT", ("sasl_mechanism", "sasl_username", "sasl_password")),
    ("security_protocol", "SASL_SSL", ("sasl_mechanism", "sasl_username", "sasl_password")),
]


def ensure_kafka(module) -> None:
    """Fail the module the Ansible way when kafka-python cannot be imported."""
    if not HAS_KAFKA:
        module.fail_json(msg=missing_required_lib("kafka-python"), exception=KAFKA_IMPORT_ERROR)


def connection_errors() -> tuple:
    """Exceptions that mean the cluster is unreachable or refused a request."""
    return (kafka.errors.KafkaError, OSError)


def validate_kafka_params(module) -> None:
    params = module.params
    if not params["bootstrap_servers"] or any(not server.strip() for server in params["bootstrap_servers"]):
        module.fail_json(msg="bootstrap_servers must list at least one host:port, without empty entries")
    for name in ("bootstrap_timeout", "request_timeout"):
        if params[name] <= 0:
            module.fail_json(msg="%s must be greater than 0" % name)


def client_config(params: dict) -> dict:
    """Keyword arguments common to the admin client, producer and consumer."""
    config = dict(
        bootstrap_servers=[server.strip() for server in params["bootstrap_servers"]],
        client_id=CLIENT_ID,
        security_protocol=params["security_protocol"],
        bootstrap_timeout_ms=int(params["bootstrap_timeout"] * 1000),
        request_timeout_ms=int(params["request_timeout"] * 1000),
    )
    if params["security_protocol"] in ("SSL", "SASL_SSL"):
        config.update(ssl_cafile=params.get("ssl_cafile"), ssl_check_hostname=params["validate_certs"])
    if params["security_protocol"].startswith("SASL_"):
        config.update(sasl_mechanism=params["sasl_mechanism"], sasl_plain_username=params["sasl_username"],
                      sasl_plain_password=params["sasl_password"])
    return config


class KafkaClientFactory:
    """Creates the clients a check needs, all with the same connection settings."""

    def __init__(self, params: dict):
        self.config = client_config(params)

    def admin(self):
        return kafka.KafkaAdminClient(**self.config)

    def producer(self, **overrides):
        return kafka.KafkaProducer(**dict(self.config, **overrides))

    def consumer(self, **overrides):
        return kafka.KafkaConsumer(**dict(self.config, **overrides))

    @staticmethod
    def topic_partition(topic: str, partition: int):
        return kafka.TopicPartition(topic, partition)
