//! Wiring: starts the stages receivers-first and stops them in reverse.
//!
//! ```text
//! one task per cluster:  poll ─▶ evaluate ─▶ publish state ─▶ correlate ─┐
//!                                                                        │ (Incident, NotifyReason)
//! one notify task:       summarize (bounded by the deadline) ─▶ sink (outbox) ◀┘
//! ```
//!
//! The notify task (the receiver) starts first and is the last to stop,
//! so nothing the cluster tasks produced is dropped on shutdown. A slow
//! cluster never delays another: each has its own task and poll deadline.
//! Time comes from a [`Clock`] handed in, so tests run on tokio's paused
//! clock.

pub mod build;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::backoff::Backoff;
pub use crate::clock::{Clock, TokioClock};
use crate::evaluate::{Evaluator, EvaluatorMemory};
use crate::incident::Correlator;
use crate::model::{Incident, Notification, NotifyReason};
use crate::poll::Poller;
use crate::snapshot::{ClusterSnapshot, IsrChangeKind, Time};
use crate::state::SharedState;
use crate::summarize::Summarizer;

/// Takes notifications for delivery. The real one is the durable outbox
/// dispatcher; `accept` returns once the notification is durable.
#[async_trait]
pub trait NotificationSink: Send + Sync {
    async fn accept(&self, n: Notification) -> Result<(), String>;
}

/// A sink that keeps what it gets, for tests and `check`.
#[derive(Default)]
pub struct MemorySink(pub Mutex<Vec<Notification>>);

#[async_trait]
impl NotificationSink for MemorySink {
    async fn accept(&self, n: Notification) -> Result<(), String> {
        self.0.lock().push(n);
        Ok(())
    }
}

/// One watched cluster: its poller, evaluator and schedule.
pub struct ClusterStage {
    pub name: String,
    pub interval: Duration,
    pub poll_timeout: Duration,
    pub poller: Box<dyn Poller>,
    pub evaluator: Box<dyn Evaluator>,
}

/// Counters the pipeline itself keeps (ISR changes accumulate across polls).
#[derive(Clone)]
pub struct PipelineMetrics {
    pub isr_shrinks: prometheus::IntCounterVec,
    pub isr_expands: prometheus::IntCounterVec,
    pub notifications_accepted: prometheus::IntCounterVec,
}

impl PipelineMetrics {
    pub fn register(registry: &prometheus::Registry) -> Self {
        let isr_shrinks = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "isrwatch_isr_shrinks_total",
                "Brokers leaving a partition's ISR, seen between polls.",
            ),
            &["cluster", "broker"],
        )
        .expect("valid metric");
        let isr_expands = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "isrwatch_isr_expands_total",
                "Brokers joining a partition's ISR, seen between polls.",
            ),
            &["cluster", "broker"],
        )
        .expect("valid metric");
        let notifications_accepted = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "isrwatch_notifications_accepted_total",
                "Notifications accepted into the outbox, by reason.",
            ),
            &["cluster", "reason"],
        )
        .expect("valid metric");
        for c in [&isr_shrinks, &isr_expands, &notifications_accepted] {
            // A second registration (tests reusing a registry) is harmless.
            let _ = registry.register(Box::new(c.clone()));
        }
        PipelineMetrics {
            isr_shrinks,
            isr_expands,
            notifications_accepted,
        }
    }
}

/// Everything the daemon runs.
pub struct Stages {
    pub clusters: Vec<ClusterStage>,
    pub correlator: Box<dyn Correlator>,
    pub summarizer: Arc<dyn Summarizer>,
    pub sink: Arc<dyn NotificationSink>,
    pub state: Arc<SharedState>,
    pub clock: Arc<dyn Clock>,
    pub metrics: PipelineMetrics,
    /// Sends a late LLM answer as a follow-up notification.
    pub follow_up_late_summaries: bool,
}

/// What a cluster task sends to the notify task.
struct Work {
    incident: Incident,
    reason: NotifyReason,
}

/// Runs the pipeline until `shutdown` completes, then stops the cluster
/// tasks, drains what they produced through summarize and the sink, and
/// returns the correlator (so its state can be saved).
pub async fn run(
    stages: Stages,
    shutdown: impl Future<Output = ()> + Send,
) -> Option<Box<dyn Correlator>> {
    run_keeping(stages, shutdown).await.correlator
}

/// What the pipeline hands back when it stops, to be saved for the next
/// start.
pub struct Stopped {
    pub correlator: Option<Box<dyn Correlator>>,
    /// Each cluster's evaluator memory ([`Evaluator::memory`]), by name.
    pub memories: Vec<(String, EvaluatorMemory)>,
}

/// [`run`], also returning each cluster's evaluator memory.
pub async fn run_keeping(stages: Stages, shutdown: impl Future<Output = ()> + Send) -> Stopped {
    let Stages {
        clusters,
        correlator,
        summarizer,
        sink,
        state,
        clock,
        metrics,
        follow_up_late_summaries,
    } = stages;
    let correlator = Arc::new(Mutex::new(correlator));
    let (tx, rx) = mpsc::channel::<Work>(1024);

    // Receivers first: the notify task.
    let notify_task = tokio::spawn(notify_loop(
        rx,
        summarizer,
        sink,
        state.clone(),
        clock.clone(),
        metrics.clone(),
        follow_up_late_summaries,
    ));

    let stop = CancellationToken::new();
    let mut cluster_tasks = Vec::new();
    for stage in clusters {
        let (correlator, tx, state, clock, metrics, stop) = (
            correlator.clone(),
            tx.clone(),
            state.clone(),
            clock.clone(),
            metrics.clone(),
            stop.clone(),
        );
        // Polls until `stop`, then gives back what the evaluator learnt.
        let mut stage = stage;
        cluster_tasks.push(tokio::spawn(async move {
            poll_loop(&mut stage, correlator, tx, state, clock, metrics, stop).await;
            let memory = stage.evaluator.memory();
            (stage.name, memory)
        }));
    }
    drop(tx);

    shutdown.await;
    info!("shutting down: stopping pollers");
    stop.cancel();
    let mut memories = Vec::new();
    for t in cluster_tasks {
        if let Ok((name, Some(memory))) = t.await {
            memories.push((name, memory));
        }
    }
    info!("pollers stopped; delivering what is left to the outbox");
    let _ = notify_task.await;
    info!("pipeline stopped");
    Stopped {
        correlator: Arc::try_unwrap(correlator).ok().map(Mutex::into_inner),
        memories,
    }
}

/// Polls and evaluates one cluster until `stop`.
async fn poll_loop(
    stage: &mut ClusterStage,
    correlator: Arc<Mutex<Box<dyn Correlator>>>,
    tx: mpsc::Sender<Work>,
    state: Arc<SharedState>,
    clock: Arc<dyn Clock>,
    metrics: PipelineMetrics,
    stop: CancellationToken,
) {
    let mut failures: u32 = 0;
    loop {
        let now = clock.now();
        let started = tokio::time::Instant::now();
        // The poller keeps its own deadline; this one is a safety net a
        // little later, so a well-behaved poller always answers itself.
        let hard_deadline = stage.poll_timeout + stage.poll_timeout / 2;
        let snap = tokio::select! {
            s = tokio::time::timeout(hard_deadline, stage.poller.poll(now)) => match s {
                Ok(s) => s,
                Err(_) => ClusterSnapshot::unreachable(&stage.name, now, started.elapsed(), crate::snapshot::PollError {
                    step: "poll".into(),
                    broker: None,
                    message: format!("poll did not finish within {hard_deadline:?}"),
                }),
            },
            _ = stop.cancelled() => return,
        };
        let now = clock.now();
        process_snapshot(stage, snap, now, &correlator, &tx, &state, &metrics).await;

        // Back off with jitter while the cluster is unreachable.
        let reachable = state
            .cluster(&stage.name)
            .and_then(|v| v.snapshot.map(|s| s.reachable))
            .unwrap_or(false);
        failures = if reachable {
            0
        } else {
            failures.saturating_add(1)
        };
        let delay = next_delay(stage.interval, failures);
        let wait = delay.saturating_sub(started.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => return,
        }
    }
}

/// Poll delay: the interval while healthy; doubling (capped at 8x, at most
/// 5 minutes more) with ±20% jitter while the cluster cannot be reached
/// ([`Backoff::polls`]).
pub fn next_delay(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    Backoff::polls(interval).delay(failures)
}

/// One snapshot through evaluate, state and correlate.
async fn process_snapshot(
    stage: &mut ClusterStage,
    snap: ClusterSnapshot,
    now: Time,
    correlator: &Arc<Mutex<Box<dyn Correlator>>>,
    tx: &mpsc::Sender<Work>,
    state: &Arc<SharedState>,
    metrics: &PipelineMetrics,
) {
    let eval = stage.evaluator.evaluate(&snap, now);
    for c in &snap.isr_changes {
        let counter = match c.kind {
            IsrChangeKind::Shrink => &metrics.isr_shrinks,
            IsrChangeKind::Expand => &metrics.isr_expands,
        };
        counter
            .with_label_values(&[&stage.name, &c.broker.to_string()])
            .inc();
    }
    debug!(cluster = %stage.name, findings = eval.findings.len(), reachable = snap.reachable, "evaluated");
    let findings = eval.findings.clone();
    for change in state.publish_poll(Arc::new(snap), Arc::new(eval)) {
        match change {
            crate::state::StepChange::Failing { step, message } => {
                warn!(cluster = %stage.name, step = %step, "poll step failing: {message}")
            }
            crate::state::StepChange::Recovered { step } => {
                info!(cluster = %stage.name, step = %step, "poll step works again")
            }
        }
    }
    let (due, incidents) = {
        let mut c = correlator.lock();
        let due = c.ingest(&stage.name, &findings, now);
        (due, c.incidents())
    };
    state.publish_incidents(incidents);
    for (incident, reason) in due {
        info!(cluster = %stage.name, incident = %incident.id, reason = reason.as_str(), title = %incident.title, "notify");
        if tx.send(Work { incident, reason }).await.is_err() {
            warn!("notify stage is gone; dropping a notification");
        }
    }
}

async fn notify_loop(
    mut rx: mpsc::Receiver<Work>,
    summarizer: Arc<dyn Summarizer>,
    sink: Arc<dyn NotificationSink>,
    state: Arc<SharedState>,
    clock: Arc<dyn Clock>,
    metrics: PipelineMetrics,
    follow_up: bool,
) {
    // Each item is summarized in its own task so one slow LLM call never
    // holds back another incident; the summarizer bounds each by its deadline.
    let mut inflight = tokio::task::JoinSet::new();
    while let Some(work) = rx.recv().await {
        let summarizer = summarizer.clone();
        let sink = sink.clone();
        let clock = clock.clone();
        let metrics = metrics.clone();
        let state = state.clone();
        inflight.spawn(async move {
            let out = summarizer.summarize(&work.incident, work.reason).await;
            let mut incident = work.incident;
            incident.summary = Some(out.summary.clone());
            let n = Notification {
                id: uuid::Uuid::new_v4().to_string(),
                reason: work.reason,
                incident: incident.clone(),
                summary: out.summary,
                created_at: clock.now(),
                is_update: false,
            };
            let cluster = incident.cluster.clone();
            match sink.accept(n).await {
                Ok(()) => metrics
                    .notifications_accepted
                    .with_label_values(&[&cluster, work.reason.as_str()])
                    .inc(),
                Err(e) => {
                    warn!(incident = %incident.id, error = %e, "outbox refused a notification")
                }
            }
            attach_summary(&state, &incident);
            if let Some(late) = out.late {
                if let Ok(summary) = late.await {
                    let mut updated = incident.clone();
                    updated.summary = Some(summary.clone());
                    attach_summary(&state, &updated);
                    if follow_up {
                        let n = Notification {
                            id: uuid::Uuid::new_v4().to_string(),
                            reason: work.reason,
                            incident: updated,
                            summary,
                            created_at: clock.now(),
                            is_update: true,
                        };
                        if let Err(e) = sink.accept(n).await {
                            warn!(error = %e, "outbox refused a follow-up");
                        }
                    }
                }
            }
        });
        // Reap finished tasks without waiting.
        while inflight.try_join_next().is_some() {}
    }
    while inflight.join_next().await.is_some() {}
}

/// Makes the API show the latest summary of an incident.
fn attach_summary(state: &SharedState, incident: &Incident) {
    if let Some(summary) = &incident.summary {
        state.attach_summary(&incident.id, summary.clone());
    }
}
