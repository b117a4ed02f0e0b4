//! What the daemon has seen, shared read-only with the HTTP side.
//!
//! The daemon's pipeline is the only writer (one `publish_*` call per
//! stage per poll); `/metrics` and the API take cheap read locks and clone
//! `Arc`s, so a scrape never waits on Kafka and never blocks a poll for long.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

use crate::evaluate::{Evaluation, LagStatus};
use crate::model::Incident;
use crate::snapshot::{ClusterSnapshot, Time};

/// How many history points are kept per group for `/groups/{group}`.
pub const GROUP_HISTORY: usize = 120;

/// Points kept per chart series: the last 720 polls (3 h at the shipped
/// 15 s poll interval, 1 h at the demo's 5 s).
pub const CHART_POINTS: usize = 720;
/// Series kept per chart (groups with the most lag, anomaly series with the
/// highest score); the others are dropped with their points. With
/// [`CHART_POINTS`] this bounds a cluster's chart history to
/// (1 + 2 × 12) × 720 points of 16 bytes: under 300 KiB.
pub const CHART_SERIES: usize = 12;

/// The bounded history the status page draws its charts from: one ring
/// buffer of at most [`CHART_POINTS`] points per series, at most
/// [`CHART_SERIES`] series per chart. Written once per poll by
/// [`SharedState::publish_poll`].
#[derive(Debug, Clone, Default)]
pub struct ChartHistory {
    /// Under-replicated partitions per poll that reached the cluster.
    pub under_replicated: VecDeque<(Time, f64)>,
    /// Total lag in messages, by group.
    pub group_lag: BTreeMap<String, VecDeque<(Time, f64)>>,
    /// Anomaly score, by series.
    pub anomaly_scores: BTreeMap<String, VecDeque<(Time, f64)>>,
}

fn push_point(buf: &mut VecDeque<(Time, f64)>, at: Time, value: f64) {
    while buf.len() >= CHART_POINTS {
        buf.pop_front();
    }
    buf.push_back((at, value));
}

/// Appends one point to each series in `current` (name, value, rank: the
/// higher the rank the more it deserves a place), keeping the
/// [`CHART_SERIES`] best-ranked series: the others, and series no longer
/// present, are dropped.
fn push_ranked(
    series: &mut BTreeMap<String, VecDeque<(Time, f64)>>,
    at: Time,
    mut current: Vec<(&str, f64, f64)>,
) {
    current.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    current.truncate(CHART_SERIES);
    series.retain(|name, _| current.iter().any(|(n, _, _)| *n == name.as_str()));
    for (name, value, _) in current {
        match series.get_mut(name) {
            Some(buf) => push_point(buf, at, value),
            None => {
                let mut buf = VecDeque::new();
                push_point(&mut buf, at, value);
                series.insert(name.to_string(), buf);
            }
        }
    }
}

impl ChartHistory {
    /// Records one poll that reached the cluster.
    pub fn record(&mut self, at: Time, under_replicated: usize, evaluation: &Evaluation) {
        push_point(&mut self.under_replicated, at, under_replicated as f64);
        // Lagging groups first, then the most lag.
        let groups = evaluation
            .groups
            .iter()
            .map(|g| {
                let lagging = if g.status == LagStatus::Ok { 0.0 } else { 1e18 };
                (
                    g.group.as_str(),
                    g.total_lag as f64,
                    lagging + g.total_lag as f64,
                )
            })
            .collect();
        push_ranked(&mut self.group_lag, at, groups);
        let scores = evaluation
            .anomalies
            .iter()
            .map(|a| (a.series.as_str(), a.score, a.score))
            .collect();
        push_ranked(&mut self.anomaly_scores, at, scores);
    }
}

/// One point of a group's recent history.
#[derive(Debug, Clone, Serialize)]
pub struct GroupHistoryPoint {
    pub at: Time,
    pub total_lag: i64,
    pub max_lag_seconds: Option<f64>,
    pub status: LagStatus,
}

/// A poll step that started failing or recovered (see
/// [`SharedState::publish_poll`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepChange {
    Failing { step: String, message: String },
    Recovered { step: String },
}

/// Everything known about one configured cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    pub name: String,
    /// The latest snapshot, reachable or not.
    pub snapshot: Option<Arc<ClusterSnapshot>>,
    pub evaluation: Arc<Evaluation>,
    /// Time of the last poll that reached the cluster.
    pub last_success: Option<Time>,
    /// Why the last poll failed, when it did.
    pub last_error: Option<String>,
    pub polls: u64,
    /// Polls that could not reach the cluster.
    pub poll_errors: u64,
    /// Polls in which each step failed (its data missing or stale), by
    /// step: `metadata`, `configs`, `offsets`, `groups`, `brokers`, ...
    pub step_errors: BTreeMap<String, u64>,
    /// Steps failing at the last poll, with the first error of each.
    pub failing_steps: BTreeMap<String, String>,
    /// Recent lag points per group. Behind an `Arc` so that handing out a
    /// view (every API request, every scrape) does not copy it.
    pub group_history: Arc<BTreeMap<String, VecDeque<GroupHistoryPoint>>>,
    /// Partition counts of `snapshot`, computed once per poll.
    pub counts: Option<crate::snapshot::PartitionCounts>,
    /// [`ClusterSnapshot::flagged_partitions`] of `snapshot`, once per poll.
    pub flagged: Arc<Vec<(u32, u32)>>,
    /// What the status page's charts draw (bounded, see [`ChartHistory`]).
    pub charts: Arc<ChartHistory>,
}

/// Shared state: written by the daemon, read by `/metrics` and the API.
#[derive(Debug, Default)]
pub struct SharedState {
    clusters: RwLock<BTreeMap<String, ClusterView>>,
    incidents: RwLock<Arc<Vec<Incident>>>,
    /// Summaries written after the incident was published, by incident id.
    summaries: RwLock<BTreeMap<String, crate::model::Summary>>,
}

impl SharedState {
    pub fn new(cluster_names: impl IntoIterator<Item = String>) -> Arc<Self> {
        let clusters = cluster_names
            .into_iter()
            .map(|n| {
                (
                    n.clone(),
                    ClusterView {
                        name: n,
                        ..Default::default()
                    },
                )
            })
            .collect();
        Arc::new(SharedState {
            clusters: RwLock::new(clusters),
            incidents: RwLock::new(Arc::new(Vec::new())),
            summaries: RwLock::new(BTreeMap::new()),
        })
    }

    /// Records one poll and its evaluation. Returns the poll steps that
    /// started failing or recovered with this poll, for the log (a step is
    /// logged on each change of state, not on every poll).
    pub fn publish_poll(
        &self,
        snapshot: Arc<ClusterSnapshot>,
        evaluation: Arc<Evaluation>,
    ) -> Vec<StepChange> {
        let mut clusters = self.clusters.write();
        let view = clusters
            .entry(snapshot.cluster.clone())
            .or_insert_with(|| ClusterView {
                name: snapshot.cluster.clone(),
                ..Default::default()
            });
        view.polls += 1;
        let mut failing: BTreeMap<String, String> = BTreeMap::new();
        for e in &snapshot.errors {
            failing
                .entry(e.step.clone())
                .or_insert_with(|| e.message.clone());
        }
        let mut changes = Vec::new();
        for (step, message) in &failing {
            *view.step_errors.entry(step.clone()).or_default() += 1;
            if !view.failing_steps.contains_key(step) {
                changes.push(StepChange::Failing {
                    step: step.clone(),
                    message: message.clone(),
                });
            }
        }
        if snapshot.reachable {
            for step in view.failing_steps.keys() {
                if !failing.contains_key(step) {
                    changes.push(StepChange::Recovered { step: step.clone() });
                }
            }
            view.failing_steps = failing;
        } else {
            // Nothing but reaching the cluster was tried: the other steps
            // keep their state.
            view.failing_steps.extend(failing);
        }
        if snapshot.reachable {
            view.last_success = Some(snapshot.taken_at);
            view.last_error = None;
        } else {
            view.poll_errors += 1;
            view.last_error = Some(
                snapshot
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", e.step, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        if snapshot.reachable {
            let at = snapshot.taken_at;
            // Groups that vanished from the cluster lose their history.
            let current: std::collections::HashSet<&str> =
                evaluation.groups.iter().map(|s| s.group.as_str()).collect();
            // Copies only while a reader still holds the previous map.
            let history = Arc::make_mut(&mut view.group_history);
            history.retain(|g, _| current.contains(g.as_str()));
            for g in &evaluation.groups {
                let h = history.entry(g.group.clone()).or_default();
                if h.len() == GROUP_HISTORY {
                    h.pop_front();
                }
                h.push_back(GroupHistoryPoint {
                    at,
                    total_lag: g.total_lag,
                    max_lag_seconds: g.max_lag_seconds,
                    status: g.status,
                });
            }
        }
        view.counts = snapshot.reachable.then(|| snapshot.counts());
        if let Some(c) = &view.counts {
            Arc::make_mut(&mut view.charts).record(
                snapshot.taken_at,
                c.under_replicated,
                &evaluation,
            );
        }
        view.flagged = Arc::new(snapshot.flagged_partitions());
        view.snapshot = Some(snapshot);
        view.evaluation = evaluation;
        changes
    }

    /// Replaces the list of active and recent incidents.
    pub fn publish_incidents(&self, mut incidents: Vec<Incident>) {
        let mut summaries = self.summaries.write();
        // Forget summaries of incidents that are no longer listed.
        summaries.retain(|id, _| incidents.iter().any(|i| &i.id == id));
        for i in &mut incidents {
            if let Some(s) = summaries.get(&i.id) {
                i.summary = Some(s.clone());
            }
        }
        *self.incidents.write() = Arc::new(incidents);
    }

    /// Records the summary written for an incident (shown by the API from
    /// now on, including in later `publish_incidents` lists).
    pub fn attach_summary(&self, incident_id: &str, summary: crate::model::Summary) {
        self.summaries
            .write()
            .insert(incident_id.to_string(), summary.clone());
        let mut list = self.incidents.write();
        if let Some(pos) = list.iter().position(|i| i.id == incident_id) {
            let mut copy = list.as_ref().clone();
            copy[pos].summary = Some(summary);
            *list = Arc::new(copy);
        }
    }

    /// A copy of every cluster view (cheap: the big parts are `Arc`s).
    pub fn clusters(&self) -> Vec<ClusterView> {
        self.clusters.read().values().cloned().collect()
    }

    pub fn cluster(&self, name: &str) -> Option<ClusterView> {
        self.clusters.read().get(name).cloned()
    }

    pub fn cluster_names(&self) -> Vec<String> {
        self.clusters.read().keys().cloned().collect()
    }

    pub fn incidents(&self) -> Arc<Vec<Incident>> {
        self.incidents.read().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::GroupLagStatus;
    use crate::finding::AnomalyScore;

    fn t(s: i64) -> Time {
        chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn evaluation(groups: usize, status: LagStatus) -> Evaluation {
        Evaluation {
            findings: Vec::new(),
            anomalies: (0..groups)
                .map(|i| AnomalyScore {
                    series: format!("s{i}"),
                    score: i as f64 / 100.0,
                    observed: 0.0,
                    expected_low: 0.0,
                    expected_high: 1.0,
                    since: None,
                    explanation: String::new(),
                })
                .collect(),
            groups: (0..groups)
                .map(|i| GroupLagStatus {
                    group: format!("g{i:03}"),
                    status: if i == 0 { status } else { LagStatus::Ok },
                    reason: String::new(),
                    total_lag: i as i64,
                    max_lag_seconds: None,
                    partitions: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn chart_history_is_bounded_in_points_and_series() {
        let mut h = ChartHistory::default();
        let e = evaluation(50, LagStatus::Stall);
        for i in 0..(CHART_POINTS as i64 + 100) {
            h.record(t(i), i as usize, &e);
        }
        assert_eq!(h.under_replicated.len(), CHART_POINTS);
        assert_eq!(
            h.under_replicated.front().unwrap().0,
            t(100),
            "oldest dropped first"
        );
        assert_eq!(h.group_lag.len(), CHART_SERIES);
        assert_eq!(h.anomaly_scores.len(), CHART_SERIES);
        assert!(h.group_lag.values().all(|b| b.len() == CHART_POINTS));
        // The lagging group keeps its place although its lag is the smallest;
        // the rest are the groups with the most lag.
        assert!(h.group_lag.contains_key("g000"));
        assert!(h.group_lag.contains_key("g049"));
        assert!(!h.group_lag.contains_key("g010"));
        assert!(h.anomaly_scores.contains_key("s49"));
    }

    #[test]
    fn chart_series_that_lose_their_place_lose_their_points() {
        let mut h = ChartHistory::default();
        h.record(t(0), 0, &evaluation(3, LagStatus::Ok));
        assert_eq!(h.group_lag.len(), 3);
        h.record(t(1), 0, &evaluation(1, LagStatus::Ok));
        assert_eq!(h.group_lag.keys().collect::<Vec<_>>(), ["g000"]);
        assert_eq!(h.group_lag["g000"].len(), 2);
    }

    #[test]
    fn only_reachable_polls_are_charted() {
        let state = SharedState::new(["c".to_string()]);
        let snap = ClusterSnapshot {
            cluster: "c".into(),
            taken_at: t(0),
            reachable: true,
            ..Default::default()
        };
        state.publish_poll(Arc::new(snap), Arc::new(evaluation(2, LagStatus::Ok)));
        let down = ClusterSnapshot {
            cluster: "c".into(),
            taken_at: t(1),
            reachable: false,
            ..Default::default()
        };
        state.publish_poll(Arc::new(down), Arc::new(Evaluation::default()));
        let v = state.cluster("c").unwrap();
        assert_eq!(v.charts.under_replicated.len(), 1);
        assert_eq!(v.charts.group_lag.len(), 2);
    }
}
