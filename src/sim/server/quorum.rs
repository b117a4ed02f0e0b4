//! DescribeQuorum of the KRaft metadata log (KIP-595).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use crate::sim::state::ClusterState;

/// DescribeQuorum of `__cluster_metadata` (KIP-595), forwarded by any broker
/// to the quorum: the brokers are its voters (combined mode), the active
/// controller its leader, every live voter caught up to the high watermark.
/// Only the quorum's leader answers it: without one, the broker's
/// forwarding gives up with `REQUEST_TIMED_OUT` (the connection held the
/// request until then, `conn::wait_for_quorum_leader`).
pub(super) fn describe_quorum(
    st: &ClusterState,
    req: &DescribeQuorumRequest,
    version: i16,
) -> DescribeQuorumResponse {
    let hw = st.quorum_high_watermark();
    let wall = |sim_ms: i64| st.epoch_wall_ms + sim_ms;
    let mut r = DescribeQuorumResponse::default();
    if st.controller < 0 {
        r.error_code = ResponseError::RequestTimedOut.code();
        return r;
    }
    for t in &req.topics {
        let mut td =
            describe_quorum_response::TopicData::default().with_topic_name(t.topic_name.clone());
        for p in &t.partitions {
            let mut pd = describe_quorum_response::PartitionData::default()
                .with_partition_index(p.partition_index);
            if t.topic_name.0.as_str() != "__cluster_metadata" || p.partition_index != 0 {
                pd.error_code = ResponseError::UnknownTopicOrPartition.code();
            } else {
                pd.leader_id = BrokerId(st.controller);
                pd.leader_epoch = st.quorum_epoch;
                pd.high_watermark = hw;
                pd.current_voters = st
                    .brokers
                    .iter()
                    .filter(|b| !b.removed_voter)
                    .map(|b| {
                        let leader = b.id == st.controller;
                        let r = describe_quorum_response::ReplicaState::default()
                            .with_replica_id(BrokerId(b.id))
                            .with_log_end_offset(if leader { hw } else { b.voter_leo });
                        if version < 1 {
                            return r;
                        }
                        let at = wall(if leader {
                            st.now_ms
                        } else {
                            b.voter_caught_up_ms
                        });
                        r.with_last_fetch_timestamp(at)
                            .with_last_caught_up_timestamp(at)
                    })
                    .collect();
            }
            td.partitions.push(pd);
        }
        r.topics.push(td);
    }
    r
}
