# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import uuid

import pytest

kafka = pytest.importorskip("kafka")

from kafka.admin import NewTopic  # noqa: E402
from kafka.structs import OffsetAndMetadata, TopicPartition  # noqa: E402


@pytest.fixture
def scratch_topic(kafka_target):
    """A topic of its own with 3 records and a consumer group that committed offset 1."""
    servers = kafka_target.split(",")
    topic = "fp-it-%s" % uuid.uuid4().hex[:10]
    group = "fp-it-group-%s" % uuid.uuid4().hex[:10]
    admin = kafka.KafkaAdminClient(bootstrap_servers=servers)
    admin.create_topics([NewTopic(topic, 1, 1)])
    producer = kafka.KafkaProducer(bootstrap_servers=servers)
    for number in range(3):
        producer.send(topic, key=b"fixture", value=str(number).encode()).get(timeout=10)
    producer.close()
    # A manually assigned consumer commits without joining the group (no rebalance wait).
    committer = kafka.KafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    committer.assign([TopicPartition(topic, 0)])
    committer.commit({TopicPartition(topic, 0): OffsetAndMetadata(1, None, -1)})
    committer.close()
    yield topic, group
    try:
        admin.delete_topics([topic])
    except kafka.errors.KafkaError:
        pass  # brokers that cannot delete topics keep a tiny scratch topic
    admin.close()


def servers_of(target):
    return target.split(",")


def test_live_cluster_answers(ansible_module, kafka_target, scratch_topic):
    topic, _group = scratch_topic
    args = dict(bootstrap_servers=servers_of(kafka_target), required_topics=[topic])
    checked = ansible_module("kafka_check", args, check=True)
    real = ansible_module("kafka_check", args)

    for run in (checked, real):
        result = run.result
        assert run.returncode == 0, run.output
        assert result["changed"] is False
        assert result["ok"] is True, result["error"]
        assert result["cluster"]["broker_count"] >= 1
        assert topic in result["topics"] and result["topic_partitions"][topic] == 1
        assert result["missing_topics"] == []


def test_missing_topics_are_listed(ansible_module, kafka_target, scratch_topic):
    topic, _group = scratch_topic
    ghost = "fp-it-ghost-%s" % uuid.uuid4().hex[:6]
    result = ansible_module("kafka_check", dict(bootstrap_servers=servers_of(kafka_target),
                                                required_topics=[topic, ghost])).result

    assert result["missing_topics"] == [ghost]
    assert result["ok"] is False


def test_round_trip_and_consumer_lag(ansible_module, kafka_target, scratch_topic):
    topic, group = scratch_topic
    result = ansible_module("kafka_check", dict(bootstrap_servers=servers_of(kafka_target), round_trip_topic=topic,
                                                round_trip_timeout=15, consumer_groups=[group])).result

    trip = result["round_trip"]
    assert trip["status"] == "passed", trip
    assert trip["offset"] == 3 and trip["partition"] == 0
    assert trip["produce_latency_ms"] > 0 and trip["consume_latency_ms"] > 0
    lag = result["consumer_groups"][group]
    assert lag["exists"] is True
    # Committed 1; 3 fixture records + the probe = end offset 4.
    assert lag["partitions"] == [dict(topic=topic, partition=0, committed=1, end_offset=4, lag=3)]
    assert lag["total_lag"] == 3


def test_round_trip_skipped_in_check_mode(ansible_module, kafka_target, scratch_topic):
    topic, _group = scratch_topic
    result = ansible_module("kafka_check", dict(bootstrap_servers=servers_of(kafka_target), round_trip_topic=topic),
                            check=True).result

    assert result["round_trip"]["status"] == "skipped"
    consumer = kafka.KafkaConsumer(bootstrap_servers=servers_of(kafka_target))
    try:
        assert consumer.end_offsets([TopicPartition(topic, 0)])[TopicPartition(topic, 0)] == 3
    finally:
        consumer.close()


def test_stopped_broker_is_reported_not_failed(ansible_module, stopped_port):
    run = ansible_module("kafka_check", dict(bootstrap_servers=["127.0.0.1:%d" % stopped_port], bootstrap_timeout=2,
                                             required_topics=["prediction-events"]))

    assert run.returncode == 0 and run.failed is False
    assert run.result["is_available"] is False and run.result["ok"] is False
    assert "Unable to bootstrap" in run.result["error"]
    assert run.result["missing_topics"] == ["prediction-events"]


def test_bad_parameter_fails_the_task(ansible_module, stack):
    run = ansible_module("kafka_check", dict(bootstrap_servers=servers_of(stack.kafka_bootstrap), round_trip_timeout=0))

    assert run.failed is True
    assert run.result["msg"] == "round_trip_timeout must be greater than 0"
