//! `/healthz`, `/readyz`, `/metrics` and the JSON API under `/api/v1`.
//!
//! Errors are JSON `{"error": "...", "status": N}` with a message that says
//! what was wrong. Long lists are paginated with `?limit=&offset=` and
//! answered as `{"items": [...], "total": N, "offset": O, "limit": L}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::finding::Severity;
use crate::http::metrics::{self, SeriesFilter};
use crate::model::IncidentState;
use crate::snapshot::Time;
use crate::state::{ClusterView, SharedState};

/// Every route the API serves, as written in `docs/openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/status"),
    ("get", "/api/v1/clusters"),
    ("get", "/api/v1/clusters/{cluster}/brokers"),
    ("get", "/api/v1/clusters/{cluster}/topics"),
    ("get", "/api/v1/clusters/{cluster}/partitions"),
    ("get", "/api/v1/clusters/{cluster}/groups"),
    ("get", "/api/v1/clusters/{cluster}/groups/{group}"),
    ("get", "/api/v1/clusters/{cluster}/incidents"),
    ("get", "/api/v1/clusters/{cluster}/anomalies"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/silences"),
    ("post", "/api/v1/silences"),
    ("delete", "/api/v1/silences/{id}"),
];

/// The OpenAPI document kept in the repository.
pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// Silence storage as the API sees it (implemented by the incident module).
pub trait SilenceApi: Send + Sync {
    fn list(&self, now: Time) -> Value;
    /// Creates a silence from the request body; `Err` is a message for a 400.
    fn add(&self, body: Value, now: Time) -> Result<Value, String>;
    /// Removes a silence; false when there is none with that id.
    fn remove(&self, id: &str) -> bool;
}

/// What the handlers share.
pub struct ApiContext {
    pub state: Arc<SharedState>,
    pub registry: prometheus::Registry,
    pub filter: SeriesFilter,
    /// Bearer token; `None` leaves reads open and refuses writes.
    pub token: Option<String>,
    pub protect_metrics: bool,
    pub silences: Option<Arc<dyn SilenceApi>>,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// How often the status page refreshes itself (the poll interval).
    pub page_refresh: Duration,
}

impl ApiContext {
    /// A context with defaults, for tests and the demo.
    pub fn new(state: Arc<SharedState>, registry: prometheus::Registry) -> Self {
        ApiContext {
            state,
            registry,
            filter: SeriesFilter::all(),
            token: None,
            protect_metrics: false,
            silences: None,
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            page_refresh: Duration::from_secs(5),
        }
    }
}

type Ctx = State<Arc<ApiContext>>;

/// A JSON error response.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"error": self.1, "status": self.0.as_u16()})),
        )
            .into_response()
    }
}

fn not_found(what: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, what)
}

/// The API's routes, `/api/v1` and `/metrics` behind the auth layer, and
/// the health probes; [`crate::http::router`] adds the page and the limits.
pub(super) fn routes(ctx: &Arc<ApiContext>) -> Router<Arc<ApiContext>> {
    let api = Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/status", get(status))
        .route("/api/v1/clusters", get(clusters))
        .route("/api/v1/clusters/{cluster}/brokers", get(brokers))
        .route("/api/v1/clusters/{cluster}/topics", get(topics))
        .route("/api/v1/clusters/{cluster}/partitions", get(partitions))
        .route("/api/v1/clusters/{cluster}/groups", get(groups))
        .route("/api/v1/clusters/{cluster}/groups/{group}", get(group))
        .route(
            "/api/v1/clusters/{cluster}/incidents",
            get(cluster_incidents),
        )
        .route("/api/v1/clusters/{cluster}/anomalies", get(anomalies))
        .route("/api/v1/incidents", get(all_incidents))
        .route("/api/v1/silences", get(list_silences).post(add_silence))
        .route("/api/v1/silences/{id}", delete(remove_silence))
        .route("/metrics", get(metrics_handler))
        .layer(middleware::from_fn_with_state(ctx.clone(), auth));
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .merge(api)
}

/// The answer to a route neither the API nor the page has.
pub(super) async fn no_such_route() -> impl IntoResponse {
    ApiError(
        StatusCode::NOT_FOUND,
        "no such route; see /api/v1/openapi.json".into(),
    )
}

/// Bearer-token check: reads need the token when one is set; writes always do.
async fn auth(State(ctx): Ctx, headers: HeaderMap, req: Request, next: Next) -> Response {
    let write = req.method() != Method::GET && req.method() != Method::HEAD;
    let is_metrics = req.uri().path() == "/metrics";
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&ctx.token, given) {
        (None, _) if write => ApiError(
            StatusCode::FORBIDDEN,
            "writes need an API token: set [http] token or ISRWATCH_API_TOKEN".into(),
        )
        .into_response(),
        (None, _) => next.run(req).await,
        (Some(_), _) if is_metrics && !ctx.protect_metrics => next.run(req).await,
        (Some(_), None) => ApiError(
            StatusCode::UNAUTHORIZED,
            "missing bearer token: send 'Authorization: Bearer <token>'".into(),
        )
        .into_response(),
        (Some(t), Some(g)) if constant_time_eq(t.as_bytes(), g.as_bytes()) => next.run(req).await,
        (Some(_), Some(_)) => {
            ApiError(StatusCode::UNAUTHORIZED, "wrong bearer token".into()).into_response()
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now() -> Time {
    chrono::Utc::now()
}

/// Size of the pieces `/metrics` is streamed in.
const METRICS_CHUNK: usize = 1 << 20;

/// Renders on a blocking thread (a big cluster takes a good part of a
/// second of CPU, which must not stall the API's other requests) and streams
/// the text in 1 MiB pieces, at most four ahead of the client, so that a
/// scrape never holds the whole page in memory.
async fn metrics_handler(State(ctx): Ctx) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let now = now();
    tokio::task::spawn_blocking(move || {
        metrics::render_chunks(
            &ctx.state,
            &ctx.filter,
            &ctx.registry,
            now,
            METRICS_CHUNK,
            &mut |piece| {
                // A client that went away drops the receiver: the rest of
                // the page is rendered and discarded.
                let _ = tx.blocking_send(bytes::Bytes::from(piece));
            },
        );
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn readyz(State(ctx): Ctx) -> Response {
    let views = ctx.state.clusters();
    let waiting: Vec<&str> = views
        .iter()
        .filter(|v| v.snapshot.is_none())
        .map(|v| v.name.as_str())
        .collect();
    let clusters: Vec<Value> = views
        .iter()
        .map(|v| {
            json!({"cluster": v.name, "polled": v.snapshot.is_some(), "reachable": v.snapshot.as_ref().map(|s| s.reachable), "error": v.last_error})
        })
        .collect();
    if waiting.is_empty() {
        Json(json!({"status": "ready", "clusters": clusters})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "error": format!("waiting for a first poll of: {}", waiting.join(", ")), "clusters": clusters})),
        )
            .into_response()
    }
}

/// healthy, degraded or critical, with the reasons.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub cluster: String,
    pub status: &'static str,
    pub reasons: Vec<String>,
    pub last_poll: Option<Time>,
    pub brokers: usize,
    pub controller: Option<i32>,
    pub partitions: Option<crate::snapshot::PartitionCounts>,
    pub active_incidents: usize,
    /// Poll steps failing at the last poll, with their first error.
    pub failing_steps: std::collections::BTreeMap<String, String>,
    /// Polls in which each step failed, since start.
    pub poll_errors: std::collections::BTreeMap<String, u64>,
}

/// Computes a cluster's health from its latest view.
pub fn cluster_status(v: &ClusterView, active_incidents: usize) -> ClusterStatus {
    let mut reasons = Vec::new();
    let mut worst = Severity::Info;
    let snap = v.snapshot.as_deref();
    match snap {
        None => {
            reasons.push("no poll has completed yet".to_string());
            worst = Severity::Warning;
        }
        Some(s) if !s.reachable => {
            reasons.push(format!(
                "cluster unreachable: {}",
                v.last_error.clone().unwrap_or_default()
            ));
            worst = Severity::Critical;
        }
        Some(_) => {
            // Part of the picture is missing: say which, and what it hides.
            for (step, message) in &v.failing_steps {
                reasons.push(format!("poll step {step} failing: {message}"));
                worst = worst.max(Severity::Warning);
            }
        }
    }
    let mut counts: std::collections::BTreeMap<(Severity, &str), usize> = Default::default();
    for f in &v.evaluation.findings {
        *counts.entry((f.severity, f.kind.as_str())).or_default() += 1;
        worst = worst.max(f.severity);
    }
    for ((sev, kind), n) in counts.iter().rev() {
        if *sev > Severity::Info {
            reasons.push(format!("{n} {kind} finding(s) ({sev})"));
        }
    }
    let status = match worst {
        Severity::Critical => "critical",
        Severity::Warning => "degraded",
        Severity::Info => "healthy",
    };
    ClusterStatus {
        cluster: v.name.clone(),
        status,
        reasons,
        last_poll: snap.map(|s| s.taken_at),
        brokers: snap.map_or(0, |s| s.brokers.len()),
        controller: snap.and_then(|s| s.controller),
        partitions: snap
            .filter(|s| s.reachable)
            .map(|s| v.counts.unwrap_or_else(|| s.counts())),
        active_incidents,
        failing_steps: v.failing_steps.clone(),
        poll_errors: v.step_errors.clone(),
    }
}

async fn status(State(ctx): Ctx) -> Json<Value> {
    let incidents = ctx.state.incidents();
    let per: Vec<ClusterStatus> = ctx
        .state
        .clusters()
        .iter()
        .map(|v| {
            let active = incidents
                .iter()
                .filter(|i| i.cluster == v.name && i.state == IncidentState::Firing)
                .count();
            cluster_status(v, active)
        })
        .collect();
    let overall = if per.iter().any(|c| c.status == "critical") {
        "critical"
    } else if per.iter().any(|c| c.status == "degraded") {
        "degraded"
    } else {
        "healthy"
    };
    Json(json!({"status": overall, "clusters": per}))
}

async fn clusters(State(ctx): Ctx) -> Json<Value> {
    let names = ctx.state.cluster_names();
    Json(json!({"items": names}))
}

fn view(ctx: &ApiContext, cluster: &str) -> Result<ClusterView, ApiError> {
    ctx.state
        .cluster(cluster)
        .ok_or_else(|| not_found(format!("no cluster named {cluster:?} in the configuration")))
}

fn snapshot(
    ctx: &ApiContext,
    cluster: &str,
) -> Result<(ClusterView, Arc<crate::snapshot::ClusterSnapshot>), ApiError> {
    let v = view(ctx, cluster)?;
    let s = v.snapshot.clone().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cluster {cluster:?} has not been polled yet"),
        )
    })?;
    Ok((v, s))
}

/// `?limit=&offset=` (limit 1..=10000, default 500).
#[derive(Debug, Deserialize)]
pub struct Page {
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub state: Option<String>,
    pub topic: Option<String>,
}

/// `(offset, limit)` of a page request, checked.
fn page_bounds(page: &Page) -> Result<(usize, usize), ApiError> {
    let limit = page.limit.unwrap_or(500);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("limit must be between 1 and 10000, got {limit}"),
        ));
    }
    Ok((page.offset.unwrap_or(0), limit))
}

/// The page envelope around items already cut to the page.
fn page_json<T: Serialize>(
    items: Vec<T>,
    total: usize,
    offset: usize,
    limit: usize,
) -> Json<Value> {
    Json(json!({"items": items, "total": total, "offset": offset, "limit": limit}))
}

fn paginate<T: Serialize>(items: Vec<T>, page: &Page) -> Result<Json<Value>, ApiError> {
    let (offset, limit) = page_bounds(page)?;
    let total = items.len();
    let slice: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    Ok(page_json(slice, total, offset, limit))
}

async fn brokers(State(ctx): Ctx, Path(cluster): Path<String>) -> Result<Json<Value>, ApiError> {
    let (_, s) = snapshot(&ctx, &cluster)?;
    let leaders = s.leader_counts();
    let mut items: Vec<Value> = s
        .brokers
        .iter()
        .map(|b| {
            json!({"id": b.id, "host": b.host, "port": b.port, "rack": b.rack, "up": true,
                   "reachable": s.brokers_probed.then(|| s.unreachable_brokers.binary_search(&b.id).is_err()),
                   "controller": s.controller == Some(b.id), "leader_partitions": leaders.get(&b.id).copied().unwrap_or(0)})
        })
        .collect();
    for id in &s.missing_brokers {
        items.push(json!({"id": id, "up": false, "reachable": false, "controller": false, "leader_partitions": 0}));
    }
    Ok(Json(
        json!({"items": items, "controller": s.controller, "cluster_id": s.cluster_id}),
    ))
}

async fn topics(
    State(ctx): Ctx,
    Path(cluster): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let (_, s) = snapshot(&ctx, &cluster)?;
    let items: Vec<Value> = s
        .topics
        .iter()
        .map(|t| {
            let bad = |f: fn(&crate::snapshot::PartitionInfo) -> bool| t.partitions.iter().filter(|p| f(p)).count();
            json!({"name": t.name, "internal": t.internal, "partitions": t.partitions.len(),
                   "min_insync_replicas": (t.min_isr_source != crate::snapshot::MinIsrSource::Unknown).then_some(t.min_insync_replicas),
                   "min_isr_source": t.min_isr_source, "error": t.error,
                   "offline": bad(|p| p.state.offline), "under_replicated": bad(|p| p.state.under_replicated),
                   "under_min_isr": bad(|p| p.state.under_min_isr), "at_min_isr": bad(|p| p.state.at_min_isr)})
        })
        .collect();
    paginate(items, &page)
}

async fn partitions(
    State(ctx): Ctx,
    Path(cluster): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let (v, s) = snapshot(&ctx, &cluster)?;
    type Pred = fn(&crate::snapshot::PartitionState) -> bool;
    let pred: Option<Pred> = match page.state.as_deref() {
        None | Some("all") => None,
        Some("under_replicated") => Some(|st| st.under_replicated),
        Some("under_min_isr") => Some(|st| st.under_min_isr),
        Some("at_min_isr") => Some(|st| st.at_min_isr),
        Some("offline") => Some(|st| st.offline),
        Some("leader_not_preferred") => Some(|st| st.leader_not_preferred),
        Some(other) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("unknown state {other:?}: expected under_replicated, under_min_isr, at_min_isr, offline, leader_not_preferred or all"),
            ))
        }
    };
    // Select cheaply (a state filter walks only the partitions flagged at
    // publish time), then build JSON only for the requested page.
    let keep = |t: &crate::snapshot::TopicInfo, p: &crate::snapshot::PartitionInfo| {
        pred.is_none_or(|f| f(&p.state)) && page.topic.as_ref().is_none_or(|n| n == &t.name)
    };
    let selected: Vec<_> = match pred {
        Some(_) => v
            .flagged
            .iter()
            .filter_map(|&(ti, pi)| {
                let t = s.topics.get(ti as usize)?;
                Some((t, t.partitions.get(pi as usize)?))
            })
            .filter(|(t, p)| keep(t, p))
            .collect(),
        None => s.partitions().filter(|(t, p)| keep(t, p)).collect(),
    };
    let (offset, limit) = page_bounds(&page)?;
    let total = selected.len();
    let items: Vec<Value> = selected
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(t, p)| {
            json!({"topic": t.name, "partition": p.partition, "leader": p.leader, "replicas": p.replicas,
                   "isr": p.isr, "offline_replicas": p.offline_replicas, "missing_from_isr": p.missing_from_isr(),
                   "eligible_leaders": p.eligible_leaders, "last_known_leader": p.last_known_leader,
                   "min_insync_replicas": t.min_insync_replicas, "low_watermark": p.low_watermark,
                   "high_watermark": p.high_watermark, "state": p.state, "error": p.error})
        })
        .collect();
    Ok(page_json(items, total, offset, limit))
}

async fn groups(
    State(ctx): Ctx,
    Path(cluster): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let (v, s) = snapshot(&ctx, &cluster)?;
    let (offset, limit) = page_bounds(&page)?;
    let status: HashMap<&str, _> = v
        .evaluation
        .groups
        .iter()
        .map(|x| (x.group.as_str(), x))
        .collect();
    let items: Vec<Value> = s
        .groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|g| {
            let st = status.get(g.name.as_str());
            json!({"name": g.name, "state": g.state, "members": g.members, "coordinator": g.coordinator,
                   "total_lag": g.total_lag(), "max_lag_seconds": g.max_lag_seconds(),
                   "lag_status": st.map(|x| x.status), "reason": st.map(|x| x.reason.clone())})
        })
        .collect();
    Ok(page_json(items, s.groups.len(), offset, limit))
}

async fn group(
    State(ctx): Ctx,
    Path((cluster, group)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (v, s) = snapshot(&ctx, &cluster)?;
    let g = s.group(&group).ok_or_else(|| {
        not_found(format!(
            "no consumer group {group:?} in cluster {cluster:?}"
        ))
    })?;
    let st = v.evaluation.groups.iter().find(|x| x.group == g.name);
    let history = v
        .group_history
        .get(&group)
        .map(|h| h.iter().cloned().collect::<Vec<_>>());
    Ok(Json(
        json!({"name": g.name, "state": g.state, "members": g.members, "coordinator": g.coordinator,
        "total_lag": g.total_lag(), "max_lag_seconds": g.max_lag_seconds(), "status": st,
        "partitions": g.partitions, "history": history.unwrap_or_default()}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct IncidentQuery {
    /// `active` (pending and firing), `resolved` or `all` (default).
    pub state: Option<String>,
}

fn incidents_json(
    ctx: &ApiContext,
    cluster: Option<&str>,
    q: &IncidentQuery,
) -> Result<Json<Value>, ApiError> {
    let filter: fn(IncidentState) -> bool = match q.state.as_deref() {
        None | Some("all") => |_| true,
        Some("active") => |s| s != IncidentState::Resolved,
        Some("resolved") => |s| s == IncidentState::Resolved,
        Some(o) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("unknown state {o:?}: expected active, resolved or all"),
            ))
        }
    };
    let all = ctx.state.incidents();
    let items: Vec<&crate::model::Incident> = all
        .iter()
        .filter(|i| cluster.is_none_or(|c| i.cluster == c) && filter(i.state))
        .collect();
    Ok(Json(json!({"items": items, "total": items.len()})))
}

async fn cluster_incidents(
    State(ctx): Ctx,
    Path(cluster): Path<String>,
    Query(q): Query<IncidentQuery>,
) -> Result<Json<Value>, ApiError> {
    view(&ctx, &cluster)?;
    incidents_json(&ctx, Some(&cluster), &q)
}

async fn all_incidents(
    State(ctx): Ctx,
    Query(q): Query<IncidentQuery>,
) -> Result<Json<Value>, ApiError> {
    incidents_json(&ctx, None, &q)
}

async fn anomalies(State(ctx): Ctx, Path(cluster): Path<String>) -> Result<Json<Value>, ApiError> {
    let v = view(&ctx, &cluster)?;
    let mut items = v.evaluation.anomalies.clone();
    items.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(Json(json!({"items": items, "total": items.len()})))
}

fn silence_store(ctx: &ApiContext) -> Result<&Arc<dyn SilenceApi>, ApiError> {
    ctx.silences.as_ref().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "silences are not available in this process".into(),
        )
    })
}

async fn list_silences(State(ctx): Ctx) -> Result<Json<Value>, ApiError> {
    Ok(Json(silence_store(&ctx)?.list(now())))
}

async fn add_silence(State(ctx): Ctx, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let store = silence_store(&ctx)?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    let created = store
        .add(value, now())
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn remove_silence(State(ctx): Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    if silence_store(&ctx)?.remove(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found(format!("no silence with id {id:?}")))
    }
}

/// The incident module's silence store behind the API. The POST body is a
/// `SilenceSpec`; `starts_at` defaults to now, and `duration` ("2h") may
/// stand in for `ends_at`.
impl SilenceApi for crate::incident::Silences {
    fn list(&self, now: Time) -> Value {
        let items = crate::incident::Silences::list(self, now);
        json!({"items": items, "total": items.len()})
    }

    fn add(&self, mut body: Value, now: Time) -> Result<Value, String> {
        let obj = body
            .as_object_mut()
            .ok_or("a silence must be a JSON object with matchers and ends_at or duration")?;
        if !obj.contains_key("starts_at") {
            obj.insert("starts_at".into(), json!(now));
        }
        if let Some(d) = obj.remove("duration") {
            let text = d
                .as_str()
                .ok_or("duration: expected a string like \"2h\"")?;
            let d = crate::config::parse_duration(text).map_err(|e| format!("duration: {e}"))?;
            let starts: Time = serde_json::from_value(obj["starts_at"].clone())
                .map_err(|e| format!("starts_at: {e}"))?;
            let ends =
                starts + chrono::Duration::from_std(d).map_err(|e| format!("duration: {e}"))?;
            obj.insert("ends_at".into(), json!(ends));
        }
        let spec: crate::incident::SilenceSpec =
            serde_json::from_value(body).map_err(|e| format!("invalid silence: {e}"))?;
        let created = crate::incident::Silences::add(self, spec, now).map_err(|e| e.to_string())?;
        serde_json::to_value(created).map_err(|e| e.to_string())
    }

    fn remove(&self, id: &str) -> bool {
        crate::incident::Silences::remove(self, id)
    }
}
