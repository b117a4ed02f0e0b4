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
