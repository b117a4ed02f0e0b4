//! The real poller against librdkafka's mock cluster.
//!
//! The mock has no ListGroups/DescribeGroups/DescribeConfigs, always
//! reports ISR == replicas, drops a down broker from metadata without moving
//! leaders. These tests pin what the snapshot says in each case.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use isrwatch::config::ClusterConfig;
use isrwatch::poll::{KafkaPoller, Poller};
use isrwatch::snapshot::ClusterSnapshot;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::support::t;

const TOPIC: &str = "orders";
const GROUP: &str = "billing";

fn poller_config(bootstrap: &str) -> ClusterConfig {
    let text = format!(
        r#"
        name = "mock"
        bootstrap = ["{bootstrap}"]
        poll_timeout = "15s"
        request_timeout = "3s"
        topics = {{ exclude = ["skip-.*"] }}
        groups = {{ include = ["{GROUP}", "other-.*"] }}
        properties = {{ "statistics.interval.ms" = "100", "log_level" = "3" }}
        "#
    );
    toml::from_str(&text).expect("test config")
}

async fn produce(bootstrap: &str, partition: i32, n: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("message.timeout.ms", "5000")
        .create()
        .expect("producer");
    for i in 0..n {
        let payload = format!("m{i}");
        producer
            .send(
                FutureRecord::<(), _>::to(TOPIC)
                    .partition(partition)
                    .payload(&payload),
                Duration::from_secs(5),
            )
            .await
            .expect("produce");
    }
}

fn commit(bootstrap: &str, offsets: &[(i32, i64)]) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", GROUP)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for &(p, o) in offsets {
        tpl.add_partition_offset(TOPIC, p, Offset::Offset(o))
            .expect("tpl");
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

fn steps(s: &ClusterSnapshot) -> Vec<&str> {
    s.errors.iter().map(|e| e.step.as_str()).collect()
}

/// The whole walk with offsets on isrwatch's own connections (the PLAINTEXT
/// default): the mock is an implementation nobody here wrote. Its
/// OffsetFetch stops at v6 (one group per request), so committed offsets go
/// through librdkafka here: the path for brokers older than Kafka 3.0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_cluster_snapshot_offsets_groups_lag_and_faults() {
    let _group = crate::support::group(module_path!());
    mock_cluster_walk(true).await;
}

/// The same walk through librdkafka's admin API (`direct_requests = false`,
/// what TLS and SASL clusters use).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_cluster_walk_through_librdkafka_admin() {
    let _group = crate::support::group(module_path!());
    mock_cluster_walk(false).await;
}

async fn mock_cluster_walk(direct: bool) {
    let mock = MockCluster::new(3).expect("mock cluster");
    mock.create_topic(TOPIC, 4, 3).expect("topic");
    mock.create_topic("skip-me", 2, 3).expect("topic");
    let bootstrap = mock.bootstrap_servers();

    produce(&bootstrap, 0, 30).await;
    produce(&bootstrap, 1, 20).await;
    produce(&bootstrap, 2, 10).await;
    // partition 3 stays empty
    commit(&bootstrap, &[(0, 10), (1, 20)]);

    let mut cfg = poller_config(&bootstrap);
    cfg.direct_requests = direct;
    let mut poller = KafkaPoller::new(&cfg).expect("poller");

    // ---- poll 1: healthy cluster ------------------------------------
    let s = poller.poll(t(0)).await;
    assert!(s.reachable, "{:?}", s.errors);
    assert_eq!(s.cluster, "mock");
    assert_eq!(s.taken_at, t(0));
    let ids: Vec<i32> = s.brokers.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert!(
        s.controller.is_some(),
        "controller from rd_kafka_controllerid"
    );
    assert!(s.cluster_id.is_some(), "cluster id from rd_kafka_clusterid");
    assert!(s.missing_brokers.is_empty());
    let names: Vec<&str> = s.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec![TOPIC], "topic filter drops skip-me");
    let topic = s.topics.iter().find(|t| t.name == TOPIC).expect("topic");
    assert_eq!(topic.partitions.len(), 4);
    assert_eq!(
        topic.min_isr_source,
        isrwatch::snapshot::MinIsrSource::Unknown,
        "mock has no DescribeConfigs: unknown, not guessed"
    );
    let hw: Vec<Option<i64>> = topic.partitions.iter().map(|p| p.high_watermark).collect();
    assert_eq!(hw, vec![Some(30), Some(20), Some(10), Some(0)]);
    assert!(topic.partitions.iter().all(|p| p.low_watermark == Some(0)));
    for p in &topic.partitions {
        assert_eq!(p.replicas.len(), 3);
        assert_eq!(p.isr.len(), 3, "mock: ISR == replicas");
        assert!(!p.state.offline && !p.state.under_replicated);
    }
    // Missing APIs in the mock are recorded, the rest still ran.
    eprintln!(
        "first poll took {:?}, errors: {:#?}",
        s.poll_duration, s.errors
    );
    let st = steps(&s);
    assert!(st.contains(&"configs"), "{:?}", s.errors);
    assert!(st.contains(&"groups.list"), "{:?}", s.errors);
    assert!(!st.contains(&"offsets"), "{:?}", s.errors);
    // The literal include "billing" is polled although ListGroups failed.
    assert_eq!(s.groups.len(), 1, "{:?}", s.groups);
    let g = &s.groups[0];
    assert_eq!(g.name, GROUP);
    type Row = (i32, Option<i64>, Option<i64>, Option<i64>);
    let got: Vec<Row> = g
        .partitions
        .iter()
        .map(|p| (p.partition, p.committed, p.end_offset, p.lag))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, Some(10), Some(30), Some(20)),
            (1, Some(20), Some(20), Some(0))
        ]
    );
    assert_eq!(g.total_lag(), 20);
    // First sight of the partition: p0's committed offset predates the
    // history, so the time lag is the (extrapolated) lower bound 0.
    assert_eq!(g.partitions[1].lag_seconds, Some(0.0));

    // ---- poll 2: 10 s later, more data on p0 ------------------------
    produce(&bootstrap, 0, 10).await;
    let s2 = poller.poll(t(10)).await;
    let g = s2.group(GROUP).expect("group");
    let p0 = &g.partitions[0];
    assert_eq!((p0.end_offset, p0.lag), (Some(40), Some(30)));
    // caught-up p1 on an idle partition: 0 s
    assert_eq!(g.partitions[1].lag_seconds, Some(0.0));
    assert!(s2.isr_changes.is_empty(), "mock never changes the ISR");

    // Consumer commits up to 30 (the end at t=0): behind since t=0 -> 20 s at t=20.
    commit(&bootstrap, &[(0, 30)]);
    let s3 = poller.poll(t(20)).await;
    let p0 = &s3.group(GROUP).expect("group").partitions[0];
    assert_eq!(p0.lag, Some(10));
    let ls = p0.lag_seconds.expect("time lag");
    assert!((ls - 20.0).abs() < 1e-6, "lag seconds {ls}");

    // ---- request counts: batched ListOffsets --------------------------
    tokio::time::sleep(Duration::from_millis(400)).await;
    let counts = poller.request_counts().expect("statistics enabled");
    let list_offsets = counts.get("ListOffsets").copied().unwrap_or(0);
    eprintln!("requests after 3 polls of 4 partitions, 1 group: {counts:?}");
    if direct {
        // librdkafka's statistics see only its own requests: none of them
        // was a ListOffsets.
        assert_eq!(list_offsets, 0, "{counts:?}");
    } else {
        // 3 polls x 2 specs x at most 3 leaders.
        assert!(
            list_offsets > 0 && list_offsets <= 18,
            "ListOffsets {list_offsets}"
        );
    }
    // librdkafka's statistics count only the request types of the handle's
    // kind (our admin handle is a producer): OffsetFetch is not listed.
    // One Metadata request per poll, plus librdkafka's own refreshes.
    assert!(counts.get("Metadata").copied().unwrap_or(0) <= 8);

    // ---- leader moves, then a leaderless partition --------------------
    let before = s3.partition(TOPIC, 1).expect("p1").clone();
    let other = before
        .replicas
        .iter()
        .copied()
        .find(|r| Some(*r) != before.preferred_leader())
        .expect("another replica");
    mock.partition_leader(TOPIC, 1, Some(other))
        .expect("move leader");
    mock.partition_leader(TOPIC, 2, None)
        .expect("remove leader");
    let s4 = poller.poll(t(30)).await;
    let p1 = s4.partition(TOPIC, 1).expect("p1");
    assert_eq!(p1.leader, Some(other));
    assert!(p1.state.leader_not_preferred && !p1.state.offline);
    let p2 = s4.partition(TOPIC, 2).expect("p2");
    assert_eq!(p2.leader, None);
    assert!(p2.state.offline, "{p2:?}");
    assert_eq!(p2.high_watermark, None, "no leader, no offsets asked");
    assert_eq!(s4.counts().offline, 1);
    // restore
    mock.partition_leader(TOPIC, 1, before.preferred_leader())
        .expect("restore");
    mock.partition_leader(TOPIC, 2, Some(1)).expect("restore");

    // ---- a broker goes down --------------------------------------------
    let victim = 3;
    mock.broker_down(victim).expect("down");
    let s5 = poller.poll(t(40)).await;
    assert!(s5.reachable, "{:?}", s5.errors);
    let ids: Vec<i32> = s5.brokers.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![1, 2], "a down broker leaves the mock's metadata");
    assert_eq!(s5.missing_brokers, vec![victim]);
    let on_victim = s5
        .partitions()
        .filter(|(_, p)| p.replicas.contains(&victim))
        .count();
    assert!(on_victim > 0);
    assert!(s5
        .partitions()
        .filter(|(_, p)| p.replicas.contains(&victim))
        .all(|(_, p)| p.state.replica_on_missing_broker));
    // The mock keeps a down broker as leader: its partitions' offsets fail
    // and that is recorded, while the other partitions keep theirs.
    let led_by_victim = s5
        .partitions()
        .filter(|(_, p)| p.leader == Some(victim))
        .count();
    if led_by_victim > 0 {
        assert!(steps(&s5).contains(&"offsets"), "{:?}", s5.errors);
    }
    assert!(s5
        .partitions()
        .filter(|(_, p)| p.leader.is_some() && p.leader != Some(victim))
        .all(|(_, p)| p.high_watermark.is_some()));

    // ---- it comes back: remembered until then, then cleared --------------
    mock.broker_up(victim).expect("up");
    let mut s6 = poller.poll(t(50)).await;
    for _ in 0..5 {
        if s6.brokers.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        s6 = poller.poll(t(51)).await;
    }
    assert_eq!(s6.brokers.len(), 3);
    assert!(s6.missing_brokers.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_list_offsets_beats_fetch_watermarks() {
    let _group = crate::support::group(module_path!());
    let mock = MockCluster::new(3).expect("mock cluster");
    let partitions = 30;
    mock.create_topic("wide", partitions, 3).expect("topic");
    let bootstrap = mock.bootstrap_servers();

    // Baseline: rdkafka's fetch_watermarks, one call per partition.
    let ctx = StatsCtx::default();
    let consumer: BaseConsumer<StatsCtx> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("statistics.interval.ms", "100")
        .create_with_context(ctx.clone())
        .expect("consumer");
    for p in 0..partitions {
        consumer
            .fetch_watermarks("wide", p, Duration::from_secs(5))
            .expect("watermarks");
    }
    let mut baseline = 0;
    for _ in 0..20 {
        // polling serves the statistics callback
        let _ = consumer.poll(Duration::from_millis(150));
        baseline = ctx.list_offsets();
        if baseline >= 2 * i64::from(partitions) {
            break;
        }
    }

    let mut text = poller_config(&bootstrap);
    text.groups = Default::default();
    let mut poller = KafkaPoller::new(&text).expect("poller");
    let s = poller.poll(t(0)).await;
    assert!(s.reachable);
    assert_eq!(
        s.partitions()
            .filter(|(_, p)| p.high_watermark.is_some())
            .count(),
        30
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let counts = poller.request_counts().expect("stats");
    let batched = counts.get("ListOffsets").copied().unwrap_or(0);
    eprintln!(
        "ListOffsets requests for {partitions} partitions on 3 brokers: \
         fetch_watermarks {baseline}, isrwatch {batched}"
    );
    assert!(
        batched <= 6,
        "two requests per leader at most, got {batched}"
    );
    assert!(baseline >= 2 * i64::from(partitions), "baseline {baseline}");
    assert!(batched * 5 <= baseline);
}

/// Keeps a consumer's latest librdkafka statistics.
#[derive(Clone, Default)]
struct StatsCtx(Arc<Mutex<Option<Statistics>>>);

impl StatsCtx {
    fn list_offsets(&self) -> i64 {
        self.0.lock().unwrap().as_ref().map_or(0, |s| {
            s.brokers
                .values()
                .filter_map(|b| b.req.get("ListOffsets"))
                .sum()
        })
    }
}

impl ClientContext for StatsCtx {
    fn stats(&self, statistics: Statistics) {
        *self.0.lock().unwrap() = Some(statistics);
    }
}

impl ConsumerContext for StatsCtx {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_cluster_hits_the_poll_deadline_and_the_poller_recovers() {
    let _group = crate::support::group(module_path!());
    let mock = MockCluster::new(3).expect("mock cluster");
    mock.create_topic("slow", 2, 3).expect("topic");
    let text = format!(
        r#"
        name = "slow"
        bootstrap = ["{}"]
        poll_timeout = "2s"
        request_timeout = "1s"
        properties = {{ "log_level" = "0" }}
        "#,
        mock.bootstrap_servers()
    );
    let cfg: ClusterConfig = toml::from_str(&text).expect("config");
    let mut poller = KafkaPoller::new(&cfg).expect("poller");
    for b in 1..=3 {
        mock.broker_round_trip_time(b, Duration::from_secs(4))
            .expect("rtt");
    }
    let started = std::time::Instant::now();
    let s = poller.poll(t(0)).await;
    assert!(!s.reachable);
    assert_eq!(s.errors[0].step, "metadata");
    assert!(
        started.elapsed() < Duration::from_millis(3500),
        "{:?}",
        started.elapsed()
    );

    for b in 1..=3 {
        mock.broker_round_trip_time(b, Duration::ZERO).expect("rtt");
    }
    let mut s = poller.poll(t(10)).await;
    for i in 0..10 {
        if s.reachable {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        s = poller.poll(t(11 + i)).await;
    }
    assert!(s.reachable, "{:?}", s.errors);
    assert_eq!(s.topics.len(), 1);
}
