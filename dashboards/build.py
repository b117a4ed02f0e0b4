#!/usr/bin/env python3
"""Generates the Grafana dashboards in this folder (run: python3 dashboards/build.py).

Each dashboard uses the datasource as a variable (${datasource}) and cluster,
topic and group variables, so it works on any Prometheus that scrapes isrwatch.
The JSON files are committed; tests check they are what this script writes,
and CI checks every panel's query returns data while Prometheus scrapes
`isrwatch demo`.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}


def variables(topic=False, group=False):
    v = [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
         "current": {}, "hide": 0, "refresh": 1},
        {"name": "cluster", "type": "query", "datasource": DS, "label": "Cluster",
         "query": {"query": "label_values(isrwatch_cluster_up, cluster)", "refId": "cluster"},
         "definition": "label_values(isrwatch_cluster_up, cluster)",
         "refresh": 2, "includeAll": True, "multi": True, "current": {}, "sort": 1},
    ]
    if topic:
        q = 'label_values(kafka_topic_partitions{cluster=~"$cluster"}, topic)'
        v.append({"name": "topic", "type": "query", "datasource": DS, "label": "Topic",
                  "query": {"query": q, "refId": "topic"}, "definition": q,
                  "refresh": 2, "includeAll": True, "multi": True, "current": {}, "sort": 1})
    if group:
        q = 'label_values(kafka_consumergroup_members{cluster=~"$cluster"}, consumergroup)'
        v.append({"name": "group", "type": "query", "datasource": DS, "label": "Consumer group",
                  "query": {"query": q, "refId": "group"}, "definition": q,
                  "refresh": 2, "includeAll": True, "multi": True, "current": {}, "sort": 1})
    return {"list": v}


class Board:
    def __init__(self, uid, title, description, topic=False, group=False):
        self.uid, self.title, self.description = uid, title, description
        self.panels, self.x, self.y, self.rowh = [], 0, 0, 0
        self.topic, self.group = topic, group

    def panel(self, title, exprs, kind="timeseries", w=12, h=8, unit=None, description="", legend=None):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.rowh
            self.rowh = 0
        targets = []
        for i, e in enumerate(exprs if isinstance(exprs, list) else [exprs]):
            expr, leg = (e if isinstance(e, tuple) else (e, legend or ""))
            targets.append({"datasource": DS, "expr": expr, "legendFormat": leg, "refId": chr(65 + i),
                            "instant": kind in ("stat", "table", "bargauge"), "range": kind not in ("stat", "table", "bargauge")})
        p = {"id": len(self.panels) + 1, "type": kind, "title": title, "description": description,
             "datasource": DS, "gridPos": {"x": self.x, "y": self.y, "w": w, "h": h}, "targets": targets,
             "fieldConfig": {"defaults": {"unit": unit} if unit else {}, "overrides": []}, "options": {}}
        if kind == "table":
            p["transformations"] = [{"id": "merge", "options": {}}]
        self.panels.append(p)
        self.x += w
        self.rowh = max(self.rowh, h)

    def write(self):
        d = {"uid": self.uid, "title": self.title, "description": self.description,
             "tags": ["kafka", "isrwatch"], "timezone": "browser", "schemaVersion": 39, "version": 1,
             "editable": True, "graphTooltip": 1, "refresh": "30s",
             "time": {"from": "now-3h", "to": "now"}, "templating": variables(self.topic, self.group),
             "annotations": {"list": []}, "links": [], "panels": self.panels}
        with open(os.path.join(HERE, self.uid + ".json"), "w") as f:
            json.dump(d, f, indent=2, sort_keys=True)
            f.write("\n")


C = 'cluster=~"$cluster"'

b = Board("isrwatch-overview", "Kafka / Cluster overview (isrwatch)",
          "Brokers, controller, partition health and active incidents per cluster.")
b.panel("Brokers up", f'sum by (cluster) (isrwatch_broker_up{{{C}}})', "stat", 6, 4, legend="{{cluster}}")
b.panel("Brokers down", f'count by (cluster) (isrwatch_broker_up{{{C}}} == 0) or sum by (cluster) (isrwatch_broker_up{{{C}}}) * 0', "stat", 6, 4, legend="{{cluster}}")
b.panel("Active controller", f'isrwatch_controller{{{C}}}', "stat", 6, 4, legend="broker {{broker}}")
b.panel("Firing incidents", f'sum by (cluster) (isrwatch_incidents{{{C},state="firing"}}) or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', "stat", 6, 4, legend="{{cluster}}")
b.panel("Under-replicated, under-min-ISR and offline partitions",
        [(f'isrwatch_partitions{{{C},state="under_replicated"}}', "{{cluster}} under-replicated"),
         (f'isrwatch_partitions{{{C},state="under_min_isr"}}', "{{cluster}} under min ISR"),
         (f'isrwatch_partitions{{{C},state="at_min_isr"}}', "{{cluster}} at min ISR"),
         (f'isrwatch_partitions{{{C},state="offline"}}', "{{cluster}} offline"),
         (f'isrwatch_partitions{{{C},state="reassigning"}}', "{{cluster}} being reassigned (planned)")], w=24)
b.panel("Broker up", f'isrwatch_broker_up{{{C}}}', legend="{{cluster}} broker {{broker}}")
b.panel("Broker answers clients (probe)", f'isrwatch_broker_reachable{{{C}}}', legend="{{cluster}} broker {{broker}}")
b.panel("Incidents by state and kind", f'sum by (cluster, state, kind) (isrwatch_incidents{{{C}}})', legend="{{cluster}} {{kind}} {{state}}")
b.panel("Active incidents", f'isrwatch_incident_firing{{{C}}}', "table", 24, 8)
b.write()

b = Board("isrwatch-replication", "Kafka / Replication detail (isrwatch)",
          "ISR membership by broker, ISR shrinks and expands, preferred-leader imbalance, follower lag.", topic=True)
b.panel("In-sync replicas by topic", f'sum by (cluster, topic) (kafka_topic_partition_in_sync_replica{{{C},topic=~"$topic"}})', legend="{{cluster}} {{topic}}")
b.panel("Replicas missing from ISR by topic", f'sum by (cluster, topic) (kafka_topic_partition_replicas{{{C},topic=~"$topic"}}) - sum by (cluster, topic) (kafka_topic_partition_in_sync_replica{{{C},topic=~"$topic"}})', legend="{{cluster}} {{topic}}")
b.panel("ISR shrinks per broker (per minute)", f'sum by (cluster, broker) (rate(isrwatch_isr_shrinks_total{{{C}}}[5m])) * 60 or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', legend="{{cluster}} broker {{broker}}")
b.panel("ISR expands per broker (per minute)", f'sum by (cluster, broker) (rate(isrwatch_isr_expands_total{{{C}}}[5m])) * 60 or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', legend="{{cluster}} broker {{broker}}")
b.panel("Metadata quorum: seconds since each voter caught up (KRaft)", f'isrwatch_quorum_voter_seconds_behind{{{C}}} or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', unit="s", legend="{{cluster}} voter {{voter}}")
b.panel("Log-directory volume used per broker (Kafka 3.3+; disk_space warns at 85 %)", f'1 - isrwatch_log_dir_usable_bytes{{{C}}} / isrwatch_log_dir_total_bytes{{{C}}} or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', unit="percentunit", legend="{{cluster}} broker {{broker}} {{dir}}")
b.panel("Partitions led per broker", f'isrwatch_broker_leader_partitions{{{C}}}', legend="{{cluster}} broker {{broker}}")
b.panel("Preferred-leader imbalance", f'isrwatch_preferred_leader_imbalance_ratio{{{C}}}', unit="percentunit", legend="{{cluster}}")
b.panel("Leaders vs preferred leaders per broker", f'isrwatch_broker_leader_partitions{{{C}}} - on (cluster, broker) isrwatch_broker_preferred_leader_partitions{{{C}}}', legend="{{cluster}} broker {{broker}}")
b.panel("Follower max lag (sidecar source; empty without it)", f'isrwatch_follower_max_lag{{{C}}} or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', legend="{{cluster}} broker {{broker}}")
b.panel("Unclean leader elections: partitions led by out-of-sync replicas, offsets truncated",
        [(f'isrwatch_unclean_election_partitions{{{C},topic=~"$topic"}} or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', "{{cluster}} {{topic}} partitions"),
         (f'isrwatch_unclean_election_offsets_lost{{{C},topic=~"$topic"}} or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', "{{cluster}} {{topic}} offsets lost")], w=24)
b.panel("Partitions in a bad state", f'isrwatch_partition_state{{{C},topic=~"$topic"}}', "table", 24, 8)
b.write()

b = Board("isrwatch-consumer-lag", "Kafka / Consumer lag (isrwatch)",
          "Lag in messages and in seconds, and Burrow-style lag status per consumer group.", group=True)
b.panel("Lag status (0 OK, 1 WARN, 2 ERR, 3 STOP, 4 STALL, 5 REWIND)", f'isrwatch_consumergroup_lag_status{{{C},consumergroup=~"$group"}}', "table", 24, 8)
b.panel("Lag (messages) by group", f'isrwatch_consumergroup_lag{{{C},consumergroup=~"$group"}}', legend="{{cluster}} {{consumergroup}}")
b.panel("Lag (seconds) by group", f'isrwatch_consumergroup_lag_seconds{{{C},consumergroup=~"$group"}}', unit="s", legend="{{cluster}} {{consumergroup}}")
b.panel("Lag by group and topic", f'kafka_consumergroup_lag_sum{{{C},consumergroup=~"$group"}}', legend="{{consumergroup}} {{topic}}")
b.panel("Members per group", f'kafka_consumergroup_members{{{C},consumergroup=~"$group"}}', legend="{{cluster}} {{consumergroup}}")
b.write()

b = Board("isrwatch-anomalies", "Kafka / Anomalies (isrwatch)",
          "Streaming anomaly scores per series. Explanations (expected range, observed value, since when) are in the API: /api/v1/clusters/<cluster>/anomalies.")
b.panel("Anomaly scores", f'isrwatch_anomaly_score{{{C}}}', w=24, legend="{{cluster}} {{series}}")
b.panel("Highest scores now", f'topk(15, isrwatch_anomaly_score{{{C}}})', "table", 12, 8)
b.panel("Anomaly findings", f'sum by (cluster) (isrwatch_findings{{{C},kind="anomaly"}}) or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', legend="{{cluster}}")
b.write()

b = Board("isrwatch-self", "isrwatch / Monitor health",
          "isrwatch's own health: polls, snapshot age, notifications, outbox and LLM.")
b.panel("Cluster reachable", f'isrwatch_cluster_up{{{C}}}', legend="{{cluster}}")
b.panel("Poll duration", f'isrwatch_poll_duration_seconds{{{C}}}', unit="s", legend="{{cluster}}")
b.panel("Snapshot age", f'isrwatch_snapshot_age_seconds{{{C}}}', unit="s", legend="{{cluster}}")
b.panel("Poll errors by step (per minute)", f'sum by (cluster, step) (rate(isrwatch_poll_errors_total{{{C}}}[5m])) * 60 or sum by (cluster) (isrwatch_cluster_up{{{C}}}) * 0', legend="{{cluster}} {{step}}")
b.panel("Notifications accepted", 'sum by (reason) (isrwatch_notifications_accepted_total)', legend="{{reason}}")
b.panel("Outbox depth", 'isrwatch_outbox_depth', legend="outbox")
b.write()
