//! The interface between the evaluator and an anomaly detector, and the
//! stable names of the series the evaluator scores.
//!
//! Series names (per cluster; the evaluator is per cluster):
//!
//! | name | value per poll |
//! |---|---|
//! | `under_replicated_partitions` | count of under-replicated partitions |
//! | `under_min_isr_partitions` | count of under-min-ISR partitions |
//! | `offline_partitions` | count of offline partitions |
//! | `isr_shrinks` | ISR shrink events since the previous snapshot |
//! | `poll_duration_seconds` | how long the poll took (scored and exported, never raised as a finding: it is the monitor's health, moved by a busy host) |
//! | `group_lag{group="NAME"}` | the group's total lag (messages) |
//! | `group_lag_growth{group="NAME"}` | change of total lag per second since the previous poll |
//! | `produce_rate{topic="NAME"}` | messages appended per second (end-offset deltas / elapsed time) |
//! | `leader_share{broker="ID"}` | share of online partitions the broker leads, in `[0, 1]` |
//!
//! Label values are escaped like Prometheus label values (`\\`, `\"`, `\n`).

use crate::finding::AnomalyScore;

/// Scores numeric series point by point. One instance per cluster; it keeps
/// its own bounded state per series name.
pub trait SeriesScorer: Send {
    /// Scores `value` observed at `t` (unix seconds) on `series`. `None`
    /// while the scorer has no opinion yet (warming up).
    fn score(&mut self, series: &str, t: i64, value: f64) -> Option<AnomalyScore>;
    /// Scores at or above this raise an `anomaly` finding.
    fn threshold(&self) -> f64;
    /// Drops the state of a series that no longer exists (deleted group,
    /// topic or broker), so memory stays bounded.
    fn forget(&mut self, series: &str);
}

/// A scorer that never scores: for tests and for running without a detector.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoScorer;

impl SeriesScorer for NoScorer {
    fn score(&mut self, _series: &str, _t: i64, _value: f64) -> Option<AnomalyScore> {
        None
    }
    fn threshold(&self) -> f64 {
        1.0
    }
    fn forget(&mut self, _series: &str) {}
}

/// Series name of a cluster-wide count (`under_replicated_partitions`, ...).
pub const UNDER_REPLICATED: &str = "under_replicated_partitions";
/// See the module table.
pub const UNDER_MIN_ISR: &str = "under_min_isr_partitions";
/// See the module table.
pub const OFFLINE: &str = "offline_partitions";
/// See the module table.
pub const ISR_SHRINKS: &str = "isr_shrinks";
/// See the module table.
pub const POLL_DURATION: &str = "poll_duration_seconds";

/// `group_lag{group="NAME"}`.
pub fn group_lag_series(group: &str) -> String {
    labelled("group_lag", "group", group)
}

/// `group_lag_growth{group="NAME"}`.
pub fn group_lag_growth_series(group: &str) -> String {
    labelled("group_lag_growth", "group", group)
}

/// `produce_rate{topic="NAME"}`.
pub fn produce_rate_series(topic: &str) -> String {
    labelled("produce_rate", "topic", topic)
}

/// Series whose jumps a replication event (a broker down or back, replicas
/// catching up, leaders moving) explains: the partition-state counts, ISR
/// shrinks and leadership shares.
pub fn explained_by_replication(series: &str) -> bool {
    [UNDER_REPLICATED, UNDER_MIN_ISR, OFFLINE, ISR_SHRINKS].contains(&series)
        || series.starts_with("leader_share{")
}

/// `leader_share{broker="ID"}`.
pub fn leader_share_series(broker: i32) -> String {
    labelled("leader_share", "broker", &broker.to_string())
}

/// `name{key="value"}` with the value escaped.
fn labelled(name: &str, key: &str, value: &str) -> String {
    let mut s = String::with_capacity(name.len() + key.len() + value.len() + 6);
    s.push_str(name);
    s.push('{');
    s.push_str(key);
    s.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s.push_str("\"}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_escaped() {
        assert_eq!(group_lag_series("billing"), r#"group_lag{group="billing"}"#);
        assert_eq!(
            produce_rate_series("a\"b\\c\nd"),
            r#"produce_rate{topic="a\"b\\c\nd"}"#
        );
        assert_eq!(leader_share_series(3), r#"leader_share{broker="3"}"#);
        assert_eq!(
            group_lag_growth_series("g"),
            r#"group_lag_growth{group="g"}"#
        );
    }

    #[test]
    fn no_scorer_scores_nothing() {
        let mut s = NoScorer;
        assert!(s.score("x", 0, 1.0).is_none());
        s.forget("x");
        assert_eq!(s.threshold(), 1.0);
    }
}
