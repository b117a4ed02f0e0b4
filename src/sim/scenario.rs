//! Scenario files: the cluster to simulate, a timeline of faults and the
//! findings each fault must raise (see `tests/scenarios/README.md`).
//!
//! A scenario is TOML with three parts: one `[cluster]` table, any number of
//! `[[events]]` and any number of `[[expect]]`. Unknown keys are errors, and
//! every error names the origin (file name), the line and the field.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::options::SimError;
use crate::finding::FindingKind;
use crate::snapshot::BrokerId;

/// A whole scenario: the cluster, the fault timeline, and what a monitor
/// must notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The cluster to simulate.
    pub cluster: ClusterSpec,
    /// Faults and recoveries, sorted by `at`.
    pub events: Vec<Event>,
    /// Findings a monitor must raise (and resolve) for this timeline.
    pub expect: Vec<Expectation>,
    /// Notifications a monitor may also send, each with its reason. A
    /// closed-world check fails on anything notified that neither an
    /// expectation nor an allowance explains.
    pub allow: Vec<Allowance>,
    /// How long after the last event (or recovery) the cluster needs to be
    /// healthy again; after it, nothing may be firing. Default 180 s (a
    /// broker's catch-up plus the shipped `broker_recovery_hold`).
    pub settle: Duration,
}

/// Something a monitor may notify besides the expectations (`[[allow]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    /// snake_case finding kind (an incident of this kind, or holding it).
    pub kind: String,
    /// Subject (or implicated broker): a broker.
    pub broker: Option<BrokerId>,
    /// Subject: a group.
    pub group: Option<String>,
    /// Subject: a topic.
    pub topic: Option<String>,
    /// Why a monitor may say it (required: an allowance is a decision).
    pub reason: String,
    /// Line in the scenario file.
    pub line: usize,
}

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
    /// `retention.ms` as a duration (default "7d").
    #[serde(default = "default_retention", with = "humantime_serde_compat")]
    pub retention: Duration,
    /// Average message size in bytes, for log-dir sizes (default 200).
    #[serde(default = "default_msg_size")]
    pub message_bytes: u32,
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
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Simulated time since start at which the action happens.
    pub at: Duration,
    /// Optional name, referred to by `[[expect]]` entries.
    pub id: Option<String>,
    /// What happens.
    pub action: Action,
    /// When set, the matching recovery action is applied `duration` later.
    pub duration: Option<Duration>,
    /// Line of the event in the scenario file (for messages).
    pub line: usize,
}

/// How a network partition cuts a broker off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionMode {
    /// Cut from the other brokers (no replication either way) but clients still reach it.
    Brokers,
    /// Reachable by the other brokers, unreachable by clients.
    Clients,
    /// Replication continues and clients can connect, but no request is
    /// ever answered: a broken client listener or a proxy in front of it.
    Unresponsive,
}

/// A fault or recovery applied to the running simulator. In every variant
/// `broker` is a broker id, `group` a group id and `topic` a topic name;
/// unknown ones are ignored when applied directly (scenario parsing rejects
/// them with an error).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The broker stops: it leaves metadata, its connections drop, its led
    /// partitions elect new leaders from the ISR (or go offline).
    BrokerDown { broker: BrokerId },
    /// The broker returns and rejoins the ISRs after `broker_catch_up`.
    BrokerUp { broker: BrokerId },
    /// A controlled shutdown: the broker's leaderships move to other
    /// in-sync replicas first, then it stops as with `BrokerDown`.
    ControlledShutdown { broker: BrokerId },
    /// The broker's followers fetch `delay` behind the leaders.
    SlowFollower { broker: BrokerId, delay: Duration },
    /// The broker's followers fetch normally again.
    RecoverFollower { broker: BrokerId },
    /// The broker's metadata-quorum voter (combined mode) fetches the
    /// metadata log `delay` behind the quorum leader.
    VoterLag { broker: BrokerId, delay: Duration },
    /// The voter stops fetching the metadata log (its controller process
    /// hangs), the broker itself serving on.
    VoterDown { broker: BrokerId },
    /// The voter fetches normally again.
    VoterRecover { broker: BrokerId },
    /// Network partition around one broker.
    NetworkPartition {
        broker: BrokerId,
        mode: PartitionMode,
    },
    /// Ends a network partition.
    HealPartition { broker: BrokerId },
    /// The broker's log directory fails: its replicas go offline.
    LogDirFailure { broker: BrokerId },
    /// The log directory is back.
    LogDirRecover { broker: BrokerId },
    /// The controller moves (to `to`, or to the next live broker).
    ControllerFailover { to: Option<BrokerId> },
    /// `broker` takes leadership of every partition it is an in-sync replica of.
    LeaderImbalance { broker: BrokerId },
    /// Preferred leader election on every partition.
    LeaderRebalance,
    /// Multiplies the produce rate of a topic (all topics when `None`).
    TrafficSpike { topic: Option<String>, factor: f64 },
    /// Stops producing to a topic (all topics when `None`).
    TrafficStop { topic: Option<String> },
    /// Back to the configured rate.
    TrafficNormal { topic: Option<String> },
    /// Members stay but committed offsets stop moving.
    ConsumerStall { group: String },
    /// Members leave (group Empty), no more commits.
    ConsumerStop { group: String },
    /// Committed offsets jump back by `offsets` messages (to the log start when `None`).
    ConsumerRewind { group: String, offsets: Option<i64> },
    /// Consumer throughput multiplied by `factor` (< 1 slows down).
    ConsumerSlowdown { group: String, factor: f64 },
    /// The group consumes normally again (and rejoins when stopped).
    ConsumerRecover { group: String },
    /// The group and its offsets are deleted.
    GroupDelete { group: String },
    /// A partition reassignment (KIP-455) of one partition of `topic`, or
    /// all of them: the replica set becomes `replicas` ∪ the current ones;
    /// the added replicas copy the log at `rate` messages/s, join the ISR,
    /// then the removed replicas leave (and leadership moves when its
    /// broker is removed).
    Reassign {
        topic: String,
        partition: Option<i32>,
        replicas: Vec<BrokerId>,
        rate: f64,
    },
}

impl Action {
    /// The action that undoes this one, used for events with a `duration`.
    pub fn recovery(&self) -> Option<Action> {
        use Action::*;
        Some(match self {
            BrokerDown { broker } | ControlledShutdown { broker } => BrokerUp { broker: *broker },
            SlowFollower { broker, .. } => RecoverFollower { broker: *broker },
            VoterLag { broker, .. } | VoterDown { broker } => VoterRecover { broker: *broker },
            NetworkPartition { broker, .. } => HealPartition { broker: *broker },
            LogDirFailure { broker } => LogDirRecover { broker: *broker },
            LeaderImbalance { .. } => LeaderRebalance,
            TrafficSpike { topic, .. } | TrafficStop { topic } => TrafficNormal {
                topic: topic.clone(),
            },
            ConsumerStall { group }
            | ConsumerStop { group }
            | ConsumerSlowdown { group, .. }
            | ConsumerRewind { group, .. } => ConsumerRecover {
                group: group.clone(),
            },
            _ => return None,
        })
    }

    /// The snake_case name used in scenario files.
    pub fn name(&self) -> &'static str {
        use Action::*;
        match self {
            BrokerDown { .. } => "broker_down",
            BrokerUp { .. } => "broker_up",
            ControlledShutdown { .. } => "controlled_shutdown",
            SlowFollower { .. } => "slow_follower",
            RecoverFollower { .. } => "recover_follower",
            VoterLag { .. } => "voter_lag",
            VoterDown { .. } => "voter_down",
            VoterRecover { .. } => "voter_recover",
            NetworkPartition { .. } => "network_partition",
            HealPartition { .. } => "heal_partition",
            LogDirFailure { .. } => "log_dir_failure",
            LogDirRecover { .. } => "log_dir_recover",
            ControllerFailover { .. } => "controller_failover",
            LeaderImbalance { .. } => "leader_imbalance",
            LeaderRebalance => "leader_rebalance",
            TrafficSpike { .. } => "traffic_spike",
            TrafficStop { .. } => "traffic_stop",
            TrafficNormal { .. } => "traffic_normal",
            ConsumerStall { .. } => "consumer_stall",
            ConsumerStop { .. } => "consumer_stop",
            ConsumerRewind { .. } => "consumer_rewind",
            ConsumerSlowdown { .. } => "consumer_slowdown",
            ConsumerRecover { .. } => "consumer_recover",
            GroupDelete { .. } => "group_delete",
            Reassign { .. } => "reassign",
        }
    }
}

/// A finding (or incident) the scenario must produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// snake_case [`crate::finding::FindingKind`] name, e.g. `broker_down`.
    pub kind: String,
    /// Subject (or implicated broker): a broker.
    pub broker: Option<BrokerId>,
    /// Subject: a group.
    pub group: Option<String>,
    /// Subject: a topic (with `partition`, a partition).
    pub topic: Option<String>,
    /// Subject: a partition of `topic`.
    pub partition: Option<i32>,
    /// Simulated time of the fault that must raise it.
    pub raised_after: Duration,
    /// It must be raised within this long after `raised_after`.
    pub raised_within: Duration,
    /// Simulated time of the recovery, when there is one.
    pub resolved_after: Option<Duration>,
    /// It must be resolved within this long after `resolved_after`.
    pub resolved_within: Option<Duration>,
    /// Line in the scenario file.
    pub line: usize,
}

/// Partition health kinds, least to most severe. The evaluator reports only
/// the most severe one per partition, so an expected `under_replicated` is
/// also met by `at_min_isr`, `under_min_isr` or `partition_offline`.
const PARTITION_LADDER: [&str; 4] = [
    "under_replicated",
    "at_min_isr",
    "under_min_isr",
    "partition_offline",
];

/// Whether a finding of kind `found` meets an expectation of kind
/// `expected`: the same kind, or a more severe partition health kind.
pub fn kind_meets(expected: &str, found: &str) -> bool {
    if expected == found {
        return true;
    }
    let rank = |k: &str| PARTITION_LADDER.iter().position(|x| *x == k);
    matches!((rank(expected), rank(found)), (Some(e), Some(f)) if f >= e)
}

impl Expectation {
    /// Latest simulated time at which the finding must have been raised.
    pub fn raise_deadline(&self) -> Duration {
        self.raised_after + self.raised_within
    }
    /// Latest simulated time at which the finding must be resolved, if any.
    pub fn resolve_deadline(&self) -> Option<Duration> {
        Some(self.resolved_after? + self.resolved_within?)
    }
}

// ---------------------------------------------------------------- raw TOML

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    cluster: ClusterSpec,
    #[serde(default)]
    events: Vec<toml::Spanned<RawEvent>>,
    #[serde(default)]
    expect: Vec<toml::Spanned<RawExpect>>,
    #[serde(default)]
    allow: Vec<toml::Spanned<RawAllow>>,
    settle: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    kind: String,
    broker: Option<BrokerId>,
    group: Option<String>,
    topic: Option<String>,
    reason: String,
}

/// Fields an `[[events]]` entry may carry; which ones are required depends
/// on `action` (see `tests/scenarios/README.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at: String,
    action: String,
    id: Option<String>,
    broker: Option<BrokerId>,
    to: Option<BrokerId>,
    topic: Option<String>,
    group: Option<String>,
    delay: Option<String>,
    duration: Option<String>,
    factor: Option<f64>,
    offsets: Option<i64>,
    mode: Option<String>,
    partition: Option<i32>,
    replicas: Option<Vec<BrokerId>>,
    rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    kind: String,
    broker: Option<BrokerId>,
    group: Option<String>,
    topic: Option<String>,
    partition: Option<i32>,
    /// id of the event that causes it (default: the first event).
    after: Option<String>,
    raised_within: String,
    /// id of the event that ends it (default: the end of the cause's `duration`).
    recovery: Option<String>,
    resolved_within: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|s| s.matches('\n').count() + 1)
        .unwrap_or(1)
}

fn parse_duration(
    origin: &str,
    line: usize,
    field: &str,
    value: &str,
) -> Result<Duration, SimError> {
    humantime::parse_duration(value.trim()).map_err(|e| {
        SimError::Scenario(format!(
            "{origin}:{line}: {field}: expected a duration like \"30s\", found {value:?} ({e})"
        ))
    })
}

impl Scenario {
    /// Parses scenario TOML. `origin` names the source in error messages
    /// (a file name, or `<demo>`).
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, SimError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            // toml names unknown fields itself; for bad values, quote the
            // offending line so the field is named too.
            let src = text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or("")
                .trim();
            let key = src.split('=').next().unwrap_or("").trim();
            if src.contains('=') && !key.is_empty() {
                SimError::Scenario(format!("{origin}:{line}: {key}: {}", e.message().trim()))
            } else {
                SimError::Scenario(format!("{origin}:{line}: {}", e.message().trim()))
            }
        })?;
        let cluster = raw.cluster;
        let cluster_line = text
            .find("[cluster]")
            .map(|o| line_of(text, o))
            .unwrap_or(1);
        let err = |line: usize, field: &str, msg: String| {
            SimError::Scenario(format!("{origin}:{line}: {field}: {msg}"))
        };
        if cluster.brokers == 0 || cluster.brokers > 1000 {
            return Err(err(
                cluster_line,
                "cluster.brokers",
                format!("must be between 1 and 1000, found {}", cluster.brokers),
            ));
        }
        if cluster.first_broker_id < 0 {
            return Err(err(
                cluster_line,
                "cluster.first_broker_id",
                "must be >= 0".into(),
            ));
        }
        let broker_ids: BTreeSet<BrokerId> = (0..cluster.brokers as i32)
            .map(|i| cluster.first_broker_id + i)
            .collect();
        let mut topic_names = BTreeSet::new();
        for (i, t) in cluster.topics.iter().enumerate() {
            let f = |n: &str| format!("cluster.topics[{i}].{n}");
            if t.partitions == 0 {
                return Err(err(
                    cluster_line,
                    &f("partitions"),
                    "must be at least 1".into(),
                ));
            }
            if t.replication_factor == 0 || t.replication_factor > cluster.brokers {
                return Err(err(
                    cluster_line,
                    &f("replication_factor"),
                    format!(
                        "must be between 1 and the number of brokers ({}), found {}",
                        cluster.brokers, t.replication_factor
                    ),
                ));
            }
            if t.burst_every.is_some_and(|d| d.is_zero())
                || t.burst_length.is_zero()
                || !(t.burst_factor.is_finite() && t.burst_factor >= 0.0)
            {
                return Err(err(
                    cluster_line,
                    &f("burst_every"),
                    format!(
                        "burst_every and burst_length must be above 0 and burst_factor a number ≥ 0, found {:?}, {:?}, {}",
                        t.burst_every, t.burst_length, t.burst_factor
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&t.seasonality) || !(0.0..=1.0).contains(&t.noise) {
                return Err(err(
                    cluster_line,
                    &f("seasonality"),
                    "seasonality and noise must be in 0..1".into(),
                ));
            }
            if !(t.rate >= 0.0 && t.rate.is_finite()) {
                return Err(err(
                    cluster_line,
                    &f("rate"),
                    "must be a finite number >= 0".into(),
                ));
            }
            if let Some(reps) = &t.replicas {
                if reps.len() != t.partitions as usize {
                    return Err(err(
                        cluster_line,
                        &f("replicas"),
                        format!(
                            "has {} lists, expected one per partition ({})",
                            reps.len(),
                            t.partitions
                        ),
                    ));
                }
                for r in reps {
                    let uniq: BTreeSet<_> = r.iter().collect();
                    if r.is_empty()
                        || uniq.len() != r.len()
                        || r.iter().any(|b| !broker_ids.contains(b))
                    {
                        return Err(err(
                            cluster_line,
                            &f("replicas"),
                            format!(
                                "{r:?} must list distinct brokers of the cluster {broker_ids:?}"
                            ),
                        ));
                    }
                }
            }
            let names: Vec<String> = match t.count {
                Some(n) => (0..n).map(|k| format!("{}-{k}", t.name)).collect(),
                None => vec![t.name.clone()],
            };
            for n in names {
                if n.is_empty() || !topic_names.insert(n.clone()) {
                    return Err(err(
                        cluster_line,
                        &f("name"),
                        format!("topic name {n:?} is empty or defined twice"),
                    ));
                }
            }
        }
        let mut group_names = BTreeSet::new();
        for (i, g) in cluster.groups.iter().enumerate() {
            for t in &g.topics {
                if !topic_names.contains(t) {
                    return Err(err(
                        cluster_line,
                        &format!("cluster.groups[{i}].topics"),
                        format!("unknown topic {t:?}"),
                    ));
                }
            }
            let names: Vec<String> = match g.count {
                Some(n) => (0..n).map(|k| format!("{}-{k}", g.name)).collect(),
                None => vec![g.name.clone()],
            };
            for n in names {
                if n.is_empty() || !group_names.insert(n.clone()) {
                    return Err(err(
                        cluster_line,
                        &format!("cluster.groups[{i}].name"),
                        format!("group name {n:?} is empty or defined twice"),
                    ));
                }
            }
        }

        let mut events = Vec::new();
        for (i, sp) in raw.events.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let e = sp.get_ref();
            let f = |n: &str| format!("events[{i}].{n}");
            let at = parse_duration(origin, line, &f("at"), &e.at)?;
            let duration = match &e.duration {
                Some(d) => Some(parse_duration(origin, line, &f("duration"), d)?),
                None => None,
            };
            let need_broker = || -> Result<BrokerId, SimError> {
                let b = e.broker.ok_or_else(|| {
                    err(
                        line,
                        &f("broker"),
                        format!("required for action {:?}", e.action),
                    )
                })?;
                if !broker_ids.contains(&b) {
                    return Err(err(
                        line,
                        &f("broker"),
                        format!("broker {b} is not in the cluster {broker_ids:?}"),
                    ));
                }
                Ok(b)
            };
            let need_group = || -> Result<String, SimError> {
                let g = e.group.clone().ok_or_else(|| {
                    err(
                        line,
                        &f("group"),
                        format!("required for action {:?}", e.action),
                    )
                })?;
                if !group_names.contains(&g) {
                    return Err(err(line, &f("group"), format!("unknown group {g:?}")));
                }
                Ok(g)
            };
            let opt_topic = || -> Result<Option<String>, SimError> {
                match &e.topic {
                    Some(t) if !topic_names.contains(t) => {
                        Err(err(line, &f("topic"), format!("unknown topic {t:?}")))
                    }
                    t => Ok(t.clone()),
                }
            };
            let factor = |default: Option<f64>| -> Result<f64, SimError> {
                let v = e
                    .factor
                    .or(default)
                    .ok_or_else(|| err(line, &f("factor"), "required".into()))?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err(err(
                        line,
                        &f("factor"),
                        format!("must be a number >= 0, found {v}"),
                    ));
                }
                Ok(v)
            };
            let action = match e.action.as_str() {
                "broker_down" => Action::BrokerDown {
                    broker: need_broker()?,
                },
                "broker_up" => Action::BrokerUp {
                    broker: need_broker()?,
                },
                "controlled_shutdown" => Action::ControlledShutdown {
                    broker: need_broker()?,
                },
                "slow_follower" => Action::SlowFollower {
                    broker: need_broker()?,
                    delay: match &e.delay {
                        Some(d) => parse_duration(origin, line, &f("delay"), d)?,
                        None => Duration::from_secs(120),
                    },
                },
                "recover_follower" => Action::RecoverFollower {
                    broker: need_broker()?,
                },
                "voter_lag" => Action::VoterLag {
                    broker: need_broker()?,
                    delay: match &e.delay {
                        Some(d) => parse_duration(origin, line, &f("delay"), d)?,
                        None => Duration::from_secs(60),
                    },
                },
                "voter_down" => Action::VoterDown {
                    broker: need_broker()?,
                },
                "voter_recover" => Action::VoterRecover {
                    broker: need_broker()?,
                },
                "network_partition" => Action::NetworkPartition {
                    broker: need_broker()?,
                    mode: match e.mode.as_deref().unwrap_or("brokers") {
                        "brokers" => PartitionMode::Brokers,
                        "clients" => PartitionMode::Clients,
                        "unresponsive" => PartitionMode::Unresponsive,
                        m => {
                            return Err(err(
                                line,
                                &f("mode"),
                                format!("expected \"brokers\", \"clients\" or \"unresponsive\", found {m:?}"),
                            ))
                        }
                    },
                },
                "heal_partition" => Action::HealPartition {
                    broker: need_broker()?,
                },
                "log_dir_failure" => Action::LogDirFailure {
                    broker: need_broker()?,
                },
                "log_dir_recover" => Action::LogDirRecover {
                    broker: need_broker()?,
                },
                "controller_failover" => Action::ControllerFailover {
                    to: match e.to {
                        Some(b) if !broker_ids.contains(&b) => {
                            return Err(err(
                                line,
                                &f("to"),
                                format!("broker {b} is not in the cluster"),
                            ))
                        }
                        t => t,
                    },
                },
                "leader_imbalance" => Action::LeaderImbalance {
                    broker: need_broker()?,
                },
                "leader_rebalance" => Action::LeaderRebalance,
                "reassign" => {
                    let topic = opt_topic()?
                        .ok_or_else(|| err(line, &f("topic"), "required for action \"reassign\"".into()))?;
                    let replicas = e
                        .replicas
                        .clone()
                        .ok_or_else(|| err(line, &f("replicas"), "required for action \"reassign\"".into()))?;
                    let mut seen = BTreeSet::new();
                    if replicas.is_empty() || !replicas.iter().all(|b| seen.insert(*b)) {
                        return Err(err(
                            line,
                            &f("replicas"),
                            format!("must list distinct brokers, found {replicas:?}"),
                        ));
                    }
                    if let Some(b) = replicas.iter().find(|b| !broker_ids.contains(b)) {
                        return Err(err(
                            line,
                            &f("replicas"),
                            format!("broker {b} is not in the cluster {broker_ids:?}"),
                        ));
                    }
                    let rate = e.rate.unwrap_or(2_000.0);
                    if !(rate.is_finite() && rate > 0.0) {
                        return Err(err(
                            line,
                            &f("rate"),
                            format!("must be a number > 0 (messages/s), found {rate}"),
                        ));
                    }
                    Action::Reassign {
                        topic,
                        partition: e.partition,
                        replicas,
                        rate,
                    }
                }
                "traffic_spike" => Action::TrafficSpike {
                    topic: opt_topic()?,
                    factor: factor(Some(10.0))?,
                },
                "traffic_stop" => Action::TrafficStop {
                    topic: opt_topic()?,
                },
                "traffic_normal" => Action::TrafficNormal {
                    topic: opt_topic()?,
                },
                "consumer_stall" => Action::ConsumerStall {
                    group: need_group()?,
                },
                "consumer_stop" => Action::ConsumerStop {
                    group: need_group()?,
                },
                "consumer_rewind" => Action::ConsumerRewind {
                    group: need_group()?,
                    offsets: e.offsets,
                },
                "consumer_slowdown" => Action::ConsumerSlowdown {
                    group: need_group()?,
                    factor: factor(Some(0.3))?,
                },
                "consumer_recover" => Action::ConsumerRecover {
                    group: need_group()?,
                },
                "group_delete" => Action::GroupDelete {
                    group: need_group()?,
                },
                other => {
                    return Err(err(
                        line,
                        &f("action"),
                        format!(
                            "unknown action {other:?} (see tests/scenarios/README.md for the list)"
                        ),
                    ))
                }
            };
            if duration.is_some() && action.recovery().is_none() {
                return Err(err(
                    line,
                    &f("duration"),
                    format!("action {:?} has no recovery to schedule", e.action),
                ));
            }
            events.push(Event {
                at,
                id: e.id.clone(),
                action,
                duration,
                line,
            });
        }
        events.sort_by_key(|e| e.at);

        let mut expect = Vec::new();
        for (i, sp) in raw.expect.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let x = sp.get_ref();
            let f = |n: &str| format!("expect[{i}].{n}");
            if FindingKind::from_name(&x.kind).is_none() {
                return Err(err(
                    line,
                    &f("kind"),
                    format!(
                        "unknown finding kind {:?}, expected one of {}",
                        x.kind,
                        FindingKind::names()
                    ),
                ));
            }
            let find = |id: &str, field: &str| -> Result<&Event, SimError> {
                events
                    .iter()
                    .find(|e| e.id.as_deref() == Some(id))
                    .ok_or_else(|| err(line, &f(field), format!("no event has id {id:?}")))
            };
            let cause = match &x.after {
                Some(id) => find(id, "after")?,
                None => events
                    .first()
                    .ok_or_else(|| err(line, &f("after"), "the scenario has no events".into()))?,
            };
            let raised_within =
                parse_duration(origin, line, &f("raised_within"), &x.raised_within)?;
            let resolved_after = match &x.recovery {
                Some(id) => Some(find(id, "recovery")?.at),
                None => cause.duration.map(|d| cause.at + d),
            };
            let resolved_within = match &x.resolved_within {
                Some(d) => Some(parse_duration(origin, line, &f("resolved_within"), d)?),
                None => None,
            };
            if resolved_within.is_some() && resolved_after.is_none() {
                return Err(err(
                    line,
                    &f("recovery"),
                    "resolved_within needs a recovery event id or a cause with a duration".into(),
                ));
            }
            expect.push(Expectation {
                kind: x.kind.clone(),
                broker: x.broker,
                group: x.group.clone(),
                topic: x.topic.clone(),
                partition: x.partition,
                raised_after: cause.at,
                raised_within,
                resolved_after,
                resolved_within,
                line,
            });
        }
        let mut allow = Vec::new();
        for (i, sp) in raw.allow.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let x = sp.get_ref();
            if FindingKind::from_name(&x.kind).is_none() {
                return Err(err(
                    line,
                    &format!("allow[{i}].kind"),
                    format!(
                        "unknown finding kind {:?}, expected one of {}",
                        x.kind,
                        FindingKind::names()
                    ),
                ));
            }
            if x.reason.trim().is_empty() {
                return Err(err(
                    line,
                    &format!("allow[{i}].reason"),
                    "must say why this may be notified".into(),
                ));
            }
            allow.push(Allowance {
                kind: x.kind.clone(),
                broker: x.broker,
                group: x.group.clone(),
                topic: x.topic.clone(),
                reason: x.reason.clone(),
                line,
            });
        }
        let settle = match &raw.settle {
            Some(d) => parse_duration(origin, 1, "settle", d)?,
            None => DEFAULT_SETTLE,
        };
        Ok(Scenario {
            cluster,
            events,
            expect,
            allow,
            settle,
        })
    }

    /// Reads and parses a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Scenario(format!("{}: cannot read: {e}", path.display())))?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// The embedded demo scenario (`src/sim/demo.toml`).
    pub fn demo() -> Scenario {
        // The file is part of the binary and covered by a unit test.
        Scenario::parse(DEMO_TOML, "<demo>").unwrap_or_else(|e| panic!("embedded demo.toml: {e}"))
    }

    /// A scenario without events over [`ClusterSpec::synthetic`].
    pub fn synthetic(
        brokers: u32,
        topics: u32,
        partitions_per_topic: u32,
        rf: u32,
        groups: u32,
    ) -> Scenario {
        Scenario {
            cluster: ClusterSpec::synthetic(brokers, topics, partitions_per_topic, rf, groups),
            events: Vec::new(),
            expect: Vec::new(),
            allow: Vec::new(),
            settle: DEFAULT_SETTLE,
        }
    }
}

/// How long a cluster gets to be healthy after its last event, by default.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(180);

impl Scenario {
    /// Simulated time of the last event or scheduled recovery.
    pub fn last_event(&self) -> Duration {
        self.events
            .iter()
            .map(|e| e.at + e.duration.unwrap_or_default())
            .max()
            .unwrap_or_default()
    }

    /// The same scenario with every event (and the times expectations are
    /// counted from) `by` later: a monitor that has watched the healthy
    /// cluster for `by` before the first fault, as a running daemon has.
    pub fn delayed(&self, by: Duration) -> Scenario {
        let mut s = self.clone();
        for e in &mut s.events {
            e.at += by;
        }
        for x in &mut s.expect {
            x.raised_after += by;
            if let Some(r) = &mut x.resolved_after {
                *r += by;
            }
        }
        s
    }
}

/// The demo scenario text.
pub const DEMO_TOML: &str = include_str!("demo.toml");

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
                message_bytes: default_msg_size(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_parses() {
        let s = Scenario::demo();
        assert_eq!(s.cluster.brokers, 5);
        assert!(!s.events.is_empty());
    }

    #[test]
    fn unknown_field_names_field_and_line() {
        let text = "[cluster]\nbrokers = 3\n\n[[events]]\nat = \"1s\"\naction = \"broker_down\"\nbrokr = 2\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("brokr"), "{e}");
        assert!(e.contains("x.toml:"), "{e}");
    }

    #[test]
    fn semantic_errors_name_field_and_line() {
        let text = "[cluster]\nbrokers = 3\n\n[[events]]\nat = \"1s\"\naction = \"broker_down\"\nbroker = 9\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml:4: events[0].broker"), "{e}");
        let text = "[cluster]\nbrokers = 3\n[[events]]\nat = \"soon\"\naction = \"broker_down\"\nbroker = 1\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml:3: events[0].at"), "{e}");
    }
}
