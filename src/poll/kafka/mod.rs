//! The rdkafka poller, one file per concern:
//! - this file: [`KafkaPoller`], its clients and one poll from end to end;
//! - `metadata`: brokers and topics, brokers gone missing;
//! - `configs`: topic configs (`min.insync.replicas`) and partition states;
//! - `offsets`: watermarks and lag;
//! - `groups`: consumer groups and their coordinators;
//! - `api`: [`api::GroupApi`], the calls of the offsets and groups path,
//!   made by the direct client or by librdkafka;
//! - `cluster`: the active controller, reassignments, broker probes.

mod api;
mod cluster;
mod configs;
mod groups;
mod metadata;
mod offsets;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;
use rdkafka::admin::AdminClient;
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaType;
use rdkafka::ClientConfig;

use super::admin;
use super::direct::DirectClient;
use super::lag::{OffsetHistory, DEFAULT_MAX_POINTS};
use super::transport::Transport;
use super::{sidecar, Poller, PollerError};
use crate::config::{ClusterConfig, NameMatcher};
use crate::snapshot::{BrokerId, ClusterSnapshot, PollError, Time, TopicInfo};

use cluster::{apply_reassignments, unreachable_brokers, Quorum};
use configs::{derive_topics, describe_min_isr, TopicConfigs};
use metadata::missing_brokers;

/// Client context keeping librdkafka's latest statistics (only emitted when
/// the `statistics.interval.ms` property is set).
#[derive(Clone, Default)]
struct StatsContext {
    latest: Arc<Mutex<Option<Statistics>>>,
}

impl ClientContext for StatsContext {
    fn stats(&self, statistics: Statistics) {
        *self.latest.lock() = Some(statistics);
    }
}

type Admin = AdminClient<StatsContext>;

/// The handle used for the consumer-group admin calls (describe, committed
/// offsets). It is a *consumer*-type librdkafka handle with a `group.id`
/// it never joins, because librdkafka's OffsetFetch response handler asks
/// the handle's consumer group to look up its coordinator again on
/// NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, and a producer-type handle
/// (what rdkafka's `AdminClient` is) has no consumer group: the process
/// would crash on a NULL pointer (`rd_kafka_cgrp_op`, rdkafka_request.c).
type GroupClient = Client<DefaultClientContext>;

/// Polls one Kafka cluster through rdkafka.
///
/// Keep one per cluster across polls: it holds the client (created at the
/// first poll, reused afterwards), the `min.insync.replicas` cache, the
/// brokers seen so far, the previous ISR per partition and the end-offset
/// history used for lag in seconds.
pub struct KafkaPoller {
    cfg: ClusterConfig,
    client_config: ClientConfig,
    stats: StatsContext,
    admin: Option<Arc<Admin>>,
    group_client: Option<Arc<GroupClient>>,
    /// isrwatch's own connections for ListOffsets, OffsetFetch and
    /// DescribeGroups (`direct_requests`; not GSSAPI or OAUTHBEARER clusters).
    direct: Option<Arc<DirectClient>>,
    topics: NameMatcher,
    groups: NameMatcher,
    extra_groups: BTreeSet<String>,
    /// Coordinator of each group, learned from the previous poll's answers.
    coordinators: HashMap<String, BrokerId>,
    seen_brokers: BTreeSet<BrokerId>,
    topic_configs: HashMap<String, TopicConfigs>,
    broker_default_min_isr: Option<i32>,
    configs_at: Option<Time>,
    configs_failed: bool,
    /// The errors of the last DescribeConfigs round, repeated in every
    /// snapshot until a round succeeds: the configs step's output is
    /// missing (or stale) all that time, not only in the poll that asked.
    config_errors: Vec<PollError>,
    /// (end offset, poll time) history per topic, then partition.
    histories: HashMap<String, HashMap<i32, OffsetHistory>>,
    max_history_points: usize,
    prev: Option<ClusterSnapshot>,
    /// What DescribeQuorum taught (see [`KafkaPoller::active_controller`]).
    quorum: Quorum,
    http: reqwest::Client,
}

impl std::fmt::Debug for KafkaPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the client configuration: it holds secrets.
        f.debug_struct("KafkaPoller")
            .field("cluster", &self.cfg.name)
            .finish_non_exhaustive()
    }
}

impl KafkaPoller {
    /// Builds the poller: resolves secrets, compiles the name filters,
    /// prepares the librdkafka configuration. No network I/O: the client is
    /// created (and connects) at the first poll.
    pub fn new(cfg: &ClusterConfig) -> Result<Self, PollerError> {
        let err = |key: &str, message: String| PollerError::Config {
            cluster: cfg.name.clone(),
            key: key.to_string(),
            message,
        };
        if cfg.bootstrap.is_empty() {
            return Err(err("bootstrap", "at least one host:port is needed".into()));
        }
        let mut cc = ClientConfig::new();
        cc.set("bootstrap.servers", cfg.bootstrap.join(","));
        cc.set("client.id", format!("isrwatch-{}", cfg.name));
        cc.set(
            "socket.timeout.ms",
            cfg.request_timeout
                .0
                .as_millis()
                .clamp(10, i32::MAX as u128)
                .to_string(),
        );
        let resolved = cfg
            .resolved_properties()
            .map_err(|(k, e)| err(&format!("properties.{k}"), e))?;
        for (k, value) in &resolved {
            cc.set(k, value);
        }
        let direct = direct_client(cfg, &resolved).map_err(|e| {
            err(
                "properties",
                format!("{e} (direct_requests = false leaves TLS to librdkafka)"),
            )
        })?;
        let topics = cfg
            .topics
            .compile()
            .map_err(|e| err("topics", format!("topics.{e}")))?;
        let groups = cfg
            .groups
            .compile()
            .map_err(|e| err("groups", format!("groups.{e}")))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| err("sidecar", format!("cannot build HTTP client: {e}")))?;
        Ok(KafkaPoller {
            cfg: cfg.clone(),
            client_config: cc,
            stats: StatsContext::default(),
            admin: None,
            group_client: None,
            direct: direct.map(Arc::new),
            quorum: Quorum::NotAsked,
            topics,
            groups,
            extra_groups: BTreeSet::new(),
            coordinators: HashMap::new(),
            seen_brokers: BTreeSet::new(),
            topic_configs: HashMap::new(),
            broker_default_min_isr: None,
            configs_at: None,
            configs_failed: false,
            config_errors: Vec::new(),
            histories: HashMap::new(),
            max_history_points: DEFAULT_MAX_POINTS,
            prev: None,
            http,
        })
    }

    /// Groups to poll even when ListConsumerGroups fails or does not list
    /// them (librdkafka's mock cluster has no ListGroups). Literal include
    /// patterns of `groups` are added automatically.
    pub fn with_groups<I: IntoIterator<Item = String>>(mut self, groups: I) -> Self {
        self.extra_groups.extend(groups);
        self
    }

    /// Whether offsets and groups go on isrwatch's own connections
    /// (`direct_requests`, and properties the direct client can honour).
    pub fn uses_direct_requests(&self) -> bool {
        self.direct.is_some()
    }

    /// Points kept per partition for lag in seconds (default 64).
    pub fn with_max_history_points(mut self, n: usize) -> Self {
        self.max_history_points = n.max(4);
        self
    }

    /// Requests sent so far per Kafka API name (e.g. `ListOffsets`,
    /// `Metadata`), summed over brokers, from librdkafka's latest statistics.
    /// `None` unless the cluster's properties set `statistics.interval.ms`.
    pub fn request_counts(&self) -> Option<BTreeMap<String, i64>> {
        self.update_stats();
        let guard = self.stats.latest.lock();
        let s = guard.as_ref()?;
        let mut out = BTreeMap::new();
        for b in s.brokers.values() {
            for (api, n) in &b.req {
                *out.entry(api.clone()).or_insert(0) += *n;
            }
        }
        Some(out)
    }

    fn update_stats(&self) {
        if let Some(a) = &self.admin {
            if let Some(json) = admin::drain_stats(a.inner()) {
                if let Ok(s) = serde_json::from_str::<Statistics>(&json) {
                    *self.stats.latest.lock() = Some(s);
                }
            }
        }
    }

    fn client(&mut self) -> Result<Arc<Admin>, String> {
        if let Some(a) = &self.admin {
            return Ok(a.clone());
        }
        let a: Admin = self
            .client_config
            .create_with_context(self.stats.clone())
            .map_err(|e| format!("cannot create Kafka client: {e}"))?;
        let a = Arc::new(a);
        self.admin = Some(a.clone());
        Ok(a)
    }

    /// The consumer-type handle for group calls (see [`GroupClient`]),
    /// created at first use.
    fn group_client(&mut self) -> Result<Arc<GroupClient>, String> {
        if let Some(c) = &self.group_client {
            return Ok(c.clone());
        }
        let mut cc = self.client_config.clone();
        if cc.get("group.id").is_none() {
            cc.set("group.id", format!("isrwatch-{}-internal", self.cfg.name));
        }
        cc.set("enable.auto.commit", "false");
        let fail = |e: rdkafka::error::KafkaError| format!("cannot create Kafka group client: {e}");
        let native = cc.create_native_config().map_err(fail)?;
        let c = Client::new(
            &cc,
            native,
            RDKafkaType::RD_KAFKA_CONSUMER,
            DefaultClientContext,
        )
        .map_err(fail)?;
        let c = Arc::new(c);
        self.group_client = Some(c.clone());
        Ok(c)
    }

    fn request_timeout(&self, deadline: Instant) -> Duration {
        self.cfg
            .request_timeout
            .0
            .min(deadline.saturating_duration_since(Instant::now()))
    }
}

/// A failed call to one broker, as a poll error.
fn broker_error(step: &str, broker: BrokerId, e: impl ToString) -> PollError {
    PollError {
        step: step.into(),
        broker: Some(broker),
        message: e.to_string(),
    }
}

fn perr(step: &str, message: impl Into<String>) -> PollError {
    PollError {
        step: step.to_string(),
        broker: None,
        message: message.into(),
    }
}

/// The direct client for a cluster, when ListOffsets and the group
/// requests go on isrwatch's own connections: `direct_requests` is on and
/// the cluster's security properties are ones the direct client applies
/// ([`Transport::for_properties`]: TLS, SASL PLAIN/SCRAM).
fn direct_client(
    cfg: &ClusterConfig,
    props: &[(String, String)],
) -> Result<Option<DirectClient>, String> {
    if !cfg.direct_requests {
        return Ok(None);
    }
    Ok(Transport::for_properties(props)?
        .map(|t| DirectClient::new(&format!("isrwatch-{}", cfg.name), t)))
}

/// Runs a blocking closure on the blocking pool with a deadline.
async fn blocking<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(
        timeout + Duration::from_secs(1),
        tokio::task::spawn_blocking(f),
    )
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("internal error: {e}")),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

#[async_trait]
impl Poller for KafkaPoller {
    async fn poll(&mut self, now: Time) -> ClusterSnapshot {
        let started = Instant::now();
        let deadline = started + self.cfg.poll_timeout.0;
        let name = self.cfg.name.clone();
        let a = match self.client() {
            Ok(a) => a,
            Err(e) => {
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("client", e),
                )
            }
        };
        let gc = match self.group_client() {
            Ok(c) => c,
            Err(e) => {
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("client", e),
                )
            }
        };
        let meta = self.metadata(&a, deadline).await;
        let meta = match meta {
            Ok(m) => m,
            Err(e) => {
                self.prev = None;
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("metadata", e),
                );
            }
        };
        let mut errors = Vec::new();
        if let Some(d) = &self.direct {
            d.set_brokers(&meta.brokers);
        }
        let live: Vec<BrokerId> = meta.brokers.iter().map(|b| b.id).collect();
        let offsets_leaders: Vec<Option<BrokerId>> = meta
            .topics
            .iter()
            .find(|t| t.name == "__consumer_offsets")
            .map(|t| t.partitions.iter().map(|p| p.leader).collect())
            .unwrap_or_default();
        let mut topics: Vec<TopicInfo> = meta
            .topics
            .into_iter()
            .filter(|t| self.topics.matches(&t.name))
            .collect();

        let api = self.group_api(&a, &gc);
        // Configs, offsets, groups and the sidecar run concurrently; each
        // request gets at most what is left of the poll's deadline.
        let configs = if self.configs_due(&topics, now) {
            Some(describe_min_isr(
                a.clone(),
                topics.iter().map(|t| t.name.clone()).collect(),
                meta.brokers.first().map(|b| b.id),
                self.cfg.request_timeout.0,
                deadline,
            ))
        } else {
            None
        };
        let configs = async {
            match configs {
                Some(f) => Some(f.await),
                None => None,
            }
        };
        let sidecar_cfg = self.cfg.sidecar.clone();
        let scrape = async {
            match &sidecar_cfg {
                Some(sc) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    Some(
                        sidecar::scrape(&self.http, &sc.url, sc.broker, sc.timeout.0.min(left))
                            .await,
                    )
                }
                None => None,
            }
        };
        let probes = self.probe_brokers(&live, deadline);
        let reassignments = self.reassignments(&live, deadline);
        let (
            config_answer,
            (updates, offset_errors),
            (mut groups, group_errors, coordinators),
            sidecar_metrics,
            probed,
            reassigning,
        ) = tokio::join!(
            configs,
            self.fetch_offsets(api.as_ref(), &topics, deadline),
            self.fetch_groups(api.as_ref(), &topics, &live, &offsets_leaders, deadline),
            scrape,
            probes,
            reassignments,
        );
        apply_reassignments(&mut topics, reassigning, &mut errors);
        self.offsets_left(&mut topics, deadline, &mut errors).await;
        let brokers_probed = probed.is_some();
        let unreachable_brokers = unreachable_brokers(probed, &mut errors);
        self.coordinators = coordinators;
        if let Some(ans) = config_answer {
            self.config_errors = ans.errors.clone();
            self.apply_configs(ans);
        }
        errors.extend(self.config_errors.iter().cloned());
        errors.extend(offset_errors);
        errors.extend(group_errors);
        for u in updates {
            let p = &mut topics[u.topic].partitions[u.partition];
            if u.high {
                p.high_watermark = Some(u.offset);
            } else {
                p.low_watermark = Some(u.offset);
            }
        }
        self.compute_lag(&topics, &mut groups, now);

        if let (Some(sc), Some(m)) = (&sidecar_cfg, &sidecar_metrics) {
            if let Some(e) = &m.error {
                errors.push(PollError {
                    step: "sidecar".into(),
                    broker: sc.broker,
                    message: e.clone(),
                });
            }
            if sc.scope_to_broker {
                if let Some(b) = sc.broker {
                    for t in topics.iter_mut() {
                        t.partitions.retain(|p| p.leader == Some(b));
                    }
                    topics.retain(|t| !t.partitions.is_empty());
                }
            }
        }

        // Derived state.
        let missing = missing_brokers(&self.seen_brokers, &topics, &live);
        self.seen_brokers.extend(live.iter().copied());
        derive_topics(
            &mut topics,
            &live,
            &self.topic_configs,
            self.broker_default_min_isr,
            self.cfg.min_insync_replicas,
        );

        let (controller, quorum) = self
            .active_controller(meta.controller, &meta.brokers, deadline, &mut errors)
            .await;
        let mut snap = ClusterSnapshot {
            cluster: name,
            taken_at: now,
            poll_duration: Duration::ZERO,
            reachable: true,
            cluster_id: meta.cluster_id,
            controller,
            brokers: meta.brokers,
            missing_brokers: missing,
            brokers_probed,
            unreachable_brokers,
            topics,
            groups,
            isr_changes: Vec::new(),
            quorum,
            sidecar: sidecar_metrics,
            errors,
        };
        if let Some(prev) = &self.prev {
            snap.isr_changes = super::isr_changes(prev, &snap, now);
        }
        self.prev = Some(ClusterSnapshot {
            reachable: true,
            topics: snap.topics.clone(),
            ..Default::default()
        });
        self.update_stats();
        // Logs and errors queue up on the group handle's main queue; nobody
        // else reads them.
        let _ = admin::drain_stats(&gc);
        release_free_memory();
        snap.poll_duration = started.elapsed();
        snap
    }
}

/// Hands memory freed during the poll back to the OS. A poll allocates in
/// many threads (tokio's blocking pool, librdkafka's broker threads), and
/// glibc keeps what each thread freed in that thread's arena: at 100,000
/// partitions this kept the daemon ~60 MiB above its live heap between
/// polls (`docs/benchmarks.md`). Costs a few milliseconds.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml_text: &str) -> ClusterConfig {
        toml::from_str(toml_text).expect("valid test config")
    }

    #[test]
    fn bad_regex_and_missing_secret_are_config_errors() {
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            topics = { include = ["("] }
        "#);
        let e = KafkaPoller::new(&c).unwrap_err().to_string();
        assert!(e.contains("topics.include[0]"), "{e}");
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            properties = { "sasl.password" = { env = "ISRWATCH_TEST_SURELY_UNSET_VAR" } }
        "#);
        let e = KafkaPoller::new(&c).unwrap_err().to_string();
        assert!(e.contains("properties.sasl.password"), "{e}");
        assert!(e.contains("ISRWATCH_TEST_SURELY_UNSET_VAR"), "{e}");
    }

    #[test]
    fn debug_output_hides_properties() {
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            properties = { "sasl.password" = "hunter2" }
        "#);
        let p = KafkaPoller::new(&c).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn unreachable_cluster_is_a_fact_not_an_error() {
        let c = cfg(r#"
            name = "down"
            bootstrap = ["127.0.0.1:1"]
            poll_timeout = "2s"
            request_timeout = "500ms"
            properties = { "log_level" = "0" }
        "#);
        let mut p = KafkaPoller::new(&c).unwrap();
        let now = chrono::Utc::now();
        let s = p.poll(now).await;
        assert!(!s.reachable);
        assert_eq!(s.cluster, "down");
        assert_eq!(s.errors[0].step, "metadata");
        assert!(s.poll_duration < Duration::from_secs(4));
    }
}
