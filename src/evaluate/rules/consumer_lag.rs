//! `consumer_lag` from the lag tracker's statuses, and REWINDs explained
//! by an unclean election or a topic created again.

use super::RuleEvaluator;
use crate::evaluate::{GroupLagStatus, LagStatus};
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::ClusterSnapshot;

impl RuleEvaluator {
    /// Whether every partition a REWIND status names had an unclean
    /// election (the consumers' offsets were reset because the log they had
    /// read was truncated, which the election's incident tells) or a new
    /// log (its topic deleted and created again: offsets start over).
    pub(super) fn rewind_explained(&self, s: &GroupLagStatus) -> bool {
        s.status == LagStatus::Rewind
            && s.partitions
                .iter()
                .filter(|p| p.status == LagStatus::Rewind)
                .all(|p| {
                    let key = (p.topic.clone(), p.partition);
                    self.unclean.contains_key(&key) || self.replaced.contains_key(&key)
                })
    }

    /// Whether `consumer_lag` raises the group of status `s`.
    fn lag_raised(&self, s: &GroupLagStatus) -> bool {
        s.status != LagStatus::Ok && !self.rewind_explained(s)
    }

    /// Groups raised by `consumer_lag` at the previous poll that a complete
    /// listing no longer names (deleted, or removed by Kafka once it had no
    /// members and no offsets left: their only topic deleted): told once
    /// more, labelled `group_gone`, so that the resolve that follows says
    /// so rather than reading as a recovery (hunt 17, hunt 18).
    pub(super) fn lagging_groups_gone(
        &mut self,
        snap: &ClusterSnapshot,
        statuses: &[GroupLagStatus],
        listing_failed: bool,
    ) -> Vec<Vec<Finding>> {
        let raised = statuses
            .iter()
            .filter(|s| self.lag_raised(s))
            .map(|s| (s.group.clone(), s.clone()))
            .collect::<Vec<_>>();
        if listing_failed {
            // Unlisted groups are kept as they were.
            for s in statuses {
                self.lagging_groups.remove(&s.group);
            }
            self.lagging_groups.extend(raised);
            return Vec::new();
        }
        let before = std::mem::replace(&mut self.lagging_groups, raised.into_iter().collect());
        let listed: std::collections::HashSet<&str> =
            statuses.iter().map(|s| s.group.as_str()).collect();
        let mut gone: Vec<GroupLagStatus> = before
            .into_values()
            .filter(|s| !listed.contains(s.group.as_str()))
            .collect();
        gone.sort_by(|a, b| a.group.cmp(&b.group));
        self.consumer_lag(snap, &gone)
            .into_iter()
            .map(|fs| {
                fs.into_iter()
                    .map(|f| f.with_label(Label::GroupGone, "true"))
                    .collect()
            })
            .collect()
    }

    pub(super) fn consumer_lag(
        &self,
        snap: &ClusterSnapshot,
        statuses: &[GroupLagStatus],
    ) -> Vec<Vec<Finding>> {
        let lc = &self.rules.lag;
        statuses
            .iter()
            .filter(|s| self.lag_raised(s))
            .map(|s| {
                // A STOP of a group no poll has seen with members since
                // isrwatch began watching (saved across restarts): every
                // long-lived cluster lists such groups for the 7 days
                // Kafka keeps their offsets (retired applications,
                // engineers' console consumers). Paged as STOPs, 12 of them
                // were 96 critical notifications in 30 hours of a healthy
                // cluster (hunt 16, W1). Nothing tells them from a group
                // down since just before the monitor started, so each is
                // told, as a warning, in one incident for all of them.
                let never_active =
                    s.status == LagStatus::Stop && !self.alive_groups.contains_key(&s.group);
                let severity = if never_active {
                    lc.severity(s.status).min(Severity::Warning)
                } else {
                    lc.severity(s.status)
                };
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
                if never_active {
                    f = f.with_label(Label::NeverActive, "true");
                }
                vec![f]
            })
            .collect()
    }
}
