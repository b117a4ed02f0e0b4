//! `unclean_election`: a leader that was not in sync, and the offsets its
//! election truncated.

use std::collections::HashMap;

use super::memory::*;
use super::RuleEvaluator;
use crate::evaluate::lag::elapsed;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{ClusterSnapshot, Time};

impl RuleEvaluator {
    /// Compares every partition with the previous poll. An election is
    /// unclean when the new leader was an assigned replica outside the ISR
    /// the previous poll saw and no member of that ISR is in the new one (on
    /// a topic whose `unclean.leader.election.enable` is known to be on), or
    /// when the high watermark moved backwards at a leader change: the log
    /// was truncated to a stale replica's. A topic deleted and created again
    /// between two polls is neither: its leader epochs start over when the
    /// poll reads them, and otherwise its log is told a new one when the
    /// high watermark moved back with the same leader (a leader's log never
    /// shrinks) or with new assigned replicas (an election never reassigns;
    /// Kafka places a new topic from a random broker); where the poll reads
    /// epochs, only an epoch reset tells it. Such partitions are kept in
    /// `replaced` as long as an election: their consumers' offsets start
    /// over too, which is no REWIND.
    ///
    /// Elections are events: each is reported for `unclean_election_hold`
    /// after it was seen, and kept `lag.rewind_for` longer so that the REWIND
    /// of consumers whose committed offsets lay beyond the truncated log's
    /// end is told as part of it (see `consumer_lag`).
    pub(super) fn unclean_election(
        &mut self,
        snap: &ClusterSnapshot,
        now: Time,
    ) -> Vec<Vec<Finding>> {
        let mut before = std::mem::take(&mut self.partitions_before);
        let mut next = HashMap::with_capacity(snap.topics.len());
        for t in &snap.topics {
            let prev = before.remove(&t.name).unwrap_or_default();
            let mut cur = Vec::with_capacity(t.partitions.len());
            for p in &t.partitions {
                let leader = p.leader.filter(|l| *l >= 0);
                let q = prev
                    .binary_search_by_key(&p.partition, |q| q.partition)
                    .ok()
                    .map(|i| &prev[i]);
                if let (Some(q), Some(l)) = (q, leader) {
                    let (epoch_up, epoch_reset) = match (p.leader_epoch, q.epoch) {
                        (Some(a), Some(b)) => (a > b, a < b),
                        _ => (false, false),
                    };
                    let changed = q.leader != Some(l);
                    let moved_back = matches!(
                        (q.high_watermark, p.high_watermark),
                        (Some(old), Some(new)) if new < old
                    );
                    // Without epochs (librdkafka gives none) only; with
                    // them, an epoch that went up is an election.
                    let epochs_known = p.leader_epoch.is_some() && q.epoch.is_some();
                    let replaced = epoch_reset
                        || (!epochs_known && moved_back && (!changed || q.replicas != p.replicas));
                    if replaced {
                        self.replaced
                            .insert((t.name.clone(), p.partition), snap.taken_at);
                    }
                    // Unclean election is possible only where it is on, and
                    // only once no member of the last ISR is left in it: a
                    // follower that rejoined and was made leader between two
                    // polls (a preferred election) has the old leader beside it.
                    let outside_isr = changed
                        && !replaced
                        && t.unclean_leader_election == Some(true)
                        && q.replicas.contains(&l)
                        && !q.isr.is_empty()
                        && !q.isr.contains(&l)
                        && !q.isr.iter().any(|r| p.isr.contains(r));
                    let truncated = match (q.high_watermark, p.high_watermark) {
                        (Some(old), Some(new))
                            if new < old && !replaced && (changed || epoch_up) =>
                        {
                            Some((old, new))
                        }
                        _ => None,
                    };
                    if outside_isr || truncated.is_some() {
                        self.unclean.insert(
                            (t.name.clone(), p.partition),
                            UncleanElection {
                                at: snap.taken_at,
                                old_leader: q.leader,
                                new_leader: Some(l),
                                outside_isr,
                                truncated,
                                awaiting: q
                                    .high_watermark
                                    .filter(|_| truncated.is_none() && p.high_watermark.is_none()),
                            },
                        );
                    } else if let Some(e) = (!self.unclean.is_empty())
                        .then(|| self.unclean.get_mut(&(t.name.clone(), p.partition)))
                        .flatten()
                    {
                        // (The key is built only while an election is held:
                        // not for every partition of every poll.)
                        // The new leader's offsets, first fetched after its election.
                        if let (Some(old), Some(new)) = (e.awaiting, p.high_watermark) {
                            e.awaiting = None;
                            if new < old {
                                e.truncated = Some((old, new));
                            }
                        }
                    }
                }
                cur.push(LastPartition {
                    partition: p.partition,
                    leader,
                    epoch: p.leader_epoch,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    high_watermark: p.high_watermark.or(q.and_then(|q| q.high_watermark)),
                });
            }
            cur.sort_by_key(|q| q.partition);
            next.insert(t.name.clone(), cur);
        }
        self.partitions_before = next;

        let hold = self.rules.unclean_election_hold.0;
        let keep = hold + self.rules.lag.rewind_for.0;
        self.unclean.retain(|_, e| elapsed(e.at, now) <= keep);
        // As long as an election's: a REWIND first seen a poll later
        // must still find it.
        self.replaced.retain(|_, at| elapsed(*at, now) <= keep);
        self.unclean
            .iter()
            .filter(|(_, e)| elapsed(e.at, now) <= hold)
            .map(|((topic, partition), e)| {
                let mut f = self
                    .finding(
                        FindingKind::UncleanElection,
                        Severity::Critical,
                        Subject::Partition {
                            topic: topic.clone(),
                            partition: *partition,
                        },
                        snap.taken_at,
                    )
                    .with_brokers(e.old_leader.into_iter().chain(e.new_leader))
                    .with_label(Label::Topic, topic.clone())
                    .with_label(Label::Partition, partition.to_string())
                    .with_label(
                        Label::Evidence,
                        match (e.outside_isr, e.truncated.is_some()) {
                            (true, true) => "leader_outside_isr,high_watermark_moved_back",
                            (true, false) => "leader_outside_isr",
                            _ => "high_watermark_moved_back",
                        },
                    )
                    .with_since(e.at);
                if let Some(l) = e.old_leader {
                    f = f.with_label(Label::OldLeader, l.to_string());
                }
                if let Some(l) = e.new_leader {
                    f = f.with_label(Label::NewLeader, l.to_string());
                }
                if let Some((old, new)) = e.truncated {
                    f = f
                        .with_metric(Metric::OldHighWatermark, old as f64)
                        .with_metric(Metric::NewHighWatermark, new as f64)
                        .with_metric(Metric::OffsetsLost, (old - new) as f64);
                }
                vec![f]
            })
            .collect()
    }
}
