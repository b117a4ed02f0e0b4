//! What every connection task shares, and the APIs the simulator answers.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use parking_lot::Mutex;

use crate::sim::state::ClusterState;

/// The API keys and version ranges the simulator answers (and advertises).
pub(crate) const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::OffsetFetch, 1, 8),
    (ApiKey::FindCoordinator, 0, 4),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::DescribeLogDirs, 1, 4),
    (ApiKey::DescribeCluster, 0, 1),
    (ApiKey::DescribeQuorum, 0, 2),
    (ApiKey::ListPartitionReassignments, 0, 0),
    (ApiKey::DescribeTopicPartitions, 0, 0),
    (ApiKey::SaslHandshake, 0, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

pub(super) fn supported(key: ApiKey, version: i16) -> bool {
    SUPPORTED
        .iter()
        .any(|(k, lo, hi)| *k == key && (*lo..=*hi).contains(&version))
}

/// Number of request counters per broker (API keys 0..N).
pub(crate) const COUNTERS: usize = 100;

/// What every connection task shares.
pub(crate) struct Shared {
    pub state: Mutex<ClusterState>,
    /// `counts[broker index][api key]`.
    pub counts: Vec<Vec<AtomicU64>>,
    /// Encoded all-topics Metadata bodies by version: (generation, body).
    /// Encoded all-topics Metadata answers by (version, controller named).
    pub(super) meta_cache: Mutex<HashMap<(i16, i32), (u64, Bytes)>>,
}

impl Shared {
    pub fn new(state: ClusterState) -> Shared {
        let n = state.brokers.len();
        Shared {
            state: Mutex::new(state),
            counts: (0..n)
                .map(|_| (0..COUNTERS).map(|_| AtomicU64::new(0)).collect())
                .collect(),
            meta_cache: Mutex::new(HashMap::new()),
        }
    }
}
