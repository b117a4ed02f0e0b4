//! The log notifier: one structured tracing line per notification.

use super::{DeliveryError, Notifier};
use crate::model::Notification;

/// Writes each notification as one `info` line (target `isrwatch::notify`).
pub struct LogNotifier {
    name: String,
}

impl LogNotifier {
    /// A log notifier with the given destination name.
    pub fn new(name: &str) -> Self {
        LogNotifier {
            name: name.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, n: &Notification) -> Result<(), DeliveryError> {
        let inc = &n.incident;
        tracing::info!(
            target: "isrwatch::notify",
            notifier = %self.name,
            id = %n.id,
            reason = n.reason.as_str(),
            cluster = %inc.cluster,
            kind = inc.kind.as_str(),
            severity = inc.severity.as_str(),
            state = inc.state.as_str(),
            fingerprint = %inc.fingerprint,
            incident = %inc.id,
            headline = %n.summary.headline,
            "notification"
        );
        Ok(())
    }
}
