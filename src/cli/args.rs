//! The command line: exit codes, the commands and their options (clap).
//! A leaf: [`super::wire`] and [`super::report`] import it, not the CLI's
//! entry point.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::bench::BenchArgs;
use crate::config;

/// Exit code: success, or `check` found the cluster healthy.
pub const EXIT_OK: i32 = 0;
/// Exit code: `check` found the cluster unhealthy.
pub const EXIT_UNHEALTHY: i32 = 1;
/// Exit code: an error (arguments, configuration, connection, failure).
pub const EXIT_ERROR: i32 = 2;

/// `isrwatch`: watches Kafka clusters and reports replication trouble.
#[derive(Debug, Parser)]
#[command(name = "isrwatch", version, about, long_about = None)]
pub struct Cli {
    /// Log line format (logs go to stderr). The level comes from
    /// ISRWATCH_LOG, else RUST_LOG (EnvFilter syntax), else `info`.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every configured cluster, evaluate, notify, serve HTTP.
    Run(RunArgs),
    /// Poll one cluster once and print a health report (exit 0 healthy, 1 unhealthy, 2 error).
    Check(CheckArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Start the simulator with a fault scenario and run the whole daemon against it.
    Demo(DemoArgs),
    /// Run only the Kafka cluster simulator and print its bootstrap address.
    Sim(SimArgs),
    /// Fast-forward: run a scenario for hours of simulated time on a virtual
    /// clock through the daemon's stages and print what would be notified.
    Soak(SoakArgs),
    /// Run the anomaly detector over a `timestamp,value` CSV file.
    Detect(DetectArgs),
    /// Run a benchmark and print its table.
    Bench(BenchArgs),
    /// GET a URL and exit 0 when it answers 2xx, 1 otherwise (container
    /// health checks without curl, e.g. `isrwatch probe http://127.0.0.1:9309/healthz`).
    Probe(ProbeArgs),
    /// Internal: one measured side of `bench scale`, run in a child process.
    #[command(hide = true)]
    BenchChild(crate::bench::child::ChildArgs),
}

/// `isrwatch run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
}

/// `isrwatch check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Bootstrap broker(s), `host:port`, comma-separated for several.
    #[arg(
        long,
        short = 'b',
        value_name = "HOST:PORT",
        value_delimiter = ',',
        required = true
    )]
    pub bootstrap: Vec<String>,
    /// A configuration file to take the client properties (security, SASL,
    /// TLS), timeouts and filters from; `--bootstrap` still decides where to connect.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Which `[[clusters]]` entry of `--config` to use (default: the first).
    #[arg(long, value_name = "NAME", requires = "config")]
    pub cluster: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// Output format of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A report for a terminal (fits 100 columns).
    Table,
    /// Machine-readable JSON on stdout.
    Json,
}

/// `isrwatch config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file without connecting anywhere: prints "ok",
    /// or every problem with its key path and line and exits 2.
    Validate {
        /// The configuration file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a complete, commented example configuration.
    Example,
}

/// `isrwatch demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Scenario file (TOML); default: the built-in tour of the main faults.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Scenario speed-up factor (2 = twice as fast as written).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Address of the HTTP API and /metrics, e.g. `127.0.0.1:8080`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Also send notifications to this generic webhook URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Also send notifications to this Slack incoming-webhook URL.
    #[arg(long, value_name = "URL")]
    pub slack_webhook: Option<String>,
    /// Also send alerts to this Alertmanager (base URL).
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
    /// Stop after this long (e.g. `5m`); default: when interrupted.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub duration: Option<Duration>,
    /// How often the demo's daemon polls the simulated cluster (default:
    /// 5s divided by `--speed`, at least 250ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub poll_interval: Option<Duration>,
}

impl DemoArgs {
    /// What the demo's configuration takes from these options.
    pub fn options(&self) -> config::DemoOptions {
        config::DemoOptions {
            speed: self.speed,
            poll_interval: self.poll_interval,
            listen: self.listen.clone(),
            webhook: self.webhook.clone(),
            slack_webhook: self.slack_webhook.clone(),
            alertmanager: self.alertmanager.clone(),
        }
    }
}

/// `isrwatch sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Scenario file (TOML); default: the built-in cluster with no faults.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Scenario speed-up factor.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
}

/// `isrwatch soak`.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// Scenario file (TOML).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// Simulated time to run, e.g. `24h`.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration_arg)]
    pub duration: Duration,
    /// Watch the healthy cluster this long before the scenario's first
    /// event (every event moves later by it), as a running daemon has.
    /// Default: 0s, or 10m with `--judge` (how every shipped scenario is
    /// judged: a monitor that has learnt the healthy cluster first).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub warm_up: Option<Duration>,
    /// Take rules, anomaly, incident and poll settings from this
    /// configuration file (its first cluster; the bootstrap is the
    /// simulator's). Default: the shipped defaults.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write every series the detector scored to DIR, one
    /// `timestamp,value` CSV per series (the raw material of
    /// `isrwatch bench kafka-series`).
    #[arg(long, value_name = "DIR")]
    pub record_series: Option<PathBuf>,
    /// Judge the run closed-world against the scenario's `[[expect]]` and
    /// `[[allow]]` (tests/scenarios/README.md): run until the scenario has
    /// settled after its last event (instead of `--duration`), print each
    /// failure, exit 1 when there is one.
    #[arg(long)]
    pub judge: bool,
}

/// `isrwatch detect`.
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// Input CSV: `timestamp,value` with a header row.
    #[arg(long, short = 'i', value_name = "FILE.csv")]
    pub input: PathBuf,
    /// Output CSV: `timestamp,value,anomaly_score,alert`.
    #[arg(long, short = 'o', value_name = "FILE.csv")]
    pub output: PathBuf,
}

/// `isrwatch probe`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// The URL to GET, e.g. `http://127.0.0.1:9309/healthz`.
    #[arg(value_name = "URL")]
    pub url: String,
    /// Give up after this long.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration_arg)]
    pub timeout: Duration,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a positive number, found {s:?}")),
    }
}

fn parse_duration_arg(s: &str) -> Result<Duration, String> {
    config::parse_duration(s)
}

/// A future that completes on shutdown; what [`super::wire`] functions take.
pub type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;
