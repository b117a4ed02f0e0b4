//! The real Alertmanager (Debian package `prometheus-alertmanager`) receives
//! isrwatch's alerts: firing, then resolved, read back from its v2 API; two
//! senders with the same incident produce one alert (HA deduplication).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use isrwatch::finding::{FindingKind, Severity, Subject};
use isrwatch::model::{
    Affected, Incident, IncidentState, Notification, NotifyReason, Summary, SummarySource,
};
use isrwatch::notify::{system_clock, AlertmanagerNotifier, Notifier};

use crate::support::free_port;

/// Kills Alertmanager when the test ends, pass or fail.
struct Am {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Am {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_alertmanager() -> Am {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: blackhole\n",
    )
    .expect("config");
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("am.log")).expect("log");
    let child = Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus-alertmanager is installed (apt-get install prometheus-alertmanager)");
    let am = Am {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{}/-/ready", am.base)).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "alertmanager did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    am
}

fn notification(id: &str, reason: NotifyReason) -> Notification {
    let now = chrono::Utc::now();
    let resolved = reason == NotifyReason::Resolved;
    let mut labels = BTreeMap::new();
    labels.insert("team".to_string(), "data-platform".to_string());
    Notification {
        id: id.into(),
        reason,
        incident: Incident {
            id: "fp-am-1".into(),
            fingerprint: "fp-am".into(),
            cluster: "prod-eu".into(),
            kind: FindingKind::BrokerDown,
            root: Subject::Broker { id: 2 },
            title: "Broker 2 is down".into(),
            state: if resolved {
                IncidentState::Resolved
            } else {
                IncidentState::Firing
            },
            severity: Severity::Critical,
            started_at: now - chrono::Duration::seconds(60),
            firing_since: Some(now - chrono::Duration::seconds(30)),
            resolved_at: resolved.then(|| now - chrono::Duration::seconds(1)),
            updated_at: now,
            affected: Affected {
                brokers: vec![2],
                ..Default::default()
            },
            counts: BTreeMap::new(),
            findings: Vec::new(),
            timeline: Vec::new(),
            flapping: false,
            silenced_by: None,
            summary: None,
            labels,
            keyed_by: None,
        },
        summary: Summary {
            headline: "Broker 2 down: 412 partitions under-replicated".into(),
            what_happened: "Broker 2 left the cluster metadata.".into(),
            impact: "acks=all producers fail on 3 partitions.".into(),
            likely_cause: "The broker stopped.".into(),
            next_steps: vec!["Check the broker host.".into()],
            source: SummarySource::Template,
            fallback_reason: None,
        },
        created_at: now,
        is_update: false,
    }
}

async fn alerts(base: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{base}/api/v2/alerts"))
        .await
        .expect("GET alerts")
        .json::<Vec<serde_json::Value>>()
        .await
        .expect("alerts json")
}

fn ours(all: &[serde_json::Value]) -> Vec<serde_json::Value> {
    all.iter()
        .filter(|a| a["labels"]["fingerprint"] == "fp-am")
        .cloned()
        .collect()
}

#[tokio::test]
async fn alertmanager_receives_firing_then_resolve() {
    let _group = crate::support::group(module_path!());
    let am = start_alertmanager().await;
    let make = |name: &str| {
        AlertmanagerNotifier::new(
            name,
            &am.base,
            Duration::from_secs(5),
            Duration::from_secs(300),
            system_clock(),
        )
        .expect("notifier")
        .with_links(Some("http://isrwatch.local:8080".into()), None)
    };
    let a = Arc::new(make("am-a"));
    let b = Arc::new(make("am-b"));

    // Two isrwatch instances send the same incident (different notification ids).
    a.send(&notification("n-a", NotifyReason::Firing))
        .await
        .expect("firing accepted by alertmanager");
    b.send(&notification("n-b", NotifyReason::Firing))
        .await
        .expect("second instance accepted");

    let firing = ours(&alerts(&am.base).await);
    assert_eq!(firing.len(), 1, "deduplicated to one alert: {firing:?}");
    let alert = &firing[0];
    assert_eq!(alert["status"]["state"], "active");
    let l = &alert["labels"];
    assert_eq!(l["alertname"], "IsrwatchBrokerDown");
    assert_eq!(l["cluster"], "prod-eu");
    assert_eq!(l["severity"], "critical");
    assert_eq!(l["broker"], "2");
    assert_eq!(l["team"], "data-platform");
    assert_eq!(
        alert["annotations"]["summary"],
        "Broker 2 down: 412 partitions under-replicated"
    );
    assert_eq!(
        alert["generatorURL"],
        "http://isrwatch.local:8080/api/v1/clusters/prod-eu/incidents"
    );
    let ends: chrono::DateTime<chrono::Utc> = alert["endsAt"]
        .as_str()
        .expect("endsAt")
        .parse()
        .expect("time");
    assert!(
        ends > chrono::Utc::now() + chrono::Duration::seconds(200),
        "endsAt = now + resolve timeout"
    );

    // Resolve: the same labels, endsAt in the past.
    a.send(&notification("n-r", NotifyReason::Resolved))
        .await
        .expect("resolve accepted");
    // Alertmanager's API lists only alerts whose endsAt is in the future.
    let after = ours(&alerts(&am.base).await);
    assert!(
        after.is_empty(),
        "resolved alert no longer active: {after:?}"
    );

    // And Alertmanager counted a resolved alert received.
    let metrics = reqwest::get(format!("{}/metrics", am.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let resolved: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("alertmanager_alerts_received_total") && l.contains("status=\"resolved\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        resolved >= 1.0,
        "resolved alerts received: {resolved}\n{metrics}"
    );
}

/// An under-replicated incident whose partitions go offline, spreading to a
/// second topic: after the escalation the real Alertmanager holds exactly
/// one active alert for it, the same alert name, now critical.
#[tokio::test]
async fn an_incident_that_gets_worse_is_one_alertmanager_alert() {
    let _group = crate::support::group(module_path!());
    let am = start_alertmanager().await;
    let a = AlertmanagerNotifier::new(
        "am",
        &am.base,
        Duration::from_secs(5),
        Duration::from_secs(300),
        system_clock(),
    )
    .expect("notifier");
    let mut first = notification("n-1", NotifyReason::Firing);
    let inc = &mut first.incident;
    inc.kind = FindingKind::UnderReplicated;
    inc.root = Subject::Broker { id: 3 };
    inc.severity = Severity::Warning;
    inc.affected.topics = vec!["orders".into()];
    inc.labels.insert("kind".into(), "under_replicated".into());
    inc.labels.insert("topic".into(), "orders".into());
    a.send(&first).await.expect("firing accepted");

    let mut worse = first.clone();
    worse.id = "n-2".into();
    worse.reason = NotifyReason::Escalated;
    let inc = &mut worse.incident;
    inc.kind = FindingKind::PartitionOffline;
    inc.severity = Severity::Critical;
    inc.affected.topics = vec!["orders".into(), "payments".into()];
    inc.labels.insert("kind".into(), "partition_offline".into());
    inc.labels.remove("topic");
    a.send(&worse).await.expect("escalation accepted");

    let active = ours(&alerts(&am.base).await);
    assert_eq!(active.len(), 1, "one alert for one incident: {active:?}");
    let alert = &active[0];
    assert_eq!(alert["labels"]["alertname"], "IsrwatchUnderReplicated");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["annotations"]["current_kind"], "partition_offline");
    assert_eq!(alert["annotations"]["topics"], "orders, payments");
}
