//! Evaluation: snapshot in, findings out (rules, consumer lag status,
//! anomaly scores).

mod config;
pub mod lag;
mod rules;
pub mod scorer;

pub use config::{LagConfig, RulesConfig, RULE_NAMES};
pub use lag::LagTracker;
pub use rules::{RuleEvaluator, StateSize};
pub use scorer::{NoScorer, SeriesScorer};

use crate::finding::{AnomalyScore, Finding};
use crate::snapshot::{ClusterSnapshot, Time};

/// The result of evaluating one snapshot.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// The latest score of every series scored (for `/metrics` and the API).
    pub anomalies: Vec<AnomalyScore>,
    /// Lag status of every group in the snapshot, sorted by group name.
    pub groups: Vec<GroupLagStatus>,
}

/// Turns snapshots of one cluster into findings. Keeps per-cluster history
/// (windows, detector state), so one evaluator per cluster.
pub trait Evaluator: Send {
    fn evaluate(&mut self, snapshot: &ClusterSnapshot, now: Time) -> Evaluation;
}

/// Consumer-group lag status, in Burrow's vocabulary.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum LagStatus {
    /// Caught up, or progressing with non-growing lag, or idle and caught up.
    #[default]
    Ok,
    /// Progressing, but lag grows steadily.
    Warn,
    /// Lag grows and the consumer fell further behind over the whole window.
    Err,
    /// Committed offsets stopped moving while lag is non-zero, and the last
    /// commit is older than the window.
    Stop,
    /// Still committing, but the committed offset does not move while lag is non-zero.
    Stall,
    /// The committed offset went backwards.
    Rewind,
}

impl LagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LagStatus::Ok => "OK",
            LagStatus::Warn => "WARN",
            LagStatus::Err => "ERR",
            LagStatus::Stop => "STOP",
            LagStatus::Stall => "STALL",
            LagStatus::Rewind => "REWIND",
        }
    }
    /// Numeric code for metrics: OK=0, WARN=1, ERR=2, STOP=3, STALL=4, REWIND=5.
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// Lag status of one partition of one group.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PartitionLagStatus {
    pub topic: String,
    pub partition: i32,
    pub status: LagStatus,
    pub lag: Option<i64>,
    pub lag_seconds: Option<f64>,
}

/// Lag status of one group: the worst of its partitions, with why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupLagStatus {
    pub group: String,
    pub status: LagStatus,
    /// One sentence: why this status.
    pub reason: String,
    pub total_lag: i64,
    pub max_lag_seconds: Option<f64>,
    pub partitions: Vec<PartitionLagStatus>,
}
