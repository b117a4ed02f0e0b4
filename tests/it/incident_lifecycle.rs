//! Incident lifecycle with explicit `now`: for-durations, escalation,
//! reminders, flap damping, silences and maintenance windows.

use chrono::{TimeZone, Utc};
use isrwatch::config::Dur;
use isrwatch::finding::{Finding, FindingKind, Severity, Subject};
use isrwatch::incident::{
    Correlator, IncidentConfig, IncidentManager, Matcher, SilenceSpec, Silences,
};
use isrwatch::model::{IncidentState, NotifyReason};
use isrwatch::snapshot::Time;

/// 2026-11-21 is a Saturday.
fn t(secs: i64) -> Time {
    Utc.with_ymd_and_hms(2026, 11, 21, 1, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn urp(sev: Severity, n: i32, since: Time) -> Vec<Finding> {
    (0..n)
        .map(|p| {
            Finding::new(
                "prod",
                if sev == Severity::Critical {
                    FindingKind::UnderMinIsr
                } else {
                    FindingKind::UnderReplicated
                },
                sev,
                Subject::Partition {
                    topic: "orders".into(),
                    partition: p,
                },
                since,
            )
            .with_brokers([3])
        })
        .collect()
}

fn down(id: i32, at: Time) -> Vec<Finding> {
    vec![Finding::new(
        "prod",
        FindingKind::BrokerDown,
        Severity::Critical,
        Subject::Broker { id },
        at,
    )]
}

/// The shipped settings, except that a broker-down incident resolves on the
/// first poll without findings: these tests use broker-down findings for the
/// lifecycle in general; the recovery hold has its own tests
/// (incident_grouping.rs).
fn base() -> IncidentConfig {
    IncidentConfig {
        broker_recovery_hold: Dur::secs(0),
        ..IncidentConfig::default()
    }
}

fn reasons(out: &[(isrwatch::model::Incident, NotifyReason)]) -> Vec<NotifyReason> {
    out.iter().map(|(_, r)| *r).collect()
}

#[test]
fn warning_waits_for_its_for_duration() {
    let mut m = IncidentManager::new(&base(), Silences::new());
    // Default for_warning = 30s, counted from the findings' `since`.
    assert!(m
        .ingest("prod", &urp(Severity::Warning, 3, t(0)), t(0))
        .is_empty());
    assert_eq!(m.incidents()[0].state, IncidentState::Pending);
    assert!(m
        .ingest("prod", &urp(Severity::Warning, 3, t(0)), t(15))
        .is_empty());
    let out = m.ingest("prod", &urp(Severity::Warning, 3, t(0)), t(30));
    assert_eq!(reasons(&out), vec![NotifyReason::Firing]);
    assert_eq!(out[0].0.firing_since, Some(t(30)));
    assert_eq!(out[0].0.started_at, t(0));
}

#[test]
fn pending_incident_that_clears_is_dropped_silently() {
    let mut m = IncidentManager::new(&base(), Silences::new());
    assert!(m
        .ingest("prod", &urp(Severity::Warning, 3, t(0)), t(0))
        .is_empty());
    assert!(m.ingest("prod", &[], t(15)).is_empty());
    assert!(m.incidents().is_empty());
}

#[test]
fn resolve_after_waits() {
    let cfg = IncidentConfig {
        resolve_after: Dur::secs(30),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    assert_eq!(m.ingest("prod", &down(2, t(0)), t(0)).len(), 1);
    assert!(m.ingest("prod", &[], t(15)).is_empty());
    // Back before resolve_after: still the same incident, no notification.
    assert!(m.ingest("prod", &down(2, t(0)), t(30)).is_empty());
    assert!(m.ingest("prod", &[], t(45)).is_empty());
    assert!(m.ingest("prod", &[], t(60)).is_empty());
    let out = m.ingest("prod", &[], t(75));
    assert_eq!(reasons(&out), vec![NotifyReason::Resolved]);
}

#[test]
fn escalation_and_de_escalation_stay_in_one_incident() {
    let cfg = IncidentConfig {
        for_warning: Dur::secs(0),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let out = m.ingest("prod", &urp(Severity::Warning, 5, t(0)), t(0));
    assert_eq!(reasons(&out), vec![NotifyReason::Firing]);
    let id = out[0].0.id.clone();

    let mut worse = urp(Severity::Warning, 5, t(0));
    worse.extend(urp(Severity::Critical, 1, t(15)));
    let out = m.ingest("prod", &worse, t(15));
    assert_eq!(reasons(&out), vec![NotifyReason::Escalated]);
    assert_eq!(out[0].0.id, id);
    assert_eq!(out[0].0.severity, Severity::Critical);
    // Unchanged: nothing.
    assert!(m.ingest("prod", &worse, t(30)).is_empty());

    // Better again: notified once the lower severity has held for
    // `de_escalate_after` (2m), not at the poll it fell.
    for s in (45..165).step_by(15) {
        let out = m.ingest("prod", &urp(Severity::Warning, 5, t(0)), t(s));
        assert!(out.is_empty(), "at {s} s: {out:#?}");
    }
    let out = m.ingest("prod", &urp(Severity::Warning, 5, t(0)), t(165));
    assert_eq!(reasons(&out), vec![NotifyReason::DeEscalated]);
    assert_eq!(out[0].0.id, id);
    assert_eq!(out[0].0.severity, Severity::Warning);
    let events: Vec<&str> = out[0].0.timeline.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        vec!["opened", "firing", "escalated", "de_escalated"]
    );
}

#[test]
fn a_lower_severity_that_does_not_hold_is_not_notified() {
    let cfg = IncidentConfig {
        for_warning: Dur::secs(0),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let mut worse = urp(Severity::Warning, 5, t(0));
    worse.extend(urp(Severity::Critical, 1, t(0)));
    let fired = m.ingest("prod", &worse, t(0));
    assert_eq!(reasons(&fired), vec![NotifyReason::Firing]);
    // Warning for a minute, then critical again: nothing to say.
    for s in (15..75).step_by(15) {
        assert!(m
            .ingest("prod", &urp(Severity::Warning, 5, t(0)), t(s))
            .is_empty());
    }
    assert!(m.ingest("prod", &worse, t(75)).is_empty());
    // Warning again from 90 s: the hold starts over, so 200 s is early.
    for s in (90..210).step_by(15) {
        assert!(m
            .ingest("prod", &urp(Severity::Warning, 5, t(0)), t(s))
            .is_empty());
    }
    // Gone at 210 s: one resolve says it all. It names the severity the
    // incident had at its end, under the title receivers were paged with.
    let out = m.ingest("prod", &[], t(210));
    assert_eq!(reasons(&out), vec![NotifyReason::Resolved]);
    assert_eq!(out[0].0.severity, Severity::Warning);
    assert!(
        fired[0].0.title.contains("under min ISR"),
        "{}",
        fired[0].0.title
    );
    assert_eq!(out[0].0.title, fired[0].0.title);
}

#[test]
fn reminder_after_renotify_interval() {
    let cfg = IncidentConfig {
        renotify_interval: Dur::secs(3600),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    assert_eq!(
        reasons(&m.ingest("prod", &down(1, t(0)), t(0))),
        vec![NotifyReason::Firing]
    );
    assert!(m.ingest("prod", &down(1, t(0)), t(3599)).is_empty());
    assert_eq!(
        reasons(&m.ingest("prod", &down(1, t(0)), t(3600))),
        vec![NotifyReason::Reminder]
    );
    assert!(m.ingest("prod", &down(1, t(0)), t(3615)).is_empty());
    assert_eq!(
        reasons(&m.ingest("prod", &down(1, t(0)), t(7200))),
        vec![NotifyReason::Reminder]
    );
}

#[test]
fn flapping_is_notified_once_then_held_open_until_stable() {
    // Defaults: flap_threshold 3 within 1h, quiet 15m; a broker's own
    // outage (a restart loop) flaps at its second start.
    let mut m = IncidentManager::new(&base(), Silences::new());
    let mut sent = Vec::new();
    // Broker 4 goes up and down every poll for 10 minutes.
    for i in 0..40 {
        let now = t(15 * i);
        let fs = if i % 2 == 0 { down(4, now) } else { vec![] };
        sent.extend(m.ingest("prod", &fs, now));
    }
    // One full cycle is notified; the second start reopens the incident
    // as flapping (one notification), which then stays open.
    assert_eq!(
        reasons(&sent),
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Flapping,
        ]
    );
    assert_eq!(sent[2].0.id, sent[0].0.id);
    let open: Vec<_> = m
        .incidents()
        .into_iter()
        .filter(|i| i.state == IncidentState::Firing)
        .collect();
    assert_eq!(open.len(), 1);
    assert!(open[0].flapping);

    // It stays down: after 15 quiet minutes it is stable, still firing,
    // and nothing more is sent (the flapping notification said it is down).
    let mut later = Vec::new();
    for i in 40..120 {
        let now = t(15 * i);
        later.extend(reasons(&m.ingest("prod", &down(4, now), now)));
    }
    assert!(later.is_empty(), "{later:?}");
    let inc = m
        .incidents()
        .into_iter()
        .find(|i| i.state == IncidentState::Firing)
        .unwrap();
    assert!(!inc.flapping);
    assert!(inc.timeline.iter().any(|e| e.event == "reopened"));
    assert!(inc.timeline.iter().any(|e| e.event == "flapping"));
    assert!(inc.timeline.iter().any(|e| e.event == "stable"));
}

#[test]
fn flapping_that_settles_is_resolved_once_after_the_quiet_time() {
    let mut m = IncidentManager::new(&base(), Silences::new());
    let mut sent = Vec::new();
    for i in 0..6 {
        let now = t(15 * i);
        let fs = if i % 2 == 0 { down(4, now) } else { vec![] };
        sent.extend(
            m.ingest("prod", &fs, now)
                .into_iter()
                .map(|(i, r)| (i, r, now)),
        );
    }
    for i in 6..100 {
        let now = t(15 * i);
        sent.extend(
            m.ingest("prod", &[], now)
                .into_iter()
                .map(|(i, r)| (i, r, now)),
        );
    }
    let what: Vec<NotifyReason> = sent.iter().map(|(_, r, _)| *r).collect();
    assert_eq!(
        what,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Flapping,
            NotifyReason::Resolved,
        ]
    );
    // Gone since t(75): resolved 15 quiet minutes later, and announced
    // (its flapping was), never a silent end.
    assert_eq!(sent[3].2, t(75 + 900));
    assert_eq!(sent[3].0.id, sent[2].0.id);
    assert!(m
        .incidents()
        .iter()
        .all(|i| i.state == IncidentState::Resolved));
}

#[test]
fn a_new_flapping_occurrence_without_a_recent_incident_is_still_notified() {
    // Resolved incidents are forgotten at once: the third start cannot
    // reopen one, so it is the flapping occurrence itself, notified once.
    let cfg = IncidentConfig {
        max_resolved: 0,
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let mut sent = Vec::new();
    for i in 0..100 {
        let now = t(15 * i);
        let fs = if i < 6 && i % 2 == 0 {
            down(4, now)
        } else {
            vec![]
        };
        sent.extend(reasons(&m.ingest("prod", &fs, now)));
    }
    assert_eq!(
        sent,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Flapping,
            NotifyReason::Resolved,
        ]
    );
}

#[test]
fn silence_holds_then_releases_firing() {
    let silences = Silences::new();
    let mut m = IncidentManager::new(&base(), silences.clone());
    // Through another handle, as the HTTP API would.
    let api = silences.clone();
    let s = api
        .add(
            SilenceSpec {
                matchers: vec![
                    Matcher::eq("cluster", "prod"),
                    Matcher::regex("broker", "[12]"),
                ],
                starts_at: t(0),
                ends_at: t(600),
                created_by: "alice".into(),
                comment: "rolling restart".into(),
            },
            t(0),
        )
        .unwrap();
    assert_eq!(api.list(t(0)).len(), 1);

    // Broker 2 matches: visible but silent. Broker 5 does not match.
    let mut fs = down(2, t(0));
    fs.extend(down(5, t(0)));
    let out = m.ingest("prod", &fs, t(0));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.root, Subject::Broker { id: 5 });
    let silenced = m
        .incidents()
        .into_iter()
        .find(|i| i.root == Subject::Broker { id: 2 })
        .unwrap();
    assert_eq!(silenced.silenced_by.as_deref(), Some(s.id.as_str()));
    assert_eq!(silenced.state, IncidentState::Firing);

    assert!(m.ingest("prod", &fs, t(300)).is_empty());
    // The silence expires while broker 2 is still down: notified now.
    let out = m.ingest("prod", &fs, t(600));
    assert_eq!(reasons(&out), vec![NotifyReason::Firing]);
    assert_eq!(out[0].0.root, Subject::Broker { id: 2 });
    assert_eq!(out[0].0.silenced_by, None);
    assert!(api.list(t(600)).is_empty());
    assert_eq!(api.expire(t(600)), 1);
}

#[test]
fn silenced_incident_that_resolves_is_never_notified() {
    let silences = Silences::new();
    let mut m = IncidentManager::new(&base(), silences.clone());
    let s = silences
        .add(
            SilenceSpec {
                matchers: vec![Matcher::eq("kind", "broker_down")],
                starts_at: t(0),
                ends_at: t(3600),
                created_by: "bob".into(),
                comment: String::new(),
            },
            t(0),
        )
        .unwrap();
    assert!(m.ingest("prod", &down(1, t(0)), t(0)).is_empty());
    assert!(m.ingest("prod", &[], t(15)).is_empty());
    // Removing the silence through the API.
    assert!(silences.remove(&s.id));
    assert!(!silences.remove(&s.id));
    assert!(m.ingest("prod", &[], t(30)).is_empty());
}

#[test]
fn escalation_under_silence_is_sent_when_it_ends() {
    let cfg = IncidentConfig {
        for_warning: Dur::secs(0),
        ..base()
    };
    let silences = Silences::new();
    let mut m = IncidentManager::new(&cfg, silences.clone());
    assert_eq!(
        reasons(&m.ingest("prod", &urp(Severity::Warning, 2, t(0)), t(0))),
        vec![NotifyReason::Firing]
    );
    let s = silences
        .add(
            SilenceSpec {
                matchers: vec![Matcher::eq("cluster", "prod")],
                starts_at: t(10),
                ends_at: t(3600),
                created_by: "c".into(),
                comment: String::new(),
            },
            t(10),
        )
        .unwrap();
    let mut worse = urp(Severity::Warning, 2, t(0));
    worse.extend(urp(Severity::Critical, 1, t(15)));
    assert!(m.ingest("prod", &worse, t(15)).is_empty());
    silences.remove(&s.id);
    assert_eq!(
        reasons(&m.ingest("prod", &worse, t(30))),
        vec![NotifyReason::Escalated]
    );
}

#[test]
fn maintenance_window_from_config() {
    let cfg: IncidentConfig = {
        #[derive(serde::Deserialize)]
        struct Wrap {
            incidents: IncidentConfig,
        }
        toml::from_str::<Wrap>(
            r#"
[incidents]
[[incidents.maintenance]]
name = "patching"
cluster = "prod"
days = ["sat"]
start = "00:30"
duration = "2h"

[[incidents.silences]]
matchers = [{ label = "cluster", value = "staging" }]
duration = "1h"
comment = "load test"
"#,
        )
        .unwrap()
        .incidents
    };
    let mut problems = isrwatch::config::Problems::default();
    cfg.validate("incidents", &mut problems);
    assert!(problems.is_empty(), "{problems}");
    let silences = Silences::from_config(&cfg, t(0)).unwrap();
    assert_eq!(silences.list(t(0))[0].id, "config-0");
    assert_eq!(silences.list(t(0))[0].ends_at, t(3600));
    let mut m = IncidentManager::new(&cfg, silences);

    // Saturday 01:00 UTC is inside the window: held.
    assert!(m.ingest("prod", &down(2, t(0)), t(0)).is_empty());
    let inc = &m.incidents()[0];
    assert_eq!(inc.silenced_by.as_deref(), Some("maintenance-patching"));
    // Another cluster is not in maintenance, but the staging silence mutes it.
    let mut staging = down(2, t(0));
    staging[0].cluster = "staging".into();
    assert!(m.ingest("staging", &staging, t(0)).is_empty());
    let mut other = down(2, t(0));
    other[0].cluster = "dev".into();
    assert_eq!(m.ingest("dev", &other, t(0)).len(), 1);

    // The window closes at 02:30 while the broker is still down: notified then.
    assert!(m.ingest("prod", &down(2, t(0)), t(5399)).is_empty());
    let out = m.ingest("prod", &down(2, t(0)), t(5400));
    assert_eq!(reasons(&out), vec![NotifyReason::Firing]);
}

#[test]
fn resolved_incidents_are_retained_then_dropped() {
    let cfg = IncidentConfig {
        retain_resolved: Dur::secs(600),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    m.ingest("prod", &down(1, t(0)), t(0));
    m.ingest("prod", &[], t(15));
    assert_eq!(m.incidents().len(), 1);
    m.ingest("prod", &[], t(600));
    assert_eq!(m.incidents().len(), 1);
    m.ingest("prod", &[], t(615));
    assert!(m.incidents().is_empty());
}

#[test]
fn resolve_of_an_announced_incident_is_sent_even_under_a_silence() {
    let silences = Silences::new();
    let mut m = IncidentManager::new(&base(), silences.clone());
    assert_eq!(m.ingest("prod", &down(1, t(0)), t(0)).len(), 1);
    silences
        .add(
            SilenceSpec {
                matchers: vec![Matcher::eq("broker", "1")],
                starts_at: t(5),
                ends_at: t(3600),
                created_by: "d".into(),
                comment: String::new(),
            },
            t(5),
        )
        .unwrap();
    assert!(m.ingest("prod", &down(1, t(0)), t(15)).is_empty());
    // Receivers opened it, so they hear that it ended.
    assert_eq!(
        reasons(&m.ingest("prod", &[], t(30))),
        vec![NotifyReason::Resolved]
    );
}

#[test]
fn each_occurrence_gets_its_own_id() {
    let mut m = IncidentManager::new(&base(), Silences::new());
    // The evaluator reports the same `since` both times. The second
    // occurrence comes after `flap_window` (within it, the same broker down
    // again reopens the first as flapping).
    let first = m.ingest("prod", &down(1, t(0)), t(0))[0].0.clone();
    m.ingest("prod", &[], t(15));
    let second = m.ingest("prod", &down(1, t(0)), t(3700))[0].0.clone();
    assert_eq!(first.fingerprint, second.fingerprint);
    assert_ne!(first.id, second.id);
    assert_eq!(second.started_at, t(3700));
}

/// A broker down again within the hour after its "back" is a restart loop:
/// its second start reopens it as flapping. Other incidents keep
/// `flap_threshold` (3): the metadata quorum degraded by one voter, then by
/// another, is two events of one fingerprint, each paged and resolved.
#[test]
fn only_a_broker_flaps_at_its_second_start() {
    let quorum = |voter: i32, at: Time| {
        vec![Finding::new(
            "prod",
            FindingKind::QuorumLag,
            Severity::Warning,
            Subject::Broker { id: voter },
            at,
        )]
    };
    let cfg = IncidentConfig {
        for_warning: Dur::secs(0),
        ..base()
    };
    let mut m = IncidentManager::new(&cfg, Silences::new());
    let mut sent = Vec::new();
    sent.extend(reasons(&m.ingest("prod", &quorum(2, t(0)), t(0))));
    sent.extend(reasons(&m.ingest("prod", &[], t(120))));
    sent.extend(reasons(&m.ingest("prod", &quorum(3, t(240)), t(240))));
    sent.extend(reasons(&m.ingest("prod", &[], t(360))));
    assert_eq!(
        sent,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Firing,
            NotifyReason::Resolved,
        ]
    );

    let mut m = IncidentManager::new(&cfg, Silences::new());
    let mut sent = Vec::new();
    sent.extend(reasons(&m.ingest("prod", &down(2, t(0)), t(0))));
    sent.extend(reasons(&m.ingest("prod", &[], t(120))));
    sent.extend(reasons(&m.ingest("prod", &down(2, t(240)), t(240))));
    assert_eq!(
        sent,
        vec![
            NotifyReason::Firing,
            NotifyReason::Resolved,
            NotifyReason::Flapping,
        ]
    );
}
