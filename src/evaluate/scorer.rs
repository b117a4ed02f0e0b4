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
//! [`Series`] is the typed form of these names.

use crate::finding::AnomalyScore;
use crate::snapshot::BrokerId;

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

/// A series the evaluator scores: what it measures and what it is about.
/// Its name ([`Series::name`], also `Display`) is the stable string the
/// scorer, the anomaly's subject, `/metrics` and the API see (the module
/// table); [`Series::parse`] reads a name back, so decisions about a series
/// (which incident an anomaly joins) are made on the type, never on
/// prefixes or substrings of its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Series {
    /// `under_replicated_partitions`
    UnderReplicated,
    /// `under_min_isr_partitions`
    UnderMinIsr,
    /// `offline_partitions`
    Offline,
    /// `isr_shrinks`
    IsrShrinks,
    /// `poll_duration_seconds`
    PollDuration,
    /// `group_lag{group="NAME"}`
    GroupLag(String),
    /// `group_lag_growth{group="NAME"}`
    GroupLagGrowth(String),
    /// `produce_rate{topic="NAME"}`
    ProduceRate(String),
    /// `leader_share{broker="ID"}`
    LeaderShare(BrokerId),
}

impl Series {
    /// The name before any label: `group_lag`, `leader_share`, ...
    pub fn family(&self) -> &'static str {
        match self {
            Series::UnderReplicated => "under_replicated_partitions",
            Series::UnderMinIsr => "under_min_isr_partitions",
            Series::Offline => "offline_partitions",
            Series::IsrShrinks => "isr_shrinks",
            Series::PollDuration => "poll_duration_seconds",
            Series::GroupLag(_) => "group_lag",
            Series::GroupLagGrowth(_) => "group_lag_growth",
            Series::ProduceRate(_) => "produce_rate",
            Series::LeaderShare(_) => "leader_share",
        }
    }

    /// The stable name, `family{key="value"}` with the value escaped.
    pub fn name(&self) -> String {
        match self {
            Series::GroupLag(g) | Series::GroupLagGrowth(g) => labelled(self.family(), "group", g),
            Series::ProduceRate(t) => labelled(self.family(), "topic", t),
            Series::LeaderShare(b) => labelled(self.family(), "broker", &b.to_string()),
            _ => self.family().to_string(),
        }
    }

    /// The series named `name`, if it is one the evaluator scores.
    pub fn parse(name: &str) -> Option<Series> {
        let Some((family, rest)) = name.split_once('{') else {
            return [
                Series::UnderReplicated,
                Series::UnderMinIsr,
                Series::Offline,
                Series::IsrShrinks,
                Series::PollDuration,
            ]
            .into_iter()
            .find(|s| s.family() == name);
        };
        let (key, value) = rest.strip_suffix("\"}")?.split_once("=\"")?;
        let value = unescape(value)?;
        match (family, key) {
            ("group_lag", "group") => Some(Series::GroupLag(value)),
            ("group_lag_growth", "group") => Some(Series::GroupLagGrowth(value)),
            ("produce_rate", "topic") => Some(Series::ProduceRate(value)),
            ("leader_share", "broker") => value.parse().ok().map(Series::LeaderShare),
            _ => None,
        }
    }

    /// The consumer group it is about.
    pub fn group(&self) -> Option<&str> {
        match self {
            Series::GroupLag(g) | Series::GroupLagGrowth(g) => Some(g),
            _ => None,
        }
    }

    /// The topic it is about.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Series::ProduceRate(t) => Some(t),
            _ => None,
        }
    }

    /// The broker it is about.
    pub fn broker(&self) -> Option<BrokerId> {
        match self {
            Series::LeaderShare(b) => Some(*b),
            _ => None,
        }
    }

    /// A cluster-wide count of partition states or ISR changes: its jumps
    /// are the replication problem the rules name.
    pub fn is_replication_count(&self) -> bool {
        matches!(
            self,
            Series::UnderReplicated | Series::UnderMinIsr | Series::Offline | Series::IsrShrinks
        )
    }

    /// Whether a replication event (a broker down or back, replicas
    /// catching up, leaders moving) explains its jumps: the replication
    /// counts and leadership shares.
    pub fn explained_by_replication(&self) -> bool {
        self.is_replication_count() || matches!(self, Series::LeaderShare(_))
    }

    /// Whether an unusual score may become an `anomaly` finding. Not the
    /// poll's own duration: that is the monitor's health (a busy host moves
    /// it), scored and exported, never an alert.
    pub fn may_alert(&self) -> bool {
        *self != Series::PollDuration
    }
}

impl std::fmt::Display for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The value of a label written by `labelled`.
fn unescape(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'n' => out.push('\n'),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
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
    fn names_are_stable_and_escaped_and_parse_back() {
        let cases = [
            (
                Series::GroupLag("billing".into()),
                r#"group_lag{group="billing"}"#,
            ),
            (
                Series::ProduceRate("a\"b\\c\nd".into()),
                r#"produce_rate{topic="a\"b\\c\nd"}"#,
            ),
            (Series::LeaderShare(3), r#"leader_share{broker="3"}"#),
            (
                Series::GroupLagGrowth("g".into()),
                r#"group_lag_growth{group="g"}"#,
            ),
            (Series::UnderReplicated, "under_replicated_partitions"),
            (Series::UnderMinIsr, "under_min_isr_partitions"),
            (Series::Offline, "offline_partitions"),
            (Series::IsrShrinks, "isr_shrinks"),
            (Series::PollDuration, "poll_duration_seconds"),
        ];
        for (series, name) in cases {
            assert_eq!(series.name(), name);
            assert_eq!(Series::parse(name), Some(series), "{name}");
        }
        for other in [
            "group_lag",
            "group_lag{topic=\"x\"}",
            "leader_share{broker=\"x\"}",
            "produce_rate{topic=\"a\"b\"}",
            "nope",
        ] {
            assert_eq!(Series::parse(other), None, "{other}");
        }
    }

    #[test]
    fn no_scorer_scores_nothing() {
        let mut s = NoScorer;
        assert!(s.score("x", 0, 1.0).is_none());
        s.forget("x");
        assert_eq!(s.threshold(), 1.0);
    }
}
