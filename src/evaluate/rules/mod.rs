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
//! partitions: its replicas on missing or offline brokers, only those of
//! its last ISR when any are: they hold its data), which is what
//! lets incidents group hundreds of partitions under one down broker.
//!
//! An unreachable cluster yields only `cluster_unreachable`: no finding is
//! made from older data, and no state is updated or dropped.
//!
//! This file holds the evaluator, its `for` bookkeeping and the order the
//! rules run in; each family of rules is a file of its own: `brokers.rs`,
//! `quorum.rs`, `partitions.rs`, `elections.rs`, `reassignment.rs`,
//! `consumer_lag.rs`, `disk.rs`, `anomaly.rs`, with what they remember in
//! `memory.rs`.

mod anomaly;
mod brokers;
mod consumer_lag;
mod disk;
mod elections;
mod memory;
mod partitions;
mod quorum;
mod reassignment;
mod retention;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::config::RulesConfig;
use super::lag::{elapsed, LagTracker};
use super::scorer::{Series, SeriesScorer};
use super::{Evaluation, Evaluator, EvaluatorMemory, GroupLagStatus, LagStatus};
use crate::finding::{AnomalyScore, Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{BrokerId, ClusterSnapshot, GroupInfo, Time};
pub use memory::StateSize;
use memory::{
    DeletedUnread, DiskHistory, HeldAnomaly, LastPartition, ReassignmentProgress, ReplicaChanges,
    ReplicaKey, ReplicationEvent, StoppedHours, UncleanElection, UnreachableSpells, UsualRate,
    LEADER_WAIT, RESUME_GRACE,
};

/// [`Metric::OffsetsLost`] as a map key, for readers of
/// `Finding::metrics` written before the keys were typed (`/metrics`).
pub const OFFSETS_LOST: &Metric = &Metric::OffsetsLost;

/// What the evaluator remembers of one finding key (kind, subject).
#[derive(Debug, Clone)]
struct Seen {
    /// Since when it holds.
    since: Time,
    /// The brokers it named at the last evaluation, and since when it has
    /// named exactly those (the `for` wait included).
    brokers: Vec<BrokerId>,
    brokers_since: Time,
}

/// Evaluates the snapshots of one cluster. See the module documentation.
pub struct RuleEvaluator {
    cluster: String,
    rules: RulesConfig,
    scorer: Box<dyn SeriesScorer>,
    lag: LagTracker,
    first_seen: HashMap<(FindingKind, Subject), Seen>,
    last_controller: Option<BrokerId>,
    controller_changes: VecDeque<Time>,
    churn: HashMap<ReplicaKey, ReplicaChanges>,
    prev_group_lag: HashMap<String, (Time, i64)>,
    /// Per topic: the last poll that fetched any end offset, and the end
    /// offsets it fetched, by partition id (sorted).
    prev_topic_end: HashMap<String, (Time, Vec<(i32, i64)>)>,
    scored_brokers: BTreeSet<BrokerId>,
    /// The preferred-leader layout at the previous poll (see
    /// `preferred_layout`).
    leader_layout: Option<u64>,
    /// Spells of failed probes, by broker (see [`UnreachableSpells`]).
    unreachable_spells: HashMap<BrokerId, UnreachableSpells>,
    /// The brokers whose probe failed at the previous probed poll.
    unreachable_before: BTreeSet<BrokerId>,
    held_anomalies: HashMap<String, HeldAnomaly>,
    /// Produce rates raised as falling whose topic was deleted this poll,
    /// with their last alert: told once more, as deleted, so that the
    /// resolve that follows says so rather than "produce rates are back".
    deleted_while_raised: Vec<(Series, AnomalyScore)>,
    /// The groups `consumer_lag` raised at the previous poll, with their
    /// status then (see `lagging_groups_gone`).
    lagging_groups: HashMap<String, GroupLagStatus>,
    /// Series whose held stop ended with the series moving again, and when
    /// (see [`RESUME_GRACE`]).
    resumed: HashMap<String, Time>,
    /// When each produce rate was stopped, by half hour of the last days
    /// (see [`StoppedHours`]).
    stopped_hours: HashMap<String, StoppedHours>,
    /// Each produce rate's usual level by hour of the day (see
    /// [`UsualRate`]).
    usual_rates: HashMap<String, UsualRate>,
    /// What a replication event touched at the previous poll.
    replication_before: ReplicationEvent,
    /// Every partition as the previous poll saw it, by topic, sorted by id.
    partitions_before: HashMap<String, Vec<LastPartition>>,
    /// Unclean elections seen, by (topic, partition).
    unclean: BTreeMap<(String, i32), UncleanElection>,
    /// Partitions whose log was replaced by a new one (the topic deleted
    /// and created again between two polls), and when that was seen.
    replaced: BTreeMap<(String, i32), Time>,
    /// The reassignment under way, if any.
    reassignment: Option<ReassignmentProgress>,
    /// Groups seen with members since the start (`unread_data_deleted`
    /// judges only those; a STOP of any other is `never_active`), with
    /// when each was last listed (`None`: read back at a restart, not
    /// listed since). Kept while absent from the listing (a coordinator
    /// restarting leaves a group out of one poll) for [`ALIVE_FORGET`].
    alive_groups: HashMap<String, Option<Time>>,
    /// Groups whose unread data was deleted, by name.
    deleted_unread: HashMap<String, DeletedUnread>,
    /// Each topic's log start offsets at the previous poll, by partition.
    log_starts: HashMap<String, Vec<(i32, i64)>>,
    /// By group, the (topic, partition) whose committed offset was below
    /// the log start at the previous poll.
    below_before: HashMap<String, Vec<(String, i32)>>,
    /// Each log directory's recent free space, by (broker, path).
    disks: BTreeMap<(BrokerId, String), DiskHistory>,
    /// What the last reachable poll found. A poll that fails before the
    /// cluster counts as unreachable (`cluster_unreachable_for`) knows
    /// nothing new, so these stand: one failed poll resolved every open
    /// incident held by `resolve_after` alone, and dropped pending ones.
    last_findings: Vec<Finding>,
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
            leader_layout: None,
            unreachable_spells: HashMap::new(),
            unreachable_before: BTreeSet::new(),
            held_anomalies: HashMap::new(),
            deleted_while_raised: Vec::new(),
            lagging_groups: HashMap::new(),
            resumed: HashMap::new(),
            stopped_hours: HashMap::new(),
            usual_rates: HashMap::new(),
            replication_before: ReplicationEvent::default(),
            partitions_before: HashMap::new(),
            unclean: BTreeMap::new(),
            replaced: BTreeMap::new(),
            reassignment: None,
            alive_groups: HashMap::new(),
            deleted_unread: HashMap::new(),
            log_starts: HashMap::new(),
            below_before: HashMap::new(),
            disks: BTreeMap::new(),
            last_findings: Vec::new(),
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
            alive_groups: self.alive_groups.len(),
            groups_deleted_unread: self.deleted_unread.len(),
            unreachable_spells: self
                .unreachable_spells
                .values()
                .map(|s| s.began.len())
                .sum(),
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
            let at = f.observed_at;
            let e = self.first_seen.entry(key.clone()).or_insert_with(|| Seen {
                since: at,
                brokers: f.brokers.clone(),
                brokers_since: at,
            });
            if e.brokers != f.brokers {
                e.brokers = f.brokers.clone();
                e.brokers_since = at;
            }
            let (since, brokers_since) = (e.since, e.brokers_since);
            seen.insert(key);
            if chosen.is_none() && elapsed(since, now) >= self.rules.for_duration(f.kind) {
                f.since = f.since.min(since);
                f.brokers_since = Some(brokers_since);
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
        if findings.is_empty() {
            findings = self.last_findings.clone();
        }
        Evaluation {
            findings,
            anomalies: Vec::new(),
            groups: Vec::new(),
        }
    }
}

impl Evaluator for RuleEvaluator {
    fn memory(&self) -> Option<EvaluatorMemory> {
        let mut m = self.lag.memory();
        m.held_anomalies = self
            .held_anomalies
            .iter()
            .map(|(k, h)| (k.clone(), h.into()))
            .collect();
        m.stopped_hours = self
            .stopped_hours
            .iter()
            .map(|(k, h)| (k.clone(), h.into()))
            .collect();
        m.resumed = self.resumed.iter().map(|(k, t)| (k.clone(), *t)).collect();
        m.alive_groups = self.alive_groups.keys().cloned().collect();
        m.topic_ends = self
            .prev_topic_end
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        m.group_lags = self
            .prev_group_lag
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        Some(m)
    }

    /// The lag tracker's groups, the held anomalies, the produce rates'
    /// stop habits and recent returns, the last poll's end offsets and
    /// lags; the detectors start afresh.
    fn restore(&mut self, mut memory: EvaluatorMemory) {
        let held = std::mem::take(&mut memory.held_anomalies);
        let hours = std::mem::take(&mut memory.stopped_hours);
        let resumed = std::mem::take(&mut memory.resumed);
        for g in std::mem::take(&mut memory.alive_groups) {
            self.alive_groups.entry(g).or_insert(None);
        }
        self.prev_topic_end
            .extend(std::mem::take(&mut memory.topic_ends));
        self.prev_group_lag
            .extend(std::mem::take(&mut memory.group_lags));
        self.held_anomalies
            .extend(held.into_iter().map(|(k, h)| (k, h.into())));
        self.stopped_hours
            .extend(hours.into_iter().map(|(k, h)| (k, h.into())));
        self.resumed.extend(resumed);
        self.lag.restore(memory);
    }

    fn evaluate(&mut self, snap: &ClusterSnapshot, now: Time) -> Evaluation {
        if !snap.reachable {
            return self.unreachable(snap, now);
        }
        let mut candidates: Vec<Vec<Finding>> = Vec::new();
        if self.rules.enabled(FindingKind::BrokerDown) {
            candidates.extend(self.broker_down(snap));
        }
        if self.rules.enabled(FindingKind::BrokerUnreachable) {
            candidates.extend(self.broker_unreachable(snap, now));
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
        if self.rules.enabled(FindingKind::DiskSpace) {
            candidates.extend(self.disk_space(snap));
        }

        // Groups: when the listing failed (on one broker or all), the lag
        // rules keep every group's state and report only the groups that
        // were listed. When nothing was listed, the group series and the
        // retention rule wait too; a partial listing still runs them for
        // the groups listed (a broker whose coordinator partitions are
        // offline for hours must not blind them for every group).
        let listing_failed = snap
            .errors
            .iter()
            .any(|e| e.step == crate::snapshot::step::GROUPS_LIST);
        let live: Vec<&GroupInfo> = snap
            .groups
            .iter()
            .filter(|g| !g.state.eq_ignore_ascii_case("dead"))
            .collect();
        let groups_failed = listing_failed && live.is_empty();
        let moving_skips = if groups_failed || !self.rules.enabled(FindingKind::UnreadDataDeleted) {
            Vec::new()
        } else {
            self.skips_of_moving_groups(snap)
        };
        let statuses = if listing_failed {
            self.lag.observe(&snap.groups, now)
        } else {
            self.lag.update(&snap.groups, now)
        };
        let deleted =
            self.unread_data_deleted(snap, &live, &statuses, moving_skips, groups_failed, now);
        if self.rules.enabled(FindingKind::UnreadDataDeleted) {
            candidates.extend(deleted);
        }
        if self.rules.enabled(FindingKind::ConsumerLag) {
            candidates.extend(self.consumer_lag(snap, &statuses));
            candidates.extend(self.lagging_groups_gone(snap, &statuses, listing_failed));
        }

        let scored = self.score_series(snap, (!groups_failed).then_some(live.as_slice()));
        let replication = ReplicationEvent::of(snap);
        if self.rules.enabled(FindingKind::Anomaly) {
            for (s, series) in &scored {
                let explained = replication.explains(&self.replication_before, series);
                if explained && !self.fall_outlasting_replication(s, series) {
                    self.held_anomalies.remove(&s.series);
                    continue;
                }
                // The poll's own duration is the monitor's health (a busy
                // host moves it): scored and exported, never an alert; a
                // cluster too slow to answer is `cluster_unreachable`.
                if !series.may_alert() {
                    continue;
                }
                let raised_before = self.held_anomalies.get(&s.series).is_some_and(|h| h.raised);
                let Some(a) = self.anomaly_event(s, series, now) else {
                    continue;
                };
                // A fall that began while replication is disturbed: held,
                // not raised, until the disturbance ends; raised then if
                // the series is still down. But producers of a topic they
                // can write to (under-replicated, its leaders alive) wait
                // only for the new leaders: a fall held longer than that
                // is raised during the fault (a stop of an hour during an
                // hour's outage was never raised).
                if explained && !raised_before {
                    let waited = self
                        .held_anomalies
                        .get(&s.series)
                        .is_some_and(|h| elapsed(h.at, now) > LEADER_WAIT);
                    if !waited || replication.holds_up(&self.replication_before, series) {
                        continue;
                    }
                }
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
                if let Some(h) = self.held_anomalies.get_mut(&s.series) {
                    h.raised = true;
                }
                candidates.push(vec![self.anomaly_finding(snap, &a, series)]);
            }
            for (series, alert) in std::mem::take(&mut self.deleted_while_raised) {
                candidates.push(vec![self
                    .anomaly_finding(snap, &alert, &series)
                    .with_label(Label::TopicDeleted, "true")]);
            }
            self.held_anomalies.retain(|_, h| h.alive(now));
            self.resumed
                .retain(|_, at| elapsed(*at, now) <= RESUME_GRACE);
        }
        self.replication_before = replication;

        let mut seen = HashSet::new();
        let mut findings: Vec<Finding> = candidates
            .into_iter()
            .filter_map(|alts| self.admit(alts, now, &mut seen))
            .collect();
        self.first_seen.retain(|k, _| seen.contains(k));
        findings.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
        self.last_findings.clone_from(&findings);
        Evaluation {
            findings,
            anomalies: scored.into_iter().map(|(s, _)| s).collect(),
            groups: statuses,
        }
    }
}
