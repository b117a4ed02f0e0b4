//! The HTTP API and `/metrics` on hand-built state: every endpoint, auth,
//! the OpenAPI document against the routes, `promtool check metrics`, and
//! series of a deleted topic disappearing.

use std::sync::Arc;
use std::time::Duration;

use isrwatch::evaluate::{Evaluation, GroupLagStatus, LagStatus};
use isrwatch::http::api::{self, ApiContext, ROUTES};
use isrwatch::snapshot::*;
use serde_json::Value;

use crate::support::{promtool_check, t};

fn snapshot(topics: &[(&str, usize)]) -> ClusterSnapshot {
    let brokers: Vec<BrokerInfo> = (1..=3)
        .map(|id| BrokerInfo {
            id,
            host: "127.0.0.1".into(),
            port: 9090 + id,
            rack: None,
        })
        .collect();
    let live = [1, 2, 3];
    let mut ts = Vec::new();
    for (name, n) in topics {
        let mut parts = Vec::new();
        for p in 0..*n as i32 {
            let mut pi = PartitionInfo {
                partition: p,
                leader: Some(1 + p % 3),
                replicas: vec![1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3],
                isr: if p == 0 {
                    vec![1 + p % 3]
                } else {
                    vec![1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3]
                },
                low_watermark: Some(0),
                high_watermark: Some(100 + p as i64),
                ..Default::default()
            };
            pi.derive(2, &live);
            parts.push(pi);
        }
        ts.push(TopicInfo {
            name: name.to_string(),
            min_insync_replicas: 2,
            partitions: parts,
            ..Default::default()
        });
    }
    ts.sort_by(|a, b| a.name.cmp(&b.name));
    ClusterSnapshot {
        cluster: "prod".into(),
        taken_at: t(0),
        poll_duration: Duration::from_millis(12),
        reachable: true,
        cluster_id: Some("abc".into()),
        controller: Some(1),
        brokers,
        topics: ts,
        groups: vec![GroupInfo {
            name: "billing \"quoted\"".into(),
            state: "Stable".into(),
            members: 2,
            coordinator: Some(2),
            partitions: vec![GroupPartition {
                topic: "orders".into(),
                partition: 0,
                committed: Some(40),
                end_offset: Some(100),
                lag: Some(60),
                lag_seconds: Some(12.5),
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn evaluation() -> Evaluation {
    Evaluation {
        groups: vec![GroupLagStatus {
            group: "billing \"quoted\"".into(),
            status: LagStatus::Warn,
            reason: "lag grows".into(),
            total_lag: 60,
            max_lag_seconds: Some(12.5),
            partitions: vec![],
        }],
        ..Default::default()
    }
}

struct Server {
    base: String,
    state: Arc<isrwatch::state::SharedState>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(token: Option<&str>) -> Server {
    let state = isrwatch::state::SharedState::new(["prod".to_string()]);
    let mut ctx = ApiContext::new(state.clone(), prometheus::Registry::new());
    ctx.token = token.map(str::to_string);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(isrwatch::http::serve(listener, Arc::new(ctx), async {
        let _ = rx.await;
    }));
    Server {
        base,
        state,
        _stop: tx,
    }
}

async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let c = reqwest::Client::new();
    let mut r = c.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn readyz_waits_for_first_poll_then_every_endpoint_answers() {
    let s = start(None).await;
    let (code, body) = get(&format!("{}/readyz", s.base), None).await;
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("waiting for a first poll of: prod"));

    s.state.publish_poll(
        Arc::new(snapshot(&[("orders", 6), ("audit", 2)])),
        Arc::new(evaluation()),
    );
    assert_eq!(get(&format!("{}/readyz", s.base), None).await.0, 200);
    assert_eq!(get(&format!("{}/healthz", s.base), None).await.0, 200);

    let (code, body) = get(&format!("{}/api/v1/status", s.base), None).await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["clusters"][0]["cluster"], "prod");

    let (_, body) = get(&format!("{}/api/v1/clusters/prod/brokers", s.base), None).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert_eq!(v["controller"], 1);

    let (_, body) = get(
        &format!("{}/api/v1/clusters/prod/topics?limit=1", s.base),
        None,
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);

    let (_, body) = get(
        &format!(
            "{}/api/v1/clusters/prod/partitions?state=under_min_isr",
            s.base
        ),
        None,
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["total"], 2,
        "partition 0 of each topic has a single ISR member: {v}"
    );
    assert_eq!(
        v["items"][0]["missing_from_isr"].as_array().unwrap().len(),
        2
    );
    // Eligible leader replicas (KIP-966) are listed, here none.
    assert_eq!(v["items"][0]["eligible_leaders"], serde_json::json!([]));

    let (code, body) = get(
        &format!("{}/api/v1/clusters/prod/partitions?state=bogus", s.base),
        None,
    )
    .await;
    assert_eq!(code, 400);
    assert!(body.contains("unknown state \\\"bogus\\\""), "{body}");

    let (_, body) = get(&format!("{}/api/v1/clusters/prod/groups", s.base), None).await;
    assert!(body.contains("WARN"), "{body}");
    let (code, body) = get(
        &format!(
            "{}/api/v1/clusters/prod/groups/billing%20%22quoted%22",
            s.base
        ),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["history"].as_array().unwrap().len(), 1);
    assert_eq!(v["partitions"][0]["lag"], 60);

    let (code, body) = get(&format!("{}/api/v1/clusters/nope/topics", s.base), None).await;
    assert_eq!(code, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("no cluster named \"nope\""));

    for path in [
        "/api/v1/clusters/prod/incidents",
        "/api/v1/incidents",
        "/api/v1/clusters/prod/anomalies",
        "/api/v1/clusters",
        "/api/v1/openapi.json",
    ] {
        assert_eq!(
            get(&format!("{}{path}", s.base), None).await.0,
            200,
            "{path}"
        );
    }
    let (code, _) = get(&format!("{}/api/v1/nothing-here", s.base), None).await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn token_protects_reads_and_writes_need_it_always() {
    let open = start(None).await;
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/api/v1/silences", open.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "writes without a configured token are refused"
    );

    let s = start(Some("s3cret")).await;
    assert_eq!(get(&format!("{}/api/v1/status", s.base), None).await.0, 401);
    assert_eq!(
        get(&format!("{}/api/v1/status", s.base), Some("wrong"))
            .await
            .0,
        401
    );
    assert_eq!(
        get(&format!("{}/api/v1/status", s.base), Some("s3cret"))
            .await
            .0,
        200
    );
    // Health and metrics stay open by default.
    assert_eq!(get(&format!("{}/healthz", s.base), None).await.0, 200);
    assert_eq!(get(&format!("{}/metrics", s.base), None).await.0, 200);
    let r = c
        .post(format!("{}/api/v1/silences", s.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // An oversized body is refused, not buffered.
    let big = "x".repeat(200 * 1024);
    let r = c
        .post(format!("{}/api/v1/silences", s.base))
        .bearer_auth("s3cret")
        .body(big)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_client_error() || r.status().as_u16() == 503,
        "{}",
        r.status()
    );
    // No response ever echoes the token.
    let (_, body) = get(&format!("{}/api/v1/status", s.base), Some("s3cret")).await;
    assert!(!body.contains("s3cret"));
}

#[test]
fn openapi_document_matches_the_routes() {
    let doc: Value = serde_json::from_str(api::OPENAPI).expect("docs/openapi.json is valid JSON");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes);
    // Every route in ROUTES is actually served (not the 404 fallback).
    let src = include_str!("../../src/http/api.rs");
    for (_, p) in ROUTES {
        assert!(
            src.contains(&format!("\"{p}\"")),
            "route {p} not registered in the router"
        );
    }
}

#[tokio::test]
async fn metrics_pass_promtool_and_deleted_topics_disappear() {
    let s = start(None).await;
    let mut ev = evaluation();
    ev.findings.push(
        isrwatch::finding::Finding::new(
            "prod",
            isrwatch::finding::FindingKind::UnreadDataDeleted,
            isrwatch::finding::Severity::Critical,
            isrwatch::finding::Subject::Group {
                group: "indexer".into(),
            },
            chrono::Utc::now(),
        )
        .with_metric(isrwatch::finding::Metric::MessagesDeleted, 510000.0),
    );
    s.state.publish_poll(
        Arc::new(snapshot(&[("orders", 6), ("audit", 2)])),
        Arc::new(ev),
    );
    let (code, body) = get(&format!("{}/metrics", s.base), None).await;
    assert_eq!(code, 200);
    assert!(body.contains("isrwatch_consumergroup_messages_deleted_unread{cluster=\"prod\",group=\"indexer\"} 510000"), "{body}");
    assert!(body.contains("isrwatch_findings{cluster=\"prod\",kind=\"unread_data_deleted\",severity=\"critical\"} 1"), "{body}");
    assert!(body.contains("kafka_topic_partition_in_sync_replica{cluster=\"prod\",topic=\"audit\",partition=\"0\"} 1"), "{body}");
    assert!(body.contains("isrwatch_partitions{cluster=\"prod\",state=\"under_min_isr\"} 2"));
    assert!(body.contains("kafka_consumergroup_lag{cluster=\"prod\",consumergroup=\"billing \\\"quoted\\\"\",topic=\"orders\",partition=\"0\"} 60"));
    assert!(body.contains("kafka_consumergroup_group_lag_seconds{"));
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.starts_with("kafka_") || line.starts_with("isrwatch_"),
            "{line}"
        );
        assert!(
            line.contains("cluster=\""),
            "every series carries a cluster label: {line}"
        );
    }
    promtool_check(&body);

    // The topic is deleted: its series are gone after the next poll.
    s.state
        .publish_poll(Arc::new(snapshot(&[("orders", 6)])), Arc::new(evaluation()));
    let (_, body) = get(&format!("{}/metrics", s.base), None).await;
    assert!(!body.contains("topic=\"audit\""));
}

#[tokio::test]
async fn silences_are_created_listed_and_removed_through_the_api() {
    let state = isrwatch::state::SharedState::new(["prod".to_string()]);
    let silences = isrwatch::incident::Silences::new();
    let mut ctx = ApiContext::new(state, prometheus::Registry::new());
    ctx.token = Some("tok".into());
    ctx.silences = Some(Arc::new(silences.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(isrwatch::http::serve(
        listener,
        Arc::new(ctx),
        std::future::pending(),
    ));
    let c = reqwest::Client::new();

    let r = c
        .post(format!("{base}/api/v1/silences"))
        .bearer_auth("tok")
        .json(&serde_json::json!({"matchers": [{"label": "cluster", "value": "prod"}], "duration": "2h", "comment": "upgrade"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        silences.list(chrono::Utc::now()).len(),
        1,
        "the store the correlator reads sees it"
    );

    let r = c
        .post(format!("{base}/api/v1/silences"))
        .bearer_auth("tok")
        .json(&serde_json::json!({"matchers": [], "duration": "2h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("matcher"),
        "{body}"
    );

    let r = c
        .post(format!("{base}/api/v1/silences"))
        .bearer_auth("tok")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let (code, body) = get(&format!("{base}/api/v1/silences"), Some("tok")).await;
    assert_eq!(code, 200);
    assert!(body.contains("upgrade"));

    let r = c
        .delete(format!("{base}/api/v1/silences/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "deleting needs the token");
    let r = c
        .delete(format!("{base}/api/v1/silences/{id}"))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let r = c
        .delete(format!("{base}/api/v1/silences/{id}"))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[test]
fn metrics_in_chunks_are_the_same_page_cut_at_line_ends() {
    let state = isrwatch::state::SharedState::new(["prod".to_string()]);
    state.publish_poll(
        Arc::new(snapshot(&[("orders", 40), ("audit", 7)])),
        Arc::new(evaluation()),
    );
    let registry = prometheus::Registry::new();
    let filter = isrwatch::http::metrics::SeriesFilter::all();
    let whole = isrwatch::http::metrics::render(&state, &filter, &registry, t(5));
    let mut pieces = Vec::new();
    isrwatch::http::metrics::render_chunks(&state, &filter, &registry, t(5), 300, &mut |p| {
        pieces.push(p)
    });
    assert!(pieces.len() > 10, "{} pieces", pieces.len());
    for p in &pieces[..pieces.len() - 1] {
        assert!(p.len() >= 300 && p.ends_with('\n'), "{p:?}");
    }
    assert_eq!(pieces.concat(), whole);
}

#[tokio::test]
async fn partitions_filtered_by_state_come_from_the_flagged_index() {
    let s = start(None).await;
    s.state.publish_poll(
        Arc::new(snapshot(&[("orders", 6), ("audit", 2)])),
        Arc::new(evaluation()),
    );
    // Partition 0 of each topic has ISR 1 < min ISR 2; nothing is offline.
    let (code, body) = get(
        &format!(
            "{}/api/v1/clusters/prod/partitions?state=under_min_isr",
            s.base
        ),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 2);
    let names: Vec<(String, i64)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["topic"].as_str().unwrap().to_string(),
                i["partition"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, vec![("audit".into(), 0), ("orders".into(), 0)]);
    let (_, body) = get(
        &format!("{}/api/v1/clusters/prod/partitions?state=offline", s.base),
        None,
    )
    .await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 0);
    let (_, body) = get(
        &format!(
            "{}/api/v1/clusters/prod/partitions?state=under_min_isr&topic=orders",
            s.base
        ),
        None,
    )
    .await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 1);
}
