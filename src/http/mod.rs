//! The HTTP side: `/metrics`, health probes, the `/api/v1` status API and
//! the status page `/` ([`page`]).
//!
//! It only reads [`crate::state`] (and writes silences through the
//! incident module's shared store). Every API route is listed in
//! [`api::ROUTES`], and `docs/openapi.json` documents the same set; a test
//! keeps them equal. The page's HTML routes are [`page::PAGE_ROUTES`].

pub mod api;
pub mod metrics;
pub mod page;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::Deserialize;

use crate::config::{Dur, Problems, Secret};

/// `[http]` settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on. Default `127.0.0.1:9309`; use `0.0.0.0:9309`
    /// in a container.
    pub listen: String,
    /// Bearer token protecting `/api/v1` (inline, `{ env = "..." }` or
    /// `{ file = "..." }`). The variable `ISRWATCH_API_TOKEN` is used when
    /// this is unset. Writes (silences) always need a token.
    pub token: Option<Secret>,
    /// Whether `/metrics` also needs the token. Default false.
    pub protect_metrics: bool,
    /// Emit per-partition series (offsets, ISR, per-partition group lag).
    pub per_partition_metrics: bool,
    /// Topics (regular expressions) whose per-partition series are left out.
    pub exclude_topics: Vec<String>,
    /// Groups (regular expressions) whose per-partition series are left out.
    pub exclude_groups: Vec<String>,
    /// Per-request timeout.
    pub request_timeout: Dur,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Base URL people reach this API at, used for links in notifications.
    pub public_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:9309".into(),
            token: None,
            protect_metrics: false,
            per_partition_metrics: true,
            exclude_topics: Vec::new(),
            exclude_groups: Vec::new(),
            request_timeout: Dur::secs(10),
            max_body_bytes: 64 * 1024,
            public_url: None,
        }
    }
}

impl HttpConfig {
    /// Checks the section without I/O.
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        if self.listen.parse::<SocketAddr>().is_err() {
            problems.push(
                format!("{path}.listen"),
                format!(
                    "expected an address like \"127.0.0.1:9309\", found {:?}",
                    self.listen
                ),
            );
        }
        for (key, pats) in [
            ("exclude_topics", &self.exclude_topics),
            ("exclude_groups", &self.exclude_groups),
        ] {
            for (i, p) in pats.iter().enumerate() {
                if let Err(e) = regex::Regex::new(p) {
                    problems.push(
                        format!("{path}.{key}[{i}]"),
                        format!("invalid regular expression: {e}"),
                    );
                }
            }
        }
        if self.max_body_bytes == 0 {
            problems.push(format!("{path}.max_body_bytes"), "must be greater than 0");
        }
        if self.request_timeout.0.is_zero() {
            problems.push(format!("{path}.request_timeout"), "must be greater than 0");
        }
    }

    /// The series filter for `/metrics` (patterns were validated).
    pub fn series_filter(&self) -> metrics::SeriesFilter {
        let set = |p: &Vec<String>| {
            if p.is_empty() {
                None
            } else {
                regex::RegexSet::new(p.iter().map(|p| format!("^(?:{p})$"))).ok()
            }
        };
        metrics::SeriesFilter {
            per_partition: self.per_partition_metrics,
            exclude_topics: set(&self.exclude_topics),
            exclude_groups: set(&self.exclude_groups),
        }
    }

    /// Resolves the API token: the configured secret, else `ISRWATCH_API_TOKEN`.
    pub fn resolve_token(&self) -> Result<Option<String>, String> {
        match &self.token {
            Some(s) => s.resolve().map(Some),
            None => Ok(std::env::var("ISRWATCH_API_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())),
        }
    }
}

/// Builds the whole router: the API and probes ([`api`]), the status page
/// ([`page`]), the 404 fallback, the body limit and the request timeout.
pub fn router(ctx: Arc<api::ApiContext>) -> axum::Router {
    api::routes(&ctx)
        .merge(page::router())
        .fallback(api::no_such_route)
        .layer(axum::extract::DefaultBodyLimit::max(ctx.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            ctx.request_timeout,
        ))
        .with_state(ctx)
}

/// Binds the listener and serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<api::ApiContext>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(ctx);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
