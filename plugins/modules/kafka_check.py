#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kafka_check
short_description: Measure the health of a Kafka cluster, its topics and consumer lag
version_added: 0.1.0
description:
  - Bootstraps from the given brokers within a timeout and reports the cluster metadata
    (cluster id, controller, brokers) and the topics, with their partition counts.
  - Reports which of O(required_topics) are missing.
  - Optionally produces a message with a unique key to a topic and consumes it back, reporting
    the produce, consume and round-trip latencies. The consumer is assigned the partition
    directly (no consumer group), so the probe does not wait for a group rebalance.
  - Optionally reports the lag of consumer groups (end offset minus committed offset per partition).
  - Works with any broker that speaks the Kafka protocol (Apache Kafka, Tansu).
  - A cluster that cannot be reached is a result (RV(is_available=false) and RV(error)), not a
    failure. Bad parameters fail the task.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  required_topics:
    description:
      - Topics that must exist. The ones that do not are listed in RV(missing_topics).
    type: list
    elements: str
    default: []
  round_trip_topic:
    description:
      - Existing topic to produce one probe message to and consume it back from. Unset skips the round trip.
      - The message stays in the topic (a Kafka log cannot be edited); it carries the header
        C(fp-rehearsal-probe) and a key starting with C(fp_rehearsal_probe) so consumers can ignore it.
      - Skipped in check mode, and reported as skipped.
    type: str
  round_trip_timeout:
    description:
      - Seconds allowed for the produce acknowledgement plus the consumption of the probe message.
    type: float
    default: 10.0
  consumer_groups:
    description:
      - Consumer groups whose committed offsets and lag are reported.
    type: list
    elements: str
    default: []
  include_internal_topics:
    description:
      - List internal topics (names starting with C(__), such as C(__consumer_offsets)) too.
    type: bool
    default: false
extends_documentation_fragment:
  - footballpred.rehearsal.kafka
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - Metadata, topics and lag are read as usual; the round trip, which writes a message, is skipped.
  diff_mode:
    support: none
notes:
  - RV(ok) does not depend on whether the consumer groups exist; look at RV(consumer_groups) for that.
seealso:
  - module: footballpred.rehearsal.api_check
"""

EXAMPLES = r"""
- name: The broker answers and the prediction topic exists
  footballpred.rehearsal.kafka_check:
    bootstrap_servers: ["127.0.0.1:9093"]
    required_topics: [prediction-events]
  register: kafka
  failed_when: not kafka.is_available or kafka.missing_topics | length > 0

- name: A message produced to the topic can be consumed back within 5 seconds
  footballpred.rehearsal.kafka_check:
    bootstrap_servers: ["127.0.0.1:9093"]
    round_trip_topic: prediction-events
    round_trip_timeout: 5
  register: kafka_rt
  failed_when: kafka_rt.round_trip.status != 'passed'

- name: Lag of the application's consumer group
  footballpred.rehearsal.kafka_check:
    consumer_groups: [prediction-event-consumers]
  register: kafka_lag
"""

RETURN = r"""
ok:
  description:
    - V(true) when the cluster answered, no required topic is missing, the round trip (if run)
      passed and no metadata, topic or group request failed.
  returned: always
  type: bool
  sample: true
is_available:
  description: Whether a broker answered within O(bootstrap_timeout).
  returned: always
  type: bool
  sample: true
error:
  description: Why the cluster is unavailable, or the first failed check; empty when there is none.
  returned: always
  type: str
  sample: "KafkaTimeoutError: KafkaTimeoutError: Unable to bootstrap from ['127.0.0.1:9093']"
bootstrap_latency_ms:
  description: Time to bootstrap the admin client, in milliseconds.
  returned: when RV(is_available=true)
  type: float
  sample: 24.8
cluster:
  description: Cluster metadata.
  returned: when RV(is_available=true)
  type: dict
  sample:
    cluster_id: tansu_cluster
    controller_id: 111
    broker_count: 1
    brokers: [{node_id: 111, host: 127.0.0.1, port: 9093, rack: null}]
topics:
  description: Names of the topics, sorted.
  returned: when RV(is_available=true)
  type: list
  elements: str
  sample: [prediction-events]
topic_partitions:
  description: Number of partitions per listed topic.
  returned: when RV(is_available=true)
  type: dict
  sample: {prediction-events: 3}
missing_topics:
  description: Entries of O(required_topics) that do not exist.
  returned: always
  type: list
  elements: str
  sample: []
round_trip:
  description: Outcome of the produce and consume probe.
  returned: when O(round_trip_topic) is set and RV(is_available=true)
  type: dict
  contains:
    status:
      description: V(passed), V(failed) or V(skipped) (check mode).
      type: str
    reason:
      description: Why the probe failed or was skipped.
      type: str
    topic:
      description: The topic used.
      type: str
    key:
      description: The unique key of the probe message.
      type: str
    partition:
      description: Partition the message was written to.
      type: int
    offset:
      description: Offset of the message.
      type: int
    produce_latency_ms:
      description: Time from send to the broker's acknowledgement.
      type: float
    consume_latency_ms:
      description: Time from assigning the consumer to receiving the message.
      type: float
    total_latency_ms:
      description: Produce plus consume time.
      type: float
  sample:
    status: passed
    reason: ""
    topic: prediction-events
    key: fp_rehearsal_probe_1764150000_3f2a9c1b0d4e
    partition: 0
    offset: 42
    produce_latency_ms: 6.1
    consume_latency_ms: 9.8
    total_latency_ms: 15.9
consumer_groups:
  description:
    - Per group in O(consumer_groups), C({exists, state, partitions, total_lag, error}).
    - Each partition is C({topic, partition, committed, end_offset, lag}).
  returned: when O(consumer_groups) is not empty and RV(is_available=true)
  type: dict
  sample:
    prediction-event-consumers:
      exists: true
      state: Stable
      total_lag: 2
      error: ""
      partitions: [{topic: prediction-events, partition: 0, committed: 40, end_offset: 42, lag: 2}]
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    elapsed_ms,
    error_text,
    monotonic,
    unique_token,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.kafka import (
    KAFKA_REQUIRED_IF,
    KAFKA_REQUIRED_TOGETHER,
    KafkaClientFactory,
    connection_errors,
    ensure_kafka,
    kafka_argument_spec,
    validate_kafka_params,
)

PROBE_HEADER = "fp-rehearsal-probe"
POLL_SLICE_MS = 200


def describe_cluster(admin) -> dict:
    cluster = admin.describe_cluster()
    brokers = [dict(node_id=broker.get("broker_id", broker.get("node_id")), host=broker.get("host"),
                    port=broker.get("port"), rack=broker.get("rack"))
               for broker in cluster.get("brokers", [])]
    return dict(cluster_id=cluster.get("cluster_id"), controller_id=cluster.get("controller_id"),
                broker_count=len(brokers), brokers=brokers)


def topic_partitions(admin) -> tuple:
    """Partition count of every topic, and the names of the internal ones."""
    partitions = {}
    internal = set()
    for topic in admin.describe_topics():
        name = topic["name"]
        partitions[name] = len(topic.get("partitions") or [])
        if topic.get("is_internal") or name.startswith("__"):
            internal.add(name)
    return partitions, internal


def round_trip(factory, topic: str, partitions: dict, timeout: float, secrets) -> dict:
    """Produce one keyed message and read it back from the partition it landed in."""
    key = unique_token()
    result = dict(status="failed", reason="", topic=topic, key=key, partition=None, offset=None,
                  produce_latency_ms=None, consume_latency_ms=None, total_latency_ms=None)
    if topic not in partitions:
        result["reason"] = "topic %s does not exist" % topic
        return result
    payload = json.dumps(dict(probe="footballpred.rehearsal.kafka_check", key=key)).encode("utf-8")
    deadline = time.monotonic() + timeout
    producer = consumer = None
    try:
        producer = factory.producer(acks="all", max_block_ms=int(timeout * 1000))
        started = monotonic()
        metadata = producer.send(topic, key=key.encode("utf-8"), value=payload,
                                 headers=[(PROBE_HEADER, b"1")]).get(timeout=timeout)
        result.update(produce_latency_ms=elapsed_ms(started), partition=metadata.partition, offset=metadata.offset)

        consumer = factory.consumer(group_id=None, enable_auto_commit=False)
        partition = factory.topic_partition(topic, metadata.partition)
        started = monotonic()
        consumer.assign([partition])
        consumer.seek(partition, metadata.offset)
        while time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=POLL_SLICE_MS)
            if any(record.key == key.encode("utf-8") for records in batches.values() for record in records):
                result.update(status="passed", consume_latency_ms=elapsed_ms(started))
                result["total_latency_ms"] = round(result["produce_latency_ms"] + result["consume_latency_ms"], 3)
                return result
        result["reason"] = "message not consumed back within %s s" % timeout
    except connection_errors() as exc:
        result["reason"] = error_text(exc, secrets)
    finally:
        for client in (consumer, producer):
            if client is not None:
                client.close()
    return result


def group_states(admin) -> dict:
    """State per known group; empty when the broker cannot list groups."""
    try:
        return {group["group_id"]: group.get("group_state") for group in admin.list_groups()}
    except connection_errors():
        return {}


def consumer_group_lag(admin, factory, groups: list, secrets) -> dict:
    states = group_states(admin)
    consumer = None
    report = {}
    try:
        for group in groups:
            try:
                committed = admin.list_group_offsets(group).get(group, {})
                if committed and consumer is None:
                    consumer = factory.consumer(group_id=None, enable_auto_commit=False)
                end_offsets = consumer.end_offsets(list(committed)) if committed else {}
            except connection_errors() as exc:
                report[group] = dict(exists=group in states, state=states.get(group), partitions=[],
                                     total_lag=None, error=error_text(exc, secrets))
                continue
            partitions = []
            for partition in sorted(committed, key=lambda tp: (tp.topic, tp.partition)):
                offset = committed[partition].offset
                end = end_offsets.get(partition)
                lag = end - offset if end is not None and offset is not None and offset >= 0 else None
                partitions.append(dict(topic=partition.topic, partition=partition.partition,
                                       committed=offset, end_offset=end, lag=lag))
            report[group] = dict(
                exists=group in states or bool(committed),
                state=states.get(group),
                partitions=partitions,
                total_lag=sum(entry["lag"] for entry in partitions if entry["lag"] is not None),
                error="",
            )
    finally:
        if consumer is not None:
            consumer.close()
    return report


def validate_params(module) -> None:
    validate_kafka_params(module)
    params = module.params
    if params["round_trip_timeout"] <= 0:
        module.fail_json(msg="round_trip_timeout must be greater than 0")
    if params["round_trip_topic"] is not None and not params["round_trip_topic"].strip():
        module.fail_json(msg="round_trip_topic must not be empty")
    for name in ("required_topics", "consumer_groups"):
        if any(not entry.strip() for entry in params[name]):
            module.fail_json(msg="%s must not contain empty names" % name)


def first_error(result: dict) -> str:
    if result["missing_topics"]:
        return "missing topics: %s" % ", ".join(result["missing_topics"])
    if result.get("round_trip", {}).get("status") == "failed":
        return "round_trip: " + result["round_trip"]["reason"]
    for group, entry in sorted(result.get("consumer_groups", {}).items()):
        if entry["error"]:
            return "consumer group %s: %s" % (group, entry["error"])
    return ""


def main():
    argument_spec = kafka_argument_spec()
    argument_spec.update(
        required_topics=dict(type="list", elements="str", default=[]),
        round_trip_topic=dict(type="str"),
        round_trip_timeout=dict(type="float", default=10.0),
        consumer_groups=dict(type="list", elements="str", default=[]),
        include_internal_topics=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=KAFKA_REQUIRED_TOGETHER,
                           required_if=KAFKA_REQUIRED_IF, supports_check_mode=True)
    validate_params(module)
    ensure_kafka(module)
    params = module.params
    secrets = (params["sasl_password"],)
    result = dict(changed=False, ok=False, is_available=False, error="", missing_topics=[])

    factory = KafkaClientFactory(params)
    started = monotonic()
    try:
        admin = factory.admin()
    except connection_errors() as exc:
        result["error"] = error_text(exc, secrets)
        result["missing_topics"] = sorted(set(params["required_topics"]))
        module.exit_json(**result)
    result["is_available"] = True
    result["bootstrap_latency_ms"] = elapsed_ms(started)

    try:
        result["cluster"] = describe_cluster(admin)
        partitions, internal = topic_partitions(admin)
        listed = sorted(name for name in partitions if params["include_internal_topics"] or name not in internal)
        result["topics"] = listed
        result["topic_partitions"] = {name: partitions[name] for name in listed}
        result["missing_topics"] = sorted(set(params["required_topics"]) - set(partitions))
        if params["round_trip_topic"]:
            if module.check_mode:
                result["round_trip"] = dict(status="skipped", reason="check mode: the round trip writes a message",
                                            topic=params["round_trip_topic"], key="")
            else:
                result["round_trip"] = round_trip(factory, params["round_trip_topic"], partitions,
                                                  params["round_trip_timeout"], secrets)
        if params["consumer_groups"]:
            result["consumer_groups"] = consumer_group_lag(admin, factory, params["consumer_groups"], secrets)
    except connection_errors() as exc:
        result["error"] = error_text(exc, secrets)
        module.exit_json(**result)
    finally:
        admin.close()

    result["error"] = first_error(result)
    result["ok"] = not result["error"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
