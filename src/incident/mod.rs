//! Incidents: findings grouped by probable root cause, with a lifecycle
//! (pending, firing, resolved), flap damping, re-notify and silences.
//!
//! - [`IncidentManager`] is the [`Correlator`] the daemon runs: call
//!   [`Correlator::ingest`] with every current finding of a cluster after each
//!   evaluation, send what it returns, and publish [`Correlator::incidents`].
//! - Grouping rules and the fingerprint are described in `group.rs`
//!   ([`fingerprint`] is public for tests and tools).
//! - [`Silences`] is the shared silence store (configuration, maintenance
//!   windows and the HTTP API).
//! - [`IncidentConfig`] is the `[incidents]` section.

mod config;
mod correlator;
mod group;
mod manager;
mod saved;
pub mod silence;

pub use config::IncidentConfig;
pub use correlator::Correlator;
pub use group::fingerprint;
pub(crate) use group::{key_kind_of, retired, returned};
pub use manager::IncidentManager;
pub use saved::SavedState;
pub use silence::{
    parse_time, MaintenanceConfig, MaintenanceWindow, Matcher, Schedule, Silence, SilenceConfig,
    SilenceError, SilenceSource, SilenceSpec, SilenceStatus, Silences, TimeText,
};

use crate::finding::Finding;
use crate::model::{Incident, NotifyReason};
use crate::snapshot::Time;

/// A test double: returns scripted answers and records every call.
#[derive(Debug, Default)]
pub struct RecordingCorrelator {
    /// Each `ingest` call as (cluster, findings, now).
    pub calls: Vec<(String, Vec<Finding>, Time)>,
    /// Answers returned by successive `ingest` calls (empty once used up).
    pub answers: std::collections::VecDeque<Vec<(Incident, NotifyReason)>>,
    /// What `incidents()` returns.
    pub current: Vec<Incident>,
}

impl Correlator for RecordingCorrelator {
    fn ingest(
        &mut self,
        cluster: &str,
        findings: &[Finding],
        now: Time,
    ) -> Vec<(Incident, NotifyReason)> {
        self.calls
            .push((cluster.to_string(), findings.to_vec(), now));
        self.answers.pop_front().unwrap_or_default()
    }

    fn incidents(&self) -> Vec<Incident> {
        self.current.clone()
    }
}
