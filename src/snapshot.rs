//! The immutable picture of one cluster taken by one poll.
//!
//! A [`ClusterSnapshot`] is what crosses from the pollers to the evaluator,
//! the `/metrics` renderer and the API. It is built once per poll and never
//! mutated afterwards: share it behind an `Arc`.
//!
//! Derived partition state (offline, under-replicated, under-min-ISR, ...)
//! is computed by [`PartitionInfo::derive`] from raw metadata so that the
//! rules are the same whatever produced the metadata (rdkafka, the
//! simulator, a hand-built test fixture).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Wall-clock time. Logic never reads the clock itself: callers pass `now`.
pub type Time = chrono::DateTime<chrono::Utc>;

/// A Kafka broker id (node id).
pub type BrokerId = i32;

/// One poll of one cluster.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ClusterSnapshot {
    /// The cluster's name in the isrwatch configuration (not Kafka's cluster id).
    pub cluster: String,
    /// When the poll started.
    pub taken_at: Time,
    /// How long the whole poll took.
    #[serde(with = "duration_ms")]
    pub poll_duration: Duration,
    /// `None` when the cluster could not be reached at all; the snapshot
    /// then carries only `errors`.
    pub reachable: bool,
    /// Kafka's own cluster id, when the brokers report one.
    pub cluster_id: Option<String>,
    /// The active controller, `None` when metadata names none.
    pub controller: Option<BrokerId>,
    /// Brokers present in metadata, sorted by id.
    pub brokers: Vec<BrokerInfo>,
    /// Brokers seen in earlier polls or in replica lists but absent from this
    /// metadata: the "broker down" facts.
    pub missing_brokers: Vec<BrokerId>,
    /// Of `missing_brokers`, those that no replica list (of any topic,
    /// watched or not) and no metadata-quorum voter names any more: retired
    /// or replaced. Reported until `forget_broker_after` after they were
    /// last live or named, then forgotten.
    #[serde(default)]
    pub unnamed_brokers: Vec<BrokerId>,
    /// Whether each broker in the metadata was probed this poll (the
    /// direct client sends every broker an ApiVersions request on a
    /// connection of its own). `false`: reachability is unknown.
    #[serde(default)]
    pub brokers_probed: bool,
    /// Brokers in the metadata that did not answer the probe: connection
    /// refused, handshake failed, or no answer within the request timeout.
    /// The cluster still counts them alive, but clients cannot use them.
    /// Sorted; each also has a `brokers` entry in `errors`.
    #[serde(default)]
    pub unreachable_brokers: Vec<BrokerId>,
    /// Topics sorted by name, partitions sorted by id.
    pub topics: Vec<TopicInfo>,
    /// Consumer groups sorted by name.
    pub groups: Vec<GroupInfo>,
    /// ISR changes since the previous snapshot of the same cluster.
    pub isr_changes: Vec<IsrChange>,
    /// The KRaft metadata quorum (DescribeQuorum), when the cluster has one
    /// and the direct client asked.
    #[serde(default)]
    pub quorum: Option<QuorumState>,
    /// Each answering broker's log directories and how full their disks
    /// are (DescribeLogDirs v4, KIP-827: Kafka 3.3+), sorted by broker and
    /// path. Empty without the direct client or on older brokers.
    #[serde(default)]
    pub log_dirs: Vec<LogDirUsage>,
    /// Broker-local figures from the optional sidecar (JMX exporter) source.
    pub sidecar: Option<SidecarMetrics>,
    /// What went wrong during the poll, per step. A partial failure keeps
    /// whatever the other steps collected.
    pub errors: Vec<PollError>,
}

/// One log directory of one broker, with the space of the volume it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LogDirUsage {
    pub broker: BrokerId,
    /// The directory's absolute path, as the broker names it.
    pub path: String,
    /// The volume's size in bytes.
    pub total_bytes: i64,
    /// Bytes still free for the broker to write.
    pub usable_bytes: i64,
}

impl LogDirUsage {
    /// The share of the volume in use, in percent (0 for an empty volume).
    pub fn used_percent(&self) -> f64 {
        if self.total_bytes <= 0 {
            return 0.0;
        }
        let used = (self.total_bytes - self.usable_bytes.clamp(0, self.total_bytes)) as f64;
        100.0 * used / self.total_bytes as f64
    }
}

/// The KRaft metadata log's replication (`__cluster_metadata`, KIP-595).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct QuorumState {
    /// The active controller; `None` while the quorum has no leader.
    pub leader: Option<BrokerId>,
    pub epoch: i32,
    pub high_watermark: i64,
    /// The voters (controllers), sorted by id.
    pub voters: Vec<QuorumReplica>,
    /// Observers (brokers replicating the metadata log without voting).
    pub observers: Vec<QuorumReplica>,
}

impl QuorumState {
    /// The leader's clock at the answer: its own row's last caught-up time
    /// (a leader is always caught up with itself). Voters' times compare
    /// with it, not with the monitor's clock.
    pub fn leader_time_ms(&self) -> Option<i64> {
        let leader = self.leader?;
        self.voters
            .iter()
            .find(|v| v.id == leader)
            .and_then(|v| v.last_caught_up_ms)
    }
}

/// One replica of the metadata log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct QuorumReplica {
    /// Node id (a controller's or a combined-mode broker's).
    pub id: BrokerId,
    /// Its log end offset; -1 when the leader does not know it.
    pub log_end_offset: i64,
    /// When it last caught up with the leader (Unix ms; DescribeQuorum v1+,
    /// `None` when not told).
    pub last_caught_up_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerInfo {
    pub id: BrokerId,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TopicInfo {
    pub name: String,
    pub internal: bool,
    /// `min.insync.replicas` for this topic: the topic's value, else the
    /// broker default, else the configured fallback; 0 when unknown (see
    /// `min_isr_source`).
    pub min_insync_replicas: i32,
    /// Where `min_insync_replicas` comes from.
    #[serde(default)]
    pub min_isr_source: MinIsrSource,
    /// `unclean.leader.election.enable` for this topic (its effective value
    /// as DescribeConfigs reports it); `None` when unknown.
    #[serde(default)]
    pub unclean_leader_election: Option<bool>,
    /// Topic-level metadata error, e.g. `UNKNOWN_TOPIC_OR_PARTITION`.
    pub error: Option<String>,
    pub partitions: Vec<PartitionInfo>,
}

/// Where a topic's `min.insync.replicas` comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MinIsrSource {
    /// As the cluster reports it (DescribeConfigs of the topic or broker).
    #[default]
    Cluster,
    /// The cluster did not tell (DescribeConfigs refused or failed): the
    /// `min_insync_replicas` fallback of the cluster's configuration.
    Configured,
    /// Not known: no under- or at-min-ISR state is derived from a guess.
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct PartitionInfo {
    pub partition: i32,
    /// `None` when there is no leader (offline or LEADER_NOT_AVAILABLE).
    pub leader: Option<BrokerId>,
    pub leader_epoch: Option<i32>,
    /// Assigned replicas in assignment order; the first is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub offline_replicas: Vec<BrokerId>,
    /// Replicas being added by an ongoing reassignment (KIP-455,
    /// ListPartitionReassignments): part of `replicas`, not expected in the
    /// ISR until they have copied the log.
    #[serde(default)]
    pub adding_replicas: Vec<BrokerId>,
    /// Replicas an ongoing reassignment will remove once the added ones are
    /// in sync.
    #[serde(default)]
    pub removing_replicas: Vec<BrokerId>,
    /// Offsets the adding replicas still have to copy (the sum of their
    /// DescribeLogDirs offset lags), when asked.
    #[serde(default)]
    pub reassignment_offsets_left: Option<i64>,
    /// Eligible leader replicas (KIP-966, on by default on clusters
    /// formatted with Kafka 4.1+), asked (DescribeTopicPartitions) only for
    /// topics with a partition that has neither a leader nor an ISR: the
    /// replicas any of which brings it back without loss when it returns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligible_leaders: Vec<BrokerId>,
    /// With ELR on, the leader a partition had when it lost it (Kafka's
    /// `LastKnownElr`): it leads again on its return once ISR and ELR
    /// are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_known_leader: Vec<BrokerId>,
    /// Partition-level metadata error name, e.g. `LEADER_NOT_AVAILABLE`.
    pub error: Option<String>,
    /// Log start offset (earliest), when fetched.
    pub low_watermark: Option<i64>,
    /// Log end offset / high watermark (latest), when fetched.
    pub high_watermark: Option<i64>,
    /// Derived by [`PartitionInfo::derive`].
    pub state: PartitionState,
}

/// Health facts derived from a partition's metadata.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct PartitionState {
    /// No leader: nobody can produce to or consume from it.
    pub offline: bool,
    /// ISR smaller than the replica set.
    pub under_replicated: bool,
    /// ISR smaller than `min.insync.replicas`: acks=all producers fail.
    pub under_min_isr: bool,
    /// ISR exactly `min.insync.replicas`: one more failure and they will.
    pub at_min_isr: bool,
    /// Has a leader, and it is not the first assigned replica.
    pub leader_not_preferred: bool,
    /// Some assigned replica sits on a broker absent from the broker list.
    pub replica_on_missing_broker: bool,
    /// An ongoing reassignment adds or removes replicas.
    #[serde(default)]
    pub reassigning: bool,
}

impl PartitionInfo {
    /// Replicas that are assigned but not in the ISR, in assignment order;
    /// not the replicas a reassignment is still adding (they copy the log
    /// first, as planned).
    pub fn missing_from_isr(&self) -> Vec<BrokerId> {
        self.replicas
            .iter()
            .copied()
            .filter(|r| !self.isr.contains(r) && !self.adding_replicas.contains(r))
            .collect()
    }

    /// The preferred leader (first assigned replica).
    pub fn preferred_leader(&self) -> Option<BrokerId> {
        self.replicas.first().copied()
    }

    /// Computes [`PartitionState`] from the raw fields.
    ///
    /// `min_isr` is the topic's `min.insync.replicas` (0 or less when
    /// unknown: then neither under- nor at-min-ISR is derived); as Kafka
    /// does since 3.7 (KAFKA-15583), it counts at most the replication
    /// factor: an RF-1 topic on a cluster whose default is 2 takes acks=all
    /// writes and is not under min ISR (it was paged as such, healthy,
    /// for as long as it existed). `live_brokers` the broker ids present in
    /// metadata (sorted).
    pub fn derive(&mut self, min_isr: i32, live_brokers: &[BrokerId]) {
        let isr = self.isr.len() as i32;
        let min_isr = min_isr.min(self.replicas.len() as i32);
        // Kafka's own UnderReplicatedPartitions does not count the replicas
        // a reassignment is adding (KIP-455).
        let adding_outside = self
            .adding_replicas
            .iter()
            .filter(|r| !self.isr.contains(r))
            .count() as i32;
        let rf = self.replicas.len() as i32 - adding_outside;
        let offline = self.leader.is_none() || self.leader == Some(-1);
        self.state = PartitionState {
            offline,
            under_replicated: isr < rf,
            under_min_isr: !offline && min_isr > 0 && isr < min_isr,
            at_min_isr: !offline && min_isr > 0 && isr == min_isr,
            leader_not_preferred: !offline && self.leader != self.preferred_leader(),
            replica_on_missing_broker: self
                .replicas
                .iter()
                .any(|r| live_brokers.binary_search(r).is_err()),
            reassigning: !self.adding_replicas.is_empty() || !self.removing_replicas.is_empty(),
        };
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct GroupInfo {
    pub name: String,
    /// Kafka's group state: Stable, Empty, PreparingRebalance, Dead, ...
    pub state: String,
    pub protocol_type: String,
    pub members: u32,
    pub coordinator: Option<BrokerId>,
    /// Per partition the group has committed or is assigned, sorted by
    /// (topic, partition).
    pub partitions: Vec<GroupPartition>,
    pub error: Option<String>,
}

impl GroupInfo {
    /// Sum of known lag over every partition (never negative).
    pub fn total_lag(&self) -> i64 {
        self.partitions.iter().filter_map(|p| p.lag).sum()
    }

    /// The largest time lag over the group's partitions, in seconds.
    pub fn max_lag_seconds(&self) -> Option<f64> {
        self.partitions
            .iter()
            .filter_map(|p| p.lag_seconds)
            .fold(None, |m, x| Some(m.map_or(x, |m: f64| m.max(x))))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct GroupPartition {
    pub topic: String,
    pub partition: i32,
    /// `None`: the group never committed on this partition (not -1).
    pub committed: Option<i64>,
    /// The partition's end offset at poll time.
    pub end_offset: Option<i64>,
    /// `max(end - committed, 0)`; `None` when either side is unknown.
    pub lag: Option<i64>,
    /// How far behind in time: `now - (time the committed offset was the
    /// end offset)`; 0 when caught up or idle. `None` when unknown.
    pub lag_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsrChangeKind {
    Shrink,
    Expand,
}

/// One broker leaving or joining one partition's ISR between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsrChange {
    pub topic: String,
    pub partition: i32,
    pub broker: BrokerId,
    pub kind: IsrChangeKind,
    pub at: Time,
}

/// Figures scraped from a broker's local JMX-exporter endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct SidecarMetrics {
    pub broker: Option<BrokerId>,
    /// ReplicaFetcherManager MaxLag (messages).
    pub follower_max_lag: Option<f64>,
    pub isr_shrinks_per_sec: Option<f64>,
    pub isr_expands_per_sec: Option<f64>,
    pub under_min_isr_partitions: Option<f64>,
    pub under_replicated_partitions: Option<f64>,
    /// Every sample scraped, by metric name (labels folded into the key).
    pub raw: BTreeMap<String, f64>,
    pub error: Option<String>,
}

/// Names of the poll steps whose failure the evaluator reads: the poller
/// writes them and the rules match them through these constants, so the
/// two cannot drift apart (the rules once waited for a step `groups` that
/// the poller never wrote, and a failed group listing forgot every group).
pub mod step {
    /// ListGroups failed, on some broker or all: the groups listed are not
    /// every group.
    pub const GROUPS_LIST: &str = "groups.list";
    /// A broker did not answer its own request (`broker` says which).
    pub const BROKERS: &str = "brokers";
}

/// A failed poll step, kept as a fact in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollError {
    /// Which step: `metadata`, `offsets`, `configs`, `sidecar`, [`step`]'s, ...
    pub step: String,
    /// The broker involved, if any.
    pub broker: Option<BrokerId>,
    pub message: String,
}

impl ClusterSnapshot {
    /// An unreachable-cluster snapshot carrying only the error.
    pub fn unreachable(cluster: &str, at: Time, duration: Duration, error: PollError) -> Self {
        ClusterSnapshot {
            cluster: cluster.to_string(),
            taken_at: at,
            poll_duration: duration,
            reachable: false,
            errors: vec![error],
            ..Default::default()
        }
    }

    /// Iterates over `(topic, partition)` pairs.
    pub fn partitions(&self) -> impl Iterator<Item = (&TopicInfo, &PartitionInfo)> {
        self.topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(move |p| (t, p)))
    }

    /// Finds one partition by topic name and id (binary search on sorted data).
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionInfo> {
        let t = self
            .topics
            .binary_search_by(|t| t.name.as_str().cmp(topic))
            .ok()?;
        let ps = &self.topics[t].partitions;
        ps.binary_search_by_key(&partition, |p| p.partition)
            .ok()
            .map(|i| &ps[i])
    }

    /// Finds one group by name.
    pub fn group(&self, name: &str) -> Option<&GroupInfo> {
        self.groups
            .binary_search_by(|g| g.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.groups[i])
    }

    /// Counts partitions in each state, for status lines and metrics.
    pub fn counts(&self) -> PartitionCounts {
        let mut c = PartitionCounts::default();
        for (_, p) in self.partitions() {
            c.total += 1;
            c.offline += p.state.offline as usize;
            c.under_replicated += p.state.under_replicated as usize;
            c.under_min_isr += p.state.under_min_isr as usize;
            c.at_min_isr += p.state.at_min_isr as usize;
            c.leader_not_preferred += p.state.leader_not_preferred as usize;
            c.reassigning += p.state.reassigning as usize;
        }
        c
    }

    /// Positions `(topic index, partition index)` of every partition with
    /// any unhealthy state (offline, under-replicated, under- or at-min-ISR,
    /// leader not preferred), in topic and partition order. Built once per
    /// poll so that API filters by state touch only these, not every
    /// partition of a 100,000-partition cluster.
    pub fn flagged_partitions(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (ti, t) in self.topics.iter().enumerate() {
            for (pi, p) in t.partitions.iter().enumerate() {
                let s = &p.state;
                if s.offline
                    || s.under_replicated
                    || s.under_min_isr
                    || s.at_min_isr
                    || s.leader_not_preferred
                {
                    out.push((ti as u32, pi as u32));
                }
            }
        }
        out
    }

    /// Partitions led by each live broker.
    pub fn leader_counts(&self) -> BTreeMap<BrokerId, usize> {
        let mut m: BTreeMap<BrokerId, usize> = self.brokers.iter().map(|b| (b.id, 0)).collect();
        for (_, p) in self.partitions() {
            if let Some(l) = p.leader {
                *m.entry(l).or_default() += 1;
            }
        }
        m
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionCounts {
    pub total: usize,
    pub offline: usize,
    pub under_replicated: usize,
    pub under_min_isr: usize,
    pub at_min_isr: usize,
    pub leader_not_preferred: usize,
    /// Partitions an ongoing reassignment adds replicas to or removes from.
    #[serde(default)]
    pub reassigning: usize,
}

/// Serializes a `Duration` as whole milliseconds.
pub mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(leader: Option<i32>, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
        PartitionInfo {
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn healthy_partition_has_no_flags() {
        let mut p = part(Some(1), &[1, 2, 3], &[1, 2, 3]);
        p.derive(2, &[1, 2, 3]);
        assert_eq!(p.state, PartitionState::default());
    }

    #[test]
    fn one_replica_out_is_under_replicated_and_at_min_isr() {
        let mut p = part(Some(1), &[1, 2, 3], &[1, 3]);
        p.derive(2, &[1, 2, 3]);
        assert!(p.state.under_replicated && p.state.at_min_isr && !p.state.under_min_isr);
        assert_eq!(p.missing_from_isr(), vec![2]);
    }

    #[test]
    fn two_out_is_under_min_isr_and_leaderless_is_offline() {
        let mut p = part(Some(3), &[1, 2, 3], &[3]);
        p.derive(2, &[3]);
        assert!(p.state.under_min_isr && p.state.leader_not_preferred);
        assert!(p.state.replica_on_missing_broker);
        let mut q = part(None, &[1, 2, 3], &[]);
        q.derive(2, &[]);
        assert!(q.state.offline && !q.state.under_min_isr && !q.state.at_min_isr);
    }

    #[test]
    fn rf_equal_to_min_isr_counts_as_at_min_isr_like_kafka() {
        // Kafka's AtMinIsrPartitionCount counts isr == min.insync.replicas
        // whatever the replication factor: one loss and acks=all fails.
        let mut p = part(Some(1), &[1, 2], &[1, 2]);
        p.derive(2, &[1, 2]);
        assert!(p.state.at_min_isr && !p.state.under_replicated);
    }
}
