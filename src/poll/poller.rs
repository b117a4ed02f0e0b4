//! The [`Poller`] trait every poller implements and [`PollerError`], in a
//! leaf of their own so the pollers under `poll/` need not import the
//! module's facade.

use async_trait::async_trait;

use crate::snapshot::{ClusterSnapshot, Time};

/// Produces snapshots of one cluster. The real implementation talks to
/// Kafka through rdkafka; tests use a double returning canned snapshots.
#[async_trait]
pub trait Poller: Send {
    /// Polls once. Never fails: an unreachable cluster is a fact in the
    /// returned snapshot (`reachable = false`, `errors`).
    async fn poll(&mut self, now: Time) -> ClusterSnapshot;
}

/// A poller that cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollerError {
    /// A problem in the cluster's configuration, with the key it concerns.
    #[error("clusters.{cluster}.{key}: {message}")]
    Config {
        cluster: String,
        key: String,
        message: String,
    },
}
