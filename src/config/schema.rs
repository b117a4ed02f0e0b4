//! The configuration file's tree: [`Config`], its `[daemon]` and
//! `[[clusters]]` sections (the other sections are their stages' own
//! types). A leaf of this module: loading, validation, scaling and the demo
//! configuration import it, not the module's facade.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::base::{Dur, NameFilter, Problem, Problems, Secret};

/// The whole configuration file. Unknown keys anywhere are errors.
///
/// Only `[[clusters]]` is required (at least one entry); every other section
/// has defaults. Load it with [`super::load`] or [`super::parse`], which also run
/// [`Config::validate`].
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[[clusters]]`: the Kafka clusters to watch.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// `[http]`: `/metrics` and the status API.
    #[serde(default)]
    pub http: crate::http::HttpConfig,
    /// `[rules]`: thresholds of the replication and lag rules.
    #[serde(default)]
    pub rules: crate::evaluate::RulesConfig,
    /// `[anomaly]`: the streaming anomaly detector.
    #[serde(default)]
    pub anomaly: crate::detect::DetectorConfig,
    /// `[incidents]`: grouping, lifecycle, silences.
    #[serde(default)]
    pub incidents: crate::incident::IncidentConfig,
    /// `[[notifiers]]`: where notifications go.
    #[serde(default)]
    pub notifiers: Vec<crate::notify::NotifierConfig>,
    /// `[llm]`: optional LLM summaries; absent means template text only.
    #[serde(default)]
    pub llm: Option<crate::summarize::LlmConfig>,
    /// `[daemon]`: process-level settings.
    #[serde(default)]
    pub daemon: DaemonConfig,
}

/// `[daemon]`: settings of the process itself.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Where durable state (the notification outbox, ...) lives.
    /// Default `.isrwatch-state` (relative to the working directory).
    pub state_dir: PathBuf,
    /// How long a shutdown (SIGINT/SIGTERM) may take before the remaining
    /// tasks are abandoned. Default `10s`.
    pub shutdown_timeout: Dur,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            state_dir: PathBuf::from(".isrwatch-state"),
            shutdown_timeout: Dur::secs(10),
        }
    }
}

/// A complete, commented example configuration (`isrwatch config example`).
/// It parses and validates (a test checks it).
pub fn example() -> &'static str {
    include_str!("example.toml")
}

/// Reads a configuration file from disk; see [`parse`]. A file that cannot
/// be read is one problem naming the file.
pub(crate) fn read_file(path: &Path) -> Result<String, Problems> {
    std::fs::read_to_string(path).map_err(|e| {
        Problems(vec![Problem {
            path: path.display().to_string(),
            line: None,
            message: format!("cannot read the configuration file: {e}"),
        }])
    })
}

/// A librdkafka property value: plain, or a secret from env/file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum PropertyValue {
    /// `"value"` written in the file.
    Plain(String),
    /// `{ env = "VAR" }` or `{ file = "/path" }`.
    Secret(Secret),
}

/// The optional sidecar source: a broker's local JMX-exporter endpoint.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SidecarConfig {
    /// e.g. `http://127.0.0.1:7071/metrics`
    pub url: String,
    /// The broker this sidecar sits next to. When set with `scope_to_broker`,
    /// only partitions this broker leads are reported.
    pub broker: Option<i32>,
    /// Report only what `broker` leads (one sidecar per broker splits the work).
    #[serde(default)]
    pub scope_to_broker: bool,
    /// Deadline of one scrape. Default `2s`.
    #[serde(default = "default_sidecar_timeout")]
    pub timeout: Dur,
}

fn default_sidecar_timeout() -> Dur {
    Dur::secs(2)
}

/// One `[[clusters]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Unique name, used as the `cluster` label everywhere.
    pub name: String,
    /// `host:port` list.
    pub bootstrap: Vec<String>,
    /// Time between the starts of two polls. Default `15s`.
    #[serde(default = "default_poll_interval")]
    pub poll_interval: Dur,
    /// Deadline for one whole poll.
    #[serde(default = "default_poll_timeout")]
    pub poll_timeout: Dur,
    /// Deadline for one Kafka request.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Dur,
    /// How often `min.insync.replicas` (DescribeConfigs) is refreshed.
    #[serde(default = "default_config_refresh")]
    pub config_refresh: Dur,
    /// `min.insync.replicas` to assume for topics when the cluster does not
    /// tell (DescribeConfigs refused by an ACL, or not offered). Unset
    /// (default): unknown, and no under- or at-min-ISR finding is made from
    /// a guess; set: findings are labelled `min_isr_source = configured`.
    #[serde(default)]
    pub min_insync_replicas: Option<i32>,
    /// How long the (end offset, time) history used for lag in seconds reaches back.
    #[serde(default = "default_lag_history")]
    pub lag_history: Dur,
    /// How long a broker absent from the metadata is still reported down
    /// once no replica list names it (and it was last live that long ago):
    /// a broker decommissioned or replaced is then forgotten, and its
    /// incident resolves. While a replica list names it, it stays down.
    /// Default `4m`, shorter than `[incidents] for_info`, so a planned
    /// decommission (replicas moved away, then the broker stopped)
    /// notifies nothing.
    #[serde(default = "default_forget_broker_after")]
    pub forget_broker_after: Dur,
    /// Which topics are watched.
    #[serde(default)]
    pub topics: NameFilter,
    /// Which consumer groups are watched (by default all but
    /// `console-consumer-.*`, see [`default_group_filter`]).
    #[serde(default = "default_group_filter")]
    pub groups: NameFilter,
    /// Send ListOffsets, OffsetFetch and DescribeGroups on isrwatch's own
    /// connections instead of librdkafka's admin API (several times less
    /// CPU on big clusters), with TLS and SASL PLAIN/SCRAM as the
    /// properties say (see `poll::transport`); GSSAPI and OAUTHBEARER
    /// clusters always use librdkafka.
    /// Default true.
    #[serde(default = "default_true")]
    pub direct_requests: bool,
    /// librdkafka properties passed through (`security.protocol`, `sasl.*`, `ssl.*`).
    #[serde(default)]
    pub properties: std::collections::BTreeMap<String, PropertyValue>,
    /// Optional broker-local JMX-exporter source.
    pub sidecar: Option<SidecarConfig>,
}

impl ClusterConfig {
    /// A cluster entry with every default, for `isrwatch check --bootstrap`
    /// without a configuration file.
    pub fn with_bootstrap(name: &str, bootstrap: Vec<String>) -> Self {
        ClusterConfig {
            name: name.to_string(),
            bootstrap,
            poll_interval: default_poll_interval(),
            poll_timeout: default_poll_timeout(),
            request_timeout: default_request_timeout(),
            config_refresh: default_config_refresh(),
            min_insync_replicas: None,
            lag_history: default_lag_history(),
            forget_broker_after: default_forget_broker_after(),
            topics: NameFilter::default(),
            groups: default_group_filter(),
            direct_requests: true,
            properties: Default::default(),
            sidecar: None,
        }
    }

    /// The librdkafka client properties: `bootstrap.servers` first, then
    /// every `properties` entry with its secrets resolved (environment or
    /// file I/O happens here, after validation). The error names the
    /// property and where the secret should have come from, never a value.
    pub fn client_properties(&self) -> Result<Vec<(String, String)>, String> {
        let mut out = vec![("bootstrap.servers".to_string(), self.bootstrap.join(","))];
        out.extend(
            self.resolved_properties()
                .map_err(|(k, e)| format!("cluster {:?}, property {k}: {e}", self.name))?,
        );
        Ok(out)
    }

    /// The `properties` entries with their secrets resolved, in order. The
    /// error is the property's name and why its secret could not be read.
    pub fn resolved_properties(&self) -> Result<Vec<(String, String)>, (String, String)> {
        self.properties
            .iter()
            .map(|(k, v)| match v {
                PropertyValue::Plain(s) => Ok((k.clone(), s.clone())),
                PropertyValue::Secret(secret) => secret
                    .resolve()
                    .map(|value| (k.clone(), value))
                    .map_err(|e| (k.clone(), e)),
            })
            .collect()
    }
}

fn default_true() -> bool {
    true
}
fn default_poll_interval() -> Dur {
    Dur::secs(15)
}
fn default_poll_timeout() -> Dur {
    Dur::secs(10)
}
fn default_request_timeout() -> Dur {
    Dur::secs(5)
}
fn default_config_refresh() -> Dur {
    Dur::secs(300)
}
fn default_lag_history() -> Dur {
    Dur::secs(6 * 3600)
}
/// Every group but those kafka-console-consumer.sh names for a session
/// (`console-consumer-NNNNN`): an engineer's look at a topic leaves such a
/// group Empty with lag, which is no outage (Burrow's default denylist
/// excludes them too).
pub(crate) fn default_group_filter() -> NameFilter {
    NameFilter {
        include: Vec::new(),
        exclude: vec!["console-consumer-.*".to_string()],
    }
}

fn default_forget_broker_after() -> Dur {
    Dur::secs(240)
}
