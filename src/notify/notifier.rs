//! What every notifier shares: the [`Notifier`] trait, [`DeliveryError`],
//! and the link to a cluster's incidents. A leaf: the notifiers, the
//! dispatcher and the configuration import it, not the module's facade.

use std::time::Duration;

use crate::model::Notification;

/// One destination's way of delivering a [`Notification`]: a single attempt.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// The configured destination name (unique; used in metrics and the outbox).
    fn name(&self) -> &str;
    /// Makes one delivery attempt. `Ok` means the destination acknowledged it.
    async fn send(&self, n: &Notification) -> Result<(), DeliveryError>;
}

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Worth trying again: 5xx, 429, 408, timeouts and connection errors.
    Retryable {
        reason: String,
        /// What the destination asked for (`Retry-After`), if anything.
        retry_after: Option<Duration>,
    },
    /// Trying again would not help: other 4xx, bad URL, unserializable body.
    Permanent {
        status: Option<u16>,
        /// The response body (truncated), or the error text.
        body: String,
    },
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Retryable {
                reason,
                retry_after: Some(d),
            } => write!(f, "retryable: {reason} (retry after {}s)", d.as_secs_f64()),
            DeliveryError::Retryable { reason, .. } => write!(f, "retryable: {reason}"),
            DeliveryError::Permanent {
                status: Some(s),
                body,
            } => write!(f, "permanent: HTTP {s}: {body}"),
            DeliveryError::Permanent { body, .. } => write!(f, "permanent: {body}"),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// Link to isrwatch's incidents of a cluster, when the API base is known.
pub(crate) fn incidents_link(api_base: Option<&str>, cluster: &str) -> Option<String> {
    api_base.map(|b| {
        format!(
            "{}/api/v1/clusters/{}/incidents",
            b.trim_end_matches('/'),
            percent_encode_segment(cluster)
        )
    })
}

/// Percent-encodes one URL path segment (cluster names are usually plain).
fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
