//! What the evaluator concludes from a snapshot: a [`Finding`].
//!
//! Findings cross from `evaluate` to `incident`. They are structured facts
//! (kind, subject, implicated brokers, numbers), never prose, so that
//! incidents can be grouped and fingerprinted from fields alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod evidence;

pub use evidence::{Evidence, Label, Metric};

use crate::snapshot::{BrokerId, Time};

/// How bad it is. Ordered: `Info < Warning < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem a finding reports. The snake_case name is stable:
/// it appears in fingerprints, metrics labels and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The cluster could not be polled at all.
    ClusterUnreachable,
    /// A broker seen before (or named in replica lists) is absent from metadata.
    BrokerDown,
    /// A broker in the metadata that the monitor cannot connect to, or that
    /// does not answer: alive for the cluster, unusable for clients.
    BrokerUnreachable,
    /// Metadata names no active controller.
    NoController,
    /// The controller moved several times within the window.
    ControllerUnstable,
    /// A voter of the KRaft metadata quorum has not caught up with its
    /// leader for `quorum_lag_for`.
    QuorumLag,
    /// Too few voters are caught up for the quorum to survive one more
    /// failure (or to have a majority at all).
    QuorumDegraded,
    PartitionOffline,
    UnderMinIsr,
    AtMinIsr,
    UnderReplicated,
    /// A partition's new leader was not in its last known ISR (with unclean
    /// election possible), or its high watermark moved backwards: a stale
    /// replica leads and acknowledged writes may be lost.
    UncleanElection,
    /// Many ISR shrinks/expands within the window.
    IsrChurn,
    /// A broker leads far more or fewer partitions than its preferred share.
    LeaderImbalance,
    /// Partitions are being reassigned (their added replicas copy the log):
    /// info while it progresses, a warning once it made no progress for
    /// `reassignment_stuck_after`.
    ReassignmentInProgress,
    /// Follower lag from the sidecar (JMX) source.
    FollowerLag,
    /// Consumer group lag status other than OK.
    ConsumerLag,
    /// A series' anomaly score crossed the alert threshold.
    Anomaly,
}

impl FindingKind {
    /// Every kind, in declaration order: the one list that config
    /// validation, scenario files and tests check names against.
    pub const ALL: [FindingKind; 18] = [
        FindingKind::ClusterUnreachable,
        FindingKind::BrokerDown,
        FindingKind::BrokerUnreachable,
        FindingKind::NoController,
        FindingKind::ControllerUnstable,
        FindingKind::QuorumLag,
        FindingKind::QuorumDegraded,
        FindingKind::PartitionOffline,
        FindingKind::UnderMinIsr,
        FindingKind::AtMinIsr,
        FindingKind::UnderReplicated,
        FindingKind::UncleanElection,
        FindingKind::IsrChurn,
        FindingKind::LeaderImbalance,
        FindingKind::ReassignmentInProgress,
        FindingKind::FollowerLag,
        FindingKind::ConsumerLag,
        FindingKind::Anomaly,
    ];

    /// The kind named `name` (its snake_case name), if any.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Every kind's snake_case name, comma-separated, for error messages.
    pub fn names() -> String {
        Self::ALL.map(|k| k.as_str()).join(", ")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ClusterUnreachable => "cluster_unreachable",
            FindingKind::BrokerDown => "broker_down",
            FindingKind::BrokerUnreachable => "broker_unreachable",
            FindingKind::NoController => "no_controller",
            FindingKind::ControllerUnstable => "controller_unstable",
            FindingKind::QuorumLag => "quorum_lag",
            FindingKind::QuorumDegraded => "quorum_degraded",
            FindingKind::PartitionOffline => "partition_offline",
            FindingKind::UnderMinIsr => "under_min_isr",
            FindingKind::AtMinIsr => "at_min_isr",
            FindingKind::UnderReplicated => "under_replicated",
            FindingKind::UncleanElection => "unclean_election",
            FindingKind::IsrChurn => "isr_churn",
            FindingKind::LeaderImbalance => "leader_imbalance",
            FindingKind::ReassignmentInProgress => "reassignment_in_progress",
            FindingKind::FollowerLag => "follower_lag",
            FindingKind::ConsumerLag => "consumer_lag",
            FindingKind::Anomaly => "anomaly",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Subject {
    Cluster,
    Broker {
        id: BrokerId,
    },
    Topic {
        topic: String,
    },
    Partition {
        topic: String,
        partition: i32,
    },
    Group {
        group: String,
    },
    /// A numeric series watched by the anomaly detector, e.g.
    /// `under_replicated_partitions` or `group_lag{group="billing"}`.
    Series {
        series: String,
    },
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Cluster => write!(f, "cluster"),
            Subject::Broker { id } => write!(f, "broker {id}"),
            Subject::Topic { topic } => write!(f, "topic {topic:?}"),
            Subject::Partition { topic, partition } => write!(f, "{topic:?}-{partition}"),
            Subject::Group { group } => write!(f, "group {group:?}"),
            Subject::Series { series } => write!(f, "series {series}"),
        }
    }
}

/// An anomaly score with the explanation a person reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyScore {
    /// The series scored, e.g. `under_replicated_partitions`.
    pub series: String,
    /// In `[0, 1]`.
    pub score: f64,
    pub observed: f64,
    /// The range the detector expected for this point.
    pub expected_low: f64,
    pub expected_high: f64,
    /// When the series started behaving unusually, if it has been for a while.
    pub since: Option<Time>,
    /// One sentence: "observed 412, expected 0..3 (robust z 9.1), unusual since 10:02".
    pub explanation: String,
}

/// One conclusion of the evaluator about one subject at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The configured cluster name.
    pub cluster: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub subject: Subject,
    /// Brokers this finding implicates, e.g. the ones missing from an ISR.
    /// Incidents use them to group partition findings under a broker.
    pub brokers: Vec<BrokerId>,
    /// Numbers behind the finding (`isr`, `min_isr`, `total_lag`, ...);
    /// [`FindingKind::evidence`] lists the keys of each kind.
    pub metrics: BTreeMap<Metric, f64>,
    /// Short structured facts (`lag_status` = `STALL`, ...).
    pub labels: BTreeMap<Label, String>,
    pub anomaly: Option<AnomalyScore>,
    /// Since when the condition holds (first snapshot that showed it).
    pub since: Time,
    /// The snapshot time that produced this finding.
    pub observed_at: Time,
}

impl Finding {
    /// A finding with empty evidence; fill the rest with the builder methods.
    pub fn new(
        cluster: &str,
        kind: FindingKind,
        severity: Severity,
        subject: Subject,
        now: Time,
    ) -> Self {
        Finding {
            cluster: cluster.to_string(),
            kind,
            severity,
            subject,
            brokers: Vec::new(),
            metrics: BTreeMap::new(),
            labels: BTreeMap::new(),
            anomaly: None,
            since: now,
            observed_at: now,
        }
    }

    pub fn with_brokers(mut self, brokers: impl IntoIterator<Item = BrokerId>) -> Self {
        self.brokers = brokers.into_iter().collect();
        self.brokers.sort_unstable();
        self.brokers.dedup();
        self
    }

    /// Adds a number; `key` must be one its kind carries
    /// ([`FindingKind::evidence`]).
    pub fn with_metric(mut self, key: Metric, value: f64) -> Self {
        debug_assert!(
            self.kind.evidence().metrics.contains(&key),
            "{} findings do not carry metric {key}",
            self.kind
        );
        self.metrics.insert(key, value);
        self
    }

    /// Adds a fact; `key` must be one its kind carries
    /// ([`FindingKind::evidence`]).
    pub fn with_label(mut self, key: Label, value: impl Into<String>) -> Self {
        debug_assert!(
            self.kind.evidence().labels.contains(&key),
            "{} findings do not carry label {key}",
            self.kind
        );
        self.labels.insert(key, value.into());
        self
    }

    /// The number under `key`, if the finding has it.
    pub fn metric(&self, key: Metric) -> Option<f64> {
        self.metrics.get(&key).copied()
    }

    /// The fact under `key`, if the finding has it.
    pub fn label(&self, key: Label) -> Option<&str> {
        self.labels.get(&key).map(String::as_str)
    }

    pub fn with_since(mut self, since: Time) -> Self {
        self.since = since;
        self
    }
}
