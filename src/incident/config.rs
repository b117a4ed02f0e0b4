//! `[incidents]`: how findings become notified incidents.
//!
//! ```toml
//! [incidents]
//! for_critical = "0s"          # pending -> firing delay for critical incidents
//! for_warning = "30s"          # ... for warnings
//! for_info = "5m"              # ... for info
//! resolve_after = "0s"         # firing -> resolved once no finding remains this long
//! broker_recovery_hold = "2m"  # a broker-down incident stays open this long after the broker is back and caught up
//! renotify_interval = "4h"     # reminder while firing ("0s" = never)
//! flap_window = "1h"           # flap damping: look-back window
//! flap_threshold = 3           # starts firing this many times within the window = flapping ("0" = off)
//! flap_quiet = "15m"           # flapping ends after this long without change
//! retain_resolved = "1h"       # resolved incidents kept for the API this long
//! max_resolved = 200           # ... and at most this many
//! max_listed = 50              # findings and partitions stored per incident (counts stay exact)
//!
//! [incidents.for_kind]         # per incident kind, overrides the severity default
//! consumer_lag = "2m"
//!
//! [[incidents.silences]]
//! matchers = [{ label = "cluster", value = "staging" },
//!             { label = "topic", value = "tmp-.*", is_regex = true }]
//! duration = "2h"              # or ends_at = "2026-12-01T00:00:00Z"; starts_at optional (default: start-up)
//! created_by = "ops"
//! comment = "load test"
//!
//! [[incidents.maintenance]]
//! name = "weekly-patching"
//! cluster = "prod"             # optional: every cluster when absent
//! days = ["sat"]               # weekly, UTC ...
//! start = "02:00"
//! duration = "2h"
//! # or a fixed range: starts_at = "...", ends_at = "..." (RFC 3339)
//! # matchers = [...]           # optional, narrows the window further
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::silence::{
    parse_hhmm, parse_weekday, MaintenanceWindow, Matcher, Schedule, SilenceError,
};
use crate::config::base::{Dur, Problems};
use crate::finding::{FindingKind, Severity};
use crate::snapshot::Time;

/// A point in time written as an RFC 3339 string (`"2026-12-01T02:00:00Z"`)
/// or a TOML date-time; kept as text, parsed by [`parse_time`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeText(pub String);

impl<'de> Deserialize<'de> for TimeText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(TimeText(s)),
            toml::Value::Datetime(dt) => Ok(TimeText(dt.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a time like \"2026-12-01T02:00:00Z\", found {other}"
            ))),
        }
    }
}

/// Parses an RFC 3339 time with an offset (`Z` or `+02:00`).
pub fn parse_time(s: &str) -> Result<Time, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| format!("expected a time like \"2026-12-01T02:00:00Z\", found {s:?}"))
}

/// `[incidents]` settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentConfig {
    /// How long a critical incident stays pending before it fires. Default `0s`.
    pub for_critical: Dur,
    /// How long a warning incident stays pending before it fires. Default `30s`.
    pub for_warning: Dur,
    /// How long an info incident stays pending before it fires. Default `5m`.
    pub for_info: Dur,
    /// Per incident kind (`broker_down`, `consumer_lag`, ...): overrides the
    /// severity defaults above. Default empty.
    pub for_kind: BTreeMap<String, Dur>,
    /// A firing incident resolves once none of its findings has been seen
    /// for this long. `0s` (default) resolves on the first poll without them.
    pub resolve_after: Dur,
    /// A broker-down incident whose broker came back and caught up stays
    /// open this long more, so a broker that fails again (a flapping broker,
    /// a restart loop) continues its incident instead of opening a new one.
    /// Default `2m`.
    pub broker_recovery_hold: Dur,
    /// Reminder while an incident keeps firing. Default `4h`; `0s` disables.
    pub renotify_interval: Dur,
    /// Flap damping look-back window. Default `1h`.
    pub flap_window: Dur,
    /// An incident that starts firing this many times within `flap_window`
    /// is flapping: notifications are held. Default 3; 0 disables damping.
    pub flap_threshold: u32,
    /// A flapping incident is stable again after this long without a
    /// change; then one notification says where it ended. Default `15m`.
    pub flap_quiet: Dur,
    /// How long resolved incidents stay visible in the API. Default `1h`.
    pub retain_resolved: Dur,
    /// At most this many resolved incidents are kept. Default 200.
    pub max_resolved: usize,
    /// Findings and partitions listed per incident (totals stay exact in
    /// `counts` and `affected.partition_count`). Default 50.
    pub max_listed: usize,
    /// Silences loaded at start-up.
    pub silences: Vec<SilenceConfig>,
    /// Maintenance windows.
    pub maintenance: Vec<MaintenanceConfig>,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            for_critical: Dur::secs(0),
            for_warning: Dur::secs(30),
            for_info: Dur::secs(300),
            for_kind: BTreeMap::new(),
            resolve_after: Dur::secs(0),
            broker_recovery_hold: Dur::secs(120),
            renotify_interval: Dur::secs(4 * 3600),
            flap_window: Dur::secs(3600),
            flap_threshold: 3,
            flap_quiet: Dur::secs(15 * 60),
            retain_resolved: Dur::secs(3600),
            max_resolved: 200,
            max_listed: 50,
            silences: Vec::new(),
            maintenance: Vec::new(),
        }
    }
}

impl IncidentConfig {
    /// The pending delay for an incident of this kind and severity.
    pub fn for_duration(&self, kind: FindingKind, severity: Severity) -> Duration {
        if let Some(d) = self.for_kind.get(kind.as_str()) {
            return d.0;
        }
        match severity {
            Severity::Critical => self.for_critical.0,
            Severity::Warning => self.for_warning.0,
            Severity::Info => self.for_info.0,
        }
    }

    /// Reports every problem under `path` (e.g. `incidents`).
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        for key in self.for_kind.keys() {
            if FindingKind::from_name(key).is_none() {
                problems.push(
                    format!("{path}.for_kind.{key}"),
                    format!(
                        "unknown incident kind; expected one of {}",
                        FindingKind::names()
                    ),
                );
            }
        }
        if self.flap_threshold > 0 && self.flap_window.0.is_zero() {
            problems.push(
                format!("{path}.flap_window"),
                "must be longer than 0s while flap_threshold is set",
            );
        }
        if self.max_listed == 0 {
            problems.push(format!("{path}.max_listed"), "must be at least 1");
        }
        for (i, s) in self.silences.iter().enumerate() {
            s.validate(&format!("{path}.silences[{i}]"), problems);
        }
        for (i, m) in self.maintenance.iter().enumerate() {
            m.validate(&format!("{path}.maintenance[{i}]"), problems);
        }
    }
}

fn validate_matchers(matchers: &[Matcher], path: &str, problems: &mut Problems) {
    for (i, m) in matchers.iter().enumerate() {
        if m.label.trim().is_empty() {
            problems.push(format!("{path}.matchers[{i}].label"), "must not be empty");
        }
        if m.is_regex {
            if let Err(e) = regex::Regex::new(&format!("^(?:{})$", m.value)) {
                problems.push(
                    format!("{path}.matchers[{i}].value"),
                    format!("invalid regular expression: {e}"),
                );
            }
        }
    }
}

/// One `[[incidents.silences]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SilenceConfig {
    /// All must match; at least one.
    pub matchers: Vec<Matcher>,
    /// Default: when isrwatch starts.
    #[serde(default)]
    pub starts_at: Option<TimeText>,
    /// Either `ends_at` or `duration` (from `starts_at`).
    #[serde(default)]
    pub ends_at: Option<TimeText>,
    #[serde(default)]
    pub duration: Option<Dur>,
    #[serde(default = "default_created_by")]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

fn default_created_by() -> String {
    "config".to_string()
}

impl SilenceConfig {
    fn validate(&self, path: &str, problems: &mut Problems) {
        if self.matchers.is_empty() {
            problems.push(format!("{path}.matchers"), "needs at least one matcher");
        }
        validate_matchers(&self.matchers, path, problems);
        let starts = match &self.starts_at {
            Some(t) => match parse_time(&t.0) {
                Ok(v) => Some(v),
                Err(e) => {
                    problems.push(format!("{path}.starts_at"), e);
                    None
                }
            },
            None => None,
        };
        match (&self.ends_at, self.duration) {
            (Some(_), Some(_)) => problems.push(
                format!("{path}.duration"),
                "set ends_at or duration, not both",
            ),
            (None, None) => problems.push(format!("{path}.ends_at"), "set ends_at or duration"),
            (None, Some(d)) if d.0.is_zero() => {
                problems.push(format!("{path}.duration"), "must be longer than 0s")
            }
            (Some(t), None) => match parse_time(&t.0) {
                Ok(end) => {
                    if let Some(start) = starts {
                        if end <= start {
                            problems.push(format!("{path}.ends_at"), "must be after starts_at");
                        }
                    }
                }
                Err(e) => problems.push(format!("{path}.ends_at"), e),
            },
            (None, Some(_)) => {}
        }
    }
}

/// One `[[incidents.maintenance]]` window: weekly (`days`, `start`,
/// `duration`, in UTC) or fixed (`starts_at`, `ends_at`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// Shown as the silence id `maintenance-NAME`.
    #[serde(default)]
    pub name: Option<String>,
    /// The cluster muted; every cluster when absent.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Extra matchers (optional).
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    /// Weekly: day names (`mon`..`sun`).
    #[serde(default)]
    pub days: Vec<String>,
    /// Weekly: `HH:MM` in UTC.
    #[serde(default)]
    pub start: Option<String>,
    /// Weekly: how long the window lasts (at most 7 days).
    #[serde(default)]
    pub duration: Option<Dur>,
    /// Fixed window start.
    #[serde(default)]
    pub starts_at: Option<TimeText>,
    /// Fixed window end.
    #[serde(default)]
    pub ends_at: Option<TimeText>,
    #[serde(default)]
    pub comment: String,
}

impl MaintenanceConfig {
    fn validate(&self, path: &str, problems: &mut Problems) {
        validate_matchers(&self.matchers, path, problems);
        let weekly = !self.days.is_empty() || self.start.is_some() || self.duration.is_some();
        let fixed = self.starts_at.is_some() || self.ends_at.is_some();
        if weekly && fixed {
            problems.push(
                path.to_string(),
                "use either days/start/duration (weekly) or starts_at/ends_at (fixed), not both",
            );
            return;
        }
        if !weekly && !fixed {
            problems.push(
                path.to_string(),
                "needs days/start/duration (weekly) or starts_at/ends_at (fixed)",
            );
            return;
        }
        if let Err(e) = self.schedule() {
            problems.push(format!("{path}.{}", e.0), e.1);
        }
    }

    /// The schedule, or (key, problem).
    fn schedule(&self) -> Result<Schedule, (&'static str, String)> {
        if self.starts_at.is_some() || self.ends_at.is_some() {
            let starts = self
                .starts_at
                .as_ref()
                .ok_or(("starts_at", "missing".to_string()))
                .and_then(|t| parse_time(&t.0).map_err(|e| ("starts_at", e)))?;
            let ends = self
                .ends_at
                .as_ref()
                .ok_or(("ends_at", "missing".to_string()))
                .and_then(|t| parse_time(&t.0).map_err(|e| ("ends_at", e)))?;
            if ends <= starts {
                return Err(("ends_at", "must be after starts_at".to_string()));
            }
            return Ok(Schedule::Fixed {
                starts_at: starts,
                ends_at: ends,
            });
        }
        if self.days.is_empty() {
            return Err(("days", "needs at least one day, e.g. [\"sat\"]".to_string()));
        }
        let mut days = Vec::new();
        for d in &self.days {
            days.push(parse_weekday(d).map_err(|e| ("days", e))?);
        }
        let start = self
            .start
            .as_deref()
            .ok_or(("start", "missing, e.g. \"02:00\" (UTC)".to_string()))
            .and_then(|s| parse_hhmm(s).map_err(|e| ("start", e)))?;
        let duration = self
            .duration
            .ok_or(("duration", "missing, e.g. \"2h\"".to_string()))?
            .0;
        if duration.is_zero() || duration > Duration::from_secs(7 * 24 * 3600) {
            return Err(("duration", "must be between 1s and 7 days".to_string()));
        }
        Ok(Schedule::Weekly {
            days,
            start,
            duration,
        })
    }

    /// The runtime window; `index` is its position in the configuration.
    pub fn to_window(&self, index: usize) -> Result<MaintenanceWindow, SilenceError> {
        let schedule = self
            .schedule()
            .map_err(|(k, e)| SilenceError::Config(format!("{k}: {e}")))?;
        let id = match &self.name {
            Some(n) => format!("maintenance-{n}"),
            None => format!("maintenance-{index}"),
        };
        MaintenanceWindow::new(
            &id,
            self.cluster.clone(),
            self.matchers.clone(),
            schedule,
            &self.comment,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> IncidentConfig {
        #[derive(Deserialize)]
        struct Wrap {
            incidents: IncidentConfig,
        }
        toml::from_str::<Wrap>(text).unwrap().incidents
    }

    #[test]
    fn defaults_and_overrides() {
        let c = parse(
            "[incidents]\nfor_warning = \"1m\"\n[incidents.for_kind]\nconsumer_lag = \"2m\"\n",
        );
        assert_eq!(c.for_warning, Dur::secs(60));
        assert_eq!(c.renotify_interval, Dur::secs(4 * 3600));
        assert_eq!(
            c.for_duration(FindingKind::ConsumerLag, Severity::Critical),
            Duration::from_secs(120)
        );
        assert_eq!(
            c.for_duration(FindingKind::BrokerDown, Severity::Critical),
            Duration::ZERO
        );
        let mut p = Problems::default();
        c.validate("incidents", &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn problems_name_the_key() {
        let c = parse(
            r#"
[incidents.for_kind]
broker_dwn = "1m"
[[incidents.silences]]
matchers = [{ label = "topic", value = "(", is_regex = true }]
[[incidents.silences]]
matchers = []
starts_at = "2026-12-01T00:00:00Z"
ends_at = 2026-11-01T00:00:00Z
[[incidents.maintenance]]
cluster = "prod"
days = ["saturday", "funday"]
start = "02:00"
duration = "2h"
[[incidents.maintenance]]
start = "25:00"
days = ["sun"]
duration = "1h"
[[incidents.maintenance]]
starts_at = "2026-12-01T00:00:00Z"
"#,
        );
        let mut p = Problems::default();
        c.validate("incidents", &mut p);
        let paths: Vec<&str> = p.0.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "incidents.for_kind.broker_dwn",
                "incidents.silences[0].matchers[0].value",
                "incidents.silences[0].ends_at",
                "incidents.silences[1].matchers",
                "incidents.silences[1].ends_at",
                "incidents.maintenance[0].days",
                "incidents.maintenance[1].start",
                "incidents.maintenance[2].ends_at",
            ],
            "{p}"
        );
    }

    #[test]
    fn bad_types_are_errors_not_panics() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wrap {
            incidents: IncidentConfig,
        }
        assert!(toml::from_str::<Wrap>("[incidents]\nfor_warning = 30\n").is_err());
        assert!(toml::from_str::<Wrap>("[incidents]\nbogus = 1\n").is_err());
        assert!(
            toml::from_str::<Wrap>("[[incidents.silences]]\nmatchers=[]\nends_at = 5\n").is_err()
        );
    }
}
