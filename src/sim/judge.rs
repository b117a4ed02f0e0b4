//! The closed-world check of a scenario run: what was notified, judged
//! against what the scenario says must and may be notified.
//!
//! A run passes when
//! 1. every `[[expect]]` is met by an incident that was notified as firing,
//!    escalated or flapping (its kind, or a kind it holds, meets the expected kind,
//!    and its subject matches);
//! 2. no expectation is raised twice: at most one firing notification per
//!    expectation among the incidents of its own kind (a flapping broker is
//!    one incident, not one per flap);
//! 3. every notification is explained by an `[[expect]]` or an `[[allow]]`;
//! 4. everything that fired was resolved by the end of the run (the last
//!    event plus the scenario's `settle` time), and nothing is still firing;
//! 5. nothing is notified resolved while the fault it stands for lasts: a
//!    resolve that only expectations explain, all of whose named recoveries
//!    (`recovery = "id"`) are still to come (a slow follower's incident "resolved" at the poll its
//!    broker went down, while it was as slow as before). A resolve that
//!    flap damping takes back (the same incident reopened as flapping) is
//!    the damping's design, not a false all-clear.
//!
//! The same judge serves the real-time end-to-end test and the
//! fast-forward runs with shipped defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::scenario::{kind_meets, Scenario};
use crate::finding::Subject;
use crate::model::{Incident, IncidentState, NotifyReason};
use crate::snapshot::BrokerId;

/// One notification of a run, at simulated time `at` since the start.
#[derive(Debug, Clone)]
pub struct Notified {
    pub at: Duration,
    pub reason: NotifyReason,
    pub incident: Incident,
}

/// What an expectation or allowance names.
struct Wanted<'a> {
    /// When the fault ends (an expectation's recovery), if it says.
    recovery: Option<Duration>,
    kind: &'a str,
    broker: Option<BrokerId>,
    group: Option<&'a str>,
    topic: Option<&'a str>,
}

impl Wanted<'_> {
    /// The incident's own kind meets this kind.
    fn kind_is(&self, i: &Incident) -> bool {
        kind_meets(self.kind, i.kind.as_str())
    }

    /// The incident's kind or a kind it holds meets this kind, and its
    /// subject matches.
    fn explains(&self, i: &Incident) -> bool {
        let kind = self.kind_is(i) || i.counts.keys().any(|k| kind_meets(self.kind, k.as_str()));
        kind && self.subject_matches(i)
    }

    /// The incident is about this subject itself: rooted at the named
    /// broker when it is rooted at a broker (an incident of broker 1 that
    /// also lists broker 2 is not broker 2's incident).
    fn is_about(&self, i: &Incident) -> bool {
        match (self.broker, &i.root) {
            (Some(b), Subject::Broker { id }) => b == *id && self.subject_matches(i),
            _ => self.subject_matches(i),
        }
    }

    fn subject_matches(&self, i: &Incident) -> bool {
        let series = match &i.root {
            Subject::Series { series } => series.as_str(),
            _ => "",
        };
        if let Some(b) = self.broker {
            let root = i.root == Subject::Broker { id: b };
            if !root && !i.affected.brokers.contains(&b) {
                return false;
            }
        }
        if let Some(g) = self.group {
            let named = i.affected.groups.iter().any(|x| x == g);
            if !named && !series.contains(&format!("group=\"{g}\"")) {
                return false;
            }
        }
        if let Some(t) = self.topic {
            let named = i.affected.topics.iter().any(|x| x == t);
            if !named && !series.contains(&format!("topic=\"{t}\"")) {
                return false;
            }
        }
        true
    }
}

fn describe(n: &Notified) -> String {
    format!(
        "{} {} {:?} at {:.1}s",
        n.reason.as_str(),
        n.incident.kind.as_str(),
        n.incident.title,
        n.at.as_secs_f64()
    )
}

/// Judges a run of `scenario`: `notified` in the order sent, `open` the
/// correlator's incidents at the end of the run. Returns every failure, as
/// sentences naming the scenario line concerned; empty when it passes.
pub fn judge(scenario: &Scenario, notified: &[Notified], open: &[Incident]) -> Vec<String> {
    let mut failures = Vec::new();
    let expects: Vec<(usize, Wanted)> = scenario
        .expect
        .iter()
        .map(|e| {
            (
                e.line,
                Wanted {
                    recovery: e.resolved_after.filter(|_| e.recovery_named),
                    kind: &e.kind,
                    broker: e.broker,
                    group: e.group.as_deref(),
                    topic: e.topic.as_deref(),
                },
            )
        })
        .collect();
    let allows: Vec<Wanted> = scenario
        .allow
        .iter()
        .map(|a| Wanted {
            recovery: None,
            kind: &a.kind,
            broker: a.broker,
            group: a.group.as_deref(),
            topic: a.topic.as_deref(),
        })
        .collect();
    let firing: Vec<&Notified> = notified
        .iter()
        .filter(|n| n.reason == NotifyReason::Firing)
        .collect();
    let raised: Vec<&Notified> = notified
        .iter()
        .filter(|n| {
            matches!(
                n.reason,
                NotifyReason::Firing | NotifyReason::Escalated | NotifyReason::Flapping
            )
        })
        .collect();

    // 1 and 2: each expectation notified, once.
    for (line, w) in &expects {
        let hits: BTreeSet<&str> = raised
            .iter()
            .filter(|n| w.explains(&n.incident))
            .map(|n| n.incident.id.as_str())
            .collect();
        if hits.is_empty() {
            failures.push(format!(
                "line {line}: expected {} was never notified",
                w.kind
            ));
        }
        let own: Vec<&&Notified> = firing
            .iter()
            .filter(|n| w.kind_is(&n.incident) && w.is_about(&n.incident))
            .collect();
        if own.len() > 1 {
            let list: Vec<String> = own.iter().map(|n| describe(n)).collect();
            failures.push(format!(
                "line {line}: {} raised {} times: {}",
                w.kind,
                own.len(),
                list.join("; ")
            ));
        }
    }

    // 3: nothing unexplained.
    for n in notified {
        let explained = expects.iter().any(|(_, w)| w.explains(&n.incident))
            || allows.iter().any(|w| w.explains(&n.incident));
        if !explained {
            failures.push(format!("unexpected notification: {}", describe(n)));
        }
    }

    // 4: everything resolved, nothing firing at the end.
    let mut last: BTreeMap<&str, &Notified> = BTreeMap::new();
    for n in notified {
        last.insert(n.incident.id.as_str(), n);
    }
    for (id, n) in &last {
        if n.reason != NotifyReason::Resolved {
            failures.push(format!(
                "incident {id} never resolved (last notification: {})",
                describe(n)
            ));
        }
    }
    for i in open {
        if i.state == IncidentState::Firing && !last.contains_key(i.id.as_str()) {
            failures.push(format!(
                "incident {} ({}, {:?}) still firing at the end of the run",
                i.id,
                i.kind.as_str(),
                i.title
            ));
        }
    }

    // 5: no resolve while the fault lasts.
    for (i, n) in notified.iter().enumerate() {
        let reopened = notified[i + 1..]
            .iter()
            .any(|m| m.incident.id == n.incident.id && m.reason != NotifyReason::Resolved);
        if n.reason != NotifyReason::Resolved
            || reopened
            || allows.iter().any(|w| w.explains(&n.incident))
        {
            continue;
        }
        let lasting: Vec<(usize, Duration)> = expects
            .iter()
            .filter(|(_, w)| w.explains(&n.incident))
            .map(|(line, w)| Some((*line, w.recovery.filter(|r| n.at < *r)?)))
            .collect::<Option<_>>()
            .unwrap_or_default();
        if let Some((line, until)) = lasting.first() {
            failures.push(format!(
                "line {line}: {} while its fault lasts (until {:.1}s)",
                describe(n),
                until.as_secs_f64()
            ));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Dur;
    use crate::finding::{Finding, FindingKind, Severity};
    use crate::incident::{Correlator, IncidentConfig, IncidentManager, Silences};
    use chrono::TimeZone;

    const SCENARIO: &str = r#"
[cluster]
brokers = 3

[[events]]
at = "10s"
action = "broker_down"
broker = 2
duration = "30s"

[[expect]]
kind = "broker_down"
broker = 2
raised_within = "10s"
recovery = "up"

[[allow]]
kind = "consumer_lag"
group = "billing"
reason = "the spike is more than billing can consume"

[[events]]
id = "up"
at = "40s"
action = "broker_up"
broker = 2
"#;

    fn down(id: i32) -> Finding {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Finding::new(
            "c",
            FindingKind::BrokerDown,
            Severity::Critical,
            Subject::Broker { id },
            t0,
        )
        .with_brokers([id])
    }

    /// Runs findings per simulated second through a real incident manager
    /// (no recovery hold, no flap damping: a second outage is paged again)
    /// and judges what it notified.
    fn judged(steps: &[(u64, Vec<Finding>)]) -> Vec<String> {
        let scenario = Scenario::parse(SCENARIO, "test.toml").unwrap();
        let cfg = IncidentConfig {
            broker_recovery_hold: Dur::secs(0),
            flap_threshold: 0,
            ..Default::default()
        };
        let mut m = IncidentManager::new(&cfg, Silences::new());
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut notified = Vec::new();
        for (sec, findings) in steps {
            let now = t0 + chrono::Duration::seconds(*sec as i64);
            for (incident, reason) in m.ingest("c", findings, now) {
                notified.push(Notified {
                    at: Duration::from_secs(*sec),
                    reason,
                    incident,
                });
            }
        }
        judge(&scenario, &notified, &m.incidents())
    }

    #[test]
    fn the_expected_fault_raised_once_and_resolved_passes() {
        let f = judged(&[(10, vec![down(2)]), (20, vec![down(2)]), (40, vec![])]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn anything_else_notified_fails() {
        let f = judged(&[(10, vec![down(2), down(3)]), (40, vec![])]);
        assert_eq!(f.len(), 2, "{f:?}"); // broker 3's firing and its resolve
        assert!(f[0].starts_with("unexpected notification: firing broker_down"));
    }

    #[test]
    fn a_fault_raised_twice_fails() {
        let f = judged(&[
            (10, vec![down(2)]),
            (20, vec![]),
            (30, vec![down(2)]),
            (40, vec![]),
        ]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("broker_down raised 2 times"), "{f:?}");
        // Its first resolve came while the broker was still down (10-40 s).
        assert!(
            f[1].starts_with("line 11: resolved broker_down \"Broker 2 is back on c\" at 20.0s while its fault lasts (until 40.0s)"),
            "{f:?}"
        );
    }

    #[test]
    fn a_resolve_taken_back_as_flapping_is_not_a_false_all_clear() {
        // Flap damping on (two starts): the second outage reopens the
        // first incident as flapping, so its resolve at 20 s is taken back.
        let scenario = Scenario::parse(SCENARIO, "test.toml").unwrap();
        let cfg = IncidentConfig {
            broker_recovery_hold: Dur::secs(0),
            flap_threshold: 2,
            flap_quiet: Dur::secs(5),
            ..Default::default()
        };
        let mut m = IncidentManager::new(&cfg, Silences::new());
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut notified = Vec::new();
        for (sec, findings) in [
            (10, vec![down(2)]),
            (20, vec![]),
            (30, vec![down(2)]),
            (40, vec![]),
            (50, vec![]),
        ] {
            let now = t0 + chrono::Duration::seconds(sec);
            for (incident, reason) in m.ingest("c", &findings, now) {
                notified.push(Notified {
                    at: Duration::from_secs(sec as u64),
                    reason,
                    incident,
                });
            }
        }
        let reasons: Vec<NotifyReason> = notified.iter().map(|n| n.reason).collect();
        assert_eq!(
            reasons,
            [
                NotifyReason::Firing,
                NotifyReason::Resolved,
                NotifyReason::Flapping,
                NotifyReason::Resolved
            ]
        );
        let f = judge(&scenario, &notified, &m.incidents());
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_fault_never_notified_or_never_resolved_fails() {
        let f = judged(&[(10, vec![])]);
        assert_eq!(f, vec!["line 11: expected broker_down was never notified"]);
        let f = judged(&[(10, vec![down(2)]), (40, vec![down(2)])]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("never resolved"), "{f:?}");
    }

    #[test]
    fn an_allowance_needs_a_reason_and_a_known_kind() {
        let no_reason = SCENARIO.replace("the spike is more than billing can consume", " ");
        let e = Scenario::parse(&no_reason, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml:17: allow[0].reason"), "{e}");
        let bad_kind = SCENARIO.replace("kind = \"consumer_lag\"", "kind = \"lagging\"");
        let e = Scenario::parse(&bad_kind, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("allow[0].kind: unknown finding kind"), "{e}");
    }
}
