//! isrwatch's own Kafka requests for the three calls that cost the most
//! through librdkafka at scale: ListOffsets, OffsetFetch and DescribeGroups.
//!
//! Why: librdkafka's admin API turns every partition and every group into
//! its own heap objects, operations and timers. At 100,000 partitions and
//! 2,000 groups that was 1.8 s of CPU per poll, about 85 % of it inside
//! librdkafka (see `docs/benchmarks.md`). These requests are encoded and
//! decoded with the `kafka-protocol` crate (the one the simulator uses to
//! answer them) and sent on one connection per broker that is kept between
//! polls:
//! - ListOffsets: [`OFFSETS_PER_REQUEST`] partitions per request, to the
//!   partitions' leader;
//! - OffsetFetch: every group of a coordinator in one request (v8, Kafka
//!   3.0+; older brokers get group offsets through librdkafka);
//! - DescribeGroups: every group of a coordinator in one request.
//!
//! Connections are plain TCP or TLS, with SASL PLAIN or SCRAM when the
//! cluster asks for it ([`super::transport`], from the same `ssl.*` and
//! `sasl.*` properties librdkafka gets). The poller uses this client when
//! `direct_requests` is on and
//! [`Transport::for_properties`](super::transport::Transport::for_properties)
//! accepts the cluster's properties (not GSSAPI, not OAUTHBEARER), and
//! librdkafka's admin API otherwise. Metadata, configs and group listing always go
//! through librdkafka.
//!
//! Answers have the same types as the librdkafka wrappers in
//! [`super::admin`], so the poller's logic does not depend on which path
//! answered. Every failure is an [`AdminError`](super::admin::AdminError)
//! naming the request and the broker; bytes that do not decode are an
//! error, never a panic.
//!
//! Files: `conn` (the connection pool, [`DirectClient`]: connecting,
//! ApiVersions, SASL, framing, budgets), `error` (Kafka error codes in
//! librdkafka's words), `requests` (ListOffsets, OffsetFetch,
//! DescribeGroups) and `cluster` (DescribeQuorum,
//! ListPartitionReassignments, DescribeLogDirs).

mod cluster;
mod conn;
mod error;
#[cfg(test)]
mod fake_broker_tests;
mod requests;

pub use cluster::{Eligible, QuorumAnswer, Reassigning};
pub use conn::DirectClient;
pub use error::error_name;
// For the poller's tests, which answer as the direct client would.
#[cfg(test)]
pub(super) use error::{error_text, is_coordinator_error};

/// Partitions per ListOffsets request (about 20 KiB of request).
pub const OFFSETS_PER_REQUEST: usize = 2000;
/// Groups per OffsetFetch (v8+) and DescribeGroups request.
pub const GROUPS_PER_REQUEST: usize = 500;
