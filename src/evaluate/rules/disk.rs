//! Disk space of the brokers' log directories: `disk_space`.
//!
//! A volume that fills up fails its log directory; a broker whose only
//! directory failed shuts down (KIP-112). Both are reported when they
//! happen (`under_replicated` with a failed log directory, `broker_down`);
//! this rule is the warning before them, from the size and free space each
//! directory's volume reports (DescribeLogDirs v4, KIP-827).

use std::collections::BTreeMap;

use super::memory::DiskHistory;
use super::RuleEvaluator;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{BrokerId, ClusterSnapshot, LogDirUsage, Time};

/// The forecast is made only for a volume at least this full: a half-empty
/// disk taking a burst (a reassignment copying onto it) is not news.
const FORECAST_FROM_PERCENT: f64 = 50.0;
/// A directory raised by its level stays raised until this many points
/// below `disk_used_percent`.
const HYSTERESIS_POINTS: f64 = 5.0;
/// A directory raised by the forecast stays raised while, at the pace, it
/// is full within this many times `disk_full_within`: a pace wavering
/// around the horizon is one incident, and a fill that stops (or slows to
/// months) below the warning line resolves.
const FORECAST_HOLD: f64 = 1.5;

impl RuleEvaluator {
    /// `disk_space`, one finding per broker for its fullest directory:
    /// critical at `disk_used_critical_percent`, a warning at
    /// `disk_used_percent`, or when at least half full and, at the pace of
    /// the last 30 minutes, full within `disk_full_within`.
    pub(super) fn disk_space(&mut self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let now_ms = snap.taken_at.timestamp_millis();
        let answered: BTreeMap<BrokerId, Vec<&LogDirUsage>> =
            snap.log_dirs.iter().fold(BTreeMap::new(), |mut m, d| {
                m.entry(d.broker).or_insert_with(Vec::new).push(d);
                m
            });
        let mut worst: BTreeMap<BrokerId, Finding> = BTreeMap::new();
        for d in &snap.log_dirs {
            let h = self.disks.entry((d.broker, d.path.clone())).or_default();
            let judged = judge(&self.rules, &self.cluster, d, h, snap.taken_at, now_ms);
            h.record(now_ms, d.usable_bytes);
            h.by_level = judged.as_ref().is_some_and(|(_, level)| *level);
            let f = judged.map(|(f, _)| f);
            h.raised.clone_from(&f);
            if let Some(f) = f {
                let better = worst.get(&d.broker).is_none_or(|w| {
                    (f.severity, f.metrics.get(&Metric::UsedPercent))
                        > (w.severity, w.metrics.get(&Metric::UsedPercent))
                });
                if better {
                    worst.insert(d.broker, f);
                }
            }
        }
        // Directories not in this poll's answer: held while their broker
        // cannot tell (down, not answering, or every directory failed),
        // forgotten once the broker answers without them or is forgotten.
        let named = |b: BrokerId| {
            snap.brokers.iter().any(|x| x.id == b) || snap.missing_brokers.contains(&b)
        };
        self.disks.retain(|(b, path), h| {
            if answered
                .get(b)
                .is_some_and(|dirs| dirs.iter().any(|d| &d.path == path))
            {
                return true;
            }
            if answered.contains_key(b) || !named(*b) {
                return false;
            }
            if let Some(f) = &h.raised {
                if !worst.contains_key(b) {
                    let mut held = f.clone();
                    held.observed_at = snap.taken_at;
                    worst.insert(*b, held);
                }
            }
            h.raised.is_some()
        });
        worst.into_values().map(|f| vec![f]).collect()
    }
}

/// The finding for directory `d` this poll, if any, and whether it stands
/// on the level (see [`RuleEvaluator::disk_space`]). Each reason keeps its
/// own hold: the level its hysteresis, the forecast its longer horizon.
fn judge(
    rules: &crate::evaluate::config::RulesConfig,
    cluster: &str,
    d: &LogDirUsage,
    h: &DiskHistory,
    at: Time,
    now_ms: i64,
) -> Option<(Finding, bool)> {
    let used = d.used_percent();
    let hours = h.hours_to_full(now_ms, d.usable_bytes);
    let raised = h.raised.is_some();
    let within_h = rules.disk_full_within.0.as_secs_f64() / 3600.0;
    let horizon = if raised && !h.by_level {
        within_h * FORECAST_HOLD
    } else {
        within_h
    };
    // Filling within the horizon over the half hour; to raise it, still
    // filling at no less than half that pace over the last minutes (a
    // one-off write is not filling up). Once raised, the half hour alone
    // holds it: a real fill pauses for minutes at a time (retention
    // deletes segments every 5 minutes), and a raise, resolve, raise
    // again per pause was flapping (hunt 12, W4).
    let forecast = within_h > 0.0
        && used >= FORECAST_FROM_PERCENT
        && hours.is_some_and(|(hrs, recent)| hrs <= horizon && (raised || recent <= 2.0 * horizon));
    let hours = hours.map(|(hrs, _)| hrs);
    let line = if raised && h.by_level {
        rules.disk_used_percent - HYSTERESIS_POINTS
    } else {
        rules.disk_used_percent
    };
    let level = used >= line;
    if !level && !forecast {
        return None;
    }
    let severity = if used >= rules.disk_used_critical_percent {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let mut f = Finding::new(
        cluster,
        FindingKind::DiskSpace,
        severity,
        Subject::Broker { id: d.broker },
        at,
    )
    .with_brokers([d.broker])
    .with_metric(Metric::UsedPercent, (used * 10.0).round() / 10.0)
    .with_metric(Metric::FreeBytes, d.usable_bytes as f64)
    .with_metric(Metric::TotalBytes, d.total_bytes as f64)
    .with_metric(Metric::Threshold, rules.disk_used_percent)
    .with_label(Label::LogDir, d.path.clone());
    // The pace is told when it is the reason, or beside a level past the
    // line; a level held by its hysteresis with a pace of months is
    // "nearly full", not "filling up".
    if let Some(hrs) = hours.filter(|_| forecast || used >= rules.disk_used_percent) {
        f = f.with_metric(Metric::HoursToFull, (hrs * 10.0).round() / 10.0);
    }
    Some((f, level))
}
