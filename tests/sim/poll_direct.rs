//! The poller's two ways of asking for offsets and groups give the same
//! snapshot: isrwatch's own requests (`direct_requests = true`, the default
//! on PLAINTEXT clusters) and librdkafka's admin API (`false`, what TLS and
//! SASL clusters use). Both run against the same frozen simulator, in a
//! healthy cluster and with a broker down, an Empty group and a group whose
//! coordinator moved.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use isrwatch::config::{ClusterConfig, Dur, PropertyValue};
use isrwatch::poll::admin::OffsetSpec;
use isrwatch::poll::direct::DirectClient;
use isrwatch::poll::transport::Transport;
use isrwatch::poll::{KafkaPoller, Poller};
use isrwatch::sim::{Action, Scenario, SimHandle, SimOptions, SimSasl, SimTls, Simulator};
use isrwatch::snapshot::{BrokerInfo, ClusterSnapshot};

const SCENARIO: &str = r#"
[cluster]
brokers = 3
seed = 11
min_insync_replicas = 2

[[cluster.topics]]
name = "orders"
partitions = 12
replication_factor = 3
rate = 40.0

[[cluster.topics]]
name = "events"
partitions = 5
replication_factor = 2
rate = 10.0

[[cluster.topics]]
name = "audit-log"
partitions = 1
replication_factor = 1
rate = 1.0

[[cluster.groups]]
name = "billing"
topics = ["orders"]
members = 3

[[cluster.groups]]
name = "search"
topics = ["orders", "events"]

[[cluster.groups]]
name = "mailer"
topics = ["events"]
members = 1

[[cluster.groups]]
name = "archiver"
topics = ["audit-log"]

# Far away: the test drives faults itself.
[[events]]
at = "10h"
action = "traffic_stop"
"#;

fn config(bootstrap: &str, direct: bool, tls: &[(&str, String)]) -> ClusterConfig {
    let mut c =
        ClusterConfig::with_bootstrap("t", bootstrap.split(',').map(String::from).collect());
    c.poll_timeout = Dur(Duration::from_secs(10));
    c.request_timeout = Dur(Duration::from_secs(3));
    c.direct_requests = direct;
    c.properties
        .insert("log_level".into(), PropertyValue::Plain("0".into()));
    for (k, v) in tls {
        c.properties
            .insert(k.to_string(), PropertyValue::Plain(v.clone()));
    }
    c
}

/// What both paths must agree on: per partition (leader, low, high); per
/// group (state, members, coordinator, error, committed offsets).
type Partitions = BTreeMap<(String, i32), (Option<i32>, Option<i64>, Option<i64>)>;
type Groups = BTreeMap<
    String,
    (
        String,
        u32,
        Option<i32>,
        bool,
        Vec<(String, i32, Option<i64>)>,
    ),
>;

fn view(s: &ClusterSnapshot) -> (Partitions, Groups) {
    let parts = s
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| {
                (
                    (t.name.clone(), p.partition),
                    (p.leader, p.low_watermark, p.high_watermark),
                )
            })
        })
        .collect();
    let groups = s
        .groups
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                (
                    g.state.clone(),
                    g.members,
                    g.coordinator,
                    g.error.is_some(),
                    g.partitions
                        .iter()
                        .map(|p| (p.topic.clone(), p.partition, p.committed))
                        .collect(),
                ),
            )
        })
        .collect();
    (parts, groups)
}

/// A nearly frozen clock (1 µs of cluster time per second): offsets move
/// only when the test advances time.
fn frozen() -> SimOptions {
    SimOptions {
        speed: 1e-6,
        ports: None,
    }
}

/// The direct client alone, with `transport`, asking broker 1 for one
/// offset.
async fn first_broker_offsets(
    sim: &SimHandle,
    transport: Transport,
) -> Result<Vec<isrwatch::poll::admin::PartitionOffset>, isrwatch::poll::admin::AdminError> {
    let client = DirectClient::new("test", transport);
    client.set_brokers(&[BrokerInfo {
        id: 1,
        host: "127.0.0.1".into(),
        port: sim.ports()[0] as i32,
        rack: None,
    }]);
    client
        .list_offsets(
            1,
            &[("orders".into(), 0)],
            OffsetSpec::Latest,
            Duration::from_secs(3),
        )
        .await
}

/// Two polls (the first finds the coordinators); the second is returned.
async fn settled(p: &mut KafkaPoller) -> ClusterSnapshot {
    let _ = p.poll(Utc::now()).await;
    p.poll(Utc::now()).await
}

async fn compare(sim: &SimHandle, what: &str, tls: &[(&str, String)]) -> ClusterSnapshot {
    let mut direct = KafkaPoller::new(&config(&sim.bootstrap(), true, tls)).expect("poller");
    let mut rdk = KafkaPoller::new(&config(&sim.bootstrap(), false, tls)).expect("poller");
    assert!(
        direct.uses_direct_requests() && !rdk.uses_direct_requests(),
        "{what}"
    );
    sim.reset_request_counts();
    let d = settled(&mut direct).await;
    let direct_requests = sim.request_counts();
    let r = settled(&mut rdk).await;
    assert!(
        d.reachable && r.reachable,
        "{what}: {:?} {:?}",
        d.errors,
        r.errors
    );
    let (dp, dg) = view(&d);
    let (rp, rg) = view(&r);
    assert_eq!(dp, rp, "{what}: partitions differ (direct, librdkafka)");
    assert_eq!(dg, rg, "{what}: groups differ (direct, librdkafka)");
    assert!(
        dp.values()
            .filter(|(l, _, _)| l.is_some())
            .all(|(_, lo, hi)| lo.is_some() && hi.is_some()),
        "{what}: every led partition has both offsets: {dp:?}"
    );
    // The direct path asks each coordinator once for all its groups, where
    // librdkafka sends one request per group.
    let n = |k: &str| direct_requests.get(k).copied().unwrap_or(0);
    assert!(
        n("DescribeGroups") <= 2 * 3 && n("OffsetFetch") <= 2 * 3 * 2,
        "{what}: direct request counts {direct_requests:?}"
    );
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn direct_requests_and_librdkafka_give_the_same_snapshot() {
    let _group = crate::support::group(module_path!());
    let scenario = Scenario::parse(SCENARIO, "poll_direct").expect("scenario");
    let sim = Simulator::start(scenario, frozen())
        .await
        .expect("simulator");
    sim.advance(Duration::from_secs(120));

    let s = compare(&sim, "healthy", &[]).await;
    let billing = s
        .groups
        .iter()
        .find(|g| g.name == "billing")
        .expect("billing");
    assert_eq!(billing.members, 3);
    assert_eq!(billing.partitions.len(), 12);
    assert!(billing.partitions.iter().all(|p| p.committed.is_some()));

    // A broker down (leaders move, audit-log goes offline, coordinators of
    // some groups move) and a group that stopped (Empty, no members).
    sim.apply(Action::BrokerDown { broker: 2 });
    sim.apply(Action::ConsumerStop {
        group: "mailer".into(),
    });
    sim.advance(Duration::from_secs(30));
    let s = compare(&sim, "broker 2 down", &[]).await;
    let mailer = s
        .groups
        .iter()
        .find(|g| g.name == "mailer")
        .expect("mailer");
    assert_eq!((mailer.state.as_str(), mailer.members), ("Empty", 0));
    assert!(s.brokers.iter().all(|b| b.id != 2));
    sim.shutdown().await;
}

/// A test CA and a broker certificate it signed: (CA PEM, certificate PEM,
/// key PEM).
fn test_pki() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (ca, tls) = SimTls::generate().expect("test PKI");
    (ca, tls.cert_pem, tls.key_pem)
}

/// Over TLS (`security.protocol = "SSL"`), librdkafka and the direct client
/// both verify the brokers' certificate against the CA, host name included,
/// and agree on the snapshot; a client that does not trust the CA fails
/// with a clear error. librdkafka's TLS client against our TLS listener
/// also checks the simulator's side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_tls_both_paths_verify_the_broker_and_agree() {
    let _group = crate::support::group(module_path!());
    let (ca, cert, key) = test_pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca).expect("write CA");
    let scenario = Scenario::parse(SCENARIO, "poll_direct_tls").expect("scenario");
    let sim = Simulator::start_tls(
        scenario,
        frozen(),
        SimTls {
            cert_pem: cert,
            key_pem: key,
        },
    )
    .await
    .expect("simulator");
    sim.advance(Duration::from_secs(120));
    let tls = [
        ("security.protocol", "SSL".to_string()),
        ("ssl.ca.location", ca_path.display().to_string()),
    ];
    let s = compare(&sim, "over TLS", &tls).await;
    assert_eq!(s.groups.len(), 4, "{:?}", s.errors);

    // The system CAs do not include the test CA: the direct client's
    // handshake fails and says so ...
    let system_cas = Transport::for_properties(&[("security.protocol".into(), "SSL".into())])
        .expect("transport")
        .expect("SSL is direct");
    let e = first_broker_offsets(&sim, system_cas)
        .await
        .expect_err("untrusted CA")
        .to_string();
    assert!(e.contains("TLS handshake with 127.0.0.1:"), "{e}");
    assert!(e.contains("certificate verify failed"), "{e}");
    // ... and the poller, whose metadata (librdkafka) fails the same way,
    // finds the cluster unreachable rather than half-polled.
    let mut untrusting = KafkaPoller::new(&config(
        &sim.bootstrap(),
        true,
        &[("security.protocol", "SSL".to_string())],
    ))
    .expect("poller");
    let s = untrusting.poll(Utc::now()).await;
    assert!(!s.reachable, "{:?}", s.errors);
    sim.shutdown().await;
}

/// A TLS setting the direct client cannot apply is a clear configuration
/// error at start-up, naming the property, never its secret.
#[test]
fn a_bad_tls_file_is_a_config_error() {
    let _group = crate::support::group(module_path!());
    let c = config(
        "127.0.0.1:9",
        true,
        &[
            ("security.protocol", "SSL".to_string()),
            ("ssl.ca.location", "/nonexistent/ca.pem".to_string()),
        ],
    );
    let e = KafkaPoller::new(&c)
        .expect_err("missing CA file")
        .to_string();
    assert!(e.contains("ssl.ca.location"), "{e}");
    assert!(e.contains("direct_requests = false"), "{e}");
}

/// SASL_SSL with SCRAM-SHA-512 and with PLAIN: librdkafka's SASL client and
/// the direct client both authenticate to the simulator (librdkafka checks
/// our SCRAM server, RFC 7677's example checks our client) and agree on the
/// snapshot; a wrong password is a clear error that does not show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_sasl_both_paths_authenticate_and_agree() {
    let _group = crate::support::group(module_path!());
    let (ca, cert, key) = test_pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca).expect("write CA");
    let scenario = Scenario::parse(SCENARIO, "poll_direct_sasl").expect("scenario");
    let sim = Simulator::start_secured(
        scenario,
        frozen(),
        Some(SimTls {
            cert_pem: cert,
            key_pem: key,
        }),
        Some(SimSasl {
            users: vec![("isrwatch".into(), "s3cret".into())],
            session_lifetime: None,
        }),
    )
    .await
    .expect("simulator");
    sim.advance(Duration::from_secs(120));
    let props = |mechanism: &str, password: &str| {
        vec![
            ("security.protocol", "SASL_SSL".to_string()),
            ("ssl.ca.location", ca_path.display().to_string()),
            ("sasl.mechanism", mechanism.to_string()),
            ("sasl.username", "isrwatch".to_string()),
            ("sasl.password", password.to_string()),
        ]
    };
    for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] {
        let s = compare(&sim, mechanism, &props(mechanism, "s3cret")).await;
        assert_eq!(s.groups.len(), 4, "{mechanism}: {:?}", s.errors);
    }

    let resolved: Vec<(String, String)> = props("SCRAM-SHA-512", "wrong-password")
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let transport = Transport::for_properties(&resolved)
        .expect("transport")
        .expect("SCRAM is direct");
    let e = first_broker_offsets(&sim, transport)
        .await
        .expect_err("wrong password")
        .to_string();
    assert!(
        e.contains("SASL SCRAM-SHA-512 authentication failed: SASL_AUTHENTICATION_FAILED"),
        "{e}"
    );
    assert!(!e.contains("wrong-password"), "{e}");
    sim.shutdown().await;
}

/// KIP-368: the broker ends each SASL session after a second. Polls keep
/// working on both paths across expiries (the direct client replaces the
/// connection before the session ends; librdkafka re-authenticates).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiring_sasl_sessions_do_not_fail_polls() {
    let _group = crate::support::group(module_path!());
    let scenario = Scenario::parse(SCENARIO, "poll_direct_reauth").expect("scenario");
    let sim = Simulator::start_secured(
        scenario,
        frozen(),
        None,
        Some(SimSasl {
            users: vec![("isrwatch".into(), "s3cret".into())],
            session_lifetime: Some(Duration::from_secs(1)),
        }),
    )
    .await
    .expect("simulator");
    sim.advance(Duration::from_secs(120));
    let props = [
        ("security.protocol", "SASL_PLAINTEXT".to_string()),
        ("sasl.mechanism", "SCRAM-SHA-256".to_string()),
        ("sasl.username", "isrwatch".to_string()),
        ("sasl.password", "s3cret".to_string()),
    ];
    for direct in [true, false] {
        let mut p = KafkaPoller::new(&config(&sim.bootstrap(), direct, &props)).expect("poller");
        for round in 0..3 {
            let s = p.poll(Utc::now()).await;
            let offsets_ok = s
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .filter(|p| p.leader.is_some())
                .all(|p| p.high_watermark.is_some());
            let no_errors = s
                .errors
                .iter()
                .all(|e| e.step != "offsets" && e.step != "groups.offsets");
            assert!(
                s.reachable && offsets_ok && no_errors,
                "direct={direct} round {round}: {:?}",
                s.errors
            );
            tokio::time::sleep(Duration::from_millis(1300)).await;
        }
    }
    sim.shutdown().await;
}
