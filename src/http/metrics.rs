//! `/metrics`: renders state already collected; never sends a Kafka request.
//!
//! The per-cluster, per-partition and per-group families are written
//! straight into the Prometheus text format from the latest snapshot: a
//! 100,000-partition cluster renders in tens of milliseconds with no
//! per-sample allocation. The monitor's own counters and histograms
//! (notifier, LLM, ISR change counters, ...) live in a
//! [`prometheus::Registry`] and are appended with the crate's encoder.
//!
//! Families come from the latest snapshot, so the series of a deleted
//! topic, partition or group disappear with the next poll.
//!
//! Every family's name, type and help are written in this file, one
//! function per group of families, in the order a scrape lists them; the
//! text-format writer (escaping, sample lines, chunking) is `metrics/text.rs`.

mod text;

use regex::RegexSet;

use crate::finding::{FindingKind, Subject};
use crate::model::IncidentState;
use crate::snapshot::{ClusterSnapshot, Time};
use crate::state::{ClusterView, SharedState};
use text::{header, Line, Out};

/// Which per-partition and per-group series to leave out (cardinality).
#[derive(Debug, Clone, Default)]
pub struct SeriesFilter {
    /// Emit per-partition series at all.
    pub per_partition: bool,
    /// Topics whose per-partition series are left out.
    pub exclude_topics: Option<RegexSet>,
    /// Groups whose per-partition series are left out.
    pub exclude_groups: Option<RegexSet>,
}

impl SeriesFilter {
    pub fn all() -> Self {
        SeriesFilter {
            per_partition: true,
            ..Default::default()
        }
    }
    fn topic_ok(&self, topic: &str) -> bool {
        self.per_partition
            && !self
                .exclude_topics
                .as_ref()
                .is_some_and(|s| s.is_match(topic))
    }
    fn group_ok(&self, group: &str) -> bool {
        self.per_partition
            && !self
                .exclude_groups
                .as_ref()
                .is_some_and(|s| s.is_match(group))
    }
}

/// Renders every family for every cluster, then the registry's metrics.
pub fn render(
    state: &SharedState,
    filter: &SeriesFilter,
    registry: &prometheus::Registry,
    now: Time,
) -> String {
    let mut page = String::new();
    render_chunks(state, filter, registry, now, usize::MAX, &mut |piece| {
        page = piece
    });
    page
}

/// Renders like [`render`] but hands the text to `sink` in pieces of about
/// `chunk` bytes (each ends with a complete line), the last one possibly
/// shorter. `/metrics` streams these to the client.
pub fn render_chunks(
    state: &SharedState,
    filter: &SeriesFilter,
    registry: &prometheus::Registry,
    now: Time,
    chunk: usize,
    sink: &mut dyn FnMut(String),
) {
    let clusters = state.clusters();
    let chunk = chunk.max(1);
    let capacity = if chunk == usize::MAX {
        // One piece: size it for the whole page.
        4096 + clusters
            .iter()
            .filter_map(|c| c.snapshot.as_ref())
            .map(|s| s.counts().total * 900 + s.groups.len() * 400)
            .sum::<usize>()
    } else {
        chunk + 1024
    };
    let mut out = Out::new(capacity, chunk, sink);
    render_clusters(&mut out, &clusters, filter, now);
    render_incidents(&mut out, state);
    let encoder = prometheus::TextEncoder::new();
    let _ = encoder.encode_utf8(&registry.gather(), &mut out);
    out.finish();
}

/// The clusters whose last poll reached them, with that poll's snapshot.
type Snaps<'a> = [(&'a ClusterView, &'a ClusterSnapshot)];

/// Every per-cluster family, in scrape order.
fn render_clusters(out: &mut Out<'_>, clusters: &[ClusterView], f: &SeriesFilter, now: Time) {
    poll_health(out, clusters, now);
    let snaps: Vec<(&ClusterView, &ClusterSnapshot)> = clusters
        .iter()
        .filter_map(|c| {
            c.snapshot
                .as_deref()
                .filter(|s| s.reachable)
                .map(|s| (c, s))
        })
        .collect();

    brokers(out, &snaps);
    quorum(out, &snaps);
    broker_roles(out, &snaps);
    log_dirs(out, &snaps);
    partition_counts(out, &snaps);
    topics(out, &snaps);
    partitions(out, &snaps, f);
    groups(out, &snaps);
    group_partitions(out, &snaps, f);
    findings(out, clusters);
}

/// The monitor's own health per cluster: reached, poll duration and count,
/// snapshot age, failed poll steps.
fn poll_health(out: &mut Out<'_>, clusters: &[ClusterView], now: Time) {
    type Fam<'a> = (&'a str, &'a str, &'a str);
    // Monitor health per cluster.
    let fams: [Fam; 4] = [
        (
            "isrwatch_cluster_up",
            "gauge",
            "1 when the last poll reached the cluster.",
        ),
        (
            "isrwatch_poll_duration_seconds",
            "gauge",
            "Duration of the last poll.",
        ),
        ("isrwatch_polls_total", "counter", "Polls attempted."),
        (
            "isrwatch_snapshot_age_seconds",
            "gauge",
            "Age of the latest snapshot at scrape time.",
        ),
    ];
    for (i, (name, kind, help)) in fams.iter().enumerate() {
        header(out, name, kind, help);
        for c in clusters {
            let Some(s) = &c.snapshot else { continue };
            let v = match i {
                0 => s.reachable as i64 as f64,
                1 => s.poll_duration.as_secs_f64(),
                2 => c.polls as f64,
                _ => (now - s.taken_at).num_milliseconds().max(0) as f64 / 1000.0,
            };
            Line::start(out, name, &c.name).v(v);
        }
    }
    header(
        out,
        "isrwatch_poll_errors_total",
        "counter",
        "Polls in which a step failed, by step (metadata: the cluster could not be reached; configs, offsets, groups, brokers, controller, sidecar: that part of the snapshot is missing or stale).",
    );
    for c in clusters {
        for (step, n) in &c.step_errors {
            Line::start(out, "isrwatch_poll_errors_total", &c.name)
                .l("step", step)
                .v(*n as f64);
        }
    }
}

/// Brokers in the metadata (kafka_exporter's names), and those seen before
/// and now missing.
fn brokers(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    header(
        out,
        "kafka_brokers",
        "gauge",
        "Number of brokers in the cluster's metadata.",
    );
    for (c, s) in snaps {
        Line::start(out, "kafka_brokers", &c.name).v(s.brokers.len() as f64);
    }
    header(out, "kafka_broker_info", "gauge", "Broker id and address.");
    for (c, s) in snaps {
        for b in &s.brokers {
            Line::start(out, "kafka_broker_info", &c.name)
                .li("id", b.id as i64)
                .l("address", &format!("{}:{}", b.host, b.port))
                .v(1.0);
        }
    }
    header(
        out,
        "isrwatch_broker_up",
        "gauge",
        "1 when the broker is in metadata, 0 when it was seen before and is now missing.",
    );
    for (c, s) in snaps {
        for b in &s.brokers {
            Line::start(out, "isrwatch_broker_up", &c.name)
                .li("broker", b.id as i64)
                .v(1.0);
        }
        for b in &s.missing_brokers {
            Line::start(out, "isrwatch_broker_up", &c.name)
                .li("broker", *b as i64)
                .v(0.0);
        }
    }
}

/// The KRaft metadata quorum (DescribeQuorum): leader, epoch, high
/// watermark, and how far each voter is behind.
fn quorum(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    for (name, help) in [
        ("isrwatch_quorum_leader", "Node id of the metadata quorum's leader (the active controller); absent without a leader or on ZooKeeper-era clusters."),
        ("isrwatch_quorum_epoch", "Leader epoch of the metadata quorum."),
        ("isrwatch_quorum_high_watermark", "High watermark of the metadata log (__cluster_metadata)."),
    ] {
        header(out, name, "gauge", help);
        for (c, s) in snaps {
            let Some(q) = &s.quorum else { continue };
            let v = match name {
                "isrwatch_quorum_leader" => match q.leader {
                    Some(l) => l as f64,
                    None => continue,
                },
                "isrwatch_quorum_epoch" => q.epoch as f64,
                _ => q.high_watermark as f64,
            };
            Line::start(out, name, &c.name).v(v);
        }
    }
    header(
        out,
        "isrwatch_quorum_voter_records_behind",
        "gauge",
        "Records each metadata-quorum voter's log end offset is behind the high watermark.",
    );
    header(
        out,
        "isrwatch_quorum_voter_seconds_behind",
        "gauge",
        "Seconds since each metadata-quorum voter last caught up with the leader (DescribeQuorum v1+).",
    );
    for (c, s) in snaps {
        let Some(q) = &s.quorum else { continue };
        let now_ms = q.leader_time_ms().unwrap_or(s.taken_at.timestamp_millis());
        for v in &q.voters {
            Line::start(out, "isrwatch_quorum_voter_records_behind", &c.name)
                .li("voter", v.id as i64)
                .v((q.high_watermark - v.log_end_offset).max(0) as f64);
            if let Some(at) = v.last_caught_up_ms {
                Line::start(out, "isrwatch_quorum_voter_seconds_behind", &c.name)
                    .li("voter", v.id as i64)
                    .v((now_ms - at).max(0) as f64 / 1000.0);
            }
        }
    }
}

/// Each broker's log directories: the size and free space of their
/// volumes (DescribeLogDirs v4; absent before Kafka 3.3 or without the
/// direct client).
fn log_dirs(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    for (name, help) in [
        (
            "isrwatch_log_dir_total_bytes",
            "Size of the volume a broker's log directory is on.",
        ),
        (
            "isrwatch_log_dir_usable_bytes",
            "Bytes still free for the broker on the volume of its log directory.",
        ),
    ] {
        header(out, name, "gauge", help);
        for (c, s) in snaps {
            for d in &s.log_dirs {
                let v = if name.ends_with("total_bytes") {
                    d.total_bytes
                } else {
                    d.usable_bytes
                };
                Line::start(out, name, &c.name)
                    .li("broker", d.broker as i64)
                    .l("dir", &d.path)
                    .v(v as f64);
            }
        }
    }
}

/// Each broker's standing: reachable by the probe, the active controller,
/// leaderships against preferred leaderships, follower lag (sidecar).
fn broker_roles(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    header(
        out,
        "isrwatch_broker_reachable",
        "gauge",
        "1 when the broker answered the monitor's probe this poll, 0 when it is in metadata but refused, failed the handshake or did not answer (direct client only).",
    );
    for (c, s) in snaps {
        if !s.brokers_probed {
            continue;
        }
        for b in &s.brokers {
            let down = s.unreachable_brokers.binary_search(&b.id).is_ok();
            Line::start(out, "isrwatch_broker_reachable", &c.name)
                .li("broker", b.id as i64)
                .v(if down { 0.0 } else { 1.0 });
        }
    }
    header(
        out,
        "isrwatch_controller_present",
        "gauge",
        "1 when metadata names an active controller.",
    );
    for (c, s) in snaps {
        Line::start(out, "isrwatch_controller_present", &c.name)
            .v(s.controller.is_some() as i64 as f64);
    }
    header(
        out,
        "isrwatch_controller",
        "gauge",
        "1 for the broker that is the active controller.",
    );
    for (c, s) in snaps {
        if let Some(id) = s.controller {
            Line::start(out, "isrwatch_controller", &c.name)
                .li("broker", id as i64)
                .v(1.0);
        }
    }
    header(
        out,
        "isrwatch_broker_leader_partitions",
        "gauge",
        "Partitions the broker leads.",
    );
    for (c, s) in snaps {
        for (b, n) in s.leader_counts() {
            Line::start(out, "isrwatch_broker_leader_partitions", &c.name)
                .li("broker", b as i64)
                .v(n as f64);
        }
    }
    header(
        out,
        "isrwatch_broker_preferred_leader_partitions",
        "gauge",
        "Partitions whose preferred (first) replica is the broker.",
    );
    for (c, s) in snaps {
        let mut preferred: std::collections::BTreeMap<i32, usize> =
            s.brokers.iter().map(|b| (b.id, 0)).collect();
        for (_, p) in s.partitions() {
            if let Some(r) = p.preferred_leader() {
                *preferred.entry(r).or_default() += 1;
            }
        }
        for (b, n) in preferred {
            Line::start(out, "isrwatch_broker_preferred_leader_partitions", &c.name)
                .li("broker", b as i64)
                .v(n as f64);
        }
    }
    header(
        out,
        "isrwatch_follower_max_lag",
        "gauge",
        "Follower max lag (messages) from the broker's JMX exporter (sidecar source).",
    );
    for (c, s) in snaps {
        if let Some(sc) = &s.sidecar {
            if let Some(v) = sc.follower_max_lag {
                let l = Line::start(out, "isrwatch_follower_max_lag", &c.name);
                match sc.broker {
                    Some(b) => l.li("broker", b as i64).v(v),
                    None => l.v(v),
                }
            }
        }
    }
}

/// Partitions counted by state, and the preferred-leader imbalance.
fn partition_counts(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    header(out, "isrwatch_partitions", "gauge", "Partitions by state (total, offline, under_replicated, under_min_isr, at_min_isr, leader_not_preferred, reassigning).");
    for (c, s) in snaps {
        let k = s.counts();
        for (state, n) in [
            ("total", k.total),
            ("offline", k.offline),
            ("under_replicated", k.under_replicated),
            ("under_min_isr", k.under_min_isr),
            ("at_min_isr", k.at_min_isr),
            ("leader_not_preferred", k.leader_not_preferred),
            ("reassigning", k.reassigning),
        ] {
            Line::start(out, "isrwatch_partitions", &c.name)
                .l("state", state)
                .v(n as f64);
        }
    }
    header(
        out,
        "isrwatch_preferred_leader_imbalance_ratio",
        "gauge",
        "Share of partitions whose leader is not the preferred replica.",
    );
    for (c, s) in snaps {
        let k = s.counts();
        let ratio = if k.total > 0 {
            k.leader_not_preferred as f64 / k.total as f64
        } else {
            0.0
        };
        Line::start(out, "isrwatch_preferred_leader_imbalance_ratio", &c.name).v(ratio);
    }
}

/// Per-topic families: partition count, effective min.insync.replicas.
fn topics(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    header(
        out,
        "kafka_topic_partitions",
        "gauge",
        "Number of partitions of the topic.",
    );
    for (c, s) in snaps {
        for t in &s.topics {
            Line::start(out, "kafka_topic_partitions", &c.name)
                .l("topic", &t.name)
                .v(t.partitions.len() as f64);
        }
    }
    header(
        out,
        "isrwatch_topic_min_insync_replicas",
        "gauge",
        "Effective min.insync.replicas of the topic (no series while it is unknown: DescribeConfigs refused and no configured fallback).",
    );
    for (c, s) in snaps {
        for t in &s.topics {
            if t.min_isr_source == crate::snapshot::MinIsrSource::Unknown {
                continue;
            }
            Line::start(out, "isrwatch_topic_min_insync_replicas", &c.name)
                .l("topic", &t.name)
                .v(t.min_insync_replicas as f64);
        }
    }
}

/// Per-partition families: kafka_exporter's names, then the bad states each
/// partition is in. Left out for topics the filter excludes.
fn partitions(out: &mut Out<'_>, snaps: &Snaps<'_>, f: &SeriesFilter) {
    // Per-partition families (kafka_exporter names).
    type PFam = (&'static str, &'static str);
    let pfams: [PFam; 7] = [
        (
            "kafka_topic_partition_current_offset",
            "Latest offset (high watermark) of the partition.",
        ),
        (
            "kafka_topic_partition_oldest_offset",
            "Oldest offset (log start) of the partition.",
        ),
        (
            "kafka_topic_partition_leader",
            "Leader broker id of the partition (-1 when offline).",
        ),
        (
            "kafka_topic_partition_replicas",
            "Number of replicas of the partition.",
        ),
        (
            "kafka_topic_partition_in_sync_replica",
            "Number of in-sync replicas of the partition.",
        ),
        (
            "kafka_topic_partition_leader_is_preferred",
            "1 when the leader is the preferred replica.",
        ),
        (
            "kafka_topic_partition_under_replicated_partition",
            "1 when the partition is under-replicated.",
        ),
    ];
    for (i, (name, help)) in pfams.iter().enumerate() {
        header(out, name, "gauge", help);
        for (c, s) in snaps {
            for t in s.topics.iter().filter(|t| f.topic_ok(&t.name)) {
                for p in &t.partitions {
                    let v = match i {
                        0 => match p.high_watermark {
                            Some(v) => v as f64,
                            None => continue,
                        },
                        1 => match p.low_watermark {
                            Some(v) => v as f64,
                            None => continue,
                        },
                        2 => p.leader.unwrap_or(-1) as f64,
                        3 => p.replicas.len() as f64,
                        4 => p.isr.len() as f64,
                        5 => (!p.state.offline && !p.state.leader_not_preferred) as i64 as f64,
                        _ => p.state.under_replicated as i64 as f64,
                    };
                    Line::start(out, name, &c.name)
                        .l("topic", &t.name)
                        .li("partition", p.partition as i64)
                        .v(v);
                }
            }
        }
    }
    header(out, "isrwatch_partition_state", "gauge", "1 for each bad state a partition is in (offline, under_min_isr, at_min_isr, under_replicated); healthy partitions have no series.");
    for (c, s) in snaps {
        for t in s.topics.iter().filter(|t| f.topic_ok(&t.name)) {
            for p in &t.partitions {
                let st = p.state;
                for (on, name) in [
                    (st.offline, "offline"),
                    (st.under_min_isr, "under_min_isr"),
                    (st.at_min_isr, "at_min_isr"),
                    (st.under_replicated, "under_replicated"),
                ] {
                    if on {
                        Line::start(out, "isrwatch_partition_state", &c.name)
                            .l("topic", &t.name)
                            .li("partition", p.partition as i64)
                            .l("state", name)
                            .v(1.0);
                    }
                }
            }
        }
    }
}

/// Per-group families: members, lag status, lag in messages and seconds.
fn groups(out: &mut Out<'_>, snaps: &Snaps<'_>) {
    header(
        out,
        "kafka_consumergroup_members",
        "gauge",
        "Members of the consumer group.",
    );
    for (c, s) in snaps {
        for g in &s.groups {
            Line::start(out, "kafka_consumergroup_members", &c.name)
                .l("consumergroup", &g.name)
                .v(g.members as f64);
        }
    }
    header(
        out,
        "isrwatch_consumergroup_lag_status",
        "gauge",
        "Lag status code: 0 OK, 1 WARN, 2 ERR, 3 STOP, 4 STALL, 5 REWIND.",
    );
    for (c, _) in snaps {
        for st in &c.evaluation.groups {
            Line::start(out, "isrwatch_consumergroup_lag_status", &c.name)
                .l("consumergroup", &st.group)
                .l("status", st.status.as_str())
                .v(st.status.code() as f64);
        }
    }
    header(
        out,
        "isrwatch_consumergroup_lag",
        "gauge",
        "Total lag (messages) of the group.",
    );
    for (c, _) in snaps {
        for st in &c.evaluation.groups {
            Line::start(out, "isrwatch_consumergroup_lag", &c.name)
                .l("consumergroup", &st.group)
                .v(st.total_lag as f64);
        }
    }
    header(
        out,
        "isrwatch_consumergroup_lag_seconds",
        "gauge",
        "Largest time lag over the group's partitions.",
    );
    for (c, _) in snaps {
        for st in &c.evaluation.groups {
            if let Some(sec) = st.max_lag_seconds {
                Line::start(out, "isrwatch_consumergroup_lag_seconds", &c.name)
                    .l("consumergroup", &st.group)
                    .v(sec);
            }
        }
    }
}

/// Per group and partition (kafka_exporter's names, left out for groups and
/// topics the filter excludes), then per group and topic sums.
fn group_partitions(out: &mut Out<'_>, snaps: &Snaps<'_>, f: &SeriesFilter) {
    let gfams: [(&str, &str); 3] = [
        (
            "kafka_consumergroup_current_offset",
            "Committed offset of the group on the partition.",
        ),
        (
            "kafka_consumergroup_lag",
            "Lag in messages of the group on the partition (never negative).",
        ),
        (
            "kafka_consumergroup_group_lag_seconds",
            "Lag in seconds of the group on the partition.",
        ),
    ];
    for (i, (name, help)) in gfams.iter().enumerate() {
        header(out, name, "gauge", help);
        for (c, s) in snaps {
            for g in s.groups.iter().filter(|g| f.group_ok(&g.name)) {
                for p in g.partitions.iter().filter(|p| f.topic_ok(&p.topic)) {
                    let v = match i {
                        0 => p.committed.map(|v| v as f64),
                        1 => p.lag.map(|v| v as f64),
                        _ => p.lag_seconds,
                    };
                    if let Some(v) = v {
                        Line::start(out, name, &c.name)
                            .l("consumergroup", &g.name)
                            .l("topic", &p.topic)
                            .li("partition", p.partition as i64)
                            .v(v);
                    }
                }
            }
        }
    }
    for (name, help) in [
        (
            "kafka_consumergroup_current_offset_sum",
            "Sum of committed offsets of the group on the topic.",
        ),
        (
            "kafka_consumergroup_lag_sum",
            "Sum of lag of the group on the topic.",
        ),
    ] {
        header(out, name, "gauge", help);
        let is_lag = name.contains("lag");
        for (c, s) in snaps {
            for g in &s.groups {
                let mut i = 0;
                while i < g.partitions.len() {
                    let topic = &g.partitions[i].topic;
                    let mut sum = 0i64;
                    let mut any = false;
                    while i < g.partitions.len() && &g.partitions[i].topic == topic {
                        let p = &g.partitions[i];
                        if let Some(v) = if is_lag { p.lag } else { p.committed } {
                            sum += v;
                            any = true;
                        }
                        i += 1;
                    }
                    if any {
                        Line::start(out, name, &c.name)
                            .l("consumergroup", &g.name)
                            .l("topic", topic)
                            .v(sum as f64);
                    }
                }
            }
        }
    }
}

/// What the evaluator concluded: findings by kind, unclean elections by
/// topic, anomaly scores.
fn findings(out: &mut Out<'_>, clusters: &[ClusterView]) {
    header(
        out,
        "isrwatch_findings",
        "gauge",
        "Current findings by kind and severity.",
    );
    for c in clusters {
        let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
        for fnd in &c.evaluation.findings {
            *counts
                .entry((fnd.kind.as_str(), fnd.severity.as_str()))
                .or_default() += 1;
        }
        for ((k, sev), n) in counts {
            Line::start(out, "isrwatch_findings", &c.name)
                .l("kind", k)
                .l("severity", sev)
                .v(n as f64);
        }
    }
    header(
        out,
        "isrwatch_unclean_election_partitions",
        "gauge",
        "Partitions led by a replica that was not in sync (an unclean election seen within rules.unclean_election_hold), by topic.",
    );
    header(
        out,
        "isrwatch_unclean_election_offsets_lost",
        "gauge",
        "Offsets truncated by those elections (old high watermark - new), by topic.",
    );
    for c in clusters {
        let mut by_topic: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
        for fnd in &c.evaluation.findings {
            if let (FindingKind::UncleanElection, Subject::Partition { topic, .. }) =
                (fnd.kind, &fnd.subject)
            {
                let e = by_topic.entry(topic.as_str()).or_default();
                e.0 += 1;
                e.1 += fnd
                    .metrics
                    .get(crate::evaluate::OFFSETS_LOST)
                    .copied()
                    .unwrap_or(0.0);
            }
        }
        for (topic, (n, lost)) in by_topic {
            Line::start(out, "isrwatch_unclean_election_partitions", &c.name)
                .l("topic", topic)
                .v(n as f64);
            Line::start(out, "isrwatch_unclean_election_offsets_lost", &c.name)
                .l("topic", topic)
                .v(lost);
        }
    }
    header(
        out,
        "isrwatch_consumergroup_messages_deleted_unread",
        "gauge",
        "Messages retention deleted before the group read them (rules.unread_data_deleted: its committed offsets below the log start while it stands still, or moved past deleted data within rules.unread_data_deleted_hold), by group.",
    );
    for c in clusters {
        for fnd in &c.evaluation.findings {
            if let (FindingKind::UnreadDataDeleted, Subject::Group { group }) =
                (fnd.kind, &fnd.subject)
            {
                Line::start(
                    out,
                    "isrwatch_consumergroup_messages_deleted_unread",
                    &c.name,
                )
                .l("group", group)
                .v(fnd
                    .metrics
                    .get(&crate::finding::Metric::MessagesDeleted)
                    .copied()
                    .unwrap_or(0.0));
            }
        }
    }
    header(
        out,
        "isrwatch_anomaly_score",
        "gauge",
        "Latest anomaly score in [0,1] of each watched series.",
    );
    for c in clusters {
        for a in &c.evaluation.anomalies {
            Line::start(out, "isrwatch_anomaly_score", &c.name)
                .l("series", &a.series)
                .v(a.score);
        }
    }
}

/// Incidents by state, kind and severity, and one series per firing one.
fn render_incidents(out: &mut Out<'_>, state: &SharedState) {
    header(
        out,
        "isrwatch_incidents",
        "gauge",
        "Incidents by state, kind and severity (resolved ones are kept for a while).",
    );
    let incidents = state.incidents();
    let mut counts: std::collections::BTreeMap<(&str, &str, &str, &str), usize> =
        Default::default();
    for i in incidents.iter() {
        *counts
            .entry((
                i.cluster.as_str(),
                i.state.as_str(),
                i.kind.as_str(),
                i.severity.as_str(),
            ))
            .or_default() += 1;
    }
    for ((cluster, st, kind, sev), n) in counts {
        Line::start(out, "isrwatch_incidents", cluster)
            .l("state", st)
            .l("kind", kind)
            .l("severity", sev)
            .v(n as f64);
    }
    header(
        out,
        "isrwatch_incident_firing",
        "gauge",
        "1 per firing incident, with its title's subject labels.",
    );
    for i in incidents
        .iter()
        .filter(|i| i.state == IncidentState::Firing)
    {
        Line::start(out, "isrwatch_incident_firing", &i.cluster)
            .l("fingerprint", &i.fingerprint)
            .l("kind", i.kind.as_str())
            .l("severity", i.severity.as_str())
            .l("subject", &i.root.to_string())
            .v(1.0);
    }
}
