//! What an evaluation yields: findings, anomaly scores, each group's lag
//! status; and the [`Evaluator`] trait. A leaf: the rules, the lag tracker
//! and the configuration import it, not the module's facade.

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

    /// What it has learnt that is worth keeping across a restart of the
    /// daemon (saved in `state_dir` at shutdown); `None`: nothing.
    fn memory(&self) -> Option<EvaluatorMemory> {
        None
    }

    /// Puts back what [`Evaluator::memory`] gave, before the first snapshot.
    fn restore(&mut self, _memory: EvaluatorMemory) {}
}

/// What an evaluator keeps across a restart: each consumer group's habits
/// and where its partitions stood. Without it every restart of the daemon
/// (a deploy, a sidecar's pod restart) paged a job that commits every 30
/// minutes as STALL about 5 minutes in, and the first two exits of a
/// scheduled job as STOP: nothing seen since the start tells them from a
/// hang.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvaluatorMemory {
    #[serde(default)]
    pub groups: std::collections::BTreeMap<String, GroupMemory>,
    /// Groups seen with members (`unread_data_deleted` judges only
    /// those): a group whose consumers were down across a restart of
    /// isrwatch is still one.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub alive_groups: std::collections::BTreeSet<String>,
    /// Anomalies held at shutdown, by series: a topic whose producers
    /// stopped stays raised until it moves. Without them a restart (whose
    /// detectors start afresh and learn the silence) resolved the stop
    /// while the producers were still stopped.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub held_anomalies: std::collections::BTreeMap<String, HeldMemory>,
    /// When each produce rate was stopped in the last days, by series: a
    /// topic quiet every night is not raised again on the first two nights
    /// after a restart.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub stopped_hours: std::collections::BTreeMap<String, StopHoursMemory>,
    /// Series whose held stop ended lately, and when (their return is no
    /// news).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub resumed: std::collections::BTreeMap<String, Time>,
    /// Each topic's end offsets at the last poll, by partition id, and
    /// when: the first poll after a restart has a produce rate (one it
    /// lacked resolved every open incident it held, such as a stop).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub topic_ends: std::collections::BTreeMap<String, (Time, Vec<(i32, i64)>)>,
    /// Each group's total lag at the last poll, and when (its growth).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub group_lags: std::collections::BTreeMap<String, (Time, i64)>,
}

/// One held anomaly in [`EvaluatorMemory`] (the anomaly rule's hold).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeldMemory {
    pub alert: AnomalyScore,
    pub at: Time,
    pub last: Time,
    pub stop_below: Option<f64>,
    pub stopped: bool,
    pub raised: bool,
    pub from_range: bool,
    /// A fall of a produce rate (held while below its usual rate).
    #[serde(default)]
    pub fall: bool,
    #[serde(default)]
    pub below_usual: bool,
}

/// One produce rate's recent stops in [`EvaluatorMemory`]: the day of
/// `days[0]` (days since the epoch), one bit per half hour stopped on it
/// and on the two days before, and since when it has been stopped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StopHoursMemory {
    pub day: i64,
    pub days: [u64; 3],
    pub since: Option<i64>,
    /// Whether the current stop began in its usual quiet hours.
    #[serde(default)]
    pub habitual: bool,
}

/// One consumer group in [`EvaluatorMemory`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupMemory {
    /// The latest gaps between its commits, in milliseconds (its cadence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps_ms: Vec<u64>,
    /// Which of `gaps_ms` were waits (counted from when its lag began, not
    /// from the commit before); missing: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gap_waits: Vec<bool>,
    /// The gap before its first commit seen, while the cadence was learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_gap_ms: Option<u64>,
    /// The spells without members it came back from, in milliseconds (a
    /// scheduled job's waits between runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_spells_ms: Vec<u64>,
    /// How long its last run lasted, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_ms: Option<u64>,
    /// Since when it has had no members, if it had none at shutdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_since: Option<Time>,
    /// Whether its current spell without members began with its run's
    /// work done (a scheduled job between runs, not a crash).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exit_finished: bool,
    /// Since when it has had members, if it had some at shutdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<Time>,
    /// Its partitions that owed a commit at shutdown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionMemory>,
}

/// Where one partition of a group owing a commit stood at shutdown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PartitionMemory {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    /// First time that committed offset was seen.
    pub committed_since: Time,
    /// Since when the partition has owed a commit on it, if it had lag:
    /// a hang under way at shutdown keeps counting from there.
    #[serde(default)]
    pub owing_since: Option<Time>,
    /// The first poll that showed that lag.
    #[serde(default)]
    pub owing_first_seen: Option<Time>,
    /// Polls after that one that still showed it.
    #[serde(default)]
    pub owing_later_polls: u32,
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
    /// Caught up (lag ≤ `caught_up_lag`, also on an idle topic whose
    /// committed offset never moves), or keeping up. Also the status of a
    /// partition the group never committed.
    #[default]
    Ok,
    /// Slow but progressing: over a full window in which the consumer
    /// committed, the lag never decreased and grew, the consumer advancing
    /// by less than `warn_consume_ratio` (default 0.9) but at least
    /// `err_consume_ratio` of what producers appended.
    Warn,
    /// Falling behind for good: over a full window in which the consumer
    /// committed, the lag never decreased and grew, and the consumer
    /// advanced, but by less than `err_consume_ratio` (default half) of
    /// what producers appended. A consumer that did not commit at all is a
    /// STALL or STOP question (its commit cadence), not ERR.
    Err,
    /// The group has no member, lag > 0, and the committed offset has not
    /// changed for longer than `stop_after`.
    Stop,
    /// The group has members, lag > 0, and the committed offset has not
    /// changed for longer than `stall_after` (or than its commit cadence
    /// allows: `evaluate::lag`).
    Stall,
    /// The committed offset went backwards less than `rewind_for` ago.
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

/// Lag status of one group: the most severe of its partitions, with why.
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
