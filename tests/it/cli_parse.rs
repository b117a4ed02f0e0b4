//! The command tree as users type it, and the binary's exit codes for the
//! commands that need no Kafka.

use std::process::Command as Process;
use std::time::Duration;

use clap::Parser;
use isrwatch::cli::{
    BenchKind, Cli, Command, ConfigCommand, LogFormat, ReportFormat, EXIT_ERROR, EXIT_OK,
};

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("isrwatch").chain(args.iter().copied()))
}

#[test]
fn run_needs_a_config() {
    let c = parse(&["run", "--config", "/etc/isrwatch.toml"]).unwrap();
    match c.command {
        Command::Run(a) => assert_eq!(a.config.to_str(), Some("/etc/isrwatch.toml")),
        other => panic!("{other:?}"),
    }
    assert!(parse(&["run"]).is_err());
}

#[test]
fn check_takes_bootstrap_config_and_format() {
    let c = parse(&["check", "--bootstrap", "a:1,b:2", "--format", "json"]).unwrap();
    let Command::Check(a) = c.command else {
        panic!()
    };
    assert_eq!(a.bootstrap, vec!["a:1", "b:2"]);
    assert_eq!(a.format, ReportFormat::Json);
    assert!(a.config.is_none());
    let c = parse(&[
        "check",
        "-b",
        "a:1",
        "--config",
        "c.toml",
        "--cluster",
        "prod",
    ])
    .unwrap();
    let Command::Check(a) = c.command else {
        panic!()
    };
    assert_eq!(a.format, ReportFormat::Table);
    assert_eq!(a.cluster.as_deref(), Some("prod"));
    assert!(parse(&["check"]).is_err(), "--bootstrap is required");
    assert!(parse(&["check", "-b", "a:1", "--format", "xml"]).is_err());
    assert!(
        parse(&["check", "-b", "a:1", "--cluster", "x"]).is_err(),
        "--cluster needs --config"
    );
}

#[test]
fn config_subcommands() {
    let c = parse(&["config", "validate", "x.toml"]).unwrap();
    assert!(
        matches!(c.command, Command::Config(ConfigCommand::Validate { ref file }) if file.to_str() == Some("x.toml"))
    );
    let c = parse(&["config", "example"]).unwrap();
    assert!(matches!(c.command, Command::Config(ConfigCommand::Example)));
    assert!(parse(&["config", "validate"]).is_err());
}

#[test]
fn demo_takes_every_option() {
    let c = parse(&[
        "demo",
        "--scenario",
        "s.toml",
        "--speed",
        "10",
        "--listen",
        "127.0.0.1:8080",
        "--webhook",
        "http://localhost:9000/hook",
        "--slack-webhook",
        "https://hooks.slack.com/services/x",
        "--alertmanager",
        "http://localhost:9093",
        "--duration",
        "2m",
    ])
    .unwrap();
    let Command::Demo(a) = c.command else {
        panic!()
    };
    assert_eq!(a.speed, 10.0);
    assert_eq!(a.duration, Some(Duration::from_secs(120)));
    assert_eq!(a.listen.as_deref(), Some("127.0.0.1:8080"));
    assert!(a.webhook.is_some() && a.slack_webhook.is_some() && a.alertmanager.is_some());
    let d = parse(&["demo"]).unwrap();
    let Command::Demo(a) = d.command else {
        panic!()
    };
    assert_eq!((a.speed, a.duration, a.scenario), (1.0, None, None));
    assert!(parse(&["demo", "--speed", "0"]).is_err());
    assert!(parse(&["demo", "--speed", "-2"]).is_err());
    assert!(parse(&["demo", "--duration", "soon"]).is_err());
}

#[test]
fn sim_detect_and_bench() {
    let c = parse(&["sim", "--scenario", "s.toml", "--speed", "2.5"]).unwrap();
    assert!(matches!(c.command, Command::Sim(ref a) if a.speed == 2.5));
    let c = parse(&["detect", "--input", "in.csv", "--output", "out.csv"]).unwrap();
    assert!(matches!(c.command, Command::Detect(ref a) if a.input.to_str() == Some("in.csv")));
    assert!(parse(&["detect", "--input", "in.csv"]).is_err());
    for (name, kind) in [
        ("nab", BenchKind::Nab),
        ("scale", BenchKind::Scale),
        ("latency", BenchKind::Latency),
        ("detector", BenchKind::Detector),
    ] {
        let c = parse(&["bench", name]).unwrap();
        assert!(matches!(c.command, Command::Bench(ref a) if a.which == kind && !a.json));
    }
    let c = parse(&[
        "bench",
        "scale",
        "--partitions",
        "100000",
        "--groups",
        "2000",
        "--json",
    ])
    .unwrap();
    let Command::Bench(a) = c.command else {
        panic!()
    };
    assert_eq!(
        (a.partitions, a.groups, a.json),
        (Some(100_000), Some(2000), true)
    );
    assert!(parse(&["bench", "everything"]).is_err());
}

#[test]
fn log_format_is_global() {
    assert_eq!(
        parse(&["config", "example"]).unwrap().log_format,
        LogFormat::Pretty
    );
    let c = parse(&["--log-format", "json", "config", "example"]).unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    let c = parse(&["sim", "--log-format", "json"]).unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    assert!(parse(&["--log-format", "xml", "sim"]).is_err());
}

fn bin() -> Process {
    let mut p = Process::new(env!("CARGO_BIN_EXE_isrwatch"));
    p.env_remove("ISRWATCH_LOG").env_remove("RUST_LOG");
    p
}

#[test]
fn binary_config_validate_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[clusters]]\nname = \"a\"\nbootstrap = [\"kafka:9092\"]\npoll_interval = \"fast\"\nsurprise = true\n",
    )
    .unwrap();
    let out = bin()
        .args(["config", "validate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_ERROR));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 problems:"), "{err}");
    assert!(
        err.contains(
            "clusters[0].poll_interval: expected a duration like \"15s\", found \"fast\" (line 4)"
        ),
        "{err}"
    );
    assert!(
        err.contains("clusters[0].surprise: unknown key \"surprise\""),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // `config example` output is itself a valid file.
    let out = bin().args(["config", "example"]).output().unwrap();
    assert_eq!(out.status.code(), Some(EXIT_OK));
    let good = dir.path().join("good.toml");
    std::fs::write(&good, &out.stdout).unwrap();
    let out = bin()
        .args(["config", "validate"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(EXIT_OK),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
}

#[test]
fn binary_run_with_bad_config_exits_2_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[clusters]]\nname = \"a\"\nbootstrap = []\n").unwrap();
    let out = bin().args(["run", "--config"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(EXIT_ERROR));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("clusters[0].bootstrap: must list at least one"),
        "{err}"
    );
}

#[test]
fn binary_usage_errors_exit_2_and_help_exits_0() {
    let out = bin().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["run", "check", "config", "demo", "sim", "detect", "bench"] {
        assert!(help.contains(cmd), "{cmd} missing from --help: {help}");
    }
    let out = bin()
        .args(["check", "--bootstrap", "nohost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bootstrap: expected \"host:port\""));
}
