//! Summaries: the alert text, written from the incident's facts alone.

/// `[llm]` settings (filled in by the summarize module).
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {}
