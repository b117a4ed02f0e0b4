"""Reads the simulator with kafka-python (PyPI), a Kafka protocol client
nobody here wrote, and prints what it sees as JSON: the ongoing partition
reassignments (ListPartitionReassignments), the metadata quorum
(DescribeQuorum), a topic's configs with their sources (DescribeConfigs),
each broker's log directories with the size and free space of their
volumes (DescribeLogDirs) and, when GROUP is given, that consumer group's
state and members (DescribeGroups).
Usage: kafka_python_reads.py BOOTSTRAP TOPIC [GROUP]"""
import json
import sys

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
out = {}
moving = admin.list_partition_reassignments()
out["reassignments"] = {
    f"{tp.topic}-{tp.partition}": r for tp, r in sorted(moving.items())
}
q = admin.describe_metadata_quorum()
part = q["topics"][0]["partitions"][0]
out["quorum"] = {
    "topic": q["topics"][0]["topic_name"],
    "leader": part["leader_id"],
    "voters": sorted(v["replica_id"] for v in part["current_voters"]),
}
# config_filter="all": kafka-python shows only non-default values otherwise.
configs = admin.describe_configs(
    [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
)
out["configs"] = {
    name: {"value": c["value"], "source": c["config_source"]}
    for name, c in configs["topic"][topic].items()
}
out["log_dirs"] = {
    str(b["broker"]): [
        {k: d[k] for k in ("error_code", "log_dir", "total_bytes", "usable_bytes")}
        for d in b["log_dirs"]
    ]
    for b in admin.describe_log_dirs()
}
if len(sys.argv) > 3:
    group = sys.argv[3]
    g = admin.describe_groups([group])[group]
    out["group"] = {
        "error": g["error"],
        "state": g["group_state"],
        "members": len(g["members"]),
    }
admin.close()
print(json.dumps(out))
