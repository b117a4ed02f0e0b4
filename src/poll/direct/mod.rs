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
//! `direct_requests` is on and [`Transport::for_properties`] accepts the
//! cluster's properties (not GSSAPI, not OAUTHBEARER), and librdkafka's
//! admin API otherwise. Metadata, configs and group listing always go
//! through librdkafka.
//!
//! Answers have the same types as the librdkafka wrappers in
//! [`super::admin`], so the poller's logic does not depend on which path
//! answered. Every failure is an [`AdminError`] naming the request and the
//! broker; bytes that do not decode are an error, never a panic.
//!
//! Files: `conn` (the connection pool: connecting, ApiVersions, SASL,
//! framing, budgets), `requests` (ListOffsets, OffsetFetch,
//! DescribeGroups) and `cluster` (DescribeQuorum,
//! ListPartitionReassignments, DescribeLogDirs).

mod cluster;
mod conn;
#[cfg(test)]
mod fake_broker_tests;
mod requests;

use std::collections::HashMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::protocol::StrBytes;

use super::transport::Transport;
use crate::snapshot::BrokerId;

pub use cluster::Reassigning;
use conn::Slot;

/// Partitions per ListOffsets request (about 20 KiB of request).
pub const OFFSETS_PER_REQUEST: usize = 2000;
/// Groups per OffsetFetch (v8+) and DescribeGroups request.
pub const GROUPS_PER_REQUEST: usize = 500;

/// The client: one connection per broker, one request at a time on each.
pub struct DirectClient {
    client_id: String,
    transport: Transport,
    slots: Pool,
    /// Connections of [`DirectClient::probe`] only: a probe never waits
    /// behind a long request to the same broker.
    probe_slots: Pool,
}

/// One connection slot per broker.
type Pool = parking_lot::Mutex<HashMap<BrokerId, Arc<tokio::sync::Mutex<Slot>>>>;

impl std::fmt::Debug for DirectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The name of a Kafka error as librdkafka reports it
/// (`NotLeaderOrFollower` is `NOT_LEADER_FOR_PARTITION`), so both paths
/// produce the same messages; `kafka-protocol`'s name for errors librdkafka
/// does not know. A response's error code becomes a [`ResponseError`]
/// through `kafka_protocol::error::ParseResponseErrorCode::err` (`None`
/// when there is no error).
pub fn error_name(e: ResponseError) -> String {
    if let Some((name, _)) = super::admin::kafka_error_desc(e.code()) {
        return name;
    }
    match e {
        ResponseError::Unknown(c) => format!("UNKNOWN_ERROR_CODE_{c}"),
        e => {
            let camel = format!("{e:?}");
            let mut out = String::with_capacity(camel.len() + 8);
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(ch.to_ascii_uppercase());
            }
            out
        }
    }
}

/// `NAME: description`, librdkafka's per-group error text
/// (`NOT_COORDINATOR: Broker: Not coordinator`).
pub(super) fn error_text(e: ResponseError) -> String {
    if let Some((name, desc)) = super::admin::kafka_error_desc(e.code()) {
        return format!("{name}: {desc}");
    }
    format!("{}: {e}", error_name(e))
}

/// Whether `e` says to ask the group's coordinator again (it moved, is
/// not elected yet, or is still loading the group).
pub(super) fn is_coordinator_error(e: ResponseError) -> bool {
    matches!(
        e,
        ResponseError::NotCoordinator
            | ResponseError::CoordinatorNotAvailable
            | ResponseError::CoordinatorLoadInProgress
    )
}

pub(super) fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

impl DirectClient {
    /// A client that opens its connections with `transport` (see
    /// [`Transport::for_properties`]).
    pub fn new(client_id: &str, transport: Transport) -> Self {
        DirectClient {
            client_id: client_id.to_string(),
            transport,
            slots: parking_lot::Mutex::new(HashMap::new()),
            probe_slots: parking_lot::Mutex::new(HashMap::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ParseResponseErrorCode;

    use super::*;
    use ResponseError::*;

    #[test]
    fn error_names_match_librdkafkas() {
        assert_eq!(error_name(NotLeaderOrFollower), "NOT_LEADER_FOR_PARTITION");
        assert_eq!(error_name(UnknownTopicOrPartition), "UNKNOWN_TOPIC_OR_PART");
        assert_eq!(error_name(NotCoordinator), "NOT_COORDINATOR");
        assert_eq!(error_name(Unknown(-9999)), "UNKNOWN_ERROR_CODE_-9999");
        assert_eq!(
            error_text(NotCoordinator),
            "NOT_COORDINATOR: Broker: Not coordinator"
        );
        // No error on the wire is no error at all.
        assert_eq!(0i16.err(), None);
    }

    #[test]
    fn coordinator_errors_are_the_three_that_send_a_group_elsewhere() {
        for (e, again) in [
            (CoordinatorLoadInProgress, true),
            (CoordinatorNotAvailable, true),
            (NotCoordinator, true),
            (NotLeaderOrFollower, false),
            (GroupAuthorizationFailed, false),
            (UnknownServerError, false),
        ] {
            assert_eq!(is_coordinator_error(e), again, "{e:?}");
        }
    }
}
