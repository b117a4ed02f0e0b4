//! The KRaft metadata quorum: `quorum_lag`, `quorum_degraded`.

use super::RuleEvaluator;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::ClusterSnapshot;

impl RuleEvaluator {
    /// The KRaft metadata quorum: each voter that has not caught up with
    /// the leader for `quorum_lag_for` (or, without times, is
    /// `quorum_lag_offsets` behind) is `quorum_lag`; when a voter lags and
    /// the caught-up ones are fewer than a majority plus one, the quorum
    /// cannot survive one more failure: `quorum_degraded` (critical below a
    /// majority). No leader at all is `no_controller`.
    pub(super) fn quorum(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let Some(q) = &snap.quorum else {
            return Vec::new();
        };
        let Some(leader) = q.leader else {
            return Vec::new();
        };
        // Times are the controllers' own: measured against the leader's
        // "now" (its own row), so a skewed monitor clock changes nothing.
        let now_ms = q
            .leader_time_ms()
            .unwrap_or(snap.taken_at.timestamp_millis());
        let lag_ms = self.rules.quorum_lag_for.0.as_millis() as i64;
        let mut out = Vec::new();
        let mut lagging = Vec::new();
        for v in q.voters.iter().filter(|v| v.id != leader) {
            let behind = (q.high_watermark - v.log_end_offset).max(0);
            let since = v.last_caught_up_ms.map(|at| (now_ms - at).max(0));
            let lags = match since {
                Some(ms) => ms > lag_ms,
                None => v.log_end_offset < 0 || behind > self.rules.quorum_lag_offsets,
            };
            if !lags {
                continue;
            }
            lagging.push(v.id);
            let mut f = self
                .finding(
                    FindingKind::QuorumLag,
                    Severity::Warning,
                    Subject::Broker { id: v.id },
                    snap.taken_at,
                )
                .with_brokers([v.id])
                .with_metric(Metric::RecordsBehind, behind as f64)
                .with_label(Label::Leader, leader.to_string());
            if let Some(ms) = since {
                f = f.with_metric(Metric::SecondsBehind, ms as f64 / 1000.0);
            }
            out.push(vec![f]);
        }
        let voters = q.voters.len();
        let caught_up = voters - lagging.len();
        let majority = voters / 2 + 1;
        if !lagging.is_empty() && caught_up < majority + 1 {
            out.push(vec![self
                .finding(
                    FindingKind::QuorumDegraded,
                    if caught_up < majority {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    Subject::Cluster,
                    snap.taken_at,
                )
                .with_brokers(lagging)
                .with_metric(Metric::Voters, voters as f64)
                .with_metric(Metric::CaughtUp, caught_up as f64)
                .with_metric(Metric::Majority, majority as f64)
                .with_label(Label::Leader, leader.to_string())]);
        }
        out
    }
}
