//! Where the command line meets the rest of the crate: one function per
//! command whose work lives in another module.

use std::io::IsTerminal as _;
use std::time::Duration;

use super::{BenchArgs, DemoArgs, DetectArgs, ShutdownSignal, SimArgs, SoakArgs};
use crate::config::{ClusterConfig, Config};
use crate::evaluate::{Evaluator as _, GroupLagStatus, NoScorer, RuleEvaluator};
use crate::model::IncidentState;
use crate::poll::Poller as _;
use crate::snapshot::{ClusterSnapshot, Time};
use crate::state::SharedState;

/// `isrwatch run`: runs the daemon on a validated configuration until
/// `shutdown` completes (SIGINT/SIGTERM), then stops within
/// `config.daemon.shutdown_timeout`.
pub async fn run(config: Config, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    crate::daemon::build::run(config, shutdown).await
}

/// `isrwatch check`: one poll of `cluster` and the lag status of its
/// groups as far as one poll can tell. An unreachable cluster is `Ok` with
/// `reachable = false`; `Err` is for failures to even start (bad client
/// properties, unreadable secrets).
pub async fn check_poll(
    cluster: &ClusterConfig,
    now: Time,
) -> anyhow::Result<(ClusterSnapshot, Vec<GroupLagStatus>)> {
    let mut poller = crate::poll::KafkaPoller::new(cluster).map_err(|e| anyhow::anyhow!("{e}"))?;
    let snap = poller.poll(now).await;
    let mut evaluator = RuleEvaluator::new(&cluster.name, &Default::default(), Box::new(NoScorer));
    let eval = evaluator.evaluate(&snap, now);
    Ok((snap, eval.groups))
}

/// The configuration `isrwatch demo` runs with ([`Config::demo`], with
/// the command line's options).
pub fn demo_config(
    args: &DemoArgs,
    bootstrap: &str,
    webhook_secret: &str,
) -> anyhow::Result<Config> {
    Config::demo(&args.options(), bootstrap, webhook_secret).map_err(anyhow::Error::msg)
}

/// `isrwatch demo`: simulator + daemon + status line until `shutdown` or
/// `args.duration`.
pub async fn demo(args: DemoArgs, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    let scenario = match &args.scenario {
        Some(p) => crate::sim::Scenario::load(p)?,
        None => crate::sim::Scenario::demo(),
    };
    let events = scenario.events.len();
    let sim = crate::sim::Simulator::start(
        scenario,
        crate::sim::SimOptions {
            speed: args.speed,
            ports: None,
        },
    )
    .await?;
    let bootstrap = sim.bootstrap();
    let secret = format!("demo-{:016x}", rand::random::<u64>());
    let config = demo_config(&args, &bootstrap, &secret)?;
    let problems = config.validate();
    if !problems.is_empty() {
        anyhow::bail!("demo configuration is invalid:\n{problems}");
    }
    let state_dir = config.daemon.state_dir.clone();
    let running = crate::daemon::build::start(config).await?;
    let api = format!("http://{}", running.api_addr);
    eprintln!(
        "isrwatch demo: open the status page at {api}/\n\
         \x20 a simulated Kafka cluster is at {bootstrap} ({events} scripted events at speed {}x)\n\
         \x20 status   {api}/api/v1/status\n\
         \x20 incidents {api}/api/v1/incidents\n\
         \x20 metrics  {api}/metrics\n\
         \x20 kcat     kcat -b {bootstrap} -L\n\
         \x20 check    isrwatch check --bootstrap {bootstrap}",
        args.speed
    );
    if args.webhook.is_some() {
        eprintln!("  webhook signatures use the secret {secret} (see docs/webhook.md)");
    }
    eprintln!("Press Ctrl-C to stop.");

    let deadline = async {
        match args.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let status = status_line_loop(running.state.clone(), sim.elapsed_fn());
    tokio::select! {
        _ = shutdown => {}
        _ = deadline => {}
        _ = status => {}
    }
    eprintln!();
    running.stop().await;
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(state_dir);
    Ok(())
}

/// One line a person can read: brokers, partition states, lagging groups,
/// firing incidents and the newest title.
pub fn status_line(state: &SharedState, sim_elapsed: Duration) -> String {
    let secs = sim_elapsed.as_secs();
    let mut out = format!("[sim {:02}:{:02}]", secs / 60, secs % 60);
    for v in state.clusters() {
        match v.snapshot.as_deref() {
            None => out.push_str(" waiting for the first poll"),
            Some(s) if !s.reachable => out.push_str(" cluster unreachable"),
            Some(s) => {
                let c = s.counts();
                let lagging = v
                    .evaluation
                    .groups
                    .iter()
                    .filter(|g| g.status != crate::evaluate::LagStatus::Ok)
                    .count();
                out.push_str(&format!(
                    " brokers {}/{} · under-replicated {} · under-min-ISR {} · offline {} · lagging groups {}",
                    s.brokers.len(),
                    s.brokers.len() + s.missing_brokers.len(),
                    c.under_replicated,
                    c.under_min_isr,
                    c.offline,
                    lagging
                ));
            }
        }
    }
    let incidents = state.incidents();
    let firing: Vec<_> = incidents
        .iter()
        .filter(|i| i.state == IncidentState::Firing)
        .collect();
    out.push_str(&format!(" · firing incidents {}", firing.len()));
    if let Some(i) = firing.iter().max_by_key(|i| i.started_at) {
        out.push_str(&format!(" (newest: {})", i.title));
    }
    out
}

async fn status_line_loop(state: std::sync::Arc<SharedState>, elapsed: impl Fn() -> Duration) {
    let tty = std::io::stderr().is_terminal();
    let every = if tty {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let mut last = String::new();
    loop {
        tokio::time::sleep(every).await;
        let line = status_line(&state, elapsed());
        if tty {
            let width = 160;
            let shown: String = line.chars().take(width).collect();
            eprint!("\r\x1b[2K{shown}");
        } else if line != last {
            eprintln!("{line}");
        }
        last = line;
    }
}

/// `isrwatch sim`: the simulator alone, printing its bootstrap address,
/// until `shutdown`.
pub async fn sim(args: SimArgs, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    crate::sim::run_cli(args.scenario, args.speed, shutdown).await
}

/// `isrwatch detect`: the anomaly detector over a CSV file.
pub async fn detect(args: DetectArgs) -> anyhow::Result<()> {
    let cfg = crate::detect::DetectorConfig::default();
    tokio::task::spawn_blocking(move || {
        crate::detect::run_detect_csv(&args.input, &args.output, &cfg)
    })
    .await?
}

/// `isrwatch bench ...`: prints a benchmark's table (or JSON).
pub async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    crate::bench::run(args).await
}

/// The hidden `isrwatch bench-child`: one measured side of `bench scale`.
pub async fn bench_child(args: crate::bench::child::ChildArgs) -> anyhow::Result<()> {
    crate::bench::child::run(args).await
}

/// `isrwatch soak`: the scenario through the daemon's stages on a virtual
/// clock; prints what was notified, by kind, and what is still firing.
/// With `--judge`, also the closed-world verdict: `false` when it failed.
pub async fn soak(args: SoakArgs, config: Config) -> anyhow::Result<bool> {
    let warm_up = args.warm_up.unwrap_or(match args.judge {
        true => crate::soak::JUDGED_WARM_UP,
        false => Duration::ZERO,
    });
    let scenario = crate::sim::Scenario::load(&args.scenario)?.delayed(warm_up);
    let name = args
        .scenario
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let span = match args.judge {
        true => crate::soak::judged_span(&scenario, &config),
        false => args.duration,
    };
    let report = match (&args.record_series, args.judge) {
        (None, true) => crate::soak::run_judged(scenario.clone(), &config).await?,
        (None, false) => crate::soak::run(scenario.clone(), &config, span).await?,
        (Some(_), _) => crate::soak::run_recording(scenario.clone(), &config, span).await?,
    };
    print!("{}", report.render(&name));
    if let Some(dir) = &args.record_series {
        let written = crate::detect::write_series_dir(dir, &report.recorded)?;
        println!("wrote {written} series to {}", dir.display());
    }
    if !args.judge {
        return Ok(true);
    }
    let failures = crate::sim::judge(&scenario, &report.notified, &report.open);
    match failures.len() {
        0 => println!("closed-world check: passed"),
        n => println!("closed-world check: {n} failed"),
    }
    for f in &failures {
        println!("  {f}");
    }
    Ok(failures.is_empty())
}
