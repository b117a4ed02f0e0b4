//! Response framing: size prefix, response header, body.

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::ResponseHeader;
use kafka_protocol::protocol::{Encodable, StrBytes};

pub(super) fn s(v: impl Into<String>) -> StrBytes {
    StrBytes::from_string(v.into())
}

pub(super) fn frame_response<T: Encodable>(
    corr: i32,
    hv: i16,
    body: &T,
    version: i16,
) -> Option<BytesMut> {
    let mut b = BytesMut::new();
    if let Err(e) = body.encode(&mut b, version) {
        tracing::warn!(error = %e, version, "sim: cannot encode response");
        return None;
    }
    frame_raw(corr, hv, &b)
}

pub(super) fn frame_raw(corr: i32, hv: i16, body: &[u8]) -> Option<BytesMut> {
    let header = ResponseHeader::default().with_correlation_id(corr);
    let mut h = BytesMut::new();
    header.encode(&mut h, hv).ok()?;
    let mut out = BytesMut::with_capacity(4 + h.len() + body.len());
    out.put_i32((h.len() + body.len()) as i32);
    out.put_slice(&h);
    out.put_slice(body);
    Some(out)
}
