//! `consumer_lag` from the lag tracker's statuses, and REWINDs explained
//! by an unclean election.

use super::RuleEvaluator;
use crate::evaluate::{GroupLagStatus, LagStatus};
use crate::finding::{Finding, FindingKind, Label, Metric, Subject};
use crate::snapshot::ClusterSnapshot;

impl RuleEvaluator {
    /// Whether every partition a REWIND status names had an unclean
    /// election: the consumers' offsets were reset because the log they had
    /// read was truncated, which the election's incident tells.
    pub(super) fn rewind_explained(&self, s: &GroupLagStatus) -> bool {
        s.status == LagStatus::Rewind
            && s.partitions
                .iter()
                .filter(|p| p.status == LagStatus::Rewind)
                .all(|p| self.unclean.contains_key(&(p.topic.clone(), p.partition)))
    }

    pub(super) fn consumer_lag(
        &self,
        snap: &ClusterSnapshot,
        statuses: &[GroupLagStatus],
    ) -> Vec<Vec<Finding>> {
        let lc = &self.rules.lag;
        statuses
            .iter()
            .filter(|s| s.status != LagStatus::Ok && !self.rewind_explained(s))
            .map(|s| {
                let severity = lc.severity(s.status);
                let affected = s.partitions.iter().filter(|p| p.status == s.status).count();
                let mut f = self
                    .finding(
                        FindingKind::ConsumerLag,
                        severity,
                        Subject::Group {
                            group: s.group.clone(),
                        },
                        snap.taken_at,
                    )
                    .with_label(Label::LagStatus, s.status.as_str())
                    .with_metric(Metric::TotalLag, s.total_lag as f64)
                    .with_metric(Metric::Partitions, affected as f64);
                if let Some(secs) = s.max_lag_seconds {
                    f = f.with_metric(Metric::MaxLagSeconds, secs);
                }
                vec![f]
            })
            .collect()
    }
}
