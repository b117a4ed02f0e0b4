//! Notifiers, the durable outbox and delivery with retries.

/// One `[[notifiers]]` entry (filled in by the notify module).
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NotifierConfig {
    pub name: String,
}
