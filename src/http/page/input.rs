//! What the page needs besides the shared state.

use std::time::Duration;

use crate::http::api::SilenceApi;
use crate::snapshot::Time;
use crate::state::SharedState;

/// What the page needs besides the shared state.
pub struct PageInput<'a> {
    pub state: &'a SharedState,
    pub silences: Option<&'a dyn SilenceApi>,
    /// How often the page refreshes itself.
    pub refresh: Duration,
    /// Whether an API token is configured (writes are refused without one).
    pub token_configured: bool,
    /// A message about the last form sent, shown above the silences.
    pub notice: Option<&'static str>,
    /// Show only this cluster (`/?cluster=NAME`); every cluster when `None`.
    pub only: Option<&'a str>,
    pub now: Time,
}
