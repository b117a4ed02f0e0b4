//! A day of cluster life in minutes: the daemon's stages against the
//! simulator on a virtual clock (`isrwatch soak`).
//!
//! The simulator's clock stands still ([`Simulator::start_paused`]); each
//! step advances it by one poll interval, then the real poller reads the
//! simulator over the Kafka wire protocol, the real evaluator and incident
//! manager run with `now` = the simulated time, and every notification the
//! manager decides on is recorded. Summaries and delivery are left out: they
//! decide how an alert reads and travels, not whether it is sent.
//!
//! Because time is virtual, a run takes as long as its polls take, not as
//! long as the simulated span: 24 hours of a small cluster at the shipped
//! 15 s poll interval (5,760 polls) take a minute or two.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::{ClusterConfig, Config};
use crate::evaluate::{Evaluator as _, RuleEvaluator, SeriesScorer};
use crate::finding::AnomalyScore;
use crate::incident::{Correlator as _, IncidentManager, Silences};
use crate::model::{Incident, NotifyReason};
use crate::poll::Poller as _;
use crate::sim::{Notified, Scenario, Simulator};

/// How long `isrwatch soak --judge` watches the healthy cluster before a
/// scenario's first event unless `--warm-up` says otherwise: what a running
/// daemon has learnt (commit cadences, traffic), as `tests/e2e/soak.rs`
/// judges every shipped file.
pub const JUDGED_WARM_UP: Duration = Duration::from_secs(600);

/// How long a judged run of `scenario` lasts: its last event, then its
/// `settle` or longer where a setting of `config` holds a finding or an
/// incident by design after the cluster is healthy again (the controller
/// and ISR-churn windows count moves over them; the REWIND,
/// unclean-election and deleted-unread-data report times; the broker
/// recovery hold; flap damping's quiet time, after which a flapping
/// incident resolves), counted from the moment a broker back from the last
/// event has caught up (the cluster's `broker_catch_up`), then two polls
/// for the last resolve to be seen.
pub fn judged_span(scenario: &Scenario, config: &Config) -> Duration {
    let settle = [
        scenario.settle,
        config.rules.controller_window.0,
        config.rules.isr_churn_window.0,
        config.rules.lag.rewind_for.0,
        config.rules.unclean_election_hold.0,
        config.rules.unread_data_deleted_hold.0,
        config.incidents.broker_recovery_hold.0,
        config.incidents.flap_quiet.0,
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    settled_after(scenario, config, settle)
}

/// How long a judged run may go on past [`judged_span`] while an incident
/// is still firing ([`run_judged`]): the holds of a finding and of its
/// incident follow one another (an ISR-churn finding held for its window,
/// then its flapping incident's quiet time), so the longest finding hold
/// plus the longest incident hold, from the same moment as
/// [`judged_span`]. A flapping replication incident that resolved 60 s
/// after a judged span of the longest hold alone was reported "never
/// resolved" (hunt 22, S1).
pub fn judged_cap(scenario: &Scenario, config: &Config) -> Duration {
    let rules = &config.rules;
    let finding_hold = [
        rules.controller_window.0,
        rules.isr_churn_window.0,
        rules.lag.rewind_for.0,
        rules.unclean_election_hold.0,
        rules.unread_data_deleted_hold.0,
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    let incident_hold = config
        .incidents
        .broker_recovery_hold
        .0
        .max(config.incidents.flap_quiet.0);
    settled_after(
        scenario,
        config,
        scenario.settle.max(finding_hold + incident_hold),
    )
    .max(judged_span(scenario, config))
}

/// The scenario's last event, a broker's catch-up, `settle`, then two polls.
fn settled_after(scenario: &Scenario, config: &Config, settle: Duration) -> Duration {
    scenario.last_event() + scenario.cluster.broker_catch_up + settle + 2 * poll_interval(config)
}

fn poll_interval(config: &Config) -> Duration {
    config
        .clusters
        .first()
        .map(|c| c.poll_interval.0)
        .unwrap_or_else(|| ClusterConfig::with_bootstrap("", vec![]).poll_interval.0)
}

/// What a soak run saw.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// Simulated time covered.
    pub simulated: Duration,
    /// Wall-clock time the run took.
    pub wall: Duration,
    /// Polls made.
    pub polls: u64,
    /// Polls that did not reach the cluster.
    pub unreachable_polls: u64,
    /// Series the anomaly detector scored (at the last poll).
    pub series: usize,
    /// Every notification, in order, at simulated time since the start.
    pub notified: Vec<Notified>,
    /// The incident manager's incidents at the end.
    pub open: Vec<Incident>,
    /// Every value the detector scored, by series, when asked for
    /// ([`run_recording`]): the raw material of the labelled Kafka series.
    pub recorded: BTreeMap<String, Vec<(i64, f64)>>,
}

/// Every (time, value) the evaluator gives the detector, by series.
type Recorded = Arc<Mutex<BTreeMap<String, Vec<(i64, f64)>>>>;

/// A [`SeriesScorer`] that scores with `inner` and keeps what it was given.
struct Recorder {
    inner: Box<dyn SeriesScorer>,
    seen: Recorded,
}

impl SeriesScorer for Recorder {
    fn score(&mut self, series: &str, t: i64, value: f64) -> Option<AnomalyScore> {
        if let Ok(mut seen) = self.seen.lock() {
            match seen.get_mut(series) {
                Some(v) => v.push((t, value)),
                None => {
                    seen.insert(series.to_string(), vec![(t, value)]);
                }
            }
        }
        self.inner.score(series, t, value)
    }
    fn threshold(&self) -> f64 {
        self.inner.threshold()
    }
    fn forget(&mut self, series: &str) {
        self.inner.forget(series)
    }
}

impl SoakReport {
    /// Notifications (every reason) by incident kind.
    pub fn by_kind(&self) -> BTreeMap<&'static str, BTreeMap<&'static str, usize>> {
        let mut out: BTreeMap<&'static str, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for n in &self.notified {
            *out.entry(n.incident.kind.as_str())
                .or_default()
                .entry(n.reason.as_str())
                .or_default() += 1;
        }
        out
    }

    /// Firing notifications.
    pub fn firing(&self) -> usize {
        self.notified
            .iter()
            .filter(|n| n.reason == NotifyReason::Firing)
            .count()
    }

    /// Firing notifications per 100 series-days (series scored × days run).
    pub fn firing_per_100_series_days(&self) -> f64 {
        let series_days = self.series.max(1) as f64 * self.simulated.as_secs_f64() / 86_400.0;
        if series_days <= 0.0 {
            return 0.0;
        }
        100.0 * self.firing() as f64 / series_days
    }

    /// A short table for a terminal.
    pub fn render(&self, name: &str) -> String {
        let mut s = format!(
            "soak {name}: {:.1} h simulated in {:.1} s ({} polls, {} unreachable), {} series scored\n",
            self.simulated.as_secs_f64() / 3600.0,
            self.wall.as_secs_f64(),
            self.polls,
            self.unreachable_polls,
            self.series
        );
        s.push_str(&format!(
            "notifications: {} ({} firing, {:.2} firing per 100 series-days)\n",
            self.notified.len(),
            self.firing(),
            self.firing_per_100_series_days()
        ));
        for (kind, reasons) in self.by_kind() {
            let list: Vec<String> = reasons.iter().map(|(r, c)| format!("{r} {c}")).collect();
            s.push_str(&format!("  {kind:<24} {}\n", list.join(", ")));
        }
        for n in &self.notified {
            s.push_str(&format!(
                "  [{:>9.1}s] {:<9} {}\n",
                n.at.as_secs_f64(),
                n.reason.as_str(),
                n.incident.title
            ));
        }
        let firing: Vec<&Incident> = self
            .open
            .iter()
            .filter(|i| i.state == crate::model::IncidentState::Firing)
            .collect();
        s.push_str(&format!("firing at the end: {}\n", firing.len()));
        for i in firing {
            s.push_str(&format!("  {} {}\n", i.kind.as_str(), i.title));
        }
        s
    }
}

/// Runs `scenario` for `duration` of simulated time under `config` (its
/// rules, anomaly and incident settings, and the first cluster's poll
/// settings; the bootstrap is the simulator's). Polls happen every
/// `poll_interval` of simulated time, the first one after one interval.
pub async fn run(
    scenario: Scenario,
    config: &Config,
    duration: Duration,
) -> anyhow::Result<SoakReport> {
    run_inner(scenario, config, duration, None, None).await
}

/// [`run`] for the closed-world judge: for [`judged_span`], then on while
/// an incident is firing, up to [`judged_cap`].
pub async fn run_judged(scenario: Scenario, config: &Config) -> anyhow::Result<SoakReport> {
    let span = judged_span(&scenario, config);
    let cap = judged_cap(&scenario, config);
    run_inner(scenario, config, span, Some(cap), None).await
}

/// [`run`], also keeping every value the detector scored
/// ([`SoakReport::recorded`]).
pub async fn run_recording(
    scenario: Scenario,
    config: &Config,
    duration: Duration,
) -> anyhow::Result<SoakReport> {
    run_inner(scenario, config, duration, None, Some(Recorded::default())).await
}

/// Runs for `duration`, then, with `quiet_by`, on while an incident is
/// firing, until then at most.
async fn run_inner(
    scenario: Scenario,
    config: &Config,
    duration: Duration,
    quiet_by: Option<Duration>,
    record: Option<Recorded>,
) -> anyhow::Result<SoakReport> {
    let name = "soak".to_string();
    let sim = Simulator::start_paused(scenario)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut cluster = config
        .clusters
        .first()
        .cloned()
        .unwrap_or_else(|| ClusterConfig::with_bootstrap(&name, vec![]));
    cluster.name = name.clone();
    cluster.bootstrap = sim.bootstrap().split(',').map(String::from).collect();
    let interval = cluster.poll_interval.0.max(Duration::from_millis(100));
    let mut poller = crate::poll::KafkaPoller::new(&cluster).map_err(|e| anyhow::anyhow!("{e}"))?;
    let scorer = crate::daemon::build::scorer_for(config);
    let scorer: Box<dyn SeriesScorer> = match &record {
        Some(seen) => Box::new(Recorder {
            inner: scorer,
            seen: seen.clone(),
        }),
        None => scorer,
    };
    let mut evaluator = RuleEvaluator::new(&name, &config.rules, scorer);
    let mut manager = IncidentManager::new(&config.incidents, Silences::new());
    let start = sim.started_at();

    let wall = Instant::now();
    let mut report = SoakReport {
        simulated: Duration::ZERO,
        wall: Duration::ZERO,
        polls: 0,
        unreachable_polls: 0,
        series: 0,
        notified: Vec::new(),
        open: Vec::new(),
        recorded: BTreeMap::new(),
    };
    let firing = |m: &IncidentManager| {
        m.incidents()
            .iter()
            .any(|i| i.state == crate::model::IncidentState::Firing)
    };
    loop {
        let next = sim.elapsed() + interval;
        let more = next <= duration || quiet_by.is_some_and(|cap| next <= cap && firing(&manager));
        if !more {
            break;
        }
        sim.advance(interval);
        let at = sim.elapsed();
        let now = start + chrono::Duration::from_std(at).unwrap_or_default();
        let snap = poller.poll(now).await;
        report.polls += 1;
        if !snap.reachable {
            report.unreachable_polls += 1;
        }
        let eval = evaluator.evaluate(&snap, now);
        for g in &eval.groups {
            if g.status != crate::evaluate::LagStatus::Ok {
                tracing::debug!(at = ?at, group = %g.group, status = ?g.status, reason = %g.reason, "lag");
            }
        }
        for f in &eval.findings {
            let why = f
                .anomaly
                .as_ref()
                .map(|a| a.explanation.as_str())
                .unwrap_or("");
            tracing::debug!(at = ?at, kind = f.kind.as_str(), severity = ?f.severity, subject = ?f.subject, why, "finding");
        }
        report.series = eval.anomalies.len();
        for (incident, reason) in manager.ingest(&name, &eval.findings, now) {
            report.notified.push(Notified {
                at,
                reason,
                incident,
            });
        }
    }
    report.simulated = sim.elapsed();
    report.wall = wall.elapsed();
    report.open = manager.incidents();
    drop(evaluator);
    if let Some(seen) = record {
        report.recorded = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    }
    sim.shutdown().await;
    Ok(report)
}
