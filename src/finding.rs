//! What the evaluator concludes from a snapshot: a [`Finding`].
//!
//! Findings cross from `evaluate` to `incident`. They are structured facts
//! (kind, subject, implicated brokers, numbers), never prose, so that
//! incidents can be grouped and fingerprinted from fields alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod evidence;
mod kind;

pub use evidence::{Evidence, Label, Metric};
pub use kind::FindingKind;

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
    /// Since when it has named exactly its `brokers` (set by the evaluator,
    /// from the first snapshot that showed them, its `for` wait included);
    /// `None`: not known, take `since`. Not serialized: only the incident
    /// manager reads it, as the findings arrive.
    #[serde(skip)]
    pub brokers_since: Option<Time>,
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
            brokers_since: None,
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
