//! The HTTP side: `/metrics`, health probes and the `/api/v1` status API.
//! It only reads [`crate::state`].

/// `[http]` settings (filled in by the http module).
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {}
