//! Benchmarks printed as tables (`isrwatch bench ...`).

pub mod baseline;
pub mod child;
pub mod latency;
mod process;
pub mod scale;

use clap::{Args, ValueEnum};

pub use process::{peak_rss_bytes, process_cpu_time, rss_bytes};

/// The options of `isrwatch bench`: the bench's own type (the command
/// line embeds it), so the bench depends on no part of the CLI.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[arg(value_enum)]
    pub which: BenchKind,
    /// Partitions in the simulated cluster (`scale`).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
    /// Consumer groups in the simulated cluster (`scale`).
    #[arg(long, value_name = "G")]
    pub groups: Option<usize>,
    /// How long the baseline scrape may run before it is stopped (`scale`;
    /// default 120s). Its figures are then lower bounds.
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub baseline_timeout: Option<Duration>,
    /// Polls (each evaluated) before the measured one (`scale`; default 0):
    /// what the daemon holds after a while, its lag-in-seconds histories
    /// filled to their point budget (64 polls), not after its first poll.
    #[arg(long, value_name = "N")]
    pub history_polls: Option<usize>,
    /// Measure isrwatch with `direct_requests = false`: offsets and groups
    /// through librdkafka's admin API, the path GSSAPI and OAUTHBEARER clusters take
    /// (`scale`).
    #[arg(long)]
    pub librdkafka: bool,
    /// Simulated brokers ask for SASL_SSL (TLS with a throw-away CA, SCRAM-SHA-512)
    /// instead of PLAINTEXT; both sides are configured for it (`scale`).
    #[arg(long)]
    pub sasl_ssl: bool,
    /// Keep the shipped incident pending delays (`[incidents] for_*`: 30 s
    /// for warnings) instead of setting them to 0, to see what a default
    /// installation notifies and when (`latency`).
    #[arg(long)]
    pub shipped_pending: bool,
    /// The daemons' poll interval (`latency`; default 1s).
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub poll_interval: Option<Duration>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where the NAB split lives (`nab`).
    #[arg(long, value_name = "DIR", default_value = "../shared/nab")]
    pub nab_dir: std::path::PathBuf,
    /// Cross-validate over K folds of the split (`nab`): the detector's
    /// knobs are chosen on K-1 folds and scored on the one left out, for
    /// each fold.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// With `--cv`: choose the alert threshold on the training folds too,
    /// instead of keeping it at 0.5 where every signal meets its margin.
    #[arg(long)]
    pub threshold_free: bool,
    /// The labelled Kafka series (`kafka-series`).
    #[arg(long, value_name = "DIR", default_value = "tests/detector/kafka")]
    pub set: std::path::PathBuf,
    /// Build the labelled set into `--set` first, from the `soak
    /// --record-series` outputs under RAW (one directory per shape)
    /// (`kafka-series`).
    #[arg(long, value_name = "RAW")]
    pub build_from: Option<std::path::PathBuf>,
}

/// The benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// The detector on the NAB split, scored at the shipped alert threshold.
    Nab,
    /// Poll cost, memory, scrape time and requests against the simulator, vs a baseline poller.
    Scale,
    /// Time from each shipped fault scenario to its first notification.
    Latency,
    /// Detector throughput and memory per series.
    Detector,
    /// The detector on labelled Kafka series recorded from the simulator:
    /// false alarms per series-day on healthy ones, injected faults found.
    KafkaSeries,
}

/// `isrwatch bench ...`: runs one benchmark and prints its table (or JSON).
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.which {
        BenchKind::Nab if args.cv.is_some() => {
            let dir = args.nab_dir.clone();
            let k = args.cv.unwrap_or(5);
            let free = args.threshold_free;
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let corpus = crate::detect::nab::NabCorpus::load(&dir)?;
                Ok(crate::detect::nab::cross_validate(
                    &corpus,
                    &crate::detect::nab::cv_candidates(free),
                    k,
                ))
            })
            .await??;
            print_report(&report, args.json)
        }
        BenchKind::KafkaSeries => {
            let set = args.set.clone();
            let raw = args.build_from.clone();
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                if let Some(raw) = raw {
                    let files = crate::detect::kafka_set::build(
                        &raw,
                        crate::detect::kafka_set::SHIPPED_PER_FAMILY,
                        crate::detect::kafka_set::SHIPPED_POINTS,
                        42,
                    )?;
                    crate::detect::kafka_set::write_set(&set, &files)?;
                }
                let cfg = crate::detect::DetectorConfig::default();
                crate::detect::kafka_set::measure(
                    &set,
                    &cfg.params(),
                    cfg.relative_margin,
                    cfg.alert_threshold,
                )
            })
            .await??;
            print_report(&report, args.json)
        }
        BenchKind::Nab => {
            let dir = args.nab_dir.clone();
            let report = tokio::task::spawn_blocking(move || {
                crate::detect::bench_nab(&dir, &crate::detect::DetectorConfig::default())
            })
            .await??;
            print_report(&report, args.json)
        }
        BenchKind::Detector => {
            let report =
                tokio::task::spawn_blocking(|| crate::detect::bench_throughput(20_000_000)).await?;
            print_report(&report, args.json)
        }
        BenchKind::Scale => {
            let sizes = match (args.partitions, args.groups) {
                (None, None) => scale::DEFAULT_SIZES.to_vec(),
                (p, g) => vec![scale::Size {
                    partitions: p.unwrap_or(10_000).max(1),
                    groups: g.unwrap_or(0),
                }],
            };
            let timeout = args.baseline_timeout.unwrap_or(scale::BASELINE_TIMEOUT);
            let report = scale::run(
                &sizes,
                scale::ScaleOptions {
                    baseline_timeout: timeout,
                    direct_requests: !args.librdkafka,
                    sasl_ssl: args.sasl_ssl,
                    history_polls: args.history_polls.unwrap_or(0),
                },
            )
            .await?;
            print_report(&report, args.json)
        }
        BenchKind::Latency => {
            let defaults = latency::LatencyOptions::default();
            let report = latency::run(&latency::LatencyOptions {
                shipped_pending: args.shipped_pending,
                poll_interval: args.poll_interval.unwrap_or(defaults.poll_interval),
                ..defaults
            })
            .await?;
            print_report(&report, args.json)
        }
    }
}

fn print_report<T: std::fmt::Display + serde::Serialize>(r: &T, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        println!("{r}");
    }
    Ok(())
}

use std::time::Duration;
