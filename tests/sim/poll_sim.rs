//! The real poller against the simulator while a group coordinator goes
//! down and comes back, several times.
//!
//! Regression test for a process abort (`rd_kafka_enq_once_del_source_return:
//! Assertion 'eonce->refcnt > 0' failed`): librdkafka's coordinator-based
//! admin calls crash when the admin request times out while the coordinator
//! lookup waits for a dead coordinator, and the lookup completes later. The
//! poller must survive, keep every poll within its deadline, report the
//! broker missing then back, and find the groups' offsets again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use isrwatch::config::ClusterConfig;
use isrwatch::poll::{KafkaPoller, Poller};
use isrwatch::sim::{Action, Scenario, SimOptions, Simulator};
use isrwatch::snapshot::ClusterSnapshot;

const GROUPS: [&str; 6] = ["billing", "audit", "search", "mailer", "fraud", "reports"];
const BROKERS: usize = 3;

fn scenario() -> Scenario {
    let mut text = format!(
        r#"
[cluster]
brokers = {BROKERS}
seed = 7
min_insync_replicas = 1

[[cluster.topics]]
name = "orders"
partitions = 6
rate = 50.0

[[cluster.topics]]
name = "events"
partitions = 3
rate = 20.0
"#
    );
    for (i, g) in GROUPS.iter().enumerate() {
        let topic = if i % 2 == 0 { "orders" } else { "events" };
        text.push_str(&format!(
            "\n[[cluster.groups]]\nname = \"{g}\"\ntopics = [\"{topic}\"]\n"
        ));
    }
    // A far-away event: the test drives faults itself.
    text.push_str(
        "\n[[events]]\nat = \"10h\"\naction = \"broker_down\"\nbroker = 1\nduration = \"1s\"\n",
    );
    Scenario::parse(&text, "poll_sim").expect("test scenario")
}

/// The simulator's coordinator choice with every broker up: FNV-1a of the
/// group name, modulo the broker count (brokers are 1..=n in order).
fn coordinator(group: &str) -> i32 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in group.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % BROKERS as u64) as i32 + 1
}

fn config(bootstrap: &str) -> ClusterConfig {
    let mut c =
        ClusterConfig::with_bootstrap("t", bootstrap.split(',').map(String::from).collect());
    c.poll_timeout = isrwatch::config::Dur(Duration::from_secs(3));
    c.request_timeout = isrwatch::config::Dur(Duration::from_millis(800));
    c.properties.insert(
        "log_level".into(),
        isrwatch::config::PropertyValue::Plain("0".into()),
    );
    c
}

/// The poller, whether it has reached the cluster yet, and the errors of
/// the polls that found it unreachable afterwards, the second of two in a
/// row (checked at the end, so that a crash shows first).
struct Watch {
    p: KafkaPoller,
    seen: bool,
    unreachable: Vec<String>,
    /// The last poll found the cluster unreachable.
    missed_last: bool,
}

/// Polls once and checks the deadline (poll_timeout plus the poller's own
/// small safety margins) and, once the cluster has been reached, that it
/// stays reachable: one broker down must not make the whole cluster
/// unreachable, the other brokers answer metadata. One poll alone may
/// miss (librdkafka can send Metadata to a broker that hangs, and on a
/// loaded machine its retries can run out): one failed poll is not an
/// outage (`cluster_unreachable_for` is two polls), two in a row are.
async fn poll(w: &mut Watch) -> ClusterSnapshot {
    let started = Instant::now();
    let s = w.p.poll(Utc::now()).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(4500),
        "poll took {took:?}, over its 3 s deadline: {:?}",
        s.errors
    );
    if w.seen && !s.reachable && w.missed_last {
        w.unreachable.push(format!("{:?}", s.errors));
    }
    w.missed_last = w.seen && !s.reachable;
    w.seen |= s.reachable;
    s
}

fn offsets_complete(s: &ClusterSnapshot) -> bool {
    GROUPS.iter().all(|g| {
        s.groups.iter().any(|gi| {
            gi.name == *g
                && gi.error.is_none()
                && !gi.partitions.is_empty()
                && gi.partitions.iter().all(|p| p.committed.is_some())
        })
    })
}

/// Polls until `ok` holds (at most `tries` polls); returns the last snapshot.
async fn poll_until(
    w: &mut Watch,
    tries: usize,
    what: &str,
    ok: impl Fn(&ClusterSnapshot) -> bool,
) -> ClusterSnapshot {
    let mut last = None;
    for _ in 0..tries {
        let s = poll(w).await;
        if ok(&s) {
            return s;
        }
        last = Some(s);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let s = last.expect("at least one poll");
    panic!(
        "{what}: not reached after {tries} polls; reachable={} brokers={:?} missing={:?} groups={:?} errors={:?}",
        s.reachable,
        s.brokers.iter().map(|b| b.id).collect::<Vec<_>>(),
        s.missing_brokers,
        s.groups
            .iter()
            .map(|g| (&g.name, &g.error, g.partitions.len()))
            .collect::<Vec<_>>(),
        s.errors
    );
}

/// Through librdkafka's admin API (`direct_requests = false`), where the
/// crash was.
#[tokio::test(flavor = "multi_thread")]
async fn coordinator_down_and_back_many_times() {
    let _group = crate::support::group(module_path!());
    coordinator_walk(false).await;
}

/// On isrwatch's own connections (the PLAINTEXT default).
#[tokio::test(flavor = "multi_thread")]
async fn coordinator_down_and_back_many_times_direct() {
    let _group = crate::support::group(module_path!());
    coordinator_walk(true).await;
}

async fn coordinator_walk(direct: bool) {
    let sim = Simulator::start(
        scenario(),
        SimOptions {
            speed: 5.0,
            ports: None,
        },
    )
    .await
    .expect("simulator");
    // The broker coordinating the most groups goes down and up, then the
    // next one, so that every broker with groups is hit.
    let mut victims: Vec<i32> = (1..=BROKERS as i32)
        .filter(|b| GROUPS.iter().any(|g| coordinator(g) == *b))
        .collect();
    victims
        .sort_by_key(|b| std::cmp::Reverse(GROUPS.iter().filter(|g| coordinator(g) == *b).count()));
    assert!(!victims.is_empty());

    let mut p = Watch {
        p: KafkaPoller::new(&ClusterConfig {
            direct_requests: direct,
            ..config(&sim.bootstrap())
        })
        .expect("poller")
        .with_groups(GROUPS.iter().map(|g| g.to_string())),
        seen: false,
        unreachable: Vec::new(),
        missed_last: false,
    };
    poll_until(&mut p, 30, "initial offsets", offsets_complete).await;

    for cycle in 0..6 {
        let b = victims[cycle % victims.len()];
        sim.apply(Action::BrokerDown { broker: b });
        let down = poll_until(&mut p, 10, "broker missing", |s| {
            s.reachable && s.missing_brokers.contains(&b)
        })
        .await;
        assert!(!down.brokers.iter().any(|x| x.id == b));
        // Polls go on while it is down, and keep within their deadline
        // (checked in `poll`). Their group requests to the dead coordinator
        // time out; before the fix, the process aborted once the broker came
        // back (or the groups' new coordinator was found).
        for _ in 0..3 {
            poll(&mut p).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }

        sim.apply(Action::BrokerUp { broker: b });
        poll_until(&mut p, 15, "broker back", |s| {
            s.reachable && s.missing_brokers.is_empty() && s.brokers.iter().any(|x| x.id == b)
        })
        .await;
        // Coordinators move back to the returning broker.
        poll_until(&mut p, 15, "offsets after recovery", offsets_complete).await;
    }
    // While a coordinator is down, its groups move to another broker: the
    // offsets come from the new coordinator without waiting for the old one.
    let b = victims[0];
    sim.apply(Action::BrokerDown { broker: b });
    poll_until(&mut p, 15, "offsets while down", |s| {
        s.missing_brokers.contains(&b) && offsets_complete(s)
    })
    .await;
    sim.apply(Action::BrokerUp { broker: b });
    poll_until(&mut p, 15, "offsets after the last recovery", |s| {
        s.missing_brokers.is_empty() && offsets_complete(s)
    })
    .await;
    assert!(
        p.unreachable.is_empty(),
        "a broker down made the cluster unreachable in {} poll(s): {:?}",
        p.unreachable.len(),
        p.unreachable
    );
}

/// On KRaft (the simulator's default, as Kafka 4) Metadata names a random
/// live broker as the controller at each request; the poller reports the
/// quorum's leader (DescribeQuorum) instead, so the controller does not
/// "move" at every poll, and follows a real failover. On a ZooKeeper-era
/// cluster (no DescribeQuorum) the controller comes from Metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_is_the_quorum_leader_on_kraft_and_metadatas_on_zookeeper() {
    let _group = crate::support::group(module_path!());
    for kraft in [true, false] {
        let text = format!("[cluster]\nbrokers = 3\nkraft = {kraft}\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n");
        let sim = Simulator::start(
            Scenario::parse(&text, "kraft").unwrap(),
            SimOptions::default(),
        )
        .await
        .unwrap();
        let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
        let mut seen = Vec::new();
        for _ in 0..8 {
            let s = p.poll(Utc::now()).await;
            assert!(s.reachable, "{:?}", s.errors);
            assert!(s.errors.is_empty(), "kraft={kraft}: {:?}", s.errors);
            seen.push(s.controller);
        }
        let want = sim.state().controller;
        assert!(
            seen.iter().all(|c| *c == want),
            "kraft={kraft}: {seen:?}, want {want:?}"
        );
        sim.apply(Action::ControllerFailover { to: Some(3) });
        let s = p.poll(Utc::now()).await;
        assert_eq!(s.controller, Some(3), "kraft={kraft}");
        sim.shutdown().await;
    }
}

/// A metadata quorum without a leader (every voter stopped): only the
/// leader answers DescribeQuorum, so the brokers hold it (forwarding to a
/// controller nobody knows) and the poll gets no answer. One such poll
/// keeps the last leader seen and says why; two in a row are no active
/// controller. One broker that does not answer at all is not the quorum.
/// Once a voter leads again, the controller is back at the next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_without_a_leader_is_no_controller_after_two_silent_polls() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n";
    let sim = Simulator::start(
        Scenario::parse(text, "quorum").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let mut s = p.poll(Utc::now()).await;
    for _ in 0..3 {
        if s.controller.is_some() && s.errors.is_empty() {
            break;
        }
        s = p.poll(Utc::now()).await;
    }
    let leader = sim.state().controller;
    assert_eq!(s.controller, leader, "{:?}", s.errors);
    assert!(leader.is_some());

    // Broker 1 (asked first) stops answering: the other broker asked
    // still reaches the leader.
    sim.apply(Action::NetworkPartition {
        broker: 1,
        mode: isrwatch::sim::PartitionMode::Unresponsive,
    });
    let mut answered = 0;
    for _ in 0..3 {
        // (librdkafka may pick the hung broker for Metadata: then the
        // whole poll is unreachable, which is not what this is about.)
        let s = p.poll(Utc::now()).await;
        if s.reachable {
            answered += 1;
            assert_eq!(s.controller, leader, "{:?}", s.errors);
        }
    }
    assert!(answered > 0);
    sim.apply(Action::HealPartition { broker: 1 });

    for b in 1..=3 {
        sim.apply(Action::VoterDown { broker: b });
    }
    let first = p.poll(Utc::now()).await;
    assert!(first.reachable, "{:?}", first.errors);
    assert_eq!(
        first.controller, leader,
        "one silent poll: the last leader stands"
    );
    let said = first
        .errors
        .iter()
        .find(|e| e.step == "quorum")
        .expect("the poll says the quorum did not answer");
    assert!(
        said.message.contains("no metadata-quorum leader"),
        "{}",
        said.message
    );
    let second = p.poll(Utc::now()).await;
    assert_eq!(second.controller, None, "{:?}", second.errors);
    assert!(second.quorum.is_none());

    sim.apply(Action::VoterRecover { broker: 2 });
    let back = p.poll(Utc::now()).await;
    assert_eq!(back.controller, Some(2), "{:?}", back.errors);
    assert!(
        back.errors.iter().all(|e| e.step != "quorum"),
        "{:?}",
        back.errors
    );
    sim.shutdown().await;
}

/// A broker that clients cannot use while the cluster counts it alive:
/// connections dropped (`clients`), or accepted and never answered
/// (`unresponsive`). The probe names it; the poll stays within its deadline
/// and the cluster stays reachable; once healed, it answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_clients_cannot_use_is_named_unreachable() {
    let _group = crate::support::group(module_path!());
    use isrwatch::sim::PartitionMode;
    let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n";
    let sim = Simulator::start(
        Scenario::parse(text, "probe").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut w = Watch {
        p: KafkaPoller::new(&config(&sim.bootstrap())).unwrap(),
        seen: false,
        unreachable: Vec::new(),
        missed_last: false,
    };
    // The first poll may time out on a loaded machine (librdkafka's first
    // metadata request); what this test is about starts once it answers.
    let s = poll_until(&mut w, 3, "the first poll answers", |s| {
        s.reachable && s.brokers_probed
    })
    .await;
    assert!(s.unreachable_brokers.is_empty(), "{:?}", s.errors);
    for (broker, mode) in [
        (2, PartitionMode::Clients),
        (3, PartitionMode::Unresponsive),
    ] {
        sim.apply(Action::NetworkPartition { broker, mode });
        let s = poll_until(&mut w, 5, "unreachable named", |s| {
            s.unreachable_brokers == vec![broker]
        })
        .await;
        assert!(
            s.brokers.iter().any(|b| b.id == broker),
            "still in the metadata"
        );
        let e = s
            .errors
            .iter()
            .find(|e| e.step == "brokers")
            .expect("a poll error names it");
        assert_eq!(e.broker, Some(broker));
        sim.apply(Action::HealPartition { broker });
        poll_until(&mut w, 5, "answers again", |s| {
            s.unreachable_brokers.is_empty()
        })
        .await;
    }
    assert!(w.unreachable.is_empty(), "{:?}", w.unreachable);
    sim.shutdown().await;
}

/// A cluster that refuses DescribeConfigs (an ACL): every poll says so
/// (step `configs`), `min.insync.replicas` is unknown rather than guessed
/// (no at- or under-min-ISR state), unless the configuration gives a
/// fallback, which is labelled. The shared state counts the failing step
/// per poll and reports the change of state once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_refuses_describe_configs_gives_counted_errors_and_no_guessed_min_isr() {
    let _group = crate::support::group(module_path!());
    use isrwatch::snapshot::MinIsrSource;
    use isrwatch::state::{SharedState, StepChange};
    let text = "[cluster]\nbrokers = 3\nmin_insync_replicas = 2\ndeny_describe_configs = true\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n";
    let sim = Simulator::start(Scenario::parse(text, "acl").unwrap(), SimOptions::default())
        .await
        .unwrap();
    sim.apply(Action::BrokerDown { broker: 3 });
    let state = SharedState::new(["t".to_string()]);
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let mut changes = Vec::new();
    for _ in 0..3 {
        let s = p.poll(Utc::now()).await;
        assert!(s.reachable, "{:?}", s.errors);
        let e = s.errors.iter().find(|e| e.step == "configs");
        assert!(
            e.is_some_and(|e| e.message.contains("refused")),
            "{:?}",
            s.errors
        );
        let t = &s.topics[0];
        assert_eq!(t.min_isr_source, MinIsrSource::Unknown);
        assert!(t.partitions.iter().all(|p| p.state.under_replicated));
        assert!(t
            .partitions
            .iter()
            .all(|p| !p.state.at_min_isr && !p.state.under_min_isr));
        changes.extend(state.publish_poll(Arc::new(s), Default::default()));
    }
    let view = state.cluster("t").unwrap();
    assert_eq!(view.step_errors["configs"], 3);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(matches!(&changes[0], StepChange::Failing { step, .. } if step == "configs"));

    // A fallback from the configuration: used, and labelled as such.
    let mut c = config(&sim.bootstrap());
    c.min_insync_replicas = Some(2);
    let mut p = KafkaPoller::new(&c).unwrap();
    let s = p.poll(Utc::now()).await;
    let t = &s.topics[0];
    assert_eq!(t.min_isr_source, MinIsrSource::Configured);
    assert_eq!(t.min_insync_replicas, 2);
    assert!(t.partitions.iter().all(|p| p.state.at_min_isr));
    sim.shutdown().await;
}

/// A reassignment seen by the poller: the added replicas are listed
/// (ListPartitionReassignments), are not under-replication, and what they
/// have left to copy (DescribeLogDirs offset lag) shrinks as they copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassignment_is_listed_with_the_offsets_left_to_copy() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 4\n[[cluster.topics]]\nname = \"t\"\npartitions = 2\nreplicas = [[1, 2, 3], [2, 3, 1]]\n";
    let sim = Simulator::start(
        Scenario::parse(text, "move").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    sim.apply(Action::Reassign {
        topic: "t".into(),
        partition: None,
        replicas: vec![2, 3, 4],
        rate: 2_000.0,
    });
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let left = |s: &ClusterSnapshot| -> Vec<Option<i64>> {
        s.topics[0]
            .partitions
            .iter()
            .map(|p| p.reassignment_offsets_left)
            .collect()
    };
    let s1 = p.poll(Utc::now()).await;
    assert!(s1.errors.is_empty(), "{:?}", s1.errors);
    for part in &s1.topics[0].partitions {
        assert_eq!(part.adding_replicas, vec![4]);
        assert_eq!(part.removing_replicas, vec![1]);
        assert!(part.state.reassigning && !part.state.under_replicated);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s2 = p.poll(Utc::now()).await;
    for (a, b) in left(&s1).into_iter().zip(left(&s2)) {
        let (a, b) = (a.expect("asked"), b.expect("asked"));
        assert!(a > 0 && b < a, "{a} -> {b}");
    }
    sim.shutdown().await;
}

/// A failed log directory (KIP-112): the broker stays up, its replicas
/// leave the ISRs, and librdkafka's metadata does not say they are
/// offline; DescribeLogDirs does (KAFKA_STORAGE_ERROR), so the poller
/// lists them as the partitions' offline replicas until the directory is
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_a_failed_log_dir_are_listed_offline() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\nreplicas = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]\n";
    let sim = Simulator::start(
        Scenario::parse(text, "disk").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let offline = |s: &ClusterSnapshot| -> Vec<Vec<i32>> {
        s.topics[0]
            .partitions
            .iter()
            .map(|p| p.offline_replicas.clone())
            .collect()
    };
    let s = p.poll(Utc::now()).await;
    assert_eq!(offline(&s), vec![Vec::<i32>::new(); 3]);
    sim.apply(Action::LogDirFailure { broker: 3 });
    let s = p.poll(Utc::now()).await;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.brokers.len(), 3, "the broker stays up");
    assert_eq!(offline(&s), vec![vec![3]; 3]);
    for part in &s.topics[0].partitions {
        assert!(!part.isr.contains(&3) && part.leader != Some(3), "{part:?}");
    }
    sim.apply(Action::LogDirRecover { broker: 3 });
    let s = p.poll(Utc::now()).await;
    assert_eq!(offline(&s), vec![Vec::<i32>::new(); 3]);
    sim.shutdown().await;
}

/// An RF-1 partition on a failed log directory has no leader, and its one
/// replica stays in its ISR (Kafka never empties an ISR): the poller asks
/// about it too, so the partition names the broker whose directory failed
/// instead of no broker at all (hunt 9, h15: paged apart from the broker's
/// incident, "Replication trouble on topic ...: 2 partitions offline").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rf1_partition_on_a_failed_log_dir_names_its_broker() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"scratch\"\npartitions = 2\nreplicas = [[2], [3]]\n";
    let sim = Simulator::start(
        Scenario::parse(text, "disk-rf1").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let s = p.poll(Utc::now()).await;
    assert!(s.topics[0]
        .partitions
        .iter()
        .all(|p| p.offline_replicas.is_empty()));
    sim.apply(Action::LogDirFailure { broker: 2 });
    let s = p.poll(Utc::now()).await;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let parts = &s.topics[0].partitions;
    assert_eq!(parts[0].leader, None, "{:?}", parts[0]);
    assert_eq!(parts[0].isr, vec![2], "{:?}", parts[0]);
    assert_eq!(parts[0].offline_replicas, vec![2], "{:?}", parts[0]);
    assert!(parts[1].offline_replicas.is_empty(), "{:?}", parts[1]);
    sim.apply(Action::LogDirRecover { broker: 2 });
    let s = p.poll(Utc::now()).await;
    assert!(s.topics[0]
        .partitions
        .iter()
        .all(|p| p.offline_replicas.is_empty()));
    sim.shutdown().await;
}

/// A broker that leaves for good is forgotten once nothing in the cluster
/// names it, topics the monitor does not watch included: broker 4 hosts
/// only the unwatched topic "events". Decommissioned (voter removed, then
/// stopped) it is missing and still named; once "events" moves off it,
/// it is unnamed, and `forget_broker_after` later it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_broker_is_forgotten_once_nothing_names_it() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 4\n\
        [[cluster.topics]]\nname = \"orders\"\npartitions = 3\nreplicas = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]\n\
        [[cluster.topics]]\nname = \"events\"\npartitions = 1\nreplicas = [[4, 1, 2]]\nrate = 1.0\n";
    let sim = Simulator::start(
        Scenario::parse(text, "retire").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut c = config(&sim.bootstrap());
    c.topics.include = vec!["orders".into()];
    c.forget_broker_after = isrwatch::config::Dur(Duration::from_secs(2));
    let mut w = Watch {
        p: KafkaPoller::new(&c).unwrap(),
        seen: false,
        unreachable: Vec::new(),
        missed_last: false,
    };
    poll_until(&mut w, 20, "all four brokers live", |s| {
        s.brokers.len() == 4 && s.missing_brokers.is_empty()
    })
    .await;

    sim.apply(Action::Decommission { broker: 4 });
    let s = poll_until(&mut w, 20, "broker 4 missing", |s| {
        s.missing_brokers == vec![4]
    })
    .await;
    assert!(s.unnamed_brokers.is_empty(), "events still names it");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let s = poll(&mut w).await;
    assert_eq!(s.missing_brokers, vec![4], "named: not forgotten");

    sim.apply(Action::Reassign {
        topic: "events".into(),
        partition: None,
        replicas: vec![1, 2, 3],
        rate: 1e9,
    });
    let s = poll_until(&mut w, 50, "broker 4 unnamed", |s| {
        s.unnamed_brokers == vec![4]
    })
    .await;
    assert_eq!(s.missing_brokers, vec![4]);
    poll_until(&mut w, 50, "broker 4 forgotten", |s| {
        s.missing_brokers.is_empty() && s.unnamed_brokers.is_empty()
    })
    .await;
    assert!(w.unreachable.is_empty(), "{:?}", w.unreachable);
    sim.shutdown().await;
}

/// The poller reads each broker's log-directory volume (DescribeLogDirs v4
/// about no partition): steady at 40 % used in the simulator; a disk
/// filling up (`disk_fill`) shrinks the free space, and a full volume
/// fails the directory and halts the broker (KIP-112), which then reports
/// nothing and is missing from the metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_dir_volumes_are_read_and_a_full_one_halts_its_broker() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n";
    let sim = Simulator::start(
        Scenario::parse(text, "disk").unwrap(),
        SimOptions {
            speed: 1e-6,
            ports: None,
        },
    )
    .await
    .unwrap();
    let mut p = KafkaPoller::new(&config(&sim.bootstrap())).unwrap();
    let tib = 1i64 << 40;
    let usable = |s: &ClusterSnapshot| -> Vec<(i32, i64)> {
        s.log_dirs
            .iter()
            .map(|d| {
                assert_eq!(d.total_bytes, tib, "{d:?}");
                assert_eq!(d.path, "/var/lib/kafka/data");
                (d.broker, d.usable_bytes)
            })
            .collect()
    };
    let s = p.poll(Utc::now()).await;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let at_rest = (tib as f64 - tib as f64 * 0.4) as i64;
    assert_eq!(usable(&s), vec![(1, at_rest), (2, at_rest), (3, at_rest)]);
    assert_eq!(s.log_dirs[0].used_percent().round(), 40.0);
    // 1 GiB/s for 100 s.
    sim.apply(Action::DiskFill {
        broker: 2,
        bytes_per_sec: (1u64 << 30) as f64,
    });
    sim.advance(Duration::from_secs(100));
    let s = p.poll(Utc::now()).await;
    let u = usable(&s);
    assert_eq!(u[1].0, 2);
    assert_eq!(at_rest - u[1].1, 100 << 30, "{u:?}");
    assert_eq!((u[0].1, u[2].1), (at_rest, at_rest));
    // Full after 614 s in all: the broker shuts down.
    sim.advance(Duration::from_secs(600));
    let s = poll_until(
        &mut Watch {
            p,
            seen: true,
            unreachable: Vec::new(),
            missed_last: false,
        },
        20,
        "broker 2 halted",
        |s| s.missing_brokers == vec![2],
    )
    .await;
    assert_eq!(
        usable(&s).iter().map(|(b, _)| *b).collect::<Vec<_>>(),
        vec![1, 3]
    );
    assert!(sim.state().brokers[1].disk_usable_bytes == 0 && !sim.state().brokers[1].up);
    sim.shutdown().await;
}

/// A broker whose client listener hangs cannot list the groups it
/// coordinates: the real poller reports the listing failed
/// (`step::GROUPS_LIST`), and the evaluator keeps those groups' lag state
/// (commit cadence, STALL and STOP clocks) rather than forgetting them as
/// deleted. The rules once waited for a step name the poller never wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_group_listing_is_reported_and_keeps_the_groups_lag_state() {
    let _group = crate::support::group(module_path!());
    use isrwatch::evaluate::{Evaluator, NoScorer, RuleEvaluator, RulesConfig};
    use isrwatch::sim::PartitionMode;
    use isrwatch::snapshot::step;
    let sim = Simulator::start(scenario(), SimOptions::default())
        .await
        .expect("simulator");
    let mut w = Watch {
        p: KafkaPoller::new(&config(&sim.bootstrap())).unwrap(),
        seen: false,
        unreachable: Vec::new(),
        missed_last: false,
    };
    let mut ev = RuleEvaluator::new("t", &RulesConfig::default(), Box::new(NoScorer));
    let s = poll_until(&mut w, 30, "every group's offsets", offsets_complete).await;
    ev.evaluate(&s, s.taken_at);
    assert_eq!(ev.state_size().lag_groups, GROUPS.len());
    // The coordinator of the most groups hangs.
    let victim = (1..=BROKERS as i32)
        .max_by_key(|b| GROUPS.iter().filter(|g| coordinator(g) == *b).count())
        .unwrap();
    let hidden: Vec<&str> = GROUPS
        .iter()
        .copied()
        .filter(|g| coordinator(g) == victim)
        .collect();
    sim.apply(Action::NetworkPartition {
        broker: victim,
        mode: PartitionMode::Unresponsive,
    });
    let s = poll_until(&mut w, 10, "a partial listing", |s| {
        s.reachable
            && hidden
                .iter()
                .all(|g| !s.groups.iter().any(|x| x.name == *g))
    })
    .await;
    assert!(
        s.errors.iter().any(|e| e.step == step::GROUPS_LIST),
        "{:?}",
        s.errors
    );
    ev.evaluate(&s, s.taken_at);
    assert_eq!(
        ev.state_size().lag_groups,
        GROUPS.len(),
        "{hidden:?} kept while unlisted"
    );
    sim.apply(Action::HealPartition { broker: victim });
    sim.shutdown().await;
}

/// Kafka 4.1+ with eligible leader replicas on (KIP-966): brokers 1, 2, 3
/// stop one after the other and the partition's ISR becomes empty. The
/// poller asks DescribeTopicPartitions about that topic only, and the
/// snapshot names the replicas that can bring it back: 2 and 3 (eligible,
/// 3 its last leader), not 1 (out of the ISR before it fell below min
/// ISR). Nothing is asked while no partition is without leader and ISR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligible_leader_replicas_are_read_for_partitions_with_an_empty_isr() {
    let _group = crate::support::group(module_path!());
    let (sim, mut p) = elr_cluster(
        "brokers = 4\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplicas = [[1, 2, 3]]\n[[cluster.topics]]\nname = \"safe\"\npartitions = 1\nreplicas = [[4]]\n",
    )
    .await;
    let asked = |sim: &isrwatch::sim::SimHandle| {
        sim.request_counts()
            .get("DescribeTopicPartitions")
            .copied()
            .unwrap_or(0)
    };
    let s = p.poll(Utc::now()).await;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    for b in [1, 2] {
        sim.apply(Action::BrokerDown { broker: b });
        let s = p.poll(Utc::now()).await;
        assert!(s.reachable, "{:?}", s.errors);
    }
    assert_eq!(asked(&sim), 0, "nothing had an empty ISR until broker 3");
    sim.apply(Action::BrokerDown { broker: 3 });
    let s = poll_until_offline(&mut p).await;
    let t = s.topics.iter().find(|t| t.name == "t").unwrap();
    let part = &t.partitions[0];
    assert_eq!((part.leader, part.isr.clone()), (None, vec![]), "{part:?}");
    assert_eq!(part.eligible_leaders, vec![2, 3], "{part:?}");
    assert_eq!(part.last_known_leader, vec![3], "{part:?}");
    assert!(asked(&sim) > 0);
    let safe = s.topics.iter().find(|t| t.name == "safe").unwrap();
    assert!(safe.partitions[0].eligible_leaders.is_empty());
    sim.shutdown().await;
}

/// The first live broker hangs (in the metadata, answers nothing): the
/// eligible leaders and the reassignments are still read, from another
/// broker. Asked of the first one alone, both stayed unknown while it hung,
/// and an offline partition was blamed on a broker Kafka would never elect
/// (hunt 23, W1 and W2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligible_leaders_and_reassignments_are_read_while_the_first_broker_hangs() {
    let _group = crate::support::group(module_path!());
    let (sim, mut p) = elr_cluster(
        "brokers = 5\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplicas = [[2, 3, 4]]\n",
    )
    .await;
    let s = p.poll(Utc::now()).await;
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    sim.apply(Action::NetworkPartition {
        broker: 1,
        mode: isrwatch::sim::PartitionMode::Unresponsive,
    });
    for b in [2, 3] {
        sim.apply(Action::BrokerDown { broker: b });
        p.poll(Utc::now()).await;
    }
    sim.apply(Action::BrokerDown { broker: 4 });
    let s = poll_until_offline(&mut p).await;
    let steps: Vec<&str> = s.errors.iter().map(|e| e.step.as_str()).collect();
    assert!(
        !steps.contains(&"eligible leaders") && !steps.contains(&"reassignments"),
        "{:?}",
        s.errors
    );
    let part = &s.topics.iter().find(|t| t.name == "t").unwrap().partitions[0];
    assert_eq!(part.eligible_leaders, vec![3, 4], "{part:?}");
    assert_eq!(part.last_known_leader, vec![4], "{part:?}");
    sim.shutdown().await;
}

/// A simulated Kafka 4.1+ cluster with eligible leader replicas on and
/// min ISR 2 (`cluster` is the rest of its `[cluster]` table and its
/// topics), and a poller with direct requests watching it.
async fn elr_cluster(cluster: &str) -> (isrwatch::sim::SimHandle, KafkaPoller) {
    let text =
        format!("[cluster]\nmin_insync_replicas = 2\neligible_leader_replicas = true\n{cluster}");
    let sim = Simulator::start(
        Scenario::parse(&text, "elr").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let mut c = config(&sim.bootstrap());
    c.direct_requests = true;
    let p = KafkaPoller::new(&c).unwrap();
    (sim, p)
}

/// Polls until topic "t" has a partition without a leader (the simulator
/// answers at once; librdkafka may serve one cached metadata).
async fn poll_until_offline(p: &mut KafkaPoller) -> ClusterSnapshot {
    for _ in 0..10 {
        let s = p.poll(Utc::now()).await;
        let offline = s
            .topics
            .iter()
            .any(|t| t.name == "t" && t.partitions.iter().any(|p| p.leader.is_none()));
        if offline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("topic t never offline");
}
