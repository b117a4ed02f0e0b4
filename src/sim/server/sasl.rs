//! SaslHandshake and SaslAuthenticate: one connection's SASL state.

use bytes::{Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Decodable;

use super::frame::{frame_response, s};
use super::shared::supported;
use crate::guard::body_is_sane;

/// One connection's SASL state.
#[derive(Default)]
pub(super) struct SaslConn {
    mechanism: Option<crate::sasl::Mechanism>,
    step: Option<crate::sasl::Server>,
    pub(super) authenticated: bool,
    /// When the session ends (KIP-368), if it does.
    pub(super) expires: Option<std::time::Instant>,
}

/// Answers SaslHandshake and SaslAuthenticate; returns the response frame
/// and whether to close the connection after it (failed authentication),
/// or `None` for a frame that does not decode.
pub(super) fn sasl_frame(
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
                0
            } else {
                ResponseError::UnsupportedSaslMechanism.code()
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
                r.error_code = ResponseError::IllegalSaslState.code();
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
                    r.error_code = ResponseError::SaslAuthenticationFailed.code();
                    r.error_message = Some(s(e));
                    Some((frame_response(corr, hv, &r, version)?, true))
                }
            }
        }
    }
}
