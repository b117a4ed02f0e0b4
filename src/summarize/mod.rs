//! Summaries: the alert text, written from the incident's facts alone.
//!
//! - [`TemplateSummarizer`]: deterministic text and Kafka CLI commands per
//!   incident kind; what most installations use.
//! - [`LlmSummarizer`]: asks an LLM (OpenAI-compatible, Anthropic or
//!   Ollama) for the same structure, from a JSON document of facts in which
//!   cluster-supplied names are data only; checks the answer (schema,
//!   grounding against the facts, sanitization) and falls back to the
//!   template when anything is wrong, when the token budget is spent, or
//!   when the answer is not there by the deadline.
//!
//! Call [`build`] once at start-up and share the `Arc<dyn Summarizer>`.

pub mod check;
mod config;
pub mod facts;
mod llm;
mod template;

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::base::Problems;
use crate::model::{Incident, NotifyReason, Summary};

pub use config::{LlmConfig, Provider, ENV_API_KEY, ENV_BASE_URL, ENV_MODEL, ENV_PROVIDER};
pub use llm::{user_prompt, LlmMetrics, LlmSummarizer, FALLBACK_REASONS, SYSTEM_PROMPT};
pub use template::{shell_quote, TemplateSummarizer};

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

#[async_trait]
impl Summarizer for TemplateSummarizer {
    async fn summarize(&self, incident: &Incident, reason: NotifyReason) -> Summarized {
        Summarized {
            summary: self.render(incident, reason),
            late: None,
        }
    }
}

/// The summarizer for a configuration: the template alone when `cfg` is
/// `None`, else an [`LlmSummarizer`]. Registers the `isrwatch_llm_*`
/// metrics in `registry` in both cases (so dashboards see zeros). Fails on
/// an invalid section, an unreadable API key, or metrics already registered.
pub fn build(
    cfg: Option<&LlmConfig>,
    registry: &prometheus::Registry,
) -> Result<Arc<dyn Summarizer>, String> {
    let metrics = LlmMetrics::register(registry)?;
    let Some(cfg) = cfg else {
        return Ok(Arc::new(TemplateSummarizer));
    };
    let mut problems = Problems::default();
    cfg.validate("llm", &mut problems);
    if !problems.is_empty() {
        return Err(problems.to_string().trim_end().to_string());
    }
    Ok(Arc::new(LlmSummarizer::new(cfg.clone(), metrics)?))
}
