//! What a monitor must notify (`[[expect]]`) and may notify (`[[allow]]`).

use std::time::Duration;

use crate::snapshot::BrokerId;

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
    /// Its recovery is a named event (`recovery = "id"`): the fault lasts
    /// until then, and nothing it explains may be notified resolved before
    /// (the closed-world check, `sim::judge`). A recovery taken from the
    /// cause's duration may outlast what was raised: an unclean election is
    /// over once it happened, though the broker stays down.
    pub recovery_named: bool,
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
