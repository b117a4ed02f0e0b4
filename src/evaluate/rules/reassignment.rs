//! `reassignment_in_progress`: planned work with its progress and ETA.

use std::collections::BTreeSet;

use super::memory::*;
use super::RuleEvaluator;
use crate::evaluate::lag::elapsed;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::ClusterSnapshot;

impl RuleEvaluator {
    /// Partitions whose replicas an ongoing reassignment changes: one
    /// finding for the cluster, with progress (partitions done since it
    /// began, added replicas still copying, offsets they have left and the
    /// copy rate when the brokers tell) and an ETA (from the copy rate, else
    /// from the pace of partitions done); info while it moves, a warning once nothing moved for
    /// `reassignment_stuck_after`. Added replicas outside the ISR are not
    /// under-replication (see `PartitionInfo::derive`).
    pub(super) fn reassignment(&mut self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let now = snap.taken_at;
        let mut partitions = 0;
        let mut pending = 0;
        let mut offsets_left: Option<i64> = None;
        let mut brokers = BTreeSet::new();
        let mut topics = BTreeSet::new();
        for (t, p) in snap.partitions() {
            if !p.state.reassigning {
                continue;
            }
            partitions += 1;
            topics.insert(t.name.as_str());
            brokers.extend(p.adding_replicas.iter().chain(&p.removing_replicas));
            pending += p
                .adding_replicas
                .iter()
                .filter(|r| !p.isr.contains(r))
                .count();
            if let Some(left) = p.reassignment_offsets_left {
                *offsets_left.get_or_insert(0) += left;
            }
        }
        if partitions == 0 {
            return self.reassignment_deleted(snap).into_iter().collect();
        }
        let r = self.reassignment.get_or_insert(ReassignmentProgress {
            started: now,
            peak: partitions,
            partitions,
            pending,
            offsets_left: None,
            progressed: now,
            topics: BTreeSet::new(),
        });
        r.topics = topics.iter().map(|t| t.to_string()).collect();
        // Copy rate (offsets/s) since the previous poll that knew it.
        let copy_rate = match (r.offsets_left, offsets_left) {
            (Some((t0, before)), Some(left)) if before > left => {
                let dt = elapsed(t0, now).as_secs_f64();
                (dt > 0.0).then(|| (before - left) as f64 / dt)
            }
            _ => None,
        };
        if partitions != r.partitions || pending != r.pending || copy_rate.is_some() {
            r.progressed = now;
        }
        r.offsets_left = offsets_left.map(|left| (now, left));
        r.peak = r.peak.max(partitions);
        r.partitions = partitions;
        r.pending = pending;
        let done = r.peak - partitions;
        let elapsed_s = elapsed(r.started, now).as_secs_f64();
        let stalled = elapsed(r.progressed, now);
        let stuck = stalled >= self.rules.reassignment_stuck_after.0;
        let mut f = self
            .finding(
                FindingKind::ReassignmentInProgress,
                if stuck {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                Subject::Cluster,
                now,
            )
            .with_brokers(brokers.into_iter().copied())
            .with_metric(Metric::Partitions, partitions as f64)
            .with_metric(Metric::ReplicasCopying, pending as f64)
            .with_metric(Metric::PartitionsDone, done as f64)
            .with_metric(Metric::SecondsWithoutProgress, stalled.as_secs_f64())
            .with_label(
                Label::Topics,
                topics.into_iter().collect::<Vec<_>>().join(","),
            );
        if let Some(left) = offsets_left {
            f = f.with_metric(Metric::OffsetsLeft, left as f64);
        }
        // ETA from the copy rate when the brokers tell what is left, else
        // from the pace of partitions done.
        if let (Some(left), Some(rate)) = (offsets_left, copy_rate) {
            f = f
                .with_metric(Metric::OffsetsPerSecond, rate.round())
                .with_metric(Metric::EtaSeconds, (left as f64 / rate).round());
        } else if done > 0 && elapsed_s > 0.0 {
            f = f.with_metric(
                Metric::EtaSeconds,
                (partitions as f64 / (done as f64 / elapsed_s)).round(),
            );
        }
        if stuck {
            f = f.with_label(Label::Stuck, "true");
        }
        vec![vec![f]]
    }

    /// The reassignment that ended at this poll: when every topic it moved
    /// is gone from the cluster, it did not finish but was abandoned with
    /// its topics, told once more (`topic_deleted`) so that its resolve
    /// says so instead of "finished" (hunt 17, D3).
    fn reassignment_deleted(&mut self, snap: &ClusterSnapshot) -> Option<Vec<Finding>> {
        let ended = self.reassignment.take()?;
        let names: BTreeSet<&str> = snap.topics.iter().map(|t| t.name.as_str()).collect();
        if ended.topics.is_empty() || ended.topics.iter().any(|t| names.contains(t.as_str())) {
            return None;
        }
        let f = self
            .finding(
                FindingKind::ReassignmentInProgress,
                Severity::Info,
                Subject::Cluster,
                snap.taken_at,
            )
            // Where it stood at the previous poll: what was left undone.
            .with_metric(Metric::Partitions, ended.partitions as f64)
            .with_metric(Metric::ReplicasCopying, ended.pending as f64)
            .with_metric(
                Metric::PartitionsDone,
                ended.peak.saturating_sub(ended.partitions) as f64,
            )
            .with_label(
                Label::Topics,
                ended.topics.into_iter().collect::<Vec<_>>().join(","),
            )
            .with_label(Label::TopicDeleted, "true");
        Some(vec![f])
    }
}
