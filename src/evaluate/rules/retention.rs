//! `unread_data_deleted`: retention (or DeleteRecords) deleting messages a
//! consumer group had not read.
//!
//! Kafka deletes a partition's old segments whether or not anyone read
//! them. A group whose committed offset is below the partition's log
//! start offset has lost what lies between: its next fetch is out of range
//! and `auto.offset.reset` moves it to the log start (or the end),
//! skipping those messages without an error anyone sees. No lag exporter
//! says so: the lag (end − committed) just shrinks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::memory::{Behind, DeletedUnread, Skipped};
use super::RuleEvaluator;
use crate::evaluate::lag::elapsed;
use crate::evaluate::{GroupLagStatus, LagStatus};
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{ClusterSnapshot, GroupInfo, GroupPartition, Time, TopicInfo};

/// Topics named in a finding's `topics` label, at most.
const TOPICS_NAMED: usize = 10;

/// A moving group's committed offset that went past data deleted since
/// its last commit skipped it only if it moved more than this many times
/// what it consumes over the time since that commit: a consumer just ahead
/// of the deletions, or one committing every 10 minutes, moves by its
/// pace; one reset past the gap moves by the gap too.
const SKIP_FACTOR: f64 = 3.0;

/// A group seen alive is forgotten once it has not been listed for this
/// long: Kafka's `offsets.retention.minutes` (7 days), after which an
/// Empty group is gone from the cluster too.
const ALIVE_FORGET: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// The snapshot's topics by name.
fn by_name(snap: &ClusterSnapshot) -> HashMap<&str, &TopicInfo> {
    snap.topics.iter().map(|t| (t.name.as_str(), t)).collect()
}

/// The log start offset of a group's partition, when the poll read it
/// (partitions are listed by id, usually at their own index).
fn log_start(topics: &HashMap<&str, &TopicInfo>, gp: &GroupPartition) -> Option<i64> {
    let t = topics.get(gp.topic.as_str())?;
    let p = match t.partitions.get(gp.partition.max(0) as usize) {
        Some(p) if p.partition == gp.partition => p,
        _ => t.partitions.iter().find(|p| p.partition == gp.partition)?,
    };
    p.low_watermark
}

impl RuleEvaluator {
    /// Before the lag tracker takes this poll (it still holds each
    /// partition's previous commit): the partitions of moving groups whose
    /// committed offset went, since their last commit, from below this
    /// poll's log start to or past it, by more than [`SKIP_FACTOR`] times
    /// their pace over that time (a slow consumer overtaken by retention,
    /// reset past the gap as soon as it fetched: never seen below the log
    /// start at a poll). Only partitions whose log start moved since the
    /// previous poll, or that were below it then, are looked at.
    pub(super) fn skips_of_moving_groups(
        &mut self,
        snap: &ClusterSnapshot,
    ) -> Vec<(String, Skipped)> {
        let mut found = Vec::new();
        let topics = by_name(snap);
        for g in &snap.groups {
            if !self.alive_groups.contains_key(&g.name) || g.error.is_some() {
                continue;
            }
            for gp in &g.partitions {
                let (Some(c), Some(start)) = (gp.committed, log_start(&topics, gp)) else {
                    continue;
                };
                if c < start {
                    continue;
                }
                let moved = self
                    .log_starts
                    .get(gp.topic.as_str())
                    .and_then(|v| {
                        v.binary_search_by_key(&gp.partition, |(p, _)| *p)
                            .ok()
                            .map(|i| v[i].1)
                    })
                    .is_some_and(|before| start > before);
                let was_below = || {
                    self.below_before.get(&g.name).is_some_and(|v| {
                        v.iter().any(|(t, p)| *p == gp.partition && *t == gp.topic)
                    })
                };
                if !moved && !was_below() {
                    continue;
                }
                let Some(last) = self.lag.last_commit(&g.name, &gp.topic, gp.partition) else {
                    continue;
                };
                let c0 = last.committed;
                if c0 >= start || c <= c0 {
                    continue;
                }
                let secs = elapsed(last.since, snap.taken_at).as_secs_f64();
                let beyond_pace = secs > 0.0
                    && last
                        .pace
                        .is_some_and(|rate| (c - c0) as f64 > SKIP_FACTOR * rate * secs);
                let deleted = start.min(last.end.unwrap_or(start)) - c0;
                if beyond_pace && deleted > 0 {
                    found.push((
                        g.name.clone(),
                        Skipped {
                            topic: gp.topic.clone(),
                            partition: gp.partition,
                            deleted,
                            at: snap.taken_at,
                        },
                    ));
                }
            }
        }
        // This poll's log starts, for the next.
        for t in &snap.topics {
            let v = self.log_starts.entry(t.name.clone()).or_default();
            v.clear();
            v.extend(
                t.partitions
                    .iter()
                    .filter_map(|p| p.low_watermark.map(|o| (p.partition, o))),
            );
            v.sort_unstable_by_key(|(p, _)| *p);
        }
        if self.log_starts.len() > snap.topics.len() {
            self.log_starts
                .retain(|t, _| topics.contains_key(t.as_str()));
        }
        found
    }

    /// Per group seen with members since the monitor started (a group
    /// Empty since before then is a forgotten one, whose old offsets
    /// retention overtakes as a matter of course): the partitions whose
    /// committed offset is below the log start while the group is not
    /// moving there (no members, or the partition STALL or STOP by the lag
    /// rules), **critical**: the data is gone and its consumers will skip
    /// it. A group that is moving may have read past its committed offset
    /// (one committing every 10 minutes on a topic keeping 5 is below the
    /// log start for minutes before each commit, having read everything:
    /// hunt 15, W1), so it is not judged by that offset. Such a partition
    /// whose committed offset then moves to or past the log start skipped
    /// what was deleted: a **warning** for `unread_data_deleted_hold`.
    /// Runs after the lag tracker took this poll (`statuses`).
    pub(super) fn unread_data_deleted(
        &mut self,
        snap: &ClusterSnapshot,
        live: &[&GroupInfo],
        statuses: &[GroupLagStatus],
        moving_skips: Vec<(String, Skipped)>,
        groups_failed: bool,
        now: Time,
    ) -> Vec<Vec<Finding>> {
        let hold = self.rules.unread_data_deleted_hold.0;
        if !groups_failed {
            let mut below_now: HashMap<String, Vec<(String, i32)>> = HashMap::new();
            let topics = by_name(snap);
            let present: BTreeSet<&str> = live.iter().map(|g| g.name.as_str()).collect();
            for (g, seen) in self.alive_groups.iter_mut() {
                if present.contains(g.as_str()) || seen.is_none() {
                    *seen = Some(now);
                }
            }
            self.alive_groups
                .retain(|_, seen| seen.is_none_or(|s| elapsed(s, now) <= ALIVE_FORGET));
            self.deleted_unread
                .retain(|g, _| present.contains(g.as_str()));
            for g in live {
                if g.members > 0 && !self.alive_groups.contains_key(&g.name) {
                    self.alive_groups.insert(g.name.clone(), Some(now));
                }
                if !self.alive_groups.contains_key(&g.name) || g.error.is_some() {
                    continue;
                }
                // `statuses` is sorted by group name.
                let status = statuses
                    .binary_search_by(|st| st.group.as_str().cmp(&g.name))
                    .ok()
                    .map(|i| &statuses[i]);
                let standing = |topic: &str, partition: i32| {
                    g.members == 0
                        || status.is_some_and(|st| {
                            st.partitions.iter().any(|p| {
                                p.topic == topic
                                    && p.partition == partition
                                    && matches!(p.status, LagStatus::Stall | LagStatus::Stop)
                            })
                        })
                };
                let before = self.deleted_unread.get(&g.name);
                let was_behind = |topic: &str, partition: i32| {
                    before.and_then(|d| {
                        d.behind
                            .iter()
                            .find(|b| b.partition == partition && b.topic == topic)
                    })
                };
                let mut behind = Vec::new();
                let mut skipped = Vec::new();
                let mut below = Vec::new();
                for gp in &g.partitions {
                    let (Some(c), Some(start)) = (gp.committed, log_start(&topics, gp)) else {
                        // Unknown this poll (offline, a failed request):
                        // what stood stands.
                        if let Some(b) = was_behind(&gp.topic, gp.partition) {
                            behind.push(b.clone());
                            below.push((gp.topic.clone(), gp.partition));
                        }
                        continue;
                    };
                    if c < start {
                        below.push((gp.topic.clone(), gp.partition));
                        if standing(&gp.topic, gp.partition) {
                            behind.push(Behind {
                                topic: gp.topic.clone(),
                                partition: gp.partition,
                                committed: c,
                                deleted: start - c,
                            });
                        }
                        continue;
                    }
                    // What stood deleted at the last poll that saw it: the
                    // log start may have gone further since the reset, or
                    // back (a leader with an older log start).
                    if let Some(b) = was_behind(&gp.topic, gp.partition).filter(|b| c > b.committed)
                    {
                        skipped.push(Skipped {
                            topic: gp.topic.clone(),
                            partition: gp.partition,
                            deleted: b.deleted,
                            at: snap.taken_at,
                        });
                    }
                }
                if !below.is_empty() {
                    below_now.insert(g.name.clone(), below);
                }
                if behind.is_empty() && skipped.is_empty() {
                    if let Some(d) = self.deleted_unread.get_mut(&g.name) {
                        d.behind.clear();
                    }
                    continue;
                }
                let d = self
                    .deleted_unread
                    .entry(g.name.clone())
                    .or_insert_with(|| DeletedUnread::new(snap.taken_at));
                d.behind = behind;
                d.skipped.extend(skipped);
            }
            self.below_before = below_now;
            for (group, skip) in moving_skips {
                self.deleted_unread
                    .entry(group)
                    .or_insert_with(|| DeletedUnread::new(snap.taken_at))
                    .skipped
                    .push(skip);
            }
        }
        self.deleted_unread.retain(|_, d| {
            d.skipped.retain(|s| elapsed(s.at, now) <= hold);
            !d.behind.is_empty() || !d.skipped.is_empty()
        });
        self.deleted_unread
            .iter()
            .map(|(group, d)| {
                let mut partitions = BTreeSet::new();
                let mut topics = BTreeSet::new();
                let mut deleted = 0i64;
                for b in &d.behind {
                    partitions.insert((b.topic.as_str(), b.partition));
                    topics.insert(b.topic.as_str());
                    deleted = deleted.saturating_add(b.deleted);
                }
                // A partition that skipped twice within the hold counts
                // its latest skip.
                let mut latest: BTreeMap<(&str, i32), i64> = BTreeMap::new();
                for s in &d.skipped {
                    latest.insert((s.topic.as_str(), s.partition), s.deleted);
                }
                for ((t, p), n) in latest {
                    if partitions.insert((t, p)) {
                        deleted = deleted.saturating_add(n);
                    }
                    topics.insert(t);
                }
                let severity = if d.behind.is_empty() {
                    Severity::Warning
                } else {
                    Severity::Critical
                };
                let named: Vec<&str> = topics.iter().copied().take(TOPICS_NAMED).collect();
                vec![self
                    .finding(
                        FindingKind::UnreadDataDeleted,
                        severity,
                        Subject::Group {
                            group: group.clone(),
                        },
                        snap.taken_at,
                    )
                    .with_metric(Metric::MessagesDeleted, deleted as f64)
                    .with_metric(Metric::Partitions, partitions.len() as f64)
                    .with_metric(Metric::PartitionsBehind, d.behind.len() as f64)
                    .with_label(Label::Topics, named.join(","))
                    .with_since(d.since)]
            })
            .collect()
    }
}
