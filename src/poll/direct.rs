//! isrwatch's own Kafka requests for the three calls that cost the most
//! through librdkafka at scale: ListOffsets, OffsetFetch and DescribeGroups.
//!
//! Why: librdkafka's admin API turns every partition and every group into
//! its own heap objects, operations and timers. At 100,000 partitions and
//! 2,000 groups that was 1.8 s of CPU per poll, about 85 % of it inside
//! librdkafka (see `docs/benchmarks.md`). These requests are encoded and
//! decoded with the `kafka-protocol` crate (the one the simulator uses to
//! answer them) and sent on one connection per broker that is kept between
//! polls:
//! - ListOffsets: [`OFFSETS_PER_REQUEST`] partitions per request, to the
//!   partitions' leader;
//! - OffsetFetch: every group of a coordinator in one request (v8, Kafka
//!   3.0+; older brokers get group offsets through librdkafka);
//! - DescribeGroups: every group of a coordinator in one request.
//!
//! Connections are plain TCP or TLS, with SASL PLAIN or SCRAM when the
//! cluster asks for it ([`super::transport`], from the same `ssl.*` and
//! `sasl.*` properties librdkafka gets). The poller uses this client when
//! `direct_requests` is on and [`Transport::for_properties`] accepts the
//! cluster's properties (not GSSAPI, not OAUTHBEARER), and librdkafka's
//! admin API otherwise. Metadata, configs and group listing always go
//! through librdkafka.
//!
//! Answers have the same types as the librdkafka wrappers in
//! [`super::admin`], so the poller's logic does not depend on which path
//! answered. Every failure is an [`AdminError`] naming the request and the
//! broker; bytes that do not decode are an error, never a panic.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::admin::{AdminError, GroupDescription, GroupOffsets, OffsetSpec, PartitionOffset};
use super::transport::{Io, Sasl, Transport};
use crate::snapshot::{BrokerId, BrokerInfo, QuorumReplica, QuorumState};

/// Partitions per ListOffsets request (about 20 KiB of request).
pub const OFFSETS_PER_REQUEST: usize = 2000;
/// Groups per OffsetFetch (v8+) and DescribeGroups request.
pub const GROUPS_PER_REQUEST: usize = 500;
/// At most this many (group, partition) pairs per OffsetFetch that lists
/// partitions (about 2 MiB of answer, far below Kafka's 100 MB
/// `socket.request.max.bytes`).
const GROUP_PARTITIONS_PER_REQUEST: usize = 100_000;

/// Groups per OffsetFetch request: [`GROUPS_PER_REQUEST`], fewer when each
/// group lists many partitions.
fn groups_per_request(topics: Option<&[(String, Vec<i32>)]>) -> usize {
    let parts: usize = topics.map_or(0, |ts| ts.iter().map(|(_, p)| p.len()).sum());
    match parts {
        0 => GROUPS_PER_REQUEST,
        n => (GROUP_PARTITIONS_PER_REQUEST / n).clamp(1, GROUPS_PER_REQUEST),
    }
}
/// Largest response accepted (bytes): a DescribeGroups answer for 500 big
/// groups stays far below this.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;

/// The request versions this client speaks, per API: `(lowest, highest)`.
/// The highest version both sides support is used.
const LIST_OFFSETS: (i16, i16) = (1, 7);
/// OffsetFetch from v8 only (many groups per request, Kafka 3.0+): older
/// brokers get group offsets through librdkafka
/// ([`DirectClient::batches_offset_fetch`]).
const OFFSET_FETCH: (i16, i16) = (8, 8);
const DESCRIBE_GROUPS: (i16, i16) = (0, 6);
/// DescribeQuorum v0: the leader and epoch are all the poller reads.
/// v1 adds each replica's last fetch and caught-up times.
const DESCRIBE_QUORUM: (i16, i16) = (0, 1);
/// ListPartitionReassignments (KIP-455, Kafka 2.4+); v0 is all there is.
const LIST_REASSIGNMENTS: (i16, i16) = (0, 0);
/// DescribeLogDirs: v1 (Kafka 2.0) has each replica's offset lag.
const DESCRIBE_LOG_DIRS: (i16, i16) = (1, 4);

/// The end of a call's time budget: every request of a call (a call may
/// send several) shares its `timeout`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    at: tokio::time::Instant,
    /// The whole budget, for messages.
    ms: u128,
}

impl Budget {
    fn after(timeout: Duration) -> Self {
        Budget {
            at: tokio::time::Instant::now() + timeout,
            ms: timeout.as_millis(),
        }
    }
}

/// One open connection and what the broker said it supports.
struct Conn {
    stream: Box<dyn Io>,
    /// When the broker ends the SASL session (KIP-368
    /// `connections.max.reauth.ms`), with a margin: the connection is
    /// replaced before that rather than failing a request.
    expires: Option<tokio::time::Instant>,
    /// API key -> (min, max) version, from the broker's ApiVersions answer.
    versions: HashMap<i16, (i16, i16)>,
    next_correlation: i32,
}

/// A broker's address and its connection (opened at first use, dropped
/// after any error so the next request reconnects).
struct Slot {
    host: String,
    addr: String,
    conn: Option<Conn>,
}

impl Slot {
    /// Makes sure there is a usable connection: one is opened (and
    /// authenticated) when there is none or its SASL session is about to
    /// end. Returns `true` when it was just opened.
    async fn ready(&mut self, transport: &Transport, client_id: &str) -> Result<bool, String> {
        let expired = self
            .conn
            .as_ref()
            .and_then(|c| c.expires)
            .is_some_and(|at| tokio::time::Instant::now() >= at);
        if self.conn.is_some() && !expired {
            return Ok(false);
        }
        self.conn = None;
        let io = transport.connect(&self.host, &self.addr).await?;
        self.conn = Some(handshake(io, client_id, transport.sasl()).await?);
        Ok(true)
    }
}

/// One partition of an ongoing reassignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassigning {
    pub topic: String,
    pub partition: i32,
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
}

/// The client: one connection per broker, one request at a time on each.
pub struct DirectClient {
    client_id: String,
    transport: Transport,
    slots: Pool,
    /// Connections of [`DirectClient::probe`] only: a probe never waits
    /// behind a long request to the same broker.
    probe_slots: Pool,
}

/// One connection slot per broker.
type Pool = parking_lot::Mutex<HashMap<BrokerId, Arc<tokio::sync::Mutex<Slot>>>>;

impl std::fmt::Debug for DirectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The name of a Kafka error code as librdkafka reports it (6 is
/// `NOT_LEADER_FOR_PARTITION`), so both paths produce the same messages;
/// `kafka-protocol`'s name for codes librdkafka does not know.
pub fn code_name(code: i16) -> String {
    if let Some((name, _)) = super::admin::kafka_error_desc(code) {
        return name;
    }
    match ResponseError::try_from_code(code) {
        None => "NO_ERROR".into(),
        Some(ResponseError::Unknown(c)) => format!("UNKNOWN_ERROR_CODE_{c}"),
        Some(e) => {
            let camel = format!("{e:?}");
            let mut out = String::with_capacity(camel.len() + 8);
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(ch.to_ascii_uppercase());
            }
            out
        }
    }
}

/// `NAME: description` for a non-zero code, librdkafka's per-group error
/// text (`NOT_COORDINATOR: Broker: Not coordinator`).
fn code_text(code: i16) -> String {
    if let Some((name, desc)) = super::admin::kafka_error_desc(code) {
        return format!("{name}: {desc}");
    }
    match ResponseError::try_from_code(code) {
        None => "NO_ERROR".into(),
        Some(e) => format!("{}: {e}", code_name(code)),
    }
}

/// Whether `code` says to ask the group's coordinator again (it moved, is
/// not elected yet, or is still loading the group).
fn is_coordinator_code(code: i16) -> bool {
    matches!(
        ResponseError::try_from_code(code),
        Some(
            ResponseError::NotCoordinator
                | ResponseError::CoordinatorNotAvailable
                | ResponseError::CoordinatorLoadInProgress
        )
    )
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

impl DirectClient {
    /// A client that opens its connections with `transport` (see
    /// [`Transport::for_properties`]).
    pub fn new(client_id: &str, transport: Transport) -> Self {
        DirectClient {
            client_id: client_id.to_string(),
            transport,
            slots: parking_lot::Mutex::new(HashMap::new()),
            probe_slots: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// Takes the broker list of the latest metadata: new brokers are added,
    /// a broker whose address changed gets a new connection, brokers gone
    /// from the list are forgotten.
    pub fn set_brokers(&self, brokers: &[BrokerInfo]) {
        Self::update_pool(&self.slots, brokers);
        Self::update_pool(&self.probe_slots, brokers);
    }

    fn update_pool(pool: &Pool, brokers: &[BrokerInfo]) {
        let mut slots = pool.lock();
        slots.retain(|id, _| brokers.iter().any(|b| b.id == *id));
        for b in brokers {
            let addr = if b.host.contains(':') {
                format!("[{}]:{}", b.host, b.port)
            } else {
                format!("{}:{}", b.host, b.port)
            };
            let fresh = || {
                Arc::new(tokio::sync::Mutex::new(Slot {
                    host: b.host.clone(),
                    addr: addr.clone(),
                    conn: None,
                }))
            };
            let slot = slots.entry(b.id).or_insert_with(fresh);
            let stale = match slot.try_lock() {
                Ok(s) => s.addr != addr,
                // In use by a request of an earlier poll: start afresh.
                Err(_) => true,
            };
            if stale {
                *slot = fresh();
            }
        }
    }

    /// Sends one request to `broker` and returns the response body and the
    /// version used. `body` encodes the request at the version chosen.
    async fn request(
        &self,
        op: &'static str,
        broker: BrokerId,
        key: ApiKey,
        ours: (i16, i16),
        body: impl Fn(i16, &mut BytesMut) -> Result<(), String>,
        until: Budget,
    ) -> Result<(Bytes, i16), AdminError> {
        let fail = |message: String| AdminError::Broker {
            op,
            broker,
            message,
        };
        let slot = self
            .slots
            .lock()
            .get(&broker)
            .cloned()
            .ok_or_else(|| fail("broker not in the cluster metadata".into()))?;
        let late = || fail(format!("no answer within {} ms", until.ms));
        let mut slot = match tokio::time::timeout_at(until.at, slot.lock_owned()).await {
            Ok(s) => s,
            Err(_) => return Err(late()),
        };
        let client_id = self.client_id.clone();
        let work = async {
            // A kept connection that the broker closed meanwhile (idle
            // timeout, restart) fails before any answer: one more try on a
            // fresh connection. Every request here only reads.
            let mut retried = false;
            loop {
                let fresh = slot.ready(&self.transport, &client_id).await?;
                let conn = slot.conn.as_mut().ok_or("no connection")?;
                let version = conn.version(key, ours)?;
                let mut b = BytesMut::new();
                body(version, &mut b)?;
                match conn.call(&client_id, key, version, &b).await {
                    Ok(resp) => return Ok::<_, String>((resp, version)),
                    Err(e) if e.before_answer && !fresh && !retried => {
                        retried = true;
                        slot.conn = None;
                    }
                    Err(e) => return Err(e.message),
                }
            }
        };
        match tokio::time::timeout_at(until.at, work).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                slot.conn = None;
                Err(fail(e))
            }
            Err(_) => {
                slot.conn = None;
                Err(late())
            }
        }
    }

    /// [`DirectClient::request`] for a typed request and answer.
    async fn exchange<Req: Encodable, Resp: Decodable>(
        &self,
        op: &'static str,
        broker: BrokerId,
        key: ApiKey,
        ours: (i16, i16),
        req: &Req,
        until: Budget,
    ) -> Result<Resp, AdminError> {
        let (mut body, version) = self
            .request(
                op,
                broker,
                key,
                ours,
                |v, b| req.encode(b, v).map_err(|e| format!("cannot encode: {e}")),
                until,
            )
            .await?;
        Resp::decode(&mut body, version).map_err(|e| AdminError::Broker {
            op,
            broker,
            message: format!("cannot decode the response (v{version}): {e}"),
        })
    }

    /// Whether `broker` answers: an ApiVersions request on the probe
    /// connection (opened, with TLS and SASL, when there is none) within
    /// `timeout`. A broker that refuses connections, fails the handshake or
    /// accepts them but never answers fails the probe, with the reason.
    pub async fn probe(&self, broker: BrokerId, timeout: Duration) -> Result<(), String> {
        let Some(slot) = self.probe_slots.lock().get(&broker).cloned() else {
            return Err("not in the metadata".into());
        };
        let client_id = self.client_id.clone();
        let Ok(mut slot) = slot.try_lock_owned() else {
            // The previous poll's probe still waits for an answer.
            return Err(format!("no answer within {} ms", timeout.as_millis()));
        };
        let work = async {
            let fresh = slot.ready(&self.transport, &client_id).await?;
            if fresh {
                return Ok(()); // the handshake was an ApiVersions exchange
            }
            let conn = slot.conn.as_mut().ok_or("no connection")?;
            let mut b = BytesMut::new();
            ApiVersionsRequest::default()
                .encode(&mut b, 0)
                .map_err(|e| format!("cannot encode ApiVersions: {e}"))?;
            match conn.call(&client_id, ApiKey::ApiVersions, 0, &b).await {
                Ok(_) => Ok(()),
                // A kept connection the broker closed while idle: reconnect once.
                Err(e) if e.before_answer => {
                    slot.conn = None;
                    slot.ready(&self.transport, &client_id).await.map(|_| ())
                }
                Err(e) => Err(e.message),
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                slot.conn = None;
                Err(e)
            }
            Err(_) => {
                slot.conn = None;
                Err(format!("no answer within {} ms", timeout.as_millis()))
            }
        }
    }

    /// Whether `broker` takes many groups per OffsetFetch (v8, Kafka 3.0+).
    /// Connects if needed; `true` when that fails (the request that follows
    /// reports it). Older brokers take one group per request: the poller
    /// then leaves group offsets to librdkafka, which sends them
    /// concurrently rather than one after another on one connection.
    pub async fn batches_offset_fetch(&self, broker: BrokerId, timeout: Duration) -> bool {
        !matches!(
            self.speaks(broker, ApiKey::OffsetFetch, OFFSET_FETCH, timeout)
                .await,
            Ok(false)
        )
    }

    /// Whether `broker` offers `key` in a version of `ours`, from its
    /// ApiVersions answer (connecting if needed, within `timeout`).
    async fn speaks(
        &self,
        broker: BrokerId,
        key: ApiKey,
        ours: (i16, i16),
        timeout: Duration,
    ) -> Result<bool, String> {
        let Some(slot) = self.slots.lock().get(&broker).cloned() else {
            return Err("not in the metadata".into());
        };
        let check = async {
            let mut slot = slot.lock_owned().await;
            slot.ready(&self.transport, &self.client_id).await?;
            let conn = slot.conn.as_ref().ok_or("no connection")?;
            Ok::<_, String>(conn.version(key, ours).is_ok())
        };
        tokio::time::timeout(timeout, check)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())))
    }

    /// DescribeQuorum of `__cluster_metadata` via `broker`: the metadata
    /// quorum, whose leader is the active controller (`None` while there is
    /// none), with each voter's and observer's log end offset and last
    /// caught-up time; or `Ok(None)` when the broker does not offer
    /// DescribeQuorum: a
    /// ZooKeeper-era cluster, whose Metadata names the real controller. On
    /// KRaft (every Kafka 4) Metadata and DescribeCluster name a random live
    /// broker instead (clients cannot reach the controllers, KIP-590).
    pub async fn describe_quorum(
        &self,
        broker: BrokerId,
        timeout: Duration,
    ) -> Result<Option<QuorumState>, AdminError> {
        const OP: &str = "DescribeQuorum";
        let until = Budget::after(timeout);
        let broker_error = |message: String| AdminError::Broker {
            op: OP,
            broker,
            message,
        };
        if !self
            .speaks(broker, ApiKey::DescribeQuorum, DESCRIBE_QUORUM, timeout)
            .await
            .map_err(broker_error)?
        {
            return Ok(None);
        }
        let req = DescribeQuorumRequest::default().with_topics(vec![
            describe_quorum_request::TopicData::default()
                .with_topic_name(TopicName(s("__cluster_metadata")))
                .with_partitions(vec![
                    describe_quorum_request::PartitionData::default().with_partition_index(0)
                ]),
        ]);
        let resp: DescribeQuorumResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::DescribeQuorum,
                DESCRIBE_QUORUM,
                &req,
                until,
            )
            .await?;
        let failed = |code: i16| AdminError::Kafka {
            op: OP,
            name: code_name(code),
            message: code_text(code),
        };
        if resp.error_code != 0 {
            return Err(failed(resp.error_code));
        }
        let part = resp
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .find(|p| p.partition_index == 0)
            .ok_or_else(|| broker_error("the answer has no __cluster_metadata partition".into()))?;
        if part.error_code != 0 {
            return Err(failed(part.error_code));
        }
        let replicas = |v: &[describe_quorum_response::ReplicaState]| {
            let mut out: Vec<QuorumReplica> = v
                .iter()
                .map(|r| QuorumReplica {
                    id: r.replica_id.0,
                    log_end_offset: r.log_end_offset,
                    last_caught_up_ms: (r.last_caught_up_timestamp >= 0)
                        .then_some(r.last_caught_up_timestamp),
                })
                .collect();
            out.sort_by_key(|r| r.id);
            out
        };
        Ok(Some(QuorumState {
            leader: (part.leader_id.0 >= 0).then_some(part.leader_id.0),
            epoch: part.leader_epoch,
            high_watermark: part.high_watermark,
            voters: replicas(&part.current_voters),
            observers: replicas(&part.observers),
        }))
    }

    /// The ongoing partition reassignments, via `broker` (which forwards to
    /// the controller): (topic, partition, adding, removing) for each, or
    /// `Ok(None)` when the broker does not offer ListPartitionReassignments
    /// (Kafka before 2.4, or a Kafka-compatible broker without it).
    pub async fn list_partition_reassignments(
        &self,
        broker: BrokerId,
        timeout: Duration,
    ) -> Result<Option<Vec<Reassigning>>, AdminError> {
        const OP: &str = "ListPartitionReassignments";
        let until = Budget::after(timeout);
        if !self
            .speaks(
                broker,
                ApiKey::ListPartitionReassignments,
                LIST_REASSIGNMENTS,
                timeout,
            )
            .await
            .map_err(|message| AdminError::Broker {
                op: OP,
                broker,
                message,
            })?
        {
            return Ok(None);
        }
        let req = ListPartitionReassignmentsRequest::default()
            .with_timeout_ms(i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX));
        let resp: ListPartitionReassignmentsResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::ListPartitionReassignments,
                LIST_REASSIGNMENTS,
                &req,
                until,
            )
            .await?;
        if resp.error_code != 0 {
            return Err(AdminError::Kafka {
                op: OP,
                name: code_name(resp.error_code),
                message: code_text(resp.error_code),
            });
        }
        let ids = |v: &[kafka_protocol::messages::BrokerId]| v.iter().map(|b| b.0).collect();
        Ok(Some(
            resp.topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| Reassigning {
                        topic: t.name.to_string(),
                        partition: p.partition_index,
                        adding: ids(&p.adding_replicas),
                        removing: ids(&p.removing_replicas),
                    })
                })
                .collect(),
        ))
    }

    /// How many offsets each of `partitions`' replicas on `broker` is
    /// behind (DescribeLogDirs `offset_lag`: for a replica a reassignment
    /// is adding, what it has left to copy). Replicas the broker does not
    /// report are absent.
    pub async fn offset_lags(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        timeout: Duration,
    ) -> Result<Vec<(String, i32, i64)>, AdminError> {
        const OP: &str = "DescribeLogDirs";
        let mut by_topic: std::collections::BTreeMap<&str, Vec<i32>> = Default::default();
        for (t, p) in partitions {
            by_topic.entry(t.as_str()).or_default().push(*p);
        }
        let req = DescribeLogDirsRequest::default().with_topics(Some(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    describe_log_dirs_request::DescribableLogDirTopic::default()
                        .with_topic(TopicName(s(t)))
                        .with_partitions(ps)
                })
                .collect(),
        ));
        let resp: DescribeLogDirsResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::DescribeLogDirs,
                DESCRIBE_LOG_DIRS,
                &req,
                Budget::after(timeout),
            )
            .await?;
        let mut out = Vec::new();
        for dir in resp.results.iter().filter(|d| d.error_code == 0) {
            for t in &dir.topics {
                for p in t.partitions.iter().filter(|p| !p.is_future_key) {
                    out.push((t.name.to_string(), p.partition_index, p.offset_lag.max(0)));
                }
            }
        }
        Ok(out)
    }

    /// ListOffsets for partitions all led by `broker`, in requests of
    /// [`OFFSETS_PER_REQUEST`]. Answers carry the position in `partitions`.
    /// A request that fails fails the call (the poller reports it once).
    pub async fn list_offsets(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        spec: OffsetSpec,
        timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, AdminError> {
        let until = Budget::after(timeout);
        let ts = match spec {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
        };
        let mut out = Vec::with_capacity(partitions.len());
        for (n, chunk) in partitions.chunks(OFFSETS_PER_REQUEST).enumerate() {
            let base = n * OFFSETS_PER_REQUEST;
            match self.list_offsets_once(broker, chunk, ts, until).await {
                Ok(answers) => out.extend(answers.into_iter().map(|mut a| {
                    a.index += base;
                    a
                })),
                Err(e) if out.is_empty() => return Err(e),
                // Keep the answers already read; the other partitions carry
                // the error.
                Err(e) => {
                    out.extend((base..partitions.len()).map(|index| PartitionOffset {
                        index,
                        offset: Err(e.to_string()),
                    }));
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One ListOffsets request for `chunk` (timestamp `ts`: -2 earliest,
    /// -1 latest); answers carry positions in `chunk`.
    async fn list_offsets_once(
        &self,
        broker: BrokerId,
        chunk: &[(String, i32)],
        ts: i64,
        until: Budget,
    ) -> Result<Vec<PartitionOffset>, AdminError> {
        const OP: &str = "ListOffsets";
        let mut req =
            ListOffsetsRequest::default().with_replica_id(kafka_protocol::messages::BrokerId(-1));
        for (i, (topic, partition)) in chunk.iter().enumerate() {
            if i == 0 || chunk[i - 1].0 != *topic {
                req.topics.push(
                    list_offsets_request::ListOffsetsTopic::default()
                        .with_name(TopicName(s(topic))),
                );
            }
            if let Some(t) = req.topics.last_mut() {
                t.partitions.push(
                    list_offsets_request::ListOffsetsPartition::default()
                        .with_partition_index(*partition)
                        .with_current_leader_epoch(-1)
                        .with_timestamp(ts),
                );
            }
        }
        let resp: ListOffsetsResponse = self
            .exchange(OP, broker, ApiKey::ListOffsets, LIST_OFFSETS, &req, until)
            .await?;
        let index = super::admin::PartitionIndex::new(chunk);
        let mut out = Vec::with_capacity(chunk.len());
        for t in &resp.topics {
            for p in &t.partitions {
                let Some(i) = index.position(t.name.0.as_bytes(), p.partition_index) else {
                    continue;
                };
                let offset = if p.error_code == 0 {
                    Ok(p.offset)
                } else {
                    Err(code_name(p.error_code))
                };
                out.push(PartitionOffset { index: i, offset });
            }
        }
        Ok(out)
    }

    /// Committed offsets of `groups` at `broker` (their coordinator).
    /// `partitions`: `None` for every committed partition, `Some` for those.
    /// Same contract as [`super::admin::list_consumer_group_offsets`]: one
    /// entry per group, a group that failed carries `error`.
    pub async fn offset_fetch(
        &self,
        broker: BrokerId,
        groups: &[String],
        partitions: Option<&[(String, i32)]>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, AdminError> {
        let until = Budget::after(timeout);
        let topics: Option<Vec<(String, Vec<i32>)>> = partitions.map(|parts| {
            let mut v: Vec<(String, Vec<i32>)> = Vec::new();
            for (t, p) in parts {
                match v.last_mut() {
                    Some((name, ps)) if name == t => ps.push(*p),
                    _ => v.push((t.clone(), vec![*p])),
                }
            }
            v
        });
        let mut out = Vec::with_capacity(groups.len());
        while out.len() < groups.len() {
            let rest = &groups[out.len()..];
            match self
                .offset_fetch_once(broker, rest, topics.as_deref(), until)
                .await
            {
                Ok(answers) if !answers.is_empty() => out.extend(answers),
                Ok(_) => break,
                // Every group gets an answer, as through librdkafka: the
                // groups already answered keep theirs, the others carry the
                // error (and the poller looks for their coordinator again).
                Err(e) => out.extend(rest.iter().map(|g| GroupOffsets {
                    group: g.clone(),
                    offsets: Vec::new(),
                    error: Some(e.to_string()),
                    not_coordinator: false,
                })),
            }
        }
        Ok(out)
    }

    /// One OffsetFetch (v8+) request for the first groups of `rest` (at
    /// most [`groups_per_request`]). Returns one answer per group asked, in
    /// order.
    async fn offset_fetch_once(
        &self,
        broker: BrokerId,
        rest: &[String],
        topics: Option<&[(String, Vec<i32>)]>,
        until: Budget,
    ) -> Result<Vec<GroupOffsets>, AdminError> {
        const OP: &str = "OffsetFetch";
        let asked = &rest[..rest.len().min(groups_per_request(topics))];
        let req = OffsetFetchRequest::default().with_groups(
            asked
                .iter()
                .map(|g| {
                    offset_fetch_request::OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(s(g)))
                        .with_topics(topics.map(|ts| {
                            ts.iter()
                                .map(|(t, ps)| {
                                    offset_fetch_request::OffsetFetchRequestTopics::default()
                                        .with_name(TopicName(s(t)))
                                        .with_partition_indexes(ps.clone())
                                })
                                .collect()
                        }))
                })
                .collect(),
        );
        let resp: OffsetFetchResponse = self
            .exchange(OP, broker, ApiKey::OffsetFetch, OFFSET_FETCH, &req, until)
            .await?;
        let mut answered: HashMap<String, GroupOffsets> = HashMap::new();
        for g in &resp.groups {
            let parts = g.topics.iter().flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        &t.name.0,
                        p.partition_index,
                        p.committed_offset,
                        p.error_code,
                    )
                })
            });
            let answer = group_offsets(g.group_id.0.as_str(), g.error_code, parts);
            answered.insert(answer.group.clone(), answer);
        }
        Ok(asked
            .iter()
            .map(|g| {
                answered.remove(g.as_str()).unwrap_or_else(|| GroupOffsets {
                    group: g.clone(),
                    offsets: Vec::new(),
                    error: Some(format!("{OP}: broker {broker} did not answer for it")),
                    not_coordinator: false,
                })
            })
            .collect())
    }

    /// DescribeGroups for `groups` at `broker` (their coordinator). Same
    /// contract as [`super::admin::describe_consumer_groups`].
    pub async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: &[String],
        timeout: Duration,
    ) -> Result<Vec<GroupDescription>, AdminError> {
        let until = Budget::after(timeout);
        let mut out = Vec::with_capacity(groups.len());
        for (n, chunk) in groups.chunks(GROUPS_PER_REQUEST).enumerate() {
            match self.describe_once(broker, chunk, until).await {
                Ok(d) => out.extend(d),
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    // Keep the groups already described; the others carry
                    // the error.
                    let rest = &groups[n * GROUPS_PER_REQUEST..];
                    out.extend(
                        rest.iter()
                            .map(|g| GroupDescription::failed(g, e.to_string(), false)),
                    );
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One DescribeGroups request for `chunk`.
    async fn describe_once(
        &self,
        broker: BrokerId,
        chunk: &[String],
        until: Budget,
    ) -> Result<Vec<GroupDescription>, AdminError> {
        const OP: &str = "DescribeGroups";
        let req = DescribeGroupsRequest::default()
            .with_groups(chunk.iter().map(|g| GroupId(s(g))).collect());
        let resp: DescribeGroupsResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::DescribeGroups,
                DESCRIBE_GROUPS,
                &req,
                until,
            )
            .await?;
        Ok(resp
            .groups
            .into_iter()
            .map(|g| describe_one(broker, g))
            .collect())
    }
}

/// One group's committed offsets from an OffsetFetch answer.
fn group_offsets<'a>(
    group: &str,
    error_code: i16,
    parts: impl Iterator<Item = (&'a StrBytes, i32, i64, i16)>,
) -> GroupOffsets {
    let mut not_coordinator = is_coordinator_code(error_code);
    let mut error = (error_code != 0).then(|| code_text(error_code));
    let mut offsets = Vec::new();
    for (t, p, off, code) in parts {
        // A coordinator error may also come per partition.
        if is_coordinator_code(code) {
            not_coordinator = true;
            error.get_or_insert_with(|| code_name(code));
        }
        offsets.push((t.to_string(), p, (off >= 0).then_some(off)));
    }
    if not_coordinator {
        offsets.clear();
    }
    GroupOffsets {
        group: group.to_string(),
        offsets,
        error,
        not_coordinator,
    }
}

/// One group from a DescribeGroups answer, as librdkafka 2.12 describes it
/// (`rd_kafka_DescribeConsumerGroupsResponse_parse`): an empty protocol type
/// is a "simple" group; a protocol type other than `consumer` (Connect,
/// Schema Registry) is an `_INVALID_ARG` error; a group with an error has
/// state `Unknown`, no members and no coordinator.
fn describe_one(broker: BrokerId, g: describe_groups_response::DescribedGroup) -> GroupDescription {
    let group = g.group_id.0.to_string();
    let failed = |error: String, not_coordinator: bool| {
        GroupDescription::failed(&group, error, not_coordinator)
    };
    if g.error_code != 0 {
        let (name, desc) = super::admin::kafka_error_desc(g.error_code)
            .unwrap_or_else(|| (code_name(g.error_code), String::new()));
        return failed(
            format!("{name}: DescribeConsumerGroups: {desc}"),
            is_coordinator_code(g.error_code),
        );
    }
    let simple = g.protocol_type.is_empty();
    if !simple && &*g.protocol_type != "consumer" {
        return failed(
            format!(
                "_INVALID_ARG: GroupId {group} is not a consumer group ({}).",
                &*g.protocol_type
            ),
            false,
        );
    }
    let mut assigned = Vec::new();
    for m in &g.members {
        match decode_assignment(&m.member_assignment) {
            Some(parts) => assigned.extend(parts),
            None => {
                return failed(
                    format!(
                        "_BAD_MSG: member {}: assignment does not decode",
                        &*m.member_id
                    ),
                    false,
                )
            }
        }
    }
    assigned.sort();
    assigned.dedup();
    GroupDescription {
        group,
        state: if g.group_state.is_empty() {
            "Unknown".into()
        } else {
            g.group_state.to_string()
        },
        simple,
        coordinator: Some(broker),
        members: g.members.len().min(u32::MAX as usize) as u32,
        assigned,
        error: None,
        not_coordinator: false,
    }
}

/// The partitions of a consumer-protocol member assignment: a version
/// (i16), then `[topic (i16 length + bytes), [partition (i32)]]`; what
/// follows (user data, newer fields) is ignored, as librdkafka does.
/// `None` when the bytes end early or a length is negative.
fn decode_assignment(bytes: &Bytes) -> Option<Vec<(String, i32)>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let mut b = bytes.clone();
    let count = |b: &mut Bytes| -> Option<usize> {
        (b.remaining() >= 4)
            .then(|| b.get_i32())
            .and_then(|n| usize::try_from(n).ok())
    };
    if b.remaining() < 2 {
        return None;
    }
    b.advance(2);
    let topics = count(&mut b)?;
    let mut out = Vec::new();
    for _ in 0..topics {
        if b.remaining() < 2 {
            return None;
        }
        let len = usize::try_from(b.get_i16()).ok()?;
        if b.remaining() < len {
            return None;
        }
        let topic = String::from_utf8_lossy(&b.split_to(len)).into_owned();
        let parts = count(&mut b)?;
        if b.remaining() < parts.checked_mul(4)? {
            return None;
        }
        for _ in 0..parts {
            out.push((topic.clone(), b.get_i32()));
        }
    }
    Some(out)
}

/// Asks the broker on a new connection which versions it speaks, then
/// authenticates when `sasl` is set.
async fn handshake(
    stream: Box<dyn Io>,
    client_id: &str,
    sasl: Option<&Sasl>,
) -> Result<Conn, String> {
    let mut conn = Conn {
        stream,
        expires: None,
        versions: HashMap::new(),
        next_correlation: 1,
    };
    let mut b = BytesMut::new();
    ApiVersionsRequest::default()
        .encode(&mut b, 0)
        .map_err(|e| format!("cannot encode ApiVersions: {e}"))?;
    let mut body = conn
        .call(client_id, ApiKey::ApiVersions, 0, &b)
        .await
        .map_err(|e| e.message)?;
    let resp = ApiVersionsResponse::decode(&mut body, 0)
        .map_err(|e| format!("cannot decode the ApiVersions response: {e}"))?;
    if resp.error_code != 0 {
        return Err(format!("ApiVersions: {}", code_text(resp.error_code)));
    }
    conn.versions = resp
        .api_keys
        .iter()
        .map(|k| (k.api_key, (k.min_version, k.max_version)))
        .collect();
    if let Some(sasl) = sasl {
        let lifetime = authenticate(&mut conn, client_id, sasl).await?;
        conn.expires = lifetime.map(|l| tokio::time::Instant::now() + l.mul_f64(0.9));
    }
    Ok(conn)
}

/// SaslHandshake v1, then SaslAuthenticate rounds until the mechanism is
/// done (KIP-152). Returns the session's lifetime when the broker limits it
/// (KIP-368). Errors say what the broker answered, never the password.
async fn authenticate(
    conn: &mut Conn,
    client_id: &str,
    sasl: &Sasl,
) -> Result<Option<Duration>, String> {
    let mech = sasl.mechanism.name();
    let v = conn.version(ApiKey::SaslHandshake, (1, 1))?;
    let mut b = BytesMut::new();
    SaslHandshakeRequest::default()
        .with_mechanism(s(mech))
        .encode(&mut b, v)
        .map_err(|e| format!("cannot encode SaslHandshake: {e}"))?;
    let mut body = conn
        .call(client_id, ApiKey::SaslHandshake, v, &b)
        .await
        .map_err(|e| e.message)?;
    let resp = SaslHandshakeResponse::decode(&mut body, v)
        .map_err(|e| format!("cannot decode the SaslHandshake response: {e}"))?;
    if resp.error_code != 0 {
        let offered: Vec<&str> = resp.mechanisms.iter().map(|m| &**m).collect();
        return Err(format!(
            "SASL {mech}: {} (the broker offers {})",
            code_text(resp.error_code),
            offered.join(", ")
        ));
    }
    let av = conn.version(ApiKey::SaslAuthenticate, (0, 2))?;
    let mut client = crate::sasl::Client::new(sasl.mechanism, &sasl.username, &sasl.password);
    let mut from_server = Vec::new();
    let mut lifetime = None;
    while let Some(msg) = client
        .next(&from_server)
        .map_err(|e| format!("SASL {mech} authentication failed: {e}"))?
    {
        let mut b = BytesMut::new();
        SaslAuthenticateRequest::default()
            .with_auth_bytes(Bytes::from(msg))
            .encode(&mut b, av)
            .map_err(|e| format!("cannot encode SaslAuthenticate: {e}"))?;
        let mut body = conn
            .call(client_id, ApiKey::SaslAuthenticate, av, &b)
            .await
            .map_err(|e| e.message)?;
        let resp = SaslAuthenticateResponse::decode(&mut body, av)
            .map_err(|e| format!("cannot decode the SaslAuthenticate response: {e}"))?;
        if resp.error_code != 0 {
            return Err(format!(
                "SASL {mech} authentication failed: {}{}",
                code_text(resp.error_code),
                resp.error_message
                    .as_deref()
                    .map(|m| format!(" ({:?})", crate::sasl::short(m)))
                    .unwrap_or_default()
            ));
        }
        from_server = resp.auth_bytes.to_vec();
        lifetime = u64::try_from(resp.session_lifetime_ms)
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
    }
    Ok(lifetime)
}

impl Conn {
    /// The highest version of `key` both sides speak.
    fn version(&self, key: ApiKey, ours: (i16, i16)) -> Result<i16, String> {
        let (lo, hi) = self
            .versions
            .get(&(key as i16))
            .copied()
            .ok_or_else(|| format!("the broker does not support {key:?}"))?;
        let v = hi.min(ours.1);
        if v < lo.max(ours.0) {
            return Err(format!(
                "no common {key:?} version (broker {lo}-{hi}, isrwatch {}-{})",
                ours.0, ours.1
            ));
        }
        Ok(v)
    }

    /// Writes one request frame and reads its response; returns the body
    /// after the response header.
    async fn call(
        &mut self,
        client_id: &str,
        key: ApiKey,
        version: i16,
        body: &[u8],
    ) -> Result<Bytes, CallError> {
        let correlation = self.next_correlation;
        self.next_correlation = self.next_correlation.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(s(client_id)));
        let mut h = BytesMut::new();
        header
            .encode(&mut h, key.request_header_version(version))
            .map_err(|e| CallError::after(format!("cannot encode the request header: {e}")))?;
        let size = i32::try_from(h.len() + body.len())
            .map_err(|_| CallError::after(format!("{key:?} request too large")))?;
        let mut frame = BytesMut::with_capacity(4 + h.len() + body.len());
        frame.put_i32(size);
        frame.put_slice(&h);
        frame.put_slice(body);
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| CallError::before(format!("cannot send {key:?}: {e}")))?;
        let len =
            self.stream.read_i32().await.map_err(|e| {
                CallError::before(format!("connection lost waiting for {key:?}: {e}"))
            })?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l >= 4 && *l <= MAX_RESPONSE)
            .ok_or_else(|| {
                CallError::after(format!("{key:?} response with an invalid size {len}"))
            })?;
        let mut buf = vec![0u8; len];
        self.stream
            .read_exact(&mut buf)
            .await
            .map_err(|e| CallError::after(format!("connection lost reading {key:?}: {e}")))?;
        let mut buf = Bytes::from(buf);
        let rh = ResponseHeader::decode(&mut buf, key.response_header_version(version)).map_err(
            |e| CallError::after(format!("cannot decode the {key:?} response header: {e}")),
        )?;
        if rh.correlation_id != correlation {
            return Err(CallError::after(format!(
                "{key:?} response for correlation id {} where {correlation} was expected",
                rh.correlation_id
            )));
        }
        // Checked before `kafka-protocol` decodes it: a garbage array length
        // there would abort the process (see `crate::guard`).
        if !crate::guard::response_is_sane(key, version, &buf) {
            return Err(CallError::after(format!(
                "cannot decode the {key:?} response (v{version}): malformed body"
            )));
        }
        Ok(buf)
    }
}

/// Why one request failed, and whether the connection failed before any
/// byte of the answer (then a fresh connection may be tried).
#[derive(Debug)]
struct CallError {
    before_answer: bool,
    message: String,
}

impl CallError {
    fn before(message: String) -> Self {
        CallError {
            before_answer: true,
            message,
        }
    }
    fn after(message: String) -> Self {
        CallError {
            before_answer: false,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_match_librdkafkas() {
        assert_eq!(code_name(6), "NOT_LEADER_FOR_PARTITION");
        assert_eq!(code_name(3), "UNKNOWN_TOPIC_OR_PART");
        assert_eq!(code_name(16), "NOT_COORDINATOR");
        assert_eq!(code_name(0), "NO_ERROR");
        assert_eq!(code_name(-9999), "UNKNOWN_ERROR_CODE_-9999");
        assert_eq!(code_text(16), "NOT_COORDINATOR: Broker: Not coordinator");
    }

    #[test]
    fn coordinator_codes_are_read_through_the_protocols_error_type() {
        for (code, again) in [
            (14, true),
            (15, true),
            (16, true),
            (0, false),
            (6, false),
            (-1, false),
        ] {
            assert_eq!(is_coordinator_code(code), again, "{code}");
        }
    }

    #[test]
    fn garbage_assignments_are_errors_not_panics() {
        assert_eq!(decode_assignment(&Bytes::new()), Some(Vec::new()));
        assert_eq!(decode_assignment(&Bytes::from_static(&[0])), None);
        assert_eq!(
            decode_assignment(&Bytes::from_static(&[0, 0, 0, 0, 0, 9, 1])),
            None
        );
        assert_eq!(
            decode_assignment(&Bytes::from_static(&[0, 0, 0xff, 0xff, 0xff, 0xff])),
            None
        );
        let mut b = BytesMut::new();
        b.put_i16(1);
        ConsumerProtocolAssignment::default()
            .with_assigned_partitions(vec![consumer_protocol_assignment::TopicPartition::default(
            )
            .with_topic(TopicName(s("t")))
            .with_partitions(vec![0, 2])])
            .encode(&mut b, 1)
            .unwrap();
        let want = Some(vec![("t".to_string(), 0), ("t".to_string(), 2)]);
        assert_eq!(decode_assignment(&b.clone().freeze()), want);
        // Without the user data that follows (librdkafka reads only the
        // partitions, so do we).
        b.truncate(b.len() - 4);
        assert_eq!(decode_assignment(&b.freeze()), want);
    }

    /// A fake broker: answers ApiVersions properly (ListOffsets up to
    /// `max_list_offsets`), then answers every other request with `reply`
    /// (given the request's correlation id).
    async fn fake_broker(
        max_list_offsets: i16,
        reply: fn(i32) -> Vec<u8>,
    ) -> (BrokerInfo, tokio::task::JoinHandle<()>) {
        fake_broker_closing(max_list_offsets, reply, false).await
    }

    /// `close`: hang up after each answer other than ApiVersions (as a
    /// broker does when it restarts or drops an idle connection).
    async fn fake_broker_closing(
        max_list_offsets: i16,
        reply: fn(i32) -> Vec<u8>,
        close: bool,
    ) -> (BrokerInfo, tokio::task::JoinHandle<()>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut c, _)) = l.accept().await {
                tokio::spawn(async move {
                    loop {
                        let Ok(len) = c.read_i32().await else { return };
                        let mut buf = vec![0u8; len as usize];
                        if c.read_exact(&mut buf).await.is_err() {
                            return;
                        }
                        let key = i16::from_be_bytes([buf[0], buf[1]]);
                        let corr = i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                        let out = if key == ApiKey::ApiVersions as i16 {
                            let mut r = ApiVersionsResponse::default();
                            r.api_keys = vec![api_versions_response::ApiVersion::default()
                                .with_api_key(ApiKey::ListOffsets as i16)
                                .with_min_version(0)
                                .with_max_version(max_list_offsets)];
                            let mut b = BytesMut::new();
                            b.put_i32(corr);
                            r.encode(&mut b, 0).unwrap();
                            let mut f = BytesMut::new();
                            f.put_i32(b.len() as i32);
                            f.put_slice(&b);
                            f.to_vec()
                        } else {
                            reply(corr)
                        };
                        if c.write_all(&out).await.is_err() {
                            return;
                        }
                        if close && key != ApiKey::ApiVersions as i16 {
                            return;
                        }
                    }
                });
            }
        });
        let b = BrokerInfo {
            id: 1,
            host: "127.0.0.1".into(),
            port: port as i32,
            rack: None,
        };
        (b, task)
    }

    async fn ask(b: &BrokerInfo) -> Result<Vec<PartitionOffset>, AdminError> {
        let c = DirectClient::new("test", Transport::plain());
        c.set_brokers(std::slice::from_ref(b));
        c.list_offsets(
            1,
            &[("t".to_string(), 0)],
            OffsetSpec::Latest,
            Duration::from_millis(500),
        )
        .await
    }

    fn frame(corr: i32, body: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&((4 + body.len()) as i32).to_be_bytes());
        f.extend_from_slice(&corr.to_be_bytes());
        f.extend_from_slice(body);
        f
    }

    #[tokio::test]
    async fn bad_answers_are_errors_naming_the_broker_and_request() {
        type Reply = fn(i32) -> Vec<u8>;
        let cases: [(&str, Reply, &str); 5] = [
            ("garbage body", |c| frame(c, &[0xff; 7]), "cannot decode"),
            // ListOffsets v7: throttle time, then a topics array announcing
            // two billion entries (a varint of 0x7fffffff + 1).
            (
                "huge array",
                |c| frame(c, &[0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08]),
                "malformed body",
            ),
            (
                "wrong correlation",
                |c| frame(c + 1, &[0]),
                "correlation id",
            ),
            (
                "negative size",
                |_| (-5i32).to_be_bytes().to_vec(),
                "invalid size",
            ),
            (
                "closed mid-frame",
                |_| 100i32.to_be_bytes().to_vec(),
                "no answer",
            ),
        ];
        for (what, reply, want) in cases {
            let (b, task) = fake_broker(7, reply).await;
            let e = ask(&b).await.expect_err(what).to_string();
            assert!(e.starts_with("ListOffsets: broker 1: "), "{what}: {e}");
            assert!(e.contains(want), "{what}: {e}");
            task.abort();
        }
    }

    #[tokio::test]
    async fn too_old_a_broker_and_no_broker_are_clear_errors() {
        let (b, task) = fake_broker(0, |c| frame(c, &[])).await;
        let e = ask(&b).await.expect_err("v0 only").to_string();
        assert!(
            e.contains("no common ListOffsets version (broker 0-0"),
            "{e}"
        );
        task.abort();
        // Nobody listening (the port of a listener just closed).
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let gone = BrokerInfo {
            port: port as i32,
            ..b
        };
        let e = ask(&gone).await.expect_err("refused").to_string();
        assert!(e.contains("cannot connect to 127.0.0.1:"), "{e}");
        // A broker the metadata does not list.
        let c = DirectClient::new("test", Transport::plain());
        let e = c
            .list_offsets(
                9,
                &[("t".into(), 0)],
                OffsetSpec::Earliest,
                Duration::from_millis(100),
            )
            .await
            .expect_err("unknown broker")
            .to_string();
        assert!(
            e.contains("broker 9: broker not in the cluster metadata"),
            "{e}"
        );
    }

    /// A ListOffsets v7 answer frame: partition 0 of topic `t` at `offset`.
    fn offsets_answer(corr: i32, offset: i64) -> Vec<u8> {
        let mut b = BytesMut::new();
        b.put_i32(corr);
        b.put_u8(0); // no tagged fields (header v1)
        ListOffsetsResponse::default()
            .with_topics(vec![
                list_offsets_response::ListOffsetsTopicResponse::default()
                    .with_name(TopicName(s("t")))
                    .with_partitions(vec![
                        list_offsets_response::ListOffsetsPartitionResponse::default()
                            .with_partition_index(0)
                            .with_offset(offset),
                    ]),
            ])
            .encode(&mut b, 7)
            .unwrap();
        let mut f = (b.len() as i32).to_be_bytes().to_vec();
        f.extend_from_slice(&b);
        f
    }

    #[tokio::test]
    async fn a_connection_the_broker_closed_is_reopened_once() {
        fn answer(corr: i32) -> Vec<u8> {
            offsets_answer(corr, 42)
        }
        let (b, task) = fake_broker_closing(7, answer, true).await;
        let c = DirectClient::new("test", Transport::plain());
        c.set_brokers(std::slice::from_ref(&b));
        for round in 0..3 {
            let got = c
                .list_offsets(
                    1,
                    &[("t".into(), 0)],
                    OffsetSpec::Latest,
                    Duration::from_secs(2),
                )
                .await
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert_eq!(
                got,
                vec![PartitionOffset {
                    index: 0,
                    offset: Ok(42)
                }]
            );
        }
        task.abort();
    }

    #[tokio::test]
    async fn a_failed_request_keeps_the_answers_already_read() {
        // The first ListOffsets (correlation 2, after ApiVersions) answers
        // partition 0; the second is garbage.
        fn answer(corr: i32) -> Vec<u8> {
            if corr != 2 {
                return frame(corr, &[0, 0xff, 0xff]);
            }
            offsets_answer(corr, 7)
        }
        let (b, task) = fake_broker(7, answer).await;
        let c = DirectClient::new("test", Transport::plain());
        c.set_brokers(std::slice::from_ref(&b));
        let parts: Vec<(String, i32)> = (0..OFFSETS_PER_REQUEST as i32 + 3)
            .map(|p| ("t".to_string(), p))
            .collect();
        let got = c
            .list_offsets(1, &parts, OffsetSpec::Latest, Duration::from_secs(2))
            .await
            .expect("partial answers are kept");
        assert_eq!(
            got[0],
            PartitionOffset {
                index: 0,
                offset: Ok(7)
            }
        );
        let failed: Vec<usize> = got
            .iter()
            .filter(|a| a.offset.is_err())
            .map(|a| a.index)
            .collect();
        assert_eq!(
            failed,
            (OFFSETS_PER_REQUEST..parts.len()).collect::<Vec<_>>()
        );
        let e = got[1].offset.as_ref().expect_err("second request failed");
        assert!(e.contains("broker 1: cannot decode"), "{e}");
        task.abort();
    }
}
