//! The page's HTML: escaping, sections, forms, formatters.

use super::charts::chart;
use std::collections::VecDeque;
use std::time::Duration;

use super::format::{ago, number, seconds, shorten};
use super::incidents::evidence;
use super::limits::CHART_DRAWN_POINTS;
use super::*;
use crate::evaluate::LagStatus;
use crate::evaluate::{Evaluation, GroupLagStatus};
use crate::finding::{AnomalyScore, FindingKind, Subject};
use crate::finding::{Finding, Severity};
use crate::model::{Affected, Summary, SummarySource, TimelineEvent};
use crate::model::{Incident, IncidentState};
use crate::snapshot::{BrokerInfo, GroupInfo, PartitionInfo, TopicInfo};
use crate::snapshot::{ClusterSnapshot, Time};
use crate::state::SharedState;

const EVIL: &str = "<img src=x onerror=alert(1)>";

fn t(s: i64) -> Time {
    chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

/// A cluster of 3 brokers, broker 3 down, with hostile names wherever a
/// cluster or a person can put text.
fn hostile_state() -> std::sync::Arc<SharedState> {
    let state = SharedState::new(["prod".to_string()]);
    let live = [1, 2];
    let partitions = (0..4)
        .map(|p| {
            let mut pi = PartitionInfo {
                partition: p,
                leader: Some(1 + p % 2),
                replicas: vec![1 + p % 2, 3],
                isr: vec![1 + p % 2],
                ..Default::default()
            };
            pi.derive(2, &live);
            pi
        })
        .collect();
    let snap = ClusterSnapshot {
        cluster: "prod".into(),
        taken_at: t(0),
        reachable: true,
        controller: Some(1),
        brokers: live
            .iter()
            .map(|&id| BrokerInfo {
                id,
                host: format!("{EVIL}.example"),
                port: 9092,
                rack: Some(EVIL.into()),
            })
            .collect(),
        missing_brokers: vec![3],
        topics: vec![TopicInfo {
            name: format!("t{EVIL}"),
            min_insync_replicas: 2,
            partitions,
            ..Default::default()
        }],
        groups: vec![GroupInfo {
            name: EVIL.into(),
            state: EVIL.into(),
            members: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    let eval = Evaluation {
        findings: Vec::new(),
        anomalies: vec![AnomalyScore {
            series: format!("group_lag{{group=\"{EVIL}\"}}"),
            score: 0.9,
            observed: 412.0,
            expected_low: 0.0,
            expected_high: 3.0,
            since: None,
            explanation: EVIL.into(),
        }],
        groups: vec![GroupLagStatus {
            group: EVIL.into(),
            status: LagStatus::Stall,
            reason: format!("group {EVIL:?} stalled"),
            total_lag: 1234,
            max_lag_seconds: Some(95.0),
            partitions: Vec::new(),
        }],
    };
    state.publish_poll(std::sync::Arc::new(snap), std::sync::Arc::new(eval));
    let finding = Finding::new(
        "prod",
        FindingKind::ConsumerLag,
        Severity::Critical,
        Subject::Group { group: EVIL.into() },
        t(0),
    )
    .with_metric(crate::finding::Metric::TotalLag, 1234.0)
    .with_label(crate::finding::Label::LagStatus, "STALL");
    state.publish_incidents(vec![Incident {
        id: format!("id-{EVIL}"),
        fingerprint: "f".into(),
        cluster: "prod".into(),
        kind: FindingKind::ConsumerLag,
        root: Subject::Group { group: EVIL.into() },
        title: format!("Consumer group {EVIL:?} is lagging"),
        state: IncidentState::Firing,
        severity: Severity::Critical,
        started_at: t(-60),
        firing_since: Some(t(-60)),
        resolved_at: None,
        updated_at: t(0),
        affected: Affected {
            groups: vec![EVIL.into()],
            ..Default::default()
        },
        counts: [(FindingKind::ConsumerLag, 1)].into_iter().collect(),
        findings: vec![finding],
        timeline: vec![TimelineEvent {
            at: t(-60),
            event: "opened".into(),
            detail: EVIL.into(),
        }],
        flapping: false,
        silenced_by: None,
        summary: Some(Summary {
            headline: format!("<script>alert(1)</script>{EVIL}"),
            what_happened: EVIL.into(),
            impact: EVIL.into(),
            likely_cause: EVIL.into(),
            next_steps: vec![format!("kafka-consumer-groups.sh --group '{EVIL}'")],
            source: SummarySource::Template,
            fallback_reason: None,
        }),
        labels: Default::default(),
        keyed_by: None,
    }]);
    state
}

fn input(state: &SharedState) -> PageInput<'_> {
    PageInput {
        state,
        silences: None,
        refresh: Duration::from_secs(5),
        token_configured: true,
        notice: None,
        only: None,
        now: t(10),
    }
}

#[test]
fn every_untrusted_name_is_escaped() {
    let state = hostile_state();
    let page = render_page(&input(&state));
    assert!(!page.contains("<img"), "raw tag in the page");
    assert!(!page.contains("<script>alert"), "raw script in the page");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // The page's own script is a file, never inline.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains("<script src=\"/assets/app.js\" defer></script>"));
    assert!(!page.contains(" style="), "no inline style (CSP)");
    // No tag carries an event handler: text has its '<' escaped, so
    // every '<' starts a real tag; an `on...=` outside its quoted
    // attribute values would be a handler.
    let handler = regex::Regex::new(r#"<[a-zA-Z][^>"]*(?:"[^"]*"[^>"]*)*\son[a-z]+="#).unwrap();
    assert!(
        handler.is_match("<a href=\"x\" onclick=\"y\">"),
        "the check works"
    );
    assert!(
        !handler.is_match(&page),
        "an inline event handler: {:?}",
        handler.find(&page).map(|m| &page[m.start()..m.end() + 40])
    );
    let live = render_live(&input(&state));
    assert!(live.starts_with("<main id=\"live\""));
    assert!(!live.contains("<img"));
}

#[test]
fn the_page_shows_the_down_broker_the_incident_and_the_lagging_group() {
    let state = hostile_state();
    let page = render_page(&input(&state));
    assert!(page.contains("data-broker=\"3\" data-state=\"down\""));
    assert!(page.contains("data-kind=\"consumer_lag\" data-state=\"firing\""));
    assert!(page.contains("Next steps"));
    assert!(
        page.contains("95.0 s") || page.contains("1.6 min"),
        "lag in time"
    );
    assert!(page.contains("1234"), "lag in messages");
    assert!(page.contains("data-count=\"under-replicated\""));
    // The worst partitions name the broker missing from their ISR.
    assert!(page.contains("missing from ISR"));
    // Anomaly scores with their expected range.
    assert!(page.contains("0 … 3"));
    assert!(page.contains("<svg"));
}

#[test]
fn a_cluster_never_polled_or_unreachable_still_renders() {
    let state = SharedState::new(["a".to_string(), "b".to_string()]);
    let down = ClusterSnapshot::unreachable(
        "b",
        t(0),
        Duration::from_millis(5),
        crate::snapshot::PollError {
            step: "metadata".into(),
            broker: None,
            message: format!("connection refused {EVIL}"),
        },
    );
    state.publish_poll(std::sync::Arc::new(down), Default::default());
    let page = render_page(&input(&state));
    assert!(page.contains("no poll has completed yet"));
    assert!(page.contains("cluster unreachable"));
    assert!(page.contains("No data yet"));
    assert!(!page.contains("<img"));
    assert!(page.contains("data-status=\"critical\""));
}

#[test]
fn evidence_lists_brokers_numbers_and_facts() {
    let f = Finding::new(
        "c",
        FindingKind::UnderReplicated,
        Severity::Warning,
        Subject::Cluster,
        t(0),
    )
    .with_brokers([3, 1])
    .with_metric(crate::finding::Metric::Isr, 1.0)
    .with_metric(crate::finding::Metric::Replicas, 0.12345)
    .with_label(crate::finding::Label::Topic, "orders");
    let html = evidence(&f).into_string();
    assert!(html.contains("<dt>brokers</dt><dd>1, 3</dd>"), "{html}");
    assert!(html.contains("<dt>isr</dt><dd>1</dd>"), "{html}");
    assert!(html.contains("<dt>replicas</dt><dd>0.123</dd>"), "{html}");
    assert!(html.contains("<dt>topic</dt><dd>orders</dd>"), "{html}");
    let empty = Finding::new(
        "c",
        FindingKind::NoController,
        Severity::Critical,
        Subject::Cluster,
        t(0),
    );
    assert_eq!(evidence(&empty).into_string(), "");
}

#[test]
fn silence_forms_become_the_api_body_or_a_clear_error() {
    let f = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let body = silence_body_from_form(&f(&[
        ("label", "group"),
        ("value", " billing "),
        ("regex", "1"),
        ("label2", "kind"),
        ("value2", "consumer_lag"),
        ("duration", "2h"),
        ("comment", "deploy"),
    ]))
    .unwrap();
    assert_eq!(body["matchers"][0]["value"], "billing");
    assert_eq!(body["matchers"][0]["is_regex"], true);
    assert_eq!(body["matchers"][1]["label"], "kind");
    assert_eq!(body["duration"], "2h");
    let err = silence_body_from_form(&f(&[("label", "group"), ("duration", "2h")])).unwrap_err();
    assert!(err.contains("at least one matcher"), "{err}");
    let err = silence_body_from_form(&f(&[("value", "x"), ("duration", "2h")])).unwrap_err();
    assert!(err.contains("needs a label"), "{err}");
    let err = silence_body_from_form(&f(&[("label", "group"), ("value", "x")])).unwrap_err();
    assert!(err.contains("duration"), "{err}");
}

#[test]
fn charts_say_when_there_is_no_data_and_draw_one_line_per_series() {
    let empty: VecDeque<(Time, f64)> = VecDeque::new();
    let html = chart("x", &[("a", &empty)], t(0), None).into_string();
    assert!(html.contains("No data yet"));
    let a: VecDeque<(Time, f64)> = (0..1000).map(|i| (t(i), i as f64)).collect();
    let b: VecDeque<(Time, f64)> = (0..10).map(|i| (t(i), 1.0)).collect();
    let html = chart("x", &[("a", &a), ("b", &b)], t(1000), None).into_string();
    assert_eq!(html.matches("<polyline").count(), 2);
    // Thinned to at most CHART_DRAWN_POINTS (+ the last) per line.
    let first_line = html.split("<polyline").nth(1).unwrap();
    let pts = first_line
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(pts.split_whitespace().count() <= CHART_DRAWN_POINTS + 1);
    assert!(html.contains(">999<"), "the top of the axis");
}

#[test]
fn session_cookie_depends_on_the_token_and_hides_it() {
    let a = session_value("token-a");
    assert_ne!(a, session_value("token-b"));
    assert_eq!(a, session_value("token-a"));
    assert!(!a.contains("token-a"));
    assert_eq!(a.len(), 64);
}

#[test]
fn small_formatters() {
    assert_eq!(number(3.0), "3");
    assert_eq!(number(0.5), "0.500");
    assert_eq!(number(12.345), "12.35");
    assert_eq!(number(1234.5), "1234");
    assert_eq!(ago(t(100), t(40)), "1m ago");
    assert_eq!(ago(t(0), t(10)), "just now");
    assert_eq!(shorten("abcdef", 3), "abc…");
    assert_eq!(shorten("ab", 3), "ab");
    assert_eq!(shorten("ééé", 2), "éé…");
    assert_eq!(seconds(90.0), "1.5 min");
}
