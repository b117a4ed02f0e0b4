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
use isrwatch::poll::{KafkaPoller, Poller};
use isrwatch::sim::{Action, Scenario, SimHandle, SimOptions, Simulator};
use isrwatch::snapshot::ClusterSnapshot;

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

fn config(bootstrap: &str, direct: bool) -> ClusterConfig {
    let mut c =
        ClusterConfig::with_bootstrap("t", bootstrap.split(',').map(String::from).collect());
    c.poll_timeout = Dur(Duration::from_secs(10));
    c.request_timeout = Dur(Duration::from_secs(3));
    c.direct_requests = direct;
    c.properties
        .insert("log_level".into(), PropertyValue::Plain("0".into()));
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

/// Two polls (the first finds the coordinators); the second is returned.
async fn settled(p: &mut KafkaPoller) -> ClusterSnapshot {
    let _ = p.poll(Utc::now()).await;
    p.poll(Utc::now()).await
}

async fn compare(sim: &SimHandle, what: &str) -> ClusterSnapshot {
    let mut direct = KafkaPoller::new(&config(&sim.bootstrap(), true)).expect("poller");
    let mut rdk = KafkaPoller::new(&config(&sim.bootstrap(), false)).expect("poller");
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
    let scenario = Scenario::parse(SCENARIO, "poll_direct").expect("scenario");
    // A nearly frozen clock (1 µs of cluster time per second): offsets
    // move only when the test advances time.
    let sim = Simulator::start(
        scenario,
        SimOptions {
            speed: 1e-6,
            ports: None,
        },
    )
    .await
    .expect("simulator");
    sim.advance(Duration::from_secs(120));

    let s = compare(&sim, "healthy").await;
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
    let s = compare(&sim, "broker 2 down").await;
    let mailer = s
        .groups
        .iter()
        .find(|g| g.name == "mailer")
        .expect("mailer");
    assert_eq!((mailer.state.as_str(), mailer.members), ("Empty", 0));
    assert!(s.brokers.iter().all(|b| b.id != 2));
    sim.shutdown().await;
}
