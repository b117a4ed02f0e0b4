"""Reads the simulator's eligible leader replicas (KIP-966) with kafka-python
(PyPI), a Kafka protocol client nobody here wrote: DescribeTopicPartitions
(API key 75) of TOPICS, LIMIT partitions per answer, following the cursor.
Prints JSON: each answer's partitions as "topic-partition" with leader, ISR,
ELR and last known ELR, and the number of answers it took.
Usage: kafka_python_elr.py BOOTSTRAP LIMIT TOPIC..."""
import json
import sys

from kafka.admin import KafkaAdminClient

bootstrap, limit, topics = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
pages, partitions, cursor = [], {}, None
while True:
    r = admin.describe_topic_partitions(topics, response_partition_limit=limit, cursor=cursor)
    page = []
    for t in r["topics"]:
        assert t["error_code"] == 0, t
        for p in t["partitions"]:
            key = f"{t['name']}-{p['partition_index']}"
            page.append(key)
            partitions[key] = {
                "leader": p["leader_id"],
                "isr": p["isr_nodes"],
                "elr": p["eligible_leader_replicas"] or [],
                "last_known_elr": p["last_known_elr"] or [],
                "offline": sorted(p["offline_replicas"]),
            }
    pages.append(page)
    cursor = r["next_cursor"]
    if cursor is None or len(pages) > 100:
        break
admin.close()
print(json.dumps({"pages": pages, "partitions": partitions}))
