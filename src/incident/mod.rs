//! Incidents: findings grouped by probable root cause, with a lifecycle
//! (pending, firing, resolved), flap damping, re-notify and silences.

use crate::finding::Finding;
use crate::model::{Incident, NotifyReason};
use crate::snapshot::Time;

/// Groups findings into incidents and says which incidents to notify now.
pub trait Correlator: Send {
    /// Takes every current finding of one cluster (from one evaluation) and
    /// returns the incidents that must be notified now, with why.
    fn ingest(
        &mut self,
        cluster: &str,
        findings: &[Finding],
        now: Time,
    ) -> Vec<(Incident, NotifyReason)>;
    /// Active and recently resolved incidents, newest first.
    fn incidents(&self) -> Vec<Incident>;
}

/// `[incidents]` settings (filled in by the incident module).
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentConfig {}
