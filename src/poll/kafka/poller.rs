//! [`KafkaPoller`]: the state it keeps across polls, its librdkafka and
//! direct clients, and the small helpers every concern file uses
//! ([`perr`], [`broker_error`], [`blocking`]). A leaf: the concern files
//! (`metadata`, `configs`, `offsets`, `groups`, `api`, `cluster`) implement
//! their part of the poller on this type, and the poll itself is in
//! `kafka/mod.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rdkafka::admin::AdminClient;
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaType;
use rdkafka::ClientConfig;

use super::super::admin;
use super::super::direct::DirectClient;
use super::super::lag::{OffsetHistory, DEFAULT_MAX_POINTS};
use super::super::poller::PollerError;
use super::super::transport::Transport;
use crate::config::{ClusterConfig, NameMatcher};
use crate::snapshot::{BrokerId, ClusterSnapshot, PollError, Time};

/// Client context keeping librdkafka's latest statistics (only emitted when
/// the `statistics.interval.ms` property is set).
#[derive(Clone, Default)]
pub(super) struct StatsContext {
    latest: Arc<Mutex<Option<Statistics>>>,
}

impl ClientContext for StatsContext {
    fn stats(&self, statistics: Statistics) {
        *self.latest.lock() = Some(statistics);
    }
}

pub(super) type Admin = AdminClient<StatsContext>;

/// The handle used for the consumer-group admin calls (describe, committed
/// offsets). It is a *consumer*-type librdkafka handle with a `group.id`
/// it never joins, because librdkafka's OffsetFetch response handler asks
/// the handle's consumer group to look up its coordinator again on
/// NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, and a producer-type handle
/// (what rdkafka's `AdminClient` is) has no consumer group: the process
/// would crash on a NULL pointer (`rd_kafka_cgrp_op`, rdkafka_request.c).
pub(super) type GroupClient = Client<DefaultClientContext>;

/// Polls one Kafka cluster through rdkafka.
///
/// Keep one per cluster across polls: it holds the client (created at the
/// first poll, reused afterwards), the `min.insync.replicas` cache, the
/// brokers seen so far, the previous ISR per partition and the end-offset
/// history used for lag in seconds.
pub struct KafkaPoller {
    pub(super) cfg: ClusterConfig,
    client_config: ClientConfig,
    stats: StatsContext,
    admin: Option<Arc<Admin>>,
    group_client: Option<Arc<GroupClient>>,
    /// isrwatch's own connections for ListOffsets, OffsetFetch and
    /// DescribeGroups (`direct_requests`; not GSSAPI or OAUTHBEARER clusters).
    pub(super) direct: Option<Arc<DirectClient>>,
    pub(super) topics: NameMatcher,
    pub(super) groups: NameMatcher,
    pub(super) extra_groups: BTreeSet<String>,
    /// Coordinator of each group, learned from the previous poll's answers.
    pub(super) coordinators: HashMap<String, BrokerId>,
    /// When each broker was last live or named in a replica list
    /// (`metadata::missing_brokers`).
    pub(super) seen_brokers: BTreeMap<BrokerId, Time>,
    pub(super) topic_configs: HashMap<String, TopicConfigs>,
    pub(super) broker_default_min_isr: Option<i32>,
    pub(super) configs_at: Option<Time>,
    pub(super) configs_failed: bool,
    /// The errors of the last DescribeConfigs round, repeated in every
    /// snapshot until a round succeeds: the configs step's output is
    /// missing (or stale) all that time, not only in the poll that asked.
    pub(super) config_errors: Vec<PollError>,
    /// (end offset, poll time) history per topic, then partition.
    pub(super) histories: HashMap<String, HashMap<i32, OffsetHistory>>,
    pub(super) max_history_points: usize,
    pub(super) prev: Option<ClusterSnapshot>,
    /// What DescribeQuorum taught (see [`KafkaPoller::active_controller`]).
    pub(super) quorum: Quorum,
    pub(super) http: reqwest::Client,
}

impl std::fmt::Debug for KafkaPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the client configuration: it holds secrets.
        f.debug_struct("KafkaPoller")
            .field("cluster", &self.cfg.name)
            .finish_non_exhaustive()
    }
}

/// What DescribeQuorum taught about the cluster's controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quorum {
    /// Not asked yet (or every attempt failed).
    NotAsked,
    /// The cluster does not offer DescribeQuorum: Metadata names the
    /// controller; not asked again.
    ZooKeeper,
    /// KRaft, and the last known active controller.
    KRaft {
        leader: Option<BrokerId>,
        /// Polls in a row in which no quorum leader answered DescribeQuorum
        /// through any broker asked (see [`QUORUM_SILENT_POLLS`]).
        silent: u32,
    },
}

/// Polls in a row without an answer from a quorum leader before the poller
/// says there is no active controller. One such poll can be an election
/// under way or a slow controller; a quorum that lost its majority stays
/// silent. Until then the last leader seen stands, and the poll error says
/// what happened.
pub(super) const QUORUM_SILENT_POLLS: u32 = 2;

/// The topic configs the rules read, as one DescribeConfigs answer gives
/// them (Kafka reports every config of a topic with its effective value);
/// read from the answer in `configs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TopicConfigs {
    /// `min.insync.replicas`.
    pub min_isr: Option<i32>,
    /// `unclean.leader.election.enable`.
    pub unclean: Option<bool>,
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
            seen_brokers: BTreeMap::new(),
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

    pub(super) fn update_stats(&self) {
        if let Some(a) = &self.admin {
            if let Some(json) = admin::drain_stats(a.inner()) {
                if let Ok(s) = serde_json::from_str::<Statistics>(&json) {
                    *self.stats.latest.lock() = Some(s);
                }
            }
        }
    }

    pub(super) fn client(&mut self) -> Result<Arc<Admin>, String> {
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
    pub(super) fn group_client(&mut self) -> Result<Arc<GroupClient>, String> {
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

    pub(super) fn request_timeout(&self, deadline: Instant) -> Duration {
        self.cfg
            .request_timeout
            .0
            .min(deadline.saturating_duration_since(Instant::now()))
    }
}

/// A failed call to one broker, as a poll error.
pub(super) fn broker_error(step: &str, broker: BrokerId, e: impl ToString) -> PollError {
    PollError {
        step: step.into(),
        broker: Some(broker),
        message: e.to_string(),
    }
}

pub(super) fn perr(step: &str, message: impl Into<String>) -> PollError {
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
pub(super) async fn blocking<T: Send + 'static>(
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
