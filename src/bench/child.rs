//! The hidden `isrwatch bench-child` command: one measured side of
//! `bench scale`, run in its own process so that its CPU time and peak RSS
//! are its own (the simulator stays in the parent).
//!
//! Protocol on stdin/stdout (one line each), so that the parent can read
//! the simulator's request counters around the measured poll only:
//! - `isrwatch` mode: the child prints `warm` after its warm-up poll and
//!   waits for a line on stdin; then it prints `polled` after the measured
//!   poll and waits again; then it renders `/metrics`, loads the API and
//!   prints `result <json>`.
//! - `baseline` mode: the child scrapes once and prints `result <json>`.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncBufReadExt as _;

use crate::config::{ClusterConfig, Dur};
use crate::evaluate::{Evaluator as _, NoScorer, RuleEvaluator};
use crate::poll::Poller as _;

/// Arguments of `isrwatch bench-child`.
#[derive(Debug, Clone, Args)]
pub struct ChildArgs {
    /// Bootstrap address of the simulator.
    #[arg(long)]
    pub bootstrap: String,
    /// Which poller to measure.
    #[arg(long, value_enum)]
    pub mode: ChildMode,
    /// Concurrent API clients (`isrwatch` mode).
    #[arg(long, default_value_t = 200)]
    pub api_clients: usize,
    /// Requests per API client (`isrwatch` mode).
    #[arg(long, default_value_t = 25)]
    pub api_rounds: usize,
    /// Polls, each evaluated, after the warm-up poll and before the
    /// measured one (`isrwatch` mode).
    #[arg(long, default_value_t = 0)]
    pub history_polls: usize,
    /// Poll offsets and groups through librdkafka's admin API
    /// (`direct_requests = false`).
    #[arg(long)]
    pub librdkafka: bool,
    /// Extra client property `key=value` (repeatable): the security
    /// settings of `bench scale --sasl-ssl`.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
}

impl ChildArgs {
    fn property_pairs(&self) -> Vec<(String, String)> {
        self.properties
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// The two pollers compared by `bench scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChildMode {
    /// isrwatch's own poller, `/metrics` and API.
    Isrwatch,
    /// The kafka_exporter-style scrape of [`super::baseline::scrape`].
    Baseline,
}

/// What a child measured; printed as JSON after `result `.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChildReport {
    /// Partitions the poll (or scrape) saw.
    pub partitions_seen: usize,
    /// Consumer groups the poll (or scrape) saw.
    pub groups_seen: usize,
    /// Wall time of the warm-up poll (isrwatch: first poll, creates the client).
    pub warmup_wall_s: f64,
    /// Wall time of the measured poll (baseline: the whole scrape).
    pub poll_wall_s: f64,
    /// CPU time (user + system, every thread) of the measured poll.
    pub poll_cpu_s: f64,
    /// Time to render `/metrics` from the polled snapshot.
    pub metrics_render_s: f64,
    /// Size of the rendered `/metrics` text.
    pub metrics_bytes: usize,
    /// Time to render the status page (`GET /`) from the polled snapshot.
    #[serde(default)]
    pub page_render_s: f64,
    /// Size of that page.
    #[serde(default)]
    pub page_bytes: usize,
    /// Time to render the status page of the same cluster with its first
    /// broker down (about a third of the partitions under-replicated).
    #[serde(default)]
    pub page_render_fault_s: f64,
    /// One `GET /metrics` over HTTP, until the last byte was read.
    #[serde(default)]
    pub metrics_scrape_s: f64,
    /// Resident set size (VmRSS) right after the measured poll.
    #[serde(default)]
    pub rss_after_poll_bytes: u64,
    /// Median API latency under load.
    pub api_p50_ms: f64,
    /// 99th percentile API latency under load.
    pub api_p99_ms: f64,
    /// API requests sent.
    pub api_requests: usize,
    /// API requests that failed or did not answer 200.
    pub api_errors: usize,
    /// Peak resident set size of the child (VmHWM) after the poll, the
    /// evaluation, `/metrics`, the page and the API load (before the
    /// broker-down page, whose copy of the snapshot is the bench's own).
    pub peak_rss_bytes: u64,
    /// Problems the poll reported (first few).
    pub errors: Vec<String>,
}

/// Runs the child side; see the module documentation.
pub async fn run(args: ChildArgs) -> anyhow::Result<()> {
    let report = match args.mode {
        ChildMode::Isrwatch => run_isrwatch(&args).await?,
        ChildMode::Baseline => run_baseline(&args).await?,
    };
    say(&format!("result {}", serde_json::to_string(&report)?));
    Ok(())
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn wait_for_parent(lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::io::Stdin>>) {
    let _ = lines.next_line().await;
}

/// The cluster entry the isrwatch child polls: generous timeouts so that
/// the biggest sizes finish.
pub fn bench_cluster(bootstrap: &str) -> ClusterConfig {
    let mut c =
        ClusterConfig::with_bootstrap("c", bootstrap.split(',').map(str::to_string).collect());
    c.poll_interval = Dur(Duration::from_secs(60));
    c.poll_timeout = Dur(Duration::from_secs(300));
    c.request_timeout = Dur(Duration::from_secs(120));
    c
}

async fn run_isrwatch(args: &ChildArgs) -> anyhow::Result<ChildReport> {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut cluster = bench_cluster(&args.bootstrap);
    cluster.direct_requests = !args.librdkafka;
    for (k, v) in args.property_pairs() {
        cluster
            .properties
            .insert(k, crate::config::PropertyValue::Plain(v));
    }
    let mut poller =
        crate::poll::KafkaPoller::new(&cluster).map_err(|e| anyhow::anyhow!("poller: {e}"))?;
    let mut report = ChildReport::default();

    let t = Instant::now();
    let _ = poller.poll(chrono::Utc::now()).await;
    report.warmup_wall_s = t.elapsed().as_secs_f64();
    // The evaluator lives from here: with `--history-polls`, what the
    // daemon holds after a while (lag windows, lag-in-seconds histories).
    let mut evaluator = RuleEvaluator::new("c", &Default::default(), Box::new(NoScorer));
    for _ in 0..args.history_polls {
        let now = chrono::Utc::now();
        let snap = poller.poll(now).await;
        let _ = evaluator.evaluate(&snap, now);
    }
    say("warm");
    wait_for_parent(&mut lines).await;

    let cpu0 = super::process_cpu_time();
    let t = Instant::now();
    let now = chrono::Utc::now();
    let snap = poller.poll(now).await;
    report.poll_wall_s = t.elapsed().as_secs_f64();
    report.poll_cpu_s = (super::process_cpu_time().saturating_sub(cpu0)).as_secs_f64();
    say("polled");
    wait_for_parent(&mut lines).await;

    report.partitions_seen = snap.topics.iter().map(|t| t.partitions.len()).sum();
    report.groups_seen = snap.groups.len();
    report.errors = snap
        .errors
        .iter()
        .take(5)
        .map(|e| e.message.clone())
        .collect();
    if !snap.reachable {
        report.errors.insert(0, "cluster unreachable".into());
    }

    // /metrics from a shared state holding this snapshot and its evaluation.
    let evaluation = evaluator.evaluate(&snap, now);
    let state = crate::state::SharedState::new(["c".to_string()]);
    state.publish_poll(Arc::new(snap), Arc::new(evaluation));
    report.rss_after_poll_bytes = super::rss_bytes();
    let registry = prometheus::Registry::new();
    // Rendered in pieces, as `/metrics` streams it.
    let t = Instant::now();
    let mut bytes = 0usize;
    crate::http::metrics::render_chunks(
        &state,
        &crate::http::metrics::SeriesFilter::all(),
        &registry,
        now,
        1 << 20,
        &mut |piece| bytes += piece.len(),
    );
    report.metrics_render_s = t.elapsed().as_secs_f64();
    report.metrics_bytes = bytes;

    // The status page of this cluster (with a broker down: at the end).
    let (page_s, page_bytes) = time_page(&state, now);
    report.page_render_s = page_s;
    report.page_bytes = page_bytes;

    // A real scrape over HTTP, then the API under concurrent load.
    let (scrape_s, p50, p99, n, errors) =
        load_api(state.clone(), registry, args.api_clients, args.api_rounds).await?;
    report.metrics_scrape_s = scrape_s;
    report.api_p50_ms = p50;
    report.api_p99_ms = p99;
    report.api_requests = n;
    report.api_errors = errors;
    report.peak_rss_bytes = super::peak_rss_bytes();

    // The status page with a broker down, last: it needs a second copy of
    // the snapshot and of its evaluation (some 70 MiB at 100k partitions)
    // that the daemon never makes, so it stays out of the peak above.
    if let Some(view) = state.cluster("c") {
        if let Some(snap) = view.snapshot.as_deref() {
            let faulted = crate::state::SharedState::new(["c".to_string()]);
            faulted.publish_poll(
                Arc::new(first_broker_down(snap)),
                Arc::new(view.evaluation.as_ref().clone()),
            );
            report.page_render_fault_s = time_page(&faulted, now).0;
        }
    }
    Ok(report)
}

/// Renders the status page from `state`: (seconds, bytes).
fn time_page(state: &crate::state::SharedState, now: crate::snapshot::Time) -> (f64, usize) {
    let input = crate::http::page::PageInput {
        state,
        silences: None,
        refresh: Duration::from_secs(15),
        token_configured: false,
        notice: None,
        only: None,
        now,
    };
    let t = Instant::now();
    let page = crate::http::page::render_page(&input);
    (t.elapsed().as_secs_f64(), page.len())
}

/// A copy of `snap` in which its first broker is down: gone from the
/// metadata and every ISR, its leaderships moved to the next in-sync replica.
fn first_broker_down(snap: &crate::snapshot::ClusterSnapshot) -> crate::snapshot::ClusterSnapshot {
    let mut s = snap.clone();
    let Some(victim) = s.brokers.first().map(|b| b.id) else {
        return s;
    };
    s.brokers.retain(|b| b.id != victim);
    s.missing_brokers.push(victim);
    let live: Vec<_> = s.brokers.iter().map(|b| b.id).collect();
    for t in &mut s.topics {
        let min_isr = t.min_insync_replicas;
        for p in &mut t.partitions {
            p.isr.retain(|&b| b != victim);
            if p.leader == Some(victim) {
                p.leader = p.isr.first().copied();
            }
            p.derive(min_isr, &live);
        }
    }
    s
}

/// Serves the API on 127.0.0.1:0 and sends `clients` concurrent streams of
/// `rounds` requests, each stream after one unmeasured request that opens
/// its connection (alternately `/api/v1/status` and the under-replicated
/// partitions), after one timed `GET /metrics`. Returns (scrape s, p50
/// ms, p99 ms, requests, errors).
async fn load_api(
    state: Arc<crate::state::SharedState>,
    registry: prometheus::Registry,
    clients: usize,
    rounds: usize,
) -> anyhow::Result<(f64, f64, f64, usize, usize)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let ctx = Arc::new(crate::http::api::ApiContext::new(state, registry));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::http::serve(listener, ctx, async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(clients)
        .build()?;
    let t = Instant::now();
    let mut resp = client.get(format!("http://{addr}/metrics")).send().await?;
    while resp.chunk().await?.is_some() {}
    let scrape_s = t.elapsed().as_secs_f64();
    let mut tasks = Vec::with_capacity(clients);
    for i in 0..clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            // One unmeasured request opens the connection, as wrk and
            // other load tools connect before they measure.
            if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await {
                let _ = r.bytes().await;
            }
            let mut out = Vec::with_capacity(rounds);
            for r in 0..rounds {
                let path = if (i + r) % 2 == 0 {
                    "/api/v1/status"
                } else {
                    "/api/v1/clusters/c/partitions?state=under_replicated"
                };
                let t = Instant::now();
                let ok = match client.get(format!("http://{addr}{path}")).send().await {
                    Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                    Err(_) => false,
                };
                out.push((t.elapsed(), ok));
            }
            out
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        for (d, ok) in t.await? {
            latencies.push(d.as_secs_f64() * 1000.0);
            if !ok {
                errors += 1;
            }
        }
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    latencies.sort_by(|a, b| a.total_cmp(b));
    let n = latencies.len();
    Ok((
        scrape_s,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        n,
        errors,
    ))
}

/// The `q` quantile (nearest rank) of sorted values; 0 when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn run_baseline(args: &ChildArgs) -> anyhow::Result<ChildReport> {
    let bootstrap = args.bootstrap.clone();
    let props = args.property_pairs();
    let cpu0 = super::process_cpu_time();
    let t = Instant::now();
    let scrape = tokio::task::spawn_blocking(move || {
        super::baseline::scrape(&bootstrap, &[], &props, Duration::from_secs(30))
    })
    .await?;
    let mut report = ChildReport {
        poll_wall_s: t.elapsed().as_secs_f64(),
        poll_cpu_s: (super::process_cpu_time().saturating_sub(cpu0)).as_secs_f64(),
        ..Default::default()
    };
    match scrape {
        Ok(s) => {
            report.partitions_seen = s.partitions;
            report.groups_seen = s.groups;
        }
        Err(e) => report.errors.push(e),
    }
    report.peak_rss_bytes = super::peak_rss_bytes();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
    }
}
