//! The connection pool: one kept connection per broker (plain, TLS, SASL),
//! the versions each broker speaks, one request at a time on each, every
//! request of a call within the call's time budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::super::admin::AdminError;
use super::super::transport::{Io, Sasl, Transport};
use super::error::error_text;
use crate::snapshot::{BrokerId, BrokerInfo};

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
}

pub(super) fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

/// Largest response accepted (bytes): a DescribeGroups answer for 500 big
/// groups stays far below this.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;

/// The end of a call's time budget: every request of a call (a call may
/// send several) shares its `timeout`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    at: tokio::time::Instant,
    /// The whole budget, for messages.
    ms: u128,
}

impl Budget {
    pub(super) fn after(timeout: Duration) -> Self {
        Budget {
            at: tokio::time::Instant::now() + timeout,
            ms: timeout.as_millis(),
        }
    }

    /// Whether the budget is spent (a call that failed now ran out of time).
    pub(super) fn spent(&self) -> bool {
        tokio::time::Instant::now() >= self.at
    }

    /// The whole budget, in milliseconds.
    pub(super) fn ms(&self) -> u128 {
        self.ms
    }
}

/// One open connection and what the broker said it supports.
pub(super) struct Conn {
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
pub(super) struct Slot {
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

impl DirectClient {
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
    pub(super) async fn exchange<Req: Encodable, Resp: Decodable>(
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

    /// Whether `broker` offers `key` in a version of `ours`, from its
    /// ApiVersions answer (connecting if needed, within `timeout`).
    pub(super) async fn speaks(
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
    if let Some(e) = resp.error_code.err() {
        return Err(format!("ApiVersions: {}", error_text(e)));
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
    if let Some(e) = resp.error_code.err() {
        let offered: Vec<&str> = resp.mechanisms.iter().map(|m| &**m).collect();
        return Err(format!(
            "SASL {mech}: {} (the broker offers {})",
            error_text(e),
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
        if let Some(e) = resp.error_code.err() {
            return Err(format!(
                "SASL {mech} authentication failed: {}{}",
                error_text(e),
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
