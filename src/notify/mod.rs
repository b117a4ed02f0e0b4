//! Notifiers, the durable outbox and delivery with retries.
//!
//! * [`Notifier`]: one destination kind ([`WebhookNotifier`],
//!   [`SlackNotifier`], [`AlertmanagerNotifier`], [`LogNotifier`]). A notifier
//!   makes one attempt; it never retries itself.
//! * [`outbox::Outbox`]: an append-only, fsynced log in the state directory.
//!   A notification counts as accepted only once it is on disk.
//! * [`dispatch::Dispatcher`]: routes notifications to destinations, writes
//!   them to the outbox, and runs one worker per destination that delivers
//!   in order with backoff, jitter, `Retry-After` and a rate limit.
//! * [`NotifierConfig`]: one `[[notifiers]]` entry.

pub mod alertmanager;
mod config;
pub mod dispatch;
mod http;
pub mod log;
mod notifier;
pub mod outbox;
pub mod slack;
pub mod webhook;

pub use alertmanager::AlertmanagerNotifier;
pub use config::{build_notifier, demo_notifiers, refresh_interval, NotifierConfig, NotifierKind};
pub use dispatch::{Destination, Dispatcher, NotifyMetrics};
pub use log::LogNotifier;
pub(crate) use notifier::incidents_link;
pub use notifier::{DeliveryError, Notifier};
pub use outbox::{Outbox, OutboxError};
pub use slack::SlackNotifier;
pub use webhook::{verify_signature, VerifyError, WebhookNotifier};

/// Where notifiers read the current time (for signatures, `endsAt`,
/// `Retry-After` dates): the daemon's clock. Tests pass a fixed one.
pub use crate::clock::{system_clock, SharedClock as Clock};

#[cfg(test)]
pub(crate) mod testutil {
    //! A sample notification for unit tests.
    use std::collections::BTreeMap;

    use crate::finding::{FindingKind, Severity, Subject};
    use crate::model::{
        Affected, Incident, IncidentState, Notification, NotifyReason, Summary, SummarySource,
    };
    use crate::snapshot::Time;
    use chrono::TimeZone;

    pub fn t(secs: i64) -> Time {
        chrono::Utc
            .timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .expect("valid time")
    }

    pub fn sample(reason: NotifyReason) -> Notification {
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), "data".to_string());
        let resolved = reason == NotifyReason::Resolved;
        Notification {
            id: "6f1c7d3e-0000-4000-8000-000000000001".into(),
            reason,
            incident: Incident {
                id: "fp123-1700000000".into(),
                fingerprint: "fp123".into(),
                cluster: "prod-eu".into(),
                kind: FindingKind::BrokerDown,
                root: Subject::Broker { id: 2 },
                title: "Broker 2 is down <!channel>".into(),
                state: if resolved {
                    IncidentState::Resolved
                } else {
                    IncidentState::Firing
                },
                severity: Severity::Critical,
                started_at: t(0),
                firing_since: Some(t(30)),
                resolved_at: resolved.then(|| t(600)),
                updated_at: t(60),
                affected: Affected {
                    brokers: vec![2],
                    topics: vec!["orders".into(), "payments".into()],
                    partition_count: 412,
                    partitions: vec![("orders".into(), 0)],
                    groups: vec!["billing".into()],
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
                impact: "acks=all producers to 3 partitions fail.".into(),
                likely_cause: "The broker process stopped or its host is unreachable.".into(),
                next_steps: vec![
                    "Check the broker host.".into(),
                    "kafka-topics.sh --describe --under-replicated-partitions".into(),
                ],
                source: SummarySource::Template,
                fallback_reason: None,
            },
            created_at: t(60),
            is_update: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::sample;
    use super::*;
    use crate::config::base::{Dur, Problems};
    use crate::finding::{FindingKind, Severity};
    use crate::model::NotifyReason;

    #[test]
    fn alertmanager_alerts_are_refreshed_before_they_resolve_by_themselves() {
        let am = |secs: u64| {
            let mut c = NotifierConfig::new("am", NotifierKind::Alertmanager, Some("http://a"));
            c.resolve_timeout = Dur::secs(secs);
            c
        };
        let webhook = NotifierConfig::new("w", NotifierKind::Webhook, Some("http://w"));
        let s = std::time::Duration::from_secs;
        assert_eq!(refresh_interval(&[]), s(60));
        assert_eq!(refresh_interval(std::slice::from_ref(&webhook)), s(60));
        assert_eq!(refresh_interval(&[am(300)]), s(60));
        // Below 120 s the old fixed 60 s refresh let alerts lapse.
        assert_eq!(refresh_interval(&[webhook, am(300), am(30)]), s(15));
        assert_eq!(
            refresh_interval(&[am(1)]),
            std::time::Duration::from_millis(500)
        );
    }

    #[test]
    fn routes_by_severity_cluster_kind_labels_and_resolved() {
        let n = sample(NotifyReason::Firing);
        let mut c = NotifierConfig::new("x", NotifierKind::Log, None);
        assert!(c.routes(&n));
        c.min_severity = Some(Severity::Critical);
        assert!(c.routes(&n));
        c.clusters = vec!["prod-.*".into()];
        assert!(c.routes(&n));
        c.clusters = vec!["prod".into()];
        assert!(!c.routes(&n), "patterns are anchored");
        c.clusters.clear();
        c.kinds = vec![FindingKind::ConsumerLag];
        assert!(!c.routes(&n));
        c.kinds = vec![FindingKind::BrokerDown];
        c.match_labels.insert("team".into(), "data".into());
        assert!(c.routes(&n));
        c.match_labels.insert("team".into(), "web".into());
        assert!(!c.routes(&n));
        c.match_labels.clear();
        c.send_resolved = false;
        assert!(!c.routes(&sample(NotifyReason::Resolved)));
        let mut low = sample(NotifyReason::Firing);
        low.incident.severity = Severity::Warning;
        c.min_severity = Some(Severity::Critical);
        assert!(!c.routes(&low));
    }

    #[test]
    fn validate_reports_every_problem_with_its_path() {
        let toml = r#"
            name = ""
            type = "webhook"
            url = "ftp://x"
            clusters = ["("]
            rate_limit = 0
            dashboard_url = "not a url"
        "#;
        let c: NotifierConfig = toml::from_str(toml).expect("parses");
        let mut p = Problems::default();
        c.validate("notifiers[0]", &mut p);
        let paths: Vec<_> = p.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "notifiers[0].name",
                "notifiers[0].url",
                "notifiers[0].secret",
                "notifiers[0].clusters[0]",
                "notifiers[0].dashboard_url",
                "notifiers[0].rate_limit",
            ]
        );
        let ok: NotifierConfig = toml::from_str(
            "name = \"a\"\ntype = \"slack\"\nurl = { env = \"SLACK_URL\" }\ntimeout = \"3s\"",
        )
        .expect("parses");
        let mut p = Problems::default();
        ok.validate("notifiers[1]", &mut p);
        assert!(p.is_empty(), "{p}");
        assert!(ok.send_resolved);
        assert!(toml::from_str::<NotifierConfig>("name = \"a\"\ntype = \"pager\"").is_err());
        assert!(
            toml::from_str::<NotifierConfig>("name = \"a\"\ntype = \"log\"\nbogus = 1").is_err()
        );
    }

    #[test]
    fn the_examples_notifiers_parse_and_validate() {
        let f =
            crate::config::parse(crate::config::example(), "example.toml").expect("example parses");
        assert_eq!(f.notifiers.len(), 4);
        let mut p = Problems::default();
        NotifierConfig::validate_all(&f.notifiers, &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn demo_notifiers_are_valid() {
        let list = demo_notifiers(
            Some("http://127.0.0.1:9000/hook"),
            "demo-secret",
            None,
            Some("http://127.0.0.1:9093"),
            Some("http://127.0.0.1:8080"),
        );
        let names: Vec<_> = list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["log", "webhook", "alertmanager"]);
        let mut p = Problems::default();
        NotifierConfig::validate_all(&list, &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn duplicate_names_are_reported() {
        let a = NotifierConfig::new("a", NotifierKind::Log, None);
        let mut p = Problems::default();
        NotifierConfig::validate_all(&[a.clone(), a], &mut p);
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0[0].path, "notifiers[1].name");
    }

    #[test]
    fn incidents_link_encodes_the_cluster() {
        assert_eq!(
            incidents_link(Some("http://h:8080/"), "prod eu").as_deref(),
            Some("http://h:8080/api/v1/clusters/prod%20eu/incidents")
        );
    }
}
