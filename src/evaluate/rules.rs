//! The [`RuleEvaluator`]: one cluster's snapshots in, findings, group lag
//! statuses and anomaly scores out.
//!
//! Each rule is a small function that proposes findings for one snapshot.
//! The evaluator then applies the `for` durations: it remembers, per
//! (kind, subject), the first snapshot that showed the condition (that is
//! the finding's `since`) and emits the finding once the condition has held
//! for the rule's `for` duration. A subject that stops showing a condition
//! is forgotten, so the memory is bounded by what is currently wrong.
//!
//! A partition gets at most one finding, of its most severe condition whose
//! `for` duration has passed, in this order: `partition_offline`,
//! `under_min_isr`, `at_min_isr`, `under_replicated`. Every one of them
//! names in `brokers` the replicas the partition is missing (for offline
//! partitions: its replicas on missing or offline brokers), which is what
//! lets incidents group hundreds of partitions under one down broker.
//!
//! An unreachable cluster yields only `cluster_unreachable`: no finding is
//! made from older data, and no state is updated or dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::config::RulesConfig;
use super::lag::{elapsed, LagTracker};
use super::scorer::{Series, SeriesScorer};
use super::{Evaluation, Evaluator, GroupLagStatus, LagStatus};
use crate::finding::{AnomalyScore, Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{
    BrokerId, ClusterSnapshot, GroupInfo, IsrChangeKind, MinIsrSource, PartitionInfo, Time,
    TopicInfo,
};

/// Most ISR changes remembered per replica: enough to count every change
/// beyond one leave-and-rejoin up to any sensible threshold.
const MAX_CHANGES_PER_REPLICA: usize = 64;

/// One replica: a broker's copy of one partition.
type ReplicaKey = (BrokerId, String, i32);

/// ISR changes of one replica within the churn window, oldest first.
#[derive(Debug, Clone, Default)]
struct ReplicaChanges {
    at: VecDeque<(Time, IsrChangeKind)>,
}

/// [`Metric::OffsetsLost`] as a map key, for readers of
/// `Finding::metrics` written before the keys were typed (`/metrics`).
pub const OFFSETS_LOST: &Metric = &Metric::OffsetsLost;

/// The longest an anomaly alert is held after its score fell back while the
/// series stays out of the range expected before it (a new normal ends it).
const ANOMALY_HOLD_MAX: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// An anomaly alert of one series, held while the series has not come back
/// into the range the detector expected when it alerted. The detector
/// scores the first points of an event (then adapts and cools down); the
/// event itself lasts as long as the series stays outside that range, and
/// that is what incidents need to judge it by their pending delay.
#[derive(Debug, Clone)]
struct HeldAnomaly {
    alert: AnomalyScore,
    at: Time,
}

/// How much state the evaluator holds, for tests and self-monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSize {
    /// (kind, subject) pairs whose `since` is remembered.
    pub subjects: usize,
    /// Groups with a lag window.
    pub lag_groups: usize,
    /// (group, partition) lag windows.
    pub lag_partitions: usize,
    /// Groups whose previous total lag is kept (for `group_lag_growth`).
    pub group_series: usize,
    /// Topics whose previous end offsets are kept (for `produce_rate`).
    pub topic_series: usize,
    /// Brokers whose `leader_share` is scored.
    pub broker_series: usize,
    /// ISR changes kept over all replicas (for `isr_churn`).
    pub churn_points: usize,
    /// Controller changes kept in the window.
    pub controller_changes: usize,
    /// Partitions whose previous leader, ISR and high watermark are kept
    /// (for `unclean_election`).
    pub partitions: usize,
    /// Unclean elections still reported or explaining a REWIND.
    pub unclean_elections: usize,
}

/// One partition as the previous poll saw it, for `unclean_election`.
#[derive(Debug, Clone)]
struct LastPartition {
    partition: i32,
    leader: Option<BrokerId>,
    epoch: Option<i32>,
    replicas: Vec<BrokerId>,
    isr: Vec<BrokerId>,
    /// The last high watermark fetched (kept when a poll could not fetch it).
    high_watermark: Option<i64>,
}

/// An unclean election seen on one partition between two polls.
#[derive(Debug, Clone)]
struct UncleanElection {
    at: Time,
    old_leader: Option<BrokerId>,
    new_leader: Option<BrokerId>,
    /// The new leader was not in the ISR the previous poll saw.
    outside_isr: bool,
    /// (old, new) high watermark, when it moved backwards.
    truncated: Option<(i64, i64)>,
    /// The high watermark before the election, while the new leader's is
    /// not known yet (its offsets could not be fetched at that poll).
    awaiting: Option<i64>,
}

/// The reassignment under way, for its progress and ETA.
#[derive(Debug, Clone)]
struct ReassignmentProgress {
    started: Time,
    /// The most partitions seen reassigning at once since it started.
    peak: usize,
    /// At the previous poll: partitions reassigning and added replicas not
    /// yet in their ISR.
    partitions: usize,
    pending: usize,
    /// Offsets the added replicas had left to copy, and when (when known).
    offsets_left: Option<(Time, i64)>,
    /// The last poll that showed progress (or new work).
    progressed: Time,
}

/// Evaluates the snapshots of one cluster. See the module documentation.
pub struct RuleEvaluator {
    cluster: String,
    rules: RulesConfig,
    scorer: Box<dyn SeriesScorer>,
    lag: LagTracker,
    first_seen: HashMap<(FindingKind, Subject), Time>,
    last_controller: Option<BrokerId>,
    controller_changes: VecDeque<Time>,
    churn: HashMap<ReplicaKey, ReplicaChanges>,
    prev_group_lag: HashMap<String, (Time, i64)>,
    prev_topic_end: HashMap<String, (Time, i64, usize)>,
    scored_brokers: BTreeSet<BrokerId>,
    held_anomalies: HashMap<String, HeldAnomaly>,
    /// What a replication event touched at the previous poll.
    replication_before: ReplicationEvent,
    /// Every partition as the previous poll saw it, by topic, sorted by id.
    partitions_before: HashMap<String, Vec<LastPartition>>,
    /// Unclean elections seen, by (topic, partition).
    unclean: BTreeMap<(String, i32), UncleanElection>,
    /// The reassignment under way, if any.
    reassignment: Option<ReassignmentProgress>,
}

impl RuleEvaluator {
    /// An evaluator for the cluster named `cluster` (the configured name).
    pub fn new(cluster: &str, rules: &RulesConfig, scorer: Box<dyn SeriesScorer>) -> Self {
        RuleEvaluator {
            cluster: cluster.to_string(),
            rules: rules.clone(),
            scorer,
            lag: LagTracker::new(rules.lag.clone()),
            first_seen: HashMap::new(),
            last_controller: None,
            controller_changes: VecDeque::new(),
            churn: HashMap::new(),
            prev_group_lag: HashMap::new(),
            prev_topic_end: HashMap::new(),
            scored_brokers: BTreeSet::new(),
            held_anomalies: HashMap::new(),
            replication_before: ReplicationEvent::default(),
            partitions_before: HashMap::new(),
            unclean: BTreeMap::new(),
            reassignment: None,
        }
    }

    /// How much state is held right now.
    pub fn state_size(&self) -> StateSize {
        StateSize {
            subjects: self.first_seen.len(),
            lag_groups: self.lag.tracked_groups(),
            lag_partitions: self.lag.tracked_partitions(),
            group_series: self.prev_group_lag.len(),
            topic_series: self.prev_topic_end.len(),
            broker_series: self.scored_brokers.len(),
            churn_points: self.churn.values().map(|c| c.at.len()).sum(),
            controller_changes: self.controller_changes.len(),
            partitions: self.partitions_before.values().map(Vec::len).sum(),
            unclean_elections: self.unclean.len(),
        }
    }

    fn finding(
        &self,
        kind: FindingKind,
        severity: Severity,
        subject: Subject,
        at: Time,
    ) -> Finding {
        Finding::new(&self.cluster, kind, severity, subject, at)
    }

    /// Records `since` for every alternative and returns the first (most
    /// severe) one whose `for` duration has passed.
    fn admit(
        &mut self,
        alternatives: Vec<Finding>,
        now: Time,
        seen: &mut HashSet<(FindingKind, Subject)>,
    ) -> Option<Finding> {
        let mut chosen = None;
        for mut f in alternatives {
            let key = (f.kind, f.subject.clone());
            let since = *self.first_seen.entry(key.clone()).or_insert(f.observed_at);
            seen.insert(key);
            if chosen.is_none() && elapsed(since, now) >= self.rules.for_duration(f.kind) {
                f.since = f.since.min(since);
                chosen = Some(f);
            }
        }
        chosen
    }

    fn unreachable(&mut self, snap: &ClusterSnapshot, now: Time) -> Evaluation {
        let mut findings = Vec::new();
        if self.rules.enabled(FindingKind::ClusterUnreachable) {
            let mut f = self
                .finding(
                    FindingKind::ClusterUnreachable,
                    Severity::Critical,
                    Subject::Cluster,
                    snap.taken_at,
                )
                .with_metric(Metric::Errors, snap.errors.len() as f64);
            if let Some(e) = snap.errors.first() {
                f = f.with_label(Label::Step, e.step.clone()).with_label(
                    Label::Error,
                    e.message.chars().take(300).collect::<String>(),
                );
            }
            // Other subjects keep their `since`: nothing is known about them.
            let mut seen = HashSet::new();
            findings.extend(self.admit(vec![f], now, &mut seen));
        }
        Evaluation {
            findings,
            anomalies: Vec::new(),
            groups: Vec::new(),
        }
    }

    fn broker_down(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        snap.missing_brokers
            .iter()
            .map(|&id| {
                let hosted = snap
                    .partitions()
                    .filter(|(_, p)| p.replicas.contains(&id))
                    .count();
                vec![self
                    .finding(
                        FindingKind::BrokerDown,
                        Severity::Critical,
                        Subject::Broker { id },
                        snap.taken_at,
                    )
                    .with_brokers([id])
                    .with_metric(Metric::ReplicasHosted, hosted as f64)]
            })
            .collect()
    }

    /// Brokers in the metadata that failed the monitor's probe: critical
    /// when they lead partitions (clients cannot reach those leaders),
    /// a warning otherwise. The poll error names why.
    fn broker_unreachable(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        if snap.unreachable_brokers.is_empty() {
            return Vec::new();
        }
        let leaders = snap.leader_counts();
        snap.unreachable_brokers
            .iter()
            .filter(|id| snap.brokers.iter().any(|b| b.id == **id))
            .map(|&id| {
                let led = leaders.get(&id).copied().unwrap_or(0);
                let mut f = self
                    .finding(
                        FindingKind::BrokerUnreachable,
                        if led > 0 {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        Subject::Broker { id },
                        snap.taken_at,
                    )
                    .with_brokers([id])
                    .with_metric(Metric::LeaderPartitions, led as f64);
                if let Some(e) = snap
                    .errors
                    .iter()
                    .find(|e| e.step == "brokers" && e.broker == Some(id))
                {
                    f = f.with_label(
                        Label::Error,
                        e.message.chars().take(300).collect::<String>(),
                    );
                }
                vec![f]
            })
            .collect()
    }

    /// The KRaft metadata quorum: each voter that has not caught up with
    /// the leader for `quorum_lag_for` (or, without times, is
    /// `quorum_lag_offsets` behind) is `quorum_lag`; when a voter lags and
    /// the caught-up ones are fewer than a majority plus one, the quorum
    /// cannot survive one more failure: `quorum_degraded` (critical below a
    /// majority). No leader at all is `no_controller`.
    fn quorum(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
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

    fn no_controller(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        match snap.controller {
            Some(c) if c >= 0 => Vec::new(),
            _ => vec![vec![self.finding(
                FindingKind::NoController,
                Severity::Critical,
                Subject::Cluster,
                snap.taken_at,
            )]],
        }
    }

    fn controller_unstable(&mut self, snap: &ClusterSnapshot, now: Time) -> Vec<Vec<Finding>> {
        if let Some(c) = snap.controller.filter(|c| *c >= 0) {
            // A controller that left the cluster (restarted, crashed) hands
            // over as it must: that move is the broker's outage, told by
            // broker_down. Only a move away from a live controller counts.
            let previous_live = self
                .last_controller
                .is_some_and(|p| p != c && snap.brokers.iter().any(|b| b.id == p));
            if previous_live {
                self.controller_changes.push_back(snap.taken_at);
            }
            self.last_controller = Some(c);
        }
        let window = self.rules.controller_window.0;
        while self
            .controller_changes
            .front()
            .is_some_and(|t| elapsed(*t, now) > window)
        {
            self.controller_changes.pop_front();
        }
        let changes = self.controller_changes.len();
        if changes == 0 || changes < self.rules.controller_changes as usize {
            return Vec::new();
        }
        let mut f = self
            .finding(
                FindingKind::ControllerUnstable,
                Severity::Warning,
                Subject::Cluster,
                snap.taken_at,
            )
            .with_metric(Metric::Changes, changes as f64)
            .with_metric(Metric::WindowSeconds, window.as_secs_f64());
        if let Some(c) = self.last_controller {
            f = f.with_label(Label::Controller, c.to_string());
        }
        vec![vec![f]]
    }

    /// Compares every partition with the previous poll. An election is
    /// unclean when the new leader was an assigned replica outside the ISR
    /// the previous poll saw and no member of that ISR is in the new one (on
    /// a topic whose `unclean.leader.election.enable` is known to be on), or
    /// when the high watermark moved backwards at a leader change: the log
    /// was truncated to a stale replica's. A topic deleted and created again
    /// (its leader epochs start over) is neither.
    ///
    /// Elections are events: each is reported for `unclean_election_hold`
    /// after it was seen, and kept `lag.rewind_for` longer so that the REWIND
    /// of consumers whose committed offsets lay beyond the truncated log's
    /// end is told as part of it (see `consumer_lag`).
    fn unclean_election(&mut self, snap: &ClusterSnapshot, now: Time) -> Vec<Vec<Finding>> {
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
                    // Unclean election is possible only where it is on, and
                    // only once no member of the last ISR is left in it: a
                    // follower that rejoined and was made leader between two
                    // polls (a preferred election) has the old leader beside it.
                    let outside_isr = changed
                        && !epoch_reset
                        && t.unclean_leader_election == Some(true)
                        && q.replicas.contains(&l)
                        && !q.isr.is_empty()
                        && !q.isr.contains(&l)
                        && !q.isr.iter().any(|r| p.isr.contains(r));
                    let truncated = match (q.high_watermark, p.high_watermark) {
                        (Some(old), Some(new))
                            if new < old && !epoch_reset && (changed || epoch_up) =>
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

    /// Partitions whose replicas an ongoing reassignment changes: one
    /// finding for the cluster, with progress (partitions done since it
    /// began, added replicas still copying, offsets they have left and the
    /// copy rate when the brokers tell) and an ETA (from the copy rate, else
    /// from the pace of partitions done); info while it moves, a warning once nothing moved for
    /// `reassignment_stuck_after`. Added replicas outside the ISR are not
    /// under-replication (see `PartitionInfo::derive`).
    fn reassignment(&mut self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
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
            self.reassignment = None;
            return Vec::new();
        }
        let r = self.reassignment.get_or_insert(ReassignmentProgress {
            started: now,
            peak: partitions,
            partitions,
            pending,
            offsets_left: None,
            progressed: now,
        });
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

    /// Whether every partition a REWIND status names had an unclean
    /// election: the consumers' offsets were reset because the log they had
    /// read was truncated, which the election's incident tells.
    fn rewind_explained(&self, s: &GroupLagStatus) -> bool {
        s.status == LagStatus::Rewind
            && s.partitions
                .iter()
                .filter(|p| p.status == LagStatus::Rewind)
                .all(|p| self.unclean.contains_key(&(p.topic.clone(), p.partition)))
    }

    fn partition_finding(
        &self,
        kind: FindingKind,
        severity: Severity,
        at: Time,
        t: &TopicInfo,
        p: &PartitionInfo,
        brokers: Vec<BrokerId>,
    ) -> Finding {
        let mut f = self
            .finding(
                kind,
                severity,
                Subject::Partition {
                    topic: t.name.clone(),
                    partition: p.partition,
                },
                at,
            )
            .with_brokers(brokers)
            .with_metric(Metric::Isr, p.isr.len() as f64)
            .with_metric(Metric::Replicas, p.replicas.len() as f64)
            .with_metric(Metric::MinIsr, t.min_insync_replicas as f64)
            .with_label(Label::Topic, t.name.clone())
            .with_label(Label::Partition, p.partition.to_string());
        if t.min_isr_source == MinIsrSource::Configured {
            f = f.with_label(Label::MinIsrSource, "configured");
        }
        if let Some(l) = p.leader.filter(|l| *l >= 0) {
            f = f.with_label(Label::Leader, l.to_string());
        }
        f
    }

    fn partitions(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let live: Vec<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let mut out = Vec::new();
        for (t, p) in snap.partitions() {
            let s = p.state;
            let mut alts = Vec::new();
            let missing_isr = || p.missing_from_isr();
            if s.offline {
                if self.rules.enabled(FindingKind::PartitionOffline) {
                    let mut down: Vec<BrokerId> = p
                        .replicas
                        .iter()
                        .copied()
                        .filter(|r| {
                            snap.missing_brokers.contains(r)
                                || p.offline_replicas.contains(r)
                                || !live.contains(r)
                        })
                        .collect();
                    if down.is_empty() {
                        down = missing_isr();
                    }
                    alts.push(self.partition_finding(
                        FindingKind::PartitionOffline,
                        Severity::Critical,
                        snap.taken_at,
                        t,
                        p,
                        down,
                    ));
                }
            } else {
                if s.under_min_isr && self.rules.enabled(FindingKind::UnderMinIsr) {
                    alts.push(self.partition_finding(
                        FindingKind::UnderMinIsr,
                        Severity::Critical,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
                if s.at_min_isr
                    && (s.under_replicated || self.rules.at_min_isr_when_fully_replicated)
                    && self.rules.enabled(FindingKind::AtMinIsr)
                {
                    alts.push(self.partition_finding(
                        FindingKind::AtMinIsr,
                        Severity::Warning,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
                if s.under_replicated && self.rules.enabled(FindingKind::UnderReplicated) {
                    alts.push(self.partition_finding(
                        FindingKind::UnderReplicated,
                        Severity::Warning,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
            }
            if !alts.is_empty() {
                out.push(alts);
            }
        }
        out
    }

    /// ISR churn: replicas that keep leaving and rejoining ISRs. One leave
    /// and one rejoin per replica within the window is an outage and its
    /// recovery (a broker restarting, a follower catching up), which other
    /// findings tell; only the changes beyond that count. A broker fires
    /// when its replicas made at least `isr_churn_threshold` such changes.
    fn isr_churn(&mut self, snap: &ClusterSnapshot, now: Time) -> Vec<Vec<Finding>> {
        for c in &snap.isr_changes {
            let q = &mut self
                .churn
                .entry((c.broker, c.topic.clone(), c.partition))
                .or_default()
                .at;
            if q.len() >= MAX_CHANGES_PER_REPLICA {
                q.pop_front();
            }
            q.push_back((snap.taken_at, c.kind));
        }
        let window = self.rules.isr_churn_window.0;
        self.churn.retain(|_, c| {
            while c
                .at
                .front()
                .is_some_and(|(at, _)| elapsed(*at, now) > window)
            {
                c.at.pop_front();
            }
            !c.at.is_empty()
        });
        // Per broker: (changes beyond one leave-and-rejoin, shrinks, expands, replicas).
        let mut per_broker: BTreeMap<BrokerId, (u32, u32, u32, u32)> = BTreeMap::new();
        for ((b, _, _), c) in &self.churn {
            let n = c.at.len() as u32;
            if n <= 2 {
                continue;
            }
            let shrinks =
                c.at.iter()
                    .filter(|(_, k)| *k == IsrChangeKind::Shrink)
                    .count() as u32;
            let e = per_broker.entry(*b).or_default();
            e.0 += n - 2;
            e.1 += shrinks;
            e.2 += n - shrinks;
            e.3 += 1;
        }
        let mut out = Vec::new();
        for (b, (extra, shrinks, expands, replicas)) in per_broker {
            // A missing broker's changes are the broker_down finding's story.
            if extra >= self.rules.isr_churn_threshold && !snap.missing_brokers.contains(&b) {
                out.push(vec![self
                    .finding(
                        FindingKind::IsrChurn,
                        Severity::Warning,
                        Subject::Broker { id: b },
                        snap.taken_at,
                    )
                    .with_brokers([b])
                    .with_metric(Metric::Changes, extra as f64)
                    .with_metric(Metric::Shrinks, shrinks as f64)
                    .with_metric(Metric::Expands, expands as f64)
                    .with_metric(Metric::Replicas, replicas as f64)
                    .with_metric(Metric::WindowSeconds, window.as_secs_f64())]);
            }
        }
        out
    }

    /// Imbalance that a preferred-leader election would fix: a partition
    /// counts when its leader is not its preferred replica and that replica
    /// is live and in the ISR (electable). Leadership that cannot go back (a
    /// failed log dir, a replica still catching up) is the story of the
    /// finding about that, not an imbalance.
    ///
    /// Per broker: `|electable partitions it leads but should not − electable
    /// partitions it should lead but does not| / preferred leaders` (brokers
    /// preferred for no partition are skipped); for the cluster: the share of
    /// online partitions an election would move. Skipped while a broker is
    /// missing: `broker_down` tells that story.
    fn leader_imbalance(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        if !snap.missing_brokers.is_empty() {
            return Vec::new();
        }
        let live: BTreeSet<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let mut out = Vec::new();
        let leaders = snap.leader_counts();
        let mut preferred: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let mut gained: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let mut lost: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let (mut online, mut movable) = (0usize, 0usize);
        for (_, p) in snap.partitions() {
            let Some(pref) = p.preferred_leader() else {
                continue;
            };
            *preferred.entry(pref).or_default() += 1;
            let Some(leader) = p.leader.filter(|l| *l >= 0 && !p.state.offline) else {
                continue;
            };
            online += 1;
            let electable = leader != pref
                && p.isr.contains(&pref)
                && live.contains(&pref)
                && !p.offline_replicas.contains(&pref);
            if electable {
                movable += 1;
                *gained.entry(leader).or_default() += 1;
                *lost.entry(pref).or_default() += 1;
            }
        }
        for (&b, &pref) in &preferred {
            let g = gained.get(&b).copied().unwrap_or(0) as f64;
            let l = lost.get(&b).copied().unwrap_or(0) as f64;
            let pct = (g - l).abs() / pref as f64 * 100.0;
            if pct > self.rules.leader_imbalance_broker_percent {
                let led = leaders.get(&b).copied().unwrap_or(0);
                out.push(vec![self
                    .finding(
                        FindingKind::LeaderImbalance,
                        Severity::Warning,
                        Subject::Broker { id: b },
                        snap.taken_at,
                    )
                    .with_brokers([b])
                    .with_metric(Metric::Leaders, led as f64)
                    .with_metric(Metric::PreferredLeaders, pref as f64)
                    .with_metric(Metric::ImbalancePercent, pct)]);
            }
        }
        if online > 0 {
            let pct = movable as f64 / online as f64 * 100.0;
            if pct > self.rules.leader_imbalance_cluster_percent {
                out.push(vec![self
                    .finding(
                        FindingKind::LeaderImbalance,
                        Severity::Warning,
                        Subject::Cluster,
                        snap.taken_at,
                    )
                    .with_metric(Metric::LeaderNotPreferred, movable as f64)
                    .with_metric(Metric::OnlinePartitions, online as f64)
                    .with_metric(Metric::ImbalancePercent, pct)]);
            }
        }
        out
    }

    fn follower_lag(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let Some(sc) = &snap.sidecar else {
            return Vec::new();
        };
        let Some(lag) = sc.follower_max_lag else {
            return Vec::new();
        };
        if lag.is_nan() || lag <= self.rules.follower_lag_threshold {
            return Vec::new();
        }
        let subject = match sc.broker {
            Some(id) => Subject::Broker { id },
            None => Subject::Cluster,
        };
        vec![vec![self
            .finding(
                FindingKind::FollowerLag,
                Severity::Warning,
                subject,
                snap.taken_at,
            )
            .with_brokers(sc.broker)
            .with_metric(Metric::FollowerMaxLag, lag)
            .with_metric(
                Metric::Threshold,
                self.rules.follower_lag_threshold,
            )]]
    }

    fn consumer_lag(
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

    /// Feeds every series to the scorer; returns all scores, each with its
    /// series.
    fn score_series(
        &mut self,
        snap: &ClusterSnapshot,
        groups: Option<&[&GroupInfo]>,
    ) -> Vec<(AnomalyScore, Series)> {
        let t = snap.taken_at.timestamp();
        let c = snap.counts();
        let shrinks = snap
            .isr_changes
            .iter()
            .filter(|x| x.kind == IsrChangeKind::Shrink)
            .count();
        let mut points: Vec<(Series, f64)> = vec![
            (Series::UnderReplicated, c.under_replicated as f64),
            (Series::UnderMinIsr, c.under_min_isr as f64),
            (Series::Offline, c.offline as f64),
            (Series::IsrShrinks, shrinks as f64),
            (Series::PollDuration, snap.poll_duration.as_secs_f64()),
        ];

        // Groups: total lag and its growth per second.
        if let Some(groups) = groups {
            let names: HashSet<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            let gone: Vec<String> = self
                .prev_group_lag
                .keys()
                .filter(|k| !names.contains(k.as_str()))
                .cloned()
                .collect();
            for g in gone {
                self.scorer.forget(&Series::GroupLag(g.clone()).name());
                self.scorer
                    .forget(&Series::GroupLagGrowth(g.clone()).name());
                self.prev_group_lag.remove(&g);
            }
            for g in groups {
                let lag = g.total_lag();
                points.push((Series::GroupLag(g.name.clone()), lag as f64));
                if let Some((t0, l0)) = self.prev_group_lag.get(&g.name) {
                    let dt = (snap.taken_at - *t0).as_seconds_f64();
                    if dt > 0.0 {
                        points.push((
                            Series::GroupLagGrowth(g.name.clone()),
                            (lag - l0) as f64 / dt,
                        ));
                    }
                }
                self.prev_group_lag
                    .insert(g.name.clone(), (snap.taken_at, lag));
            }
        }

        // Topics: produce rate from end-offset deltas.
        let names: HashSet<&str> = snap.topics.iter().map(|t| t.name.as_str()).collect();
        let gone: Vec<String> = self
            .prev_topic_end
            .keys()
            .filter(|k| !names.contains(k.as_str()))
            .cloned()
            .collect();
        for topic in gone {
            self.scorer
                .forget(&Series::ProduceRate(topic.clone()).name());
            self.prev_topic_end.remove(&topic);
        }
        for topic in &snap.topics {
            let known: Vec<i64> = topic
                .partitions
                .iter()
                .filter_map(|p| p.high_watermark)
                .collect();
            if known.is_empty() {
                continue; // offsets not fetched this poll: keep the previous point
            }
            let sum: i64 = known.iter().sum();
            if let Some((t0, s0, n0)) = self.prev_topic_end.get(&topic.name) {
                let dt = (snap.taken_at - *t0).as_seconds_f64();
                if *n0 == known.len() && dt > 0.0 && sum >= *s0 {
                    points.push((
                        Series::ProduceRate(topic.name.clone()),
                        (sum - s0) as f64 / dt,
                    ));
                }
            }
            self.prev_topic_end
                .insert(topic.name.clone(), (snap.taken_at, sum, known.len()));
        }

        // Brokers: share of online partitions led.
        let online = c.total - c.offline;
        let live: BTreeSet<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let gone: Vec<BrokerId> = self
            .scored_brokers
            .iter()
            .copied()
            .filter(|b| !live.contains(b) && !snap.missing_brokers.contains(b))
            .collect();
        for b in gone {
            self.scorer.forget(&Series::LeaderShare(b).name());
            self.scored_brokers.remove(&b);
        }
        if online > 0 {
            for (b, led) in snap.leader_counts() {
                if !live.contains(&b) {
                    continue;
                }
                self.scored_brokers.insert(b);
                points.push((Series::LeaderShare(b), led as f64 / online as f64));
            }
        }

        points
            .into_iter()
            .filter_map(|(series, v)| self.scorer.score(&series.name(), t, v).map(|s| (s, series)))
            .collect()
    }

    /// The anomaly this score is part of, if any: an alert (score at the
    /// threshold), or a held alert whose series is still outside the range
    /// expected before it (see [`HeldAnomaly`]).
    fn anomaly_event(&mut self, s: &AnomalyScore, now: Time) -> Option<AnomalyScore> {
        if s.score >= self.scorer.threshold() {
            self.held_anomalies.insert(
                s.series.clone(),
                HeldAnomaly {
                    alert: s.clone(),
                    at: now,
                },
            );
            return Some(s.clone());
        }
        let h = self.held_anomalies.get(&s.series)?;
        let outside = s.observed < h.alert.expected_low || s.observed > h.alert.expected_high;
        if !outside || elapsed(h.at, now) > ANOMALY_HOLD_MAX {
            self.held_anomalies.remove(&s.series);
            return None;
        }
        let since = h.alert.since.unwrap_or(h.at);
        Some(AnomalyScore {
            observed: s.observed,
            since: Some(since),
            explanation: format!(
                "observed {:.4}, still outside the range {:.4}..{:.4} expected before it became unusual at {}",
                s.observed,
                h.alert.expected_low,
                h.alert.expected_high,
                since.format("%H:%M:%S")
            ),
            ..h.alert.clone()
        })
    }

    fn anomaly_finding(
        &self,
        snap: &ClusterSnapshot,
        score: &AnomalyScore,
        series: &Series,
    ) -> Finding {
        let mut f = self
            .finding(
                FindingKind::Anomaly,
                Severity::Warning,
                Subject::Series {
                    series: score.series.clone(),
                },
                snap.taken_at,
            )
            .with_label(Label::Series, series.family())
            .with_metric(Metric::Score, score.score)
            .with_metric(Metric::Observed, score.observed)
            .with_metric(Metric::ExpectedLow, score.expected_low)
            .with_metric(Metric::ExpectedHigh, score.expected_high);
        // `score.since` (when the series became unusual, for the text) is
        // not the finding's `since`: an alert holds from its first poll at
        // the threshold (kept by `admit`), so the pending delay measures how
        // long the alert lasted, not how long the series has looked odd.
        f.anomaly = Some(score.clone());
        match series {
            Series::GroupLag(g) | Series::GroupLagGrowth(g) => {
                f.with_label(Label::Group, g.clone())
            }
            Series::ProduceRate(t) => f.with_label(Label::Topic, t.clone()),
            Series::LeaderShare(b) => f
                .with_label(Label::Broker, b.to_string())
                .with_brokers([*b]),
            Series::UnderReplicated
            | Series::UnderMinIsr
            | Series::Offline
            | Series::IsrShrinks
            | Series::PollDuration => f,
        }
    }
}

/// What a replication event (a broker down or back, replicas catching up,
/// leaders moving away and back) touches in one snapshot. Anomalies it
/// explains belong to the fault the rules name (one broker down = one
/// incident), while it lasts and for one poll after (the poll that sees
/// leaders moved back).
#[derive(Debug, Clone, Default)]
struct ReplicationEvent {
    /// A broker missing, ISR changes since the previous poll, or a
    /// partition offline, under-replicated, being reassigned, led by another
    /// replica than its preferred one or with a replica on a missing broker:
    /// the replication series (`Series::explained_by_replication`) are
    /// explained.
    any: bool,
    /// Topics with a partition offline, under-replicated or with a replica
    /// on a missing broker: their produce rate is disturbed too (producers
    /// wait for the new leader, then catch up). Not leadership off the
    /// preferred replica alone: a cluster that runs so for days would never
    /// have its traffic watched.
    topics: HashSet<String>,
}

impl ReplicationEvent {
    /// One walk over the partitions.
    fn of(snap: &ClusterSnapshot) -> Self {
        let mut any = !snap.missing_brokers.is_empty() || !snap.isr_changes.is_empty();
        let mut topics = HashSet::new();
        for t in &snap.topics {
            for p in &t.partitions {
                let st = &p.state;
                if st.offline || st.under_replicated || st.replica_on_missing_broker {
                    topics.insert(t.name.clone());
                    any = true;
                    break;
                }
                // A reassignment moves replicas and leaders by plan.
                any |= st.leader_not_preferred || st.reassigning;
            }
        }
        ReplicationEvent { any, topics }
    }

    /// Whether this event or `before` explains the anomaly of `series`.
    fn explains(&self, before: &Self, series: &Series) -> bool {
        let topic = series
            .topic()
            .is_some_and(|t| self.topics.contains(t) || before.topics.contains(t));
        topic || ((self.any || before.any) && series.explained_by_replication())
    }
}

impl Evaluator for RuleEvaluator {
    fn evaluate(&mut self, snap: &ClusterSnapshot, now: Time) -> Evaluation {
        if !snap.reachable {
            return self.unreachable(snap, now);
        }
        let mut candidates: Vec<Vec<Finding>> = Vec::new();
        if self.rules.enabled(FindingKind::BrokerDown) {
            candidates.extend(self.broker_down(snap));
        }
        if self.rules.enabled(FindingKind::BrokerUnreachable) {
            candidates.extend(self.broker_unreachable(snap));
        }
        if self.rules.enabled(FindingKind::NoController) {
            candidates.extend(self.no_controller(snap));
        }
        let quorum = self.quorum(snap);
        candidates.extend(
            quorum
                .into_iter()
                .filter(|alts| alts.first().is_some_and(|f| self.rules.enabled(f.kind))),
        );
        let unstable = self.controller_unstable(snap, now);
        if self.rules.enabled(FindingKind::ControllerUnstable) {
            candidates.extend(unstable);
        }
        candidates.extend(self.partitions(snap));
        let unclean = self.unclean_election(snap, now);
        if self.rules.enabled(FindingKind::UncleanElection) {
            candidates.extend(unclean);
        }
        let churn = self.isr_churn(snap, now);
        if self.rules.enabled(FindingKind::IsrChurn) {
            candidates.extend(churn);
        }
        if self.rules.enabled(FindingKind::LeaderImbalance) {
            candidates.extend(self.leader_imbalance(snap));
        }
        let reassignment = self.reassignment(snap);
        if self.rules.enabled(FindingKind::ReassignmentInProgress) {
            candidates.extend(reassignment);
        }
        if self.rules.enabled(FindingKind::FollowerLag) {
            candidates.extend(self.follower_lag(snap));
        }

        // Groups: when the groups step failed, keep every group's state and
        // report only the groups that were listed.
        let groups_failed = snap.errors.iter().any(|e| e.step == "groups");
        let live: Vec<&GroupInfo> = snap
            .groups
            .iter()
            .filter(|g| !g.state.eq_ignore_ascii_case("dead"))
            .collect();
        let statuses = if groups_failed {
            self.lag.observe(&snap.groups, now)
        } else {
            self.lag.update(&snap.groups, now)
        };
        if self.rules.enabled(FindingKind::ConsumerLag) {
            candidates.extend(self.consumer_lag(snap, &statuses));
        }

        let scored = self.score_series(snap, (!groups_failed).then_some(live.as_slice()));
        let replication = ReplicationEvent::of(snap);
        if self.rules.enabled(FindingKind::Anomaly) {
            for (s, series) in &scored {
                if replication.explains(&self.replication_before, series) {
                    self.held_anomalies.remove(&s.series);
                    continue;
                }
                // The poll's own duration is the monitor's health (a busy
                // host moves it): scored and exported, never an alert; a
                // cluster too slow to answer is `cluster_unreachable`.
                if !series.may_alert() {
                    continue;
                }
                let Some(a) = self.anomaly_event(s, now) else {
                    continue;
                };
                // Unusual lag of a group the lag rules find OK (it commits
                // and works its lag off, or was caught up within the window)
                // is traffic, told by the topic's produce_rate: not a
                // consumer fault to page for.
                if let Some(g) = series.group() {
                    // `statuses` is sorted by group name.
                    let ok = statuses
                        .binary_search_by(|st| st.group.as_str().cmp(g))
                        .map_or(true, |i| {
                            statuses[i].status == LagStatus::Ok
                                || self.rewind_explained(&statuses[i])
                        });
                    if ok {
                        continue;
                    }
                }
                candidates.push(vec![self.anomaly_finding(snap, &a, series)]);
            }
            self.held_anomalies
                .retain(|_, h| elapsed(h.at, now) <= ANOMALY_HOLD_MAX);
        }
        self.replication_before = replication;

        let mut seen = HashSet::new();
        let mut findings: Vec<Finding> = candidates
            .into_iter()
            .filter_map(|alts| self.admit(alts, now, &mut seen))
            .collect();
        self.first_seen.retain(|k, _| seen.contains(k));
        findings.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
        Evaluation {
            findings,
            anomalies: scored.into_iter().map(|(s, _)| s).collect(),
            groups: statuses,
        }
    }
}
