//! FindCoordinator: the broker a group name hashes to.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::frame::s;
use crate::sim::state::ClusterState;

pub(super) fn find_coordinator(
    st: &ClusterState,
    req: &FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let lookup = |key: &str| {
        let id = st.coordinator_of_hash(fnv_key(key));
        let port = st.broker(id).map(|b| b.port as i32).unwrap_or(-1);
        (id, port)
    };
    let mut r = FindCoordinatorResponse::default();
    if version <= 3 {
        let (id, port) = lookup(req.key.as_str());
        if id < 0 {
            r.error_code = ResponseError::CoordinatorNotAvailable.code();
            r.node_id = BrokerId(-1);
            r.port = -1;
        } else {
            r.node_id = BrokerId(id);
            r.host = s("127.0.0.1");
            r.port = port;
        }
    } else {
        for k in &req.coordinator_keys {
            let (id, port) = lookup(k.as_str());
            let mut c = find_coordinator_response::Coordinator::default()
                .with_key(k.clone())
                .with_node_id(BrokerId(id))
                .with_port(port);
            if id < 0 {
                c.error_code = ResponseError::CoordinatorNotAvailable.code();
            } else {
                c.host = s("127.0.0.1");
            }
            r.coordinators.push(c);
        }
    }
    r
}

/// The coordinator hash of a group name (same as the state's).
pub(super) fn fnv_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}
