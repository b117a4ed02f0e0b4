//! The wire protocol: one TCP listener per broker, Kafka framing, and the
//! request handlers.
//!
//! Unsupported requests: an ApiVersions request at a version we do not know
//! gets a v0 response with UNSUPPORTED_VERSION and our version list (what
//! Kafka does, so clients can downgrade). Any other API key or version we do
//! not advertise closes the connection, which is what a Kafka broker does
//! with a request it cannot parse; clients see a disconnect at once and
//! never hang. Malformed frames close that one connection only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use openssl::ssl::SslAcceptor;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::scenario::PartitionMode;
use super::state::{group_state, ClusterState, GroupMode};
use crate::guard::body_is_sane;

/// Largest request frame accepted (bytes).
const MAX_FRAME: usize = 16 * 1024 * 1024;
/// The one log directory every simulated broker has.
pub(crate) const LOG_DIR: &str = "/var/lib/kafka/data";

// Error codes the simulator answers with, from `kafka-protocol`'s error
// type (the one table of codes the client side reads them back with).
const NONE: i16 = 0;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = ResponseError::UnknownTopicOrPartition.code();
const LEADER_NOT_AVAILABLE: i16 = ResponseError::LeaderNotAvailable.code();
const NOT_LEADER_OR_FOLLOWER: i16 = ResponseError::NotLeaderOrFollower.code();
const COORDINATOR_NOT_AVAILABLE: i16 = ResponseError::CoordinatorNotAvailable.code();
const NOT_COORDINATOR: i16 = ResponseError::NotCoordinator.code();
const UNSUPPORTED_VERSION: i16 = ResponseError::UnsupportedVersion.code();
const INVALID_REQUEST: i16 = ResponseError::InvalidRequest.code();
const KAFKA_STORAGE_ERROR: i16 = ResponseError::KafkaStorageError.code();
const UNKNOWN_TOPIC_ID: i16 = ResponseError::UnknownTopicId.code();
const TOPIC_AUTHORIZATION_FAILED: i16 = ResponseError::TopicAuthorizationFailed.code();
const CLUSTER_AUTHORIZATION_FAILED: i16 = ResponseError::ClusterAuthorizationFailed.code();

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
    (ApiKey::SaslHandshake, 0, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

fn supported(key: ApiKey, version: i16) -> bool {
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
    meta_cache: Mutex<HashMap<(i16, i32), (u64, Bytes)>>,
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

fn s(v: impl Into<String>) -> StrBytes {
    StrBytes::from_string(v.into())
}

/// Accepts connections for broker `idx` until `stop` fires.
pub(crate) async fn serve_broker(
    shared: Arc<Shared>,
    idx: usize,
    listener: TcpListener,
    tls: Option<Arc<SslAcceptor>>,
    sasl: Option<Arc<super::SimSasl>>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        if !reachable(&shared, idx) {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let stop = stop.clone();
        let tls = tls.clone();
        let sasl = sasl.clone();
        tokio::spawn(async move {
            let serve = async {
                match tls {
                    None => serve_conn(shared, idx, stream, sasl).await,
                    Some(acceptor) => {
                        let Ok(ssl) = openssl::ssl::Ssl::new(acceptor.context()) else {
                            return;
                        };
                        let Ok(mut s) = tokio_openssl::SslStream::new(ssl, stream) else {
                            return;
                        };
                        if std::pin::Pin::new(&mut s).accept().await.is_err() {
                            tracing::debug!("sim: TLS handshake failed, closing connection");
                            return;
                        }
                        serve_conn(shared, idx, s, sasl).await
                    }
                }
            };
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = serve => {}
            }
        });
    }
}

/// The TLS acceptor for [`super::SimTls`]; the error names what is wrong.
pub(crate) fn tls_acceptor(tls: &super::SimTls) -> Result<Arc<SslAcceptor>, String> {
    let cert = openssl::x509::X509::from_pem(&tls.cert_pem)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    let key = openssl::pkey::PKey::private_key_from_pem(&tls.key_pem)
        .map_err(|e| format!("TLS key: {e}"))?;
    let mut b = SslAcceptor::mozilla_intermediate_v5(openssl::ssl::SslMethod::tls_server())
        .map_err(|e| format!("TLS: {e}"))?;
    b.set_certificate(&cert)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    b.set_private_key(&key)
        .map_err(|e| format!("TLS key: {e}"))?;
    b.check_private_key()
        .map_err(|e| format!("TLS key does not match the certificate: {e}"))?;
    Ok(Arc::new(b.build()))
}

/// Whether clients can connect to broker `idx` (up, not cut from clients).
fn reachable(shared: &Shared, idx: usize) -> bool {
    let st = shared.state.lock();
    st.brokers
        .get(idx)
        .map(|b| b.up && b.cut != Some(PartitionMode::Clients))
        .unwrap_or(false)
}

/// Whether broker `idx` reads requests without ever answering them.
fn unresponsive(shared: &Shared, idx: usize) -> bool {
    let st = shared.state.lock();
    st.brokers
        .get(idx)
        .is_some_and(|b| b.cut == Some(PartitionMode::Unresponsive))
}

async fn serve_conn<S: AsyncRead + AsyncWrite + Unpin>(
    shared: Arc<Shared>,
    idx: usize,
    mut stream: S,
    sasl: Option<Arc<super::SimSasl>>,
) {
    let users: Vec<(String, String)> = sasl.as_ref().map(|s| s.users.clone()).unwrap_or_default();
    let lifetime = sasl.as_ref().and_then(|s| s.session_lifetime);
    // With SASL, nothing but ApiVersions and the SASL requests is answered
    // until the client has authenticated (as a Kafka SASL listener does).
    let mut auth = sasl.as_ref().map(|_| SaslConn::default());
    loop {
        let mut len = [0u8; 4];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let size = i32::from_be_bytes(len);
        if size < 8 || size as usize > MAX_FRAME {
            tracing::debug!(size, "sim: bad frame size, closing connection");
            return;
        }
        let mut frame = vec![0u8; size as usize];
        if stream.read_exact(&mut frame).await.is_err() {
            return;
        }
        if !reachable(&shared, idx) {
            return;
        }
        if unresponsive(&shared, idx) {
            continue; // read, never answered
        }
        let key = i16::from_be_bytes([frame[0], frame[1]]);
        let sasl_key =
            key == ApiKey::SaslHandshake as i16 || key == ApiKey::SaslAuthenticate as i16;
        let (resp, close) = match &mut auth {
            Some(a) if sasl_key => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    sasl_frame(a, &users, lifetime, Bytes::from(frame))
                }))
                .ok()
                .flatten()
                {
                    Some((r, close)) => (r, close),
                    None => return,
                }
            }
            Some(a) if !a.authenticated && key != ApiKey::ApiVersions as i16 => {
                tracing::debug!(key, "sim: request before SASL authentication, closing");
                return;
            }
            Some(a) if a.expires.is_some_and(|at| std::time::Instant::now() >= at) => {
                tracing::debug!("sim: SASL session expired, closing connection");
                return;
            }
            _ => match handle_frame(&shared, idx, Bytes::from(frame)) {
                Some(r) => (r, false),
                None => return,
            },
        };
        if stream.write_all(&resp).await.is_err() || close {
            return;
        }
    }
}

/// One connection's SASL state.
#[derive(Default)]
struct SaslConn {
    mechanism: Option<crate::sasl::Mechanism>,
    step: Option<crate::sasl::Server>,
    authenticated: bool,
    /// When the session ends (KIP-368), if it does.
    expires: Option<std::time::Instant>,
}

const UNSUPPORTED_SASL_MECHANISM: i16 = ResponseError::UnsupportedSaslMechanism.code();
const ILLEGAL_SASL_STATE: i16 = ResponseError::IllegalSaslState.code();
const SASL_AUTHENTICATION_FAILED: i16 = ResponseError::SaslAuthenticationFailed.code();

/// Answers SaslHandshake and SaslAuthenticate; returns the response frame
/// and whether to close the connection after it (failed authentication),
/// or `None` for a frame that does not decode.
fn sasl_frame(
    conn: &mut SaslConn,
    users: &[(String, String)],
    lifetime: Option<std::time::Duration>,
    mut frame: Bytes,
) -> Option<(BytesMut, bool)> {
    use crate::sasl::{Mechanism, Server};
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let key = ApiKey::try_from(raw_key).ok()?;
    if !supported(key, version) {
        return None;
    }
    let header = RequestHeader::decode(&mut frame, key.request_header_version(version)).ok()?;
    if !body_is_sane(key, version, &frame) {
        return None;
    }
    let corr = header.correlation_id;
    let hv = key.response_header_version(version);
    match key {
        ApiKey::SaslHandshake => {
            let req = SaslHandshakeRequest::decode(&mut frame, version).ok()?;
            let mech = Mechanism::parse(&req.mechanism);
            conn.mechanism = mech;
            conn.step = None;
            let mut r = SaslHandshakeResponse::default();
            r.error_code = if mech.is_some() {
                NONE
            } else {
                UNSUPPORTED_SASL_MECHANISM
            };
            r.mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
                .into_iter()
                .map(s)
                .collect();
            Some((frame_response(corr, hv, &r, version)?, false))
        }
        _ => {
            let req = SaslAuthenticateRequest::decode(&mut frame, version).ok()?;
            let mut r = SaslAuthenticateResponse::default();
            let Some(mech) = conn.mechanism else {
                r.error_code = ILLEGAL_SASL_STATE;
                r.error_message = Some(s("SaslAuthenticate before SaslHandshake"));
                return Some((frame_response(corr, hv, &r, version)?, true));
            };
            let step = conn.step.get_or_insert_with(|| Server::new(mech, users));
            match step.step(&req.auth_bytes) {
                Ok((reply, done)) => {
                    r.auth_bytes = Bytes::from(reply);
                    if done {
                        conn.authenticated = true;
                        conn.step = None;
                        if let Some(l) = lifetime {
                            r.session_lifetime_ms = l.as_millis().min(i64::MAX as u128) as i64;
                            conn.expires = Some(std::time::Instant::now() + l);
                        }
                    }
                    Some((frame_response(corr, hv, &r, version)?, false))
                }
                Err(e) => {
                    r.error_code = SASL_AUTHENTICATION_FAILED;
                    r.error_message = Some(s(e));
                    Some((frame_response(corr, hv, &r, version)?, true))
                }
            }
        }
    }
}

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
        // Kafka answers with v0 and UNSUPPORTED_VERSION so clients can retry.
        let resp = api_versions(UNSUPPORTED_VERSION);
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
            let mut resp = api_versions(NONE);
            if !st.kraft {
                resp.api_keys
                    .retain(|a| a.api_key != ApiKey::DescribeQuorum as i16);
            }
            frame_response(corr, resp_hv, &resp, version)
        }
        // A ZooKeeper-era broker does not know the key: it hangs up.
        ApiKey::DescribeQuorum if !st.kraft => None,
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
            frame_response(corr, resp_hv, &list_offsets(&st, broker, &req), version)
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

fn frame_response<T: Encodable>(corr: i32, hv: i16, body: &T, version: i16) -> Option<BytesMut> {
    let mut b = BytesMut::new();
    if let Err(e) = body.encode(&mut b, version) {
        tracing::warn!(error = %e, version, "sim: cannot encode response");
        return None;
    }
    frame_raw(corr, hv, &b)
}

fn frame_raw(corr: i32, hv: i16, body: &[u8]) -> Option<BytesMut> {
    let header = ResponseHeader::default().with_correlation_id(corr);
    let mut h = BytesMut::new();
    header.encode(&mut h, hv).ok()?;
    let mut out = BytesMut::with_capacity(4 + h.len() + body.len());
    out.put_i32((h.len() + body.len()) as i32);
    out.put_slice(&h);
    out.put_slice(body);
    Some(out)
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

fn metadata(st: &ClusterState, req: &MetadataRequest, version: i16) -> MetadataResponse {
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
                let offline: Vec<BrokerId> = p
                    .replicas
                    .iter()
                    .filter(|r| !st.broker(**r).map(|b| b.replicas_alive()).unwrap_or(false))
                    .map(|r| BrokerId(*r))
                    .collect();
                metadata_response::MetadataResponsePartition::default()
                    .with_error_code(if p.leader < 0 {
                        LEADER_NOT_AVAILABLE
                    } else {
                        NONE
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
        r.topics = (0..st.topics.len()).map(topic_resp).collect();
    } else if let Some(wanted) = &req.topics {
        for w in wanted {
            let found = match &w.name {
                Some(n) => st.topic_index.get(n.0.as_str()).copied(),
                None => st
                    .topics
                    .iter()
                    .position(|t| uuid::Uuid::from_u128(t.id) == w.topic_id),
            };
            match found {
                Some(ti) => r.topics.push(topic_resp(ti)),
                None => r.topics.push(
                    metadata_response::MetadataResponseTopic::default()
                        .with_error_code(if w.name.is_some() {
                            UNKNOWN_TOPIC_OR_PARTITION
                        } else {
                            UNKNOWN_TOPIC_ID
                        })
                        .with_name(w.name.clone())
                        .with_topic_id(w.topic_id),
                ),
            }
        }
    }
    r
}

fn list_offsets(st: &ClusterState, broker: i32, req: &ListOffsetsRequest) -> ListOffsetsResponse {
    let mut r = ListOffsetsResponse::default();
    for t in &req.topics {
        let topic = st
            .topic_index
            .get(t.name.0.as_str())
            .map(|&i| &st.topics[i]);
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
                None => pr.error_code = UNKNOWN_TOPIC_OR_PARTITION,
                Some((_, part)) if part.leader != broker => pr.error_code = NOT_LEADER_OR_FOLLOWER,
                Some((tp, part)) => {
                    pr.leader_epoch = part.leader_epoch;
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
                        _ => pr.error_code = INVALID_REQUEST,
                    }
                }
            }
            tr.partitions.push(pr);
        }
        r.topics.push(tr);
    }
    r
}

fn find_coordinator(
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
            r.error_code = COORDINATOR_NOT_AVAILABLE;
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
                c.error_code = COORDINATOR_NOT_AVAILABLE;
            } else {
                c.host = s("127.0.0.1");
            }
            r.coordinators.push(c);
        }
    }
    r
}

/// The coordinator hash of a group name (same as the state's).
fn fnv_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

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
        return Err(NOT_COORDINATOR);
    }
    let g = st
        .group_index
        .get(group)
        .map(|&i| &st.groups[i])
        .filter(|g| g.mode != GroupMode::Deleted);
    let offset = |topic: &str, p: i32| -> i64 {
        let Some(g) = g else { return -1 };
        let Some(&ti) = st.topic_index.get(topic) else {
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
            Some(g) => g
                .topics
                .iter()
                .enumerate()
                .map(|(k, &ti)| {
                    let t = st.topics[ti].name.clone();
                    let v = g.committed[k]
                        .iter()
                        .enumerate()
                        .map(|(p, &o)| (p as i32, o))
                        .collect();
                    (t, v)
                })
                .collect(),
        },
    })
}

fn offset_fetch(
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

fn list_groups(st: &ClusterState, broker: i32, req: &ListGroupsRequest) -> ListGroupsResponse {
    let mut r = ListGroupsResponse::default();
    for g in &st.groups {
        if g.mode == GroupMode::Deleted || st.coordinator_of_hash(g.hash) != broker {
            continue;
        }
        let state = group_state(g);
        if !req.states_filter.is_empty()
            && !req
                .states_filter
                .iter()
                .any(|f| f.as_str().eq_ignore_ascii_case(state))
        {
            continue;
        }
        r.groups.push(
            list_groups_response::ListedGroup::default()
                .with_group_id(GroupId(s(g.name.clone())))
                .with_protocol_type(s("consumer"))
                .with_group_state(s(state)),
        );
    }
    r
}

/// Consumer protocol subscription (member metadata) for `topics`.
fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1);
    b.freeze()
}

/// Consumer protocol assignment.
fn assignment(parts: &[(&str, Vec<i32>)]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(parts.len() as i32);
    for (t, ps) in parts {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
        b.put_i32(ps.len() as i32);
        for p in ps {
            b.put_i32(*p);
        }
    }
    b.put_i32(-1);
    b.freeze()
}

fn describe_groups(
    st: &ClusterState,
    broker: i32,
    req: &DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let mut r = DescribeGroupsResponse::default();
    for gid in &req.groups {
        let name = gid.0.as_str();
        let mut d = describe_groups_response::DescribedGroup::default().with_group_id(gid.clone());
        if st.coordinator_of_hash(fnv_key(name)) != broker {
            d.error_code = NOT_COORDINATOR;
            r.groups.push(d);
            continue;
        }
        let g = st
            .group_index
            .get(name)
            .map(|&i| &st.groups[i])
            .filter(|g| g.mode != GroupMode::Deleted);
        let Some(g) = g else {
            d.group_state = s("Dead");
            r.groups.push(d);
            continue;
        };
        d.group_state = s(group_state(g));
        d.protocol_type = s("consumer");
        if g.mode != GroupMode::Stopped {
            d.protocol_data = s("range");
            let names: Vec<&str> = g
                .topics
                .iter()
                .map(|&ti| st.topics[ti].name.as_str())
                .collect();
            let sub = subscription(&names);
            let n = g.members.max(1) as usize;
            for m in 0..n {
                let parts: Vec<(&str, Vec<i32>)> = g
                    .topics
                    .iter()
                    .map(|&ti| {
                        let t = &st.topics[ti];
                        let ps = (0..t.partitions.len())
                            .filter(|p| p % n == m)
                            .map(|p| p as i32)
                            .collect();
                        (t.name.as_str(), ps)
                    })
                    .collect();
                d.members.push(
                    describe_groups_response::DescribedGroupMember::default()
                        .with_member_id(s(format!(
                            "consumer-{name}-{m}-{:08x}",
                            g.hash as u32 ^ m as u32
                        )))
                        .with_client_id(s(format!("consumer-{name}-{m}")))
                        .with_client_host(s(format!("/10.0.0.{}", 10 + m)))
                        .with_member_metadata(sub.clone())
                        .with_member_assignment(assignment(&parts)),
                );
            }
        }
        r.groups.push(d);
    }
    r
}

fn config_entry(
    name: &str,
    value: String,
    source: i8,
    read_only: bool,
    ctype: i8,
) -> describe_configs_response::DescribeConfigsResourceResult {
    describe_configs_response::DescribeConfigsResourceResult::default()
        .with_name(s(name))
        .with_value(Some(s(value)))
        .with_read_only(read_only)
        .with_config_source(source)
        .with_config_type(ctype)
}

// Config sources and types as Kafka numbers them.
const DYNAMIC_TOPIC: i8 = 1;
const STATIC_BROKER: i8 = 4;
const DEFAULT: i8 = 5;
const T_BOOL: i8 = 1;
const T_STRING: i8 = 2;
const T_INT: i8 = 3;
const T_LONG: i8 = 5;

/// The ongoing reassignments (KIP-455) of the topics asked (all when
/// `topics` is null), as the controller answers.
fn list_partition_reassignments(
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

fn describe_configs(
    st: &ClusterState,
    req: &DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    let mut r = DescribeConfigsResponse::default();
    let min_isr_src = if st.min_isr == 1 {
        DEFAULT
    } else {
        STATIC_BROKER
    };
    for res in &req.resources {
        let name = res.resource_name.as_str();
        let mut out = describe_configs_response::DescribeConfigsResult::default()
            .with_resource_type(res.resource_type)
            .with_resource_name(res.resource_name.clone());
        if st.deny_describe_configs {
            // As Kafka's authorizer answers without DESCRIBE_CONFIGS.
            let (code, what) = match res.resource_type {
                2 => (TOPIC_AUTHORIZATION_FAILED, "Topic"),
                _ => (CLUSTER_AUTHORIZATION_FAILED, "Cluster"),
            };
            out.error_code = code;
            out.error_message = Some(s(format!("{what} authorization failed.")));
            r.results.push(out);
            continue;
        }
        let entries = match res.resource_type {
            2 => match st.topic_index.get(name).map(|&i| &st.topics[i]) {
                None => {
                    out.error_code = UNKNOWN_TOPIC_OR_PARTITION;
                    out.error_message = Some(s(format!("topic {name:?} does not exist")));
                    Vec::new()
                }
                Some(t) => vec![
                    match t.min_isr {
                        Some(m) => config_entry(
                            "min.insync.replicas",
                            m.to_string(),
                            DYNAMIC_TOPIC,
                            false,
                            T_INT,
                        ),
                        None => config_entry(
                            "min.insync.replicas",
                            st.min_isr.to_string(),
                            min_isr_src,
                            false,
                            T_INT,
                        ),
                    },
                    config_entry(
                        "retention.ms",
                        t.retention_ms.to_string(),
                        DYNAMIC_TOPIC,
                        false,
                        T_LONG,
                    ),
                    config_entry("cleanup.policy", "delete".into(), DEFAULT, false, 7),
                    config_entry(
                        "unclean.leader.election.enable",
                        st.unclean.to_string(),
                        DEFAULT,
                        false,
                        T_BOOL,
                    ),
                    config_entry("segment.bytes", "1073741824".into(), DEFAULT, false, T_INT),
                    config_entry("max.message.bytes", "1048588".into(), DEFAULT, false, T_INT),
                    config_entry(
                        "message.timestamp.type",
                        "CreateTime".into(),
                        DEFAULT,
                        false,
                        T_STRING,
                    ),
                ],
            },
            4 => {
                let known = name.is_empty()
                    || name
                        .parse::<i32>()
                        .ok()
                        .and_then(|id| st.broker(id))
                        .is_some();
                if !known {
                    out.error_code = INVALID_REQUEST;
                    out.error_message = Some(s(format!("unknown broker {name:?}")));
                    Vec::new()
                } else {
                    let mut v = vec![
                        config_entry(
                            "min.insync.replicas",
                            st.min_isr.to_string(),
                            min_isr_src,
                            false,
                            T_INT,
                        ),
                        config_entry(
                            "replica.lag.time.max.ms",
                            st.lag_max_ms.to_string(),
                            STATIC_BROKER,
                            false,
                            T_LONG,
                        ),
                        config_entry(
                            "unclean.leader.election.enable",
                            st.unclean.to_string(),
                            STATIC_BROKER,
                            false,
                            T_BOOL,
                        ),
                        config_entry(
                            "auto.leader.rebalance.enable",
                            st.auto_rebalance.to_string(),
                            STATIC_BROKER,
                            false,
                            T_BOOL,
                        ),
                        config_entry(
                            "leader.imbalance.check.interval.seconds",
                            (st.rebalance_interval_ms / 1000).to_string(),
                            STATIC_BROKER,
                            false,
                            T_LONG,
                        ),
                        config_entry(
                            "default.replication.factor",
                            "3".into(),
                            STATIC_BROKER,
                            false,
                            T_INT,
                        ),
                        config_entry("num.partitions", "1".into(), DEFAULT, false, T_INT),
                        config_entry("log.retention.hours", "168".into(), DEFAULT, false, T_INT),
                        config_entry("log.dirs", LOG_DIR.into(), STATIC_BROKER, true, T_STRING),
                    ];
                    if !name.is_empty() {
                        v.push(config_entry(
                            "broker.id",
                            name.to_string(),
                            STATIC_BROKER,
                            true,
                            T_INT,
                        ));
                    }
                    v
                }
            }
            other => {
                out.error_code = INVALID_REQUEST;
                out.error_message = Some(s(format!("unsupported resource type {other}")));
                Vec::new()
            }
        };
        out.configs = entries
            .into_iter()
            .filter(|e| match &res.configuration_keys {
                None => true,
                Some(keys) => keys.iter().any(|k| k.as_str() == e.name.as_str()),
            })
            .map(|mut e| {
                if version < 3 {
                    e.config_type = 0;
                }
                e
            })
            .collect();
        r.results.push(out);
    }
    r
}

/// The controller id Metadata and DescribeCluster hand to clients: the
/// active controller on a ZooKeeper-era cluster; on KRaft a random live
/// broker at each request, as Kafka's KRaftMetadataCache does (clients
/// cannot reach the controllers; KIP-590).
fn named_controller(st: &ClusterState) -> i32 {
    if !st.kraft {
        return st.controller;
    }
    let live: Vec<i32> = st.brokers.iter().filter(|b| b.up).map(|b| b.id).collect();
    if live.is_empty() {
        return -1;
    }
    live[rand::random_range(0..live.len())]
}

/// DescribeQuorum of `__cluster_metadata` (KIP-595), forwarded by any broker
/// to the quorum: the brokers are its voters (combined mode), the active
/// controller its leader, every live voter caught up to the high watermark.
fn describe_quorum(
    st: &ClusterState,
    req: &DescribeQuorumRequest,
    version: i16,
) -> DescribeQuorumResponse {
    let hw = st.quorum_high_watermark();
    let wall = |sim_ms: i64| st.epoch_wall_ms + sim_ms;
    let mut r = DescribeQuorumResponse::default();
    for t in &req.topics {
        let mut td =
            describe_quorum_response::TopicData::default().with_topic_name(t.topic_name.clone());
        for p in &t.partitions {
            let mut pd = describe_quorum_response::PartitionData::default()
                .with_partition_index(p.partition_index);
            if t.topic_name.0.as_str() != "__cluster_metadata" || p.partition_index != 0 {
                pd.error_code = UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                pd.leader_id = BrokerId(st.controller);
                pd.leader_epoch = st.quorum_epoch;
                pd.high_watermark = hw;
                pd.current_voters = st
                    .brokers
                    .iter()
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

fn describe_cluster(st: &ClusterState, version: i16) -> DescribeClusterResponse {
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

fn describe_log_dirs(
    st: &ClusterState,
    broker: i32,
    req: &DescribeLogDirsRequest,
) -> DescribeLogDirsResponse {
    let mut r = DescribeLogDirsResponse::default();
    let Some(b) = st.broker(broker) else {
        return r;
    };
    let mut dir = describe_log_dirs_response::DescribeLogDirsResult::default()
        .with_log_dir(s(LOG_DIR))
        .with_total_bytes(1 << 40);
    if b.log_dir_failed {
        dir.error_code = KAFKA_STORAGE_ERROR;
        dir.usable_bytes = 0;
        r.results.push(dir);
        return r;
    }
    let wanted: Option<HashMap<&str, &Vec<i32>>> = req.topics.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (t.topic.0.as_str(), &t.partitions))
            .collect()
    });
    let mut used: i64 = 0;
    for t in &st.topics {
        let filter = match &wanted {
            None => None,
            Some(w) => match w.get(t.name.as_str()) {
                None => continue,
                Some(ps) => Some(*ps),
            },
        };
        let per_partition_rate = t.rate * t.factor / t.partitions.len().max(1) as f64;
        let mut parts = Vec::new();
        for (i, p) in t.partitions.iter().enumerate() {
            let Some(k) = p.replicas.iter().position(|&r| r == broker) else {
                continue;
            };
            if let Some(f) = filter {
                if !f.contains(&(i as i32)) {
                    continue;
                }
            }
            let size = (t.end_offset(p) - p.log_start).max(0) * t.message_bytes as i64;
            used += size;
            let copying = p
                .reassignment
                .as_ref()
                .filter(|r| r.adding.contains(&broker) && st.now_ms < r.copied_at_ms);
            let lag = if let Some(r) = copying {
                // An added replica still copying the log: what is left.
                ((r.copied_at_ms - st.now_ms) as f64 / 1000.0 * r.copy_rate) as i64
            } else if p.leader == broker || p.leader < 0 {
                0
            } else {
                let behind_ms = (st.now_ms - p.last_caught_up[k]).max(0) as f64;
                (behind_ms / 1000.0 * per_partition_rate) as i64
            };
            parts.push(
                describe_log_dirs_response::DescribeLogDirsPartition::default()
                    .with_partition_index(i as i32)
                    .with_partition_size(size)
                    .with_offset_lag(lag),
            );
        }
        if !parts.is_empty() {
            dir.topics.push(
                describe_log_dirs_response::DescribeLogDirsTopic::default()
                    .with_name(TopicName(s(t.name.clone())))
                    .with_partitions(parts),
            );
        }
    }
    dir.usable_bytes = (1i64 << 40) - used;
    r.results.push(dir);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
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
        assert_eq!(r.error_code, UNSUPPORTED_VERSION);
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
        assert_eq!(r.groups[0].error_code, NOT_COORDINATOR);

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
        assert_eq!(r.topics[0].partitions[0].error_code, NOT_LEADER_OR_FOLLOWER);
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
        assert_eq!(r.results[0].error_code, KAFKA_STORAGE_ERROR);
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
                assert_eq!(d.groups[0].error_code, NOT_COORDINATOR);
            }
        }
        assert_eq!(listed, 1);

        // DescribeConfigs: topic override and broker keys, filtered.
        let req = DescribeConfigsRequest::default().with_resources(vec![
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t"))
                .with_configuration_keys(Some(vec![StrBytes::from_static_str(
                    "min.insync.replicas",
                )])),
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
        assert_eq!(r.results[1].error_code, UNKNOWN_TOPIC_OR_PARTITION);

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
        assert_eq!(md.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);

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
}
