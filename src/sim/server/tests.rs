//! The handlers through whole request and response frames.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::dispatch::handle_frame;
use super::frame::s;
use super::log_dirs::LOG_DIR;
use super::shared::{Shared, SUPPORTED};
use crate::sim::scenario::Scenario;
use crate::sim::state::ClusterState;
use kafka_protocol::protocol::encode_request_header_into_buffer;
use rand::{Rng, SeedableRng};

fn shared() -> Shared {
    let s = Scenario::parse(
        "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 4\n[[cluster.groups]]\nname = \"g\"\ntopics = [\"t\"]\n",
        "t",
    )
    .unwrap();
    Shared::new(ClusterState::new(&s.cluster, &[9001, 9002, 9003], 0))
}

fn request<T: Encodable>(key: ApiKey, version: i16, body: &T) -> Bytes {
    let mut b = BytesMut::new();
    let h = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(7)
        .with_client_id(Some(StrBytes::from_static_str("test")));
    encode_request_header_into_buffer(&mut b, &h).unwrap();
    body.encode(&mut b, version).unwrap();
    b.freeze()
}

fn response<T: Decodable>(key: ApiKey, version: i16, frame: BytesMut) -> T {
    let mut b = frame.freeze();
    let _size = bytes::Buf::get_i32(&mut b);
    let h = ResponseHeader::decode(&mut b, key.response_header_version(version)).unwrap();
    assert_eq!(h.correlation_id, 7);
    T::decode(&mut b, version).unwrap()
}

#[test]
fn metadata_every_version_round_trips() {
    let sh = shared();
    for v in 0..=12 {
        let req = if v == 0 {
            MetadataRequest::default().with_topics(Some(vec![]))
        } else {
            MetadataRequest::default().with_topics(None)
        };
        for _ in 0..2 {
            let out = handle_frame(&sh, 0, request(ApiKey::Metadata, v, &req)).unwrap();
            let r: MetadataResponse = response(ApiKey::Metadata, v, out);
            assert_eq!(r.brokers.len(), 3);
            assert_eq!(r.topics.len(), 1, "v{v}");
            assert_eq!(r.topics[0].partitions.len(), 4);
        }
    }
}

#[test]
fn api_versions_unknown_version_gets_v0_error() {
    let sh = shared();
    let out = handle_frame(
        &sh,
        0,
        request(ApiKey::ApiVersions, 4, &ApiVersionsRequest::default()),
    )
    .unwrap();
    let r: ApiVersionsResponse = response(ApiKey::ApiVersions, 4, out);
    assert_eq!(r.error_code, 0);
    let mut b = BytesMut::new();
    b.put_i16(18);
    b.put_i16(99);
    b.put_i32(7);
    b.put_i16(-1);
    let out = handle_frame(&sh, 0, b.freeze()).unwrap();
    let r: ApiVersionsResponse = response(ApiKey::ApiVersions, 0, out);
    assert_eq!(r.error_code, ResponseError::UnsupportedVersion.code());
    assert!(!r.api_keys.is_empty());
}

#[test]
fn offsets_and_groups_follow_coordinator_and_leader() {
    let sh = shared();
    let (coord, leader0) = {
        let st = sh.state.lock();
        (
            st.coordinator_of_hash(st.groups[0].hash),
            st.topics[0].partitions[0].leader,
        )
    };
    let idx = |id: i32| (id - 1) as usize;
    let other = |id: i32| ((id % 3) + 1 - 1) as usize;
    let req = OffsetFetchRequest::default().with_groups(vec![
        offset_fetch_request::OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(None),
    ]);
    let r: OffsetFetchResponse = response(
        ApiKey::OffsetFetch,
        8,
        handle_frame(&sh, idx(coord), request(ApiKey::OffsetFetch, 8, &req)).unwrap(),
    );
    assert_eq!(r.groups[0].error_code, 0);
    assert_eq!(r.groups[0].topics[0].partitions.len(), 4);
    let r: OffsetFetchResponse = response(
        ApiKey::OffsetFetch,
        8,
        handle_frame(&sh, other(coord), request(ApiKey::OffsetFetch, 8, &req)).unwrap(),
    );
    assert_eq!(r.groups[0].error_code, ResponseError::NotCoordinator.code());

    let lreq = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![list_offsets_request::ListOffsetsTopic::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partitions(vec![
                list_offsets_request::ListOffsetsPartition::default()
                    .with_partition_index(0)
                    .with_timestamp(-1),
            ])]);
    let r: ListOffsetsResponse = response(
        ApiKey::ListOffsets,
        7,
        handle_frame(&sh, idx(leader0), request(ApiKey::ListOffsets, 7, &lreq)).unwrap(),
    );
    assert_eq!(r.topics[0].partitions[0].error_code, 0);
    assert!(r.topics[0].partitions[0].offset > 0);
    let r: ListOffsetsResponse = response(
        ApiKey::ListOffsets,
        7,
        handle_frame(&sh, other(leader0), request(ApiKey::ListOffsets, 7, &lreq)).unwrap(),
    );
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        ResponseError::NotLeaderOrFollower.code()
    );
}

#[test]
fn random_bytes_never_panic() {
    let sh = shared();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let valid = request(ApiKey::Metadata, 12, &MetadataRequest::default());
    for i in 0..20_000 {
        let len = rng.random_range(0..200);
        let mut b: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if i % 2 == 0 && b.len() >= 4 {
            // A plausible header so the body decoders get exercised too.
            let (key, lo, hi) = SUPPORTED[rng.random_range(0..SUPPORTED.len())];
            b[0..2].copy_from_slice(&(key as i16).to_be_bytes());
            b[2..4].copy_from_slice(&rng.random_range(lo..=hi).to_be_bytes());
        }
        if i % 5 == 0 {
            // A truncated or corrupted valid request.
            b = valid.to_vec();
            let cut = rng.random_range(0..b.len());
            b.truncate(cut.max(1));
            if let Some(x) = b.get_mut(rng.random_range(0..cut.max(1))) {
                *x = rng.random();
            }
        }
        let _ = handle_frame(&sh, 0, Bytes::from(b));
    }
}

fn metadata_controller(sh: &Shared) -> i32 {
    let r: MetadataResponse = response(
        ApiKey::Metadata,
        12,
        handle_frame(
            sh,
            0,
            request(ApiKey::Metadata, 12, &MetadataRequest::default()),
        )
        .unwrap(),
    );
    r.controller_id.0
}

fn quorum(sh: &Shared, version: i16) -> Option<DescribeQuorumResponse> {
    let req = DescribeQuorumRequest::default().with_topics(vec![
        describe_quorum_request::TopicData::default()
            .with_topic_name(TopicName(s("__cluster_metadata")))
            .with_partitions(vec![
                describe_quorum_request::PartitionData::default().with_partition_index(0)
            ]),
    ]);
    let out = handle_frame(sh, 0, request(ApiKey::DescribeQuorum, version, &req))?;
    Some(response(ApiKey::DescribeQuorum, version, out))
}

/// KRaft, as Kafka 4: Metadata names a random live broker at each
/// request; DescribeQuorum names the active controller and its epoch,
/// which moves with a failover. ZooKeeper era: Metadata names the
/// controller and DescribeQuorum is neither advertised nor answered.
#[test]
fn kraft_names_the_controller_in_describe_quorum_only() {
    let sh = shared();
    let named: std::collections::BTreeSet<i32> =
        (0..60).map(|_| metadata_controller(&sh)).collect();
    assert!(named.len() > 1, "{named:?}");
    assert!(named.iter().all(|c| (1..=3).contains(c)), "{named:?}");
    for v in 0..=2 {
        let q = quorum(&sh, v).unwrap();
        let p = &q.topics[0].partitions[0];
        assert_eq!((p.error_code, p.leader_id.0), (0, 1), "v{v}");
        assert_eq!(p.current_voters.len(), 3);
    }
    let epoch = quorum(&sh, 0).unwrap().topics[0].partitions[0].leader_epoch;
    sh.state
        .lock()
        .apply(&crate::sim::Action::ControllerFailover { to: Some(3) });
    let p = quorum(&sh, 0).unwrap().topics[0].partitions[0].clone();
    assert_eq!((p.leader_id.0, p.leader_epoch), (3, epoch + 1));
    // No quorum leader: only the leader answers DescribeQuorum, so the
    // broker's forwarding gives up (the connection held it until then).
    for b in 1..=3 {
        sh.state
            .lock()
            .apply(&crate::sim::Action::VoterDown { broker: b });
    }
    let q = quorum(&sh, 1).unwrap();
    assert_eq!(q.error_code, ResponseError::RequestTimedOut.code());
    assert!(q.topics.is_empty(), "{q:?}");

    let zk = Scenario::parse("[cluster]\nbrokers = 3\nkraft = false\n", "t").unwrap();
    let sh = Shared::new(ClusterState::new(&zk.cluster, &[9001, 9002, 9003], 0));
    assert!((0..20).all(|_| metadata_controller(&sh) == 1));
    assert!(quorum(&sh, 0).is_none(), "hangs up");
    let r: ApiVersionsResponse = response(
        ApiKey::ApiVersions,
        3,
        handle_frame(
            &sh,
            0,
            request(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default()),
        )
        .unwrap(),
    );
    assert!(r
        .api_keys
        .iter()
        .all(|a| a.api_key != ApiKey::DescribeQuorum as i16));
}

#[test]
fn cluster_log_dirs_coordinator_and_group_answers() {
    let sh = shared();
    let r: DescribeClusterResponse = response(
        ApiKey::DescribeCluster,
        1,
        handle_frame(
            &sh,
            0,
            request(
                ApiKey::DescribeCluster,
                1,
                &DescribeClusterRequest::default(),
            ),
        )
        .unwrap(),
    );
    assert_eq!(r.brokers.len(), 3);
    assert!(
        (1..=3).contains(&r.controller_id.0),
        "a live broker (KRaft)"
    );
    assert_eq!(r.cluster_id.as_str(), "isrwatch-sim");

    let req = DescribeLogDirsRequest::default().with_topics(None);
    let r: DescribeLogDirsResponse = response(
        ApiKey::DescribeLogDirs,
        4,
        handle_frame(&sh, 0, request(ApiKey::DescribeLogDirs, 4, &req)).unwrap(),
    );
    assert_eq!(r.results[0].error_code, 0);
    assert_eq!(r.results[0].log_dir.as_str(), LOG_DIR);
    assert_eq!(
        r.results[0].topics[0].partitions.len(),
        4,
        "rf 3 of 3 brokers"
    );
    sh.state
        .lock()
        .apply(&crate::sim::Action::LogDirFailure { broker: 1 });
    let r: DescribeLogDirsResponse = response(
        ApiKey::DescribeLogDirs,
        4,
        handle_frame(&sh, 0, request(ApiKey::DescribeLogDirs, 4, &req)).unwrap(),
    );
    assert_eq!(
        r.results[0].error_code,
        ResponseError::KafkaStorageError.code()
    );
    let md: MetadataResponse = response(
        ApiKey::Metadata,
        12,
        handle_frame(
            &sh,
            1,
            request(
                ApiKey::Metadata,
                12,
                &MetadataRequest::default().with_topics(None),
            ),
        )
        .unwrap(),
    );
    for p in &md.topics[0].partitions {
        assert_eq!(p.offline_replicas, vec![BrokerId(1)]);
        assert_ne!(p.leader_id, BrokerId(1));
        assert!(!p.isr_nodes.contains(&BrokerId(1)));
    }

    // Batched FindCoordinator (v4) and the single-key form (v3) agree.
    let req = FindCoordinatorRequest::default().with_coordinator_keys(vec![
        StrBytes::from_static_str("g"),
        StrBytes::from_static_str("other"),
    ]);
    let r4: FindCoordinatorResponse = response(
        ApiKey::FindCoordinator,
        4,
        handle_frame(&sh, 0, request(ApiKey::FindCoordinator, 4, &req)).unwrap(),
    );
    assert_eq!(r4.coordinators.len(), 2);
    let req = FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g"));
    let r3: FindCoordinatorResponse = response(
        ApiKey::FindCoordinator,
        3,
        handle_frame(&sh, 0, request(ApiKey::FindCoordinator, 3, &req)).unwrap(),
    );
    assert_eq!(r3.node_id, r4.coordinators[0].node_id);
    let coord = r3.node_id.0;

    // Only the coordinator lists and describes the group.
    let mut listed = 0;
    for idx in 0..3usize {
        let r: ListGroupsResponse = response(
            ApiKey::ListGroups,
            4,
            handle_frame(
                &sh,
                idx,
                request(ApiKey::ListGroups, 4, &ListGroupsRequest::default()),
            )
            .unwrap(),
        );
        listed += r.groups.len();
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("g"))]);
        let d: DescribeGroupsResponse = response(
            ApiKey::DescribeGroups,
            5,
            handle_frame(&sh, idx, request(ApiKey::DescribeGroups, 5, &req)).unwrap(),
        );
        if idx as i32 + 1 == coord {
            assert_eq!(d.groups[0].error_code, 0);
            assert_eq!(d.groups[0].group_state.as_str(), "Stable");
            assert_eq!(d.groups[0].members.len(), 2);
        } else {
            assert_eq!(d.groups[0].error_code, ResponseError::NotCoordinator.code());
        }
    }
    assert_eq!(listed, 1);

    // DescribeConfigs: topic override and broker keys, filtered.
    let req = DescribeConfigsRequest::default().with_resources(vec![
        describe_configs_request::DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_static_str("t"))
            .with_configuration_keys(Some(vec![StrBytes::from_static_str("min.insync.replicas")])),
        describe_configs_request::DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_static_str("missing")),
    ]);
    let r: DescribeConfigsResponse = response(
        ApiKey::DescribeConfigs,
        4,
        handle_frame(&sh, 0, request(ApiKey::DescribeConfigs, 4, &req)).unwrap(),
    );
    assert_eq!(r.results[0].configs.len(), 1);
    assert_eq!(
        r.results[0].configs[0].value.as_ref().map(|v| v.as_str()),
        Some("1")
    );
    assert_eq!(
        r.results[1].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );

    // Unknown topic in a filtered Metadata request.
    let req = MetadataRequest::default()
        .with_topics(Some(vec![metadata_request::MetadataRequestTopic::default(
        )
        .with_name(Some(TopicName(StrBytes::from_static_str("nope"))))]));
    let md: MetadataResponse = response(
        ApiKey::Metadata,
        12,
        handle_frame(&sh, 0, request(ApiKey::Metadata, 12, &req)).unwrap(),
    );
    assert_eq!(
        md.topics[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );

    // Unsupported API (Produce): the connection is closed.
    assert!(handle_frame(
        &sh,
        0,
        request(ApiKey::Produce, 9, &ProduceRequest::default())
    )
    .is_none());
}

/// The benchmark size: 100,000 partitions and 5,000 groups. Checks
/// completeness, not timing (a full Metadata answer takes ~0.4 s in a
/// debug build, ~1 ms when cached).
#[test]
fn hundred_thousand_partitions_and_five_thousand_groups() {
    let spec = crate::sim::ClusterSpec::synthetic(5, 1000, 100, 3, 5000);
    let sh = Shared::new(ClusterState::new(&spec, &[1, 2, 3, 4, 5], 0));
    let md: MetadataResponse = response(
        ApiKey::Metadata,
        12,
        handle_frame(
            &sh,
            0,
            request(
                ApiKey::Metadata,
                12,
                &MetadataRequest::default().with_topics(None),
            ),
        )
        .unwrap(),
    );
    let partitions: usize = md.topics.iter().map(|t| t.partitions.len()).sum();
    assert_eq!(partitions, 100_000);
    let mut groups = 0;
    for idx in 0..5 {
        let r: ListGroupsResponse = response(
            ApiKey::ListGroups,
            4,
            handle_frame(
                &sh,
                idx,
                request(ApiKey::ListGroups, 4, &ListGroupsRequest::default()),
            )
            .unwrap(),
        );
        groups += r.groups.len();
    }
    assert_eq!(groups, 5000);
}
