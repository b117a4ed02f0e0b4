//! `isrwatch check` end to end against two peers: our simulator and
//! librdkafka's own mock cluster. Healthy clusters exit 0; a missing broker
//! exits 1 and the report names it; an unreachable one exits 2.

use std::process::Command;
use std::time::Duration;

use isrwatch::sim::{Action, Scenario, SimOptions, Simulator};

fn check(bootstrap: &str, format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_isrwatch"))
        .args(["check", "--bootstrap", bootstrap, "--format", format])
        .env("ISRWATCH_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_against_the_simulator_before_and_after_a_broker_goes_down() {
    let _group = crate::support::group(module_path!());
    let scenario = Scenario::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/broker_down.toml"
    ))
    .unwrap();
    // Nearly frozen clock: only the actions applied here change the cluster.
    let sim = Simulator::start(
        scenario,
        SimOptions {
            speed: 1e-6,
            ports: None,
        },
    )
    .await
    .unwrap();
    let bootstrap = sim.bootstrap();

    let b = bootstrap.clone();
    let (code, report) = tokio::task::spawn_blocking(move || check(&b, "table"))
        .await
        .unwrap();
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("orders") || report.to_lowercase().contains("healthy"),
        "{report}"
    );

    sim.apply(Action::BrokerDown { broker: 2 });
    sim.advance(Duration::from_secs(1));
    // The first poll in a fresh process knows broker 2 only from replica lists.
    let b = bootstrap.clone();
    let (code, report) = tokio::task::spawn_blocking(move || check(&b, "json"))
        .await
        .unwrap();
    assert_eq!(code, 1, "{report}");
    let json_start = report.find('{').expect("JSON report");
    let v: serde_json::Value = serde_json::from_str(report[json_start..].trim())
        .unwrap_or_else(|e| panic!("{e}: {report}"));
    let text = v.to_string();
    assert!(
        text.contains("under_replicated") || text.contains("under-replicated"),
        "{text}"
    );
    assert!(!v.to_string().is_empty());
    sim.shutdown().await;
}

#[test]
fn check_against_librdkafkas_mock_cluster() {
    let _group = crate::support::group(module_path!());
    let mock = rdkafka::mocking::MockCluster::new(3).unwrap();
    mock.create_topic("payments", 6, 3).unwrap();
    let bootstrap = mock.bootstrap_servers();
    let (code, report) = check(&bootstrap, "table");
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("payments") || report.contains("3"),
        "{report}"
    );

    // A partition whose leader moved away from its preferred replica is
    // reported as imbalance but stays healthy.
    mock.partition_leader("payments", 0, Some(2)).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (code, report) = check(&bootstrap, "json");
    assert_eq!(code, 0, "{report}");
}

#[test]
fn check_on_an_unreachable_cluster_exits_2() {
    let _group = crate::support::group(module_path!());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, report) = check(&format!("127.0.0.1:{port}"), "table");
    assert_eq!(code, 2, "{report}");
}
