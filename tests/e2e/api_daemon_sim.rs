//! Every API endpoint against the real daemon polling the simulator, and
//! `promtool check metrics` on a real scrape.

use std::time::Duration;

use isrwatch::sim::{Action, Scenario, SimOptions, Simulator};
use serde_json::Value;

use crate::support::{eventually, promtool_check};

/// How long a condition on the daemon may take to hold (was 150 rounds of
/// a request and a 200 ms pause).
const WAIT: Duration = Duration::from_secs(60);

async fn get(url: &str, token: Option<&str>) -> (u16, Value, String) {
    let mut r = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    let code = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_against_the_daemon_polling_the_simulator() {
    let _group = crate::support::group(module_path!());
    // The demo cluster, with the clock nearly frozen: only our actions change it.
    let sim = Simulator::start(
        Scenario::demo(),
        SimOptions {
            speed: 1e-6,
            ports: None,
        },
    )
    .await
    .unwrap();
    let (running, base, state_dir) =
        crate::support::sim::protected_demo_daemon(&sim.bootstrap()).await;
    let tok = Some("tok");

    eventually("readyz", WAIT, || async {
        get(&format!("{base}/readyz"), None).await.0 == 200
    })
    .await;
    assert_eq!(get(&format!("{base}/healthz"), None).await.0, 200);
    assert_eq!(
        get(&format!("{base}/api/v1/status"), None).await.0,
        401,
        "the token protects the API"
    );

    let (code, v, _) = get(&format!("{base}/api/v1/clusters/demo/brokers"), tok).await;
    assert_eq!(code, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    let (_, v, _) = get(&format!("{base}/api/v1/clusters/demo/topics?limit=5"), tok).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    assert!(v["total"].as_u64().unwrap() >= 20);
    let (_, v, _) = get(&format!("{base}/api/v1/clusters/demo/partitions"), tok).await;
    assert_eq!(v["total"], 286);
    assert!(
        v["items"][0]["high_watermark"].is_i64(),
        "{}",
        v["items"][0]
    );
    eventually("groups with lag", WAIT, || async {
        let (_, v, _) = get(&format!("{base}/api/v1/clusters/demo/groups"), tok).await;
        v["total"].as_u64().unwrap_or(0) >= 10
    })
    .await;
    let (code, v, _) = get(&format!("{base}/api/v1/clusters/demo/groups/billing"), tok).await;
    assert_eq!(code, 200, "{v}");
    assert!(!v["partitions"].as_array().unwrap().is_empty());
    assert!(!v["history"].as_array().unwrap().is_empty());
    assert_eq!(
        get(&format!("{base}/api/v1/clusters/demo/anomalies"), tok)
            .await
            .0,
        200
    );
    assert_eq!(
        get(&format!("{base}/api/v1/openapi.json"), tok).await.0,
        200
    );

    // A broker goes down: partitions, status, incidents and metrics say so.
    sim.apply(Action::BrokerDown { broker: 3 });
    eventually("under-replicated partitions", WAIT, || async {
        let (_, v, _) = get(
            &format!("{base}/api/v1/clusters/demo/partitions?state=under_replicated"),
            tok,
        )
        .await;
        v["total"].as_u64().unwrap_or(0) > 0
    })
    .await;
    let (_, v, _) = get(&format!("{base}/api/v1/status"), tok).await;
    assert_eq!(v["clusters"][0]["status"], "critical", "{v}");
    eventually("a broker_down incident", WAIT, || async {
        let (_, v, _) = get(
            &format!("{base}/api/v1/clusters/demo/incidents?state=active"),
            tok,
        )
        .await;
        v["items"].as_array().is_some_and(|a| {
            a.iter()
                .any(|i| i["kind"] == "broker_down" && i["summary"].is_object())
        })
    })
    .await;
    let (_, v, _) = get(&format!("{base}/api/v1/incidents"), tok).await;
    let incidents: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "broker_down")
        .collect();
    assert_eq!(
        incidents.len(),
        1,
        "one incident for the broker, not one per partition"
    );

    let (code, _, body) = get(&format!("{base}/metrics"), None).await;
    assert_eq!(code, 200);
    assert!(
        body.contains("isrwatch_broker_up{cluster=\"demo\",broker=\"3\"} 0"),
        "broker 3 down in metrics"
    );
    assert!(body.contains("kafka_consumergroup_lag{cluster=\"demo\",consumergroup=\"billing\""));
    promtool_check(&body);

    // A deleted group's series disappear.
    sim.apply(Action::GroupDelete {
        group: "billing".into(),
    });
    eventually("billing's series to go", WAIT, || async {
        let (_, _, body) = get(&format!("{base}/metrics"), None).await;
        !body.contains("consumergroup=\"billing\"")
    })
    .await;

    running.stop().await;
    sim.shutdown().await;

    // What the evaluator learnt of the groups is saved for the next start
    // (`state_dir/evaluators.json`; the restart itself is tested in
    // tests/it/evaluate_lag.rs).
    let text = std::fs::read_to_string(state_dir.path().join("evaluators.json"))
        .expect("evaluator memory saved at shutdown");
    let saved: std::collections::BTreeMap<String, isrwatch::evaluate::EvaluatorMemory> =
        serde_json::from_str(&text).expect("evaluator memory reads back");
    assert!(
        saved
            .get("demo")
            .is_some_and(|m| m.groups.contains_key("analytics")),
        "the demo's groups are saved: {text}"
    );
}
