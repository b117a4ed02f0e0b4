//! OffsetFetch: a group's committed offsets, from its coordinator only.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::coordinator::fnv_key;
use super::frame::s;
use crate::sim::state::model::NO_OFFSET;
use crate::sim::state::ClusterState;
use crate::sim::state::GroupMode;

/// Committed offsets of `group` for the requested topics (`None` = all the
/// group has), as (topic, [(partition, offset)]). `Err(code)` for a group
/// this broker does not coordinate.
type Committed = Vec<(String, Vec<(i32, i64)>)>;

fn committed_for(
    st: &ClusterState,
    broker: i32,
    group: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Committed, i16> {
    if st.coordinator_of_hash(fnv_key(group)) != broker {
        return Err(ResponseError::NotCoordinator.code());
    }
    let g = st
        .group_index
        .get(group)
        .map(|&i| &st.groups[i])
        .filter(|g| g.mode != GroupMode::Deleted);
    let offset = |topic: &str, p: i32| -> i64 {
        let Some(g) = g else { return -1 };
        let Some(ti) = st.live_topic(topic) else {
            return -1;
        };
        let Some(k) = g.topics.iter().position(|&x| x == ti) else {
            return -1;
        };
        usize::try_from(p)
            .ok()
            .and_then(|p| g.committed[k].get(p).copied())
            .unwrap_or(-1)
    };
    Ok(match topics {
        Some(ts) => ts
            .into_iter()
            .map(|(t, ps)| {
                let v = ps.iter().map(|&p| (p, offset(&t, p))).collect();
                (t, v)
            })
            .collect(),
        None => match g {
            None => Vec::new(),
            // Only what was committed, as Kafka answers for all topics.
            Some(g) => g
                .topics
                .iter()
                .enumerate()
                .filter(|(_, &ti)| st.topics[ti].exists)
                .map(|(k, &ti)| {
                    let t = st.topics[ti].name.clone();
                    let v = g.committed[k]
                        .iter()
                        .enumerate()
                        .filter(|(_, &o)| o != NO_OFFSET)
                        .map(|(p, &o)| (p as i32, o))
                        .collect();
                    (t, v)
                })
                .filter(|(_, v): &(String, Vec<(i32, i64)>)| !v.is_empty())
                .collect(),
        },
    })
}

pub(super) fn offset_fetch(
    st: &ClusterState,
    broker: i32,
    req: &OffsetFetchRequest,
    version: i16,
) -> OffsetFetchResponse {
    let mut r = OffsetFetchResponse::default();
    if version <= 7 {
        let topics = req.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        let requested = topics.clone();
        match committed_for(st, broker, req.group_id.0.as_str(), topics) {
            Ok(c) => {
                r.topics = c
                    .into_iter()
                    .map(|(t, ps)| {
                        offset_fetch_response::OffsetFetchResponseTopic::default()
                            .with_name(TopicName(s(t)))
                            .with_partitions(
                                ps.into_iter()
                                    .map(|(p, o)| {
                                        offset_fetch_response::OffsetFetchResponsePartition::default()
                                            .with_partition_index(p)
                                            .with_committed_offset(o)
                                            .with_metadata(Some(s("")))
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
            }
            Err(code) => {
                if version >= 2 {
                    r.error_code = code;
                }
                // v1 has no top-level error: report it per partition.
                r.topics = requested
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(t, ps)| {
                        offset_fetch_response::OffsetFetchResponseTopic::default()
                            .with_name(TopicName(s(t)))
                            .with_partitions(
                                ps.into_iter()
                                    .map(|p| {
                                        offset_fetch_response::OffsetFetchResponsePartition::default()
                                            .with_partition_index(p)
                                            .with_committed_offset(-1)
                                            .with_error_code(code)
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
            }
        }
    } else {
        for g in &req.groups {
            let topics = g.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                    .collect()
            });
            let mut gr = offset_fetch_response::OffsetFetchResponseGroup::default()
                .with_group_id(g.group_id.clone());
            match committed_for(st, broker, g.group_id.0.as_str(), topics) {
                Ok(c) => {
                    gr.topics = c
                        .into_iter()
                        .map(|(t, ps)| {
                            offset_fetch_response::OffsetFetchResponseTopics::default()
                                .with_name(TopicName(s(t)))
                                .with_partitions(
                                    ps.into_iter()
                                        .map(|(p, o)| {
                                            offset_fetch_response::OffsetFetchResponsePartitions::default()
                                                .with_partition_index(p)
                                                .with_committed_offset(o)
                                                .with_metadata(Some(s("")))
                                        })
                                        .collect(),
                                )
                        })
                        .collect();
                }
                Err(code) => gr.error_code = code,
            }
            r.groups.push(gr);
        }
    }
    r
}
