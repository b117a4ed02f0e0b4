//! Fast-forward runs (`isrwatch::soak`: the real poller over the wire, the
//! real evaluator and incident manager, on a virtual clock) with the
//! shipped defaults, as a new user runs isrwatch:
//!
//! - every shipped scenario, after ten minutes of watching the healthy
//!   cluster, passes the closed-world check (`sim::judge`): each
//!   expectation notified once, nothing else unless allowed, nothing firing
//!   once the cluster settled;
//! - the healthy cluster shapes of `tests/soak` notify nothing from the
//!   rules for hours, and the anomaly detector at most once per shape
//!   (the 24-hour form is a benchmark: docs/benchmarks.md).
//!
//! `ISRWATCH_SCENARIO=name` runs one scenario.

use std::path::PathBuf;
use std::time::Duration;

use isrwatch::config::Config;
use isrwatch::sim::{judge, Scenario};
use isrwatch::soak::SoakReport;

/// How long the monitor watches the healthy cluster before the first event.
const WARM_UP: Duration = isrwatch::soak::JUDGED_WARM_UP;
/// The shipped poll interval: the judge looks a little past `settle`.
const POLL: Duration = Duration::from_secs(15);

fn tomls(dir: &str) -> Vec<PathBuf> {
    let dir = format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            std::env::var("ISRWATCH_SCENARIO")
                .map(|only| p.file_stem().is_some_and(|s| s.to_string_lossy() == only))
                .unwrap_or(true)
        })
        .collect();
    paths.sort();
    paths
}

fn stem(p: &std::path::Path) -> String {
    p.file_stem().unwrap().to_string_lossy().to_string()
}

/// The scenario at `path`, `warm_up` after the monitor started watching,
/// through `isrwatch soak` with the shipped defaults until it settled, and
/// the closed-world check's failures.
async fn judged_run(path: &std::path::Path, warm_up: Duration) -> (SoakReport, Vec<String>) {
    let config = Config::default();
    let name = stem(path);
    let scenario = Scenario::load(path)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .delayed(warm_up);
    let report = isrwatch::soak::run_judged(scenario.clone(), &config)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let failures = judge(&scenario, &report.notified, &report.open);
    (report, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_shipped_scenario_passes_the_closed_world_check_with_the_shipped_defaults() {
    let _group = crate::support::group(module_path!());
    // `tests/scenarios/long`: faults too long for the real-time runs
    // (`scenarios_e2e`), checked here on the virtual clock only.
    let mut paths = tomls("tests/scenarios");
    paths.extend(tomls("tests/scenarios/long"));
    if std::env::var("ISRWATCH_SCENARIO").is_err() {
        assert!(paths.len() >= 26, "{paths:?}");
    }
    let mut runs = tokio::task::JoinSet::new();
    for path in paths {
        runs.spawn(async move {
            let name = stem(&path);
            let (report, failures) = judged_run(&path, WARM_UP).await;
            let failures: Vec<String> = failures
                .into_iter()
                .map(|f| format!("{name}: {f}"))
                .collect();
            (name, report, failures)
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = runs.join_next().await {
        let (name, report, f) = r.unwrap();
        if !f.is_empty() {
            eprintln!("{}", report.render(&name));
        }
        failures.extend(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The producer-stop scenarios again after a day of watching, when the
/// detector has woken every signal (rises and activity wait
/// `novelty_after`): a stop is still one incident, raised once and
/// resolved when traffic returns (the detector scored the learnt silence
/// again on its activity signal, and that replaced the held stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn producer_stops_after_a_day_of_watching_pass_the_closed_world_check() {
    let _group = crate::support::group(module_path!());
    let day = Duration::from_secs(26 * 3600);
    let mut runs = tokio::task::JoinSet::new();
    for name in [
        "scenarios/producers_stop",
        "scenarios/long/one_topic_stops_for_an_hour",
        "scenarios/long/every_producer_stops_for_45_minutes",
    ] {
        runs.spawn(async move {
            let path = PathBuf::from(format!("{}/tests/{name}.toml", env!("CARGO_MANIFEST_DIR")));
            let (report, failures) = judged_run(&path, day).await;
            (name, report, failures)
        });
    }
    while let Some(r) = runs.join_next().await {
        let (name, report, failures) = r.unwrap();
        assert!(
            failures.is_empty(),
            "{}\n{}",
            failures.join("\n"),
            report.render(name)
        );
    }
}

/// A judged run goes on while an incident is firing, past the longest
/// hold alone: holds follow one another. With `broker_down_for = "30s"`,
/// `broker_flapping`'s short outages are told as replication trouble, an
/// ISR-churn finding holds that incident for its window, then flap damping
/// for its quiet time; it resolved a minute after a span of the longest
/// hold and was judged "never resolved" (hunt 22, S1).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_judged_run_waits_for_holds_that_follow_one_another() {
    let _group = crate::support::group(module_path!());
    let path = format!(
        "{}/tests/scenarios/broker_flapping.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let scenario = Scenario::load(std::path::Path::new(&path))
        .unwrap()
        .delayed(WARM_UP);
    let mut config = Config::default();
    config.rules.broker_down_for = isrwatch::config::Dur::secs(30);
    let span = isrwatch::soak::judged_span(&scenario, &config);
    let report = isrwatch::soak::run_judged(scenario.clone(), &config)
        .await
        .unwrap();
    let failures = judge(&scenario, &report.notified, &report.open);
    let unresolved: Vec<&String> = failures
        .iter()
        .filter(|f| f.contains("never resolved") || f.contains("still firing"))
        .collect();
    assert!(
        report.simulated > span && unresolved.is_empty(),
        "{unresolved:?}\n{}",
        report.render("broker_flapping")
    );
    assert!(report.simulated <= isrwatch::soak::judged_cap(&scenario, &config));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn healthy_cluster_shapes_notify_nothing_for_hours() {
    let _group = crate::support::group(module_path!());
    let hours = |h: u64| Duration::from_secs(h * 3600);
    let mut runs = tokio::task::JoinSet::new();
    for path in tomls("tests/soak") {
        let name = stem(&path);
        let span = match name.as_str() {
            // Past the first day, when novelty wakes up (the 24 h form of
            // every shape is a benchmark: docs/benchmarks.md).
            "small_quiet" => hours(30),
            "large" => Duration::from_secs(300),
            _ => hours(1),
        };
        runs.spawn(async move {
            let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let report = isrwatch::soak::run(scenario, &Config::default(), span)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, report)
        });
    }
    let mut failures = Vec::new();
    let mut shapes = 0;
    while let Some(r) = runs.join_next().await {
        let (name, report) = r.unwrap();
        shapes += 1;
        assert_eq!(report.unreachable_polls, 0, "{}", report.render(&name));
        // Nothing at all: no rule, no lag status, no anomaly.
        if !report.notified.is_empty()
            || report
                .open
                .iter()
                .any(|i| i.state == isrwatch::model::IncidentState::Firing)
        {
            failures.push(report.render(&name));
        }
    }
    if std::env::var("ISRWATCH_SCENARIO").is_err() {
        assert!(shapes >= 4);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (kind, reason, simulated seconds) of each notification of a real-time
/// run: the whole daemon pipeline against the simulator at `speed`, with
/// the shipped defaults time-scaled by `1/speed` (what `demo --speed` runs).
async fn real_time(scenario: Scenario, end: Duration, speed: f64) -> Vec<(String, String, f64)> {
    use isrwatch::daemon::{self, ClusterStage, MemorySink};
    use isrwatch::sim::{SimOptions, Simulator};
    use std::sync::Arc;

    let sim = Simulator::start(scenario, SimOptions { speed, ports: None })
        .await
        .unwrap();
    let base = Config {
        clusters: vec![isrwatch::config::ClusterConfig::with_bootstrap(
            "rt",
            sim.bootstrap().split(',').map(String::from).collect(),
        )],
        ..Default::default()
    };
    let config = base.time_scaled(1.0 / speed).unwrap();
    let cluster = &config.clusters[0];
    let sink = Arc::new(MemorySink::default());
    let start = sim.started_at();
    let stages = crate::support::sim::stages(
        ClusterStage {
            name: "rt".into(),
            interval: cluster.poll_interval.0,
            poll_timeout: cluster.poll_timeout.0,
            poller: Box::new(isrwatch::poll::KafkaPoller::new(cluster).unwrap()),
            evaluator: Box::new(isrwatch::evaluate::RuleEvaluator::new(
                "rt",
                &config.rules,
                isrwatch::daemon::build::scorer_for(&config),
            )),
        },
        Box::new(isrwatch::incident::IncidentManager::new(
            &config.incidents,
            isrwatch::incident::Silences::new(),
        )),
        sink.clone(),
        isrwatch::state::SharedState::new(["rt".to_string()]),
        crate::support::sim::SimClock {
            start,
            speed,
            elapsed: Box::new(sim.elapsed_fn()),
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let pipeline = tokio::spawn(daemon::run(stages, async {
        let _ = stop_rx.await;
    }));
    while sim.elapsed() < end {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(());
    let _ = pipeline.await;
    sim.shutdown().await;
    let out = sink
        .0
        .lock()
        .iter()
        .map(|n| {
            let wall = (n.created_at - start).to_std().unwrap_or_default();
            (
                n.incident.kind.as_str().to_string(),
                n.reason.as_str().to_string(),
                wall.as_secs_f64() * speed,
            )
        })
        .collect();
    out
}

/// The fast-forward gives what real time gives: the same notifications
/// (kind and reason, in order), each within two polls of the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_notifies_what_real_time_does() {
    let _group = crate::support::group(module_path!());
    const SPEED: f64 = 20.0;
    let mut runs = tokio::task::JoinSet::new();
    for name in ["broker_down", "rolling_restart", "consumer_stop"] {
        runs.spawn(async move {
            let path = format!("{}/tests/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let scenario = Scenario::load(std::path::Path::new(&path))
                .unwrap()
                .delayed(Duration::from_secs(120));
            let end = scenario.last_event() + scenario.settle + 2 * POLL;
            let soak = isrwatch::soak::run(scenario.clone(), &Config::default(), end)
                .await
                .unwrap();
            let soaked: Vec<(String, String, f64)> = soak
                .notified
                .iter()
                .map(|n| {
                    (
                        n.incident.kind.as_str().to_string(),
                        n.reason.as_str().to_string(),
                        n.at.as_secs_f64(),
                    )
                })
                .collect();
            let real = real_time(scenario, end, SPEED).await;
            (name, soaked, real)
        });
    }
    while let Some(r) = runs.join_next().await {
        let (name, soaked, real) = r.unwrap();
        assert!(!soaked.is_empty(), "{name}: nothing notified");
        let what = |v: &[(String, String, f64)]| -> Vec<(String, String)> {
            v.iter().map(|(k, r, _)| (k.clone(), r.clone())).collect()
        };
        assert_eq!(
            what(&soaked),
            what(&real),
            "{name}: soak {soaked:?}\nreal time {real:?}"
        );
        for (s, r) in soaked.iter().zip(&real) {
            assert!(
                (s.2 - r.2).abs() <= 2.0 * POLL.as_secs_f64() + 1.0,
                "{name}: {s:?} vs {r:?}"
            );
        }
    }
}
