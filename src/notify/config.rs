//! One `[[notifiers]]` entry ([`NotifierConfig`]), its checks, and the
//! notifier it builds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::notifier::Notifier;
use super::{AlertmanagerNotifier, Clock, LogNotifier, SlackNotifier, WebhookNotifier};
use crate::config::base::{Dur, Problems, Secret};
use crate::finding::{FindingKind, Severity};
use crate::model::{Notification, NotifyReason};

/// Which kind of destination a `[[notifiers]]` entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifierKind {
    Webhook,
    Slack,
    Alertmanager,
    Log,
}

impl NotifierKind {
    /// The name used in the `type` key.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifierKind::Webhook => "webhook",
            NotifierKind::Slack => "slack",
            NotifierKind::Alertmanager => "alertmanager",
            NotifierKind::Log => "log",
        }
    }
}

/// One `[[notifiers]]` entry: where to send, what to send there, and how
/// hard to try.
///
/// ```toml
/// [[notifiers]]
/// name = "oncall-slack"
/// type = "slack"
/// url = { env = "SLACK_WEBHOOK_URL" }   # or a plain string
/// min_severity = "warning"
/// clusters = ["prod-.*"]
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NotifierConfig {
    /// Unique name: metrics label, outbox key, log field.
    pub name: String,
    /// `webhook`, `slack`, `alertmanager` or `log`.
    #[serde(rename = "type")]
    pub kind: NotifierKind,
    /// Destination URL (required except for `log`). For Alertmanager the
    /// base URL, e.g. `http://alertmanager:9093`. Slack webhook URLs are
    /// secrets, so a `{ env = ... }` / `{ file = ... }` form is accepted.
    pub url: Option<Secret>,
    /// HMAC-SHA256 signing secret (required for `webhook`).
    pub secret: Option<Secret>,
    /// Only notifications at or above this severity (default: all).
    pub min_severity: Option<Severity>,
    /// Cluster name patterns (anchored regular expressions); empty = all.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Incident kinds (e.g. `broker_down`); empty = all.
    #[serde(default)]
    pub kinds: Vec<FindingKind>,
    /// Incident labels that must all be present with these values.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Deadline of one HTTP attempt. Default `10s`.
    #[serde(default = "default_timeout")]
    pub timeout: Dur,
    /// Attempts after the first before giving up. Default 20.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Give up retrying one notification after this long. Default `15m`.
    #[serde(default = "default_max_retry_time")]
    pub max_retry_time: Dur,
    /// First backoff delay (doubled each retry, with jitter). Default `1s`.
    #[serde(default = "default_backoff_initial")]
    pub backoff_initial: Dur,
    /// Largest backoff delay. Default `60s`.
    #[serde(default = "default_backoff_max")]
    pub backoff_max: Dur,
    /// Most deliveries per minute to this destination (token bucket, burst
    /// of the same size). Default: unlimited.
    pub rate_limit: Option<u32>,
    /// Dashboard link put in Slack messages and Alertmanager `generatorURL`.
    pub dashboard_url: Option<String>,
    /// isrwatch's own API base URL, e.g. `http://isrwatch:8080`, for links.
    pub api_base_url: Option<String>,
    /// Also send resolve notifications. Default true.
    #[serde(default = "default_true")]
    pub send_resolved: bool,
    /// Alertmanager only: `endsAt` of a firing alert is now + this, so that
    /// Alertmanager resolves it by itself if isrwatch stops re-sending.
    /// Default `5m`; the daemon must re-send firing alerts more often
    /// (see [`super::Dispatcher::refresh`]).
    #[serde(default = "default_resolve_timeout")]
    pub resolve_timeout: Dur,
}

/// How often the daemon re-sends firing incidents to Alertmanager (and
/// expires silences): every `resolve_timeout / 2` of the Alertmanager
/// notifier with the shortest one, so that no firing alert reaches its
/// `endsAt` and resolves by itself between two refreshes; at most every
/// 60 s (silence expiry), at least every 100 ms.
pub fn refresh_interval(notifiers: &[NotifierConfig]) -> std::time::Duration {
    let max = std::time::Duration::from_secs(60);
    notifiers
        .iter()
        .filter(|n| n.kind == NotifierKind::Alertmanager)
        .map(|n| n.resolve_timeout.0 / 2)
        .min()
        .unwrap_or(max)
        .clamp(std::time::Duration::from_millis(100), max)
}

fn default_timeout() -> Dur {
    Dur::secs(10)
}
fn default_max_retries() -> u32 {
    20
}
fn default_max_retry_time() -> Dur {
    Dur::secs(15 * 60)
}
fn default_backoff_initial() -> Dur {
    Dur::secs(1)
}
fn default_backoff_max() -> Dur {
    Dur::secs(60)
}
fn default_true() -> bool {
    true
}
fn default_resolve_timeout() -> Dur {
    Dur::secs(300)
}

impl NotifierConfig {
    /// A configuration with every default, for code and tests.
    pub fn new(name: &str, kind: NotifierKind, url: Option<&str>) -> Self {
        NotifierConfig {
            name: name.to_string(),
            kind,
            url: url.map(|u| Secret::Inline(u.to_string())),
            secret: None,
            min_severity: None,
            clusters: Vec::new(),
            kinds: Vec::new(),
            match_labels: BTreeMap::new(),
            timeout: default_timeout(),
            max_retries: default_max_retries(),
            max_retry_time: default_max_retry_time(),
            backoff_initial: default_backoff_initial(),
            backoff_max: default_backoff_max(),
            rate_limit: None,
            dashboard_url: None,
            api_base_url: None,
            send_resolved: true,
            resolve_timeout: default_resolve_timeout(),
        }
    }

    /// Checks the entry without I/O (environment and file secrets are not
    /// read here). `path` is the key path, e.g. `notifiers[2]`.
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        if self.name.trim().is_empty() {
            problems.push(format!("{path}.name"), "must not be empty");
        }
        match (&self.kind, &self.url) {
            (NotifierKind::Log, _) => {}
            (kind, None) => problems.push(
                format!("{path}.url"),
                format!("required for type = \"{}\"", kind.as_str()),
            ),
            (_, Some(Secret::Inline(u))) => check_url(&format!("{path}.url"), u, problems),
            (_, Some(_)) => {}
        }
        if self.kind == NotifierKind::Webhook && self.secret.is_none() {
            problems.push(
                format!("{path}.secret"),
                "required for type = \"webhook\" (receivers verify the signature with it)",
            );
        }
        if let Some(Secret::Inline(s)) = &self.secret {
            if s.is_empty() {
                problems.push(format!("{path}.secret"), "must not be empty");
            }
        }
        for (i, pat) in self.clusters.iter().enumerate() {
            if let Err(e) = regex::Regex::new(&format!("^(?:{pat})$")) {
                problems.push(
                    format!("{path}.clusters[{i}]"),
                    format!("invalid pattern {pat:?}: {e}"),
                );
            }
        }
        for (key, u) in [
            ("dashboard_url", &self.dashboard_url),
            ("api_base_url", &self.api_base_url),
        ] {
            if let Some(u) = u {
                check_url(&format!("{path}.{key}"), u, problems);
            }
        }
        if self.timeout.0.is_zero() {
            problems.push(format!("{path}.timeout"), "must be greater than 0");
        }
        if self.backoff_initial.0.is_zero() {
            problems.push(format!("{path}.backoff_initial"), "must be greater than 0");
        }
        if self.backoff_max < self.backoff_initial {
            problems.push(
                format!("{path}.backoff_max"),
                "must not be smaller than backoff_initial",
            );
        }
        if self.rate_limit == Some(0) {
            problems.push(
                format!("{path}.rate_limit"),
                "must be at least 1 per minute (leave it out for no limit)",
            );
        }
        if self.kind == NotifierKind::Alertmanager
            && self.resolve_timeout.0 < Duration::from_secs(1)
        {
            problems.push(format!("{path}.resolve_timeout"), "must be at least 1s");
        }
    }

    /// Validates a whole `[[notifiers]]` list, including unique names.
    pub fn validate_all(list: &[NotifierConfig], problems: &mut Problems) {
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in list.iter().enumerate() {
            let path = format!("notifiers[{i}]");
            n.validate(&path, problems);
            if !seen.insert(n.name.as_str()) {
                problems.push(
                    format!("{path}.name"),
                    format!("duplicate notifier name {:?}", n.name),
                );
            }
        }
    }

    /// True when this destination wants `n` (severity, cluster, kind,
    /// labels, and `send_resolved`).
    pub fn routes(&self, n: &Notification) -> bool {
        let inc = &n.incident;
        if n.reason == NotifyReason::Resolved && !self.send_resolved {
            return false;
        }
        if let Some(min) = self.min_severity {
            if inc.severity < min {
                return false;
            }
        }
        if !self.clusters.is_empty()
            && !self.clusters.iter().any(|p| {
                regex::Regex::new(&format!("^(?:{p})$"))
                    .map(|re| re.is_match(&inc.cluster))
                    .unwrap_or(false)
            })
        {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&inc.kind) {
            return false;
        }
        self.match_labels
            .iter()
            .all(|(k, v)| inc.labels.get(k) == Some(v))
    }
}

fn check_url(path: &str, u: &str, problems: &mut Problems) {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => {}
        Ok(url) => problems.push(
            path,
            format!(
                "expected an http:// or https:// URL, found scheme {:?}",
                url.scheme()
            ),
        ),
        Err(e) => problems.push(path, format!("not a valid URL ({e})")),
    }
}

/// The destinations `isrwatch demo --webhook URL --slack-webhook URL
/// --alertmanager URL` adds, plus a log notifier. The webhook is signed
/// with `webhook_secret` (print it so the user can verify signatures).
pub fn demo_notifiers(
    webhook: Option<&str>,
    webhook_secret: &str,
    slack: Option<&str>,
    alertmanager: Option<&str>,
    api_base_url: Option<&str>,
) -> Vec<NotifierConfig> {
    let mut out = vec![NotifierConfig::new("log", NotifierKind::Log, None)];
    let mut add = |name: &str, kind, url: Option<&str>| {
        if let Some(u) = url {
            let mut c = NotifierConfig::new(name, kind, Some(u));
            c.api_base_url = api_base_url.map(str::to_string);
            c.max_retry_time = Dur::secs(60);
            if kind == NotifierKind::Webhook {
                c.secret = Some(Secret::Inline(webhook_secret.to_string()));
            }
            out.push(c);
        }
    };
    add("webhook", NotifierKind::Webhook, webhook);
    add("slack", NotifierKind::Slack, slack);
    add("alertmanager", NotifierKind::Alertmanager, alertmanager);
    out
}

/// Builds the notifier a configuration entry describes. Reads secrets
/// (environment/file), so call it at start-up after validation.
pub fn build_notifier(cfg: &NotifierConfig, clock: Clock) -> Result<Arc<dyn Notifier>, String> {
    let url = match &cfg.url {
        Some(s) => Some(
            s.resolve()
                .map_err(|e| format!("notifier {:?}: url: {e}", cfg.name))?,
        ),
        None => None,
    };
    let need_url = || {
        url.clone()
            .ok_or_else(|| format!("notifier {:?}: url is required", cfg.name))
    };
    Ok(match cfg.kind {
        NotifierKind::Log => Arc::new(LogNotifier::new(&cfg.name)),
        NotifierKind::Webhook => {
            let secret = cfg
                .secret
                .as_ref()
                .ok_or_else(|| format!("notifier {:?}: secret is required", cfg.name))?
                .resolve()
                .map_err(|e| format!("notifier {:?}: secret: {e}", cfg.name))?;
            Arc::new(WebhookNotifier::new(
                &cfg.name,
                &need_url()?,
                secret.into_bytes(),
                cfg.timeout.0,
                clock,
            )?)
        }
        NotifierKind::Slack => Arc::new(
            SlackNotifier::new(&cfg.name, &need_url()?, cfg.timeout.0)?
                .with_links(cfg.api_base_url.clone(), cfg.dashboard_url.clone())
                .with_clock(clock),
        ),
        NotifierKind::Alertmanager => Arc::new(
            AlertmanagerNotifier::new(
                &cfg.name,
                &need_url()?,
                cfg.timeout.0,
                cfg.resolve_timeout.0,
                clock,
            )?
            .with_links(cfg.api_base_url.clone(), cfg.dashboard_url.clone()),
        ),
    })
}
