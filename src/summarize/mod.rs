//! Summaries: the alert text, written from the incident's facts alone.

use async_trait::async_trait;

use crate::model::{Incident, NotifyReason, Summary};

/// Writes the alert text for an incident.
#[async_trait]
pub trait Summarizer: Send + Sync {
    /// Returns within the configured deadline, always. `late` carries an
    /// LLM answer that arrived after the deadline (validated), if any.
    async fn summarize(&self, incident: &Incident, reason: NotifyReason) -> Summarized;
}

/// A summary, and maybe a better one still on its way.
pub struct Summarized {
    pub summary: Summary,
    pub late: Option<tokio::sync::oneshot::Receiver<Summary>>,
}

/// `[llm]` settings (filled in by the summarize module).
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {}
