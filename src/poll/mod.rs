//! Pollers: turn a Kafka cluster into one [`ClusterSnapshot`] per poll.

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
