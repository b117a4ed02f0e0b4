//! `isrwatch bench scale`: poll cost against the simulator at several
//! cluster sizes, isrwatch's poller side by side with a kafka_exporter-style
//! baseline.
//!
//! The simulator runs in this (parent) process; each side is measured in a
//! child process (`isrwatch bench-child`, see [`super::child`]) so that its
//! CPU time and peak RSS are its own. The parent reads the simulator's
//! request counters around the measured poll.

use std::collections::BTreeMap;
use std::fmt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::child::ChildReport;
use crate::sim::{Scenario, SimHandle, SimOptions, Simulator};

/// One cluster size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Size {
    /// Partitions in the cluster.
    pub partitions: usize,
    /// Consumer groups (each consumes one topic of 100 partitions).
    pub groups: usize,
}

/// The sizes `bench scale` runs without `--partitions`/`--groups`.
pub const DEFAULT_SIZES: [Size; 5] = [
    Size {
        partitions: 1_000,
        groups: 0,
    },
    Size {
        partitions: 10_000,
        groups: 500,
    },
    Size {
        partitions: 50_000,
        groups: 500,
    },
    Size {
        partitions: 100_000,
        groups: 2_000,
    },
    Size {
        partitions: 200_000,
        groups: 10_000,
    },
];

/// How long a baseline scrape may run before it is stopped (its figures are
/// then lower bounds read from `/proc` just before the kill).
pub const BASELINE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the isrwatch child may run.
const ISRWATCH_TIMEOUT: Duration = Duration::from_secs(600);

/// The figures of one side at one size.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// What the child measured (or, when it was stopped, what the parent read).
    pub report: ChildReport,
    /// Kafka requests of the measured poll, by API name (counted by the simulator).
    pub requests: BTreeMap<String, u64>,
    /// Total of `requests`.
    pub requests_total: u64,
    /// False when the child was stopped at the timeout (figures are lower bounds).
    pub finished: bool,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub partitions: usize,
    pub groups: usize,
    pub brokers: u32,
    pub topics: u32,
    pub replication_factor: u32,
    pub isrwatch: Side,
    pub baseline: Side,
    /// baseline / isrwatch for wall time, CPU time, requests and peak RSS
    /// (lower bounds when the baseline did not finish).
    pub ratios: Ratios,
}

/// Baseline divided by isrwatch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ratios {
    pub wall: f64,
    pub cpu: f64,
    pub requests: f64,
    pub rss: f64,
}

/// The whole result of `bench scale`.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    pub rows: Vec<Row>,
    pub baseline_timeout_s: f64,
    /// Whether isrwatch sent ListOffsets, OffsetFetch and DescribeGroups on
    /// its own connections (`direct_requests`, the default on PLAINTEXT and
    /// SSL and SASL PLAIN/SCRAM clusters) or through librdkafka's admin API
    /// (what GSSAPI and OAUTHBEARER clusters get).
    pub direct_requests: bool,
    /// Whether the simulator served SASL_SSL (TLS + SCRAM-SHA-512) instead
    /// of PLAINTEXT (`--sasl-ssl`).
    pub sasl_ssl: bool,
}

/// How `bench scale` runs: which path isrwatch polls through and what
/// security the simulated brokers ask for.
#[derive(Debug, Clone, Copy)]
pub struct ScaleOptions {
    pub baseline_timeout: Duration,
    pub direct_requests: bool,
    pub sasl_ssl: bool,
    /// Polls the isrwatch child makes (and evaluates) before the measured one.
    pub history_polls: usize,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The simulated cluster of one size: 100 partitions per topic (fewer when
/// the cluster is smaller), replication factor 3, 3 brokers up to 20,000
/// partitions and 6 above.
pub fn scenario_for(size: Size) -> (Scenario, u32, u32) {
    let per_topic = size.partitions.clamp(1, 100) as u32;
    let topics = size.partitions.div_ceil(per_topic as usize).max(1) as u32;
    let brokers = if size.partitions > 20_000 { 6 } else { 3 };
    (
        Scenario::synthetic(brokers, topics, per_topic, 3, size.groups as u32),
        brokers,
        topics,
    )
}

/// Runs every size and returns the table.
pub async fn run(sizes: &[Size], opts: ScaleOptions) -> anyhow::Result<ScaleReport> {
    let mut rows = Vec::new();
    for &size in sizes {
        eprintln!(
            "bench scale: {} partitions, {} groups ...",
            size.partitions, size.groups
        );
        let row = run_size(size, opts).await?;
        // Progress for long runs: the row as JSON on stderr.
        eprintln!("bench scale row: {}", serde_json::to_string(&row)?);
        rows.push(row);
    }
    Ok(ScaleReport {
        rows,
        baseline_timeout_s: opts.baseline_timeout.as_secs_f64(),
        direct_requests: opts.direct_requests,
        sasl_ssl: opts.sasl_ssl,
    })
}

async fn run_size(size: Size, opts: ScaleOptions) -> anyhow::Result<Row> {
    let (scenario, brokers, topics) = scenario_for(size);
    let mut props: Vec<String> = Vec::new();
    let mut ca_file = None;
    let sim = if opts.sasl_ssl {
        let (ca, tls) = crate::sim::SimTls::generate().map_err(|e| anyhow::anyhow!(e))?;
        let path =
            std::env::temp_dir().join(format!("isrwatch-bench-ca-{}.pem", std::process::id()));
        std::fs::write(&path, ca)?;
        props = vec![
            "security.protocol=SASL_SSL".into(),
            format!("ssl.ca.location={}", path.display()),
            "sasl.mechanism=SCRAM-SHA-512".into(),
            format!("sasl.username={BENCH_USER}"),
            format!("sasl.password={BENCH_PASSWORD}"),
        ];
        ca_file = Some(path);
        let sasl = crate::sim::SimSasl {
            users: vec![(BENCH_USER.into(), BENCH_PASSWORD.into())],
            session_lifetime: None,
        };
        Simulator::start_secured(scenario, SimOptions::default(), Some(tls), Some(sasl)).await?
    } else {
        Simulator::start(scenario, SimOptions::default()).await?
    };
    let bootstrap = sim.bootstrap();
    let result = async {
        let isrwatch = measure_isrwatch(&sim, &bootstrap, opts, &props).await?;
        let baseline = measure_baseline(&sim, &bootstrap, opts.baseline_timeout, &props).await?;
        anyhow::Ok((isrwatch, baseline))
    }
    .await;
    sim.shutdown().await;
    if let Some(p) = ca_file {
        let _ = std::fs::remove_file(p);
    }
    let (isrwatch, baseline) = result?;
    let ratios = Ratios {
        wall: ratio(baseline.report.poll_wall_s, isrwatch.report.poll_wall_s),
        cpu: ratio(baseline.report.poll_cpu_s, isrwatch.report.poll_cpu_s),
        requests: ratio(
            baseline.requests_total as f64,
            isrwatch.requests_total as f64,
        ),
        rss: ratio(
            baseline.report.peak_rss_bytes as f64,
            isrwatch.report.peak_rss_bytes as f64,
        ),
    };
    Ok(Row {
        partitions: size.partitions,
        groups: size.groups,
        brokers,
        topics,
        replication_factor: 3,
        isrwatch,
        baseline,
        ratios,
    })
}

/// Variable holding a command line the measured child is started under,
/// for profiling: e.g. `ISRWATCH_BENCH_WRAP="perf record -g -o child.perf --"`
/// or `"heaptrack -o child"`. Words split on whitespace; isrwatch side only.
pub const WRAP_ENV: &str = "ISRWATCH_BENCH_WRAP";

/// The simulated user of `--sasl-ssl` (a throw-away credential).
const BENCH_USER: &str = "isrwatch-bench";
const BENCH_PASSWORD: &str = "isrwatch-bench-password";

fn spawn_child(
    bootstrap: &str,
    mode: &str,
    direct_requests: bool,
    history_polls: usize,
    props: &[String],
) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find the isrwatch executable: {e}"))?;
    let wrap: Vec<String> = match std::env::var(WRAP_ENV) {
        Ok(w) if mode == "isrwatch" => w.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let mut cmd = match wrap.split_first() {
        Some((prog, rest)) => {
            let mut c = Command::new(prog);
            c.args(rest).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(["bench-child", "--bootstrap", bootstrap, "--mode", mode]);
    if !direct_requests {
        cmd.arg("--librdkafka");
    }
    if history_polls > 0 {
        cmd.arg("--history-polls").arg(history_polls.to_string());
    }
    for p in props {
        cmd.arg("--property").arg(p);
    }
    cmd.env("ISRWATCH_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start the bench child: {e}"))
}

/// Reads child lines until one starts with `want`; returns the rest of it.
async fn expect_line(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    want: &str,
) -> anyhow::Result<String> {
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.strip_prefix(want) {
            return Ok(rest.trim().to_string());
        }
    }
    anyhow::bail!("the bench child ended before printing {want:?}")
}

async fn go(stdin: &mut ChildStdin) -> anyhow::Result<()> {
    stdin.write_all(b"go\n").await?;
    stdin.flush().await?;
    Ok(())
}

fn total(m: &BTreeMap<String, u64>) -> u64 {
    m.values().sum()
}

async fn measure_isrwatch(
    sim: &SimHandle,
    bootstrap: &str,
    opts: ScaleOptions,
    props: &[String],
) -> anyhow::Result<Side> {
    let mut child = spawn_child(
        bootstrap,
        "isrwatch",
        opts.direct_requests,
        opts.history_polls,
        props,
    )?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("child stdin"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("child stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let work = async {
        expect_line(&mut lines, "warm").await?;
        sim.reset_request_counts();
        go(&mut stdin).await?;
        expect_line(&mut lines, "polled").await?;
        let requests = sim.request_counts();
        go(&mut stdin).await?;
        let json = expect_line(&mut lines, "result").await?;
        let report: ChildReport = serde_json::from_str(&json)?;
        anyhow::Ok((report, requests))
    };
    let pid = child.id();
    let started = Instant::now();
    match tokio::time::timeout(ISRWATCH_TIMEOUT, work).await {
        Ok(done) => {
            let (report, requests) = done?;
            let _ = child.wait().await;
            Ok(Side {
                requests_total: total(&requests),
                requests,
                report,
                finished: true,
            })
        }
        Err(_) => Ok(stop_child(
            sim,
            &mut child,
            pid,
            started,
            format!(
                "stopped after {:.0} s (warm-up and measured poll together); figures are lower bounds",
                ISRWATCH_TIMEOUT.as_secs_f64()
            ),
        )
        .await),
    }
}

/// A child that ran out of time: what it used so far (from /proc) and the
/// requests it sent, as a row of lower bounds; then it is killed.
async fn stop_child(
    sim: &SimHandle,
    child: &mut Child,
    pid: Option<u32>,
    started: Instant,
    note: String,
) -> Side {
    let (cpu, rss) = pid.map(proc_usage).unwrap_or_default();
    let requests = sim.request_counts();
    let _ = child.start_kill();
    let _ = child.wait().await;
    Side {
        requests_total: total(&requests),
        requests,
        report: ChildReport {
            poll_wall_s: started.elapsed().as_secs_f64(),
            poll_cpu_s: cpu,
            peak_rss_bytes: rss,
            errors: vec![note],
            ..Default::default()
        },
        finished: false,
    }
}

async fn measure_baseline(
    sim: &SimHandle,
    bootstrap: &str,
    timeout: Duration,
    props: &[String],
) -> anyhow::Result<Side> {
    sim.reset_request_counts();
    let started = Instant::now();
    let mut child = spawn_child(bootstrap, "baseline", true, 0, props)?;
    let pid = child.id();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("child stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    match tokio::time::timeout(timeout, expect_line(&mut lines, "result")).await {
        Ok(json) => {
            let report: ChildReport = serde_json::from_str(&json?)?;
            let requests = sim.request_counts();
            let _ = child.wait().await;
            Ok(Side {
                requests_total: total(&requests),
                requests,
                report,
                finished: true,
            })
        }
        Err(_) => Ok(stop_child(
            sim,
            &mut child,
            pid,
            started,
            format!(
                "stopped after {:.0} s; figures are lower bounds",
                timeout.as_secs_f64()
            ),
        )
        .await),
    }
}

/// CPU seconds (user + system) and peak RSS bytes of another process, from
/// `/proc/<pid>/stat` and `/proc/<pid>/status`; zeros when unreadable.
pub fn proc_usage(pid: u32) -> (f64, u64) {
    // SAFETY: sysconf has no side effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses).
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
            let ut: f64 = f.get(11)?.parse().ok()?;
            let st: f64 = f.get(12)?.parse().ok()?;
            Some((ut + st) / hz)
        })
        .unwrap_or(0.0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    (cpu, rss)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn lb(finished: bool) -> &'static str {
    if finished {
        ""
    } else {
        ">"
    }
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "isrwatch: one full poll (after a warm-up poll), measured in a child process; {}",
            match (self.direct_requests, self.sasl_ssl) {
                (true, false) => "offsets and groups on isrwatch's own connections (direct_requests), PLAINTEXT",
                (true, true) => "offsets and groups on isrwatch's own connections (direct_requests), SASL_SSL (TLS + SCRAM-SHA-512)",
                (false, false) => "offsets and groups through librdkafka's admin API (--librdkafka), PLAINTEXT",
                (false, true) => "offsets and groups through librdkafka's admin API (--librdkafka), SASL_SSL (TLS + SCRAM-SHA-512)",
            }
        )?;
        writeln!(
            f,
            "{:>8} {:>6} {:>3} | {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>8} {:>8} {:>9} | {:>8} {:>8} | {:>8} {:>8}",
            "parts",
            "groups",
            "brk",
            "wall s",
            "cpu s",
            "cpu µs/p",
            "requests",
            "rss poll",
            "rss peak",
            "rend ms",
            "scrp ms",
            "metr MiB",
            "api p50",
            "api p99",
            "page ms",
            "pg flt ms"
        )?;
        for r in &self.rows {
            let i = &r.isrwatch.report;
            writeln!(
                f,
                "{:>8} {:>6} {:>3} | {:>8.3} {:>8.3} {:>8.2} {:>8} | {:>8.1} {:>8.1} | {:>8.1} {:>8.1} {:>9.2} | {:>6.1}ms {:>6.1}ms | {:>8.1} {:>8.1}",
                r.partitions,
                r.groups,
                r.brokers,
                i.poll_wall_s,
                i.poll_cpu_s,
                i.poll_cpu_s * 1e6 / r.partitions.max(1) as f64,
                r.isrwatch.requests_total,
                mib(i.rss_after_poll_bytes),
                mib(i.peak_rss_bytes),
                i.metrics_render_s * 1000.0,
                i.metrics_scrape_s * 1000.0,
                mib(i.metrics_bytes as u64),
                i.api_p50_ms,
                i.api_p99_ms,
                i.page_render_s * 1000.0,
                i.page_render_fault_s * 1000.0
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "baseline (kafka_exporter-style scrape, fresh connections), and ratios baseline/isrwatch"
        )?;
        writeln!(
            f,
            "{:>8} {:>6} | {:>9} {:>9} {:>9} {:>9} | {:>7} {:>7} {:>9} {:>7}",
            "parts",
            "groups",
            "wall s",
            "cpu s",
            "requests",
            "rss MiB",
            "x wall",
            "x cpu",
            "x reqs",
            "x rss"
        )?;
        for r in &self.rows {
            let b = &r.baseline;
            let m = lb(b.finished);
            writeln!(
                f,
                "{:>8} {:>6} | {:>9} {:>9} {:>9} {:>9.1} | {:>7} {:>7} {:>9} {:>7.2}",
                r.partitions,
                r.groups,
                format!("{m}{:.2}", b.report.poll_wall_s),
                format!("{m}{:.2}", b.report.poll_cpu_s),
                format!("{m}{}", b.requests_total),
                mib(b.report.peak_rss_bytes),
                format!("{m}{:.1}", r.ratios.wall),
                format!("{m}{:.1}", r.ratios.cpu),
                format!("{m}{:.0}", r.ratios.requests),
                r.ratios.rss
            )?;
        }
        writeln!(f)?;
        writeln!(f, "requests per API key (isrwatch | baseline):")?;
        for r in &self.rows {
            let fmt_map = |m: &BTreeMap<String, u64>| {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(
                f,
                "  {}p/{}g: {} | {}",
                r.partitions,
                r.groups,
                fmt_map(&r.isrwatch.requests),
                fmt_map(&r.baseline.requests)
            )?;
        }
        let problems: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| {
                let mut v = Vec::new();
                for (name, s) in [("isrwatch", &r.isrwatch), ("baseline", &r.baseline)] {
                    for e in &s.report.errors {
                        v.push(format!("  {}p/{}g {name}: {e}", r.partitions, r.groups));
                    }
                    if s.finished && s.report.partitions_seen != r.partitions {
                        v.push(format!(
                            "  {}p/{}g {name}: saw {} partitions",
                            r.partitions, r.groups, s.report.partitions_seen
                        ));
                    }
                }
                if r.isrwatch.report.api_errors > 0 {
                    v.push(format!(
                        "  {}p/{}g isrwatch: {} of {} API requests failed",
                        r.partitions,
                        r.groups,
                        r.isrwatch.report.api_errors,
                        r.isrwatch.report.api_requests
                    ));
                }
                v
            })
            .collect();
        if !problems.is_empty() {
            writeln!(f)?;
            writeln!(f, "notes:")?;
            for p in problems {
                writeln!(f, "{p}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_map_to_clusters() {
        let (s, brokers, topics) = scenario_for(Size {
            partitions: 200,
            groups: 5,
        });
        assert_eq!((brokers, topics), (3, 2));
        assert_eq!(s.cluster.groups.len(), 5);
        let (_, brokers, topics) = scenario_for(Size {
            partitions: 50_000,
            groups: 0,
        });
        assert_eq!((brokers, topics), (6, 500));
        let (_, _, topics) = scenario_for(Size {
            partitions: 40,
            groups: 0,
        });
        assert_eq!(topics, 1);
    }

    #[test]
    fn proc_usage_reads_this_process() {
        let (_, rss) = proc_usage(std::process::id());
        assert!(rss > 0);
        assert_eq!(proc_usage(u32::MAX), (0.0, 0));
    }
}
