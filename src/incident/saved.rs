//! What the incident manager keeps per open incident, and what it saves
//! across a restart. A leaf: the manager and the [`super::Correlator`]
//! trait import it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{FindingKind, Severity, Subject};
use crate::model::{Incident, NotifyReason};
use crate::snapshot::Time;

/// An open (pending or firing) incident and its notification bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Tracked {
    pub(super) incident: Incident,
    pub(super) key_kind: FindingKind,
    /// First poll without any of its findings (None while present).
    pub(super) absent_since: Option<Time>,
    pub(super) notified_firing: bool,
    pub(super) notified_severity: Severity,
    pub(super) last_notified_at: Option<Time>,
    /// Last time the findings appeared or vanished (flap damping).
    pub(super) last_change: Time,
    /// A broker-down incident whose broker is back and catching up.
    #[serde(default)]
    pub(super) recovering: bool,
    /// The worst partition state among its findings now, and when it was
    /// last notified (`group::replication_rank`).
    #[serde(default)]
    pub(super) partition_rank: u8,
    #[serde(default)]
    pub(super) notified_partition_rank: u8,
    /// Since when its partitions have been worse than last notified (see
    /// the escalation in `manager.rs`); `None` while they are not.
    #[serde(default)]
    pub(super) worse_since: Option<Time>,
    /// Its current flapping episode was notified (`NotifyReason::Flapping`).
    #[serde(default)]
    pub(super) notified_flapping: bool,
    /// The group it follows since it escalated into its broker's outage
    /// (`BrokerDown`, that broker): a slow follower, a log dir failure, a
    /// broker that stopped answering or a lagging voter that then went
    /// down stays one incident. `None`: its own key.
    #[serde(default)]
    pub(super) follows: Option<(FindingKind, Subject)>,
    /// Since when its severity has been below the last notified one
    /// (`de_escalate_after`); `None` while it is not.
    #[serde(default)]
    pub(super) lower_since: Option<Time>,
    /// The title it had when last notified: a resolve repeats it, since
    /// what changed after it (a lower severity, another status) was not told.
    #[serde(default)]
    pub(super) notified_title: Option<String>,
}

impl Tracked {
    /// Records that it is notified now for `reason`, and what it said:
    /// later notifications compare with this.
    pub(super) fn notify(&mut self, reason: NotifyReason, now: Time) -> (Incident, NotifyReason) {
        self.notified_firing = true;
        self.notified_severity = self.incident.severity;
        self.notified_title = Some(self.incident.title.clone());
        self.notified_partition_rank = self.partition_rank;
        self.last_notified_at = Some(now);
        (self.incident.clone(), reason)
    }

    /// The group key it follows now: its own, or its broker's outage.
    pub(super) fn group_key(&self) -> (FindingKind, &Subject) {
        match &self.follows {
            Some((kind, root)) => (*kind, root),
            None => (self.key_kind, &self.incident.root),
        }
    }
}

/// What [`IncidentManager::export_state`] returns: open incidents with
/// their notification bookkeeping, retained resolved ones, flap history.
/// Serializable; its layout is internal and may change between versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedState {
    pub(super) open: Vec<Tracked>,
    pub(super) resolved: Vec<Incident>,
    pub(super) firings: BTreeMap<String, Vec<Time>>,
}
