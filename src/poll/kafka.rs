//! The rdkafka poller.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use parking_lot::Mutex;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaType;
use rdkafka::ClientConfig;

use super::admin::{self, OffsetSpec};
use super::direct::DirectClient;
use super::lag::{lag_messages, OffsetHistory, DEFAULT_MAX_POINTS};
use super::transport::Transport;
use super::{sidecar, Poller, PollerError};
use crate::config::{ClusterConfig, NameMatcher};
use crate::snapshot::{
    BrokerId, BrokerInfo, ClusterSnapshot, GroupInfo, GroupPartition, MinIsrSource, PartitionInfo,
    PollError, QuorumState, Time, TopicInfo,
};

/// Topics described per DescribeConfigs request.
const CONFIG_CHUNK: usize = 500;
/// Partitions (all led by one broker) per admin ListOffsets call; see
/// `fetch_offsets` for why calls are chunked.
const OFFSETS_CHUNK: usize = 250;
/// ListOffsets calls in flight at once, per offset kind.
const OFFSETS_CONCURRENCY: usize = 8;

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

/// What DescribeQuorum taught about the cluster's controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quorum {
    /// Not asked yet (or every attempt failed).
    NotAsked,
    /// The cluster does not offer DescribeQuorum: Metadata names the
    /// controller; not asked again.
    ZooKeeper,
    /// KRaft, and the last known active controller.
    KRaft { leader: Option<BrokerId> },
}

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

/// Metadata copied out of rdkafka.
struct RawMeta {
    brokers: Vec<BrokerInfo>,
    topics: Vec<TopicInfo>,
    controller: Option<BrokerId>,
    cluster_id: Option<String>,
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

    /// The active controller. On KRaft (every Kafka 4) Metadata names a
    /// random live broker as the controller at each request (KIP-590:
    /// clients cannot reach the controllers), which would look like a
    /// controller moving at every poll; the active controller is the leader
    /// of the metadata quorum, from DescribeQuorum. A cluster that does not
    /// offer DescribeQuorum (ZooKeeper era) is learnt once and keeps the
    /// controller Metadata names. Needs `direct_requests`; without it the
    /// Metadata answer is all there is.
    ///
    /// Returns the controller and, on KRaft, the quorum's state.
    async fn active_controller(
        &mut self,
        reported: Option<BrokerId>,
        brokers: &[BrokerInfo],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) -> (Option<BrokerId>, Option<QuorumState>) {
        let Some(direct) = self.direct.clone() else {
            return (reported, None);
        };
        if self.quorum == Quorum::ZooKeeper {
            return (reported, None);
        }
        let Some(via) = brokers.first().map(|b| b.id) else {
            return (reported, None);
        };
        match direct
            .describe_quorum(via, self.request_timeout(deadline))
            .await
        {
            Ok(None) => {
                tracing::info!(cluster = %self.cfg.name, "no DescribeQuorum: a ZooKeeper-era cluster, the controller comes from Metadata");
                self.quorum = Quorum::ZooKeeper;
                (reported, None)
            }
            Ok(Some(q)) => {
                self.quorum = Quorum::KRaft { leader: q.leader };
                (q.leader, Some(q))
            }
            Err(e) => {
                errors.push(perr("quorum", e.to_string()));
                match self.quorum {
                    // KRaft: the last leader seen, not Metadata's random pick.
                    Quorum::KRaft { leader } => (leader, None),
                    _ => (reported, None),
                }
            }
        }
    }

    /// For partitions being reassigned: asks each broker a replica is being
    /// added to what it has left to copy (DescribeLogDirs), one request per
    /// broker, concurrently. Nothing is asked when nothing moves.
    async fn offsets_left(
        &self,
        topics: &mut [TopicInfo],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) {
        let Some(d) = self.direct.as_ref() else {
            return;
        };
        let mut by_broker: BTreeMap<BrokerId, Vec<(String, i32)>> = BTreeMap::new();
        for t in topics.iter() {
            for p in &t.partitions {
                for b in &p.adding_replicas {
                    by_broker
                        .entry(*b)
                        .or_default()
                        .push((t.name.clone(), p.partition));
                }
            }
        }
        if by_broker.is_empty() {
            return;
        }
        let timeout = self.request_timeout(deadline);
        let answers = futures::future::join_all(
            by_broker
                .iter()
                .map(|(b, parts)| async move { (*b, d.offset_lags(*b, parts, timeout).await) }),
        )
        .await;
        for (b, r) in answers {
            match r {
                Ok(lags) => {
                    for (topic, partition, lag) in lags {
                        if let Some(p) = partition_mut(topics, &topic, partition) {
                            if p.adding_replicas.contains(&b) {
                                *p.reassignment_offsets_left.get_or_insert(0) += lag;
                            }
                        }
                    }
                }
                Err(e) => errors.push(broker_error("reassignments", b, e)),
            }
        }
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

fn err_name<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
        .trim_start_matches("RD_KAFKA_RESP_ERR_")
        .to_string()
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

/// True when a DescribeGroups answer is how Kafka 4 answers for a group of
/// the new consumer protocol (see `describe_new_protocol_groups`).
pub(crate) fn not_a_classic_group(
    d: &admin::GroupDescription,
    listing: Option<&admin::GroupListing>,
) -> bool {
    let not_found = d
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("GROUP_ID_NOT_FOUND"));
    let dead_but_listed =
        d.error.is_none() && d.state == "Dead" && listing.is_some_and(|l| l.state != "Dead");
    not_found || dead_but_listed
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

fn fetch_metadata(a: &Admin, timeout: Duration) -> Result<RawMeta, String> {
    let md = a
        .inner()
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("metadata request failed: {e}"))?;
    let mut brokers: Vec<BrokerInfo> = md
        .brokers()
        .iter()
        .map(|b| BrokerInfo {
            id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
            rack: None,
        })
        .collect();
    brokers.sort_by_key(|b| b.id);
    let mut topics: Vec<TopicInfo> = md
        .topics()
        .iter()
        .map(|t| {
            let mut partitions: Vec<PartitionInfo> = t
                .partitions()
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    error: p.error().map(err_name),
                    ..Default::default()
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            TopicInfo {
                name: t.name().to_string(),
                internal: t.name().starts_with("__"),
                min_insync_replicas: 0,
                min_isr_source: MinIsrSource::Unknown,
                unclean_leader_election: None,
                error: t.error().map(err_name),
                partitions,
            }
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let (controller, cluster_id) =
        admin::controller_and_cluster_id(a.inner(), Duration::from_millis(100));
    Ok(RawMeta {
        brokers,
        topics,
        controller,
        cluster_id,
    })
}

fn parse_min_isr(entries: &rdkafka::admin::ConfigResource) -> Option<i32> {
    entries
        .get("min.insync.replicas")
        .and_then(|e| e.value.as_deref())
        .and_then(|v| v.trim().parse().ok())
}

/// The topic configs the rules read, as one DescribeConfigs answer gives
/// them (Kafka reports every config of a topic with its effective value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TopicConfigs {
    /// `min.insync.replicas`.
    pub min_isr: Option<i32>,
    /// `unclean.leader.election.enable`.
    pub unclean: Option<bool>,
}

impl TopicConfigs {
    fn parse(entries: &rdkafka::admin::ConfigResource) -> Self {
        TopicConfigs {
            min_isr: parse_min_isr(entries),
            unclean: entries
                .get("unclean.leader.election.enable")
                .and_then(|e| e.value.as_deref())
                .and_then(|v| v.trim().parse().ok()),
        }
    }
}

/// One watermark found by `fetch_offsets`: indexes into the topic list.
struct OffsetUpdate {
    topic: usize,
    partition: usize,
    /// `true`: end offset (high watermark); `false`: log start offset.
    high: bool,
    offset: i64,
}

/// What one round of DescribeConfigs found.
#[derive(Default)]
struct ConfigAnswer {
    topics: HashMap<String, TopicConfigs>,
    /// `Some` when the broker default was asked for (and maybe found).
    broker_default: Option<Option<i32>>,
    failed: bool,
    errors: Vec<PollError>,
}

/// Asks `min.insync.replicas` of every topic (in chunks of
/// [`CONFIG_CHUNK`] per DescribeConfigs request), and the broker default
/// from `broker` when some topic has no value.
async fn describe_min_isr(
    a: Arc<Admin>,
    names: Vec<String>,
    broker: Option<BrokerId>,
    request_timeout: Duration,
    deadline: Instant,
) -> ConfigAnswer {
    let mut ans = ConfigAnswer::default();
    let mut refused: Vec<(String, String)> = Vec::new();
    let timeout_at = |d: Instant| request_timeout.min(d.saturating_duration_since(Instant::now()));
    for chunk in names.chunks(CONFIG_CHUNK) {
        let timeout = timeout_at(deadline);
        let opts = AdminOptions::new().request_timeout(Some(timeout));
        let specs: Vec<ResourceSpecifier> = chunk
            .iter()
            .map(|t| ResourceSpecifier::Topic(t.as_str()))
            .collect();
        match tokio::time::timeout(
            timeout + Duration::from_secs(1),
            a.describe_configs(&specs, &opts),
        )
        .await
        {
            Ok(Ok(results)) => {
                for (name, r) in chunk.iter().zip(results) {
                    match r {
                        // librdkafka hands a resource the broker answered
                        // with an error (TOPIC_AUTHORIZATION_FAILED, ...)
                        // back as one without entries; Kafka describes
                        // every config of a topic it does describe.
                        Ok(res) if res.entries.is_empty() => refused.push((
                            name.clone(),
                            "no config returned (not authorized?)".to_string(),
                        )),
                        Ok(res) => {
                            ans.topics.insert(name.clone(), TopicConfigs::parse(&res));
                        }
                        Err(e) => refused.push((name.clone(), e.to_string())),
                    }
                }
            }
            Ok(Err(e)) => {
                ans.failed = true;
                ans.errors
                    .push(perr("configs", format!("DescribeConfigs (topics): {e}")));
                break;
            }
            Err(_) => {
                ans.failed = true;
                ans.errors.push(perr(
                    "configs",
                    "DescribeConfigs (topics): no answer in time",
                ));
                break;
            }
        }
    }
    // Topics the brokers would not describe (an ACL without
    // DESCRIBE_CONFIGS, a topic deleted meanwhile): one error for all.
    if let Some((topic, first)) = refused.first() {
        ans.failed = true;
        ans.errors.push(perr(
            "configs",
            format!(
                "DescribeConfigs refused for {} of {} topics (topic {topic:?}: {first}); their min.insync.replicas is unknown",
                refused.len(),
                names.len()
            ),
        ));
    }
    let incomplete = names
        .iter()
        .any(|n| ans.topics.get(n).is_none_or(|c| c.min_isr.is_none()));
    if let (true, false, Some(b)) = (incomplete, ans.failed, broker) {
        let timeout = timeout_at(deadline);
        let opts = AdminOptions::new().request_timeout(Some(timeout));
        let spec = [ResourceSpecifier::Broker(b)];
        let fail = |message: String| PollError {
            step: "configs".into(),
            broker: Some(b),
            message,
        };
        match tokio::time::timeout(
            timeout + Duration::from_secs(1),
            a.describe_configs(&spec, &opts),
        )
        .await
        {
            Ok(Ok(mut r)) => {
                ans.broker_default = Some(match r.pop() {
                    Some(Ok(res)) => parse_min_isr(&res),
                    _ => None,
                });
            }
            Ok(Err(e)) => ans
                .errors
                .push(fail(format!("DescribeConfigs (broker): {e}"))),
            Err(_) => ans
                .errors
                .push(fail("DescribeConfigs (broker): no answer in time".into())),
        }
    }
    ans
}

impl KafkaPoller {
    /// True when the `min.insync.replicas` cache must be refreshed now
    /// (then the refresh clock restarts): when stale, or early for new
    /// topics unless the last attempt failed (then we wait for the refresh
    /// interval rather than hammer brokers that do not answer).
    fn configs_due(&mut self, topics: &[TopicInfo], now: Time) -> bool {
        let stale = match self.configs_at {
            None => true,
            Some(at) => (now - at).to_std().unwrap_or(Duration::ZERO) >= self.cfg.config_refresh.0,
        };
        let uncached = topics
            .iter()
            .any(|t| !self.topic_configs.contains_key(&t.name));
        let new_topics = uncached && !self.configs_failed;
        if stale || new_topics {
            self.configs_at = Some(now);
            true
        } else {
            false
        }
    }

    /// Stores a DescribeConfigs answer in the cache.
    fn apply_configs(&mut self, ans: ConfigAnswer) {
        self.configs_failed = ans.failed;
        if let Some(d) = ans.broker_default {
            self.broker_default_min_isr = d;
        }
        if ans.failed {
            self.topic_configs.extend(ans.topics); // keep older values too
        } else {
            self.topic_configs = ans.topics;
        }
    }

    /// Log start and end offsets of every partition with a leader.
    async fn fetch_offsets(
        &self,
        a: &Arc<Admin>,
        topics: &[TopicInfo],
        deadline: Instant,
    ) -> (Vec<OffsetUpdate>, Vec<PollError>) {
        let mut updates = Vec::new();
        let mut errors = Vec::new();
        // One admin call per chunk of partitions with the same leader:
        // librdkafka merges each response into the request list by linear
        // search (O(n^2) per call), which made one call for 100k partitions
        // cost more CPU than everything else in the poll. Grouping by leader
        // keeps each chunk to one broker request, so chunking does not
        // multiply the requests beyond one per OFFSETS_CHUNK partitions.
        // Per leader: (topic, partition) in topic and partition order, and
        // where each sits in `topics` (answers come back by position).
        type Chunk = (BrokerId, Arc<Vec<(String, i32)>>, Arc<Vec<(usize, usize)>>);
        type Parts = (Vec<(String, i32)>, Vec<(usize, usize)>);
        let mut by_leader: BTreeMap<BrokerId, Parts> = BTreeMap::new();
        for (ti, t) in topics.iter().enumerate() {
            for (pi, p) in t.partitions.iter().enumerate() {
                if let Some(l) = p.leader {
                    let e = by_leader.entry(l).or_default();
                    e.0.push((t.name.clone(), p.partition));
                    e.1.push((ti, pi));
                }
            }
        }
        if by_leader.is_empty() {
            return (updates, errors);
        }
        // The direct client takes a leader's whole list (it sends
        // `direct::OFFSETS_PER_REQUEST` partitions per request itself).
        let chunk = if self.direct.is_some() {
            usize::MAX
        } else {
            OFFSETS_CHUNK
        };
        let chunks: Vec<Chunk> = by_leader
            .into_iter()
            .flat_map(|(leader, (parts, pos))| {
                parts
                    .chunks(chunk)
                    .zip(pos.chunks(chunk))
                    .map(|(c, p)| (leader, Arc::new(c.to_vec()), Arc::new(p.to_vec())))
                    .collect::<Vec<_>>()
            })
            .collect();
        let timeout = self.request_timeout(deadline);
        let run = |spec: OffsetSpec| {
            let calls: Vec<_> = chunks
                .iter()
                .cloned()
                .map(|(leader, parts, pos): Chunk| {
                    let a = a.clone();
                    let direct = self.direct.clone();
                    async move {
                        let r = match direct {
                            Some(d) => Ok(d.list_offsets(leader, &parts, spec, timeout).await),
                            None => {
                                blocking(timeout, move || {
                                    admin::list_offsets(a.inner(), &parts, spec, timeout)
                                })
                                .await
                            }
                        };
                        (pos, r)
                    }
                })
                .collect();
            futures::stream::iter(calls)
                .buffer_unordered(OFFSETS_CONCURRENCY)
                .collect::<Vec<_>>()
        };
        let (low, high) = tokio::join!(run(OffsetSpec::Earliest), run(OffsetSpec::Latest));
        for (label, results, high) in [("earliest", low, false), ("latest", high, true)] {
            let mut lists = Vec::with_capacity(results.len());
            let mut call_errors = BTreeSet::new();
            for (pos, res) in results {
                match res {
                    Ok(Ok(l)) => lists.push((pos, l)),
                    Ok(Err(e)) => {
                        call_errors.insert(e.to_string());
                    }
                    Err(e) => {
                        call_errors.insert(e);
                    }
                }
            }
            // One error per distinct message, not one per chunk.
            for e in call_errors {
                errors.push(perr("offsets", format!("{label}: {e}")));
            }
            let mut failed = 0usize;
            let mut example = None;
            for (pos, po) in lists
                .iter()
                .flat_map(|(pos, l)| l.iter().map(move |po| (pos, po)))
            {
                let Some(&(ti, pi)) = pos.get(po.index) else {
                    continue;
                };
                match &po.offset {
                    Ok(o) if *o >= 0 => {
                        updates.push(OffsetUpdate {
                            topic: ti,
                            partition: pi,
                            high,
                            offset: *o,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failed += 1;
                        example.get_or_insert_with(|| {
                            let t = &topics[ti];
                            format!("{}[{}]: {e}", t.name, t.partitions[pi].partition)
                        });
                    }
                }
            }
            if failed > 0 {
                errors.push(perr(
                    "offsets",
                    format!(
                        "{label}: {failed} partition(s) failed, e.g. {}",
                        example.unwrap_or_default()
                    ),
                ));
            }
        }
        (updates, errors)
    }

    /// Committed offsets of `groups` at broker `b`, on the direct client when
    /// there is one, else through librdkafka on the blocking pool.
    async fn group_offsets(
        &self,
        gc: &Arc<GroupClient>,
        b: BrokerId,
        groups: Vec<String>,
        parts: Option<Arc<Vec<(String, i32)>>>,
        timeout: Duration,
    ) -> Result<Result<Vec<admin::GroupOffsets>, admin::AdminError>, String> {
        let direct = match &self.direct {
            Some(d) if d.batches_offset_fetch(b, timeout).await => Some(d),
            _ => None,
        };
        match direct {
            Some(d) => Ok(d
                .offset_fetch(b, &groups, parts.as_deref().map(|p| p.as_slice()), timeout)
                .await),
            None => {
                let a = gc.clone();
                blocking(timeout, move || {
                    admin::list_consumer_group_offsets(
                        &a,
                        &groups,
                        parts.as_deref().map(|p| p.as_slice()),
                        b,
                        timeout,
                    )
                })
                .await
            }
        }
    }

    /// Groups of the new consumer protocol (KIP-848, Kafka 4) are not
    /// "classic" groups: DescribeGroups, which the direct client sends,
    /// reports them `Dead` (v5 and older) or GROUP_ID_NOT_FOUND (v6), while
    /// librdkafka asks ConsumerGroupDescribe for them. Such answers, for
    /// groups the listing shows alive, are replaced by librdkafka's.
    async fn describe_new_protocol_groups(
        &self,
        gc: &Arc<GroupClient>,
        b: BrokerId,
        descs: &mut Vec<admin::GroupDescription>,
        listed: &BTreeMap<String, admin::GroupListing>,
        timeout: Duration,
    ) {
        let redo: Vec<String> = descs
            .iter()
            .filter(|d| not_a_classic_group(d, listed.get(&d.group)))
            .map(|d| d.group.clone())
            .collect();
        if redo.is_empty() {
            return;
        }
        let a = gc.clone();
        let ask = redo.clone();
        if let Ok(Ok(again)) = blocking(timeout, move || {
            admin::describe_consumer_groups(&a, &ask, b, timeout)
        })
        .await
        {
            let redo: HashSet<String> = redo.into_iter().collect();
            descs.retain(|d| !redo.contains(&d.group));
            descs.extend(again);
        }
    }

    /// Lists, describes and fetches committed offsets of consumer groups.
    ///
    /// Also returns the coordinator of every group that answered, for the
    /// next poll (`live` are the brokers in this poll's metadata;
    /// `offsets_leaders` the leader of each `__consumer_offsets` partition,
    /// empty when unknown).
    async fn fetch_groups(
        &self,
        a: &Arc<Admin>,
        gc: &Arc<GroupClient>,
        topics: &[TopicInfo],
        live: &[BrokerId],
        offsets_leaders: &[Option<BrokerId>],
        deadline: Instant,
    ) -> (Vec<GroupInfo>, Vec<PollError>, HashMap<String, BrokerId>) {
        let mut errors = Vec::new();
        // 1. list
        let timeout = self.request_timeout(deadline);
        let a2 = a.clone();
        let mut listed: BTreeMap<String, admin::GroupListing> = BTreeMap::new();
        match blocking(timeout, move || {
            admin::list_consumer_groups(a2.inner(), timeout)
        })
        .await
        {
            Ok(Ok(l)) => {
                // One error per broker is typical (each broker is asked):
                // report each distinct message once, with its count.
                let mut distinct: BTreeMap<String, usize> = BTreeMap::new();
                for e in l.errors {
                    *distinct.entry(e).or_default() += 1;
                }
                for (e, n) in distinct {
                    let msg = if n > 1 {
                        format!("{e} (from {n} brokers)")
                    } else {
                        e
                    };
                    errors.push(perr("groups.list", msg));
                }
                for g in l.groups {
                    listed.insert(g.group.clone(), g);
                }
            }
            Ok(Err(e)) => errors.push(perr("groups.list", e.to_string())),
            Err(e) => errors.push(perr("groups.list", e)),
        }
        let mut names: BTreeSet<String> = listed.keys().cloned().collect();
        names.extend(self.groups.literal_names().iter().cloned());
        names.extend(self.extra_groups.iter().cloned());
        let names: Vec<String> = names
            .into_iter()
            .filter(|g| self.groups.matches(g))
            .collect();
        if names.is_empty() {
            return (Vec::new(), errors, HashMap::new());
        }
        // 2. committed offsets, from each group's coordinator. librdkafka's
        // own coordinator lookup is avoided (it can crash the process when a
        // coordinator disappears, see `admin`): groups whose coordinator is
        // known and alive are asked there; the others are asked of every
        // live broker, and the one answering without a coordinator error is
        // the coordinator. A known coordinator that fails is looked for
        // again at once (second round).
        let mut coords: HashMap<String, BrokerId> = HashMap::new();
        let mut committed: HashMap<String, admin::GroupOffsets> = HashMap::new();
        let mut failures: HashMap<String, String> = HashMap::new();
        let mut ask: Vec<String> = names.to_vec();
        for round in 0..2 {
            if ask.is_empty() || live.is_empty() {
                break;
            }
            let mut calls: BTreeMap<BrokerId, Vec<String>> = BTreeMap::new();
            let mut probe: Vec<String> = Vec::new();
            for g in &ask {
                // First round: the coordinator seen last poll, else Kafka's
                // own choice (the leader of the group's __consumer_offsets
                // partition); a wrong guess only costs the second round.
                let guess = self
                    .coordinators
                    .get(g)
                    .copied()
                    .or_else(|| coordinator_hint(g, offsets_leaders))
                    .filter(|b| round == 0 && live.contains(b));
                match guess {
                    Some(b) => calls.entry(b).or_default().push(g.clone()),
                    None => probe.push(g.clone()),
                }
            }
            if !probe.is_empty() {
                for b in live {
                    calls.entry(*b).or_default().extend(probe.iter().cloned());
                }
            }
            let timeout = self.request_timeout(deadline);
            let answers =
                futures::future::join_all(calls.into_iter().map(|(b, groups)| async move {
                    (b, self.group_offsets(gc, b, groups, None, timeout).await)
                }))
                .await;
            let probed: HashSet<&String> = probe.iter().collect();
            let mut retry = Vec::new();
            for (b, r) in answers {
                match r {
                    Ok(Ok(list)) => {
                        for o in list {
                            if coords.contains_key(&o.group) {
                                continue;
                            }
                            match &o.error {
                                None => {
                                    failures.remove(&o.group);
                                    coords.insert(o.group.clone(), b);
                                    committed.insert(o.group.clone(), o);
                                }
                                Some(e) => {
                                    // A non-coordinator's answer to a probe is
                                    // expected: keep it only when nothing
                                    // more telling was seen for the group.
                                    let expected = o.not_coordinator && probed.contains(&o.group);
                                    if !expected || !failures.contains_key(&o.group) {
                                        failures
                                            .insert(o.group.clone(), format!("broker {b}: {e}"));
                                    }
                                    if !probed.contains(&o.group) {
                                        retry.push(o.group);
                                    }
                                }
                            }
                        }
                    }
                    Ok(Err(e)) => errors.push(broker_error("groups.offsets", b, e)),
                    Err(e) => errors.push(broker_error("groups.offsets", b, e)),
                }
            }
            retry.retain(|g| !coords.contains_key(g));
            ask = retry;
        }
        for g in names.iter() {
            if !coords.contains_key(g) {
                let why = failures
                    .remove(g)
                    .unwrap_or_else(|| "no broker answered".to_string());
                committed.insert(
                    g.clone(),
                    admin::GroupOffsets {
                        group: g.clone(),
                        offsets: Vec::new(),
                        error: Some(format!("no coordinator found: {why}")),
                        not_coordinator: false,
                    },
                );
            }
        }
        let by_coordinator = |groups: &mut dyn Iterator<Item = &String>| {
            let mut m: BTreeMap<BrokerId, Vec<String>> = BTreeMap::new();
            for g in groups {
                if let Some(b) = coords.get(g) {
                    m.entry(*b).or_default().push(g.clone());
                }
            }
            m
        };
        // 3. describe (state, members, assignment) at each coordinator, and
        // 3b. groups answering "nothing committed" to the all-partitions
        // form: ask again with an explicit partition list (brokers such as
        // librdkafka's mock do not implement the all-partitions form).
        let timeout = self.request_timeout(deadline);
        let describe_calls = by_coordinator(&mut names.iter());
        let listed = &listed;
        let describe =
            futures::future::join_all(describe_calls.into_iter().map(|(b, groups)| async move {
                let r = match &self.direct {
                    Some(d) => {
                        let mut r = d.describe_groups(b, &groups, timeout).await;
                        if let Ok(descs) = &mut r {
                            self.describe_new_protocol_groups(gc, b, descs, listed, timeout)
                                .await;
                        }
                        Ok(r)
                    }
                    None => {
                        let a = gc.clone();
                        blocking(timeout, move || {
                            admin::describe_consumer_groups(&a, &groups, b, timeout)
                        })
                        .await
                    }
                };
                (b, r)
            }));
        let empty: Vec<String> = names
            .iter()
            .filter(|g| {
                committed
                    .get(*g)
                    .is_some_and(|o| o.error.is_none() && o.offsets.is_empty())
            })
            .cloned()
            .collect();
        let parts: Arc<Vec<(String, i32)>> = Arc::new(
            topics
                .iter()
                .flat_map(|t| {
                    t.partitions
                        .iter()
                        .map(move |p| (t.name.clone(), p.partition))
                })
                .collect(),
        );
        let refetch_calls = if parts.is_empty() {
            BTreeMap::new()
        } else {
            by_coordinator(&mut empty.iter())
        };
        let refetch = futures::future::join_all(refetch_calls.into_iter().map(|(b, groups)| {
            let parts = parts.clone();
            async move {
                (
                    b,
                    self.group_offsets(gc, b, groups, Some(parts), timeout)
                        .await,
                )
            }
        }));
        let (described, refetched) = tokio::join!(describe, refetch);
        let mut descs: HashMap<String, admin::GroupDescription> = HashMap::new();
        for (b, r) in described {
            match r {
                Ok(Ok(d)) => {
                    let failed: Vec<&admin::GroupDescription> =
                        d.iter().filter(|g| g.error.is_some()).collect();
                    if let Some(first) = failed.first() {
                        errors.push(PollError {
                            step: "groups.describe".into(),
                            broker: Some(b),
                            message: format!(
                                "{} group(s) failed, e.g. {}: {}",
                                failed.len(),
                                first.group,
                                first.error.as_deref().unwrap_or_default()
                            ),
                        });
                    }
                    for g in d {
                        if g.not_coordinator {
                            // Moved since the offsets answer: look again next poll.
                            coords.remove(&g.group);
                        }
                        descs.insert(g.group.clone(), g);
                    }
                }
                Ok(Err(e)) => errors.push(broker_error("groups.describe", b, e)),
                Err(e) => errors.push(broker_error("groups.describe", b, e)),
            }
        }
        for (b, r) in refetched {
            match r {
                Ok(Ok(o)) => {
                    for mut g in o {
                        g.offsets.retain(|(_, _, c)| c.is_some());
                        committed.insert(g.group.clone(), g);
                    }
                }
                Ok(Err(e)) => errors.push(broker_error("groups.offsets", b, e)),
                Err(e) => errors.push(broker_error("groups.offsets", b, e)),
            }
        }
        let failed: Vec<&admin::GroupOffsets> =
            committed.values().filter(|g| g.error.is_some()).collect();
        if let Some(first) = failed.first() {
            errors.push(perr(
                "groups.offsets",
                format!(
                    "{} group(s) failed, e.g. {}: {}",
                    failed.len(),
                    first.group,
                    first.error.as_deref().unwrap_or_default()
                ),
            ));
        }
        // 4. assemble
        let topic_ok: HashSet<&str> = topics.iter().map(|t| t.name.as_str()).collect();
        let mut out = Vec::with_capacity(names.len());
        for name in names.iter() {
            let d = descs.get(name);
            let c = committed.get(name);
            let mut parts: BTreeMap<(String, i32), Option<i64>> = BTreeMap::new();
            if let Some(c) = c {
                for (t, p, off) in &c.offsets {
                    if topic_ok.contains(t.as_str()) {
                        parts.insert((t.clone(), *p), *off);
                    }
                }
            }
            if let Some(d) = d {
                for (t, p) in &d.assigned {
                    if topic_ok.contains(t.as_str()) {
                        parts.entry((t.clone(), *p)).or_insert(None);
                    }
                }
            }
            let l = listed.get(name);
            let state = d
                .filter(|d| d.error.is_none())
                .map(|d| d.state.clone())
                .or_else(|| l.map(|l| l.state.clone()))
                .unwrap_or_else(|| "Unknown".to_string());
            let simple = d.map(|d| d.simple).or(l.map(|l| l.simple));
            let error = c
                .and_then(|c| c.error.clone())
                .or_else(|| d.and_then(|d| d.error.clone()));
            out.push(GroupInfo {
                name: name.clone(),
                state,
                protocol_type: match simple {
                    Some(false) => "consumer".into(),
                    _ => String::new(),
                },
                members: d.map_or(0, |d| d.members),
                coordinator: d.and_then(|d| d.coordinator),
                partitions: parts
                    .into_iter()
                    .map(|((topic, partition), committed)| GroupPartition {
                        topic,
                        partition,
                        committed,
                        ..Default::default()
                    })
                    .collect(),
                error,
            });
        }
        (out, errors, coords)
    }

    /// Fills end offsets, lag and lag in seconds, and updates the history.
    fn compute_lag(&mut self, topics: &[TopicInfo], groups: &mut [GroupInfo], now: Time) {
        // Topics are sorted by name and partitions by id (see
        // fetch_metadata): look ends up by binary search, no hashing or
        // string copies per group-partition (200k of them at 2,000 groups).
        let end_of = |topic: &str, partition: i32| -> Option<i64> {
            let t = topics
                .binary_search_by(|t| t.name.as_str().cmp(topic))
                .ok()?;
            let ps = &topics[t].partitions;
            let i = ps.binary_search_by_key(&partition, |p| p.partition).ok()?;
            ps[i].high_watermark
        };
        // Keep histories only for partitions some group still reads.
        let mut used: HashMap<&str, HashSet<i32>> = HashMap::new();
        for g in groups.iter() {
            for p in &g.partitions {
                used.entry(p.topic.as_str())
                    .or_default()
                    .insert(p.partition);
            }
        }
        self.histories
            .retain(|topic, parts| match used.get(topic.as_str()) {
                Some(u) => {
                    parts.retain(|p, _| u.contains(p));
                    !parts.is_empty()
                }
                None => false,
            });
        let window = self.cfg.lag_history.0;
        let max_points = self.max_history_points;
        for (topic, parts) in &used {
            for &partition in parts {
                if let Some(end) = end_of(topic, partition) {
                    let per_topic = match self.histories.get_mut(*topic) {
                        Some(h) => h,
                        None => self.histories.entry(topic.to_string()).or_default(),
                    };
                    per_topic
                        .entry(partition)
                        .or_insert_with(|| OffsetHistory::new(window, max_points))
                        .record(end, now);
                }
            }
        }
        for g in groups.iter_mut() {
            for p in g.partitions.iter_mut() {
                p.end_offset = end_of(&p.topic, p.partition);
                p.lag = lag_messages(p.committed, p.end_offset);
                p.lag_seconds = match (p.committed, p.end_offset) {
                    (Some(c), Some(_)) => self
                        .histories
                        .get(p.topic.as_str())
                        .and_then(|h| h.get(&p.partition))
                        .and_then(|h| h.time_lag(c, now))
                        .map(|l| l.seconds),
                    _ => None,
                };
            }
        }
    }
}

/// The broker Kafka makes coordinator of `group`: the leader of partition
/// `abs(javaHashCode(group)) % n` of `__consumer_offsets` (n partitions,
/// leaders given in partition order), as in Kafka's
/// `GroupMetadataManager.partitionFor`. `None` when unknown.
pub(crate) fn coordinator_hint(
    group: &str,
    offsets_leaders: &[Option<BrokerId>],
) -> Option<BrokerId> {
    if offsets_leaders.is_empty() {
        return None;
    }
    // Java's String.hashCode over UTF-16 code units, wrapping.
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    // Kafka's Utils.abs: MIN_VALUE maps to 0.
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    offsets_leaders
        .get(abs as usize % offsets_leaders.len())
        .copied()
        .flatten()
}

/// Brokers seen in earlier polls or named in replica lists, but absent
/// from the live broker list; sorted.
pub(crate) fn missing_brokers(
    seen: &BTreeSet<BrokerId>,
    topics: &[TopicInfo],
    live: &[BrokerId],
) -> Vec<BrokerId> {
    let mut missing: BTreeSet<BrokerId> = seen.clone();
    for t in topics {
        for p in &t.partitions {
            missing.extend(p.replicas.iter().copied());
        }
    }
    missing.retain(|b| !live.contains(b));
    missing.into_iter().collect()
}

/// Partition `partition` of `topic` in a topic list sorted by name (each
/// topic's partitions sorted by id).
fn partition_mut<'a>(
    topics: &'a mut [TopicInfo],
    topic: &str,
    partition: i32,
) -> Option<&'a mut PartitionInfo> {
    let ti = topics
        .binary_search_by(|t| t.name.as_str().cmp(topic))
        .ok()?;
    let parts = &mut topics[ti].partitions;
    let pi = parts
        .binary_search_by_key(&partition, |p| p.partition)
        .ok()?;
    Some(&mut parts[pi])
}

/// Sets each topic's effective `min.insync.replicas` (topic value, else
/// broker default, else the configured `fallback`, else unknown: never a
/// guess) and `unclean.leader.election.enable`, and derives every
/// partition's state. `live` must be sorted.
pub(crate) fn derive_topics(
    topics: &mut [TopicInfo],
    live: &[BrokerId],
    configs: &HashMap<String, TopicConfigs>,
    broker_default: Option<i32>,
    fallback: Option<i32>,
) {
    for t in topics.iter_mut() {
        let c = configs.get(&t.name).copied().unwrap_or_default();
        let (min_isr, source) = match (c.min_isr.or(broker_default), fallback) {
            (Some(m), _) => (m, MinIsrSource::Cluster),
            (None, Some(m)) => (m, MinIsrSource::Configured),
            (None, None) => (0, MinIsrSource::Unknown),
        };
        t.min_insync_replicas = min_isr;
        t.min_isr_source = source;
        t.unclean_leader_election = c.unclean;
        for p in t.partitions.iter_mut() {
            p.derive(min_isr, live);
        }
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
        // Metadata: without it the cluster counts as unreachable.
        // A broker that just died may still look connected to librdkafka,
        // which can pick it for this request: then the request fails or
        // times out, the broker is marked down, and a second attempt goes to
        // another broker. So the first attempt gets at most half of what is
        // left of the poll, and the poll gives up only after a third one
        // (or when the deadline leaves no time): a broker that accepts
        // connections but never answers can be picked twice.
        let mut attempt = 0;
        let meta = loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = if attempt == 1 {
                self.cfg.request_timeout.0.min(left / 2)
            } else {
                self.cfg.request_timeout.0.min(left)
            };
            let a2 = a.clone();
            let r = match blocking(timeout, move || fetch_metadata(&a2, timeout)).await {
                Ok(Ok(m)) => Ok(m),
                Ok(Err(e)) | Err(e) => Err(e),
            };
            match r {
                Err(_)
                    if attempt < 3
                        && deadline.saturating_duration_since(Instant::now())
                            > Duration::from_millis(100) =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                r => break r,
            }
        };
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
        let probes = async {
            let d = self.direct.as_ref()?;
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = self.cfg.request_timeout.0.min(left);
            Some(
                futures::future::join_all(
                    live.iter()
                        .map(|&b| async move { (b, d.probe(b, timeout).await) }),
                )
                .await,
            )
        };
        let reassignments = async {
            let d = self.direct.as_ref()?;
            let b = *live.first()?;
            let left = deadline.saturating_duration_since(Instant::now());
            Some(
                d.list_partition_reassignments(b, self.cfg.request_timeout.0.min(left))
                    .await,
            )
        };
        let (
            config_answer,
            (updates, offset_errors),
            (mut groups, group_errors, coordinators),
            sidecar_metrics,
            probed,
            reassigning,
        ) = tokio::join!(
            configs,
            self.fetch_offsets(&a, &topics, deadline),
            self.fetch_groups(&a, &gc, &topics, &live, &offsets_leaders, deadline),
            scrape,
            probes,
            reassignments,
        );
        match reassigning {
            Some(Ok(Some(list))) => {
                for r in list {
                    if let Some(p) = partition_mut(&mut topics, &r.topic, r.partition) {
                        p.adding_replicas = r.adding;
                        p.removing_replicas = r.removing;
                    }
                }
            }
            Some(Err(e)) => errors.push(perr("reassignments", e.to_string())),
            // Not offered by the brokers, or no direct client: unknown.
            Some(Ok(None)) | None => {}
        }
        self.offsets_left(&mut topics, deadline, &mut errors).await;
        let brokers_probed = probed.is_some();
        let mut unreachable_brokers = Vec::new();
        for (b, r) in probed.into_iter().flatten() {
            if let Err(message) = r {
                unreachable_brokers.push(b);
                errors.push(PollError {
                    step: "brokers".into(),
                    broker: Some(b),
                    message: format!("broker {b} does not answer: {message}"),
                });
            }
        }
        unreachable_brokers.sort_unstable();
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

    fn topic(name: &str, parts: &[(Option<i32>, &[i32], &[i32])]) -> TopicInfo {
        TopicInfo {
            name: name.into(),
            partitions: parts
                .iter()
                .enumerate()
                .map(|(i, (leader, replicas, isr))| PartitionInfo {
                    partition: i as i32,
                    leader: *leader,
                    replicas: replicas.to_vec(),
                    isr: isr.to_vec(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_partition_state_from_hand_built_metadata() {
        let live = [1, 2, 3];
        let mut topics = vec![topic(
            "t",
            &[
                (Some(1), &[1, 2, 3], &[1, 2, 3]), // 0 healthy
                (Some(1), &[1, 2, 3], &[1, 2]),    // 1 under-replicated, at min ISR
                (Some(1), &[1, 2, 3], &[1]),       // 2 under min ISR
                (None, &[1, 2, 3], &[1]),          // 3 offline
                (Some(2), &[1, 2, 3], &[1, 2, 3]), // 4 leader not preferred
                (Some(1), &[1, 4], &[1]),          // 5 replica on missing broker 4
            ],
        )];
        let mut min = HashMap::new();
        min.insert("t".to_string(), min_isr(2));
        derive_topics(&mut topics, &live, &min, None, None);
        let st: Vec<_> = topics[0].partitions.iter().map(|p| p.state).collect();
        assert_eq!(topics[0].min_insync_replicas, 2);
        assert_eq!(st[0], Default::default());
        assert!(st[1].under_replicated && st[1].at_min_isr && !st[1].under_min_isr);
        assert!(st[2].under_min_isr && !st[2].at_min_isr);
        assert!(st[3].offline && !st[3].under_min_isr && !st[3].leader_not_preferred);
        assert!(st[4].leader_not_preferred && !st[4].under_replicated);
        assert!(st[5].replica_on_missing_broker && st[5].under_replicated);
        assert_eq!(missing_brokers(&BTreeSet::new(), &topics, &live), vec![4]);
    }

    fn min_isr(v: i32) -> TopicConfigs {
        TopicConfigs {
            min_isr: Some(v),
            unclean: None,
        }
    }

    #[test]
    fn min_isr_falls_back_to_broker_default_then_the_configured_value() {
        let mut topics = vec![
            topic("a", &[(Some(1), &[1, 2], &[1, 2])]),
            topic("b", &[(Some(1), &[1, 2], &[1])]),
        ];
        let mut min = HashMap::new();
        min.insert("a".to_string(), min_isr(3));
        derive_topics(&mut topics, &[1, 2], &min, Some(2), None);
        assert_eq!(topics[0].min_insync_replicas, 3);
        assert!(topics[0].partitions[0].state.under_min_isr);
        assert_eq!(topics[1].min_insync_replicas, 2);
        assert!(topics[1].partitions[0].state.under_min_isr);
        // The cluster does not tell: no state from a guess...
        derive_topics(&mut topics, &[1, 2], &HashMap::new(), None, None);
        assert_eq!(topics[1].min_isr_source, MinIsrSource::Unknown);
        let st = topics[1].partitions[0].state;
        assert!(!st.at_min_isr && !st.under_min_isr && st.under_replicated);
        // ... unless the configuration gives a fallback, labelled as such.
        derive_topics(&mut topics, &[1, 2], &HashMap::new(), None, Some(1));
        assert_eq!(topics[1].min_isr_source, MinIsrSource::Configured);
        assert!(topics[1].partitions[0].state.at_min_isr);
    }

    #[test]
    fn kip_848_groups_are_recognised_in_classic_answers() {
        let d = |state: &str, error: Option<&str>| admin::GroupDescription {
            group: "g".into(),
            state: state.into(),
            simple: false,
            coordinator: None,
            members: 0,
            assigned: Vec::new(),
            error: error.map(String::from),
            not_coordinator: false,
        };
        let l = |state: &str| admin::GroupListing {
            group: "g".into(),
            state: state.into(),
            simple: false,
        };
        let v6 = d(
            "Unknown",
            Some("GROUP_ID_NOT_FOUND: DescribeConsumerGroups: Broker: ..."),
        );
        assert!(not_a_classic_group(&v6, None));
        assert!(not_a_classic_group(&d("Dead", None), Some(&l("Stable"))));
        // A group really gone, or alive and classic, is left alone.
        assert!(!not_a_classic_group(&d("Dead", None), None));
        assert!(!not_a_classic_group(&d("Dead", None), Some(&l("Dead"))));
        assert!(!not_a_classic_group(&d("Stable", None), Some(&l("Stable"))));
    }

    #[test]
    fn coordinator_hint_follows_kafkas_partition_choice() {
        // Java: "billing".hashCode() == -109829509; abs % 50 == 9.
        let mut leaders = vec![Some(1); 50];
        leaders[9] = Some(7);
        assert_eq!(coordinator_hint("billing", &leaders), Some(7));
        // hashCode == Integer.MIN_VALUE: Kafka's Utils.abs gives 0.
        leaders[0] = Some(3);
        assert_eq!(coordinator_hint("polygenelubricants", &leaders), Some(3));
        leaders[0] = None;
        assert_eq!(coordinator_hint("polygenelubricants", &leaders), None);
        assert_eq!(coordinator_hint("billing", &[]), None);
    }

    #[test]
    fn brokers_seen_before_stay_missing_until_back() {
        let seen: BTreeSet<i32> = [1, 2, 3].into_iter().collect();
        let topics = vec![topic("t", &[(Some(1), &[1, 2], &[1, 2])])];
        assert_eq!(missing_brokers(&seen, &topics, &[1, 2]), vec![3]);
        assert!(missing_brokers(&seen, &topics, &[1, 2, 3]).is_empty());
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
