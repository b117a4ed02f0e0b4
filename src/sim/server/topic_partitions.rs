//! DescribeTopicPartitions (API key 75, KIP-966): partitions with their
//! eligible leader replicas, paged by a cursor, as a KRaft broker (3.8+)
//! answers from its metadata cache (docs/kraft-elr.md, section 4).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::frame::s;
use super::metadata::offline_replicas;
use crate::sim::state::ClusterState;

/// `max.request.partition.size.limit`: the most partitions one answer holds
/// whatever the request asks.
const PARTITION_LIMIT: i32 = 2000;

pub(super) fn describe_topic_partitions(
    st: &ClusterState,
    req: &DescribeTopicPartitionsRequest,
) -> DescribeTopicPartitionsResponse {
    use describe_topic_partitions_response::{
        Cursor, DescribeTopicPartitionsResponsePartition as Part,
        DescribeTopicPartitionsResponseTopic as TopicResp,
    };
    let failed = |name: &str, code: i16| {
        TopicResp::default()
            .with_error_code(code)
            .with_name(Some(TopicName(s(name.to_string()))))
    };
    // The topics asked (every topic when none is named), sorted by name.
    let mut names: Vec<String> = if req.topics.is_empty() {
        st.topics
            .iter()
            .filter(|t| t.exists)
            .map(|t| t.name.clone())
            .collect()
    } else {
        req.topics.iter().map(|t| t.name.0.to_string()).collect()
    };
    names.sort();
    names.dedup();
    let mut resp = DescribeTopicPartitionsResponse::default();
    let (from_topic, from_partition) = match &req.cursor {
        Some(c) => (Some(c.topic_name.0.to_string()), c.partition_index),
        None => (None, 0),
    };
    if from_partition < 0 || from_topic.as_ref().is_some_and(|t| !names.contains(t)) {
        resp.topics = names
            .iter()
            .map(|n| failed(n, ResponseError::InvalidRequest.code()))
            .collect();
        return resp;
    }
    let mut left = req.response_partition_limit.clamp(1, PARTITION_LIMIT) as usize;
    let start = from_topic
        .as_ref()
        .and_then(|t| names.iter().position(|n| n == t))
        .unwrap_or(0);
    for (k, name) in names.iter().enumerate().skip(start) {
        if left == 0 {
            resp.next_cursor = Some(
                Cursor::default()
                    .with_topic_name(TopicName(s(name.clone())))
                    .with_partition_index(0),
            );
            break;
        }
        let Some(ti) = st.live_topic(name) else {
            resp.topics
                .push(failed(name, ResponseError::UnknownTopicOrPartition.code()));
            continue;
        };
        let t = &st.topics[ti];
        let first = if k == start {
            from_partition.max(0) as usize
        } else {
            0
        };
        let mut partitions = Vec::new();
        for (i, p) in t.partitions.iter().enumerate().skip(first) {
            if left == 0 {
                resp.next_cursor = Some(
                    Cursor::default()
                        .with_topic_name(TopicName(s(name.clone())))
                        .with_partition_index(i as i32),
                );
                break;
            }
            left -= 1;
            let ids = |v: &[i32]| v.iter().map(|b| BrokerId(*b)).collect::<Vec<_>>();
            partitions.push(
                Part::default()
                    .with_partition_index(i as i32)
                    .with_leader_id(BrokerId(p.leader))
                    .with_leader_epoch(p.leader_epoch)
                    .with_replica_nodes(ids(&p.replicas))
                    .with_isr_nodes(ids(&p.isr))
                    .with_eligible_leader_replicas(Some(ids(&p.elr)))
                    .with_last_known_elr(Some(ids(&p.last_known_elr)))
                    .with_offline_replicas(offline_replicas(st, p)),
            );
        }
        resp.topics.push(
            TopicResp::default()
                .with_name(Some(TopicName(s(t.name.clone()))))
                .with_topic_id(uuid::Uuid::from_u128(t.id))
                .with_is_internal(t.name.starts_with("__"))
                .with_partitions(partitions),
        );
        if resp.next_cursor.is_some() {
            break;
        }
    }
    resp
}
