//! The pipeline wiring with test doubles on tokio's paused clock: a slow
//! cluster never delays another, notifications reach the sink, and
//! shutdown drains what was produced.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use isrwatch::daemon::{self, ClusterStage, MemorySink, PipelineMetrics, Stages, TokioClock};
use isrwatch::evaluate::{Evaluation, Evaluator};
use isrwatch::finding::{Finding, FindingKind, Severity, Subject};
use isrwatch::incident::Correlator;
use isrwatch::model::*;
use isrwatch::poll::Poller;
use isrwatch::snapshot::{ClusterSnapshot, Time};
use isrwatch::state::SharedState;
use isrwatch::summarize::{Summarized, Summarizer};

/// Polls take `delay`; reachable unless `down`.
struct SlowPoller {
    name: String,
    delay: Duration,
}

#[async_trait]
impl Poller for SlowPoller {
    async fn poll(&mut self, now: Time) -> ClusterSnapshot {
        tokio::time::sleep(self.delay).await;
        ClusterSnapshot {
            cluster: self.name.clone(),
            taken_at: now,
            reachable: true,
            ..Default::default()
        }
    }
}

/// Reports one broker_down finding on every snapshot.
struct AlwaysBrokerDown;
impl Evaluator for AlwaysBrokerDown {
    fn evaluate(&mut self, s: &ClusterSnapshot, now: Time) -> Evaluation {
        Evaluation {
            findings: vec![Finding::new(
                &s.cluster,
                FindingKind::BrokerDown,
                Severity::Critical,
                Subject::Broker { id: 2 },
                now,
            )],
            ..Default::default()
        }
    }
}

/// Fires each (cluster) once.
#[derive(Default)]
struct OncePerCluster {
    seen: Vec<Incident>,
}
impl Correlator for OncePerCluster {
    fn ingest(
        &mut self,
        cluster: &str,
        findings: &[Finding],
        now: Time,
    ) -> Vec<(Incident, NotifyReason)> {
        if findings.is_empty() || self.seen.iter().any(|i| i.cluster == cluster) {
            return vec![];
        }
        let i = Incident {
            id: format!("{cluster}-1"),
            fingerprint: cluster.into(),
            cluster: cluster.into(),
            kind: FindingKind::BrokerDown,
            root: Subject::Broker { id: 2 },
            title: format!("Broker 2 is down on {cluster}"),
            state: IncidentState::Firing,
            severity: Severity::Critical,
            started_at: now,
            firing_since: Some(now),
            resolved_at: None,
            updated_at: now,
            affected: Affected::default(),
            counts: Default::default(),
            findings: findings.to_vec(),
            timeline: vec![],
            flapping: false,
            silenced_by: None,
            summary: None,
            labels: Default::default(),
            keyed_by: None,
        };
        self.seen.push(i.clone());
        vec![(i, NotifyReason::Firing)]
    }
    fn incidents(&self) -> Vec<Incident> {
        self.seen.clone()
    }
}

struct FixedText;
#[async_trait]
impl Summarizer for FixedText {
    async fn summarize(&self, incident: &Incident, _: NotifyReason) -> Summarized {
        Summarized {
            summary: Summary {
                headline: incident.title.clone(),
                what_happened: String::new(),
                impact: String::new(),
                likely_cause: String::new(),
                next_steps: vec![],
                source: SummarySource::Template,
                fallback_reason: None,
            },
            late: None,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_cluster_never_delays_another_and_shutdown_drains() {
    let state = SharedState::new(["fast".to_string(), "slow".to_string()]);
    let sink = Arc::new(MemorySink::default());
    let registry = prometheus::Registry::new();
    let stage = |name: &str, delay: u64| ClusterStage {
        name: name.into(),
        interval: Duration::from_secs(10),
        poll_timeout: Duration::from_secs(5),
        poller: Box::new(SlowPoller {
            name: name.into(),
            delay: Duration::from_secs(delay),
        }),
        evaluator: Box::new(AlwaysBrokerDown),
    };
    let stages = Stages {
        clusters: vec![stage("fast", 0), stage("slow", 60)],
        correlator: Box::new(OncePerCluster::default()),
        summarizer: Arc::new(FixedText),
        sink: sink.clone(),
        state: state.clone(),
        clock: Arc::new(TokioClock::new()),
        metrics: PipelineMetrics::register(&registry),
        follow_up_late_summaries: false,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(daemon::run(stages, async {
        let _ = stop_rx.await;
    }));

    tokio::time::sleep(Duration::from_secs(1)).await;
    // The fast cluster was polled and notified although the slow one hangs.
    let fast = state.cluster("fast").unwrap();
    assert!(fast.snapshot.as_ref().unwrap().reachable);
    assert_eq!(sink.0.lock().len(), 1);
    assert_eq!(sink.0.lock()[0].incident.cluster, "fast");
    assert_eq!(
        state.incidents()[0].summary.as_ref().unwrap().headline,
        "Broker 2 is down on fast"
    );

    // The slow cluster overruns its 5 s poll deadline; the daemon's safety
    // net (1.5x the deadline) reports it unreachable.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let slow = state.cluster("slow").unwrap();
    let snap = slow.snapshot.unwrap();
    assert!(!snap.reachable);
    assert!(snap.errors[0].message.contains("did not finish within"));

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("stops within the deadline")
        .unwrap();
    assert_eq!(
        sink.0.lock().len(),
        2,
        "both clusters' notifications were accepted before stopping"
    );
}

#[test]
fn backoff_grows_with_failures_and_is_capped() {
    let i = Duration::from_secs(15);
    assert_eq!(daemon::next_delay(i, 0), i);
    for f in 1..20 {
        let d = daemon::next_delay(i, f);
        assert!(
            d >= i.mul_f64(0.8 * 2.0) && d <= i.mul_f64(1.2 * 8.0),
            "{f}: {d:?}"
        );
    }
}
