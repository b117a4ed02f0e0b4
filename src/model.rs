//! Types that cross the later stages: [`Incident`] and [`NotifyReason`]
//! (incidents → summarize), [`Summary`] (summarize → notify) and
//! [`Notification`] (what the notifiers deliver and the outbox stores).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, FindingKind, Severity, Subject};
use crate::snapshot::{BrokerId, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Seen, but not for long enough (`for` duration) to notify.
    Pending,
    Firing,
    Resolved,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Pending => "pending",
            IncidentState::Firing => "firing",
            IncidentState::Resolved => "resolved",
        }
    }
}

/// Why an incident is being sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyReason {
    /// It just started firing.
    Firing,
    /// Same incident, higher severity.
    Escalated,
    /// Same incident, lower severity (still firing).
    DeEscalated,
    /// Still firing after the re-notify interval.
    Reminder,
    /// Flapping: it keeps coming back (an incident resolved moments ago is
    /// reopened, or one starts for the `flap_threshold`-th time within
    /// `flap_window`). Sent once per flapping episode; the incident stays
    /// open until nothing changed for `flap_quiet`, then `Resolved` follows
    /// if it is gone.
    Flapping,
    Resolved,
}

impl NotifyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyReason::Firing => "firing",
            NotifyReason::Escalated => "escalated",
            NotifyReason::DeEscalated => "de_escalated",
            NotifyReason::Reminder => "reminder",
            NotifyReason::Flapping => "flapping",
            NotifyReason::Resolved => "resolved",
        }
    }
}

/// The entities an incident touches, for titles, routing and summaries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub brokers: Vec<BrokerId>,
    pub topics: Vec<String>,
    /// Number of partitions affected (the list below may be capped).
    pub partition_count: usize,
    /// Up to a few dozen affected partitions, as (topic, partition).
    pub partitions: Vec<(String, i32)>,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: Time,
    /// Stable machine word: `opened`, `firing`, `escalated`, `resolved`, ...
    pub event: String,
    /// Human detail built from fields (never from LLM text).
    pub detail: String,
}

/// Findings grouped under one probable root cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Unique per occurrence: fingerprint plus start time.
    pub id: String,
    /// Stable across occurrences: hash of (cluster, kind, root subject).
    pub fingerprint: String,
    pub cluster: String,
    /// The root-cause kind, e.g. `broker_down` for a broker and the
    /// partitions it left under-replicated.
    pub kind: FindingKind,
    pub root: Subject,
    /// Deterministic one-line title built from fields.
    pub title: String,
    pub state: IncidentState,
    pub severity: Severity,
    pub started_at: Time,
    pub firing_since: Option<Time>,
    pub resolved_at: Option<Time>,
    pub updated_at: Time,
    pub affected: Affected,
    /// Number of current findings per kind.
    pub counts: BTreeMap<FindingKind, usize>,
    /// The current findings (capped; `counts` has the totals).
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineEvent>,
    /// True while flap damping holds notifications back.
    pub flapping: bool,
    /// Id of the silence that mutes it, if any.
    pub silenced_by: Option<String>,
    /// The latest summary sent for it.
    pub summary: Option<Summary>,
    /// Labels for routing and Alertmanager (cluster, kind, severity, broker, ...).
    pub labels: BTreeMap<String, String>,
    /// The kind its alert is keyed by, when its kind no longer tells it:
    /// an incident that escalated into its broker's outage (a slow
    /// follower's `under_replicated` that became `broker_down`) stays the
    /// alert receivers already know. `None`: the kind's own key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyed_by: Option<FindingKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SummarySource {
    Template,
    Llm { provider: String, model: String },
}

/// The alert text: what happened, what it breaks, what to do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub headline: String,
    pub what_happened: String,
    pub impact: String,
    pub likely_cause: String,
    /// Each step may include a Kafka CLI command.
    pub next_steps: Vec<String>,
    pub source: SummarySource,
    /// Why the template was used although an LLM is configured.
    pub fallback_reason: Option<String>,
}

/// One message to deliver, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique id (UUID), also the idempotency key receivers can use.
    pub id: String,
    pub reason: NotifyReason,
    pub incident: Incident,
    pub summary: Summary,
    pub created_at: Time,
    /// A follow-up carrying a late LLM summary for an alert already sent.
    pub is_update: bool,
}
