//! The simulator seen through real clients: kcat (librdkafka 2.0 from
//! Debian) and rdkafka (librdkafka 2.12), plus garbage on the wire.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use isrwatch::sim::{Action, Scenario, SimHandle, SimOptions, Simulator};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

const T: Duration = Duration::from_secs(10);

fn scenario(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name);
    Scenario::load(path).unwrap()
}

async fn start(name: &str) -> SimHandle {
    // Speed 1: the tests drive time themselves with `advance`.
    Simulator::start(
        scenario(name),
        SimOptions {
            speed: 1.0,
            ports: None,
        },
    )
    .await
    .unwrap()
}

fn consumer(sim: &SimHandle, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", sim.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("socket.timeout.ms", "5000")
        .create()
        .unwrap()
}

/// (leader, replicas, isr) by (topic, partition), from rdkafka metadata.
type Layout = BTreeMap<(String, i32), (i32, Vec<i32>, Vec<i32>)>;

fn rdkafka_layout(c: &BaseConsumer) -> Layout {
    let md = c.fetch_metadata(None, T).unwrap();
    let mut out = BTreeMap::new();
    for t in md.topics() {
        for p in t.partitions() {
            out.insert(
                (t.name().to_string(), p.id()),
                (p.leader(), p.replicas().to_vec(), p.isr().to_vec()),
            );
        }
    }
    out
}

fn sim_layout(sim: &SimHandle) -> Layout {
    let st = sim.state();
    let mut out = BTreeMap::new();
    for (t, parts) in &st.topics {
        for (i, p) in parts.iter().enumerate() {
            out.insert(
                (t.clone(), i as i32),
                (p.leader.unwrap_or(-1), p.replicas.clone(), p.isr.clone()),
            );
        }
    }
    out
}

fn kcat_layout(bootstrap: &str) -> (Vec<i32>, Layout) {
    let out = Command::new("kcat")
        .args(["-b", bootstrap, "-L", "-J", "-m", "10"])
        .output()
        .expect("kcat must be installed (apt-get install kcat)");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut brokers: Vec<i32> = v["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap() as i32)
        .collect();
    brokers.sort();
    let ids = |x: &serde_json::Value| -> Vec<i32> {
        x.as_array()
            .map(|a| a.iter().map(|r| r["id"].as_i64().unwrap() as i32).collect())
            .unwrap_or_default()
    };
    let mut layout = BTreeMap::new();
    for t in v["topics"].as_array().unwrap() {
        let name = t["topic"].as_str().unwrap().to_string();
        for p in t["partitions"].as_array().unwrap() {
            layout.insert(
                (name.clone(), p["partition"].as_i64().unwrap() as i32),
                (
                    p["leader"].as_i64().unwrap() as i32,
                    ids(&p["replicas"]),
                    ids(&p["isrs"]),
                ),
            );
        }
    }
    (brokers, layout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kcat_lists_exact_leaders_and_isr_before_and_after_broker_down() {
    let _group = crate::support::group(module_path!());
    let sim = start("broker_down.toml").await;
    let bs = sim.bootstrap();
    let (brokers, layout) = tokio::task::spawn_blocking({
        let bs = bs.clone();
        move || kcat_layout(&bs)
    })
    .await
    .unwrap();
    assert_eq!(brokers, vec![1, 2, 3]);
    assert_eq!(layout, sim_layout(&sim));
    // The explicit assignment of "events" is served as written.
    assert_eq!(
        layout[&("events".to_string(), 1)],
        (2, vec![2, 3, 1], vec![2, 3, 1])
    );

    sim.apply(Action::BrokerDown { broker: 2 });
    let (brokers, layout) = tokio::task::spawn_blocking(move || kcat_layout(&bs))
        .await
        .unwrap();
    assert_eq!(brokers, vec![1, 3]);
    assert_eq!(layout, sim_layout(&sim));
    assert_eq!(
        layout[&("events".to_string(), 1)],
        (3, vec![2, 3, 1], vec![3, 1])
    );
    assert!(layout
        .values()
        .all(|(l, _, isr)| *l != 2 && !isr.contains(&2)));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rdkafka_sees_isr_shrink_leader_move_offsets_and_groups() {
    let _group = crate::support::group(module_path!());
    let sim = start("slow_follower.toml").await;
    let c = consumer(&sim, "billing");
    let before = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(before, sim_layout(&sim));
    assert!(before.values().all(|(_, r, isr)| r == isr));

    // slow_follower on broker 3; after replica.lag.time.max.ms it leaves every ISR.
    sim.apply(Action::SlowFollower {
        broker: 3,
        delay: Duration::from_secs(90),
    });
    sim.advance(Duration::from_secs(35));
    let shrunk = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(shrunk, sim_layout(&sim));
    // A leader stays in its own ISR; as a follower broker 3 is out everywhere.
    assert!(
        shrunk
            .values()
            .all(|(l, _, isr)| *l == 3 || !isr.contains(&3)),
        "{shrunk:?}"
    );
    assert!(shrunk.values().any(|(l, r, _)| *l != 3 && r.contains(&3)));
    sim.apply(Action::RecoverFollower { broker: 3 });
    sim.advance(Duration::from_secs(1));
    let back = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert!(
        back.values().all(|(_, _, isr)| isr.contains(&3)),
        "{back:?}"
    );

    // broker_down moves leadership.
    sim.apply(Action::BrokerDown { broker: 1 });
    let moved = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(moved, sim_layout(&sim));
    assert!(moved.values().all(|(l, _, _)| *l != 1 && *l > 0));
    sim.apply(Action::BrokerUp { broker: 1 });
    // The client learns about the returning broker from fresh metadata.
    let again = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(again, sim_layout(&sim));

    // Watermarks match the simulator.
    let st = sim.state();
    let p = st.partition("events", 1).unwrap().clone();
    let (lo, hi) = tokio::task::block_in_place(|| c.fetch_watermarks("events", 1, T)).unwrap();
    assert_eq!(lo, p.log_start_offset);
    assert!(
        hi >= p.end_offset && hi <= p.end_offset + 100,
        "{hi} vs {}",
        p.end_offset
    );

    // Offsets by timestamp: a time before the start gives the log start.
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("events", 1, Offset::Offset(0))
        .unwrap();
    let found = tokio::task::block_in_place(|| c.offsets_for_times(tpl, T)).unwrap();
    assert_eq!(
        found.find_partition("events", 1).unwrap().offset(),
        Offset::Offset(p.log_start_offset)
    );

    // Group list (ListGroups to every broker + DescribeGroups).
    let groups = tokio::task::block_in_place(|| c.fetch_group_list(None, T)).unwrap();
    let mut names: Vec<String> = groups
        .groups()
        .iter()
        .map(|g| g.name().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["audit".to_string(), "billing".to_string()]);
    let billing = groups
        .groups()
        .iter()
        .find(|g| g.name() == "billing")
        .unwrap();
    assert_eq!(billing.state(), "Stable");
    assert_eq!(billing.members().len(), 2);

    // Committed offsets (FindCoordinator + OffsetFetch).
    let mut tpl = TopicPartitionList::new();
    for i in 0..6 {
        tpl.add_partition("orders", i);
    }
    let committed = tokio::task::block_in_place(|| c.committed_offsets(tpl, T)).unwrap();
    let st = sim.state();
    let want = &st.groups["billing"].committed["orders"];
    for i in 0..6 {
        let got = committed.find_partition("orders", i).unwrap().offset();
        let w = want[i as usize];
        match got {
            Offset::Offset(o) => assert!((o - w).abs() <= 1000, "p{i}: {o} vs {w}"),
            other => panic!("p{i}: {other:?}"),
        }
    }

    // DescribeConfigs through the admin client.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", sim.bootstrap())
        .create()
        .unwrap();
    let res = admin
        .describe_configs(
            &[
                ResourceSpecifier::Topic("orders"),
                ResourceSpecifier::Broker(1),
            ],
            &AdminOptions::new().request_timeout(Some(T)),
        )
        .await
        .unwrap();
    let topic = res[0].as_ref().unwrap();
    assert_eq!(
        topic
            .get("min.insync.replicas")
            .and_then(|e| e.value.clone()),
        Some("2".into())
    );
    let broker = res[1].as_ref().unwrap();
    assert_eq!(
        broker
            .get("replica.lag.time.max.ms")
            .and_then(|e| e.value.clone()),
        Some("30000".into())
    );
    drop(admin);
    drop(c);
    assert!(sim.request_counts().get("Metadata").copied().unwrap_or(0) > 0);
    assert!(sim.request_counts().contains_key("OffsetFetch"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rdkafka_sees_offline_partitions_when_last_isr_member_goes() {
    let _group = crate::support::group(module_path!());
    let sim = start("last_isr_offline.toml").await;
    sim.apply(Action::BrokerDown { broker: 2 });
    sim.apply(Action::BrokerDown { broker: 1 });
    let c = consumer(&sim, "audit");
    let md = tokio::task::block_in_place(|| c.fetch_metadata(Some("events"), T)).unwrap();
    let t = &md.topics()[0];
    for p in t.partitions() {
        assert_eq!(p.leader(), -1, "partition {} should be offline", p.id());
        assert_eq!(p.isr().len(), 1, "the last ISR member stays in the ISR");
        assert!(p.error().is_some());
    }
    let st = sim.state();
    assert_eq!(st.partition("events", 0).unwrap().isr, vec![1]);
    assert_eq!(st.partition("events", 1).unwrap().isr, vec![1]);
    // Broker 1 returns: it was the last ISR member, so it leads again.
    sim.apply(Action::BrokerUp { broker: 1 });
    let md = tokio::task::block_in_place(|| c.fetch_metadata(Some("events"), T)).unwrap();
    assert!(md.topics()[0].partitions().iter().all(|p| p.leader() == 1));
    drop(c);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_and_truncated_frames_close_only_that_connection() {
    let _group = crate::support::group(module_path!());
    let sim = start("broker_down.toml").await;
    let port = sim.ports()[0];
    tokio::task::block_in_place(|| {
        let cases: Vec<Vec<u8>> = vec![
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            vec![0x7f, 0xff, 0xff, 0xff, 1, 2, 3],
            // Metadata v12 header, then a topics array claiming 2^31-1 entries.
            {
                let mut v = vec![0, 0, 0, 20, 0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0];
                v.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0, 0]);
                v
            },
            // Unknown API key 999.
            vec![0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff],
        ];
        for bytes in cases {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(&bytes).unwrap();
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut buf = Vec::new();
            // Closed by the server (EOF), never a hang.
            match s.read_to_end(&mut buf) {
                Ok(n) => assert_eq!(n, 0, "no response expected to {bytes:?}"),
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
            }
        }
        // A truncated frame: the size says 100 bytes, 10 arrive, then close.
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&[0, 0, 0, 100, 0, 3, 0, 1, 0, 0, 0, 1, 0, 0])
            .unwrap();
        drop(s);
    });
    let c = consumer(&sim, "x");
    let layout = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(layout, sim_layout(&sim));
    drop(c);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_cluster_metadata_is_complete() {
    let _group = crate::support::group(module_path!());
    let scenario = Scenario::synthetic(5, 200, 100, 3, 500);
    let sim = Simulator::start(scenario, SimOptions::default())
        .await
        .unwrap();
    let c = consumer(&sim, "group-7");
    let layout = tokio::task::block_in_place(|| rdkafka_layout(&c));
    assert_eq!(layout.len(), 20_000);
    assert_eq!(layout, sim_layout(&sim));
    let groups =
        tokio::task::block_in_place(|| c.fetch_group_list(None, Duration::from_secs(30))).unwrap();
    assert_eq!(groups.groups().len(), 500);
    drop(c);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kcat_plain_listing_names_every_broker() {
    let _group = crate::support::group(module_path!());
    let sim = start("broker_down.toml").await;
    let bs = sim.bootstrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("kcat")
            .args(["-b", &bs, "-L", "-m", "10"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 brokers:"), "{text}");
    for (i, port) in sim.ports().iter().enumerate() {
        assert!(
            text.contains(&format!("broker {} at 127.0.0.1:{port}", i + 1)),
            "{text}"
        );
    }
    assert!(
        text.contains("topic \"orders\" with 6 partitions"),
        "{text}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeline_runs_at_speed_n() {
    let _group = crate::support::group(module_path!());
    // broker_down.toml: broker 2 down at 30 s for 120 s. At speed 60 that is
    // 0.5 s and 2.5 s of wall time.
    let sim = Simulator::start(
        scenario("broker_down.toml"),
        SimOptions {
            speed: 60.0,
            ports: None,
        },
    )
    .await
    .unwrap();
    let down = |sim: &SimHandle| !sim.state().brokers.iter().find(|b| b.id == 2).unwrap().up;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !down(&sim) {
        assert!(
            std::time::Instant::now() < deadline,
            "broker 2 never went down"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sim.elapsed() >= Duration::from_secs(30));
    while down(&sim) {
        assert!(
            std::time::Instant::now() < deadline,
            "broker 2 never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sim.elapsed() >= Duration::from_secs(150));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_cli_stops_when_the_shutdown_future_completes() {
    let _group = crate::support::group(module_path!());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios/consumer_stall.toml");
    isrwatch::sim::run_cli(
        Some(path),
        10.0,
        tokio::time::sleep(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    let missing = std::path::PathBuf::from("/nonexistent/scenario.toml");
    let err = isrwatch::sim::run_cli(Some(missing), 1.0, async {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/scenario.toml"),
        "{err}"
    );
}

/// Sends an ApiVersions v0 request; `true` when a response comes back.
fn api_versions_answered(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let frame = [0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 42, 0xff, 0xff];
    if s.write_all(&frame).is_err() {
        return false;
    }
    let mut size = [0u8; 4];
    s.read_exact(&mut size).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_side_partition_and_broker_down_refuse_clients() {
    let _group = crate::support::group(module_path!());
    let sim = start("network_partition.toml").await;
    let ports = sim.ports().to_vec();
    assert!(tokio::task::block_in_place(|| api_versions_answered(
        ports[0]
    )));
    sim.apply(Action::NetworkPartition {
        broker: 1,
        mode: isrwatch::sim::PartitionMode::Clients,
    });
    assert!(!tokio::task::block_in_place(|| api_versions_answered(
        ports[0]
    )));
    assert!(tokio::task::block_in_place(|| api_versions_answered(
        ports[1]
    )));
    // Still in metadata: the other brokers can reach it.
    assert!(sim.state().brokers[0].up);
    sim.apply(Action::HealPartition { broker: 1 });
    assert!(tokio::task::block_in_place(|| api_versions_answered(
        ports[0]
    )));
    sim.apply(Action::BrokerDown { broker: 2 });
    assert!(!tokio::task::block_in_place(|| api_versions_answered(
        ports[1]
    )));
    sim.shutdown().await;
}

/// librdkafka's DescribeConsumerGroups and ListConsumerGroupOffsets admin
/// calls (not wrapped by rdkafka; the poller reaches them through
/// rdkafka-sys) work against the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn librdkafka_admin_group_calls_work() {
    let _group = crate::support::group(module_path!());
    use std::ffi::{CStr, CString};

    use rdkafka_sys as sys;

    let sim = start("consumer_stall.toml").await;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", sim.bootstrap())
        .create()
        .unwrap();
    let rk = admin.inner().native_ptr();
    let want = sim.state().groups["billing"].clone();
    tokio::task::block_in_place(|| unsafe {
        let wait = |q: *mut sys::rd_kafka_queue_t| -> *mut sys::rd_kafka_event_t {
            for _ in 0..100 {
                let ev = sys::rd_kafka_queue_poll(q, 200);
                if !ev.is_null() {
                    return ev;
                }
            }
            panic!("no admin result within 20 s");
        };
        let q = sys::rd_kafka_queue_new(rk);

        let name = CString::new("billing").unwrap();
        let mut names = [name.as_ptr()];
        sys::rd_kafka_DescribeConsumerGroups(rk, names.as_mut_ptr(), 1, std::ptr::null(), q);
        let ev = wait(q);
        let res = sys::rd_kafka_event_DescribeConsumerGroups_result(ev);
        assert!(
            !res.is_null(),
            "unexpected event {}",
            sys::rd_kafka_event_type(ev)
        );
        let mut n = 0usize;
        let groups = sys::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n);
        assert_eq!(n, 1);
        let g = *groups;
        assert!(sys::rd_kafka_ConsumerGroupDescription_error(g).is_null());
        let state = CStr::from_ptr(sys::rd_kafka_consumer_group_state_name(
            sys::rd_kafka_ConsumerGroupDescription_state(g),
        ));
        assert_eq!(state.to_str().unwrap(), "Stable");
        assert_eq!(sys::rd_kafka_ConsumerGroupDescription_member_count(g), 2);
        let coord = sys::rd_kafka_ConsumerGroupDescription_coordinator(g);
        assert_eq!(sys::rd_kafka_Node_id(coord), want.coordinator);
        sys::rd_kafka_event_destroy(ev);

        let mut req = [sys::rd_kafka_ListConsumerGroupOffsets_new(
            name.as_ptr(),
            std::ptr::null(),
        )];
        sys::rd_kafka_ListConsumerGroupOffsets(rk, req.as_mut_ptr(), 1, std::ptr::null(), q);
        sys::rd_kafka_ListConsumerGroupOffsets_destroy(req[0]);
        let ev = wait(q);
        let res = sys::rd_kafka_event_ListConsumerGroupOffsets_result(ev);
        assert!(
            !res.is_null(),
            "unexpected event {}",
            sys::rd_kafka_event_type(ev)
        );
        let mut n = 0usize;
        let groups = sys::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut n);
        assert_eq!(n, 1);
        let g = *groups;
        assert!(sys::rd_kafka_group_result_error(g).is_null());
        let parts = &*sys::rd_kafka_group_result_partitions(g);
        assert_eq!(parts.cnt, 6);
        for i in 0..parts.cnt as usize {
            let p = &*parts.elems.add(i);
            let topic = CStr::from_ptr(p.topic).to_str().unwrap();
            assert_eq!(topic, "orders");
            let w = want.committed["orders"][p.partition as usize];
            assert!(
                (p.offset - w).abs() <= 1000,
                "p{}: {} vs {w}",
                p.partition,
                p.offset
            );
        }
        sys::rd_kafka_event_destroy(ev);
        sys::rd_kafka_queue_destroy(q);
    });
    drop(admin);
    sim.shutdown().await;
}

/// kafka-python (PyPI, installed by test.sh) reads the simulator's answers
/// to the APIs kcat lacks: ListPartitionReassignments during a reassignment,
/// DescribeQuorum (leader = the active controller, the brokers its voters),
/// DescribeConfigs of a topic with each config's source, as Kafka
/// answers (min.insync.replicas from the broker's static config), and
/// DescribeLogDirs with the volume's size and free space (v4, KIP-827),
/// less on the broker whose disk is filling, and DescribeGroups of a group
/// in a rebalance (state `PreparingRebalance`, its members still listed).
/// Runs `tests/clients/SCRIPT` (a kafka-python client) with `args` and
/// returns the JSON it prints.
async fn kafka_python(script: &str, args: &[&str]) -> serde_json::Value {
    let path = format!("{}/tests/clients/{script}", env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(path)
            .args(args)
            .output()
            .expect("python3 must be installed")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "kafka-python failed (test.sh installs it: pip install kafka-python): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// kafka-python reads the eligible leader replicas (KIP-966) of a cluster
/// with ELR on through DescribeTopicPartitions, one partition per answer:
/// topics sorted by name, the cursor followed to the end, and after
/// brokers 1, 2, 3 stop (3 leading last), an empty ISR with 2 and 3
/// eligible and 3 the last known leader, as Kafka 4.1 reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kafka_python_reads_eligible_leader_replicas_page_by_page() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 4\nmin_insync_replicas = 2\neligible_leader_replicas = true\n[[cluster.topics]]\nname = \"t\"\npartitions = 2\nreplicas = [[1, 2, 3], [2, 3, 1]]\n[[cluster.topics]]\nname = \"safe\"\npartitions = 1\nreplicas = [[4]]\n";
    let sim = Simulator::start(Scenario::parse(text, "elr").unwrap(), SimOptions::default())
        .await
        .unwrap();
    for b in [1, 2, 3] {
        sim.apply(Action::BrokerDown { broker: b });
    }
    let v = kafka_python("kafka_python_elr.py", &[&sim.bootstrap(), "1", "t", "safe"]).await;
    assert_eq!(
        v["pages"],
        serde_json::json!([["safe-0"], ["t-0"], ["t-1"]]),
        "{v}"
    );
    for p in ["t-0", "t-1"] {
        assert_eq!(
            v["partitions"][p],
            serde_json::json!({"leader": -1, "isr": [], "elr": [2, 3], "last_known_elr": [3], "offline": [1, 2, 3]}),
            "{v}"
        );
    }
    assert_eq!(
        v["partitions"]["safe-0"],
        serde_json::json!({"leader": 4, "isr": [4], "elr": [], "last_known_elr": [], "offline": []}),
        "{v}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kafka_python_reads_reassignments_quorum_and_configs() {
    let _group = crate::support::group(module_path!());
    let text = "[cluster]\nbrokers = 4\nmin_insync_replicas = 2\n[[cluster.topics]]\nname = \"orders\"\npartitions = 2\nreplicas = [[1, 2, 3], [2, 3, 1]]\n[[cluster.groups]]\nname = \"checkout\"\ntopics = [\"orders\"]\nmembers = 3\n";
    let sim = Simulator::start(Scenario::parse(text, "kp").unwrap(), SimOptions::default())
        .await
        .unwrap();
    sim.apply(Action::Reassign {
        topic: "orders".into(),
        partition: Some(1),
        replicas: vec![2, 3, 4],
        rate: 1.0, // copying takes hours: still moving when read
    });
    // 2 GiB/s for the second or so the client takes: hundreds of GiB gone
    // from broker 4's volume, not yet full (600 GiB free at rest).
    sim.apply(Action::DiskFill {
        broker: 4,
        bytes_per_sec: 2.0 * (1u64 << 30) as f64,
    });
    sim.apply(Action::ConsumerRebalance {
        group: "checkout".into(),
    });
    let v = kafka_python(
        "kafka_python_reads.py",
        &[&sim.bootstrap(), "orders", "checkout"],
    )
    .await;
    assert_eq!(
        v["reassignments"],
        serde_json::json!({"orders-1": {"replicas": [2, 3, 4, 1], "adding_replicas": [4], "removing_replicas": [1]}}),
        "{v}"
    );
    assert_eq!(
        v["group"],
        serde_json::json!({"error": null, "state": "PreparingRebalance", "members": 3}),
        "{v}"
    );
    assert_eq!(v["quorum"]["topic"], "__cluster_metadata");
    assert_eq!(v["quorum"]["leader"], sim.state().controller.unwrap());
    assert_eq!(v["quorum"]["voters"], serde_json::json!([1, 2, 3, 4]));
    assert_eq!(
        v["configs"]["min.insync.replicas"],
        serde_json::json!({"value": "2", "source": "STATIC_BROKER_CONFIG"}),
        "{v}"
    );
    let tib = 1i64 << 40;
    // 40 % used at rest, computed as the simulator does (in f64).
    let at_rest = (tib as f64 - tib as f64 * 0.4) as i64;
    for b in ["1", "2", "3", "4"] {
        let dirs = v["log_dirs"][b].as_array().unwrap_or_else(|| panic!("{v}"));
        assert_eq!(dirs.len(), 1, "{v}");
        assert_eq!(dirs[0]["error_code"], 0, "{v}");
        assert_eq!(dirs[0]["log_dir"], "/var/lib/kafka/data", "{v}");
        assert_eq!(dirs[0]["total_bytes"], tib, "{v}");
        let usable = dirs[0]["usable_bytes"].as_i64().unwrap();
        if b == "4" {
            assert!(usable < at_rest && usable > 0, "{v}");
        } else {
            assert_eq!(usable, at_rest, "{v}");
        }
    }
    sim.shutdown().await;
}

/// kcat's earliest offset (`-Q` at timestamp -2: ListOffsets EARLIEST) of
/// `topic`:0.
fn kcat_log_start(bootstrap: &str, topic: &str) -> i64 {
    let out = Command::new("kcat")
        .args([
            "-b",
            bootstrap,
            "-Q",
            "-t",
            &format!("{topic}:0:-2"),
            "-m",
            "10",
        ])
        .output()
        .expect("kcat must be installed (apt-get install kcat)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "kcat failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "docs [0] offset 12345"
    text.split_whitespace()
        .last()
        .and_then(|o| o.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {text:?}"))
}

/// Retention as a client sees it: kcat's earliest offset is the
/// simulator's log start, which stays until a retention check finds
/// segments older than `retention.ms` (shortened to 1 minute here), then
/// moves past the stopped group's committed offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kcat_sees_retention_move_the_log_start_past_a_stopped_group() {
    let _group = crate::support::group(module_path!());
    let sim = start("retention_shortened_while_consumer_down.toml").await;
    let bs = sim.bootstrap();
    // Past the stop (30 s) and the retention change (2 min), before the
    // first retention check (5 min).
    sim.advance(Duration::from_secs(150));
    let before = sim.state().partition("docs", 0).unwrap().log_start_offset;
    let b = bs.clone();
    let seen = tokio::task::spawn_blocking(move || kcat_log_start(&b, "docs"))
        .await
        .unwrap();
    assert_eq!(seen, before);
    let committed = sim.state().groups["indexer"].committed["docs"][0];
    assert!(committed >= before, "{committed} {before}");

    sim.advance(Duration::from_secs(160));
    let after = sim.state().partition("docs", 0).unwrap().log_start_offset;
    let seen = tokio::task::spawn_blocking(move || kcat_log_start(&bs, "docs"))
        .await
        .unwrap();
    assert_eq!(seen, after);
    assert!(after > committed, "{after} {committed}");
    assert_eq!(
        sim.state().groups["indexer"].committed["docs"][0],
        committed
    );
    sim.shutdown().await;
}

/// What operators do to topics, as clients see it: kcat (a client we did
/// not write) lists a topic created mid-run, the partitions added to
/// another, and nothing of a deleted one, exactly as the simulator holds
/// them; librdkafka reads no committed offset (INVALID) on the added
/// partitions until the group's members have taken them, then one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kcat_and_librdkafka_see_topics_created_grown_and_deleted() {
    let _group = crate::support::group(module_path!());
    let sim = start("topic_lifecycle.toml").await;
    let bs = sim.bootstrap();
    let layout = |bs: &str| {
        let bs = bs.to_string();
        tokio::task::spawn_blocking(move || kcat_layout(&bs).1)
    };
    let partitions = |l: &Layout, topic: &str| l.keys().filter(|(t, _)| t == topic).count();
    let l = layout(&bs).await.unwrap();
    assert_eq!(l, sim_layout(&sim));
    assert_eq!(partitions(&l, "clicks"), 0, "not created yet");
    assert_eq!(partitions(&l, "orders"), 6);

    // Created at 1 min, doubled at 2 min.
    sim.advance(Duration::from_secs(2 * 60 + 1));
    let l = layout(&bs).await.unwrap();
    assert_eq!(l, sim_layout(&sim));
    assert_eq!(partitions(&l, "clicks"), 4);
    assert_eq!(partitions(&l, "orders"), 12);
    let st = sim.state();
    assert!(st.topics["orders"][6..]
        .iter()
        .all(|p| p.end_offset < 1_000));
    assert_eq!(st.groups["checkout"].committed["orders"].len(), 6);
    let c = consumer(&sim, "checkout");
    let committed = |c: &BaseConsumer| {
        let mut tpl = TopicPartitionList::new();
        for i in 0..12 {
            tpl.add_partition("orders", i);
        }
        tokio::task::block_in_place(|| c.committed_offsets(tpl, T)).unwrap()
    };
    let got = committed(&c);
    for i in 0..12 {
        let o = got.find_partition("orders", i).unwrap().offset();
        if i < 6 {
            assert!(matches!(o, Offset::Offset(_)), "p{i}: {o:?}");
        } else {
            assert_eq!(o, Offset::Invalid, "p{i}: nothing committed yet");
        }
    }
    // "scratch" is deleted at 3 min 2 s and created again 5 s later.
    let old = sim_layout(&sim);
    sim.advance(Duration::from_secs(3 * 60 + 4) - sim.state().elapsed);
    let l = layout(&bs).await.unwrap();
    assert_eq!(partitions(&l, "scratch"), 0, "deleted");
    assert!(sim.state().groups["scratch-reader"].committed.is_empty());
    sim.advance(Duration::from_secs(5));
    let l = layout(&bs).await.unwrap();
    assert_eq!(l, sim_layout(&sim));
    assert_eq!(partitions(&l, "scratch"), 2, "created again");
    assert!(sim.state().topics["scratch"]
        .iter()
        .all(|p| p.end_offset < 100));
    assert_eq!(old.len(), sim_layout(&sim).len());

    // The checkout members took the added partitions within
    // metadata.max.age.ms (5 min) of 2 min.
    sim.advance(Duration::from_secs(7 * 60 + 10) - sim.state().elapsed);
    let got = committed(&c);
    for i in 6..12 {
        let o = got.find_partition("orders", i).unwrap().offset();
        assert!(matches!(o, Offset::Offset(x) if x >= 0), "p{i}: {o:?}");
    }
    sim.shutdown().await;
}
