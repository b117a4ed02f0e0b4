//! Pollers: turn a Kafka cluster into one [`ClusterSnapshot`] per poll.
//!
//! - [`KafkaPoller`]: the real poller (rdkafka + the admin calls wrapped in
//!   [`admin`]); keep one per cluster for the daemon's whole life, it holds
//!   the state that spans polls (client connection, config cache, lag
//!   history, brokers seen, previous ISR). Its code is split by concern
//!   under `kafka/` (metadata, configs, offsets, groups, cluster); offsets
//!   and groups go through one trait, `kafka::api::GroupApi`, implemented
//!   on the direct client and on librdkafka, so that path never asks which
//!   client answers and is unit-tested against a fake.
//! - [`direct`]: isrwatch's own ListOffsets, OffsetFetch and DescribeGroups
//!   requests (`kafka-protocol` on kept connections, plain or TLS through
//!   [`transport`]), used instead of librdkafka's admin calls on PLAINTEXT
//!   and SSL clusters (`direct_requests`): about 4x less CPU per poll at
//!   100,000 partitions.
//! - [`CannedPoller`]: a test double returning prepared snapshots.
//! - [`diff::isr_changes`], [`lag`], [`sidecar`]: pure pieces, unit-tested.
//!
//! # What the daemon loop does with them
//!
//! ```text
//! let mut poller = KafkaPoller::new(&cluster_cfg)?;   // once per cluster, at start-up
//! let mut failures = 0;
//! loop {                                              // one tokio task per cluster
//!     let snap = poller.poll(clock.now()).await;      // never fails, bounded by poll_timeout
//!     failures = if snap.reachable { 0 } else { failures + 1 };
//!     publish(Arc::new(snap));                        // evaluator, state, /metrics
//!     sleep(daemon::next_delay(interval, failures)) or shutdown;  // backoff::Backoff::polls
//! }
//! ```
//!
//! The poller must live as long as the daemon: dropping it loses the lag
//! history (lag in seconds restarts from "extrapolated"), the brokers seen
//! (a broker already down at restart is only noticed through replica
//! lists), the previous ISR (no ISR events on the first poll) and the
//! `min.insync.replicas` cache.
//!
//! # Errors in a snapshot
//!
//! `ClusterSnapshot::errors[].step` is one of `client`, `metadata` (then
//! `reachable == false`), `configs`, `offsets`, `groups.list`,
//! `groups.describe`, `groups.offsets`, `sidecar`.
//!
//! # Consumer groups on clusters without ListGroups
//!
//! Groups polled = groups listed by ListConsumerGroups, plus every literal
//! name (no regex syntax) in `groups.include`, plus
//! [`KafkaPoller::with_groups`]; then filtered by `groups`. So a cluster
//! whose ListGroups fails (librdkafka's mock) still gets committed offsets
//! for the groups named in the configuration, with a `groups.list` error.
//!
//! # How group calls reach the coordinator
//!
//! Describe and committed-offset calls are never left to librdkafka's own
//! coordinator lookup: in librdkafka 2.12 that path aborts the process when
//! a request times out while its coordinator is down and the lookup
//! completes later (see `admin`). Each call names its broker instead: the
//! coordinator seen in the last poll, else Kafka's choice computed from the
//! `__consumer_offsets` leaders, else every live broker is asked and the
//! one not answering NOT_COORDINATOR is it. The same holds on the direct
//! path (`direct`), where one request carries all of a coordinator's groups.
//! (The search is `fetch_groups` in `kafka/groups`, the same for both
//! paths.)
//! Through librdkafka, these calls run on a second,
//! consumer-type librdkafka handle (a `group.id` it never joins, default
//! `isrwatch-<cluster>-internal` unless the properties set one), because
//! librdkafka's OffsetFetch handler dereferences the handle's consumer
//! group on NOT_COORDINATOR, which a producer-type handle does not have.

use std::time::Duration;

use async_trait::async_trait;

use crate::snapshot::{ClusterSnapshot, Time};

pub mod admin;
pub mod diff;
pub mod direct;
mod kafka;
pub mod lag;
mod poller;
pub mod sidecar;
pub mod transport;

pub use diff::isr_changes;
pub use kafka::KafkaPoller;
pub use poller::{Poller, PollerError};

/// Test double: returns the given snapshots in order, then repeats the last
/// one (with `taken_at` set to `now`). With no snapshots it returns an
/// unreachable snapshot.
#[derive(Debug, Clone, Default)]
pub struct CannedPoller {
    snapshots: std::collections::VecDeque<ClusterSnapshot>,
    last: Option<ClusterSnapshot>,
    /// How many times `poll` was called.
    pub polls: usize,
}

impl CannedPoller {
    /// A poller returning `snapshots` one per poll.
    pub fn new(snapshots: Vec<ClusterSnapshot>) -> Self {
        CannedPoller {
            snapshots: snapshots.into(),
            last: None,
            polls: 0,
        }
    }
}

#[async_trait]
impl Poller for CannedPoller {
    async fn poll(&mut self, now: Time) -> ClusterSnapshot {
        self.polls += 1;
        if let Some(s) = self.snapshots.pop_front() {
            self.last = Some(s.clone());
            return s;
        }
        match &self.last {
            Some(s) => {
                let mut s = s.clone();
                s.taken_at = now;
                s
            }
            None => ClusterSnapshot::unreachable(
                "canned",
                now,
                Duration::ZERO,
                crate::snapshot::PollError {
                    step: "canned".into(),
                    broker: None,
                    message: "no canned snapshot".into(),
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn canned_poller_replays_then_repeats() {
        let now = chrono::Utc::now();
        let a = ClusterSnapshot {
            cluster: "a".into(),
            reachable: true,
            ..Default::default()
        };
        let mut p = CannedPoller::new(vec![a.clone()]);
        assert_eq!(p.poll(now).await.cluster, "a");
        let later = now + chrono::Duration::seconds(5);
        let s = p.poll(later).await;
        assert_eq!((s.cluster.as_str(), s.taken_at), ("a", later));
        assert!(!CannedPoller::default().poll(now).await.reachable);
        assert_eq!(p.polls, 2);
    }
}
