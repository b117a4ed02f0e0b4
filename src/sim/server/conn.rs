//! Listeners, TLS and one task per connection: reads frames, holds back
//! requests until SASL authentication, answers through the dispatcher.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use openssl::ssl::SslAcceptor;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::dispatch::handle_frame;
use super::sasl::{sasl_frame, SaslConn};
use super::shared::Shared;
use crate::sim::options::{SimSasl, SimTls};
use crate::sim::scenario::PartitionMode;

/// Largest request frame accepted (bytes).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Accepts connections for broker `idx` until `stop` fires.
pub(crate) async fn serve_broker(
    shared: Arc<Shared>,
    idx: usize,
    listener: TcpListener,
    tls: Option<Arc<SslAcceptor>>,
    sasl: Option<Arc<SimSasl>>,
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

/// The TLS acceptor for [`SimTls`]; the error names what is wrong.
pub(crate) fn tls_acceptor(tls: &SimTls) -> Result<Arc<SslAcceptor>, String> {
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

/// How long a broker holds a request it forwards to the controller while
/// no controller is known (Kafka's forwarding channel, `retryTimeoutMs`),
/// in simulated ms; then it answers `REQUEST_TIMED_OUT`.
const FORWARD_TIMEOUT_MS: i64 = 60_000;
/// The same bound in wall-clock time, for a simulator whose clock stands
/// still between a soak's polls: the client gave up long before.
const FORWARD_TIMEOUT_WALL: std::time::Duration = std::time::Duration::from_secs(65);

/// A broker forwards DescribeQuorum to the active controller (KRaft); while
/// the metadata quorum has no leader it holds the request, as Kafka's
/// forwarding channel does, until a leader is elected or the forwarding
/// times out; the connection answers nothing else meanwhile (Kafka mutes
/// a connection while its request is in flight). `false` when broker
/// `idx` became unreachable meanwhile (the connection closes).
async fn wait_for_quorum_leader(shared: &Shared, idx: usize) -> bool {
    let started = std::time::Instant::now();
    let arrived_ms = shared.state.lock().now_ms;
    loop {
        {
            let st = shared.state.lock();
            if !st.kraft || st.controller >= 0 || st.now_ms - arrived_ms >= FORWARD_TIMEOUT_MS {
                return true;
            }
        }
        if started.elapsed() >= FORWARD_TIMEOUT_WALL {
            return true;
        }
        if !reachable(shared, idx) {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn serve_conn<S: AsyncRead + AsyncWrite + Unpin>(
    shared: Arc<Shared>,
    idx: usize,
    mut stream: S,
    sasl: Option<Arc<SimSasl>>,
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
        if key == ApiKey::DescribeQuorum as i16 && !wait_for_quorum_leader(&shared, idx).await {
            return;
        }
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
