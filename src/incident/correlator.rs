//! The [`Correlator`] trait: findings in, incidents to notify out. A leaf:
//! the manager implements it without importing the module's facade.

use super::saved::SavedState;
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
    /// State worth saving across a restart (the real manager's), if any.
    fn saved_state(&self) -> Option<SavedState> {
        None
    }
}
