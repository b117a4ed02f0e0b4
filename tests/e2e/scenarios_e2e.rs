//! Every shipped scenario, end to end: the simulator (real Kafka wire
//! protocol) → the real rdkafka poller → the evaluator → incidents →
//! template summaries → a sink. Each scenario's `[[expect]]` findings must
//! be raised and resolved within their deadlines (in simulated time), and
//! the notifications must pass the closed-world check (`sim::judge`):
//! every expectation notified once, nothing else notified unless the
//! scenario allows it, and nothing still firing once the cluster settled.
//!
//! `ISRWATCH_SCENARIO=name` runs one scenario; `ISRWATCH_DEBUG=1` also
//! prints every group's non-OK lag status as polled and every notification.
//!
//! The scenarios run sped up, so the time-based thresholds of the rules
//! (STALL/STOP after, `for` durations) are given in simulated time and
//! divided by the speed.

use std::sync::Arc;
use std::time::Duration;

use isrwatch::config::{ClusterConfig, Dur};
use isrwatch::daemon::{self, ClusterStage, MemorySink};
use isrwatch::evaluate::{RuleEvaluator, RulesConfig};
use isrwatch::finding::{Finding, Label, Subject};
use isrwatch::incident::{IncidentConfig, IncidentManager, Silences};
use isrwatch::sim::{judge, kind_meets, Expectation, Notified, Scenario, SimOptions, Simulator};
use isrwatch::state::SharedState;

use crate::support::sim::SimClock;

const SPEED: f64 = 5.0;

/// A simulated-time duration as the wall-clock duration the daemon sees.
fn wall(sim_secs: f64) -> Dur {
    Dur(Duration::from_secs_f64(sim_secs / SPEED))
}

fn rules() -> RulesConfig {
    let mut r = RulesConfig {
        controller_window: wall(120.0),
        leader_imbalance_for: wall(30.0),
        follower_lag_for: wall(30.0),
        isr_churn_window: wall(120.0),
        unclean_election_hold: wall(30.0),
        unread_data_deleted_hold: wall(30.0),
        broker_unreachable_for: wall(30.0),
        quorum_lag_for: wall(30.0),
        ..Default::default()
    };
    // Longer than the slowest healthy committer of the scenarios (60 s)
    // plus a poll: until a group's cadence is learnt this is all there is.
    // A stall of a group that commits every few seconds is flagged by its
    // learnt cadence well before.
    r.lag.stall_after = wall(150.0);
    r.lag.stop_after = wall(30.0);
    r.lag.rewind_for = wall(30.0);
    r.lag.absorb_for = wall(600.0);
    r
}

fn incidents() -> IncidentConfig {
    let d = IncidentConfig::default();
    IncidentConfig {
        for_warning: wall(10.0),
        for_info: wall(10.0),
        resolve_after: wall(d.resolve_after.0.as_secs_f64()),
        broker_recovery_hold: wall(d.broker_recovery_hold.0.as_secs_f64()),
        flap_window: wall(d.flap_window.0.as_secs_f64()),
        flap_quiet: wall(d.flap_quiet.0.as_secs_f64()),
        ..d
    }
}

fn matches(e: &Expectation, f: &Finding) -> bool {
    if !kind_meets(&e.kind, f.kind.as_str()) {
        return false;
    }
    let series = match &f.subject {
        Subject::Series { series } => series.as_str(),
        _ => "",
    };
    if let Some(b) = e.broker {
        // The broker is the subject, one of the brokers blamed, or the
        // leader of the partition (an isolated leader keeps its ISR to itself).
        let leader = f.label(Label::Leader) == Some(b.to_string().as_str());
        if f.subject != (Subject::Broker { id: b }) && !f.brokers.contains(&b) && !leader {
            return false;
        }
    }
    if let Some(g) = &e.group {
        let group_subject = f.subject == Subject::Group { group: g.clone() };
        if !group_subject && !series.contains(&format!("group=\"{g}\"")) {
            return false;
        }
    }
    if let Some(t) = &e.topic {
        let ok = match &f.subject {
            Subject::Topic { topic } | Subject::Partition { topic, .. } => topic == t,
            Subject::Series { series } => series.contains(&format!("topic=\"{t}\"")),
            _ => f.label(Label::Topic) == Some(t.as_str()),
        };
        if !ok {
            return false;
        }
    }
    if let Some(p) = e.partition {
        if !matches!(f.subject, Subject::Partition { partition, .. } if partition == p) {
            return false;
        }
    }
    true
}

struct Outcome {
    failures: Vec<String>,
}

async fn run_scenario(path: std::path::PathBuf) -> Outcome {
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expects = scenario.expect.clone();
    let end = expects
        .iter()
        .map(|e| e.resolve_deadline().unwrap_or(e.raise_deadline()))
        .max()
        .unwrap_or(Duration::from_secs(60))
        .max(scenario.last_event() + scenario.settle)
        + Duration::from_secs(10);
    let started = chrono::Utc::now();
    let sim = Simulator::start(
        scenario.clone(),
        SimOptions {
            speed: SPEED,
            ports: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));

    let mut cluster = ClusterConfig::with_bootstrap(
        &name,
        sim.bootstrap().split(',').map(String::from).collect(),
    );
    cluster.poll_interval = Dur(Duration::from_millis(1000));
    cluster.poll_timeout = Dur(Duration::from_millis(900));
    cluster.request_timeout = Dur(Duration::from_millis(800));
    cluster.forget_broker_after = wall(240.0);
    let state = SharedState::new([name.clone()]);
    let sink = Arc::new(MemorySink::default());
    let stages = crate::support::sim::stages(
        ClusterStage {
            name: name.clone(),
            interval: cluster.poll_interval.0,
            poll_timeout: cluster.poll_timeout.0,
            poller: Box::new(isrwatch::poll::KafkaPoller::new(&cluster).unwrap()),
            evaluator: Box::new(RuleEvaluator::new(
                &name,
                &rules(),
                isrwatch::detect::scorer(&Default::default()),
            )),
        },
        Box::new(IncidentManager::new(&incidents(), Silences::new())),
        sink.clone(),
        state.clone(),
        SimClock {
            start: started,
            speed: SPEED,
            elapsed: Box::new(sim.elapsed_fn()),
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let pipeline = tokio::spawn(daemon::run(stages, async {
        let _ = stop_rx.await;
    }));

    let mut raised: Vec<Option<Duration>> = vec![None; expects.len()];
    let mut resolved: Vec<Option<Duration>> = vec![None; expects.len()];
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = sim.elapsed();
        let findings = state
            .cluster(&name)
            .map(|v| v.evaluation.findings.clone())
            .unwrap_or_default();
        if std::env::var("ISRWATCH_DEBUG").is_ok() {
            if let Some(v) = state.cluster(&name) {
                for g in v
                    .evaluation
                    .groups
                    .iter()
                    .filter(|g| g.status != isrwatch::evaluate::LagStatus::Ok)
                    .take(2)
                {
                    eprintln!("{t:?} {}", g.reason);
                }
            }
        }
        for (i, e) in expects.iter().enumerate() {
            let present = findings.iter().any(|f| matches(e, f));
            if raised[i].is_none() && t >= e.raised_after && present {
                raised[i] = Some(t);
            }
            if let Some(after) = e.resolved_after {
                if raised[i].is_some() && resolved[i].is_none() && t >= after && !present {
                    resolved[i] = Some(t);
                }
            }
        }
        if t > end {
            break;
        }
    }
    let _ = stop_tx.send(());
    let open = pipeline
        .await
        .ok()
        .flatten()
        .map(|c| c.incidents())
        .unwrap_or_default();
    sim.shutdown().await;

    let mut failures = Vec::new();
    for (i, e) in expects.iter().enumerate() {
        let what = format!(
            "{name}:{} {} {:?}{:?}{:?}",
            e.line, e.kind, e.broker, e.group, e.topic
        );
        match raised[i] {
            None => failures.push(format!(
                "{what}: never raised (deadline {:?})",
                e.raise_deadline()
            )),
            Some(t) if t > e.raise_deadline() + Duration::from_secs(2) => failures.push(format!(
                "{what}: raised at {t:?}, deadline {:?}",
                e.raise_deadline()
            )),
            _ => {}
        }
        if let Some(deadline) = e.resolve_deadline() {
            match resolved[i] {
                None if raised[i].is_some() => {
                    failures.push(format!("{what}: never resolved (deadline {deadline:?})"))
                }
                Some(t) if t > deadline + Duration::from_secs(2) => {
                    failures.push(format!("{what}: resolved at {t:?}, deadline {deadline:?}"))
                }
                _ => {}
            }
        }
    }
    if std::env::var("ISRWATCH_DEBUG").is_ok() {
        for n in sink.0.lock().iter() {
            eprintln!(
                "{name} {:?} {}: {:?}",
                n.reason, n.incident.title, n.summary.what_happened
            );
        }
    }
    let notified: Vec<Notified> = sink
        .0
        .lock()
        .iter()
        .map(|n| Notified {
            at: (n.created_at - started)
                .to_std()
                .unwrap_or_default()
                .mul_f64(SPEED),
            reason: n.reason,
            incident: n.incident.clone(),
        })
        .collect();
    failures.extend(
        judge(&scenario, &notified, &open)
            .into_iter()
            .map(|f| format!("{name}: {f}")),
    );
    Outcome { failures }
}

/// Scenario runs in parallel (see the test).
const RUNS_AT_ONCE: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn every_shipped_scenario_raises_and_resolves_its_findings_through_the_daemon() {
    let _group = crate::support::group(module_path!());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 23);
    // ISRWATCH_SCENARIO=name runs that one only (when looking into a failure).
    if let Ok(only) = std::env::var("ISRWATCH_SCENARIO") {
        paths.retain(|p| p.file_stem().is_some_and(|s| s == only.as_str()));
    }
    // Each run is a real-time pipeline (simulator, librdkafka poller,
    // daemon) judged against deadlines: at most RUNS_AT_ONCE share the
    // machine's 2 cores, or late polls fail scenarios that pass alone.
    let at_once = std::sync::Arc::new(tokio::sync::Semaphore::new(RUNS_AT_ONCE));
    let runs: Vec<_> = paths
        .into_iter()
        .map(|p| {
            let at_once = at_once.clone();
            tokio::spawn(async move {
                let _permit = at_once.acquire_owned().await.unwrap();
                run_scenario(p).await
            })
        })
        .collect();
    let mut failures = Vec::new();
    for r in runs {
        failures.extend(r.await.unwrap().failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
