//! Shared by the tests that run the daemon's pipeline against the simulator
//! in real time: the daemon's clock on the simulator's time, the stages, and
//! the demo daemon with its API token.

use std::sync::Arc;
use std::time::Duration;

use isrwatch::daemon::{Clock, ClusterStage, MemorySink, PipelineMetrics, Stages};
use isrwatch::incident::Correlator;
use isrwatch::snapshot::Time;

/// The daemon's clock follows the simulator's, `speed` times slower (the
/// daemon's windows are scaled by `1/speed`), not the wall: on a loaded
/// machine the simulator's clock task can fall behind for a moment, and a
/// daemon on wall time would then see every consumer miss its commits
/// although, in the cluster's own time, nothing was late.
pub struct SimClock {
    pub start: Time,
    pub speed: f64,
    pub elapsed: Box<dyn Fn() -> Duration + Send + Sync>,
}

impl Clock for SimClock {
    fn now(&self) -> Time {
        let wall = (self.elapsed)().div_f64(self.speed);
        self.start + chrono::Duration::from_std(wall).unwrap_or_default()
    }
}

/// One cluster's stages with template summaries, a memory sink and
/// throw-away metrics.
pub fn stages(
    cluster: ClusterStage,
    correlator: Box<dyn Correlator>,
    sink: Arc<MemorySink>,
    state: Arc<isrwatch::state::SharedState>,
    clock: SimClock,
) -> Stages {
    Stages {
        clusters: vec![cluster],
        correlator,
        summarizer: isrwatch::summarize::build(None, &prometheus::Registry::new()).unwrap(),
        sink,
        state,
        clock: Arc::new(clock),
        metrics: PipelineMetrics::register(&prometheus::Registry::new()),
        follow_up_late_summaries: false,
    }
}

/// The daemon as `isrwatch demo` configures it, polling `bootstrap` every
/// 500 ms: API token `tok` on reads and writes, warnings notified at once,
/// state in a temporary directory (kept alive by the returned guard).
/// Returns the running daemon and the API's base URL.
pub async fn protected_demo_daemon(
    bootstrap: &str,
) -> (isrwatch::daemon::build::Running, String, tempfile::TempDir) {
    let port = super::free_port();
    let args = isrwatch::cli::DemoArgs {
        scenario: None,
        speed: 1.0,
        listen: Some(format!("127.0.0.1:{port}")),
        webhook: None,
        slack_webhook: None,
        alertmanager: None,
        duration: None,
        poll_interval: Some(Duration::from_millis(500)),
    };
    let mut config = isrwatch::cli::wire::demo_config(&args, bootstrap, "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    config.daemon.state_dir = dir.path().to_path_buf();
    config.http.token = Some(isrwatch::config::Secret::Inline("tok".into()));
    config.incidents.for_warning = isrwatch::config::Dur::secs(0);
    assert!(config.validate().is_empty(), "{}", config.validate());
    let running = isrwatch::daemon::build::start(config).await.unwrap();
    let base = format!("http://{}", running.api_addr);
    (running, base, dir)
}
