//! Root-cause grouping through the public `IncidentManager`: one incident
//! per probable cause, whatever the number of findings.

use chrono::{TimeZone, Utc};
use isrwatch::finding::{AnomalyScore, Finding, FindingKind, Label, Metric, Severity, Subject};
use isrwatch::incident::{fingerprint, Correlator, IncidentConfig, IncidentManager, Silences};
use isrwatch::model::{Incident, IncidentState, NotifyReason};
use isrwatch::snapshot::Time;

fn t(secs: i64) -> Time {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn manager() -> IncidentManager {
    IncidentManager::new(&IncidentConfig::default(), Silences::new())
}

/// Resolves a broker's incident on the first poll after it caught up, for
/// tests about something else than the recovery hold.
fn manager_without_recovery_hold() -> IncidentManager {
    let cfg = IncidentConfig {
        broker_recovery_hold: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    IncidentManager::new(&cfg, Silences::new())
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

/// Partition `p` of "orders" (RF 3) under min ISR, its leader `leader`
/// alone in its ISR, missing `missing`.
fn left_alone(p: i32, leader: i32, missing: &[i32]) -> Finding {
    partition(
        FindingKind::UnderMinIsr,
        Severity::Critical,
        "orders",
        p,
        missing,
    )
    .with_metric(Metric::Isr, 1.0)
    .with_metric(Metric::Replicas, 3.0)
    .with_label(Label::Leader, leader.to_string())
}

/// The root of the one incident `fs` open, ingested by a new manager.
fn only_root(fs: &[Finding]) -> Subject {
    let out = manager().ingest("prod", fs, t(0));
    assert_eq!(out.len(), 1, "{out:?}");
    out[0].0.root.clone()
}

/// A KRaft metadata-quorum voter (broker `id`, combined mode) behind.
fn quorum_lag(id: i32) -> Finding {
    Finding::new(
        "prod",
        FindingKind::QuorumLag,
        Severity::Warning,
        Subject::Broker { id },
        t(0),
    )
    .with_brokers([id])
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

/// Broker 2 flapping fast: down 20 s, up 40 s, three times from 0 s (each
/// crash within the last one's recovery hold).
fn broker_2_flapping_at(at: i64) -> bool {
    [(0, 20), (60, 80), (120, 140)]
        .iter()
        .any(|(a, b)| at >= *a && at < *b)
}

/// A warning of `kind` about broker 2, since `since` s.
fn broker_2_warning(kind: FindingKind, since: i64) -> Finding {
    Finding::new(
        "prod",
        kind,
        Severity::Warning,
        Subject::Broker { id: 2 },
        t(since),
    )
    .with_brokers([2])
}

/// Every 15 s from 0 to `until`, `findings(at)` ingested: what was
/// notified, with when.
fn notified_each_poll(
    m: &mut IncidentManager,
    until: i64,
    findings: impl Fn(i64) -> Vec<Finding>,
) -> Vec<(Incident, NotifyReason, i64)> {
    let mut notes = Vec::new();
    for at in (0..=until).step_by(15) {
        notes.extend(
            m.ingest("prod", &findings(at), t(at))
                .into_iter()
                .map(|(i, r)| (i, r, at)),
        );
    }
    notes
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

    // Broker back, its replicas catching up: the same incident, recovering,
    // and nothing notified (not a new "replication trouble" incident).
    let catching_up: Vec<Finding> = broker_2_down().into_iter().skip(1).take(400).collect();
    assert!(m.ingest("prod", &catching_up, t(150)).is_empty());
    let open = m.incidents();
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0].title,
        "Broker 2 is back on prod, catching up: 400 partitions under-replicated"
    );
    // Caught up: held for broker_recovery_hold (2m), then exactly one Resolved.
    assert!(m.ingest("prod", &[], t(200)).is_empty());
    assert!(m.ingest("prod", &[], t(319)).is_empty());
    let out = m.ingest("prod", &[], t(320));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, NotifyReason::Resolved);
    assert_eq!(out[0].0.state, IncidentState::Resolved);
    assert_eq!(out[0].0.resolved_at, Some(t(320)));
    assert_eq!(
        out[0].0.title, "Broker 2 is back on prod",
        "a resolve does not repeat the counts of what was wrong"
    );
    let events: Vec<&str> = out[0].0.timeline.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        vec!["opened", "firing", "de_escalated", "recovering", "resolved"]
    );
    assert!(m.ingest("prod", &[], t(335)).is_empty());
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

/// At RF 2 a slow follower leaves each partition's leader alone in its
/// ISR, which implicates the leader as much as the missing follower (a
/// leader cut off from the others keeps its ISR to itself). With one such
/// partition the two tie, and the lower id, the healthy leader, was
/// blamed: the incident now names the follower the finding names as
/// missing.
#[test]
fn a_slow_follower_at_rf_2_is_blamed_not_its_healthy_leader() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    // Partition 1 = [2, 3], ISR [2]: broker 3 is missing.
    let mut f = partition(
        FindingKind::UnderReplicated,
        Severity::Warning,
        "orders",
        1,
        &[3],
    );
    f.metrics.insert(Metric::Isr, 1.0);
    f.metrics.insert(Metric::Replicas, 2.0);
    f.labels.insert(Label::Leader, "2".into());
    let out = m.ingest("prod", &[f], t(0));
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].0.root,
        Subject::Broker { id: 3 },
        "{}",
        out[0].0.title
    );
}

/// Broker 1 cut off from the others: the three partitions it leads (RF 3)
/// keep it alone in their ISR, under min ISR. With `under_replicated_for`
/// holding back the partitions that miss broker 1, these are all there is:
/// brokers 1, 2 and 3 tie, and broker 2, a healthy follower, was blamed
/// (hunt 22, W2). One leader cut off explains a partition that lost both
/// followers at once.
#[test]
fn a_leader_alone_in_its_isr_at_rf_3_is_blamed_not_its_two_followers() {
    let fs: Vec<Finding> = (0..3).map(|p| left_alone(p, 1, &[2, 3])).collect();
    assert_eq!(only_root(&fs), Subject::Broker { id: 1 });
    // Followers whose log directories failed (or that are down) explain
    // themselves: the leader is not blamed for them.
    let mut m = manager();
    let failed: Vec<Finding> = fs
        .into_iter()
        .map(|f| f.with_label(Label::FailedLogDir, "2,3"))
        .collect();
    let out = m.ingest("prod", &failed, t(0));
    let roots: Vec<&Subject> = out.iter().map(|(i, _)| &i.root).collect();
    assert!(!roots.contains(&&Subject::Broker { id: 1 }), "{roots:?}");
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

/// A REWIND still being worked off after `rewind_for` reads WARN, at the
/// same severity, so nobody is told; the resolve answers the page
/// receivers have: "(REWIND)", not a "(WARN)" they never saw (hunt 8,
/// h08b).
#[test]
fn a_status_changed_at_the_same_severity_resolves_under_the_notified_title() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let lag = |status: &str| {
        vec![Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            Severity::Warning,
            Subject::Group {
                group: "reprocess".into(),
            },
            t(0),
        )
        .with_label(Label::LagStatus, status)]
    };
    let fired = m.ingest("prod", &lag("REWIND"), t(0));
    assert_eq!(fired.len(), 1, "{fired:#?}");
    assert!(
        fired[0].0.title.ends_with("(REWIND)"),
        "{}",
        fired[0].0.title
    );
    for s in (15..600).step_by(15) {
        assert!(m.ingest("prod", &lag("WARN"), t(s)).is_empty());
    }
    let mut out = Vec::new();
    for s in (600..900).step_by(15) {
        out.extend(m.ingest("prod", &[], t(s)));
    }
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].1, NotifyReason::Resolved);
    assert_eq!(out[0].0.title, fired[0].0.title);
}

/// An unusual lag of `group` (an anomaly finding of its `group_lag` series).
fn group_lag_anomaly(group: &str) -> Finding {
    let series = format!("group_lag{{group=\"{group}\"}}");
    Finding {
        anomaly: Some(AnomalyScore {
            series: series.clone(),
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
            Subject::Series { series },
            t(0),
        )
    }
}

/// STOPs of groups never seen with members (a warning each) are one
/// incident, with their groups' lag anomalies, and it is not reminded (what
/// it says stays true until a group is started or deleted); a live group's
/// STOP is its own, reminded (hunt 16, W1).
#[test]
fn groups_never_seen_with_members_are_one_incident() {
    let mut m = manager();
    let stop = |group: &str, never: bool| {
        let f = Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            if never {
                Severity::Warning
            } else {
                Severity::Critical
            },
            Subject::Group {
                group: group.into(),
            },
            t(0),
        )
        .with_label(Label::LagStatus, "STOP");
        if never {
            f.with_label(Label::NeverActive, "true")
        } else {
            f
        }
    };
    let anomaly = group_lag_anomaly("old-app");
    let findings = [
        stop("old-app", true),
        stop("console-consumer-4242", true),
        stop("billing", false),
        anomaly,
    ];
    let mut out = m.ingest("prod", &findings, t(0));
    out.extend(m.ingest("prod", &findings, t(60)));
    let mut titles: Vec<(&str, Severity, usize)> = out
        .iter()
        .map(|(i, _)| (i.title.as_str(), i.severity, i.affected.groups.len()))
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        vec![
            ("Consumer group \"billing\" is lagging on prod (STOP)", Severity::Critical, 1),
            (
                "Consumer groups without members since isrwatch started have unread messages on prod",
                Severity::Warning,
                2
            ),
        ],
        "{out:#?}"
    );
    let later = t(60 + 4 * 3600 + 15);
    let out = m.ingest("prod", &findings, later);
    let reminded: Vec<&str> = out.iter().map(|(i, _)| i.title.as_str()).collect();
    assert_eq!(
        reminded,
        vec!["Consumer group \"billing\" is lagging on prod (STOP)"],
        "{out:#?}"
    );
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
    .with_label(Label::LagStatus, "STALL")
    .with_metric(Metric::Partitions, 50.0);
    let anomaly = group_lag_anomaly("billing");
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
    for s in ["under_replicated_partitions", "leader_share{broker=\"1\"}"] {
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
            series: "leader_share{broker=\"1\"}".into()
        }
    );
}

fn produce_rate_anomaly(topic: &str, observed: f64) -> Finding {
    crate::support::produce_rate_anomaly(topic, observed, (40.0, 60.0), t(0))
}

#[test]
fn every_producer_stopping_is_one_incident() {
    let mut m = manager();
    let fs: Vec<Finding> = ["orders", "payments", "events"]
        .iter()
        .map(|t| produce_rate_anomaly(t, 0.0))
        .collect();
    m.ingest("prod", &fs, t(0));
    let incs = m.incidents();
    assert_eq!(incs.len(), 1, "{incs:#?}");
    let inc = &incs[0];
    assert_eq!(inc.root, Subject::Cluster);
    assert_eq!(inc.title, "Produce rate fell on prod: 3 topics");
    assert_eq!(inc.affected.topics, vec!["events", "orders", "payments"]);
    // One topic recovering first leaves the same incident, renamed.
    m.ingest("prod", &fs[..1], t(15));
    let incs = m.incidents();
    assert_eq!(incs.len(), 1);
    assert_eq!(incs[0].fingerprint, inc.fingerprint);
    assert_eq!(incs[0].title, "Produce rate fell on prod: topic \"orders\"");
    // Fired, then every topic back: the resolve does not name the last
    // topic to come back as if it were all that had stopped.
    let out = m.ingest("prod", &fs[..1], t(30));
    assert_eq!(out[0].1, NotifyReason::Firing, "{out:#?}");
    let out = m.ingest("prod", &[], t(45));
    assert_eq!(out[0].1, NotifyReason::Resolved, "{out:#?}");
    assert_eq!(out[0].0.title, "Produce rates are back on prod");
}

/// An application retired: its producers stopped (raised), then its topic
/// was deleted. The evaluator tells the fall once more, marked deleted, on
/// the poll the topic vanished; the resolve then says so, not "back".
#[test]
fn a_stopped_topic_deleted_resolves_as_deleted_not_back() {
    let deleted = |f: Finding| f.with_label(Label::TopicDeleted, "true");
    for (topics, gone, title) in [
        (
            vec!["payments"],
            1,
            "Topic \"payments\" was deleted on prod: no producer left to wait for",
        ),
        (
            vec!["payments", "refunds"],
            2,
            "2 topics were deleted on prod: no producer left to wait for",
        ),
        (
            vec!["payments", "refunds"],
            1,
            "Produce rates are back on prod; deleted meanwhile: \"payments\"",
        ),
    ] {
        let mut m = manager();
        let fs: Vec<Finding> = topics
            .iter()
            .map(|t| produce_rate_anomaly(t, 0.0))
            .collect();
        m.ingest("prod", &fs, t(0));
        let out = m.ingest("prod", &fs, t(30));
        assert_eq!(out[0].1, NotifyReason::Firing, "{out:#?}");
        let last: Vec<Finding> = fs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i < gone {
                    deleted(f.clone())
                } else {
                    f.clone()
                }
            })
            .collect();
        assert!(m.ingest("prod", &last, t(45)).is_empty(), "no news yet");
        let out = m.ingest("prod", &[], t(60));
        assert_eq!(out[0].1, NotifyReason::Resolved, "{out:#?}");
        assert_eq!(out[0].0.title, title);
    }
}

/// A raised group no longer listed (deleted, or removed by Kafka without
/// members and offsets) is told once more as gone, and its resolve says
/// so rather than reading as a recovery.
#[test]
fn a_lagging_group_gone_resolves_as_gone_not_caught_up() {
    let mut m = manager();
    let lag = |group: &str| {
        Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            Severity::Critical,
            Subject::Group {
                group: group.into(),
            },
            t(0),
        )
        .with_label(Label::LagStatus, "STOP")
    };
    let fired = (0..=4).flat_map(|i| m.ingest("prod", &[lag("mailer")], t(15 * i)));
    assert_eq!(
        fired.map(|o| o.1).collect::<Vec<_>>(),
        [NotifyReason::Firing]
    );
    let gone = lag("mailer").with_label(Label::GroupGone, "true");
    assert!(m.ingest("prod", &[gone], t(75)).is_empty(), "no news yet");
    let out = m.ingest("prod", &[], t(90));
    assert_eq!(out[0].1, NotifyReason::Resolved, "{out:#?}");
    assert_eq!(
        out[0].0.title,
        "Consumer group \"mailer\" is gone from prod (deleted, or removed by Kafka once it had no members and no committed offsets left): nothing left to watch"
    );
    // Caught up: the usual title.
    let mut m = manager();
    for i in 0..=4 {
        m.ingest("prod", &[lag("mailer")], t(15 * i));
    }
    let out = m.ingest("prod", &[], t(90));
    assert_eq!(
        out[0].0.title,
        "Consumer group \"mailer\" is lagging on prod (STOP)"
    );
}

#[test]
fn bursts_of_different_topics_stay_apart() {
    // Rises are not one story: two bursty topics bursting in turn are two
    // short incidents, each judged by the pending delay on its own.
    let mut m = manager();
    let fs = vec![
        produce_rate_anomaly("batch-1", 300.0),
        produce_rate_anomaly("batch-2", 300.0),
    ];
    m.ingest("prod", &fs, t(0));
    let incs = m.incidents();
    assert_eq!(incs.len(), 2, "{incs:#?}");
    assert!(incs
        .iter()
        .all(|i| matches!(i.root, Subject::Series { .. })));
}

#[test]
fn unreachable_cluster_absorbs_everything_and_freezes_the_rest() {
    let mut m = manager_without_recovery_hold();
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

/// A whole-cluster restart: the cluster answers again while brokers are
/// still starting. One page for the event, held until the last broker is
/// back and caught up; a broker down before the outage keeps its own.
#[test]
fn a_whole_cluster_restart_is_one_incident_until_every_broker_is_back() {
    let mut m = manager();
    let out = m.ingest("prod", &[broker_down(3)], t(0));
    assert_eq!(out.len(), 1, "broker 3, down before the restart: {out:#?}");
    let unreachable = Finding::new(
        "prod",
        FindingKind::ClusterUnreachable,
        Severity::Critical,
        Subject::Cluster,
        t(600),
    );
    let out = m.ingest("prod", &[unreachable], t(600));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].0.title, "Cluster prod is unreachable");

    // Reachable again: brokers 1 and 5 still starting, 2 catching up.
    let mut fs = vec![broker_down(3), broker_down(1), broker_down(5)];
    fs.push(partition(
        FindingKind::UnderReplicated,
        Severity::Warning,
        "a",
        0,
        &[1],
    ));
    fs.push(partition(
        FindingKind::UnderReplicated,
        Severity::Warning,
        "a",
        1,
        &[2],
    ));
    fs.push(partition(
        FindingKind::PartitionOffline,
        Severity::Critical,
        "b",
        0,
        &[5],
    ));
    let out = m.ingest("prod", &fs, t(700));
    assert!(
        out.is_empty(),
        "no page per broker still starting: {out:#?}"
    );
    let title_of = |m: &IncidentManager, root: &Subject| {
        let incs = m.incidents();
        let i = incs.iter().find(|i| &i.root == root).expect("incident");
        (i.title.clone(), i.kind, i.state)
    };
    assert_eq!(
        title_of(&m, &Subject::Cluster),
        (
            "Cluster prod is partly back, brokers 1, 5 still down: 2 partitions under-replicated, 1 offline"
                .to_string(),
            FindingKind::ClusterUnreachable,
            IncidentState::Firing
        )
    );
    assert_eq!(
        title_of(&m, &Subject::Broker { id: 3 }).2,
        IncidentState::Firing
    );

    // Every broker but 3 back, one partition still catching up.
    let fs = vec![
        broker_down(3),
        partition(
            FindingKind::UnderReplicated,
            Severity::Warning,
            "a",
            0,
            &[1],
        ),
    ];
    assert!(m.ingest("prod", &fs, t(800)).is_empty());
    assert_eq!(
        title_of(&m, &Subject::Cluster).0,
        "Cluster prod is back, catching up: 1 partition under-replicated"
    );
    // Caught up: resolved after the broker recovery hold, once.
    assert!(m.ingest("prod", &[broker_down(3)], t(900)).is_empty());
    let out = m.ingest("prod", &[broker_down(3)], t(1020));
    let said: Vec<(String, NotifyReason)> =
        out.iter().map(|(i, r)| (i.title.clone(), *r)).collect();
    assert_eq!(
        said,
        vec![("Cluster prod is back".to_string(), NotifyReason::Resolved)]
    );
    assert_eq!(
        title_of(&m, &Subject::Broker { id: 3 }).2,
        IncidentState::Firing
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
        f.labels.insert(Label::Error, "some other words".into());
        f.metrics.insert(Metric::Isr, 1.0);
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
    let mut a = manager_without_recovery_hold();
    let fired = a.ingest("prod", &broker_2_down(), t(0))[0].0.clone();
    let json = serde_json::to_string(&a.export_state()).unwrap();

    let mut b = manager_without_recovery_hold();
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

/// What a cluster shows while broker 2 restarts: down, then back with its
/// replicas catching up, leaders not yet moved back and ISR changes, then
/// healthy. One incident, two notifications.
#[test]
fn a_broker_restart_is_one_incident_whose_recovery_is_an_update() {
    let mut m = manager();
    let mut notes = Vec::new();
    notes.extend(m.ingest("prod", &broker_2_down(), t(0)));
    notes.extend(m.ingest("prod", &broker_2_down(), t(15)));
    // Back: catching up, at min ISR on some partitions, the returned broker
    // leads nothing yet, and the whole cluster's leadership is skewed.
    let mut back: Vec<Finding> = (0..40)
        .map(|p| partition(FindingKind::AtMinIsr, Severity::Warning, "orders", p, &[2]))
        .collect();
    back.push(
        Finding::new(
            "prod",
            FindingKind::LeaderImbalance,
            Severity::Warning,
            Subject::Broker { id: 2 },
            t(30),
        )
        .with_brokers([2]),
    );
    back.push(Finding::new(
        "prod",
        FindingKind::LeaderImbalance,
        Severity::Warning,
        Subject::Cluster,
        t(30),
    ));
    for i in 0..8 {
        notes.extend(m.ingest("prod", &back, t(30 + 15 * i)));
    }
    assert_eq!(m.incidents().len(), 1, "{:#?}", m.incidents());
    for i in 0..10 {
        notes.extend(m.ingest("prod", &[], t(150 + 15 * i)));
    }
    let reasons: Vec<NotifyReason> = notes.iter().map(|(_, r)| *r).collect();
    assert_eq!(reasons, vec![NotifyReason::Firing, NotifyReason::Resolved]);
    assert!(notes.iter().all(|(i, _)| i.kind == FindingKind::BrokerDown));
}

/// A broker that fails again while its incident is held after recovery
/// continues that incident: no second firing.
#[test]
fn a_broker_failing_again_within_the_recovery_hold_is_the_same_incident() {
    let mut m = manager();
    let mut notes = Vec::new();
    for (at, down) in [(0, true), (20, false), (60, true), (80, false)] {
        let fs = if down { broker_2_down() } else { Vec::new() };
        notes.extend(m.ingest("prod", &fs, t(at)));
    }
    notes.extend(m.ingest("prod", &[], t(150)));
    notes.extend(m.ingest("prod", &[], t(201)));
    let reasons: Vec<NotifyReason> = notes.iter().map(|(_, r)| *r).collect();
    assert_eq!(reasons, vec![NotifyReason::Firing, NotifyReason::Resolved]);
}

/// After the hold, the same broker failing again within `flap_window` (an
/// hour) is a restart loop: its incident is reopened as flapping, not paged
/// as a new one. After the window it is a new incident.
#[test]
fn a_broker_failing_after_the_recovery_hold_is_flapping_within_the_hour_then_new() {
    let mut m = manager();
    let mut notes = Vec::new();
    notes.extend(m.ingest("prod", &broker_2_down(), t(0)));
    notes.extend(m.ingest("prod", &[], t(30)));
    notes.extend(m.ingest("prod", &[], t(150)));
    notes.extend(m.ingest("prod", &broker_2_down(), t(600)));
    let reasons: Vec<NotifyReason> = notes.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Flapping
        ]
    );
    assert_eq!(notes[0].0.id, notes[2].0.id);

    let mut m = manager();
    let mut notes = Vec::new();
    notes.extend(m.ingest("prod", &broker_2_down(), t(0)));
    notes.extend(m.ingest("prod", &[], t(30)));
    notes.extend(m.ingest("prod", &[], t(150)));
    notes.extend(m.ingest("prod", &broker_2_down(), t(3800)));
    let reasons: Vec<NotifyReason> = notes.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Firing
        ]
    );
    assert_ne!(notes[0].0.id, notes[2].0.id);
}

/// A broker down six times in 20 minutes, up 2-3 minutes in between
/// (longer than the 2-minute recovery hold): one incident, the first outage
/// announced, the flapping once, resolved once after the flap quiet time.
/// Never a second page, never a silent outage, never "back" as the last
/// word while it keeps crashing.
#[test]
fn a_slowly_flapping_broker_is_one_incident_announced_and_resolved_once() {
    let mut m = manager();
    let outages = [
        (0, 60),
        (180, 270),
        (420, 480),
        (660, 735),
        (900, 960),
        (1080, 1160),
    ];
    let mut notes = Vec::new();
    for at in (0..=1160 + 1200).step_by(15) {
        let down = outages.iter().any(|(a, b)| at >= *a && at < *b);
        let fs = if down { broker_2_down() } else { Vec::new() };
        notes.extend(
            m.ingest("prod", &fs, t(at))
                .into_iter()
                .map(|(i, r)| (i, r, at)),
        );
    }
    let firing: Vec<_> = notes
        .iter()
        .filter(|(_, r, _)| *r == NotifyReason::Firing)
        .collect();
    assert_eq!(firing.len(), 1, "{notes:?}");
    assert_eq!(firing[0].2, 0);
    // One incident throughout.
    let ids: std::collections::BTreeSet<&str> =
        notes.iter().map(|(i, _, _)| i.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{notes:?}");
    // The flapping is announced, and the last word is the resolve once the
    // broker stayed up for flap_quiet (15 min) after its last outage (the
    // incident is flapping, so the 2-minute hold no longer applies).
    assert!(notes.iter().any(|(_, r, _)| *r == NotifyReason::Flapping));
    let (last, reason, at) = notes.last().unwrap();
    assert_eq!(*reason, NotifyReason::Resolved);
    // First poll without it: 1170.
    assert_eq!(*at, 1170 + 900);
    assert!(last.timeline.iter().any(|e| e.event == "flapping"));
    // Every outage after the first is in its timeline, none went unseen.
    let again = last
        .timeline
        .iter()
        .filter(|e| e.event == "returned" || e.event == "reopened")
        .count();
    assert!(again >= 5, "{:?}", last.timeline);
}

/// A crash loop slower than `flap_quiet`: broker 2 down for a minute every
/// 20 minutes, six times. Between crashes it is quiet long enough to be
/// stable ("back"), but every crash after the first reopens the same
/// incident as flapping: one page "down", never a second, however many
/// crashes (hunt 8, h05d: every other crash was a new "down" page, since
/// the stable incident forgot its starts).
#[test]
fn a_crash_loop_slower_than_the_flap_quiet_time_is_one_incident_flapping() {
    let mut m = manager();
    let mut notes = Vec::new();
    for at in (0..=6 * 1200 + 1800).step_by(15) {
        let down = at < 6 * 1200 && at % 1200 < 60;
        let fs = if down { broker_2_down() } else { Vec::new() };
        notes.extend(
            m.ingest("prod", &fs, t(at))
                .into_iter()
                .map(|(i, r)| (i, r, at)),
        );
    }
    let count = |want: NotifyReason| notes.iter().filter(|(_, r, _)| *r == want).count();
    assert_eq!(count(NotifyReason::Firing), 1, "{notes:?}");
    assert_eq!(count(NotifyReason::Flapping), 5, "{notes:?}");
    let ids: std::collections::BTreeSet<&str> =
        notes.iter().map(|(i, _, _)| i.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{notes:?}");
    // Every crash is announced at once; nothing is left firing.
    for crash in 1..6 {
        assert!(
            notes
                .iter()
                .any(|(_, r, at)| *r == NotifyReason::Flapping && *at == crash * 1200),
            "crash {crash}: {notes:?}"
        );
    }
    assert_eq!(notes.last().unwrap().1, NotifyReason::Resolved);
}

/// Fast flaps within the recovery hold: one incident, one firing; the
/// third start (`flap_threshold`) makes it flapping, told once, and it
/// resolves once quiet for `flap_quiet` (15 minutes from the last change,
/// at 140 s), not two minutes after the last crash (hunt 19, W2).
#[test]
fn a_fast_flapping_broker_is_flapping_and_resolves_after_the_quiet_time() {
    let notes: Vec<(NotifyReason, i64)> =
        notified_each_poll(&mut manager(), 1200, |at| match broker_2_flapping_at(at) {
            true => broker_2_down(),
            false => Vec::new(),
        })
        .into_iter()
        .map(|(_, r, at)| (r, at))
        .collect();
    assert_eq!(
        notes,
        vec![
            (NotifyReason::Firing, 0),
            (NotifyReason::Flapping, 120),
            (NotifyReason::Resolved, 1050)
        ]
    );
}

/// A partition at min ISR since broker 2's outage that then misses broker 3
/// (a 5-s restart between two polls, or a follower starting to lag) keeps
/// its `since` from broker 2's outage; broker 3's new warning still waits
/// its pending delay from the first poll naming broker 3: one poll of it is
/// nothing, and a lasting one fires 30 s after that poll (hunt 20, W1).
#[test]
fn a_broker_newly_missing_from_partitions_already_at_min_isr_waits_its_pending_delay() {
    let at_min_isr = |missing: i32| -> Vec<Finding> {
        (0..9)
            .map(|p| {
                partition(
                    FindingKind::AtMinIsr,
                    Severity::Warning,
                    "orders",
                    p,
                    &[missing],
                )
            })
            .collect()
    };
    for lasting in [false, true] {
        let mut m = manager();
        let mut notes = Vec::new();
        for at in (0..=600).step_by(15) {
            let fs = match at {
                0..60 => {
                    let mut fs = at_min_isr(2);
                    fs.push(broker_down(2));
                    fs
                }
                60..75 => at_min_isr(2),
                75..90 => at_min_isr(3),
                _ if lasting => at_min_isr(3),
                _ => Vec::new(),
            };
            notes.extend(
                m.ingest("prod", &fs, t(at))
                    .into_iter()
                    .map(|(i, r)| (i.kind, r, at)),
            );
        }
        let broker_3: Vec<_> = notes
            .iter()
            .filter(|(k, _, _)| *k != FindingKind::BrokerDown)
            .collect();
        if lasting {
            assert_eq!(
                broker_3.first(),
                Some(&&(FindingKind::AtMinIsr, NotifyReason::Firing, 75 + 30)),
                "{notes:?}"
            );
        } else {
            assert!(broker_3.is_empty(), "{notes:?}");
        }
    }
}

/// Two brokers back from outages, both still catching up on the same
/// partitions: each incident keeps them while they name its broker
/// missing. The partitions went to the lower id only, so broker 3 said
/// "back" while every partition still missed it and fired again at once as
/// "Replication trouble on broker 3" (hunt 21, W2).
#[test]
fn two_brokers_catching_up_on_the_same_partitions_each_stay_open_until_caught_up() {
    let mut m = manager();
    let mut notes = Vec::new();
    let under_min = |missing: &[i32]| -> Vec<Finding> {
        (0..9)
            .map(|p| {
                partition(
                    FindingKind::UnderMinIsr,
                    Severity::Critical,
                    "orders",
                    p,
                    missing,
                )
            })
            .collect()
    };
    for at in (0..=900).step_by(15) {
        let fs = match at {
            0..60 => {
                let mut fs = under_min(&[2, 3]);
                fs.extend([broker_down(2), broker_down(3)]);
                fs
            }
            60..300 => under_min(&[2, 3]),
            300..400 => under_min(&[2]),
            _ => Vec::new(),
        };
        notes.extend(
            m.ingest("prod", &fs, t(at))
                .into_iter()
                .map(|(i, r)| (i.kind, i.root.clone(), r, at)),
        );
    }
    assert!(
        notes
            .iter()
            .all(|(k, _, _, _)| *k == FindingKind::BrokerDown),
        "{notes:?}"
    );
    let resolved = |id: i32| {
        notes
            .iter()
            .find(|(_, root, r, _)| *r == NotifyReason::Resolved && *root == Subject::Broker { id })
            .map(|(_, _, _, at)| *at)
    };
    // Each resolves a recovery hold after the last poll naming it missing.
    assert_eq!(resolved(3), Some(300 + 120), "{notes:?}");
    assert_eq!(resolved(2), Some(405 + 120), "{notes:?}");
    let firings = notes
        .iter()
        .filter(|(_, _, r, _)| *r == NotifyReason::Firing)
        .count();
    assert_eq!(firings, 2, "{notes:?}");
    // Broker 3's incident, which held none of them while both were down,
    // is not escalated by the partitions it now keeps (hunt 21, O1).
    assert!(
        !notes
            .iter()
            .any(|(_, _, r, _)| *r == NotifyReason::Escalated),
        "{notes:?}"
    );
}

/// Broker 3 dies while broker 2 is back and catching up: the partitions
/// now miss both, under min ISR. Broker 3's page says so; broker 2's
/// incident keeps them until it is in sync but is not escalated: that
/// was a second critical page 15 s after the first, for one event
/// (hunt 21, O1).
#[test]
fn a_broker_catching_up_is_not_escalated_when_another_dies() {
    let mut m = manager();
    let notes = notified_each_poll(&mut m, 900, |at| {
        two_outages(
            at,
            &[(0..75, &[2]), (75..300, &[2, 3]), (300..400, &[3])],
            &[(2, 0..60), (3, 75..135)],
        )
    });
    let firing_3 = firing_of(&notes, 3);
    assert!(
        firing_3
            .as_ref()
            .is_some_and(|(title, at)| *at == 75 && title.contains("under min ISR")),
        "{firing_3:?}"
    );
    assert_eq!(
        about_brokers(&notes),
        vec![
            (NotifyReason::Firing, 2),
            (NotifyReason::Firing, 3),
            (NotifyReason::Resolved, 2),
            (NotifyReason::Resolved, 3),
        ],
        "{notes:#?}"
    );
}

/// `broker_down_for = "30s"`: broker 2 goes down at 0 s, broker 3 at
/// 10 s; each one's `broker_down` is admitted 30 s later. Broker 3, absent
/// from the metadata (the partitions say so) but not yet admitted, is no
/// live broker falling behind: it got a "Replication trouble on broker 3"
/// page of its own for the partitions broker 2's outage had paged,
/// escalated 15 s later (hunt 22, W1).
#[test]
fn a_broker_down_but_held_back_by_its_for_is_not_a_live_broker_falling_behind() {
    let mut m = manager();
    let notes = notified_each_poll(&mut m, 600, |at| {
        let mut fs = two_outages(at, &[(0..10, &[2]), (10..200, &[2, 3])], &[]);
        for f in &mut fs {
            let down = if at < 10 { "2" } else { "2,3" };
            f.labels.insert(Label::BrokersDown, down.to_string());
        }
        for (id, since) in [(2, 0), (3, 10)] {
            if at >= since + 30 && at < 200 {
                fs.push(broker_down(id).with_since(t(since)));
            }
        }
        fs
    });
    let titles: Vec<(NotifyReason, String, i64)> = notes
        .iter()
        .map(|(i, r, at)| (*r, i.title.clone(), *at))
        .collect();
    assert!(
        !titles
            .iter()
            .any(|(_, title, _)| title.starts_with("Replication trouble on broker 3")),
        "{titles:#?}"
    );
    let firing_3 = firing_of(&notes, 3);
    assert!(
        firing_3
            .as_ref()
            .is_some_and(|(title, _)| title.starts_with("Broker 3 is down")),
        "{titles:#?}"
    );
}

/// Brokers 1 and 2 crashed, their `broker_down` still held back by
/// `broker_down_for`: the partitions broker 3 leads keep it alone in their
/// ISR. Broker 3, the one broker still up, is not why: it was blamed
/// ("Replication trouble on broker 3") for what the two crashes did.
#[test]
fn a_leader_whose_followers_are_all_down_is_not_blamed_for_them() {
    let fs: Vec<Finding> = (0..3)
        .map(|p| left_alone(p, 3, &[1, 2]).with_label(Label::BrokersDown, "1,2"))
        .collect();
    assert_eq!(only_root(&fs), Subject::Broker { id: 1 });
}

/// `flap_threshold = 2`: voter 2 of the metadata quorum lags, catches up,
/// then voter 3 stops. The quorum's incident is one fingerprint per
/// cluster, but these are two faults: voter 3's start reopened voter 2's
/// incident as flapping, held for `flap_quiet` after the quorum was
/// healthy (hunt 22, W5). The same voter lagging again is a flap.
#[test]
fn two_voters_lagging_in_turn_are_not_one_flap_but_one_voter_twice_is() {
    let cfg = IncidentConfig {
        flap_threshold: 2,
        ..Default::default()
    };
    let reasons = |second: i32| {
        let mut m = IncidentManager::new(&cfg, Silences::new());
        notified_each_poll(&mut m, 1_200, |at| match at {
            0..120 => vec![quorum_lag(2)],
            240..330 => vec![quorum_lag(second)],
            _ => Vec::new(),
        })
        .into_iter()
        .map(|(_, r, at)| (r, at))
        .collect::<Vec<_>>()
    };
    let other = reasons(3);
    assert_eq!(
        other.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Firing,
            NotifyReason::Resolved
        ],
        "{other:?}"
    );
    let same = reasons(2);
    assert!(
        same.iter().any(|(r, _)| *r == NotifyReason::Flapping),
        "{same:?}"
    );
}

/// Nine partitions of "orders" at `at`: those of the phase `at` is in,
/// missing its brokers (under min ISR when two, else under-replicated),
/// none after the last phase; plus `broker_down` of each broker down
/// then, since its outage began.
fn two_outages(
    at: i64,
    phases: &[(std::ops::Range<i64>, &[i32])],
    down: &[(i32, std::ops::Range<i64>)],
) -> Vec<Finding> {
    let Some((_, missing)) = phases.iter().find(|(r, _)| r.contains(&at)) else {
        return Vec::new();
    };
    let (kind, severity) = if missing.len() > 1 {
        (FindingKind::UnderMinIsr, Severity::Critical)
    } else {
        (FindingKind::UnderReplicated, Severity::Warning)
    };
    let mut fs: Vec<Finding> = (0..9)
        .map(|p| partition(kind, severity, "orders", p, missing))
        .collect();
    for (id, r) in down.iter().filter(|(_, r)| r.contains(&at)) {
        fs.push(broker_down(*id).with_since(t(r.start)));
    }
    fs
}

/// Each notification's reason and broker; every one is about a broker.
fn about_brokers(notes: &[(Incident, NotifyReason, i64)]) -> Vec<(NotifyReason, i32)> {
    notes
        .iter()
        .map(|(i, r, _)| match i.root {
            Subject::Broker { id } => (*r, id),
            ref other => panic!("not about a broker: {other:?}"),
        })
        .collect()
}

/// The title of the firing notification about broker `id`, and when.
fn firing_of(notes: &[(Incident, NotifyReason, i64)], id: i32) -> Option<(String, i64)> {
    notes
        .iter()
        .find(|(i, r, _)| *r == NotifyReason::Firing && i.root == Subject::Broker { id })
        .map(|(i, _, at)| (i.title.clone(), *at))
}

/// Broker 3 cut off from the other brokers while broker 2 is back and
/// catching up: the partitions broker 3 leads keep their ISR to broker 3
/// alone, and the partitions it follows miss it. It is broker 3's trouble,
/// not that of broker 1, the healthy follower missing from the partitions
/// broker 3 leads (hunt 21, W1).
#[test]
fn a_leader_cut_off_during_another_brokers_catch_up_is_blamed_not_its_follower() {
    let mut m = manager();
    let mut notes = Vec::new();
    let led_by_3 = |p: i32| left_alone(p, 3, &[1, 2]);
    let follows = |p: i32| left_alone(p, 1, &[2, 3]);
    for at in (0..=600).step_by(15) {
        let fs: Vec<Finding> = match at {
            0..60 => {
                let mut fs: Vec<Finding> = (0..9)
                    .map(|p| {
                        partition(
                            FindingKind::UnderReplicated,
                            Severity::Warning,
                            "orders",
                            p,
                            &[2],
                        )
                    })
                    .collect();
                fs.push(broker_down(2));
                fs
            }
            // Back, catching up; broker 3 cut off from 90 s to 300 s.
            60..90 => (0..9)
                .map(|p| {
                    partition(
                        FindingKind::UnderReplicated,
                        Severity::Warning,
                        "orders",
                        p,
                        &[2],
                    )
                })
                .collect(),
            90..300 => (0..3).map(led_by_3).chain((3..9).map(follows)).collect(),
            _ => Vec::new(),
        };
        notes.extend(
            m.ingest("prod", &fs, t(at))
                .into_iter()
                .map(|(i, r)| (i.kind, i.root.clone(), r, at)),
        );
    }
    let blamed: Vec<&Subject> = notes
        .iter()
        .filter(|(k, _, r, _)| *k != FindingKind::BrokerDown && *r == NotifyReason::Firing)
        .map(|(_, root, _, _)| root)
        .collect();
    assert_eq!(blamed, vec![&Subject::Broker { id: 3 }], "{notes:?}");
}

/// A flapping broker's quiet time counts from its last return: ten minutes
/// of ISR churn counted after it (the aftermath, in its incident) do not
/// push its resolve ten minutes further.
#[test]
fn a_flapping_broker_resolves_the_quiet_time_after_its_last_return() {
    let churn = || vec![broker_2_warning(FindingKind::IsrChurn, 20)];
    let notes: Vec<(NotifyReason, i64)> = notified_each_poll(&mut manager(), 1800, |at| {
        if broker_2_flapping_at(at) {
            broker_2_down()
        } else if at < 740 {
            churn()
        } else {
            Vec::new()
        }
    })
    .into_iter()
    .map(|(_, r, at)| (r, at))
    .collect();
    // Back at 150 (the first poll without the broker down): stable at
    // 150 + 900, when the churn has long been gone.
    assert_eq!(
        notes,
        vec![
            (NotifyReason::Firing, 0),
            (NotifyReason::Flapping, 120),
            (NotifyReason::Resolved, 1050)
        ]
    );
}

/// A flapping broker's incident, held for `flap_quiet` once the broker is
/// back and caught up, does not take in what names the broker after its
/// recovery hold: leaders that never moved back (no automatic leader
/// rebalance) are an imbalance of their own, and the broker's incident
/// resolves after the quiet time instead of reading "back, catching up"
/// for as long as the imbalance lasts (hunt 19, W1).
#[test]
fn a_later_leader_imbalance_is_not_taken_in_by_a_flapping_brokers_held_incident() {
    let imbalance = || vec![broker_2_warning(FindingKind::LeaderImbalance, 900)];
    let notes: Vec<(FindingKind, NotifyReason, i64)> =
        notified_each_poll(&mut manager(), 3600, |at| {
            if broker_2_flapping_at(at) {
                broker_2_down()
            } else if at >= 900 {
                imbalance()
            } else {
                Vec::new()
            }
        })
        .into_iter()
        .map(|(i, r, at)| (i.kind, r, at))
        .collect();
    assert_eq!(
        notes,
        vec![
            (FindingKind::BrokerDown, NotifyReason::Firing, 0),
            (FindingKind::BrokerDown, NotifyReason::Flapping, 120),
            (FindingKind::LeaderImbalance, NotifyReason::Firing, 930),
            (FindingKind::BrokerDown, NotifyReason::Resolved, 1050),
        ]
    );
}

/// Two outages hours apart are two incidents, each announced.
#[test]
fn a_broker_down_twice_hours_apart_is_two_incidents() {
    let mut m = manager();
    let mut notes = Vec::new();
    for (start, end) in [(0, 60), (3 * 3600, 3 * 3600 + 60)] {
        for at in (start..=end + 300).step_by(15) {
            let fs = if at < end {
                broker_2_down()
            } else {
                Vec::new()
            };
            notes.extend(m.ingest("prod", &fs, t(at)));
        }
    }
    let reasons: Vec<NotifyReason> = notes.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Firing,
            NotifyReason::Resolved
        ]
    );
    assert_ne!(notes[0].0.id, notes[2].0.id);
}

#[test]
fn an_unreachable_broker_is_one_incident_with_the_replication_trouble_it_causes() {
    let mut m = manager();
    let unreachable = Finding::new(
        "prod",
        FindingKind::BrokerUnreachable,
        Severity::Critical,
        Subject::Broker { id: 3 },
        t(0),
    )
    .with_brokers([3])
    .with_metric(Metric::LeaderPartitions, 12.0);
    // A hung broker: its followers stop fetching, it leaves ISRs.
    let mut fs = vec![unreachable.clone()];
    for p in 0..30 {
        fs.push(partition(
            FindingKind::UnderReplicated,
            Severity::Warning,
            "orders",
            p,
            &[3],
        ));
    }
    let out = m.ingest("prod", &fs, t(0));
    assert_eq!(out.len(), 1, "{out:#?}");
    let (inc, reason) = &out[0];
    assert_eq!(*reason, NotifyReason::Firing);
    assert_eq!(inc.kind, FindingKind::BrokerUnreachable);
    assert_eq!(inc.root, Subject::Broker { id: 3 });
    assert_eq!(
        inc.title,
        "Broker 3 does not answer clients on prod: it leads 12 partitions"
    );
    assert_eq!(inc.counts[&FindingKind::UnderReplicated], 30);
    // Answers again, replicas back in sync: resolved.
    let out = m.ingest("prod", &[], t(15));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].1, NotifyReason::Resolved);
}

#[test]
fn a_lagging_quorum_voter_is_its_own_incident_unless_its_broker_is_down() {
    let lag = quorum_lag;
    let degraded = Finding::new(
        "prod",
        FindingKind::QuorumDegraded,
        Severity::Warning,
        Subject::Cluster,
        t(0),
    )
    .with_brokers([3])
    .with_metric(Metric::CaughtUp, 2.0);
    let mut m = manager();
    // Warnings: notified after the 30 s pending delay.
    assert!(m
        .ingest("prod", &[lag(3), degraded.clone()], t(0))
        .is_empty());
    let out = m.ingest("prod", &[lag(3), degraded.clone()], t(30));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].0.kind, FindingKind::QuorumDegraded);
    assert_eq!(
        out[0].0.title,
        "Metadata quorum degraded on prod: voter 3 not caught up"
    );
    // Combined mode, broker 3 down: its voter lagging is part of the outage.
    let mut m = manager();
    let out = m.ingest("prod", &[broker_down(3), lag(3), degraded], t(0));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].0.kind, FindingKind::BrokerDown);
    assert_eq!(out[0].0.counts[&FindingKind::QuorumLag], 1);
}

/// A rolling restart at replication factor 2: broker 1 is back and in its
/// recovery hold when broker 2 goes down, and broker 2's partitions, led
/// by broker 1 alone, implicate both. They are broker 2's outage: broker
/// 1's incident resolves after its own hold, not after broker 2's (its
/// "back" came 13 minutes late, after the whole roll).
#[test]
fn the_next_broker_of_a_rolling_restart_does_not_hold_the_previous_one_open() {
    let mut m = manager();
    let mut notes = Vec::new();
    let one_down: Vec<Finding> = std::iter::once(broker_down(1))
        .chain((0..4).map(|p| {
            partition(
                FindingKind::UnderReplicated,
                Severity::Warning,
                "orders",
                p,
                &[1],
            )
        }))
        .collect();
    for i in 0..5 {
        notes.extend(m.ingest("prod", &one_down, t(15 * i)));
    }
    // Broker 1 back and caught up at t(75); broker 2 down from t(90), its
    // partitions at min ISR with broker 1 as their only in-sync leader
    // (RF 2: missing broker 2, broker 1 left alone in the ISR, which
    // implicates it too).
    notes.extend(m.ingest("prod", &[], t(75)));
    let two_down: Vec<Finding> = std::iter::once(broker_down(2))
        .chain((4..8).map(|p| {
            let mut f = partition(FindingKind::AtMinIsr, Severity::Warning, "orders", p, &[2]);
            f.metrics.insert(Metric::Isr, 1.0);
            f.metrics.insert(Metric::Replicas, 2.0);
            f.labels.insert(Label::Leader, "1".into());
            f
        }))
        .collect();
    let mut resolved_one = None;
    for i in 0..40 {
        let now = t(90 + 15 * i);
        for (inc, r) in m.ingest("prod", &two_down, now) {
            if r == NotifyReason::Resolved && inc.root == (Subject::Broker { id: 1 }) {
                resolved_one = Some(now);
            }
            notes.push((inc, r));
        }
    }
    let at = resolved_one.expect("broker 1's incident resolved while broker 2 is down");
    assert!(
        at <= t(75 + 120 + 15),
        "broker 1 resolved at {at}, after its hold"
    );
    let two = m
        .incidents()
        .into_iter()
        .find(|i| i.root == Subject::Broker { id: 2 })
        .expect("broker 2's incident");
    assert_eq!(two.affected.partition_count, 4, "{:?}", two.affected);
}

/// Broker 3 is slow (four partitions miss it) when broker 1 crashes and
/// those partitions miss broker 1 too. They stay with broker 3's open
/// incident: emptied into broker 1's outage, it was resolved while broker
/// 3 was still slow, then raised again once broker 1 was back.
#[test]
fn a_slow_follower_incident_is_not_emptied_by_a_crash_elsewhere() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let slow = |brokers: &[i32]| -> Vec<Finding> {
        (0..4)
            .map(|p| {
                partition(
                    FindingKind::UnderReplicated,
                    Severity::Warning,
                    "orders",
                    p,
                    brokers,
                )
            })
            .collect()
    };
    let out = m.ingest("prod", &slow(&[3]), t(0));
    assert_eq!(out.len(), 1);
    let three = out[0].0.id.clone();
    let mut crash = slow(&[1, 3]);
    crash.push(broker_down(1));
    let mut notes = Vec::new();
    for i in 1..10 {
        notes.extend(m.ingest("prod", &crash, t(15 * i)));
    }
    assert!(
        !notes
            .iter()
            .any(|(inc, r)| inc.id == three && *r == NotifyReason::Resolved),
        "{notes:#?}"
    );
    let down: Vec<_> = notes
        .iter()
        .filter(|(inc, r)| *r == NotifyReason::Firing && inc.kind == FindingKind::BrokerDown)
        .collect();
    assert_eq!(down.len(), 1, "{notes:#?}");
    assert_eq!(down[0].0.root, Subject::Broker { id: 1 });
}

/// Broker 2 is back from an outage and in its recovery hold while broker
/// 3, its partitions' other replica at RF 2, is slow: those partitions
/// (led by broker 2 alone) wait for broker 3, not for broker 2. Broker 2's
/// incident resolves after its hold; filed under it, they held it open
/// for as long as broker 3 was slow.
#[test]
fn a_recovered_leader_is_not_held_open_by_its_slow_follower() {
    let mut m = manager();
    let mut slow = partition(
        FindingKind::UnderReplicated,
        Severity::Warning,
        "orders",
        1,
        &[3],
    );
    slow.metrics.insert(Metric::Isr, 1.0);
    slow.metrics.insert(Metric::Replicas, 2.0);
    slow.labels.insert(Label::Leader, "2".into());
    m.ingest("prod", &[broker_down(2)], t(0));
    let mut resolved_two = None;
    for i in 1..40 {
        let now = t(15 * i);
        for (inc, r) in m.ingest("prod", std::slice::from_ref(&slow), now) {
            if r == NotifyReason::Resolved && inc.root == (Subject::Broker { id: 2 }) {
                resolved_two = Some(now);
            }
        }
    }
    let at = resolved_two.expect("broker 2's incident resolved while broker 3 is slow");
    assert!(at <= t(15 + 120 + 15), "resolved at {at}, after its hold");
}

#[test]
fn a_replaced_broker_is_info_once_no_replica_names_it_then_resolved() {
    // Broker 2 died; the operator moved its replicas to a new broker. The
    // poller reports it missing, hosting nothing, for `forget_broker_after`,
    // then forgets it.
    let gone = || {
        let mut f = broker_down(2).with_metric(Metric::ReplicasHosted, 0.0);
        f.severity = Severity::Info;
        vec![f]
    };
    let mut m = manager();
    let out = m.ingest("prod", &broker_2_down(), t(0));
    assert_eq!(out.len(), 1, "{out:#?}");
    // Info once it has held for `de_escalate_after` (2m).
    assert!(m.ingest("prod", &gone(), t(600)).is_empty());
    let out = m.ingest("prod", &gone(), t(720));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].1, NotifyReason::DeEscalated);
    assert_eq!(out[0].0.severity, Severity::Info);
    assert_eq!(
        out[0].0.title,
        "Broker 2 is gone from prod; no partition names it"
    );
    assert!(m.ingest("prod", &gone(), t(840)).is_empty());
    // Forgotten: resolved at once (no replicas to catch up, no flap to
    // wait out: the recovery hold is for a broker back with replicas),
    // saying what it knows.
    let out = m.ingest("prod", &[], t(855));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].1, NotifyReason::Resolved);
    assert_eq!(
        out[0].0.title,
        "Broker 2 on prod is back or gone for good: no partition names it"
    );
}

/// A broker with a firing incident of its own (slow follower, broker that
/// stopped answering, lagging voter) then goes down: that incident
/// escalates into the outage (same id, `Escalated`, "Broker 3 is down"),
/// keeps the Alertmanager identity it fired with, and resolves once, as
/// "back", after the recovery hold. It used to be notified resolved at the
/// very poll where a second incident, "Broker 3 is down", fired.
#[test]
fn a_broker_with_an_open_incident_that_goes_down_escalates_that_incident() {
    let slow: Vec<Finding> = (0..4)
        .map(|p| {
            partition(
                FindingKind::UnderReplicated,
                Severity::Warning,
                "orders",
                p,
                &[3],
            )
        })
        .collect();
    let unreachable = Finding::new(
        "prod",
        FindingKind::BrokerUnreachable,
        Severity::Warning,
        Subject::Broker { id: 3 },
        t(0),
    )
    .with_brokers([3]);
    let voter_lag = Finding::new(
        "prod",
        FindingKind::QuorumLag,
        Severity::Warning,
        Subject::Broker { id: 3 },
        t(0),
    )
    .with_brokers([3]);
    let mut down = slow.clone();
    down.push(broker_down(3));
    for (before, keyed) in [
        (slow.clone(), FindingKind::UnderReplicated),
        (vec![unreachable], FindingKind::BrokerUnreachable),
        (vec![voter_lag], FindingKind::QuorumDegraded),
    ] {
        let mut m = manager();
        let mut notes = Vec::new();
        for i in 0..4 {
            notes.extend(m.ingest("prod", &before, t(15 * i)));
        }
        assert_eq!(notes.len(), 1, "{notes:#?}");
        assert_eq!(notes[0].1, NotifyReason::Firing);
        let first = notes[0].0.clone();
        for i in 4..10 {
            notes.extend(m.ingest("prod", &down, t(15 * i)));
        }
        for i in 10..30 {
            notes.extend(m.ingest("prod", &[], t(15 * i)));
        }
        let seen: Vec<(NotifyReason, &str)> =
            notes.iter().map(|(i, r)| (*r, i.title.as_str())).collect();
        assert_eq!(
            seen,
            [
                (NotifyReason::Firing, first.title.as_str()),
                (
                    NotifyReason::Escalated,
                    "Broker 3 is down on prod: 4 partitions under-replicated"
                ),
                (NotifyReason::Resolved, "Broker 3 is back on prod"),
            ],
            "{keyed:?}"
        );
        assert!(notes.iter().all(|(i, _)| i.id == first.id), "{notes:#?}");
        // One Alertmanager alert from first to last: its key stays.
        let escalated = &notes[1].0;
        assert_eq!(escalated.kind, FindingKind::BrokerDown);
        assert_eq!(escalated.keyed_by, Some(keyed));
        assert_eq!(escalated.fingerprint, first.fingerprint);
        assert_eq!(escalated.labels.get("broker"), first.labels.get("broker"));
        // Resolved 120 s (the recovery hold) after the broker was back.
        assert_eq!(notes[2].0.resolved_at, Some(t(150 + 120)));
    }
}

/// Combined mode, three voters: broker 2 is down (its voter with it) and
/// then the voter of broker 1 hangs. One voter of three is left: the
/// quorum has lost its majority. That is more than broker 2's outage: it
/// was folded into the outage's incident, already critical, and never told
/// (hunt 10, h01). A degraded quorum whose lagging voters are all down
/// brokers stays in their outage.
#[test]
fn a_quorum_that_lost_its_majority_beyond_an_outage_is_told() {
    let lag = quorum_lag;
    let degraded = |sev: Severity, lagging: &[i32]| {
        Finding::new(
            "prod",
            FindingKind::QuorumDegraded,
            sev,
            Subject::Cluster,
            t(0),
        )
        .with_brokers(lagging.iter().copied())
    };
    let mut m = manager();
    let out = m.ingest(
        "prod",
        &[broker_down(2), lag(2), degraded(Severity::Warning, &[2])],
        t(0),
    );
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].0.kind, FindingKind::BrokerDown);
    let out = m.ingest(
        "prod",
        &[
            broker_down(2),
            lag(2),
            lag(1),
            degraded(Severity::Critical, &[1, 2]),
        ],
        t(30),
    );
    let told: Vec<(&str, NotifyReason, Severity)> = out
        .iter()
        .map(|(i, r)| (i.title.as_str(), *r, i.severity))
        .collect();
    assert_eq!(
        told,
        vec![(
            "Metadata quorum degraded on prod: voter 1 not caught up",
            NotifyReason::Firing,
            Severity::Critical
        )],
        "{out:#?}"
    );
}

/// Broker 2 is down (RF 3 on three brokers) when broker 3 starts falling
/// behind: every partition that misses broker 3 also misses broker 2, so
/// all went to broker 2's outage and broker 3 was never named (hunt 10,
/// h17). The live broker most often missing stands in its own incident
/// too. On five brokers, broker 3 cut off from replication leaves the
/// partitions it leads with itself alone in the ISR: the healthy followers
/// missing there (broker 4) were blamed, since the partitions the outage
/// took did not vote (h17c).
#[test]
fn a_broker_falling_behind_during_another_outage_is_named() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let led = |p: i32, kind: FindingKind, missing: &[i32], leader: i32| {
        let mut f = partition(
            kind,
            if kind == FindingKind::UnderMinIsr {
                Severity::Critical
            } else {
                Severity::Warning
            },
            "orders",
            p,
            missing,
        );
        f.metrics.insert(Metric::Replicas, 3.0);
        f.metrics.insert(Metric::Isr, 3.0 - missing.len() as f64);
        f.labels.insert(Label::Leader, leader.to_string());
        f
    };
    let titles = |out: &[(isrwatch::model::Incident, NotifyReason)]| -> Vec<String> {
        let mut v: Vec<String> = out.iter().map(|(i, _)| i.title.clone()).collect();
        v.sort();
        v
    };
    // Three brokers: partitions led by 1 miss 2 and 3; those led by 3 miss 2.
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let down = vec![
        broker_down(2),
        led(0, FindingKind::UnderReplicated, &[2], 1),
        led(1, FindingKind::UnderReplicated, &[2], 3),
    ];
    m.ingest("prod", &down, t(0));
    let mut slow = down.clone();
    slow[1] = led(0, FindingKind::UnderMinIsr, &[2, 3], 1);
    let out = m.ingest("prod", &slow, t(30));
    assert!(
        titles(&out)
            .iter()
            .any(|s| s.starts_with("Replication trouble on broker 3 of prod: 1 partition")),
        "{:?}",
        titles(&out)
    );
    // Without broker 3's trouble nothing but the outage.
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let out = m.ingest("prod", &down, t(0));
    let only = titles(&out);
    assert_eq!(only.len(), 1, "{only:?}");
    assert!(only[0].starts_with("Broker 2 is down on prod"), "{only:?}");

    // Five brokers, broker 3 cut off: it leads partition 1 ([3, 4, 5]) and
    // partition 2 ([3, 2, 4], also missing broker 2) alone; it is missing
    // from partition 0 ([1, 2, 3]) and partition 3 ([4, 3, 5]).
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let cut = vec![
        broker_down(2),
        led(0, FindingKind::UnderMinIsr, &[2, 3], 1),
        led(1, FindingKind::UnderMinIsr, &[4, 5], 3),
        led(2, FindingKind::UnderMinIsr, &[2, 4], 3),
        led(3, FindingKind::UnderReplicated, &[3], 4),
    ];
    let out = m.ingest("prod", &cut, t(0));
    let t = titles(&out);
    assert!(
        t.iter()
            .any(|s| s.starts_with("Replication trouble on broker 3 of prod")),
        "{t:?}"
    );
    assert!(
        !t.iter()
            .any(|s| s.contains("broker 4") || s.contains("broker 5")),
        "{t:?}"
    );
}

/// Broker 2 is back from an outage but still catching up (missing from
/// every ISR) when broker 3 dies: the partitions miss both. They are
/// broker 3's outage, and they also keep broker 2's incident open until it
/// is in sync: it said "back" while every partition still missed it
/// (hunt 10, h24).
#[test]
fn a_broker_still_catching_up_when_another_dies_is_not_back_yet() {
    let mut m = manager_without_recovery_hold();
    let parts = |missing: &[i32]| -> Vec<Finding> {
        (0..4)
            .map(|p| {
                partition(
                    FindingKind::UnderMinIsr,
                    Severity::Critical,
                    "orders",
                    p,
                    missing,
                )
            })
            .collect()
    };
    let mut notes = Vec::new();
    let mut down2 = parts(&[2]);
    down2.push(broker_down(2));
    notes.extend(m.ingest("prod", &down2, t(0)));
    // Broker 2 back, catching up; broker 3 dies at t(60).
    notes.extend(m.ingest("prod", &parts(&[2]), t(30)));
    let mut down3 = parts(&[2, 3]);
    down3.push(broker_down(3));
    for i in 0..4 {
        notes.extend(m.ingest("prod", &down3, t(60 + 15 * i)));
    }
    let resolved = |id: i32, notes: &[(isrwatch::model::Incident, NotifyReason)]| {
        notes
            .iter()
            .any(|(i, r)| *r == NotifyReason::Resolved && i.root == Subject::Broker { id })
    };
    assert!(!resolved(2, &notes), "{notes:#?}");
    // Broker 2 in sync at t(120): back.
    let mut only3 = parts(&[3]);
    only3.push(broker_down(3));
    notes.extend(m.ingest("prod", &only3, t(120)));
    notes.extend(m.ingest("prod", &only3, t(135)));
    assert!(resolved(2, &notes), "{notes:#?}");
    assert!(!resolved(3, &notes), "{notes:#?}");
}

/// Broker 3 is down; broker 2 goes down too, and its incident tells the
/// partitions under min ISR. When broker 2 comes back, those partitions
/// miss broker 3 (down) and broker 2 (catching up), for one poll or for
/// three: they stay in broker 2's incident, whose outage began last, until
/// it is in sync. They moved to broker 3's outage and were told as
/// "escalated: Broker 3 is down ... under min ISR" at the moment things
/// improved (hunt 11, W5; then only for one poll, hunt 21, O1).
#[test]
fn an_outage_is_not_escalated_by_partitions_a_returning_broker_still_catches_up_on() {
    let parts = |kind: FindingKind, missing: &[i32]| -> Vec<Finding> {
        let severity = if kind == FindingKind::UnderMinIsr {
            Severity::Critical
        } else {
            Severity::Warning
        };
        (0..4)
            .map(|p| partition(kind, severity, "orders", p, missing))
            .collect()
    };
    for lasting in [false, true] {
        let mut m = manager_without_recovery_hold();
        let mut notes = Vec::new();
        let mut down3 = parts(FindingKind::UnderReplicated, &[3]);
        down3.push(broker_down(3));
        for i in 0..4 {
            notes.extend(m.ingest("prod", &down3, t(15 * i)));
        }
        let mut both = parts(FindingKind::UnderMinIsr, &[2, 3]);
        both.push(broker_down(3));
        both.push(broker_down(2).with_since(t(60)));
        for i in 4..8 {
            notes.extend(m.ingest("prod", &both, t(15 * i)));
        }
        // Broker 2 back: one poll (or, lasting, three) of partitions
        // still under min ISR, then broker 2 in sync.
        let mut handed = parts(FindingKind::UnderMinIsr, &[2, 3]);
        handed.push(broker_down(3));
        let polls = if lasting { 3 } else { 1 };
        for i in 8..8 + polls {
            notes.extend(m.ingest("prod", &handed, t(15 * i)));
        }
        for i in 8 + polls..14 {
            notes.extend(m.ingest("prod", &down3, t(15 * i)));
        }
        let escalated_3 = notes
            .iter()
            .any(|(i, r)| *r == NotifyReason::Escalated && i.root == Subject::Broker { id: 3 });
        assert!(!escalated_3, "lasting {lasting}: {notes:#?}");
    }
}

/// Broker 2 goes down, then broker 3: the partitions they share fall under
/// min ISR when broker 3 goes, and broker 3's page says so. They went to
/// the lower id, so broker 3's page named no partition and broker 2's
/// incident was escalated 15 s later for them: three pages for two
/// outages (hunt 21, O1). When both are back and catching up, the
/// partitions stay with broker 3 until it is in sync; nothing escalates.
#[test]
fn a_second_broker_down_tells_the_partitions_its_outage_made_worse() {
    let mut m = manager();
    let notes = notified_each_poll(&mut m, 900, |at| {
        two_outages(
            at,
            &[(0..15, &[2]), (15..300, &[2, 3]), (300..400, &[2])],
            &[(2, 0..60), (3, 15..60)],
        )
    });
    assert_eq!(
        about_brokers(&notes),
        vec![
            (NotifyReason::Firing, 2),
            (NotifyReason::Firing, 3),
            (NotifyReason::Resolved, 3),
            (NotifyReason::Resolved, 2),
        ],
        "{notes:#?}"
    );
    let firing_3 = firing_of(&notes, 3);
    assert!(
        firing_3
            .as_ref()
            .is_some_and(|(title, at)| *at == 15 && title.contains("9 under min ISR")),
        "{firing_3:?}"
    );
}

/// With `under_replicated_for = "1m"`, a slow follower's partitions reach
/// the manager a minute after the evaluator first saw them miss broker 3:
/// the incident's own pending delay (`for_warning`, 30 s) overlaps that
/// minute instead of following it. It fired 30 s later, and a 90-s URP
/// was never paged (hunt 22, W3).
#[test]
fn a_rules_for_wait_and_the_pending_delay_overlap() {
    let mut m = manager();
    let notes = notified_each_poll(&mut m, 120, |at| {
        if at < 60 {
            return Vec::new();
        }
        (0..4)
            .map(|p| {
                let mut f = partition(
                    FindingKind::UnderReplicated,
                    Severity::Warning,
                    "orders",
                    p,
                    &[3],
                );
                f.brokers_since = Some(t(0));
                f
            })
            .collect()
    });
    let firing: Vec<i64> = notes
        .iter()
        .filter(|(_, r, _)| *r == NotifyReason::Firing)
        .map(|(_, _, at)| *at)
        .collect();
    assert_eq!(firing, vec![60], "{notes:#?}");
}

/// A disk's incident is its broker's own, and its title says which it is:
/// nearly full (at the line, maybe for weeks), filling up (below it but
/// filling fast), critically full.
#[test]
fn a_disk_incident_title_says_full_or_filling() {
    let cfg = IncidentConfig {
        for_warning: isrwatch::config::Dur::secs(0),
        ..Default::default()
    };
    let disk = |sev: Severity, used: f64, hours: Option<f64>| {
        let mut f = Finding::new(
            "prod",
            FindingKind::DiskSpace,
            sev,
            Subject::Broker { id: 2 },
            t(0),
        )
        .with_brokers([2])
        .with_metric(Metric::UsedPercent, used)
        .with_metric(Metric::Threshold, 85.0);
        if let Some(h) = hours {
            f = f.with_metric(Metric::HoursToFull, h);
        }
        f
    };
    for (f, title) in [
        (
            disk(Severity::Warning, 87.0, None),
            "Broker 2's disk is nearly full on prod",
        ),
        (
            disk(Severity::Warning, 60.0, Some(3.0)),
            "Broker 2's disk is filling up on prod",
        ),
        (
            disk(Severity::Critical, 96.0, Some(0.5)),
            "Broker 2's disk is critically full on prod",
        ),
    ] {
        let mut m = IncidentManager::new(&cfg, Silences::new());
        let out = m.ingest("prod", &[broker_down(3), f], t(0));
        let titles: Vec<&str> = out.iter().map(|(i, _)| i.title.as_str()).collect();
        assert!(titles.contains(&title), "{titles:?}");
        assert_eq!(out.len(), 2, "{titles:?}");
    }
}
