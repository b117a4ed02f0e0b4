//! The simulated cluster: brokers, topics, consumer groups and the knobs of
//! the replication model, with their defaults.

use std::time::Duration;

use serde::Deserialize;

use crate::snapshot::BrokerId;

/// The simulated cluster: brokers, topics, consumer groups and the knobs of
/// the replication model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Kafka cluster id reported in Metadata and DescribeCluster.
    #[serde(default = "default_cluster_id")]
    pub cluster_id: String,
    /// Number of brokers. Broker ids are `first_broker_id ..` consecutive.
    pub brokers: u32,
    /// Id of the first broker (default 1).
    #[serde(default = "default_first_broker")]
    pub first_broker_id: BrokerId,
    /// Seed of the deterministic random generator (noise, initial offsets).
    #[serde(default)]
    pub seed: u64,
    /// Broker default `min.insync.replicas` (default 1, as in Kafka).
    #[serde(default = "one")]
    pub min_insync_replicas: u32,
    /// `replica.lag.time.max.ms`: a follower that has not caught up for
    /// longer than this leaves the ISR (default "30s").
    #[serde(default = "default_lag_max", with = "humantime_serde_compat")]
    pub replica_lag_time_max: Duration,
    /// How far behind the leader a healthy follower fetches (default "200ms").
    #[serde(default = "default_fetch_delay", with = "humantime_serde_compat")]
    pub follower_fetch_delay: Duration,
    /// How long a broker that comes back needs to catch up before it rejoins
    /// the ISRs (default "5s").
    #[serde(default = "default_catch_up", with = "humantime_serde_compat")]
    pub broker_catch_up: Duration,
    /// `unclean.leader.election.enable` (default false): when true, a
    /// partition whose whole ISR is gone elects any live replica.
    #[serde(default)]
    pub unclean_leader_election: bool,
    /// `auto.leader.rebalance.enable` (default true): every
    /// `leader_rebalance_interval` leadership returns to preferred replicas.
    #[serde(default = "yes")]
    pub auto_leader_rebalance: bool,
    /// A KRaft cluster (default true, as every Kafka 4): Metadata and
    /// DescribeCluster name a random live broker as the controller at each
    /// request (clients cannot reach the controllers, KIP-590), and
    /// DescribeQuorum (API key 55) names the active controller, the leader
    /// of the metadata quorum. false: a ZooKeeper-era cluster, whose
    /// Metadata names the controller and which has no DescribeQuorum.
    #[serde(default = "yes")]
    pub kraft: bool,
    /// Eligible leader replicas (KIP-966; default false, as on a cluster
    /// upgraded to Kafka 4: a cluster formatted with Kafka 4.1 or later
    /// has them on). KRaft only. When true, a partition's ISR may become
    /// empty: the replicas it lost below min ISR are its ELR (read with
    /// DescribeTopicPartitions, API key 75), any of which leads again when
    /// it returns; a broker that crashed leaves the ELR when it registers
    /// again, and the last leader leads once ISR and ELR are empty.
    #[serde(default)]
    pub eligible_leader_replicas: bool,
    /// DescribeConfigs is refused (default false): every resource answers
    /// TOPIC_ / CLUSTER_AUTHORIZATION_FAILED, as a cluster whose ACLs deny
    /// the monitor DescribeConfigs does.
    #[serde(default)]
    pub deny_describe_configs: bool,
    /// `leader.imbalance.check.interval.seconds` (default "300s").
    #[serde(default = "default_rebalance", with = "humantime_serde_compat")]
    pub leader_rebalance_interval: Duration,
    /// Hour of the day (UTC, 0..24) at which the simulated clock starts;
    /// drives the daily seasonality (default 12).
    #[serde(default = "default_start_hour")]
    pub start_hour: f64,
    /// Topics.
    #[serde(default)]
    pub topics: Vec<TopicSpec>,
    /// Consumer groups.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
}

/// One topic (or `count` topics named `name-0`, `name-1`, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Topic name (the prefix when `count` is set).
    pub name: String,
    /// When set, this entry stands for `count` topics `name-0 .. name-(count-1)`.
    #[serde(default)]
    pub count: Option<u32>,
    /// Number of partitions.
    pub partitions: u32,
    /// Replication factor (default 3; at most the number of brokers).
    #[serde(default = "three")]
    pub replication_factor: u32,
    /// Explicit replica lists, one per partition, preferred leader first.
    /// When absent replicas are assigned round-robin as Kafka does.
    #[serde(default)]
    pub replicas: Option<Vec<Vec<BrokerId>>>,
    /// Produce rate of the whole topic in messages per second (default 10).
    #[serde(default = "ten")]
    pub rate: f64,
    /// Amplitude of the daily cycle, 0..1 (default 0.3): the rate swings
    /// between `rate*(1-s)` at 00:00 and `rate*(1+s)` at 12:00 (UTC).
    #[serde(default = "default_seasonality")]
    pub seasonality: f64,
    /// Relative noise, 0..1 (default 0.1), drawn from the seeded generator.
    #[serde(default = "default_noise")]
    pub noise: f64,
    /// Bursts: on average one every `burst_every` (at random, from the
    /// seeded generator), the rate is multiplied by `burst_factor` for
    /// `burst_length` (batch jobs, replays, retries). Default: no bursts.
    #[serde(default, with = "humantime_serde_compat::option")]
    pub burst_every: Option<Duration>,
    /// How long a burst lasts (default "30s").
    #[serde(default = "default_burst_length", with = "humantime_serde_compat")]
    pub burst_length: Duration,
    /// Rate multiplier during a burst (default 5).
    #[serde(default = "default_burst_factor")]
    pub burst_factor: f64,
    /// Topic-level `min.insync.replicas` override.
    #[serde(default)]
    pub min_insync_replicas: Option<u32>,
    /// `retention.ms` as a duration (default "7d"). Every 5 minutes
    /// (`log.retention.check.interval.ms`) each partition deletes its
    /// segments whose newest message is older than this.
    #[serde(default = "default_retention", with = "humantime_serde_compat")]
    pub retention: Duration,
    /// `segment.ms` as a duration (default "7d"): a partition's active
    /// segment rolls this often, or at `segment.bytes` (1 GiB) of
    /// messages; retention deletes whole segments only.
    #[serde(default = "default_retention", with = "humantime_serde_compat")]
    pub segment: Duration,
    /// Average message size in bytes, for log-dir sizes (default 200).
    #[serde(default = "default_msg_size")]
    pub message_bytes: u32,
    /// Whether the topic exists at start (default true). `false`: it is
    /// created by a `topic_create` event.
    #[serde(default = "yes")]
    pub exists: bool,
}

/// One consumer group (or `count` groups named `name-0`, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Group id (the prefix when `count` is set).
    pub name: String,
    /// When set, this entry stands for `count` groups `name-0 ..`.
    #[serde(default)]
    pub count: Option<u32>,
    /// Topics the group consumes (every partition of each).
    pub topics: Vec<String>,
    /// Number of members (default 2).
    #[serde(default = "two")]
    pub members: u32,
    /// How often the group commits (default "5s").
    #[serde(default = "default_commit", with = "humantime_serde_compat")]
    pub commit_interval: Duration,
    /// Consumer throughput relative to the current produce rate (default 2.0):
    /// above 1 the group keeps up.
    #[serde(default = "default_headroom")]
    pub headroom: f64,
    /// Messages behind the log end per partition at start (default 10).
    #[serde(default = "ten_i")]
    pub initial_lag: i64,
    /// `auto.offset.reset`: where a member fetching below the log start
    /// (retention deleted what it had not read) starts again, `"latest"`
    /// (Kafka's default) or `"earliest"`.
    #[serde(default)]
    pub offset_reset: OffsetReset,
    /// Whether the group exists at start (default true). `false`: its
    /// consumers first start at a `group_create` event, where
    /// `offset_reset` says (`initial_lag` does not apply).
    #[serde(default = "yes")]
    pub exists: bool,
}

/// A consumer's `auto.offset.reset`: where it starts when its position is
/// out of range (below the log start offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetReset {
    /// The log end: everything between is skipped (Kafka's default).
    #[default]
    Latest,
    /// The log start: only what retention deleted is skipped.
    Earliest,
}

impl ClusterSpec {
    /// A cluster built in code for benchmarks: `topics` topics `topic-N` of
    /// `partitions_per_topic` partitions, replication factor `rf` (capped at
    /// `brokers`), and `groups` groups `group-N` each consuming one topic.
    pub fn synthetic(
        brokers: u32,
        topics: u32,
        partitions_per_topic: u32,
        rf: u32,
        groups: u32,
    ) -> ClusterSpec {
        let brokers = brokers.max(1);
        let topic_specs = (0..topics)
            .map(|i| TopicSpec {
                name: format!("topic-{i}"),
                count: None,
                partitions: partitions_per_topic.max(1),
                replication_factor: rf.clamp(1, brokers),
                replicas: None,
                rate: 50.0,
                seasonality: default_seasonality(),
                noise: default_noise(),
                burst_every: None,
                burst_length: default_burst_length(),
                burst_factor: default_burst_factor(),
                min_insync_replicas: None,
                retention: default_retention(),
                segment: default_retention(),
                message_bytes: default_msg_size(),
                exists: true,
            })
            .collect();
        let group_specs = if topics == 0 {
            Vec::new()
        } else {
            (0..groups)
                .map(|i| GroupSpec {
                    name: format!("group-{i}"),
                    count: None,
                    topics: vec![format!("topic-{}", i % topics)],
                    members: 2,
                    commit_interval: default_commit(),
                    headroom: default_headroom(),
                    initial_lag: 10,
                    offset_reset: OffsetReset::default(),
                    exists: true,
                })
                .collect()
        };
        ClusterSpec {
            cluster_id: default_cluster_id(),
            brokers,
            first_broker_id: 1,
            seed: 1,
            min_insync_replicas: 1,
            replica_lag_time_max: default_lag_max(),
            follower_fetch_delay: default_fetch_delay(),
            broker_catch_up: default_catch_up(),
            unclean_leader_election: false,
            auto_leader_rebalance: true,
            kraft: true,
            eligible_leader_replicas: false,
            deny_describe_configs: false,
            leader_rebalance_interval: default_rebalance(),
            start_hour: default_start_hour(),
            topics: topic_specs,
            groups: group_specs,
        }
    }
}

fn default_cluster_id() -> String {
    "isrwatch-sim".into()
}
fn default_first_broker() -> BrokerId {
    1
}
fn one() -> u32 {
    1
}
fn two() -> u32 {
    2
}
fn three() -> u32 {
    3
}
fn ten() -> f64 {
    10.0
}
fn ten_i() -> i64 {
    10
}
fn yes() -> bool {
    true
}
fn default_lag_max() -> Duration {
    Duration::from_secs(30)
}
fn default_fetch_delay() -> Duration {
    Duration::from_millis(200)
}
fn default_catch_up() -> Duration {
    Duration::from_secs(5)
}
fn default_rebalance() -> Duration {
    Duration::from_secs(300)
}
fn default_start_hour() -> f64 {
    12.0
}
fn default_burst_length() -> Duration {
    Duration::from_secs(30)
}
fn default_burst_factor() -> f64 {
    5.0
}
fn default_seasonality() -> f64 {
    0.3
}
fn default_noise() -> f64 {
    0.1
}
fn default_retention() -> Duration {
    Duration::from_secs(7 * 86400)
}
fn default_msg_size() -> u32 {
    200
}
fn default_commit() -> Duration {
    Duration::from_secs(5)
}
fn default_headroom() -> f64 {
    2.0
}

/// Serde helpers reading durations written as `"30s"`, `"5m"`, `"200ms"`.
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(s.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "expected a duration like \"30s\", found {s:?} ({e})"
            ))
        })
    }

    /// An optional duration (absent: `None`).
    pub mod option {
        use std::time::Duration;

        use serde::Deserializer;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}
