//! Builds the daemon's stages from a validated configuration and runs them.
//!
//! Start order (receivers first): outbox dispatcher → HTTP server →
//! pipeline (notify task, then one task per cluster). Stop order is the
//! reverse: pollers stop and drain through summarize into the outbox, then
//! the dispatcher gets its grace period, then the HTTP server closes, all
//! within `[daemon] shutdown_timeout`.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{Clock, ClusterStage, NotificationSink, PipelineMetrics, Stages, TokioClock};
use crate::config::Config;
use crate::evaluate::{Evaluator as _, EvaluatorMemory, RuleEvaluator, SeriesScorer};
use crate::http::api::ApiContext;
use crate::incident::{Correlator, IncidentManager, Silences};
use crate::model::{IncidentState, Notification};
use crate::notify::Dispatcher;
use crate::state::SharedState;

#[async_trait]
impl NotificationSink for Dispatcher {
    async fn accept(&self, n: Notification) -> Result<(), String> {
        Dispatcher::accept(self, n).await.map_err(|e| e.to_string())
    }
}

/// A running daemon: its shared state and address, and how to stop it.
pub struct Running {
    pub state: Arc<SharedState>,
    pub api_addr: SocketAddr,
    pub registry: prometheus::Registry,
    pub silences: Silences,
    stop: CancellationToken,
    tasks: tokio::task::JoinHandle<()>,
    shutdown_timeout: Duration,
}

impl Running {
    /// Stops everything in reverse start order, within the shutdown timeout.
    pub async fn stop(self) {
        self.stop.cancel();
        if tokio::time::timeout(self.shutdown_timeout, self.tasks)
            .await
            .is_err()
        {
            warn!(timeout = ?self.shutdown_timeout, "shutdown did not finish in time; pending notifications stay in the outbox");
        }
    }
}

/// The scorer every evaluator uses: the streaming detector per series.
pub fn scorer_for(config: &Config) -> Box<dyn SeriesScorer> {
    crate::detect::scorer(&config.anomaly)
}

/// Where incident state and silences are saved across restarts.
fn saved_state_path(config: &Config) -> PathBuf {
    config.daemon.state_dir.join("incidents.json")
}

/// Where each cluster's evaluator memory (consumer groups' habits) is
/// saved across restarts: a file of its own, so one unreadable part does
/// not cost the other.
fn saved_memory_path(config: &Config) -> PathBuf {
    config.daemon.state_dir.join("evaluators.json")
}

/// The evaluator memories saved at the last shutdown, by cluster name;
/// empty (with a warning) when there are none or they cannot be read.
fn read_memories(path: &std::path::Path) -> BTreeMap<String, EvaluatorMemory> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        warn!(file = %path.display(), error = %e, "saved evaluator memory unreadable; learning afresh");
        BTreeMap::new()
    })
}

/// Writes `value` as JSON to `path`; a failure is logged (`what` names it),
/// not fatal: the next start learns afresh.
fn save_json(path: &std::path::Path, value: &impl serde::Serialize, what: &str) {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            if let Err(e) = std::fs::write(path, bytes) {
                warn!(error = %e, "could not save {what}");
            }
        }
        Err(e) => warn!(error = %e, "could not encode {what}"),
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    incidents: crate::incident::SavedState,
    silences: Vec<crate::incident::Silence>,
}

/// Starts the daemon described by a validated `config`. I/O (secrets,
/// state directory, listening socket) happens here, after validation.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::new());
    let now = clock.now();
    let registry = prometheus::Registry::new();
    let state = SharedState::new(config.clusters.iter().map(|c| c.name.clone()));
    std::fs::create_dir_all(&config.daemon.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}",
            config.daemon.state_dir.display()
        )
    })?;

    // Incidents and silences, restored from the last run when saved.
    let silences = Silences::from_config(&config.incidents, now)
        .map_err(|e| anyhow::anyhow!("incidents: {e}"))?;
    let mut manager = IncidentManager::new(&config.incidents, silences.clone());
    if let Ok(text) = std::fs::read_to_string(saved_state_path(&config)) {
        match serde_json::from_str::<Saved>(&text) {
            Ok(saved) => {
                manager.restore_state(saved.incidents);
                for (id, e) in silences.restore(saved.silences, now) {
                    warn!(silence = %id, error = %e, "saved silence not restored");
                }
            }
            Err(e) => warn!(error = %e, "saved incident state unreadable; starting fresh"),
        }
    }

    // Receivers first: the outbox dispatcher.
    let stop = CancellationToken::new();
    let dispatcher = Arc::new(
        Dispatcher::from_config(
            &config.notifiers,
            &config.daemon.state_dir,
            &registry,
            clock.clone(),
        )
        .map_err(anyhow::Error::msg)?,
    );

    // Summarizer: [llm], or ISRWATCH_LLM_* variables, or the template.
    let llm = config
        .llm
        .clone()
        .or_else(crate::summarize::LlmConfig::from_env);
    let summarizer =
        crate::summarize::build(llm.as_ref(), &registry).map_err(anyhow::Error::msg)?;
    let follow_up = summarizer.follow_up();

    // Pollers and evaluators, one pair per cluster; each evaluator starts
    // from what it had learnt before the last shutdown.
    let mut memories = read_memories(&saved_memory_path(&config));
    let mut clusters = Vec::new();
    for c in &config.clusters {
        let poller = crate::poll::KafkaPoller::new(c)
            .map_err(|e| anyhow::anyhow!("cluster {:?}: {e}", c.name))?;
        let mut evaluator = RuleEvaluator::new(&c.name, &config.rules, scorer_for(&config));
        if let Some(memory) = memories.remove(&c.name) {
            evaluator.restore(memory);
        }
        clusters.push(ClusterStage {
            name: c.name.clone(),
            interval: c.poll_interval.0,
            poll_timeout: c.poll_timeout.0,
            poller: Box::new(poller),
            evaluator: Box::new(evaluator),
        });
    }

    // HTTP.
    let listener = tokio::net::TcpListener::bind(&config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.listen))?;
    let api_addr = listener.local_addr()?;
    let token = config
        .http
        .resolve_token()
        .map_err(|e| anyhow::anyhow!("http.token: {e}"))?;
    let api = Arc::new(ApiContext {
        state: state.clone(),
        registry: registry.clone(),
        filter: config.http.series_filter(),
        token,
        protect_metrics: config.http.protect_metrics,
        silences: Some(Arc::new(silences.clone())),
        request_timeout: config.http.request_timeout.0,
        max_body_bytes: config.http.max_body_bytes,
        // The page refreshes at the fastest poll interval, 1 s to 30 s.
        page_refresh: config
            .clusters
            .iter()
            .map(|c| c.poll_interval.0)
            .min()
            .unwrap_or(Duration::from_secs(5))
            .clamp(Duration::from_secs(1), Duration::from_secs(30)),
    });

    let metrics = PipelineMetrics::register(&registry);
    let correlator: Box<dyn Correlator> = Box::new(manager);
    let stages = Stages {
        clusters,
        correlator,
        summarizer,
        sink: dispatcher.clone(),
        state: state.clone(),
        clock: clock.clone(),
        metrics,
        follow_up_late_summaries: follow_up,
    };

    let shutdown_timeout = config.daemon.shutdown_timeout.0;
    let notifiers = config.notifiers.clone();
    let saved_path = saved_state_path(&config);
    let memory_path = saved_memory_path(&config);
    let silences_for_save = silences.clone();
    let state_for_tasks = state.clone();
    let clock_for_tasks = clock.clone();
    let stop_for_tasks = stop.clone();
    let tasks = tokio::spawn(async move {
        // Receivers first: the dispatcher, then the HTTP server.
        let dispatch_stop = CancellationToken::new();
        let dispatcher_task = dispatcher
            .clone()
            .start(dispatch_stop.clone().cancelled_owned());
        let http_stop = CancellationToken::new();
        let http_task = tokio::spawn(crate::http::serve(
            listener,
            api,
            http_stop.clone().cancelled_owned(),
        ));
        // Keep Alertmanager's view of firing incidents alive, and expire silences.
        let keepalive = {
            let refresh_every = crate::notify::refresh_interval(&notifiers);
            let dispatcher = dispatcher.clone();
            let state = state_for_tasks.clone();
            let silences = silences_for_save.clone();
            let clock = clock_for_tasks.clone();
            let stop = stop_for_tasks.clone().cancelled_owned();
            tokio::spawn(async move {
                tokio::pin!(stop);
                let mut tick = tokio::time::interval(refresh_every);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            let firing: Vec<_> = state.incidents().iter().filter(|i| i.state == IncidentState::Firing).cloned().collect();
                            dispatcher.refresh(&firing).await;
                            silences.expire(clock.now());
                        }
                        _ = &mut stop => return,
                    }
                }
            })
        };

        // The pipeline runs until stop; it drains into the outbox before returning.
        let stopped = super::run_keeping(stages, stop_for_tasks.cancelled_owned()).await;
        let correlator = stopped.correlator;
        let _ = keepalive.await;

        // Save what the evaluators learnt of the consumer groups.
        let memories: BTreeMap<String, EvaluatorMemory> = stopped.memories.into_iter().collect();
        save_json(&memory_path, &memories, "evaluator memory");

        // Save incident state and silences for the next start.
        if let Some(saved) = correlator.and_then(|c| c.saved_state()) {
            let saved = Saved {
                incidents: saved,
                silences: silences_for_save.export(clock_for_tasks.now()),
            };
            save_json(&saved_path, &saved, "incident state");
        }
        dispatch_stop.cancel();
        let _ = dispatcher_task.await;
        http_stop.cancel();
        let _ = http_task.await;
        info!("stopped");
    });

    Ok(Running {
        state,
        api_addr,
        registry,
        silences,
        stop,
        tasks,
        shutdown_timeout,
    })
}

/// `isrwatch run`: starts, waits for `shutdown`, stops.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    let running = start(config).await?;
    info!(addr = %running.api_addr, "isrwatch is running: /metrics, /api/v1/status");
    shutdown.await;
    info!("signal received, stopping");
    running.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_evaluator_memory_means_learning_afresh_not_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evaluators.json");
        assert!(read_memories(&path).is_empty(), "no file: nothing");
        std::fs::write(&path, b"{\"prod\": {\"groups\": [1, 2]}").unwrap();
        assert!(read_memories(&path).is_empty(), "garbage: nothing");
        let mut saved = BTreeMap::new();
        let mut memory = EvaluatorMemory::default();
        memory.groups.insert(
            "etl".to_string(),
            crate::evaluate::GroupMemory {
                gaps_ms: vec![1_800_000; 3],
                ..Default::default()
            },
        );
        saved.insert("prod".to_string(), memory);
        std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();
        assert_eq!(read_memories(&path), saved);
    }
}
