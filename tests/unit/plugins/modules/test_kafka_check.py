# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from collections import namedtuple

import pytest

kafka = pytest.importorskip("kafka")

from kafka.structs import OffsetAndMetadata, TopicPartition  # noqa: E402

from ansible_collections.footballpred.rehearsal.plugins.module_utils import kafka as kafka_utils  # noqa: E402
from ansible_collections.footballpred.rehearsal.plugins.modules import kafka_check  # noqa: E402

SECRET = "s3cr3t-sasl-password"
Metadata = namedtuple("Metadata", "topic partition offset")
Record = namedtuple("Record", "key value headers offset")


class FakeBroker:
    """An in-memory cluster shared by the fake admin, producer and consumer."""

    def __init__(self):
        self.logs = {("prediction-events", 0): [], ("prediction-events", 1): [], ("__consumer_offsets", 0): []}
        self.committed = {"api-consumers": {TopicPartition("prediction-events", 0): OffsetAndMetadata(3, None, -1),
                                            TopicPartition("prediction-events", 1): OffsetAndMetadata(-1, None, -1)}}
        self.groups = [{"group_id": "api-consumers", "group_state": "Stable"}]
        self.logs[("prediction-events", 0)] = [Record(b"k", b"v", [], offset) for offset in range(5)]
        self.deliver = True
        self.faults = {}
        self.created = []

    def topics(self):
        names = sorted({topic for topic, partition in self.logs})
        return [dict(name=name, is_internal=name.startswith("__"),
                     partitions=[dict(partition_index=partition) for topic, partition in self.logs if topic == name])
                for name in names]

    def producers(self):
        return [config for kind, config in self.created if kind == "producer"]


class FakeAdmin:
    def __init__(self, broker):
        self.broker = broker
        self.closed = False

    def describe_cluster(self):
        return dict(cluster_id="tansu_cluster", controller_id=111,
                    brokers=[dict(broker_id=111, host="127.0.0.1", port=9093, rack=None)])

    def describe_topics(self):
        return self.broker.topics()

    def list_groups(self):
        return list(self.broker.groups)

    def list_group_offsets(self, group):
        return {group: dict(self.broker.committed.get(group, {}))}

    def close(self):
        self.closed = True


class FakeFuture:
    def __init__(self, metadata):
        self.metadata = metadata

    def get(self, timeout=None):
        return self.metadata


class FakeProducer:
    def __init__(self, broker, config):
        self.broker = broker
        self.config = config

    def send(self, topic, key=None, value=None, headers=None):
        log = self.broker.logs[(topic, 1)]
        log.append(Record(key, value, headers, len(log)))
        return FakeFuture(Metadata(topic, 1, len(log) - 1))

    def close(self):
        pass


class FakeConsumer:
    def __init__(self, broker, config):
        self.broker = broker
        self.config = config
        self.position = {}

    def assign(self, partitions):
        self.position = {partition: 0 for partition in partitions}

    def seek(self, partition, offset):
        self.position[partition] = offset

    def poll(self, timeout_ms=0):
        if not self.broker.deliver:
            return {}
        batches = {}
        for partition, offset in self.position.items():
            records = self.broker.logs[(partition.topic, partition.partition)][offset:]
            if records:
                batches[partition] = records
                self.position[partition] = offset + len(records)
        return batches

    def end_offsets(self, partitions):
        return {partition: len(self.broker.logs[(partition.topic, partition.partition)]) for partition in partitions}

    def close(self):
        pass


@pytest.fixture
def broker(monkeypatch):
    fake = FakeBroker()

    class Factory:
        def __init__(self, params):
            fake.created.append(("factory", kafka_utils.client_config(params)))

        def admin(self):
            if "admin" in fake.faults:
                raise fake.faults["admin"]
            return FakeAdmin(fake)

        def producer(self, **overrides):
            fake.created.append(("producer", overrides))
            return FakeProducer(fake, overrides)

        def consumer(self, **overrides):
            fake.created.append(("consumer", overrides))
            return FakeConsumer(fake, overrides)

        @staticmethod
        def topic_partition(topic, partition):
            return TopicPartition(topic, partition)

    monkeypatch.setattr(kafka_check, "KafkaClientFactory", Factory)
    return fake


def test_healthy_cluster_reports_brokers_and_topics(run_module, broker):
    result = run_module(kafka_check, dict(required_topics=["prediction-events"])).result

    assert result["changed"] is False
    assert result["ok"] is True and result["is_available"] is True and result["error"] == ""
    assert result["cluster"]["cluster_id"] == "tansu_cluster"
    assert result["cluster"]["brokers"] == [dict(node_id=111, host="127.0.0.1", port=9093, rack=None)]
    assert result["topics"] == ["prediction-events"]
    assert result["topic_partitions"] == {"prediction-events": 2}
    assert result["missing_topics"] == []
    assert isinstance(result["bootstrap_latency_ms"], float)


def test_default_bootstrap_is_the_staging_listener(run_module, broker):
    run_module(kafka_check, dict())
    config = broker.created[0][1]
    assert config["bootstrap_servers"] == ["127.0.0.1:9093"]
    assert config["bootstrap_timeout_ms"] == 10000


def test_internal_topics_only_on_request(run_module, broker):
    result = run_module(kafka_check, dict(include_internal_topics=True)).result
    assert result["topics"] == ["__consumer_offsets", "prediction-events"]


def test_missing_topics_are_listed(run_module, broker):
    result = run_module(kafka_check, dict(required_topics=["prediction-events", "match-results"])).result

    assert result["missing_topics"] == ["match-results"]
    assert result["ok"] is False
    assert result["error"] == "missing topics: match-results"


def test_unreachable_cluster_is_a_result(run_module, broker):
    broker.faults["admin"] = kafka.errors.KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:9093']")
    outcome = run_module(kafka_check, dict(required_topics=["prediction-events"]))

    assert outcome.failed is False
    assert outcome.result["is_available"] is False
    assert outcome.result["error"] == "KafkaTimeoutError: Unable to bootstrap from ['127.0.0.1:9093']"
    assert outcome.result["missing_topics"] == ["prediction-events"]


def test_round_trip_produces_and_consumes_the_probe(run_module, broker):
    result = run_module(kafka_check, dict(round_trip_topic="prediction-events")).result

    trip = result["round_trip"]
    assert trip["status"] == "passed", trip
    assert (trip["partition"], trip["offset"]) == (1, 0)
    assert trip["key"].startswith("fp_rehearsal_probe_")
    assert trip["total_latency_ms"] == pytest.approx(trip["produce_latency_ms"] + trip["consume_latency_ms"])
    record = broker.logs[("prediction-events", 1)][0]
    assert record.key == trip["key"].encode() and record.headers == [("fp-rehearsal-probe", b"1")]
    consumer_config = [config for kind, config in broker.created if kind == "consumer"][0]
    assert consumer_config["group_id"] is None


def test_round_trip_times_out_when_the_message_never_arrives(run_module, broker):
    broker.deliver = False
    result = run_module(kafka_check, dict(round_trip_topic="prediction-events", round_trip_timeout=0.3)).result

    assert result["round_trip"]["status"] == "failed"
    assert result["round_trip"]["reason"] == "message not consumed back within 0.3 s"
    assert result["ok"] is False and result["error"].startswith("round_trip:")


def test_round_trip_on_unknown_topic_fails_without_producing(run_module, broker):
    result = run_module(kafka_check, dict(round_trip_topic="nope")).result

    assert result["round_trip"]["reason"] == "topic nope does not exist"
    assert not broker.producers()


def test_check_mode_skips_the_round_trip(run_module, broker):
    result = run_module(kafka_check, dict(round_trip_topic="prediction-events"), check_mode=True).result

    assert result["round_trip"]["status"] == "skipped"
    assert not broker.producers()
    assert result["ok"] is True


def test_consumer_group_lag(run_module, broker):
    result = run_module(kafka_check, dict(consumer_groups=["api-consumers", "ghost"])).result

    group = result["consumer_groups"]["api-consumers"]
    assert group["exists"] is True and group["state"] == "Stable"
    assert group["partitions"][0] == dict(topic="prediction-events", partition=0, committed=3, end_offset=5, lag=2)
    assert group["partitions"][1]["lag"] is None
    assert group["total_lag"] == 2
    assert result["consumer_groups"]["ghost"] == dict(exists=False, state=None, partitions=[], total_lag=0, error="")
    assert result["ok"] is True


@pytest.mark.parametrize("bad_args, message", [
    (dict(bootstrap_servers=[""]), "bootstrap_servers must list at least one host:port"),
    (dict(bootstrap_timeout=0), "bootstrap_timeout must be greater than 0"),
    (dict(round_trip_timeout=-1), "round_trip_timeout must be greater than 0"),
    (dict(round_trip_topic=" "), "round_trip_topic must not be empty"),
    (dict(required_topics=["a", ""]), "required_topics must not contain empty names"),
    (dict(security_protocol="SASL_SSL"), "security_protocol is SASL_SSL but all of the following are missing"),
    (dict(security_protocol="TLS"), "value of security_protocol must be one of"),
])
def test_bad_parameters_fail_clearly(run_module, broker, bad_args, message):
    outcome = run_module(kafka_check, bad_args)

    assert outcome.failed is True
    assert message in outcome.result["msg"]
    assert broker.created == []


def test_sasl_settings_reach_the_clients_and_the_password_stays_hidden(run_module, broker):
    outcome = run_module(kafka_check, dict(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                                           sasl_username="rehearsal", sasl_password=SECRET))

    config = broker.created[0][1]
    assert config["sasl_plain_password"] == SECRET and config["ssl_check_hostname"] is True
    assert SECRET not in outcome.stdout


def test_missing_kafka_library_fails_with_missing_required_lib(run_module, monkeypatch):
    monkeypatch.setattr(kafka_utils, "HAS_KAFKA", False)
    outcome = run_module(kafka_check, dict())

    assert outcome.failed is True
    assert "Failed to import the required Python library (kafka-python)" in outcome.result["msg"]
