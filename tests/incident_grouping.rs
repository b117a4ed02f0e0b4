//! Root-cause grouping through the public `IncidentManager`: one incident
//! per probable cause, whatever the number of findings.

use chrono::{TimeZone, Utc};
use isrwatch::finding::{AnomalyScore, Finding, FindingKind, Severity, Subject};
use isrwatch::incident::{fingerprint, Correlator, IncidentConfig, IncidentManager, Silences};
use isrwatch::model::{IncidentState, NotifyReason};
use isrwatch::snapshot::Time;

fn t(secs: i64) -> Time {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn manager() -> IncidentManager {
    IncidentManager::new(&IncidentConfig::default(), Silences::new())
}

fn partition(kind: FindingKind, sev: Severity, topic: &str, p: i32, brokers: &[i32]) -> Finding {
    Finding::new(
        "prod",
        kind,
        sev,
        Subject::Partition {
            topic: topic.to_string(),
            partition: p,
        },
        t(0),
    )
    .with_brokers(brokers.iter().copied())
}

fn broker_down(id: i32) -> Finding {
    Finding::new(
        "prod",
        FindingKind::BrokerDown,
        Severity::Critical,
        Subject::Broker { id },
        t(0),
    )
    .with_brokers([id])
}

/// Broker 2 down: 400 under-replicated partitions, 4 offline.
fn broker_2_down() -> Vec<Finding> {
    let mut fs = vec![broker_down(2)];
    for p in 0..400 {
        fs.push(partition(
            FindingKind::UnderReplicated,
            Severity::Warning,
            &format!("topic-{}", p % 20),
            p / 20,
            &[2],
        ));
    }
    for p in 0..4 {
        fs.push(partition(
            FindingKind::PartitionOffline,
            Severity::Critical,
            "orders",
            p,
            &[2],
        ));
    }
    fs
}

#[test]
fn broker_down_is_one_incident_one_firing_then_one_resolved() {
    let mut m = manager();
    let out = m.ingest("prod", &broker_2_down(), t(0));
    assert_eq!(out.len(), 1, "{out:#?}");
    let (inc, reason) = &out[0];
    assert_eq!(*reason, NotifyReason::Firing);
    assert_eq!(inc.kind, FindingKind::BrokerDown);
    assert_eq!(inc.root, Subject::Broker { id: 2 });
    assert_eq!(inc.severity, Severity::Critical);
    assert_eq!(inc.affected.partition_count, 404);
    assert_eq!(inc.affected.partitions.len(), 50, "list is capped");
    assert_eq!(inc.findings.len(), 50, "findings are capped");
    assert_eq!(inc.counts[&FindingKind::UnderReplicated], 400);
    assert_eq!(inc.counts[&FindingKind::PartitionOffline], 4);
    assert_eq!(
        inc.title,
        "Broker 2 is down on prod: 400 partitions under-replicated, 4 offline"
    );
    assert_eq!(inc.labels["broker"], "2");
    assert_eq!(inc.labels["kind"], "broker_down");
    assert_eq!(inc.labels["cluster"], "prod");
    assert_eq!(
        inc.fingerprint,
        fingerprint("prod", FindingKind::BrokerDown, &Subject::Broker { id: 2 })
    );
    assert_eq!(m.incidents().len(), 1);

    // Still down on the next polls: nothing new.
    for i in 1..10 {
        assert!(m.ingest("prod", &broker_2_down(), t(15 * i)).is_empty());
    }

    // Broker back: exactly one Resolved.
    let out = m.ingest("prod", &[], t(200));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, NotifyReason::Resolved);
    assert_eq!(out[0].0.state, IncidentState::Resolved);
    assert_eq!(out[0].0.resolved_at, Some(t(200)));
    let events: Vec<&str> = out[0].0.timeline.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, vec!["opened", "firing", "resolved"]);
    assert!(m.ingest("prod", &[], t(215)).is_empty());
    // Still visible for the API.
    assert_eq!(m.incidents()[0].state, IncidentState::Resolved);
}

#[test]
fn slow_follower_groups_under_the_broker() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    // Broker 3 is alive but slow: 40 partitions miss it from their ISR.
    let fs: Vec<Finding> = (0..40)
        .map(|p| {
            partition(
                FindingKind::UnderReplicated,
                Severity::Warning,
                "events",
                p,
                &[3],
            )
        })
        .collect();
    let out = m.ingest("prod", &fs, t(0));
    assert_eq!(out.len(), 1);
    let inc = &out[0].0;
    assert_eq!(inc.kind, FindingKind::UnderReplicated);
    assert_eq!(inc.root, Subject::Broker { id: 3 });
    assert_eq!(
        inc.title,
        "Replication trouble on broker 3 of prod: 40 partitions under-replicated"
    );
    assert_eq!(inc.labels["topic"], "events");

    // Two partitions drop under min ISR: same incident, escalated, kind shown.
    let mut worse = fs.clone();
    for f in worse.iter_mut().take(2) {
        f.kind = FindingKind::UnderMinIsr;
        f.severity = Severity::Critical;
    }
    let out = m.ingest("prod", &worse, t(15));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, NotifyReason::Escalated);
    assert_eq!(out[0].0.id, inc.id);
    assert_eq!(out[0].0.kind, FindingKind::UnderMinIsr);
}

#[test]
fn unattributed_partitions_group_per_topic() {
    let mut m = manager();
    let fs = vec![
        partition(
            FindingKind::PartitionOffline,
            Severity::Critical,
            "a",
            0,
            &[],
        ),
        partition(
            FindingKind::PartitionOffline,
            Severity::Critical,
            "a",
            1,
            &[],
        ),
        partition(
            FindingKind::PartitionOffline,
            Severity::Critical,
            "b",
            0,
            &[],
        ),
    ];
    let out = m.ingest("prod", &fs, t(0));
    assert_eq!(out.len(), 2);
    let roots: Vec<&Subject> = out.iter().map(|(i, _)| &i.root).collect();
    assert!(roots.contains(&&Subject::Topic { topic: "a".into() }));
    assert!(roots.contains(&&Subject::Topic { topic: "b".into() }));
    assert!(out
        .iter()
        .all(|(i, _)| i.kind == FindingKind::PartitionOffline));
}

#[test]
fn lagging_group_is_one_incident() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let lag = Finding::new(
        "prod",
        FindingKind::ConsumerLag,
        Severity::Warning,
        Subject::Group {
            group: "billing".into(),
        },
        t(0),
    )
    .with_label("lag_status", "STALL")
    .with_metric("partitions", 50.0);
    let anomaly = Finding {
        anomaly: Some(AnomalyScore {
            series: "group_lag{group=\"billing\"}".into(),
            score: 0.99,
            observed: 5000.0,
            expected_low: 0.0,
            expected_high: 10.0,
            since: None,
            explanation: "observed 5000, expected 0..10".into(),
        }),
        ..Finding::new(
            "prod",
            FindingKind::Anomaly,
            Severity::Warning,
            Subject::Series {
                series: "group_lag{group=\"billing\"}".into(),
            },
            t(0),
        )
    };
    let out = m.ingest("prod", &[lag, anomaly], t(0));
    assert_eq!(out.len(), 1, "{out:#?}");
    let inc = &out[0].0;
    assert_eq!(inc.kind, FindingKind::ConsumerLag);
    assert_eq!(
        inc.title,
        "Consumer group \"billing\" is lagging on prod (STALL)"
    );
    assert_eq!(inc.labels["group"], "billing");
    assert_eq!(inc.counts[&FindingKind::Anomaly], 1);
    assert_eq!(inc.affected.groups, vec!["billing".to_string()]);
}

#[test]
fn replication_anomaly_is_absorbed_other_series_are_separate() {
    let mut m = manager();
    let mut fs = broker_2_down();
    for s in ["under_replicated_partitions", "produce_rate{topic=\"x\"}"] {
        fs.push(Finding::new(
            "prod",
            FindingKind::Anomaly,
            Severity::Warning,
            Subject::Series { series: s.into() },
            t(0),
        ));
    }
    m.ingest("prod", &fs, t(0));
    let incs = m.incidents();
    assert_eq!(incs.len(), 2);
    let down = incs
        .iter()
        .find(|i| i.kind == FindingKind::BrokerDown)
        .unwrap();
    assert_eq!(down.counts[&FindingKind::Anomaly], 1);
    let other = incs
        .iter()
        .find(|i| i.kind == FindingKind::Anomaly)
        .unwrap();
    assert_eq!(
        other.root,
        Subject::Series {
            series: "produce_rate{topic=\"x\"}".into()
        }
    );
}

#[test]
fn unreachable_cluster_absorbs_everything_and_freezes_the_rest() {
    let mut m = manager();
    assert_eq!(m.ingest("prod", &broker_2_down(), t(0)).len(), 1);
    // The cluster cannot be polled; the evaluator may still report stale findings.
    let mut fs = vec![Finding::new(
        "prod",
        FindingKind::ClusterUnreachable,
        Severity::Critical,
        Subject::Cluster,
        t(15),
    )];
    fs.extend(broker_2_down());
    fs.push(Finding::new(
        "prod",
        FindingKind::NoController,
        Severity::Critical,
        Subject::Cluster,
        t(15),
    ));
    let out = m.ingest("prod", &fs, t(15));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].0.kind, FindingKind::ClusterUnreachable);
    assert_eq!(out[0].0.title, "Cluster prod is unreachable");
    assert_eq!(out[0].0.counts.values().sum::<usize>(), fs.len());

    // Only the unreachable finding now: the broker incident is frozen, not resolved.
    let only = &fs[..1];
    assert!(m.ingest("prod", only, t(30)).is_empty());
    let states: Vec<(FindingKind, IncidentState)> =
        m.incidents().iter().map(|i| (i.kind, i.state)).collect();
    assert!(states.contains(&(FindingKind::BrokerDown, IncidentState::Firing)));

    // Reachable again and healthy: both resolve.
    let out = m.ingest("prod", &[], t(45));
    let mut kinds: Vec<(FindingKind, NotifyReason)> =
        out.iter().map(|(i, r)| (i.kind, *r)).collect();
    kinds.sort_by_key(|k| k.0);
    assert_eq!(
        kinds,
        vec![
            (FindingKind::ClusterUnreachable, NotifyReason::Resolved),
            (FindingKind::BrokerDown, NotifyReason::Resolved),
        ]
    );
}

#[test]
fn controller_findings_are_one_incident_per_cluster() {
    let mut m = manager();
    let fs = vec![
        Finding::new(
            "prod",
            FindingKind::ControllerUnstable,
            Severity::Critical,
            Subject::Cluster,
            t(0),
        ),
        Finding::new(
            "prod",
            FindingKind::NoController,
            Severity::Critical,
            Subject::Cluster,
            t(0),
        ),
    ];
    let out = m.ingest("prod", &fs, t(0));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.kind, FindingKind::NoController);
    // Another cluster's incidents are separate and untouched.
    let out = m.ingest("staging", &fs, t(0));
    assert_eq!(out.len(), 1);
    assert_eq!(m.incidents().len(), 2);
    let out = m.ingest("prod", &[], t(15));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.cluster, "prod");
}

#[test]
fn fingerprint_is_stable_across_restarts_order_and_text() {
    let fs = broker_2_down();
    let mut a = manager();
    let ida = a.ingest("prod", &fs, t(0))[0].0.clone();

    // A new manager (restart), findings in reverse order, different text.
    let mut reversed: Vec<Finding> = fs.iter().rev().cloned().collect();
    for f in reversed.iter_mut() {
        f.labels.insert("note".into(), "some other words".into());
        f.metrics.insert("isr".into(), 1.0);
    }
    let mut b = manager();
    let idb = b.ingest("prod", &reversed, t(0))[0].0.clone();
    assert_eq!(ida.fingerprint, idb.fingerprint);
    assert_eq!(ida.id, idb.id);
    assert_eq!(ida.title, idb.title);
    assert_eq!(ida.affected, idb.affected);
    assert_eq!(ida.findings.len(), idb.findings.len());
    // The stored (capped) findings are the same ones, in the same order.
    let subjects = |i: &isrwatch::model::Incident| -> Vec<Subject> {
        i.findings.iter().map(|f| f.subject.clone()).collect()
    };
    assert_eq!(subjects(&ida), subjects(&idb));
    // Pinned value (sha256 over length-prefixed "prod", "broker_down",
    // "broker\0" "2"): changing the hash input would break every stored
    // fingerprint and every receiver's deduplication.
    assert_eq!(ida.fingerprint, "98b6d35d84ad8135");
    assert_eq!(ida.id, format!("98b6d35d84ad8135-{}", t(0).timestamp()));
}

#[test]
fn a_hundred_thousand_partitions_are_still_one_incident() {
    let mut m = manager();
    let mut fs = vec![broker_down(7)];
    fs.extend((0..100_000).map(|p| {
        partition(
            FindingKind::UnderReplicated,
            Severity::Warning,
            &format!("t{}", p % 1000),
            p / 1000,
            &[7, 1 + p % 3],
        )
    }));
    let start = std::time::Instant::now();
    let out = m.ingest("prod", &fs, t(0));
    eprintln!("ingest of 100k findings: {:?}", start.elapsed());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.affected.partition_count, 100_000);
    assert_eq!(out[0].0.findings.len(), 50);
    assert!(m.ingest("prod", &fs, t(15)).is_empty());
}

#[test]
fn a_restart_with_saved_state_does_not_re_announce() {
    let mut a = manager();
    let fired = a.ingest("prod", &broker_2_down(), t(0))[0].0.clone();
    let json = serde_json::to_string(&a.export_state()).unwrap();

    let mut b = manager();
    b.restore_state(serde_json::from_str(&json).unwrap());
    // The evaluator restarted too: new `since`, same facts.
    let mut again = broker_2_down();
    for f in again.iter_mut() {
        f.since = t(60);
    }
    assert!(b.ingest("prod", &again, t(60)).is_empty());
    let out = b.ingest("prod", &[], t(75));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, NotifyReason::Resolved);
    assert_eq!(out[0].0.id, fired.id);
}
