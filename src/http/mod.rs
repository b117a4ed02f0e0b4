//! The HTTP side: `/metrics`, health probes and the `/api/v1` status API.
//! It only reads [`crate::state`].
