//! ListOffsets: earliest, latest, max-timestamp and by-time offsets, from
//! partition leaders only.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use crate::sim::state::ClusterState;

/// `version` is the request's: fields newer than it stay at their
/// defaults, which is all its encoding accepts (a leader epoch in a
/// version 2 answer, kcat's `-Q`, failed to encode and the client timed
/// out).
pub(super) fn list_offsets(
    st: &ClusterState,
    broker: i32,
    req: &ListOffsetsRequest,
    version: i16,
) -> ListOffsetsResponse {
    let mut r = ListOffsetsResponse::default();
    for t in &req.topics {
        let topic = st.live_topic(t.name.0.as_str()).map(|i| &st.topics[i]);
        let mut tr =
            list_offsets_response::ListOffsetsTopicResponse::default().with_name(t.name.clone());
        for p in &t.partitions {
            let mut pr = list_offsets_response::ListOffsetsPartitionResponse::default()
                .with_partition_index(p.partition_index)
                .with_timestamp(-1)
                .with_offset(-1);
            let part = topic.and_then(|tp| {
                usize::try_from(p.partition_index)
                    .ok()
                    .and_then(|i| tp.partitions.get(i))
                    .map(|x| (tp, x))
            });
            match part {
                None => pr.error_code = ResponseError::UnknownTopicOrPartition.code(),
                Some((_, part)) if part.leader != broker => {
                    pr.error_code = ResponseError::NotLeaderOrFollower.code()
                }
                Some((tp, part)) => {
                    if version >= 4 {
                        pr.leader_epoch = part.leader_epoch;
                    }
                    let end = tp.end_offset(part);
                    match p.timestamp {
                        -2 | -4 => pr.offset = part.log_start,
                        -1 | -5 => pr.offset = end,
                        -3 => {
                            pr.offset = (end - 1).max(part.log_start);
                            pr.timestamp = st.wall_ms(st.now_ms);
                        }
                        ts if ts >= 0 => {
                            if let Some(o) = tp.offset_at(part, ts - st.epoch_wall_ms) {
                                pr.offset = o;
                                pr.timestamp = ts.max(st.epoch_wall_ms);
                            }
                        }
                        _ => pr.error_code = ResponseError::InvalidRequest.code(),
                    }
                }
            }
            tr.partitions.push(pr);
        }
        r.topics.push(tr);
    }
    r
}
