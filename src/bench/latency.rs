//! `isrwatch bench latency`: for each shipped fault scenario, the wall time
//! from the fault to the first notification delivered to a local webhook
//! receiver, by the whole daemon (`daemon::build::start`), once with the
//! template summarizer and once with a local fake OpenAI-compatible LLM
//! that answers after a fixed delay. Both daemons watch the same simulator
//! at the same time.
//!
//! The fault instant is observed, not computed: the parent samples the
//! simulator's clock every 20 ms and takes the first sample at or past the
//! event's `at`. It also records when the fault became *visible* in the
//! cluster state a poller reads (a broker gone, an ISR shrunk, a leader
//! lost, the controller moved); e.g. a slow follower only leaves the ISR
//! after `replica_lag_time_max`. The targets are judged from that moment.
//!
//! For consumer faults, *visible* is a change of the group's state or
//! member count (a stop), or the first commit slot the group lets pass with
//! its offsets unchanged although it has lag (a stall): before that, its
//! offsets look like a healthy group's between two commits. Their latency
//! is also given in the group's commit intervals `C` after its *first
//! missed commit* (the group's last commit slot before the fault, sampled
//! like the fault, plus `C`): the lag rules must flag a stalled or stopped
//! group within 2 `C`.
//!
//! The fault's notification is the first one after it whose incident meets
//! a kind the scenario expects from that fault (`[[expect]]`), not counting
//! updates of incidents already notified before the fault: with no pending
//! delay, healthy series raise the odd anomaly, and one of those must not
//! pass for the fault's detection.
//!
//! Incident pending delays (`[incidents] for_*`) are set to 0 so that the
//! figure is the pipeline's own latency (`--shipped-pending` keeps them);
//! rule hold times (e.g. `leader_imbalance_for`) keep their shipped
//! defaults.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::routing::post;
use axum::{Json, Router};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::{Config, Dur};
use crate::sim::{Scenario, SimHandle, SimOptions, SimState, Simulator};

/// Settings of `bench latency`.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Where the scenario files are (`*.toml`); those with events are run.
    pub scenarios_dir: PathBuf,
    /// The daemons' poll interval.
    pub poll_interval: Duration,
    /// How long the fake LLM takes to answer.
    pub llm_delay: Duration,
    /// `[llm] deadline` of the LLM daemon.
    pub llm_deadline: Duration,
    /// How long to wait for a notification after the fault.
    pub wait_after_fault: Duration,
    /// Scenarios run at the same time.
    pub parallel: usize,
    /// Keep the shipped `[incidents] for_*` pending delays instead of 0.
    pub shipped_pending: bool,
}

impl Default for LatencyOptions {
    fn default() -> Self {
        LatencyOptions {
            scenarios_dir: PathBuf::from("tests/scenarios"),
            poll_interval: Duration::from_secs(1),
            llm_delay: Duration::from_millis(1500),
            llm_deadline: Duration::from_secs(3),
            wait_after_fault: Duration::from_secs(90),
            parallel: 3,
            shipped_pending: false,
        }
    }
}

/// One daemon's result in one scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    /// Seconds from the fault to the first notification after it.
    pub after_fault_s: Option<f64>,
    /// Seconds from the fault becoming visible to that notification.
    pub after_visible_s: Option<f64>,
    /// Incident kind of that notification.
    pub kind: Option<String>,
    /// `summary.source` of that notification (`template`, `llm`, ...).
    pub summary_source: Option<String>,
    /// Notifications received before the fault (false alarms, if any).
    pub before_fault: usize,
    /// `kind: title` of each notification before the fault.
    pub before_fault_titles: Vec<String>,
    /// The target (seconds from visible to notification).
    pub target_s: f64,
    /// Whether `after_visible_s` is within `target_s`.
    pub within_target: bool,
    /// Consumer stall/stop: from the group's first missed commit to that
    /// notification, in commit intervals.
    pub after_missed_commit_intervals: Option<f64>,
}

/// One scenario's row.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow {
    /// File stem, e.g. `broker_down`.
    pub scenario: String,
    /// The first event's action.
    pub fault: String,
    /// The first event's `at` (simulated seconds).
    pub fault_at_s: f64,
    /// Seconds from the fault until it was visible in the cluster state
    /// (`None`: no change a poller can see; then the fault instant counts
    /// as visible).
    pub visible_after_s: Option<f64>,
    /// Consumer stall/stop: the group's commit interval (seconds).
    pub commit_interval_s: Option<f64>,
    /// Template summarizer.
    pub no_llm: Delivery,
    /// Fake LLM with a fixed delay.
    pub llm: Delivery,
    /// Set when the run failed.
    pub error: Option<String>,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    /// Whether the shipped incident pending delays were kept.
    pub shipped_pending: bool,
    pub poll_interval_s: f64,
    pub llm_delay_s: f64,
    pub llm_deadline_s: f64,
    pub rows: Vec<ScenarioRow>,
}

/// Received webhook calls: (tag, when, body).
type Inbox = Arc<Mutex<Vec<(String, Instant, Value)>>>;

async fn receive(
    State(inbox): State<Inbox>,
    UrlPath(tag): UrlPath<String>,
    Json(body): Json<Value>,
) -> &'static str {
    inbox.lock().push((tag, Instant::now(), body));
    "ok"
}

async fn fake_llm(State(delay): State<Duration>) -> Json<Value> {
    tokio::time::sleep(delay).await;
    let answer = json!({
        "headline": "Replication trouble in the cluster",
        "what_happened": "The watched cluster changed state; see the facts of the incident.",
        "impact": "Some partitions may run with fewer replicas than configured.",
        "likely_cause": "A broker or a consumer stopped doing its work.",
        "next_steps": ["Check the broker logs.", "Check the consumer applications."]
    });
    Json(json!({
        "choices": [{"message": {"content": answer.to_string(), "refusal": null}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50}
    }))
}

/// Serves `router` on 127.0.0.1:0 until the returned sender is dropped.
async fn serve_local(
    router: Router,
) -> anyhow::Result<(std::net::SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok((addr, tx))
}

/// The shipped scenarios with at least one event, sorted by name.
pub fn fault_scenarios(dir: &Path) -> anyhow::Result<Vec<(String, Scenario)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!("cannot read the scenario directory {}: {e}", dir.display())
    })?;
    for e in entries {
        let p = e?.path();
        if p.extension().and_then(|x| x.to_str()) != Some("toml") {
            continue;
        }
        let s = Scenario::load(&p)?;
        if s.events.is_empty() {
            continue;
        }
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        out.push((name, s));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Runs every fault scenario; see the module documentation.
pub async fn run(opts: &LatencyOptions) -> anyhow::Result<LatencyReport> {
    let scenarios = fault_scenarios(&opts.scenarios_dir)?;
    let inbox: Inbox = Arc::default();
    let (hook_addr, _hook_stop) = serve_local(
        Router::new()
            .route("/hook/{tag}", post(receive))
            .with_state(inbox.clone()),
    )
    .await?;
    let (llm_addr, _llm_stop) = serve_local(
        Router::new()
            .route("/v1/chat/completions", post(fake_llm))
            .with_state(opts.llm_delay),
    )
    .await?;

    let mut rows = Vec::new();
    for chunk in scenarios.chunks(opts.parallel.max(1)) {
        let runs = chunk.iter().map(|(name, s)| {
            let inbox = inbox.clone();
            async move {
                eprintln!("bench latency: {name} ...");
                match run_one(name, s.clone(), opts, hook_addr, llm_addr, inbox).await {
                    Ok(r) => r,
                    Err(e) => ScenarioRow {
                        scenario: name.clone(),
                        fault: s
                            .events
                            .first()
                            .map(|e| e.action.name().to_string())
                            .unwrap_or_default(),
                        fault_at_s: 0.0,
                        visible_after_s: None,
                        commit_interval_s: None,
                        no_llm: Delivery::default(),
                        llm: Delivery::default(),
                        error: Some(format!("{e:#}")),
                    },
                }
            }
        });
        rows.extend(futures::future::join_all(runs).await);
    }
    Ok(LatencyReport {
        shipped_pending: opts.shipped_pending,
        poll_interval_s: opts.poll_interval.as_secs_f64(),
        llm_delay_s: opts.llm_delay.as_secs_f64(),
        llm_deadline_s: opts.llm_deadline.as_secs_f64(),
        rows,
    })
}

/// The daemon configuration: the demo's, with a webhook to `hook`, no
/// pending delays, state in `state_dir`, and optionally the fake LLM.
fn daemon_config(
    bootstrap: &str,
    opts: &LatencyOptions,
    hook: String,
    llm_base: Option<String>,
    state_dir: &Path,
) -> anyhow::Result<Config> {
    let demo = crate::config::DemoOptions {
        listen: Some("127.0.0.1:0".into()),
        webhook: Some(hook),
        poll_interval: Some(opts.poll_interval),
        ..Default::default()
    };
    let mut config = Config::demo(&demo, bootstrap, "bench-secret").map_err(anyhow::Error::msg)?;
    config
        .notifiers
        .retain(|n| n.kind != crate::notify::NotifierKind::Log);
    config.daemon.state_dir = state_dir.to_path_buf();
    config.daemon.shutdown_timeout = Dur(Duration::from_secs(3));
    if !opts.shipped_pending {
        config.incidents.for_critical = Dur(Duration::ZERO);
        config.incidents.for_warning = Dur(Duration::ZERO);
        config.incidents.for_info = Dur(Duration::ZERO);
    }
    if let Some(base) = llm_base {
        config.llm = Some(crate::summarize::LlmConfig {
            provider: crate::summarize::Provider::OpenAi,
            base_url: base,
            deadline: Dur(opts.llm_deadline),
            timeout: Dur(opts.llm_deadline + Duration::from_secs(5)),
            ..Default::default()
        });
    }
    let problems = config.validate();
    if !problems.is_empty() {
        anyhow::bail!("bench daemon configuration is invalid:\n{problems}");
    }
    Ok(config)
}

/// What a poller can see change: controller, brokers up / log dirs,
/// under-replicated, offline and non-preferred-leader partition counts,
/// and each group's state and member count.
type Signature = (
    Option<i32>,
    Vec<(bool, bool)>,
    usize,
    usize,
    usize,
    Vec<(String, u32)>,
);

fn signature(s: &SimState) -> Signature {
    let mut urp = 0;
    let mut offline = 0;
    let mut moved = 0;
    for parts in s.topics.values() {
        for p in parts {
            if p.isr.len() < p.replicas.len() {
                urp += 1;
            }
            match p.leader {
                None => offline += 1,
                Some(l) if p.replicas.first() != Some(&l) => moved += 1,
                Some(_) => {}
            }
        }
    }
    (
        s.controller,
        s.brokers.iter().map(|b| (b.up, b.log_dir_failed)).collect(),
        urp,
        offline,
        moved,
        s.groups
            .values()
            .map(|g| (g.state.clone(), g.members))
            .collect(),
    )
}

/// Whether `group` let a commit slot pass between `prev` and `cur` without
/// its committed offsets moving although it had lag: the first moment a
/// stalled consumer differs from a healthy one in what a poller reads.
fn missed_commit(prev: &SimState, cur: &SimState, group: &str) -> bool {
    let (Some(p), Some(g)) = (prev.groups.get(group), cur.groups.get(group)) else {
        return false;
    };
    let lagging = g.committed.iter().any(|(topic, offsets)| {
        offsets.iter().enumerate().any(|(i, c)| {
            cur.partition(topic, i as i32)
                .is_some_and(|part| part.end_offset > *c)
        })
    });
    g.commits > p.commits && g.committed == p.committed && lagging
}

async fn run_one(
    name: &str,
    scenario: Scenario,
    opts: &LatencyOptions,
    hook_addr: std::net::SocketAddr,
    llm_addr: std::net::SocketAddr,
    inbox: Inbox,
) -> anyhow::Result<ScenarioRow> {
    let first = scenario
        .events
        .iter()
        .min_by_key(|e| e.at)
        .ok_or_else(|| anyhow::anyhow!("{name}: no events"))?
        .clone();
    // Kinds the scenario expects from its first fault (any kind when none).
    let expected_kinds: Vec<String> = scenario
        .expect
        .iter()
        .filter(|e| e.raised_after == first.at)
        .map(|e| e.kind.clone())
        .collect();
    let consumer = ConsumerFault::of(&scenario, &first.action);
    let sim = Simulator::start(scenario, SimOptions::default()).await?;
    let bootstrap = sim.bootstrap();
    let dir = std::env::temp_dir().join(format!(
        "isrwatch-bench-latency-{}-{name}",
        std::process::id()
    ));
    let tag_plain = format!("{name}-plain");
    let tag_llm = format!("{name}-llm");
    let result = async {
        let plain = daemon_config(
            &bootstrap,
            opts,
            format!("http://{hook_addr}/hook/{tag_plain}"),
            None,
            &dir.join("plain"),
        )?;
        let llm = daemon_config(
            &bootstrap,
            opts,
            format!("http://{hook_addr}/hook/{tag_llm}"),
            Some(format!("http://{llm_addr}/v1")),
            &dir.join("llm"),
        )?;
        let d1 = crate::daemon::build::start(plain).await?;
        let d2 = crate::daemon::build::start(llm).await;
        let d2 = match d2 {
            Ok(d) => d,
            Err(e) => {
                d1.stop().await;
                return Err(e);
            }
        };
        let watched = watch(
            &sim,
            first.at,
            opts,
            &inbox,
            [&tag_plain, &tag_llm],
            &expected_kinds,
            consumer.as_ref(),
        )
        .await;
        d1.stop().await;
        d2.stop().await;
        anyhow::Ok(watched)
    }
    .await;
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let Watched {
        fault: fault_instant,
        visible: visible_instant,
        last_commit,
    } = result?;
    let commit_interval = consumer.as_ref().map(|c| c.commit_interval);
    // The first commit slot the faulty group let pass.
    let first_missed = last_commit.zip(commit_interval).map(|(l, c)| l + c);

    let visible_after_s = visible_instant.map(|v| v.duration_since(fault_instant).as_secs_f64());
    let visible = visible_instant.unwrap_or(fault_instant);
    let plain_target = opts.poll_interval.as_secs_f64() + 1.0;
    let llm_target = plain_target + opts.llm_deadline.as_secs_f64();
    let inbox = inbox.lock();
    let delivery = |tag: &str, target: f64| {
        let early: Vec<&Value> = before(&inbox, tag, fault_instant).collect();
        let before_fault = early.len();
        let before_fault_titles = early
            .iter()
            .map(|body| {
                let field = |k| incident_str(body, k).unwrap_or("?");
                format!("{}: {}", field("kind"), field("title"))
            })
            .collect();
        let first = fault_notification(&inbox, tag, fault_instant, &expected_kinds);
        let mut d = Delivery {
            before_fault,
            before_fault_titles,
            target_s: target,
            ..Default::default()
        };
        if let Some((_, at, body)) = first {
            d.after_fault_s = Some(at.duration_since(fault_instant).as_secs_f64());
            let after_visible = at.saturating_duration_since(visible).as_secs_f64();
            d.after_visible_s = Some(after_visible);
            d.within_target = after_visible <= target;
            d.after_missed_commit_intervals = first_missed.zip(commit_interval).map(|(m, c)| {
                let after = if *at >= m {
                    at.duration_since(m).as_secs_f64()
                } else {
                    -m.duration_since(*at).as_secs_f64()
                };
                after / c.as_secs_f64()
            });
            d.kind = incident_str(body, "kind").map(str::to_string);
            d.summary_source = body
                .pointer("/summary/source/type")
                .or_else(|| body.pointer("/summary/source"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
        }
        d
    };
    Ok(ScenarioRow {
        scenario: name.to_string(),
        fault: first.action.name().to_string(),
        fault_at_s: first.at.as_secs_f64(),
        visible_after_s,
        commit_interval_s: commit_interval.map(|c| c.as_secs_f64()),
        no_llm: delivery(&tag_plain, plain_target),
        llm: delivery(&tag_llm, llm_target),
        error: None,
    })
}

/// A string field of a webhook body's incident (`kind`, `id`, `title`).
fn incident_str<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get("incident")?.get(key)?.as_str()
}

/// The bodies sent to `tag` before `fault`.
fn before<'a>(
    inbox: &'a [(String, Instant, Value)],
    tag: &'a str,
    fault: Instant,
) -> impl Iterator<Item = &'a Value> {
    inbox
        .iter()
        .filter(move |(t, at, _)| t == tag && *at < fault)
        .map(|(_, _, body)| body)
}

/// The fault's notification to `tag`: the first after `fault` whose
/// incident meets one of `kinds` (its own kind or a finding it holds, see
/// [`crate::sim::kind_meets`]; any incident when `kinds` is empty) and that
/// is not an update of an incident already notified before the fault.
fn fault_notification<'a>(
    inbox: &'a [(String, Instant, Value)],
    tag: &str,
    fault: Instant,
    kinds: &[String],
) -> Option<&'a (String, Instant, Value)> {
    // The incident's own kind and the kinds of the findings it holds.
    let expected = |body: &Value| {
        let own = incident_str(body, "kind");
        let held = body
            .pointer("/incident/counts")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str));
        let found: Vec<&str> = own.into_iter().chain(held).collect();
        kinds.is_empty()
            || kinds
                .iter()
                .any(|k| found.iter().any(|f| crate::sim::kind_meets(k, f)))
    };
    let early: Vec<&str> = before(inbox, tag, fault)
        .filter_map(|body| incident_str(body, "id"))
        .collect();
    inbox
        .iter()
        .filter(|(t, at, _)| t == tag && *at >= fault)
        .filter(|(_, _, body)| expected(body))
        .filter(|(_, _, body)| incident_str(body, "id").is_none_or(|i| !early.contains(&i)))
        .min_by_key(|(_, at, _)| *at)
}

/// A consumer stall or stop: the group and its commit interval.
struct ConsumerFault {
    group: String,
    stall: bool,
    commit_interval: Duration,
}

impl ConsumerFault {
    /// The consumer fault `action` is, with its group's commit interval
    /// from `scenario` (`None` for other faults or an unknown group).
    fn of(scenario: &Scenario, action: &crate::sim::Action) -> Option<ConsumerFault> {
        let (group, stall) = match action {
            crate::sim::Action::ConsumerStall { group } => (group, true),
            crate::sim::Action::ConsumerStop { group } => (group, false),
            _ => return None,
        };
        let spec = scenario.cluster.groups.iter().find(|g| &g.name == group)?;
        Some(ConsumerFault {
            group: group.clone(),
            stall,
            commit_interval: spec.commit_interval,
        })
    }
}

/// What [`watch`] saw, as wall instants.
struct Watched {
    /// The fault fired.
    fault: Instant,
    /// It became visible, if it ever did.
    visible: Option<Instant>,
    /// A consumer fault's group passed its last commit slot before it.
    last_commit: Option<Instant>,
}

/// Samples the simulator every 20 ms until both tagged receivers got the
/// fault's notification ([`fault_notification`]) or the wait is over.
/// `consumer` is a consumer fault's group: a stall is visible from its
/// first missed commit; its commit slots before the fault are recorded.
async fn watch(
    sim: &SimHandle,
    at: Duration,
    opts: &LatencyOptions,
    inbox: &Inbox,
    tags: [&str; 2],
    kinds: &[String],
    consumer: Option<&ConsumerFault>,
) -> Watched {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut prev = sim.state();
    let mut before = signature(&prev);
    let mut fault: Option<Instant> = None;
    let mut visible: Option<Instant> = None;
    let mut last_commit: Option<Instant> = None;
    loop {
        tick.tick().await;
        let now = Instant::now();
        let state = sim.state();
        let slots = |s: &SimState| {
            consumer
                .and_then(|c| s.groups.get(&c.group))
                .map(|g| g.commits)
        };
        if fault.is_none() && slots(&state) > slots(&prev) {
            last_commit = Some(now);
        }
        match fault {
            None => {
                if state.elapsed >= at {
                    fault = Some(now);
                    if signature(&state) != before {
                        visible = Some(now);
                    }
                } else {
                    before = signature(&state);
                }
            }
            Some(f) => {
                if visible.is_none()
                    && (signature(&state) != before
                        || consumer
                            .is_some_and(|c| c.stall && missed_commit(&prev, &state, &c.group)))
                {
                    visible = Some(now);
                }
                let got = |tag: &str| fault_notification(&inbox.lock(), tag, f, kinds).is_some();
                if (got(tags[0]) && got(tags[1])) || now.duration_since(f) > opts.wait_after_fault {
                    return Watched {
                        fault: f,
                        visible,
                        last_commit,
                    };
                }
            }
        }
        prev = state;
    }
}

fn secs(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fault -> first webhook notification; poll interval {:.0} s; fake LLM answers after {:.1} s, deadline {:.0} s",
            self.poll_interval_s, self.llm_delay_s, self.llm_deadline_s
        )?;
        writeln!(
            f,
            "incident pending delays ([incidents] for_*): {}",
            if self.shipped_pending {
                let d = crate::incident::IncidentConfig::default();
                format!(
                    "shipped (critical {}, warning {}, info {})",
                    humantime::format_duration(d.for_critical.0),
                    humantime::format_duration(d.for_warning.0),
                    humantime::format_duration(d.for_info.0)
                )
            } else {
                "0".to_string()
            }
        )?;
        writeln!(
            f,
            "targets from the moment the fault is visible: no LLM <= {:.1} s, LLM <= {:.1} s",
            self.poll_interval_s + 1.0,
            self.poll_interval_s + 1.0 + self.llm_deadline_s
        )?;
        writeln!(
            f,
            "{:<20} {:<20} {:>7} | {:>7} {:>7} {:>4} {:<18} | {:>7} {:>7} {:>4} {:<8}",
            "scenario",
            "fault",
            "visible",
            "no-LLM",
            "vis->n",
            "ok",
            "kind",
            "LLM",
            "vis->n",
            "ok",
            "summary"
        )?;
        for r in &self.rows {
            if let Some(e) = &r.error {
                writeln!(f, "{:<20} error: {e}", r.scenario)?;
                continue;
            }
            let ok = |d: &Delivery| {
                if d.after_fault_s.is_none() {
                    "none"
                } else if d.within_target {
                    "yes"
                } else {
                    "no"
                }
            };
            writeln!(
                f,
                "{:<20} {:<20} {:>7} | {:>7} {:>7} {:>4} {:<18} | {:>7} {:>7} {:>4} {:<8}",
                r.scenario,
                format!("{}@{:.0}s", r.fault, r.fault_at_s),
                r.visible_after_s
                    .map(|v| format!("+{v:.2}"))
                    .unwrap_or_else(|| "at fault".into()),
                secs(r.no_llm.after_fault_s),
                secs(r.no_llm.after_visible_s),
                ok(&r.no_llm),
                r.no_llm.kind.clone().unwrap_or_else(|| "-".into()),
                secs(r.llm.after_fault_s),
                secs(r.llm.after_visible_s),
                ok(&r.llm),
                r.llm.summary_source.clone().unwrap_or_else(|| "-".into()),
            )?;
        }
        let consumers: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                let c = r.commit_interval_s?;
                let n = |d: &Delivery| {
                    d.after_missed_commit_intervals
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_else(|| "-".into())
                };
                Some(format!(
                    "{} {} / {} (C = {c:.0} s)",
                    r.fault,
                    n(&r.no_llm),
                    n(&r.llm)
                ))
            })
            .collect();
        if !consumers.is_empty() {
            writeln!(
                f,
                "consumer faults, first missed commit -> notification in commit intervals C, no LLM / LLM (target <= 2): {}",
                consumers.join(", ")
            )?;
        }
        let early: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.no_llm.before_fault + r.llm.before_fault > 0)
            .map(|r| {
                format!(
                    "{} ({} + {})",
                    r.scenario, r.no_llm.before_fault, r.llm.before_fault
                )
            })
            .collect();
        if !early.is_empty() {
            writeln!(f, "notifications before the fault: {}", early.join(", "))?;
            for r in &self.rows {
                for t in r
                    .no_llm
                    .before_fault_titles
                    .iter()
                    .chain(&r.llm.before_fault_titles)
                {
                    writeln!(f, "  {}: {t}", r.scenario)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_fault_scenarios_are_found() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
        let names: Vec<String> = fault_scenarios(&dir)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for want in [
            "broker_down",
            "slow_follower",
            "last_isr_offline",
            "consumer_stall",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(fault_scenarios(Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn consumer_faults_know_their_group_and_commit_interval() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
        let scenarios = fault_scenarios(&dir).unwrap();
        let fault = |name: &str| {
            let (_, s) = scenarios.iter().find(|(n, _)| n == name).unwrap();
            ConsumerFault::of(s, &s.events[0].action)
        };
        let stall = fault("consumer_stall").unwrap();
        assert_eq!(
            (stall.group.as_str(), stall.stall, stall.commit_interval),
            ("billing", true, Duration::from_secs(5))
        );
        let stop = fault("consumer_stop").unwrap();
        assert_eq!((stop.group.as_str(), stop.stall), ("billing", false));
        assert!(fault("broker_down").is_none());
    }

    #[test]
    fn daemon_configs_validate_with_and_without_llm() {
        let opts = LatencyOptions::default();
        let dir = std::env::temp_dir();
        let plain = daemon_config(
            "127.0.0.1:9092",
            &opts,
            "http://127.0.0.1:1/hook/a".into(),
            None,
            &dir,
        )
        .unwrap();
        assert!(plain.llm.is_none());
        assert_eq!(plain.incidents.for_warning.0, Duration::ZERO);
        assert_eq!(plain.notifiers.len(), 1);
        let llm = daemon_config(
            "127.0.0.1:9092",
            &opts,
            "http://127.0.0.1:1/hook/b".into(),
            Some("http://127.0.0.1:2/v1".into()),
            &dir,
        )
        .unwrap();
        assert_eq!(llm.llm.unwrap().deadline.0, Duration::from_secs(3));
    }

    #[test]
    fn shipped_pending_keeps_the_incident_delays() {
        let opts = LatencyOptions {
            shipped_pending: true,
            ..Default::default()
        };
        let c = daemon_config(
            "127.0.0.1:9092",
            &opts,
            "http://127.0.0.1:1/hook/a".into(),
            None,
            &std::env::temp_dir(),
        )
        .unwrap();
        assert_eq!(c.incidents.for_warning.0, Duration::from_secs(30));
    }

    #[test]
    fn the_fault_notification_skips_earlier_incidents_and_other_kinds() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let note = |tag: &str, ms: u64, id: &str, kind: &str, counts: Value| {
            (
                tag.to_string(),
                at(ms),
                json!({"incident": {"id": id, "kind": kind, "counts": counts}}),
            )
        };
        let inbox = vec![
            note("a", 100, "early", "anomaly", json!({"anomaly": 1})),
            note("a", 1_100, "early", "anomaly", json!({"anomaly": 1})),
            note("a", 1_200, "other", "controller_unstable", json!({})),
            note("b", 1_250, "x", "at_min_isr", json!({"at_min_isr": 3})),
            note(
                "a",
                1_300,
                "fault",
                "broker_down",
                json!({"under_replicated": 4}),
            ),
        ];
        let kinds = vec!["under_replicated".to_string()];
        let found = fault_notification(&inbox, "a", at(1_000), &kinds).unwrap();
        assert_eq!(found.1, at(1_300), "held finding kind counts");
        let b = fault_notification(&inbox, "b", at(1_000), &kinds).unwrap();
        assert_eq!(b.1, at(1_250), "a more severe partition kind meets it");
        let any = fault_notification(&inbox, "a", at(1_000), &[]).unwrap();
        assert_eq!(any.1, at(1_200), "the update of `early` does not count");
        assert!(fault_notification(&inbox, "a", at(2_000), &kinds).is_none());
    }
}
