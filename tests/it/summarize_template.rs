//! The template summarizer, per incident kind: right entities, right commands.

use std::collections::BTreeMap;

use isrwatch::finding::{AnomalyScore, Finding, FindingKind, Label, Metric, Severity, Subject};
use isrwatch::model::{Affected, Incident, IncidentState, NotifyReason, Summary, SummarySource};
use isrwatch::summarize::{build, TemplateSummarizer};

use crate::support::at_minute as t;

fn incident(
    kind: FindingKind,
    root: Subject,
    findings: Vec<Finding>,
    affected: Affected,
) -> Incident {
    let mut counts = BTreeMap::new();
    for f in &findings {
        *counts.entry(f.kind).or_insert(0) += 1;
    }
    Incident {
        id: "fp-1@1".into(),
        fingerprint: "fp-1".into(),
        cluster: "prod".into(),
        kind,
        root,
        title: "t".into(),
        state: IncidentState::Firing,
        severity: Severity::Critical,
        started_at: t(0),
        firing_since: Some(t(1)),
        resolved_at: None,
        updated_at: t(12),
        affected,
        counts,
        findings,
        timeline: vec![],
        flapping: false,
        silenced_by: None,
        summary: None,
        labels: BTreeMap::new(),
        keyed_by: None,
    }
}

fn text(s: &Summary) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        s.headline,
        s.what_happened,
        s.impact,
        s.likely_cause,
        s.next_steps.join("\n")
    )
}

fn check_shape(s: &Summary) {
    assert!(!s.headline.is_empty() && s.headline.chars().count() <= 150);
    assert!(!s.what_happened.is_empty() && !s.impact.is_empty() && !s.likely_cause.is_empty());
    assert!((1..=8).contains(&s.next_steps.len()));
    assert_eq!(s.source, SummarySource::Template);
    assert_eq!(s.fallback_reason, None);
}

/// Partitions 0 and 1 of "orders", missing their replica on `broker`.
fn orders_0_and_1_on(broker: i32) -> Affected {
    Affected {
        brokers: vec![broker],
        topics: vec!["orders".into()],
        partition_count: 2,
        partitions: vec![("orders".into(), 0), ("orders".into(), 1)],
        groups: vec![],
    }
}

fn partition_finding(kind: FindingKind, topic: &str, p: i32, broker: i32) -> Finding {
    Finding::new(
        "prod",
        kind,
        Severity::Critical,
        Subject::Partition {
            topic: topic.into(),
            partition: p,
        },
        t(0),
    )
    .with_brokers([broker])
    .with_metric(Metric::Isr, 1.0)
    .with_metric(Metric::MinIsr, 2.0)
}

#[test]
fn broker_down() {
    let findings = vec![
        Finding::new(
            "prod",
            FindingKind::BrokerDown,
            Severity::Critical,
            Subject::Broker { id: 2 },
            t(0),
        ),
        partition_finding(FindingKind::UnderReplicated, "orders", 0, 2),
        partition_finding(FindingKind::UnderMinIsr, "orders", 1, 2),
    ];
    let inc = incident(
        FindingKind::BrokerDown,
        Subject::Broker { id: 2 },
        findings,
        orders_0_and_1_on(2),
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("Broker 2 down"), "{}", s.headline);
    assert!(s.headline.contains("\"prod\""));
    assert!(txt.contains("\"orders\""));
    assert!(
        txt.contains("acks=all"),
        "under-min-ISR impact named: {txt}"
    );
    for cmd in [
        "kafka-topics.sh --bootstrap-server $BOOTSTRAP --describe --under-replicated-partitions",
        "--under-min-isr-partitions",
        "--unavailable-partitions",
        "kafka-leader-election.sh --bootstrap-server $BOOTSTRAP --election-type preferred",
        "kafka-metadata-quorum.sh",
    ] {
        assert!(txt.contains(cmd), "missing {cmd}: {txt}");
    }
}

#[test]
fn a_retired_broker_is_gone_not_down() {
    // No replica list or quorum voter names broker 4 (the rule made it
    // info): a decommission or a replacement, nothing under-replicated.
    let findings = vec![Finding::new(
        "prod",
        FindingKind::BrokerDown,
        Severity::Info,
        Subject::Broker { id: 4 },
        t(0),
    )
    .with_metric(Metric::ReplicasHosted, 0.0)];
    let mut inc = incident(
        FindingKind::BrokerDown,
        Subject::Broker { id: 4 },
        findings,
        Affected {
            brokers: vec![4],
            ..Default::default()
        },
    );
    inc.severity = Severity::Info;
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("Broker 4 gone"), "{}", s.headline);
    assert!(txt.contains("decommissioned"), "{txt}");
    assert!(!txt.contains("under-replicated"), "{txt}");
    assert!(!txt.contains("missing from the ISR"), "{txt}");
}

#[test]
fn partition_offline() {
    let inc = incident(
        FindingKind::PartitionOffline,
        Subject::Partition {
            topic: "payments".into(),
            partition: 7,
        },
        vec![partition_finding(
            FindingKind::PartitionOffline,
            "payments",
            7,
            3,
        )],
        Affected {
            brokers: vec![3],
            topics: vec!["payments".into()],
            partition_count: 1,
            partitions: vec![("payments".into(), 7)],
            groups: vec![],
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("1 partition offline"), "{}", s.headline);
    assert!(txt.contains("\"payments\" partition 7"));
    assert!(txt.contains("broker 3"));
    assert!(txt.contains("--unavailable-partitions"));
    assert!(txt.contains("--election-type unclean --topic 'payments' --partition 7"));
    assert!(txt.contains("kafka-log-dirs.sh"));
}

#[test]
fn under_min_isr() {
    let inc = incident(
        FindingKind::UnderMinIsr,
        Subject::Topic {
            topic: "orders".into(),
        },
        vec![partition_finding(FindingKind::UnderMinIsr, "orders", 4, 1)],
        Affected {
            brokers: vec![1],
            topics: vec!["orders".into()],
            partition_count: 1,
            partitions: vec![("orders".into(), 4)],
            groups: vec![],
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("under min ISR"));
    assert!(txt.contains("NotEnoughReplicas"));
    assert!(txt.contains("ISR size 1"), "{txt}");
    assert!(txt.contains("min.insync.replicas 2"));
    assert!(txt.contains("--describe --under-min-isr-partitions"));
    assert!(txt.contains("--topic 'orders'"));
    assert!(
        txt.contains("kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe --broker-list 1")
    );
}

#[test]
fn a_failed_log_dir_says_storage_and_how_to_find_the_directory() {
    let failed = |p| {
        partition_finding(FindingKind::AtMinIsr, "orders", p, 3)
            .with_label(Label::FailedLogDir, "3")
    };
    let inc = incident(
        FindingKind::AtMinIsr,
        Subject::Broker { id: 3 },
        vec![failed(0), failed(1)],
        orders_0_and_1_on(3),
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    assert!(
        s.likely_cause
            .starts_with("Broker 3 is up but lists these replicas offline: a log directory failed"),
        "{}",
        s.likely_cause
    );
    assert!(
        s.next_steps[0].contains("KAFKA_STORAGE_ERROR")
            && s.next_steps[0].ends_with(
                "kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe --broker-list 3"
            ),
        "{:?}",
        s.next_steps
    );
    assert!(
        s.next_steps[1].contains("restart broker 3"),
        "{:?}",
        s.next_steps
    );
    // Without the label: the usual cause, followers falling out of the ISR.
    let mut plain = inc.clone();
    for f in &mut plain.findings {
        f.labels.remove(&Label::FailedLogDir);
    }
    let s = TemplateSummarizer.render(&plain, NotifyReason::Firing);
    assert!(
        s.likely_cause
            .starts_with("Followers on broker 3 fell out of the ISR"),
        "{}",
        s.likely_cause
    );
}

/// Groups never seen with members since isrwatch started (hunt 16, W1):
/// what is known, and how to retire or start them.
#[test]
fn consumer_groups_never_seen_with_members() {
    let stop = |g: &str| {
        Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            Severity::Warning,
            Subject::Group { group: g.into() },
            t(0),
        )
        .with_label(Label::LagStatus, "STOP")
        .with_label(Label::NeverActive, "true")
        .with_metric(Metric::TotalLag, 20000.0)
    };
    let inc = incident(
        FindingKind::ConsumerLag,
        Subject::Cluster,
        vec![
            stop("old-app"),
            stop("console-consumer-4242").with_metric(Metric::TotalLag, 500.0),
        ],
        Affected {
            brokers: vec![],
            topics: vec!["legacy".into()],
            partition_count: 6,
            partitions: vec![],
            groups: vec!["console-consumer-4242".into(), "old-app".into()],
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(
        s.headline
            .starts_with("2 consumer groups without members since isrwatch started"),
        "{}",
        s.headline
    );
    assert!(
        txt.contains("had no member at any poll since isrwatch began watching"),
        "{txt}"
    );
    assert!(
        txt.contains("--delete --group 'console-consumer-4242'"),
        "{txt}"
    );
    assert!(!txt.contains("poison pill"), "{txt}");
}

#[test]
fn consumer_lag() {
    let f = Finding::new(
        "prod",
        FindingKind::ConsumerLag,
        Severity::Warning,
        Subject::Group {
            group: "billing's app".into(),
        },
        t(0),
    )
    .with_label(Label::LagStatus, "STALL")
    .with_metric(Metric::TotalLag, 12000.0)
    .with_metric(Metric::MaxLagSeconds, 900.0);
    let inc = incident(
        FindingKind::ConsumerLag,
        Subject::Group {
            group: "billing's app".into(),
        },
        vec![f],
        Affected {
            brokers: vec![],
            topics: vec!["invoices".into()],
            partition_count: 3,
            partitions: vec![],
            groups: vec!["billing's app".into()],
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(
        s.headline.contains("\"billing's app\" is STALL"),
        "{}",
        s.headline
    );
    assert!(txt.contains("12000 messages"));
    assert!(txt.contains("about 15m behind"), "{txt}");
    assert!(txt.contains("poison pill"));
    // The group name is shell-quoted in commands.
    assert!(txt.contains("kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group 'billing'\\''s app'"), "{txt}");
    assert!(txt.contains("--members --verbose"));
}

/// The cluster answers again while brokers 1 and 4 are still starting:
/// the unreachable incident tells what is left, not "unreachable".
#[test]
fn a_cluster_back_with_brokers_still_down_says_which() {
    let down = |id| {
        Finding::new(
            "prod",
            FindingKind::BrokerDown,
            Severity::Critical,
            Subject::Broker { id },
            t(0),
        )
        .with_brokers([id])
    };
    let offline = Finding::new(
        "prod",
        FindingKind::PartitionOffline,
        Severity::Critical,
        Subject::Partition {
            topic: "orders".into(),
            partition: 0,
        },
        t(0),
    )
    .with_brokers([4]);
    let inc = incident(
        FindingKind::ClusterUnreachable,
        Subject::Cluster,
        vec![down(1), down(4), offline],
        Affected {
            brokers: vec![1, 2, 4],
            ..Affected::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Reminder);
    check_shape(&s);
    let txt = text(&s);
    assert!(
        s.headline
            .contains("Cluster \"prod\" is partly back, brokers 1 and 4 still down"),
        "{}",
        s.headline
    );
    assert!(txt.contains("1 partition is offline"), "{txt}");
    assert!(txt.contains("hosts of brokers 1 and 4,"), "{txt}");
    assert!(!txt.contains("cannot poll"), "{txt}");
}

#[test]
fn cluster_unreachable() {
    let f = Finding::new(
        "prod",
        FindingKind::ClusterUnreachable,
        Severity::Critical,
        Subject::Cluster,
        t(0),
    )
    .with_label(Label::Error, "all brokers down: connection refused");
    let inc = incident(
        FindingKind::ClusterUnreachable,
        Subject::Cluster,
        vec![f],
        Affected::default(),
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert_eq!(s.headline, "Cluster \"prod\" is unreachable");
    assert!(txt.contains("connection refused"));
    assert!(txt.contains("kafka-broker-api-versions.sh --bootstrap-server $BOOTSTRAP"));
    assert!(
        txt.contains("kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status")
    );
}

#[test]
fn anomaly() {
    let mut f = Finding::new(
        "prod",
        FindingKind::Anomaly,
        Severity::Warning,
        Subject::Series {
            series: "group_lag{group=\"etl\"}".into(),
        },
        t(0),
    );
    f.anomaly = Some(AnomalyScore {
        series: "group_lag{group=\"etl\"}".into(),
        score: 0.97,
        observed: 412.0,
        expected_low: 0.0,
        expected_high: 3.0,
        since: Some(t(0)),
        explanation: "observed 412, expected 0..3 (robust z 9.1), unusual since 10:00".into(),
    });
    let inc = incident(
        FindingKind::Anomaly,
        Subject::Series {
            series: "group_lag{group=\"etl\"}".into(),
        },
        vec![f],
        Affected {
            groups: vec!["etl".into()],
            ..Affected::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("group_lag{group=\"etl\"}"));
    assert!(txt.contains("observed 412, expected 0..3"));
    assert!(txt.contains("--describe --group 'etl'"));
}

#[test]
fn every_producer_stopping_names_the_topics_and_their_rates() {
    let stopped = |topic: &str, low: f64, high: f64| {
        crate::support::produce_rate_anomaly(topic, 0.0, (low, high), t(0))
    };
    let inc = incident(
        FindingKind::Anomaly,
        Subject::Cluster,
        vec![
            stopped("orders", 81.234, 118.9),
            stopped("events", 15.0, 25.0),
        ],
        Affected {
            topics: vec!["events".into(), "orders".into()],
            ..Affected::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert_eq!(
        s.headline,
        "Produce rate fell on \"events\" and \"orders\" in cluster \"prod\""
    );
    assert!(
        txt.contains("\"orders\" 0 messages/s (expected 81.23..118.90)"),
        "{txt}"
    );
    assert!(txt.contains("kafka-get-offsets.sh --bootstrap-server $BOOTSTRAP --topic 'events'"));
    assert!(txt.contains("below the range expected since 10:00 UTC"));
    assert!(txt.contains("Producers stopped"));
}

#[test]
fn controller_leader_imbalance_churn_follower_lag() {
    for (kind, root, cmd) in [
        (
            FindingKind::NoController,
            Subject::Cluster,
            "kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status",
        ),
        (
            FindingKind::ControllerUnstable,
            Subject::Cluster,
            "describe --replication",
        ),
        (
            FindingKind::LeaderImbalance,
            Subject::Broker { id: 1 },
            "--election-type preferred --all-topic-partitions",
        ),
        (
            FindingKind::IsrChurn,
            Subject::Broker { id: 1 },
            "replica.lag.time.max.ms",
        ),
        (
            FindingKind::FollowerLag,
            Subject::Broker { id: 1 },
            "kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe --broker-list 1",
        ),
        (
            FindingKind::UnderReplicated,
            Subject::Broker { id: 1 },
            "--under-replicated-partitions",
        ),
        (
            FindingKind::AtMinIsr,
            Subject::Broker { id: 1 },
            "--at-min-isr-partitions",
        ),
    ] {
        let f = Finding::new("prod", kind, Severity::Warning, root.clone(), t(0));
        let inc = incident(kind, root, vec![f], Affected::default());
        let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
        check_shape(&s);
        assert!(
            text(&s).contains(cmd),
            "{kind}: missing {cmd}: {}",
            text(&s)
        );
    }
}

#[test]
fn follower_lag_text_shows_the_lag_the_rule_measured() {
    // The rule and the template share the typed key
    // (`Metric::FollowerMaxLag`); they used to disagree on a string, and the
    // text never showed the lag.
    let root = Subject::Broker { id: 2 };
    let f = Finding::new(
        "prod",
        FindingKind::FollowerLag,
        Severity::Warning,
        root.clone(),
        t(0),
    )
    .with_metric(Metric::FollowerMaxLag, 60_000.0);
    let inc = incident(FindingKind::FollowerLag, root, vec![f], Affected::default());
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    assert!(
        text(&s).contains("(max lag 60000 messages)"),
        "{}",
        text(&s)
    );
}

#[test]
fn reasons_change_the_headline_and_resolved_steps() {
    let f = Finding::new(
        "prod",
        FindingKind::BrokerDown,
        Severity::Critical,
        Subject::Broker { id: 2 },
        t(0),
    );
    let mut inc = incident(
        FindingKind::BrokerDown,
        Subject::Broker { id: 2 },
        vec![f],
        Affected {
            brokers: vec![2],
            ..Affected::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Escalated);
    assert!(
        s.headline.starts_with("Escalated to critical: "),
        "{}",
        s.headline
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Reminder);
    assert!(
        s.headline.starts_with("Still firing after 12m: "),
        "{}",
        s.headline
    );
    inc.state = IncidentState::Resolved;
    inc.resolved_at = Some(t(30));
    let s = TemplateSummarizer.render(&inc, NotifyReason::Resolved);
    check_shape(&s);
    assert!(s.headline.starts_with("Resolved: Broker 2 down"));
    assert!(s.what_happened.contains("It lasted 30m"));
    assert!(text(&s).contains("--election-type preferred"));
    // Deterministic.
    assert_eq!(s, TemplateSummarizer.render(&inc, NotifyReason::Resolved));
}

#[tokio::test]
async fn build_without_llm_is_the_template() {
    let reg = prometheus::Registry::new();
    let summarizer = build(None, &reg).unwrap();
    let f = Finding::new(
        "prod",
        FindingKind::BrokerDown,
        Severity::Critical,
        Subject::Broker { id: 2 },
        t(0),
    );
    let inc = incident(
        FindingKind::BrokerDown,
        Subject::Broker { id: 2 },
        vec![f],
        Affected {
            brokers: vec![2],
            ..Affected::default()
        },
    );
    let out = summarizer.summarize(&inc, NotifyReason::Firing).await;
    assert!(out.late.is_none());
    assert_eq!(
        out.summary,
        TemplateSummarizer.render(&inc, NotifyReason::Firing)
    );
    assert!(!summarizer.follow_up());
    // Metrics exist from the start.
    let names: Vec<String> = reg.gather().iter().map(|m| m.name().to_string()).collect();
    assert!(
        names.contains(&"isrwatch_llm_fallbacks_total".to_string()),
        "{names:?}"
    );
    // A second registration in the same registry is a clear error, not a panic.
    assert!(build(None, &reg).err().unwrap().contains("LLM metrics"));
}

#[test]
fn unclean_election_names_the_stale_leaders_and_the_offsets_lost() {
    let finding = |p: i32, lost: f64| {
        Finding::new(
            "prod",
            FindingKind::UncleanElection,
            Severity::Critical,
            Subject::Partition {
                topic: "orders".into(),
                partition: p,
            },
            t(0),
        )
        .with_brokers([1, 2])
        .with_label(Label::Topic, "orders")
        .with_label(Label::Partition, p.to_string())
        .with_label(Label::OldLeader, "1")
        .with_label(Label::NewLeader, "2")
        .with_metric(Metric::OffsetsLost, lost)
    };
    let inc = incident(
        FindingKind::UncleanElection,
        Subject::Cluster,
        vec![finding(0, 1_200.0), finding(2, 1_194.0)],
        Affected {
            brokers: vec![1, 2],
            topics: vec!["orders".into()],
            partitions: vec![("orders".into(), 0), ("orders".into(), 2)],
            partition_count: 2,
            ..Default::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(
        s.headline
            .contains("Unclean leader election in cluster \"prod\": 2 partitions"),
        "{txt}"
    );
    assert!(
        txt.contains("leader 1 replaced by 2, which was not in sync"),
        "{txt}"
    );
    assert!(
        txt.contains("At least 2394 acknowledged offsets were truncated"),
        "{txt}"
    );
    assert!(
        txt.contains("--entity-name 'orders' --add-config unclean.leader.election.enable=false"),
        "{txt}"
    );
}

/// The firing summary of broker `id`'s `broker_unreachable` incident of
/// one critical finding, which `evidence` completes; and its text.
fn unreachable_summary(id: i32, evidence: impl FnOnce(Finding) -> Finding) -> (Summary, String) {
    let f = Finding::new(
        "prod",
        FindingKind::BrokerUnreachable,
        Severity::Critical,
        Subject::Broker { id },
        t(0),
    )
    .with_brokers([id]);
    let inc = incident(
        FindingKind::BrokerUnreachable,
        Subject::Broker { id },
        vec![evidence(f)],
        Affected {
            brokers: vec![id],
            ..Default::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    (s, txt)
}

#[test]
fn broker_unreachable_says_clients_cannot_reach_its_leaders() {
    let (s, txt) = unreachable_summary(3, |f| {
        f.with_metric(Metric::LeaderPartitions, 12.0).with_label(
            Label::Error,
            "broker 3 does not answer: no answer within 5000 ms",
        )
    });
    assert!(
        s.headline.contains("Broker 3 does not answer clients"),
        "{txt}"
    );
    assert!(txt.contains("the 12 partitions it leads"), "{txt}");
    assert!(txt.contains("no answer within 5000 ms"), "{txt}");
    assert!(
        txt.contains("--entity-type brokers --entity-name 3 --all"),
        "{txt}"
    );
}

#[test]
fn a_broker_dropping_clients_in_spells_says_how_often() {
    let (s, txt) = unreachable_summary(2, |f| {
        f.with_metric(Metric::LeaderPartitions, 4.0)
            .with_metric(Metric::UnreachableSpells, 5.0)
            .with_metric(Metric::WindowSeconds, 600.0)
            .with_label(Label::Error, "broker 2 does not answer: connection reset")
    });
    assert!(
        s.headline
            .contains("Broker 2 answers clients only intermittently in cluster \"prod\" (5 spells without an answer in 10m)"),
        "{txt}"
    );
    assert!(txt.contains("5 began within 10m"), "{txt}");
    assert!(txt.contains("connection reset"), "{txt}");
    assert!(txt.contains("lose their leader in every spell"), "{txt}");
}

#[test]
fn reassignment_reports_progress_and_when_stuck_says_so() {
    let f = |stuck: bool| {
        let mut f = Finding::new(
            "prod",
            FindingKind::ReassignmentInProgress,
            if stuck {
                Severity::Warning
            } else {
                Severity::Info
            },
            Subject::Cluster,
            t(0),
        )
        .with_brokers([1, 4])
        .with_metric(Metric::Partitions, 4.0)
        .with_metric(Metric::ReplicasCopying, 3.0)
        .with_metric(Metric::PartitionsDone, 2.0)
        .with_metric(Metric::EtaSeconds, 600.0)
        .with_metric(Metric::OffsetsLeft, 12_000.0)
        .with_metric(Metric::OffsetsPerSecond, 20.0)
        .with_metric(Metric::SecondsWithoutProgress, 1_900.0)
        .with_label(Label::Topics, "orders");
        if stuck {
            f = f.with_label(Label::Stuck, "true");
        }
        f
    };
    for stuck in [false, true] {
        let inc = incident(
            FindingKind::ReassignmentInProgress,
            Subject::Cluster,
            vec![f(stuck)],
            Affected {
                brokers: vec![1, 4],
                ..Default::default()
            },
        );
        let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
        check_shape(&s);
        let txt = text(&s);
        assert!(
            txt.contains("kafka-reassign-partitions.sh --bootstrap-server $BOOTSTRAP --list"),
            "{txt}"
        );
        if stuck {
            assert!(
                s.headline.contains("stuck") && s.headline.contains("31m"),
                "{txt}"
            );
        } else {
            assert!(s.headline.contains("4 partitions moving"), "{txt}");
            assert!(
                txt.contains("2 done, 3 added replicas still copying"),
                "{txt}"
            );
            assert!(txt.contains("ends in about 10m"), "{txt}");
            assert!(
                txt.contains("12000 offsets are left to copy at 20 offsets/s"),
                "{txt}"
            );
            assert!(txt.contains("not under-replication"), "{txt}");
        }
    }
}

#[test]
fn quorum_degraded_names_the_voter_and_the_quorum_commands() {
    let lag = Finding::new(
        "prod",
        FindingKind::QuorumLag,
        Severity::Warning,
        Subject::Broker { id: 3 },
        t(0),
    )
    .with_brokers([3])
    .with_metric(Metric::SecondsBehind, 45.0)
    .with_label(Label::Leader, "1");
    let degraded = Finding::new(
        "prod",
        FindingKind::QuorumDegraded,
        Severity::Warning,
        Subject::Cluster,
        t(0),
    )
    .with_brokers([3])
    .with_metric(Metric::Voters, 3.0)
    .with_metric(Metric::CaughtUp, 2.0)
    .with_label(Label::Leader, "1");
    let inc = incident(
        FindingKind::QuorumDegraded,
        Subject::Cluster,
        vec![degraded, lag],
        Affected {
            brokers: vec![3],
            ..Default::default()
        },
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("Metadata quorum degraded"), "{txt}");
    assert!(txt.contains("Only 2 of 3 voters are caught up"), "{txt}");
    assert!(
        txt.contains(
            "kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication"
        ),
        "{txt}"
    );
}

#[test]
fn unread_data_deleted_says_how_much_was_lost_and_how_to_keep_more() {
    let group = Subject::Group {
        group: "indexer".into(),
    };
    let affected = Affected {
        brokers: vec![],
        topics: vec!["docs".into()],
        partition_count: 0,
        partitions: vec![],
        groups: vec!["indexer".into()],
    };
    let behind = Finding::new(
        "prod",
        FindingKind::UnreadDataDeleted,
        Severity::Critical,
        group.clone(),
        t(0),
    )
    .with_label(Label::Topics, "docs")
    .with_metric(Metric::MessagesDeleted, 510000.0)
    .with_metric(Metric::Partitions, 6.0)
    .with_metric(Metric::PartitionsBehind, 6.0);
    let inc = incident(
        FindingKind::UnreadDataDeleted,
        group.clone(),
        vec![behind.clone()],
        affected.clone(),
    );
    let s = TemplateSummarizer.render(&inc, NotifyReason::Firing);
    check_shape(&s);
    let txt = text(&s);
    assert!(s.headline.contains("510000 messages"), "{}", s.headline);
    assert!(s.headline.contains("\"indexer\""), "{}", s.headline);
    assert!(
        txt.contains("below the log start offset on 6 partitions in topic \"docs\""),
        "{txt}"
    );
    assert!(txt.contains("OFFSET_OUT_OF_RANGE"), "{txt}");
    assert!(
        txt.contains("--entity-name 'docs' --add-config retention.ms="),
        "{txt}"
    );
    assert!(
        txt.contains(
            "kafka-get-offsets.sh --bootstrap-server $BOOTSTRAP --topic 'docs' --time earliest"
        ),
        "{txt}"
    );

    // Moved past the gap: said as a skip, not as offsets below the start.
    let skipped = behind
        .with_metric(Metric::PartitionsBehind, 0.0)
        .with_metric(Metric::Partitions, 1.0);
    let inc = incident(
        FindingKind::UnreadDataDeleted,
        group,
        vec![skipped],
        affected,
    );
    let txt = text(&TemplateSummarizer.render(&inc, NotifyReason::Firing));
    assert!(
        txt.contains("committed past 510000 messages on 1 partition"),
        "{txt}"
    );
    assert!(!txt.contains("below the log start"), "{txt}");
}
