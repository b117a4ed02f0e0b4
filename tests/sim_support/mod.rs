//! Shared by the tests that run the daemon's pipeline against the simulator
//! in real time: the daemon's clock on the simulator's time, and the stages.

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
