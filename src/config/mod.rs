//! The configuration file: TOML, unknown keys rejected, validated without
//! any I/O before anything starts.
//!
//! Each stage owns its section type (`evaluate::RulesConfig`,
//! `notify::NotifierConfig`, ...); this module composes them, parses the
//! file and reports every problem at once with its key path and line.

use std::time::Duration;

use serde::Deserialize;

/// One validation problem: where (key path and line) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path, e.g. `clusters[1].poll_interval`.
    pub path: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        Ok(())
    }
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            line: None,
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.0 {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// A secret value: inline, from an environment variable, or from a file.
/// Its `Debug` never shows the value.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Secret {
    Env { env: String },
    File { file: String },
    Inline(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Env { env } => write!(f, "Secret(env {env})"),
            Secret::File { file } => write!(f, "Secret(file {file})"),
            Secret::Inline(_) => write!(f, "Secret(inline, redacted)"),
        }
    }
}

impl Secret {
    /// Reads the value (environment or file I/O happens here, at start-up,
    /// after validation).
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            Secret::Inline(v) => Ok(v.clone()),
            Secret::Env { env } => {
                std::env::var(env).map_err(|_| format!("environment variable {env} is not set"))
            }
            Secret::File { file } => std::fs::read_to_string(file)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| format!("cannot read secret file {file}: {e}")),
        }
    }
}

/// Parses a duration like `15s`, `500ms`, `2m`, `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| format!("expected a duration like \"15s\", found {s:?}"))
}

/// A duration in the configuration, written like `"15s"`, `"500ms"`, `"2m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub Duration);

impl Dur {
    pub const fn secs(s: u64) -> Self {
        Dur(Duration::from_secs(s))
    }
    pub const fn millis(ms: u64) -> Self {
        Dur(Duration::from_millis(ms))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        match &v {
            toml::Value::String(s) => parse_duration(s).map(Dur).map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a duration like \"15s\", found {other}"
            ))),
        }
    }
}

impl serde::Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

/// Include/exclude name patterns (regular expressions, anchored).
/// An empty `include` means everything.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct NameFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// A librdkafka property value: plain, or a secret from env/file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum PropertyValue {
    Plain(String),
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
    #[serde(default)]
    pub scope_to_broker: bool,
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
    /// How long the (end offset, time) history used for lag in seconds reaches back.
    #[serde(default = "default_lag_history")]
    pub lag_history: Dur,
    #[serde(default)]
    pub topics: NameFilter,
    #[serde(default)]
    pub groups: NameFilter,
    /// librdkafka properties passed through (`security.protocol`, `sasl.*`, `ssl.*`).
    #[serde(default)]
    pub properties: std::collections::BTreeMap<String, PropertyValue>,
    pub sidecar: Option<SidecarConfig>,
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
