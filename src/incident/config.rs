//! `[incidents]`: how findings become notified incidents.
//!
//! ```toml
//! [incidents]
//! for_critical = "0s"          # pending -> firing delay for critical incidents
//! for_warning = "30s"          # ... for warnings
//! for_info = "5m"              # ... for info
//! resolve_after = "0s"         # firing -> resolved once no finding remains this long
//! broker_recovery_hold = "2m"  # a broker-down incident stays open this long after the broker is back and caught up
//! de_escalate_after = "2m"     # a lower severity is notified once it has held this long
//! renotify_interval = "4h"     # reminder while firing ("0s" = never)
//! flap_window = "1h"           # flap damping: look-back window
//! flap_threshold = 3           # starts (incl. failing again within an incident) within the window = flapping ("0" = off; a broker's own outage: 2)
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

use super::silence::{MaintenanceConfig, SilenceConfig, SilenceError, Silences};
use crate::config::base::{Dur, Problems};
use crate::finding::{FindingKind, Severity};
use crate::snapshot::Time;

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
    /// severity defaults above. Default empty. A key that names no kind is a
    /// load error at its key path, listing the kinds.
    pub for_kind: BTreeMap<FindingKind, Dur>,
    /// A firing incident resolves once none of its findings has been seen
    /// for this long. `0s` (default) resolves on the first poll without them.
    pub resolve_after: Dur,
    /// A broker-down incident whose broker came back and caught up stays
    /// open this long more, so a broker that fails again (a flapping broker,
    /// a restart loop) continues its incident instead of opening a new one.
    /// Default `2m`.
    pub broker_recovery_hold: Dur,
    /// A firing incident whose severity fell below the last notified one is
    /// notified `de_escalated` only once the lower severity has held this
    /// long. Better news can wait: if the incident resolves meanwhile (a
    /// consumer that resumes is "behind" for a poll or two before it is
    /// OK), the resolve says it all, and a severity that goes back up is
    /// not news at all. Worse news (`escalated`) never waits. Default `2m`.
    pub de_escalate_after: Dur,
    /// Reminder while an incident keeps firing. Default `4h`; `0s` disables.
    pub renotify_interval: Dur,
    /// Flap damping look-back window. Default `1h`.
    pub flap_window: Dur,
    /// A fingerprint that starts this many times within `flap_window` is
    /// flapping (a start: an incident starting to fire, or an open firing
    /// incident whose findings come back, e.g. a broker down again during
    /// its recovery hold). Its incident resolved within the window is
    /// reopened rather than a new one opened, notified once as flapping,
    /// and held open. Default 3; 0 disables damping. A broker's own outage
    /// flaps at its second start (at most this many): a broker down again
    /// within the window after its "back" is a restart loop.
    pub flap_threshold: u32,
    /// A flapping incident is stable again after this long without a
    /// change; then it resolves if gone (`Resolved`, since its flapping was
    /// notified), or stays firing. Default `15m`.
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
            de_escalate_after: Dur::secs(120),
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
        if let Some(d) = self.for_kind.get(&kind) {
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

impl Silences {
    /// A store holding the configured silences (`[[incidents.silences]]`,
    /// ids `config-N`) and maintenance windows (`[[incidents.maintenance]]`);
    /// see [`Silences::from_settings`].
    pub fn from_config(cfg: &IncidentConfig, now: Time) -> Result<Self, SilenceError> {
        Silences::from_settings(&cfg.silences, &cfg.maintenance, now)
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
    fn for_kind_keys_are_finding_kinds_and_an_unknown_one_says_which() {
        let c = parse("[incidents.for_kind]\nbroker_down = \"1m\"\n");
        assert_eq!(
            c.for_kind,
            BTreeMap::from([(FindingKind::BrokerDown, Dur::secs(60))])
        );
        let text = "[[clusters]]\nname = \"a\"\nbootstrap = [\"k:9092\"]\n[incidents.for_kind]\nconsumer_lag = \"2m\"\nbroker_dwn = \"1m\"\n";
        let p = crate::config::parse(text, "c.toml").unwrap_err();
        assert_eq!(p.len(), 1, "{p}");
        let p = p.to_string();
        assert!(
            p.contains("incidents.for_kind.broker_dwn: unknown value \"broker_dwn\"; expected one of cluster_unreachable, broker_down,"),
            "{p}"
        );
        assert!(p.contains("(line 6)"), "{p}");
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
