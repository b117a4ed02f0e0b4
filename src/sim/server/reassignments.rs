//! ListPartitionReassignments (KIP-455).

use kafka_protocol::messages::*;

use super::frame::s;
use crate::sim::state::ClusterState;

/// The ongoing reassignments (KIP-455) of the topics asked (all when
/// `topics` is null), as the controller answers.
pub(super) fn list_partition_reassignments(
    st: &ClusterState,
    req: &ListPartitionReassignmentsRequest,
) -> ListPartitionReassignmentsResponse {
    use list_partition_reassignments_response::{
        OngoingPartitionReassignment, OngoingTopicReassignment,
    };
    let asked = |topic: &str, partition: i32| match &req.topics {
        None => true,
        Some(ts) => ts
            .iter()
            .any(|t| t.name.as_str() == topic && t.partition_indexes.contains(&partition)),
    };
    let ids = |v: &[i32]| v.iter().map(|b| BrokerId(*b)).collect::<Vec<_>>();
    let topics = st
        .topics
        .iter()
        .filter_map(|t| {
            let partitions: Vec<OngoingPartitionReassignment> = t
                .partitions
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let r = p.reassignment.as_ref()?;
                    asked(&t.name, i as i32).then(|| {
                        OngoingPartitionReassignment::default()
                            .with_partition_index(i as i32)
                            .with_replicas(ids(&p.replicas))
                            .with_adding_replicas(ids(&r.adding))
                            .with_removing_replicas(ids(&r.removing))
                    })
                })
                .collect();
            (!partitions.is_empty()).then(|| {
                OngoingTopicReassignment::default()
                    .with_name(TopicName(s(t.name.clone())))
                    .with_partitions(partitions)
            })
        })
        .collect();
    ListPartitionReassignmentsResponse::default().with_topics(topics)
}
