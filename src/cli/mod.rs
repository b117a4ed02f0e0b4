//! The command line: argument parsing (clap), logging set-up, and dispatch.
//!
//! Exit codes: 0 success (for `check`: healthy), 1 `check` found the cluster
//! unhealthy, 2 any error (bad arguments, bad configuration, cluster
//! unreachable, a command that failed).
//!
//! Commands whose work lives in other modules (`run`, `demo`, `sim`,
//! `detect`, `bench`, and the poll behind `check`) go through [`wire`], the
//! one place where the command line meets the rest of the crate.

use std::io::Write;
use std::path::Path;

use clap::Parser;

pub use crate::bench::{BenchArgs, BenchKind};
use crate::config::{self, ClusterConfig, Config};

mod args;
pub mod report;
pub mod wire;

pub use args::{
    CheckArgs, Cli, Command, ConfigCommand, DemoArgs, DetectArgs, LogFormat, ProbeArgs,
    ReportFormat, RunArgs, ShutdownSignal, SimArgs, SoakArgs, EXIT_ERROR, EXIT_OK, EXIT_UNHEALTHY,
};

/// Completes when the process receives SIGINT (Ctrl-C) or SIGTERM. Pass it
/// to the daemon so that both stop everything within its deadline.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        _ = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Parses the process arguments, sets up logging, runs the command and
/// returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are "errors" that exit 0.
            let code = e.exit_code();
            let _ = e.print();
            return code;
        }
    };
    run_cli(cli)
}

/// Runs parsed arguments; see [`main`].
pub fn run_cli(cli: Cli) -> i32 {
    init_tracing(cli.log_format);
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    match cli.command {
        Command::Config(ConfigCommand::Validate { file }) => {
            config_validate(&file, &mut out, &mut err)
        }
        Command::Config(ConfigCommand::Example) => {
            let _ = out.write_all(config::example().as_bytes());
            EXIT_OK
        }
        command => {
            drop(out);
            drop(err);
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return EXIT_ERROR;
                }
            };
            rt.block_on(dispatch(command))
        }
    }
}

/// Sets up `tracing`: level from `ISRWATCH_LOG`, else `RUST_LOG`, else
/// `info`; lines to stderr in the chosen format. Calling it twice is harmless.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let spec = std::env::var("ISRWATCH_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .filter(|s| !s.trim().is_empty());
    let filter = match spec.as_deref().map(EnvFilter::try_new) {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("warning: ignoring the log level setting ({e}); using info");
            EnvFilter::new("info")
        }
        None => EnvFilter::new("info"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn dispatch(command: Command) -> i32 {
    let result = match command {
        Command::Run(args) => match load_or_print(&args.config) {
            Some(cfg) => wire::run(cfg, Box::pin(shutdown_signal())).await,
            None => return EXIT_ERROR,
        },
        Command::Check(args) => return check(&args).await,
        Command::Probe(args) => return probe(&args).await,
        Command::Demo(args) => wire::demo(args, Box::pin(shutdown_signal())).await,
        Command::Sim(args) => wire::sim(args, Box::pin(shutdown_signal())).await,
        Command::Detect(args) => wire::detect(args).await,
        Command::Soak(args) => {
            let config = match &args.config {
                Some(path) => match load_or_print(path) {
                    Some(cfg) => cfg,
                    None => return EXIT_ERROR,
                },
                None => Default::default(),
            };
            match wire::soak(args, config).await {
                Ok(false) => return EXIT_UNHEALTHY,
                r => r.map(|_| ()),
            }
        }
        Command::Bench(args) => wire::bench(args).await,
        Command::BenchChild(args) => wire::bench_child(args).await,
        Command::Config(_) => Ok(()), // handled before the runtime starts
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    }
}

/// `isrwatch probe`: 0 on a 2xx answer, 1 on any other answer or no answer,
/// 2 when the URL itself is bad. One line on stdout either way.
async fn probe(args: &ProbeArgs) -> i32 {
    let url = match reqwest::Url::parse(&args.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            eprintln!(
                "error: probe URL {:?}: expected http:// or https://, found {}://",
                args.url,
                u.scheme()
            );
            return EXIT_ERROR;
        }
        Err(e) => {
            eprintln!("error: probe URL {:?}: {e}", args.url);
            return EXIT_ERROR;
        }
    };
    let client = match reqwest::Client::builder().timeout(args.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot build an HTTP client: {e}");
            return EXIT_ERROR;
        }
    };
    match client.get(url.clone()).send().await {
        Ok(r) if r.status().is_success() => {
            println!("{url}: {}", r.status());
            EXIT_OK
        }
        Ok(r) => {
            println!("{url}: {}", r.status());
            EXIT_UNHEALTHY
        }
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {:?}", args.timeout)
            } else {
                format!("{e}")
            };
            println!("{url}: {why}");
            EXIT_UNHEALTHY
        }
    }
}

/// Loads a configuration, printing every problem to stderr when it is bad.
fn load_or_print(path: &Path) -> Option<Config> {
    match config::load(path) {
        Ok(c) => {
            for w in c.warnings() {
                tracing::warn!("{}: {w}", path.display());
            }
            Some(c)
        }
        Err(problems) => {
            eprint!("{}", problems_text(path, &problems));
            None
        }
    }
}

fn problems_text(path: &Path, problems: &config::Problems) -> String {
    let n = problems.len();
    let mut s = format!(
        "{}: {n} problem{}:\n",
        path.display(),
        if n == 1 { "" } else { "s" }
    );
    for p in problems.iter() {
        s.push_str(&format!("  {p}\n"));
    }
    s
}

/// `isrwatch config validate FILE`: "ok" on `out` and exit 0, or every
/// problem on `err` and exit 2. Warnings go to `err` without failing.
pub fn config_validate(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match config::load(path) {
        Ok(c) => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let mut warnings = config::Problems(c.warnings());
            config::fill_lines(&mut warnings, &text);
            for w in warnings.iter() {
                let _ = writeln!(err, "warning: {w}");
            }
            let _ = writeln!(out, "ok");
            EXIT_OK
        }
        Err(problems) => {
            let _ = write!(err, "{}", problems_text(path, &problems));
            EXIT_ERROR
        }
    }
}

/// Builds the cluster entry `check` polls: from `--config` when given
/// (properties, timeouts, filters), always with `--bootstrap`'s addresses.
pub fn check_cluster(args: &CheckArgs) -> Result<ClusterConfig, String> {
    let mut cluster = match &args.config {
        None => ClusterConfig::with_bootstrap("check", Vec::new()),
        Some(path) => {
            let cfg = config::load(path).map_err(|p| problems_text(path, &p))?;
            let found = match &args.cluster {
                Some(name) => cfg.clusters.iter().find(|c| &c.name == name),
                None => cfg.clusters.first(),
            };
            found.cloned().ok_or_else(|| {
                format!(
                    "{}: no [[clusters]] entry named {:?}",
                    path.display(),
                    args.cluster.as_deref().unwrap_or_default()
                )
            })?
        }
    };
    cluster.bootstrap = args
        .bootstrap
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let probe = Config {
        clusters: vec![cluster.clone()],
        ..Default::default()
    };
    let problems = probe.validate();
    if !problems.is_empty() {
        let mut s = String::new();
        for p in problems.iter() {
            // Paths name the probe entry; say what the user typed instead.
            let msg = p.message.clone();
            if p.path.contains("bootstrap") {
                s.push_str(&format!("--bootstrap: {msg}\n"));
            } else {
                s.push_str(&format!("{p}\n"));
            }
        }
        return Err(s);
    }
    Ok(cluster)
}

async fn check(args: &CheckArgs) -> i32 {
    let cluster = match check_cluster(args) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            if !e.ends_with('\n') {
                eprintln!();
            }
            return EXIT_ERROR;
        }
    };
    let (snap, groups) = match wire::check_poll(&cluster, chrono::Utc::now()).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e:#}");
            return EXIT_ERROR;
        }
    };
    let text = match args.format {
        ReportFormat::Table => report::render_table(&snap, &groups),
        ReportFormat::Json => {
            let v = report::render_json(&snap, &groups);
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
    };
    print!("{text}");
    report::exit_code(&snap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_prints_ok_or_problems() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, config::example()).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(config_validate(&good, &mut out, &mut err), EXIT_OK);
        assert_eq!(String::from_utf8(out).unwrap(), "ok\n");

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[[clusters]]\nname = \"a\"\nbootstrap = [\"x\"]\n").unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(config_validate(&bad, &mut out, &mut err), EXIT_ERROR);
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("1 problem:"), "{err}");
        assert!(
            err.contains("clusters[0].bootstrap[0]: expected \"host:port\", found \"x\" (line 3)"),
            "{err}"
        );
    }

    #[test]
    fn check_cluster_takes_properties_from_config_and_address_from_flag() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(
            &f,
            "[[clusters]]\nname = \"a\"\nbootstrap = [\"a:1\"]\n[[clusters]]\nname = \"b\"\nbootstrap = [\"b:1\"]\nproperties = { \"security.protocol\" = \"ssl\" }\n",
        )
        .unwrap();
        let args = CheckArgs {
            bootstrap: vec!["here:9092".into()],
            config: Some(f),
            cluster: Some("b".into()),
            format: ReportFormat::Table,
        };
        let c = check_cluster(&args).unwrap();
        assert_eq!(c.bootstrap, vec!["here:9092"]);
        assert_eq!(c.properties.len(), 1);

        let bad = CheckArgs {
            bootstrap: vec!["nohost".into()],
            config: None,
            cluster: None,
            format: ReportFormat::Json,
        };
        let e = check_cluster(&bad).unwrap_err();
        assert!(e.starts_with("--bootstrap: expected \"host:port\""), "{e}");
    }
}
