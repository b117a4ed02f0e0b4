//! The status page: `GET /`, server-rendered HTML for people.
//!
//! Per cluster: brokers, partition states with the worst partitions,
//! consumer groups by lag status, incidents with their summaries, findings
//! and timelines, anomaly scores, small SVG charts of the recent past
//! ([`crate::state::ChartHistory`]) and the monitor's own poll health; and
//! the silences, with forms to add and expire them.
//!
//! It reads [`crate::state`] like the API does; the only writes are the
//! silence forms, which go through the same [`SilenceApi`] as
//! `POST /api/v1/silences`. Every name that comes from a cluster is
//! untrusted: the templates are `maud`'s, which escapes every spliced
//! value, and no value is ever spliced unescaped. The page has no inline
//! script or style (the Content-Security-Policy [`CSP`] forbids them): the
//! stylesheet and the live-refresh script are embedded files served under
//! `/assets/`. The script fetches `/live` (the `<main id="live">` part) at
//! the poll interval and swaps it in.
//!
//! What is shown is bounded whatever the cluster's size: counts, the
//! [`WORST_PARTITIONS`] worst partitions, the [`GROUP_ROWS`] most lagging
//! groups, so a 100,000-partition cluster renders in milliseconds
//! (`isrwatch bench scale`, docs/benchmarks.md).
//!
//! This file holds the routes (the page, `/live`, login, the silence forms,
//! the assets); the HTML is rendered by one file per section under
//! `page/`: `layout.rs` (head, navigation, one section per cluster, the
//! message page), `brokers.rs`, `partitions.rs`, `groups.rs`,
//! `incidents.rs`, `charts.rs`, `anomalies.rs`, `poll_health.rs`,
//! `silences.rs`, with `input.rs` (what a render needs), `limits.rs`
//! (rows shown) and `format.rs` (small formatters).

mod anomalies;
mod brokers;
mod charts;
mod format;
mod groups;
mod incidents;
mod input;
mod layout;
mod limits;
mod partitions;
mod poll_health;
mod silences;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::api::{constant_time_eq, ApiContext, SilenceApi};

pub use incidents::evidence;
pub use input::PageInput;
pub use layout::{message_page, render_live, render_page};
pub use limits::{
    ANOMALY_ROWS, FINDING_ROWS, GROUP_ROWS, RESOLVED_ROWS, TIMELINE_ROWS, WORST_PARTITIONS,
};
pub use silences::silence_body_from_form;

/// The page's stylesheet (`/assets/style.css`).
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// The live-refresh script (`/assets/app.js`).
pub const APP_JS: &str = include_str!("assets/app.js");

/// The Content-Security-Policy of every page: scripts, styles, fetches and
/// form posts only from this origin, nothing inline, no frames.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// The page's routes (HTML and its assets), outside `/api/v1`.
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/live"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/silences"),
    ("post", "/silences/{id}/expire"),
    ("get", "/assets/app.js"),
    ("get", "/assets/style.css"),
];

/// Name of the cookie `POST /login` sets when an API token is configured.
pub const SESSION_COOKIE: &str = "isrwatch_session";

/// The page's routes, with their security headers.
pub fn router() -> Router<Arc<ApiContext>> {
    Router::new()
        .route("/", get(index))
        .route("/live", get(live_fragment))
        .route("/login", get(login_form).post(login))
        .route("/silences", post(add_silence))
        .route("/silences/{id}/expire", post(expire_silence))
        .route("/assets/app.js", get(app_js))
        .route("/assets/style.css", get(style_css))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    html_response(status, message_page(title, text, false))
}

/// The session cookie's value for `token`: an HMAC of a fixed text under
/// the token, so the cookie never holds the token itself.
pub fn session_value(token: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"isrwatch status page session v1");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the request may read the page: no token configured, or the
/// token as a bearer header (as for `/api/v1`), or the session cookie.
fn may_read(ctx: &ApiContext, headers: &HeaderMap) -> bool {
    let Some(token) = &ctx.token else {
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|g| constant_time_eq(token.as_bytes(), g.as_bytes())) {
        return true;
    }
    let want = session_value(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == SESSION_COOKIE && constant_time_eq(want.as_bytes(), v.as_bytes()))
}

fn login_needed() -> Response {
    html_response(
        StatusCode::UNAUTHORIZED,
        message_page(
            "API token needed",
            "This isrwatch protects its status with an API token ([http] token or ISRWATCH_API_TOKEN). Enter it to open the page; it is kept as a session cookie.",
            true,
        ),
    )
}

fn input<'a>(
    ctx: &'a ApiContext,
    notice: Option<&'static str>,
    only: Option<&'a str>,
) -> PageInput<'a> {
    PageInput {
        state: &ctx.state,
        silences: ctx.silences.as_deref(),
        refresh: ctx.page_refresh,
        token_configured: ctx.token.is_some(),
        notice,
        only,
        now: chrono::Utc::now(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct IndexQuery {
    silence: Option<String>,
    cluster: Option<String>,
}

/// The query, or a clear error: an unknown cluster is a 404.
fn page_query(
    ctx: &ApiContext,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<IndexQuery, PageError> {
    let q = query.map(|q| q.0).map_err(|e| {
        PageError(
            StatusCode::BAD_REQUEST,
            "Bad query",
            format!("the query string is not understood: {e}"),
        )
    })?;
    if let Some(c) = &q.cluster {
        if ctx.state.cluster(c).is_none() {
            return Err(PageError(
                StatusCode::NOT_FOUND,
                "No such cluster",
                format!("no cluster named {c:?} in the configuration"),
            ));
        }
    }
    Ok(q)
}

async fn index(
    State(ctx): State<Arc<ApiContext>>,
    headers: HeaderMap,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !may_read(&ctx, &headers) {
        return login_needed();
    }
    let q = match page_query(&ctx, query) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    // Only fixed texts are shown: a link cannot make the page say anything.
    let notice = match q.silence.as_deref() {
        Some("created") => Some("Silence added."),
        Some("expired") => Some("Silence expired."),
        _ => None,
    };
    html_response(
        StatusCode::OK,
        render_page(&input(&ctx, notice, q.cluster.as_deref())),
    )
}

async fn live_fragment(
    State(ctx): State<Arc<ApiContext>>,
    headers: HeaderMap,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !may_read(&ctx, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "API token needed: reload the page and log in",
        )
            .into_response();
    }
    match page_query(&ctx, query) {
        Ok(q) => html_response(
            StatusCode::OK,
            render_live(&input(&ctx, None, q.cluster.as_deref())),
        ),
        Err(e) => e.into_response(),
    }
}

async fn login_form(State(ctx): State<Arc<ApiContext>>) -> Response {
    if ctx.token.is_none() {
        return message(
            StatusCode::OK,
            "No login needed",
            "No API token is configured: the status page is open.",
        );
    }
    html_response(
        StatusCode::OK,
        message_page(
            "Log in",
            "Enter the API token ([http] token or ISRWATCH_API_TOKEN).",
            true,
        ),
    )
}

fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn login(State(ctx): State<Arc<ApiContext>>, body: axum::body::Bytes) -> Response {
    let Some(token) = &ctx.token else {
        return see_other("/");
    };
    let fields = form_fields(&body);
    match field(&fields, "token") {
        Some(given) if constant_time_eq(token.as_bytes(), given.as_bytes()) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                session_value(token)
            );
            let mut r = see_other("/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => html_response(
            StatusCode::UNAUTHORIZED,
            message_page("Wrong API token", "That is not the API token.", true),
        ),
    }
}

/// The write check of the forms: the API's rule (writes always need the
/// token) with the token sent as a form field.
/// An error page: status, title and the message saying what was wrong.
struct PageError(StatusCode, &'static str, String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        message(self.0, self.1, &self.2)
    }
}

fn check_write_token(ctx: &ApiContext, fields: &[(String, String)]) -> Result<(), PageError> {
    let Some(token) = &ctx.token else {
        return Err(PageError(
            StatusCode::FORBIDDEN,
            "Writes need an API token",
            "writes need an API token: set [http] token or ISRWATCH_API_TOKEN".into(),
        ));
    };
    match field(fields, "token").filter(|t| !t.is_empty()) {
        None => Err(PageError(
            StatusCode::UNAUTHORIZED,
            "API token needed",
            "token: enter the API token to change silences".into(),
        )),
        Some(t) if constant_time_eq(token.as_bytes(), t.as_bytes()) => Ok(()),
        Some(_) => Err(PageError(
            StatusCode::UNAUTHORIZED,
            "Wrong API token",
            "token: that is not the API token".into(),
        )),
    }
}

fn store(ctx: &ApiContext) -> Result<&Arc<dyn SilenceApi>, PageError> {
    ctx.silences.as_ref().ok_or_else(|| {
        PageError(
            StatusCode::SERVICE_UNAVAILABLE,
            "Silences unavailable",
            "silences are not available in this process".into(),
        )
    })
}

/// The silence store, once the form's token allows writing to it.
fn writable_store<'a>(
    ctx: &'a ApiContext,
    fields: &[(String, String)],
) -> Result<&'a Arc<dyn SilenceApi>, PageError> {
    check_write_token(ctx, fields)?;
    store(ctx)
}

async fn add_silence(State(ctx): State<Arc<ApiContext>>, body: axum::body::Bytes) -> Response {
    let fields = form_fields(&body);
    let store = match writable_store(&ctx, &fields) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let body = match silence_body_from_form(&fields) {
        Ok(b) => b,
        Err(e) => return message(StatusCode::BAD_REQUEST, "Silence not added", &e),
    };
    match store.add(body, chrono::Utc::now()) {
        Ok(_) => see_other("/?silence=created#silences"),
        Err(e) => message(StatusCode::BAD_REQUEST, "Silence not added", &e),
    }
}

async fn expire_silence(
    State(ctx): State<Arc<ApiContext>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields = form_fields(&body);
    let store = match writable_store(&ctx, &fields) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if store.remove(&id) {
        see_other("/?silence=expired#silences")
    } else {
        message(
            StatusCode::NOT_FOUND,
            "No such silence",
            &format!("no silence with id {id:?} (it may have expired already)"),
        )
    }
}

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLE_CSS,
    )
        .into_response()
}
