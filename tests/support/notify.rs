//! For the notification tests: a sample notification, a scriptable local
//! HTTP receiver, and polling with a deadline.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use parking_lot::Mutex;

use isrwatch::finding::{FindingKind, Severity, Subject};
use isrwatch::model::{
    Affected, Incident, IncidentState, Notification, NotifyReason, Summary, SummarySource,
};

/// A notification for broker 2 down on cluster `prod-eu`.
pub fn sample(id: &str, reason: NotifyReason) -> Notification {
    let now = chrono::Utc::now();
    let resolved = reason == NotifyReason::Resolved;
    Notification {
        id: id.to_string(),
        reason,
        incident: Incident {
            id: "fp-test-1".into(),
            fingerprint: "fp-test".into(),
            cluster: "prod-eu".into(),
            kind: FindingKind::BrokerDown,
            root: Subject::Broker { id: 2 },
            title: "Broker 2 is down".into(),
            state: if resolved {
                IncidentState::Resolved
            } else {
                IncidentState::Firing
            },
            severity: Severity::Critical,
            started_at: now - chrono::Duration::seconds(120),
            firing_since: Some(now - chrono::Duration::seconds(90)),
            resolved_at: resolved.then_some(now),
            updated_at: now,
            affected: Affected {
                brokers: vec![2],
                topics: vec!["orders".into(), "payments".into()],
                partition_count: 412,
                partitions: vec![("orders".into(), 0)],
                groups: vec!["billing".into()],
            },
            counts: BTreeMap::new(),
            findings: Vec::new(),
            timeline: Vec::new(),
            flapping: false,
            silenced_by: None,
            summary: None,
            labels: BTreeMap::new(),
            keyed_by: None,
        },
        summary: Summary {
            headline: "Broker 2 down: 412 partitions under-replicated".into(),
            what_happened: "Broker 2 left the cluster metadata.".into(),
            impact: "acks=all producers to 3 partitions fail.".into(),
            likely_cause: "The broker process stopped.".into(),
            next_steps: vec!["kafka-topics.sh --describe --under-replicated-partitions".into()],
            source: SummarySource::Template,
            fallback_reason: None,
        },
        created_at: now,
        is_update: false,
    }
}

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

/// A canned response: status, extra headers, body.
pub type Canned = (u16, Vec<(&'static str, String)>, String);

#[derive(Default)]
struct Inner {
    script: VecDeque<Canned>,
    /// Answer once the script is empty (default 200 "ok").
    fallback: Option<Canned>,
    seen: Vec<Seen>,
}

/// A local HTTP receiver answering from a script.
#[derive(Clone, Default)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

async fn handle(
    State(r): State<Receiver>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, hdrs, text) = {
        let mut s = r.inner.lock();
        s.seen.push(Seen {
            path: uri.path().to_string(),
            headers,
            body,
            at: Instant::now(),
        });
        s.script
            .pop_front()
            .or_else(|| s.fallback.clone())
            .unwrap_or((200, vec![], "ok".into()))
    };
    let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), text).into_response();
    for (k, v) in hdrs {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

impl Receiver {
    /// Starts a receiver on a free loopback port.
    pub async fn start(script: Vec<Canned>, fallback: Option<Canned>) -> Receiver {
        let mut r = Receiver::default();
        {
            let mut s = r.inner.lock();
            s.script = script.into();
            s.fallback = fallback;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        r.addr = Some(listener.local_addr().expect("addr"));
        let app = Router::new().fallback(handle).with_state(r.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("started"))
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().seen.clone()
    }
}

/// Polls `f` every 20 ms until it is true; panics after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
