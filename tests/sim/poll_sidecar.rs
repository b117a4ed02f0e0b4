//! The sidecar scrape against a local HTTP server, alone and inside a poll.

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use isrwatch::config::ClusterConfig;
use isrwatch::poll::sidecar::scrape;
use isrwatch::poll::{KafkaPoller, Poller};
use rdkafka::mocking::MockCluster;

const METRICS: &str = "\
# TYPE kafka_server_replicafetchermanager_maxlag untyped
kafka_server_replicafetchermanager_maxlag{clientId=\"Replica\",} 77.0
kafka_server_replicamanager_isrshrinkspersec{rate=\"OneMinuteRate\",} 0.5
kafka_server_replicamanager_isrexpandspersec{rate=\"OneMinuteRate\",} 0.125
kafka_cluster_partition_underminisr{topic=\"a\",partition=\"0\",} 1.0
";

async fn serve() -> String {
    let app = Router::new()
        .route("/metrics", get(|| async { METRICS }))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                METRICS
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn scrape_parses_and_reports_http_failures() {
    let _group = crate::support::group(module_path!());
    let base = serve().await;
    let client = reqwest::Client::new();
    let t = Duration::from_secs(2);

    let m = scrape(&client, &format!("{base}/metrics"), Some(1), t).await;
    assert_eq!(m.error, None);
    assert_eq!(m.broker, Some(1));
    assert_eq!(m.follower_max_lag, Some(77.0));
    assert_eq!(m.isr_shrinks_per_sec, Some(0.5));
    assert_eq!(m.isr_expands_per_sec, Some(0.125));
    assert_eq!(m.under_min_isr_partitions, Some(1.0));

    let m = scrape(&client, &format!("{base}/broken"), None, t).await;
    assert!(m.error.as_deref().unwrap_or("").contains("500"), "{m:?}");

    let m = scrape(
        &client,
        &format!("{base}/slow"),
        None,
        Duration::from_millis(200),
    )
    .await;
    assert!(m.error.is_some());

    let m = scrape(&client, "http://127.0.0.1:1/metrics", None, t).await;
    assert!(m.error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_with_sidecar_scoped_to_its_broker() {
    let _group = crate::support::group(module_path!());
    let base = serve().await;
    let mock = MockCluster::new(3).expect("mock");
    mock.create_topic("t", 6, 3).expect("topic");
    for p in 0..6 {
        mock.partition_leader("t", p, Some(p % 3 + 1))
            .expect("leader");
    }
    let text = format!(
        r#"
        name = "side"
        bootstrap = ["{}"]
        poll_timeout = "10s"
        request_timeout = "3s"
        sidecar = {{ url = "{base}/metrics", broker = 2, scope_to_broker = true }}
        "#,
        mock.bootstrap_servers()
    );
    let cfg: ClusterConfig = toml::from_str(&text).expect("config");
    let mut poller = KafkaPoller::new(&cfg).expect("poller");
    let s = poller.poll(chrono::Utc::now()).await;
    assert!(s.reachable, "{:?}", s.errors);
    eprintln!("poll took {:?}; errors {:?}", s.poll_duration, s.errors);
    let sc = s.sidecar.as_ref().expect("sidecar metrics");
    assert_eq!(sc.follower_max_lag, Some(77.0));
    assert_eq!(sc.broker, Some(2));
    let led: Vec<(i32, Option<i32>)> = s
        .partitions()
        .map(|(_, p)| (p.partition, p.leader))
        .collect();
    assert_eq!(led, vec![(1, Some(2)), (4, Some(2))]);
    assert!(!s.errors.iter().any(|e| e.step == "sidecar"));

    // A sidecar that fails is an error in the snapshot, the poll goes on.
    let text = text.replace("/metrics", "/broken");
    let cfg: ClusterConfig = toml::from_str(&text).expect("config");
    let mut poller = KafkaPoller::new(&cfg).expect("poller");
    let s = poller.poll(chrono::Utc::now()).await;
    assert!(s.reachable);
    let e = s
        .errors
        .iter()
        .find(|e| e.step == "sidecar")
        .expect("sidecar error");
    assert_eq!(e.broker, Some(2));
}
