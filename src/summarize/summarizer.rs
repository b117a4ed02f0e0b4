//! The [`Summarizer`] trait and what it returns. A leaf: the LLM and
//! template summarizers import it, not the module's facade.

use async_trait::async_trait;

use crate::model::{Incident, NotifyReason, Summary};

/// What [`Summarizer::summarize`] returns.
#[derive(Debug)]
pub struct Summarized {
    /// The summary to send now (LLM text if it was ready and valid, else
    /// the template with `fallback_reason` set).
    pub summary: Summary,
    /// A validated LLM answer that arrived after the deadline, if one is
    /// still expected. The sender is dropped when the late call fails.
    pub late: Option<tokio::sync::oneshot::Receiver<Summary>>,
}

/// Writes the alert text of an incident.
#[async_trait]
pub trait Summarizer: Send + Sync {
    /// Returns within the configured deadline, always. `late` carries an
    /// LLM answer that arrived after the deadline (validated), if any.
    async fn summarize(&self, incident: &Incident, reason: NotifyReason) -> Summarized;

    /// Whether a late answer should also go out as a follow-up notification
    /// (`Notification::is_update`); the API shows it in any case.
    fn follow_up(&self) -> bool {
        false
    }
}
