//! Silences and maintenance windows: rules that mute incident
//! notifications without hiding the incidents.
//!
//! A [`Silence`] is a set of [`Matcher`]s with a time range. An incident is
//! silenced when every matcher of an active silence matches its labels
//! (`cluster`, `kind`, `severity`, `fingerprint`, and `broker`, `topic`,
//! `group`, `series` where they apply). Matchers follow Alertmanager's
//! rules: a missing label reads as the empty string, regular expressions are
//! anchored at both ends.
//!
//! A [`MaintenanceWindow`] is a silence that recurs every week (or covers
//! one fixed range) and is scoped to a cluster.
//!
//! [`Silences`] is a cheap-to-clone handle on one shared store: the
//! incident manager reads it on every ingest; the HTTP API adds, lists and
//! removes silences through another clone of the same handle.
//!
//! The silence settings of the configuration are owned here too
//! ([`SilenceConfig`], [`MaintenanceConfig`], [`TimeText`]): `config.rs`
//! composes them into `[incidents]` and imports this module, never the
//! other way round.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveTime, Weekday};
use parking_lot::RwLock;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::base::{Dur, Problems};
use crate::snapshot::Time;

/// One condition on one label of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Label name, e.g. `cluster`, `kind`, `broker`, `topic`.
    pub label: String,
    /// The value to compare with, or a regular expression when `is_regex`.
    pub value: String,
    /// Treat `value` as a regular expression (anchored: it must match the
    /// whole label value). Default false.
    #[serde(default)]
    pub is_regex: bool,
    /// True (default) for "equals / matches", false for "differs / does not match".
    #[serde(default = "default_true")]
    pub is_equal: bool,
}

fn default_true() -> bool {
    true
}

impl Matcher {
    /// A plain `label = value` matcher.
    pub fn eq(label: &str, value: &str) -> Self {
        Matcher {
            label: label.to_string(),
            value: value.to_string(),
            is_regex: false,
            is_equal: true,
        }
    }

    /// A `label =~ regex` matcher.
    pub fn regex(label: &str, pattern: &str) -> Self {
        Matcher {
            label: label.to_string(),
            value: pattern.to_string(),
            is_regex: true,
            is_equal: true,
        }
    }

    /// Checks the matcher and compiles it (the regex, when there is one).
    fn compile(&self) -> Result<CompiledMatcher, SilenceError> {
        if self.label.trim().is_empty() {
            return Err(SilenceError::EmptyLabel);
        }
        let regex = if self.is_regex {
            let anchored = format!("^(?:{})$", self.value);
            Some(Regex::new(&anchored).map_err(|e| SilenceError::BadRegex {
                label: self.label.clone(),
                error: e.to_string(),
            })?)
        } else {
            None
        };
        Ok(CompiledMatcher {
            matcher: self.clone(),
            regex,
        })
    }
}

/// A matcher ready to use (its regex compiled once).
#[derive(Debug, Clone)]
struct CompiledMatcher {
    matcher: Matcher,
    regex: Option<Regex>,
}

impl CompiledMatcher {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels
            .get(&self.matcher.label)
            .map(String::as_str)
            .unwrap_or("");
        let hit = match &self.regex {
            Some(re) => re.is_match(value),
            None => value == self.matcher.value,
        };
        hit == self.matcher.is_equal
    }
}

fn compile_all(matchers: &[Matcher]) -> Result<Vec<CompiledMatcher>, SilenceError> {
    matchers.iter().map(Matcher::compile).collect()
}

fn all_match(matchers: &[CompiledMatcher], labels: &BTreeMap<String, String>) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

/// What a client (the API, the configuration) asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceSpec {
    /// All must match for the silence to apply; at least one.
    pub matchers: Vec<Matcher>,
    pub starts_at: Time,
    pub ends_at: Time,
    /// Who asked, free text.
    #[serde(default)]
    pub created_by: String,
    /// Why, free text.
    #[serde(default)]
    pub comment: String,
}

/// Where a silence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceSource {
    /// Added through the HTTP API (or [`Silences::add`]).
    Api,
    /// An `[[incidents.silences]]` entry.
    Config,
}

/// Whether a silence applies at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceStatus {
    /// Starts later.
    Pending,
    Active,
    Expired,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// UUID for API silences, `config-N` for configured ones.
    pub id: String,
    /// All must match an incident's labels.
    pub matchers: Vec<Matcher>,
    /// Mutes from this time on (inclusive).
    pub starts_at: Time,
    /// Mutes until this time (exclusive).
    pub ends_at: Time,
    /// Who asked, free text.
    pub created_by: String,
    /// Why, free text.
    pub comment: String,
    /// When it was stored.
    pub created_at: Time,
    /// API or configuration.
    pub source: SilenceSource,
}

impl Silence {
    /// Pending, active or expired at `now`.
    pub fn status(&self, now: Time) -> SilenceStatus {
        if now < self.starts_at {
            SilenceStatus::Pending
        } else if now < self.ends_at {
            SilenceStatus::Active
        } else {
            SilenceStatus::Expired
        }
    }
}

/// Why a silence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// The matcher list is empty (it would silence everything).
    #[error("a silence needs at least one matcher")]
    NoMatchers,
    /// A matcher has a blank label name.
    #[error("a matcher needs a label name")]
    EmptyLabel,
    /// A regex matcher does not compile.
    #[error("matcher on label {label:?}: invalid regular expression: {error}")]
    BadRegex { label: String, error: String },
    /// `ends_at` is not after `starts_at`.
    #[error("ends_at must be after starts_at")]
    EndsBeforeStarts,
    /// `ends_at` is already in the past.
    #[error("the silence has already ended")]
    AlreadyEnded,
    /// A configured silence or maintenance window is invalid (message names the key).
    #[error("{0}")]
    Config(String),
}

/// When a maintenance window applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schedule {
    /// Every week on `days`, from `start` (UTC) for `duration`. A window may
    /// run past midnight (into the next day).
    Weekly {
        #[serde(serialize_with = "ser_days")]
        days: Vec<Weekday>,
        start: NaiveTime,
        #[serde(serialize_with = "ser_dur")]
        duration: Duration,
    },
    /// Once, from `starts_at` (inclusive) to `ends_at` (exclusive).
    Fixed {
        /// Window start.
        starts_at: Time,
        /// Window end.
        ends_at: Time,
    },
}

fn ser_days<S: serde::Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
    let names: Vec<String> = days.iter().map(|d| d.to_string().to_lowercase()).collect();
    names.serialize(s)
}

fn ser_dur<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*d).to_string())
}

impl Schedule {
    /// True when `now` falls inside the window.
    pub fn active_at(&self, now: Time) -> bool {
        match self {
            Schedule::Fixed { starts_at, ends_at } => *starts_at <= now && now < *ends_at,
            Schedule::Weekly {
                days,
                start,
                duration,
            } => {
                let Ok(len) = chrono::Duration::from_std(*duration) else {
                    return false;
                };
                // A window that started up to 7 days ago may still be open.
                (0..=7).any(|back| {
                    let Some(date) = now
                        .date_naive()
                        .checked_sub_signed(chrono::Duration::days(back))
                    else {
                        return false;
                    };
                    if !days.contains(&date.weekday()) {
                        return false;
                    }
                    let opens = date.and_time(*start).and_utc();
                    opens <= now && now < opens + len
                })
            }
        }
    }
}

/// A recurring or one-off window during which a cluster's incidents are muted.
#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceWindow {
    /// `maintenance-NAME` or `maintenance-N` (index in the configuration).
    pub id: String,
    /// The cluster it applies to; `None` means every cluster.
    pub cluster: Option<String>,
    /// Extra matchers, all must match (may be empty).
    pub matchers: Vec<Matcher>,
    /// When it applies.
    pub schedule: Schedule,
    /// Why, free text.
    pub comment: String,
    #[serde(skip)]
    compiled: Vec<CompiledMatcher>,
}

impl MaintenanceWindow {
    /// A window; fails when a matcher is invalid.
    pub fn new(
        id: &str,
        cluster: Option<String>,
        matchers: Vec<Matcher>,
        schedule: Schedule,
        comment: &str,
    ) -> Result<Self, SilenceError> {
        let compiled = compile_all(&matchers)?;
        Ok(MaintenanceWindow {
            id: id.to_string(),
            cluster,
            matchers,
            schedule,
            comment: comment.to_string(),
            compiled,
        })
    }

    fn matches(&self, labels: &BTreeMap<String, String>, now: Time) -> bool {
        if let Some(c) = &self.cluster {
            if labels.get("cluster") != Some(c) {
                return false;
            }
        }
        self.schedule.active_at(now) && all_match(&self.compiled, labels)
    }
}

#[derive(Debug, Clone)]
struct Entry {
    silence: Silence,
    compiled: Vec<CompiledMatcher>,
}

#[derive(Debug, Default)]
struct Store {
    silences: Vec<Entry>,
    maintenance: Vec<MaintenanceWindow>,
}

/// The shared silence store. Cloning gives another handle on the same store.
#[derive(Debug, Clone, Default)]
pub struct Silences {
    inner: Arc<RwLock<Store>>,
}

impl Silences {
    /// An empty store.
    pub fn new() -> Self {
        Silences::default()
    }

    /// A store holding the configured silences (`[[incidents.silences]]`,
    /// ids `config-N`) and maintenance windows (`[[incidents.maintenance]]`).
    /// A configured silence without `starts_at` starts at `now`. The
    /// configuration should have been validated first; errors name the entry.
    pub fn from_settings(
        silences: &[SilenceConfig],
        maintenance: &[MaintenanceConfig],
        now: Time,
    ) -> Result<Self, SilenceError> {
        let store = Silences::new();
        {
            let mut inner = store.inner.write();
            for (i, s) in silences.iter().enumerate() {
                let at = |what: &str| format!("incidents.silences[{i}].{what}");
                let starts_at = match &s.starts_at {
                    Some(t) => parse_time(&t.0)
                        .map_err(|e| SilenceError::Config(format!("{}: {e}", at("starts_at"))))?,
                    None => now,
                };
                let ends_at = match (&s.ends_at, s.duration) {
                    (Some(t), _) => parse_time(&t.0)
                        .map_err(|e| SilenceError::Config(format!("{}: {e}", at("ends_at"))))?,
                    (None, Some(d)) => starts_at + chrono_dur(d.0),
                    (None, None) => {
                        return Err(SilenceError::Config(format!(
                            "{}: set ends_at or duration",
                            at("ends_at")
                        )))
                    }
                };
                let spec = SilenceSpec {
                    matchers: s.matchers.clone(),
                    starts_at,
                    ends_at,
                    created_by: s.created_by.clone(),
                    comment: s.comment.clone(),
                };
                let entry = make_entry(spec, format!("config-{i}"), SilenceSource::Config, now)
                    .map_err(|e| SilenceError::Config(format!("incidents.silences[{i}]: {e}")))?;
                inner.silences.push(entry);
            }
            for (i, m) in maintenance.iter().enumerate() {
                let window = m.to_window(i).map_err(|e| {
                    SilenceError::Config(format!("incidents.maintenance[{i}]: {e}"))
                })?;
                inner.maintenance.push(window);
            }
        }
        Ok(store)
    }

    /// Adds a silence (from the API). Refuses one without matchers, with a
    /// regex that does not compile, ending before it starts, or already over.
    pub fn add(&self, spec: SilenceSpec, now: Time) -> Result<Silence, SilenceError> {
        if spec.ends_at <= now {
            return Err(SilenceError::AlreadyEnded);
        }
        let id = uuid::Uuid::new_v4().to_string();
        let entry = make_entry(spec, id, SilenceSource::Api, now)?;
        let silence = entry.silence.clone();
        self.inner.write().silences.push(entry);
        Ok(silence)
    }

    /// Silences not yet expired at `now` (pending and active), by start time.
    pub fn list(&self, now: Time) -> Vec<Silence> {
        let mut out: Vec<Silence> = self
            .inner
            .read()
            .silences
            .iter()
            .filter(|e| e.silence.status(now) != SilenceStatus::Expired)
            .map(|e| e.silence.clone())
            .collect();
        out.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        out
    }

    /// One silence by id, expired or not (until [`Silences::expire`] drops it).
    pub fn get(&self, id: &str) -> Option<Silence> {
        self.inner
            .read()
            .silences
            .iter()
            .find(|e| e.silence.id == id)
            .map(|e| e.silence.clone())
    }

    /// The API silences not yet expired, for the daemon to save (e.g. as
    /// JSON) so that they survive a restart; configured ones are rebuilt
    /// from the configuration instead.
    pub fn export(&self, now: Time) -> Vec<Silence> {
        self.list(now)
            .into_iter()
            .filter(|s| s.source == SilenceSource::Api)
            .collect()
    }

    /// Puts back silences saved by [`Silences::export`], keeping their ids.
    /// Expired, invalid or already present ones are skipped; returns the
    /// skipped ids with why.
    pub fn restore(&self, saved: Vec<Silence>, now: Time) -> Vec<(String, SilenceError)> {
        let mut skipped = Vec::new();
        for s in saved {
            if s.ends_at <= now {
                skipped.push((s.id, SilenceError::AlreadyEnded));
                continue;
            }
            if self.get(&s.id).is_some() {
                continue;
            }
            let (id, created_at) = (s.id.clone(), s.created_at);
            let spec = SilenceSpec {
                matchers: s.matchers,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                created_by: s.created_by,
                comment: s.comment,
            };
            match make_entry(spec, id.clone(), SilenceSource::Api, created_at) {
                Ok(entry) => self.inner.write().silences.push(entry),
                Err(e) => skipped.push((id, e)),
            }
        }
        skipped
    }

    /// The configured maintenance windows.
    pub fn maintenance(&self) -> Vec<MaintenanceWindow> {
        self.inner.read().maintenance.clone()
    }

    /// Removes a silence; false when there is none with that id.
    pub fn remove(&self, id: &str) -> bool {
        let mut inner = self.inner.write();
        let before = inner.silences.len();
        inner.silences.retain(|e| e.silence.id != id);
        inner.silences.len() != before
    }

    /// Drops silences that ended at or before `now`; returns how many.
    pub fn expire(&self, now: Time) -> usize {
        let mut inner = self.inner.write();
        let before = inner.silences.len();
        inner
            .silences
            .retain(|e| e.silence.status(now) != SilenceStatus::Expired);
        before - inner.silences.len()
    }

    /// The id of the first silence or maintenance window that mutes an
    /// incident with these labels at `now`.
    pub fn matching(&self, labels: &BTreeMap<String, String>, now: Time) -> Option<String> {
        let inner = self.inner.read();
        inner
            .silences
            .iter()
            .find(|e| {
                e.silence.status(now) == SilenceStatus::Active && all_match(&e.compiled, labels)
            })
            .map(|e| e.silence.id.clone())
            .or_else(|| {
                inner
                    .maintenance
                    .iter()
                    .find(|m| m.matches(labels, now))
                    .map(|m| m.id.clone())
            })
    }
}

fn make_entry(
    spec: SilenceSpec,
    id: String,
    source: SilenceSource,
    now: Time,
) -> Result<Entry, SilenceError> {
    if spec.matchers.is_empty() {
        return Err(SilenceError::NoMatchers);
    }
    if spec.ends_at <= spec.starts_at {
        return Err(SilenceError::EndsBeforeStarts);
    }
    let compiled = compile_all(&spec.matchers)?;
    Ok(Entry {
        silence: Silence {
            id,
            matchers: spec.matchers,
            starts_at: spec.starts_at,
            ends_at: spec.ends_at,
            created_by: spec.created_by,
            comment: spec.comment,
            created_at: now,
            source,
        },
        compiled,
    })
}

/// A std duration as a chrono one, saturating on absurd values.
pub(crate) fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Parses a day name: `mon`..`sun` or the full English name, any case.
pub(crate) fn parse_weekday(s: &str) -> Result<Weekday, String> {
    s.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("expected a day like \"sat\" or \"saturday\", found {s:?}"))
}

/// Parses `HH:MM` (UTC).
pub(crate) fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| format!("expected a time of day like \"02:00\" (UTC), found {s:?}"))
}

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
    pub(crate) fn validate(&self, path: &str, problems: &mut Problems) {
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
    pub(crate) fn validate(&self, path: &str, problems: &mut Problems) {
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
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> Time {
        // 2026-11-21 is a Saturday.
        chrono::Utc.with_ymd_and_hms(2026, 11, 21, h, m, 0).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matcher_semantics() {
        let l = labels(&[("cluster", "prod"), ("topic", "orders-eu")]);
        let c = |m: Matcher| m.compile().unwrap().matches(&l);
        assert!(c(Matcher::eq("cluster", "prod")));
        assert!(!c(Matcher::eq("cluster", "pro")));
        assert!(c(Matcher::regex("topic", "orders-.*")));
        // Anchored: a substring is not a match.
        assert!(!c(Matcher::regex("topic", "orders")));
        let mut ne = Matcher::eq("cluster", "staging");
        ne.is_equal = false;
        assert!(c(ne));
        // A missing label reads as "".
        assert!(c(Matcher::eq("group", "")));
        assert!(!c(Matcher::eq("group", "billing")));
    }

    #[test]
    fn weekly_window_crosses_midnight() {
        let s = Schedule::Weekly {
            days: vec![Weekday::Sat],
            start: parse_hhmm("23:00").unwrap(),
            duration: Duration::from_secs(2 * 3600),
        };
        assert!(!s.active_at(t(22, 59)));
        assert!(s.active_at(t(23, 0)));
        let sunday_0030 = t(23, 0) + chrono::Duration::minutes(90);
        assert!(s.active_at(sunday_0030));
        assert!(!s.active_at(t(23, 0) + chrono::Duration::hours(2)));
        // A week later it opens again.
        assert!(s.active_at(t(23, 30) + chrono::Duration::days(7)));
        assert!(!s.active_at(t(23, 30) + chrono::Duration::days(3)));
    }

    #[test]
    fn export_and_restore_keep_api_silences() {
        let a = Silences::new();
        let now = t(10, 0);
        let s = a
            .add(
                SilenceSpec {
                    matchers: vec![Matcher::regex("topic", "tmp-.*")],
                    starts_at: now,
                    ends_at: t(12, 0),
                    created_by: "me".into(),
                    comment: "c".into(),
                },
                now,
            )
            .unwrap();
        let json = serde_json::to_string(&a.export(now)).unwrap();
        let saved: Vec<Silence> = serde_json::from_str(&json).unwrap();
        let b = Silences::new();
        assert!(b.restore(saved.clone(), t(11, 0)).is_empty());
        assert_eq!(b.list(t(11, 0)), vec![s.clone()]);
        let l = labels(&[("topic", "tmp-1")]);
        assert_eq!(b.matching(&l, t(11, 0)), Some(s.id.clone()));
        // Restoring twice adds nothing; after the end it is skipped.
        assert!(b.restore(saved.clone(), t(11, 0)).is_empty());
        assert_eq!(b.list(t(11, 0)).len(), 1);
        let c = Silences::new();
        assert_eq!(c.restore(saved, t(13, 0)).len(), 1);
        assert!(c.list(t(13, 0)).is_empty());
    }

    #[test]
    fn add_validates() {
        let s = Silences::new();
        let spec = |m: Vec<Matcher>, start: Time, end: Time| SilenceSpec {
            matchers: m,
            starts_at: start,
            ends_at: end,
            created_by: "me".into(),
            comment: String::new(),
        };
        let now = t(10, 0);
        assert_eq!(
            s.add(spec(vec![], now, t(11, 0)), now),
            Err(SilenceError::NoMatchers)
        );
        assert_eq!(
            s.add(
                spec(vec![Matcher::eq("cluster", "a")], t(11, 0), t(10, 30)),
                now
            ),
            Err(SilenceError::EndsBeforeStarts)
        );
        assert_eq!(
            s.add(
                spec(vec![Matcher::eq("cluster", "a")], t(8, 0), t(9, 0)),
                now
            ),
            Err(SilenceError::AlreadyEnded)
        );
        assert!(matches!(
            s.add(spec(vec![Matcher::regex("topic", "(")], now, t(11, 0)), now),
            Err(SilenceError::BadRegex { .. })
        ));
        assert_eq!(
            s.add(spec(vec![Matcher::eq(" ", "x")], now, t(11, 0)), now),
            Err(SilenceError::EmptyLabel)
        );
        assert!(s.list(now).is_empty());
    }
}
