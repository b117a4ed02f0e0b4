//! One request frame to its handler; ApiVersions.

use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};

use super::configs::describe_configs;
use super::coordinator::find_coordinator;
use super::frame::{frame_raw, frame_response};
use super::groups::{describe_groups, list_groups};
use super::log_dirs::describe_log_dirs;
use super::metadata::{describe_cluster, metadata, named_controller};
use super::offset_fetch::offset_fetch;
use super::offsets::list_offsets;
use super::quorum::describe_quorum;
use super::reassignments::list_partition_reassignments;
use super::shared::{supported, Shared, SUPPORTED};
use super::topic_partitions::describe_topic_partitions;
use crate::guard::body_is_sane;

/// Handles one request frame (without its size prefix) for broker `idx`;
/// returns the whole response frame, or `None` to close the connection.
/// Never panics, whatever the bytes.
pub(crate) fn handle_frame(shared: &Shared, idx: usize, frame: Bytes) -> Option<BytesMut> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handle_frame_inner(shared, idx, frame)
    }))
    .ok()
    .flatten()
}

fn handle_frame_inner(shared: &Shared, idx: usize, mut frame: Bytes) -> Option<BytesMut> {
    if frame.len() < 8 {
        return None;
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    if let Some(row) = shared.counts.get(idx) {
        if let Some(c) = usize::try_from(raw_key).ok().and_then(|k| row.get(k)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }
    let key = ApiKey::try_from(raw_key).ok()?;
    if key == ApiKey::ApiVersions && !supported(key, version) {
        // Kafka answers with v0 and ResponseError::UnsupportedVersion.code() so clients can retry.
        let resp = api_versions(ResponseError::UnsupportedVersion.code());
        return frame_response(correlation, 0, &resp, 0);
    }
    if !supported(key, version) {
        tracing::debug!(
            ?key,
            version,
            "sim: unsupported request, closing connection"
        );
        return None;
    }
    let header = RequestHeader::decode(&mut frame, key.request_header_version(version)).ok()?;
    if !body_is_sane(key, version, &frame) {
        tracing::debug!(
            ?key,
            version,
            "sim: malformed request body, closing connection"
        );
        return None;
    }
    let resp_hv = key.response_header_version(version);
    let corr = header.correlation_id;
    let st = shared.state.lock();
    let broker = st.brokers.get(idx)?.id;
    match key {
        ApiKey::ApiVersions => {
            ApiVersionsRequest::decode(&mut frame, version).ok()?;
            let mut resp = api_versions(0);
            if !st.kraft {
                resp.api_keys.retain(|a| {
                    a.api_key != ApiKey::DescribeQuorum as i16
                        && a.api_key != ApiKey::DescribeTopicPartitions as i16
                });
            }
            frame_response(corr, resp_hv, &resp, version)
        }
        // A ZooKeeper-era broker does not know the key: it hangs up.
        ApiKey::DescribeQuorum | ApiKey::DescribeTopicPartitions if !st.kraft => None,
        ApiKey::DescribeTopicPartitions => {
            let req = DescribeTopicPartitionsRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &describe_topic_partitions(&st, &req),
                version,
            )
        }
        ApiKey::DescribeQuorum => {
            let req = DescribeQuorumRequest::decode(&mut frame, version).ok()?;
            frame_response(corr, resp_hv, &describe_quorum(&st, &req, version), version)
        }
        ApiKey::ListPartitionReassignments => {
            let req = ListPartitionReassignmentsRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &list_partition_reassignments(&st, &req),
                version,
            )
        }
        ApiKey::Metadata => {
            let req = MetadataRequest::decode(&mut frame, version).ok()?;
            let all = match &req.topics {
                None => true,
                Some(t) => version == 0 && t.is_empty(),
            };
            let controller = named_controller(&st);
            if all {
                let mut cache = shared.meta_cache.lock();
                let body = match cache.get(&(version, controller)) {
                    Some((g, b)) if *g == st.generation => b.clone(),
                    _ => {
                        let mut resp = metadata(&st, &req, version);
                        resp.controller_id = BrokerId(controller);
                        let mut b = BytesMut::new();
                        resp.encode(&mut b, version).ok()?;
                        let b = b.freeze();
                        cache.insert((version, controller), (st.generation, b.clone()));
                        b
                    }
                };
                drop(st);
                return frame_raw(corr, resp_hv, &body);
            }
            let mut resp = metadata(&st, &req, version);
            resp.controller_id = BrokerId(controller);
            drop(st);
            frame_response(corr, resp_hv, &resp, version)
        }
        ApiKey::ListOffsets => {
            let req = ListOffsetsRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &list_offsets(&st, broker, &req, version),
                version,
            )
        }
        ApiKey::FindCoordinator => {
            let req = FindCoordinatorRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &find_coordinator(&st, &req, version),
                version,
            )
        }
        ApiKey::OffsetFetch => {
            let req = OffsetFetchRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &offset_fetch(&st, broker, &req, version),
                version,
            )
        }
        ApiKey::ListGroups => {
            let req = ListGroupsRequest::decode(&mut frame, version).ok()?;
            frame_response(corr, resp_hv, &list_groups(&st, broker, &req), version)
        }
        ApiKey::DescribeGroups => {
            let req = DescribeGroupsRequest::decode(&mut frame, version).ok()?;
            frame_response(corr, resp_hv, &describe_groups(&st, broker, &req), version)
        }
        ApiKey::DescribeConfigs => {
            let req = DescribeConfigsRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &describe_configs(&st, &req, version),
                version,
            )
        }
        ApiKey::DescribeCluster => {
            DescribeClusterRequest::decode(&mut frame, version).ok()?;
            frame_response(corr, resp_hv, &describe_cluster(&st, version), version)
        }
        ApiKey::DescribeLogDirs => {
            let req = DescribeLogDirsRequest::decode(&mut frame, version).ok()?;
            frame_response(
                corr,
                resp_hv,
                &describe_log_dirs(&st, broker, &req),
                version,
            )
        }
        _ => None,
    }
}

fn api_versions(error: i16) -> ApiVersionsResponse {
    let mut r = ApiVersionsResponse::default();
    r.error_code = error;
    r.api_keys = SUPPORTED
        .iter()
        .map(|(k, lo, hi)| {
            api_versions_response::ApiVersion::default()
                .with_api_key(*k as i16)
                .with_min_version(*lo)
                .with_max_version(*hi)
        })
        .collect();
    r.api_keys.sort_by_key(|a| a.api_key);
    r
}
