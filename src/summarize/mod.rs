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
mod summarizer;
mod template;

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::base::Problems;
use crate::model::{Incident, NotifyReason};

pub use config::{LlmConfig, Provider, ENV_API_KEY, ENV_BASE_URL, ENV_MODEL, ENV_PROVIDER};
pub use llm::{user_prompt, LlmMetrics, LlmSummarizer, FALLBACK_REASONS, SYSTEM_PROMPT};
pub use summarizer::{Summarized, Summarizer};
pub use template::{shell_quote, TemplateSummarizer};

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
