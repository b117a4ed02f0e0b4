//! The wire protocol: one TCP listener per broker, Kafka framing, and the
//! request handlers, one file per Kafka API.
//!
//! Unsupported requests: an ApiVersions request at a version we do not know
//! gets a v0 response with ResponseError::UnsupportedVersion.code() and our version list (what
//! Kafka does, so clients can downgrade). Any other API key or version we do
//! not advertise closes the connection, which is what a Kafka broker does
//! with a request it cannot parse; clients see a disconnect at once and
//! never hang. Malformed frames close that one connection only.
//!
//! | file | what it holds |
//! |---|---|
//! | `shared.rs` | the state every connection shares, the APIs and versions answered |
//! | `frame.rs` | response framing |
//! | `conn.rs` | listeners, TLS, one task per connection |
//! | `sasl.rs` | SaslHandshake and SaslAuthenticate, per connection |
//! | `dispatch.rs` | one request frame to its handler; ApiVersions |
//! | `metadata.rs` | Metadata, DescribeCluster, the controller named to clients |
//! | `offsets.rs` | ListOffsets |
//! | `coordinator.rs` | FindCoordinator |
//! | `offset_fetch.rs` | OffsetFetch |
//! | `groups.rs` | ListGroups, DescribeGroups |
//! | `configs.rs` | DescribeConfigs |
//! | `reassignments.rs` | ListPartitionReassignments |
//! | `quorum.rs` | DescribeQuorum |
//! | `log_dirs.rs` | DescribeLogDirs |
//! | `topic_partitions.rs` | DescribeTopicPartitions (eligible leader replicas, KIP-966) |

mod configs;
mod conn;
mod coordinator;
mod dispatch;
mod frame;
mod groups;
mod log_dirs;
mod metadata;
mod offset_fetch;
mod offsets;
mod quorum;
mod reassignments;
mod sasl;
mod shared;
#[cfg(test)]
mod tests;
mod topic_partitions;

pub(crate) use conn::{serve_broker, tls_acceptor};
pub(crate) use shared::Shared;
