//! Metadata and DescribeCluster, and the controller they name.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::frame::s;
use crate::sim::state::{ClusterState, Partition};

/// A partition's replicas on brokers down or with a failed log directory.
pub(super) fn offline_replicas(st: &ClusterState, p: &Partition) -> Vec<BrokerId> {
    p.replicas
        .iter()
        .filter(|r| !st.broker(**r).map(|b| b.replicas_alive()).unwrap_or(false))
        .map(|r| BrokerId(*r))
        .collect()
}

pub(super) fn metadata(st: &ClusterState, req: &MetadataRequest, version: i16) -> MetadataResponse {
    let mut r = MetadataResponse::default();
    r.brokers = st
        .brokers
        .iter()
        .filter(|b| b.up)
        .map(|b| {
            metadata_response::MetadataResponseBroker::default()
                .with_node_id(BrokerId(b.id))
                .with_host(s("127.0.0.1"))
                .with_port(b.port as i32)
        })
        .collect();
    r.cluster_id = Some(s(st.cluster_id.clone()));
    r.controller_id = BrokerId(st.controller);
    let topic_resp = |ti: usize| {
        let t = &st.topics[ti];
        let partitions = t
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let offline = offline_replicas(st, p);
                metadata_response::MetadataResponsePartition::default()
                    .with_error_code(if p.leader < 0 {
                        ResponseError::LeaderNotAvailable.code()
                    } else {
                        0
                    })
                    .with_partition_index(i as i32)
                    .with_leader_id(BrokerId(p.leader))
                    .with_leader_epoch(p.leader_epoch)
                    .with_replica_nodes(p.replicas.iter().map(|r| BrokerId(*r)).collect())
                    .with_isr_nodes(p.isr.iter().map(|r| BrokerId(*r)).collect())
                    .with_offline_replicas(offline)
            })
            .collect();
        metadata_response::MetadataResponseTopic::default()
            .with_name(Some(TopicName(s(t.name.clone()))))
            .with_topic_id(uuid::Uuid::from_u128(t.id))
            .with_partitions(partitions)
    };
    let all = match &req.topics {
        None => true,
        Some(t) => version == 0 && t.is_empty(),
    };
    if all {
        r.topics = (0..st.topics.len())
            .filter(|&ti| st.topics[ti].exists)
            .map(topic_resp)
            .collect();
    } else if let Some(wanted) = &req.topics {
        for w in wanted {
            let found = match &w.name {
                Some(n) => st.live_topic(n.0.as_str()),
                None => st
                    .topics
                    .iter()
                    .position(|t| t.exists && uuid::Uuid::from_u128(t.id) == w.topic_id),
            };
            match found {
                Some(ti) => r.topics.push(topic_resp(ti)),
                None => r.topics.push(
                    metadata_response::MetadataResponseTopic::default()
                        .with_error_code(if w.name.is_some() {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else {
                            ResponseError::UnknownTopicId.code()
                        })
                        .with_name(w.name.clone())
                        .with_topic_id(w.topic_id),
                ),
            }
        }
    }
    r
}

/// The controller id Metadata and DescribeCluster hand to clients: the
/// active controller on a ZooKeeper-era cluster; on KRaft a random live
/// broker at each request, as Kafka's KRaftMetadataCache does (clients
/// cannot reach the controllers; KIP-590).
pub(super) fn named_controller(st: &ClusterState) -> i32 {
    if !st.kraft {
        return st.controller;
    }
    let live: Vec<i32> = st.brokers.iter().filter(|b| b.up).map(|b| b.id).collect();
    if live.is_empty() {
        return -1;
    }
    live[rand::random_range(0..live.len())]
}

pub(super) fn describe_cluster(st: &ClusterState, version: i16) -> DescribeClusterResponse {
    let mut r = DescribeClusterResponse::default();
    r.cluster_id = s(st.cluster_id.clone());
    r.controller_id = BrokerId(named_controller(st));
    if version >= 1 {
        r.endpoint_type = 1;
    }
    r.brokers = st
        .brokers
        .iter()
        .filter(|b| b.up)
        .map(|b| {
            describe_cluster_response::DescribeClusterBroker::default()
                .with_broker_id(BrokerId(b.id))
                .with_host(s("127.0.0.1"))
                .with_port(b.port as i32)
        })
        .collect();
    r
}
