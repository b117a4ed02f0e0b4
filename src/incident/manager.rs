//! [`IncidentManager`]: the [`Correlator`] that turns each evaluation's
//! findings into incidents and decides what to notify.
//!
//! Lifecycle of one incident (one fingerprint, one occurrence):
//!
//! - **pending**: its group appeared. It fires once it has existed for the
//!   `for` duration of its kind / severity (counted from the earliest
//!   `since` of its findings). If its findings vanish while pending it is
//!   dropped without a word.
//! - **firing**: notified once (`Firing`); then `Escalated` /
//!   `DeEscalated` when its severity differs from the last notified one
//!   (`DeEscalated` only once the lower severity has held for
//!   `de_escalate_after`: a resolve or a return to the notified severity
//!   within it sends nothing more)
//!   (`Escalated` also when its partitions got worse than last notified:
//!   under min ISR, offline, held at two evaluations in a row),
//!   `Reminder` every `renotify_interval`.
//! - **escalated into an outage**: a broker with a firing incident of its
//!   own (slow follower, failed log dir, not answering, lagging voter)
//!   goes down, and its findings move to the outage's group: that incident
//!   follows the outage's group from then on (`Tracked::follows`), notified
//!   `Escalated` ("Broker N is down"), keeping its id and its Alertmanager
//!   identity (`Incident::keyed_by`). One story, not a "resolved" at the
//!   poll where a second incident fires.
//! - **recovering** (broker-down incidents): the broker is back; replicas
//!   catching up, leaders moving back and the like join the incident (not a
//!   new one), and a change of severity or worse partitions meanwhile is
//!   not notified (what gets worse then misses another broker too, and
//!   that broker's incident tells it). It resolves
//!   once none of that remains for `broker_recovery_hold`, so a broker that
//!   fails again within it stays one incident.
//! - **resolved**: no finding of its group for `resolve_after`. `Resolved`
//!   is sent when its firing was notified (even under a silence, so that
//!   receivers close what they opened). Kept for `retain_resolved`.
//!
//! Flap damping: every start of a fingerprint is remembered for
//! `flap_window`: an incident starting to fire, and an open firing incident
//! whose findings come back (a broker down again during its recovery hold).
//! An incident about the whole cluster counts a start per broker, topic and
//! group it affects ([`flap_keys`]): two voters of the metadata quorum
//! lagging in turn are two faults, one voter lagging again is a flap.
//! The start that reaches `flap_threshold` makes the fingerprint flap. If an
//! incident of it resolved within `flap_window`, that incident is reopened
//! (a slowly flapping broker, up longer than the recovery hold between
//! outages, stays one incident instead of paging once per outage);
//! otherwise the new occurrence is the flapping one. A flapping incident is
//! notified once (`Flapping`, unless silenced) and does not resolve while
//! its findings come and go. Once nothing changed for `flap_quiet` it is
//! stable: `Resolved` if it is gone, otherwise it stays firing (`Firing`
//! first if nothing of it was announced, e.g. under a silence). So the last
//! word about a flapping broker is never "back" while it keeps crashing
//! within `flap_quiet`. Its starts stay remembered for `flap_window` after
//! that: a broker crashing more slowly (every 20 minutes) says "back" in
//! between, and each crash reopens the same incident as flapping.
//! Restarts within an open incident count the same way: a broker failing
//! again before its incident resolved (within its catch-up or recovery
//! hold) makes it flapping at the start that reaches `flap_threshold`, so
//! a broker that crashes six times in 20 minutes, never caught up for the
//! hold in between, is held until `flap_quiet` too, not "back" two minutes
//! after its last crash.
//!
//! Silences: a matching silence or maintenance window sets `silenced_by`
//! and holds `Firing` / `Escalated` / `DeEscalated` / `Reminder`. Because
//! notifications compare the current state with the last *notified* state,
//! whatever is still true when the silence ends is sent then.
//!
//! An unreachable cluster: its other open incidents are frozen (not
//! resolved, not notified) until the cluster answers again, so an outage
//! of the monitor's view does not turn into a storm of resolves. When it
//! answers again, brokers still down and replicas still catching up stay
//! in the cluster's incident (group.rs, rule 1; it resolves after
//! `broker_recovery_hold` like a broker's), so a whole-cluster restart is
//! one page, not one per broker still starting.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use super::config::IncidentConfig;
use super::correlator::Correlator;
use super::group::{
    affected, fingerprint, fold_return, group_findings, is_never_active_incident, labels,
    replication_rank, retired, returned, title, Group,
};
use super::saved::{SavedState, Tracked};
use super::silence::{chrono_dur, Silences};
use crate::finding::{Finding, FindingKind, Severity, Subject};
use crate::model::{Affected, Incident, IncidentState, NotifyReason, TimelineEvent};
use crate::snapshot::{BrokerId, Time};

/// A broker down again within `flap_window` after its incident resolved
/// ("back") is a restart loop: its second start already reopens that
/// incident as flapping, whatever `flap_threshold` says for other
/// incidents. A broker's fingerprint is that broker alone, so a second
/// start is the same broker failing again; other fingerprints can stand
/// for different subjects (two topics stopping an hour apart, a topic
/// whose producers stop twice), and keep the general threshold.
const RESTART_LOOP_STARTS: usize = 2;

/// At most this many timeline entries per incident (the first, `opened`, is kept).
const MAX_TIMELINE: usize = 100;

/// Groups findings into incidents, runs their lifecycle, applies silences.
/// One manager serves every cluster; call [`Correlator::ingest`] once per
/// cluster per evaluation.
#[derive(Debug)]
pub struct IncidentManager {
    cfg: IncidentConfig,
    silences: Silences,
    /// Open incidents by fingerprint.
    open: BTreeMap<String, Tracked>,
    /// Resolved incidents, oldest first.
    resolved: VecDeque<Incident>,
    /// Starts of firing per fingerprint, within `flap_window`.
    firings: HashMap<String, VecDeque<Time>>,
    /// Per cluster and broker, since when partitions have named it missing
    /// without a break: a new incident about a broker counts its pending
    /// time from then, not from the older `since` of a partition that was
    /// missing another broker before (hunt 20, W1).
    missing_since: HashMap<(String, BrokerId), Time>,
    /// Per cluster and broker, when its last outage began (its
    /// `broker_down` finding's `since`), kept while its incident is open:
    /// grouping gives a partition missing two brokers to the outage that
    /// began last, also once that broker is back and catching up.
    down_since: HashMap<(String, BrokerId), Time>,
}

/// The keys flap damping counts a start of fingerprint `fp` under: the
/// fingerprint itself, but for an incident about the whole cluster (one
/// fingerprint for several subjects: the metadata quorum's voters, the
/// cluster's groups never seen with members) one per broker, topic and
/// consumer group it affects, so that only starts that share one of them
/// are a flap. With `flap_threshold = 2`, voter 3 stopping two minutes
/// after voter 2 had caught up reopened voter 2's incident as flapping,
/// held for `flap_quiet` after the quorum was healthy (hunt 22, W5).
/// `affected` is asked only for such an incident.
fn flap_keys(fp: &str, root: &Subject, affected: impl FnOnce() -> Affected) -> Vec<String> {
    let affected = match root {
        Subject::Cluster => affected(),
        _ => return vec![fp.to_string()],
    };
    let subjects: Vec<String> = affected
        .brokers
        .iter()
        .map(|b| format!("broker {b}"))
        .chain(affected.topics.iter().map(|t| format!("topic {t}")))
        .chain(affected.groups.iter().map(|g| format!("group {g}")))
        .collect();
    if subjects.is_empty() {
        return vec![fp.to_string()];
    }
    subjects
        .into_iter()
        .map(|s| format!("{fp}\u{0}{s}"))
        .collect()
}

fn elapsed(now: Time, since: Time) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

fn push_event(incident: &mut Incident, at: Time, event: &str, detail: String) {
    if incident.timeline.len() >= MAX_TIMELINE {
        incident.timeline.remove(1);
    }
    incident.timeline.push(TimelineEvent {
        at,
        event: event.to_string(),
        detail,
    });
}

/// An incident with nothing notified yet, tracked from `now`.
fn tracked(incident: Incident, group: &Group<'_>, now: Time, recovering: bool) -> Tracked {
    Tracked {
        incident,
        key_kind: group.key_kind,
        absent_since: None,
        notified_firing: false,
        notified_severity: Severity::Info,
        last_notified_at: None,
        last_change: now,
        recovering,
        partition_rank: group.partition_rank(),
        notified_partition_rank: 0,
        worse_since: None,
        notified_flapping: false,
        follows: None,
        lower_since: None,
        notified_title: None,
    }
}

fn mark_flapping(cfg: &IncidentConfig, incident: &mut Incident, now: Time) {
    incident.flapping = true;
    push_event(
        incident,
        now,
        "flapping",
        format!(
            "started {} times within {}: held open until stable for {}",
            cfg.flap_threshold,
            humantime::format_duration(cfg.flap_window.0),
            humantime::format_duration(cfg.flap_quiet.0)
        ),
    );
}

impl IncidentManager {
    /// A manager with these settings, reading `silences` (share a clone of
    /// the same store with the HTTP API).
    pub fn new(cfg: &IncidentConfig, silences: Silences) -> Self {
        IncidentManager {
            cfg: cfg.clone(),
            silences,
            open: BTreeMap::new(),
            resolved: VecDeque::new(),
            firings: HashMap::new(),
            missing_since: HashMap::new(),
            down_since: HashMap::new(),
        }
    }

    /// Everything the manager remembers, for the daemon to save (e.g. as
    /// JSON) at shutdown or after each poll, so that a restart neither
    /// re-announces incidents already notified nor forgets to resolve them.
    pub fn export_state(&self) -> SavedState {
        SavedState {
            open: self.open.values().cloned().collect(),
            resolved: self.resolved.iter().cloned().collect(),
            firings: self
                .firings
                .iter()
                .map(|(fp, starts)| (fp.clone(), starts.iter().copied().collect()))
                .collect(),
        }
    }

    /// Loads what [`IncidentManager::export_state`] saved, replacing the
    /// current memory. Call before the first `ingest`.
    pub fn restore_state(&mut self, saved: SavedState) {
        self.open = saved
            .open
            .into_iter()
            .map(|t| (t.incident.fingerprint.clone(), t))
            .collect();
        self.resolved = saved.resolved.into();
        self.firings = saved
            .firings
            .into_iter()
            .map(|(fp, starts)| (fp, starts.into()))
            .collect();
    }

    /// The silence store this manager reads.
    pub fn silences(&self) -> &Silences {
        &self.silences
    }

    /// Builds the incident fields that follow from a group's members.
    fn apply_group(&self, incident: &mut Incident, cluster: &str, group: &Group<'_>, now: Time) {
        let max = self.cfg.max_listed.max(1);
        let affected = affected(group, max);
        let severity = group.severity();
        incident.kind = group.kind;
        incident.title = title(cluster, group, &affected);
        let mut counts = BTreeMap::new();
        for f in &group.members {
            *counts.entry(f.kind).or_insert(0usize) += 1;
        }
        incident.counts = counts;
        incident.findings = group
            .members
            .iter()
            .take(max)
            .map(|f| (*f).clone())
            .collect();
        if severity != incident.severity {
            let event = if severity > incident.severity {
                "escalated"
            } else {
                "de_escalated"
            };
            push_event(
                incident,
                now,
                event,
                format!("severity {} -> {severity}", incident.severity),
            );
            incident.severity = severity;
        }
        incident.labels = labels(
            cluster,
            group.kind,
            severity,
            &incident.fingerprint,
            &incident.root,
            &affected,
        );
        incident.affected = affected;
        incident.updated_at = now;
    }

    /// Notes in the timeline when a broker-down incident's broker comes back
    /// (or goes down again while catching up); true when it went down again.
    fn track_recovery(t: &mut Tracked, group: &Group<'_>, now: Time) -> bool {
        t.partition_rank = group.partition_rank();
        let recovering = group.recovering();
        let down_again = t.recovering && !recovering;
        if recovering != t.recovering {
            let cluster = t.key_kind == FindingKind::ClusterUnreachable;
            let (event, detail) = match (recovering, cluster) {
                (true, false) => (
                    "recovering",
                    "the broker is back; waiting for it to catch up",
                ),
                (true, true) => (
                    "recovering",
                    "every broker is back; waiting for them to catch up",
                ),
                (false, false) => ("returned", "the broker is down again"),
                (false, true) => ("returned", "a broker is down again"),
            };
            push_event(&mut t.incident, now, event, detail.to_string());
            t.recovering = recovering;
            // The broker's return is a change for a flapping incident's
            // quiet time; its catch-up and what follows it (ISR churn
            // counted over 10 minutes) are not, so a flapping broker
            // resolves `flap_quiet` after it came back for the last time,
            // not after the last of its aftermath.
            if recovering {
                t.last_change = now;
            }
        }
        down_again
    }

    /// Notes when each broker down now began its outage (`down_since`),
    /// forgets those whose incident is closed, and returns the brokers of
    /// `open` (whose outage incident is open) with when it began (the
    /// oldest possible time when unknown: after a restart).
    fn note_outages(
        &mut self,
        cluster: &str,
        findings: &[Finding],
        open: &BTreeSet<BrokerId>,
    ) -> BTreeMap<BrokerId, Time> {
        let mut down = BTreeSet::new();
        for f in findings
            .iter()
            .filter(|f| f.kind == FindingKind::BrokerDown)
        {
            if let Subject::Broker { id } = f.subject {
                down.insert(id);
                self.down_since.insert((cluster.to_string(), id), f.since);
            }
        }
        self.down_since
            .retain(|(c, b), _| c != cluster || open.contains(b) || down.contains(b));
        open.iter()
            .map(|b| {
                let began = self.down_since.get(&(cluster.to_string(), *b));
                (*b, began.copied().unwrap_or(Time::MIN_UTC))
            })
            .collect()
    }

    /// Notes which brokers `cluster`'s partitions name missing now
    /// (`missing_since`). Not while the cluster is unreachable: its
    /// findings are the last ones seen then.
    /// A broker newly named counts from when the evaluator first saw a
    /// partition name it (`Finding::brokers_since`), before a rule's `for`
    /// wait: with `under_replicated_for = "1m"`, that minute and the
    /// incident's own pending delay were added up instead of overlapping,
    /// and a 90-s URP was never paged (hunt 22, W3).
    fn note_missing(&mut self, cluster: &str, findings: &[Finding], now: Time) {
        let mut named: BTreeMap<BrokerId, Time> = BTreeMap::new();
        for f in findings
            .iter()
            .filter(|f| matches!(f.subject, Subject::Partition { .. }))
            .filter(|f| replication_rank(f.kind) >= replication_rank(FindingKind::AtMinIsr))
        {
            let from = f.brokers_since.unwrap_or(now).min(now);
            for b in &f.brokers {
                let e = named.entry(*b).or_insert(from);
                *e = (*e).min(from);
            }
        }
        self.missing_since
            .retain(|(c, b), _| c != cluster || named.contains_key(b));
        for (b, from) in named {
            self.missing_since
                .entry((cluster.to_string(), b))
                .or_insert(from);
        }
    }

    /// Since when `f`, a member of a group about `root`, stands for it: a
    /// partition's finding stands for a broker only since the partition
    /// (or another) began to name that broker missing. A partition at min
    /// ISR while broker 2 caught up that then missed broker 3 for one
    /// poll (a 5-s restart between polls) had its `since` from broker 2's
    /// outage, and broker 3's new warning skipped its pending delay.
    fn stands_since(&self, cluster: &str, root: &Subject, f: &Finding) -> Time {
        match (root, &f.subject) {
            (Subject::Broker { id }, Subject::Partition { .. }) if f.brokers.contains(id) => self
                .missing_since
                .get(&(cluster.to_string(), *id))
                .map_or(f.since, |&s| s.max(f.since)),
            _ => f.since,
        }
    }

    fn open_incident(&self, cluster: &str, fp: &str, group: &Group<'_>, now: Time) -> Tracked {
        let mut started_at = group
            .members
            .iter()
            .map(|f| self.stands_since(cluster, &group.root, f))
            .min()
            .unwrap_or(now)
            .min(now);
        // A new occurrence never starts before the previous one ended (the
        // findings' `since` may reach back): ids stay unique per occurrence.
        if let Some(ended) = self
            .resolved
            .iter()
            .filter(|i| i.fingerprint == fp)
            .filter_map(|i| i.resolved_at)
            .max()
        {
            if started_at <= ended {
                started_at = now;
            }
        }
        let mut incident = Incident {
            id: format!("{fp}-{}", started_at.timestamp()),
            fingerprint: fp.to_string(),
            cluster: cluster.to_string(),
            kind: group.kind,
            root: group.root.clone(),
            title: String::new(),
            state: IncidentState::Pending,
            severity: group.severity(),
            started_at,
            firing_since: None,
            resolved_at: None,
            updated_at: now,
            affected: Default::default(),
            counts: BTreeMap::new(),
            findings: Vec::new(),
            timeline: Vec::new(),
            flapping: false,
            silenced_by: None,
            summary: None,
            labels: BTreeMap::new(),
            keyed_by: None,
        };
        self.apply_group(&mut incident, cluster, group, now);
        let detail = format!(
            "{} finding(s), severity {}, root {}",
            group.members.len(),
            incident.severity,
            group.root
        );
        push_event(&mut incident, now, "opened", detail);
        tracked(incident, group, now, false)
    }

    /// Starts within `flap_window` before `now` under the busiest of
    /// `keys` ([`flap_keys`]).
    fn recent_starts(&self, keys: &[String], now: Time) -> usize {
        let window = chrono_dur(self.cfg.flap_window.0);
        keys.iter()
            .map(|k| {
                self.firings
                    .get(k)
                    .map_or(0, |s| s.iter().filter(|t| **t + window >= now).count())
            })
            .max()
            .unwrap_or(0)
    }

    /// A group of `fp` appeared with no open incident: when this start makes
    /// the fingerprint flap and an incident of it resolved within
    /// `flap_window`, that incident is reopened as flapping (one incident for
    /// a flapping broker, not one page per outage). A broker's own outage
    /// flaps at its [`RESTART_LOOP_STARTS`]th start.
    fn reopen_flapping(
        &mut self,
        cluster: &str,
        fp: &str,
        group: &Group<'_>,
        now: Time,
    ) -> Option<Tracked> {
        let threshold = match group.key_kind {
            FindingKind::BrokerDown => (self.cfg.flap_threshold as usize).min(RESTART_LOOP_STARTS),
            _ => self.cfg.flap_threshold as usize,
        };
        let keys = flap_keys(fp, &group.root, || affected(group, usize::MAX));
        if threshold == 0 || self.recent_starts(&keys, now) + 1 < threshold {
            return None;
        }
        let window = chrono_dur(self.cfg.flap_window.0);
        let idx = self
            .resolved
            .iter()
            .enumerate()
            .filter(|(_, i)| i.fingerprint == fp && i.cluster == cluster)
            .filter(|(_, i)| i.resolved_at.is_some_and(|r| r + window >= now))
            .max_by_key(|(_, i)| i.resolved_at)
            .map(|(idx, _)| idx)?;
        let mut incident = self.resolved.remove(idx)?;
        self.record_firing(&keys, now);
        let resolved_at = incident.resolved_at.take().unwrap_or(now);
        incident.state = IncidentState::Firing;
        incident.silenced_by = None;
        incident.summary = None;
        self.apply_group(&mut incident, cluster, group, now);
        push_event(
            &mut incident,
            now,
            "reopened",
            format!(
                "back {} after it resolved",
                humantime::format_duration(elapsed(now, resolved_at))
            ),
        );
        mark_flapping(&self.cfg, &mut incident, now);
        // Receivers closed it with `Resolved`: announced again, like a new one.
        Some(tracked(incident, group, now, group.recovering()))
    }

    /// Records a start of firing under each of `keys` ([`flap_keys`]); true
    /// when that makes one of them flap.
    fn record_firing(&mut self, keys: &[String], now: Time) -> bool {
        if self.cfg.flap_threshold == 0 {
            return false;
        }
        let window = chrono_dur(self.cfg.flap_window.0);
        let mut most = 0;
        for key in keys {
            let starts = self.firings.entry(key.clone()).or_default();
            starts.push_back(now);
            while starts.front().is_some_and(|t| *t + window < now) {
                starts.pop_front();
            }
            most = most.max(starts.len());
        }
        most >= self.cfg.flap_threshold as usize
    }

    /// Moves an open incident to the resolved list; returns the
    /// notification to send, if its firing had been announced.
    fn resolve(&mut self, fp: &str, now: Time) -> Option<(Incident, NotifyReason)> {
        let mut t = self.open.remove(fp)?;
        t.incident.state = IncidentState::Resolved;
        t.incident.resolved_at = Some(now);
        t.incident.updated_at = now;
        t.incident.flapping = false;
        // The resolve answers the page receivers have, in its words
        // ("... (STOP)", not a "(WARN)" they never saw): a lower severity
        // that had not held `de_escalate_after`, or another status at the
        // same severity, is never notified (a REWIND still catching up
        // after `rewind_for` reads WARN: hunt 8, h08b).
        if t.notified_firing {
            if let Some(title) = t.notified_title.take() {
                t.incident.title = title;
            }
        }
        if let Some(title) = super::group::resolved_title(&t.incident) {
            t.incident.title = title;
        }
        push_event(
            &mut t.incident,
            now,
            "resolved",
            "no finding of this incident remains".to_string(),
        );
        let note = t
            .notified_firing
            .then(|| (t.incident.clone(), NotifyReason::Resolved));
        self.resolved.push_back(t.incident);
        note
    }

    fn prune_resolved(&mut self, now: Time) {
        let keep = chrono_dur(self.cfg.retain_resolved.0);
        self.resolved
            .retain(|i| i.resolved_at.is_none_or(|r| r + keep > now));
        while self.resolved.len() > self.cfg.max_resolved {
            self.resolved.pop_front();
        }
        let window = chrono_dur(self.cfg.flap_window.0);
        self.firings.retain(|_, starts| {
            while starts.front().is_some_and(|t| *t + window < now) {
                starts.pop_front();
            }
            !starts.is_empty()
        });
    }

    /// The brokers at the root of the groups of `kind` that `cluster`'s
    /// open incidents follow, leaving out an incident whose findings have
    /// been gone for `broker_recovery_hold`: only flap damping holds it
    /// open then, the broker back and caught up, and what names the broker
    /// later (leaders that never moved back, a slow follower) is a story
    /// of its own, not "catching up" for as long as it lasts (hunt 19, W1).
    fn open_broker_roots(&self, cluster: &str, kind: FindingKind, now: Time) -> BTreeSet<BrokerId> {
        let over = self.cfg.broker_recovery_hold.0;
        self.open
            .values()
            .filter(|t| t.incident.cluster == cluster)
            .filter(|t| t.absent_since.is_none_or(|s| elapsed(now, s) < over))
            .filter_map(|t| match t.group_key() {
                (k, Subject::Broker { id }) if k == kind => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// The key of the incident that follows the group `(kind, root)` of
    /// `cluster`: one that escalated into it, else the group's own
    /// fingerprint (open or not).
    fn tracker_of(&self, cluster: &str, kind: FindingKind, root: &Subject) -> String {
        let own = fingerprint(cluster, kind, root);
        if self.open.contains_key(&own) {
            return own;
        }
        self.open
            .iter()
            .find(|(_, t)| t.incident.cluster == cluster && t.group_key() == (kind, root))
            .map_or(own, |(fp, _)| fp.clone())
    }

    /// A broker that goes down while an incident of its own is firing (a
    /// slow follower, a failed log dir, a broker that stopped answering, a
    /// lagging voter) whose findings all moved into the outage's group `g`:
    /// that incident escalates into the outage and follows its group from
    /// now on, instead of being notified resolved at the very poll that
    /// "Broker N is down" fires. Its alert identity stays the one receivers
    /// know (`keyed_by`). Returns its fingerprint when it did.
    fn escalate_into_outage(
        &mut self,
        cluster: &str,
        g: &Group<'_>,
        present_now: &BTreeSet<String>,
        now: Time,
    ) -> Option<String> {
        let Subject::Broker { id } = g.root else {
            return None;
        };
        if g.key_kind != FindingKind::BrokerDown || g.recovering() {
            return None;
        }
        let fp = self
            .open
            .iter()
            .find(|(fp, t)| {
                let own = match (t.key_kind, &t.incident.root) {
                    (
                        FindingKind::UnderReplicated | FindingKind::BrokerUnreachable,
                        Subject::Broker { id: b },
                    ) => *b == id,
                    (FindingKind::QuorumDegraded, _) => t.incident.affected.brokers == [id],
                    _ => false,
                };
                own && t.incident.cluster == cluster
                    && t.follows.is_none()
                    && t.incident.state == IncidentState::Firing
                    && !present_now.contains(*fp)
            })
            .map(|(fp, _)| fp.clone())?;
        let mut t = self.open.remove(&fp)?;
        let was = std::mem::take(&mut t.incident.title);
        t.follows = Some((g.key_kind, g.root.clone()));
        t.incident.keyed_by = Some(t.key_kind);
        self.apply_group(&mut t.incident, cluster, g, now);
        t.absent_since = None;
        t.last_change = now;
        t.recovering = false;
        t.partition_rank = g.partition_rank();
        // What it is now was never notified: an escalation, whichever
        // severity it had.
        t.notified_severity = Severity::Info;
        push_event(
            &mut t.incident,
            now,
            "escalated",
            format!("broker {id} is down: {was:?} is now part of its outage"),
        );
        self.open.insert(fp.clone(), t);
        Some(fp)
    }
}

impl Correlator for IncidentManager {
    fn saved_state(&self) -> Option<SavedState> {
        Some(self.export_state())
    }

    fn ingest(
        &mut self,
        cluster: &str,
        findings: &[Finding],
        now: Time,
    ) -> Vec<(Incident, NotifyReason)> {
        let mut out = Vec::new();
        // Brokers whose outage is still an open incident: what follows
        // their return belongs to it (see group.rs, rule 2).
        let open_outages = self.open_broker_roots(cluster, FindingKind::BrokerDown, now);
        let recovering = self.note_outages(cluster, findings, &open_outages);
        // Live brokers with a replication incident of their own open: a
        // partition that also misses them stays with it (group.rs, rule 3).
        let troubled = self.open_broker_roots(cluster, FindingKind::UnderReplicated, now);
        let groups = group_findings(findings, &recovering, &troubled);
        let unreachable = findings
            .iter()
            .any(|f| f.kind == FindingKind::ClusterUnreachable);
        if !unreachable {
            self.note_missing(cluster, findings, now);
        }
        // Answering again while the unreachable incident is open: what the
        // outage left stays in it (group.rs, rule 1), unless it had an
        // incident of its own firing already.
        let returning = !unreachable
            && self.open.values().any(|t| {
                t.incident.cluster == cluster && t.key_kind == FindingKind::ClusterUnreachable
            });
        let groups = if returning {
            fold_return(groups, |g| {
                self.open
                    .get(&self.tracker_of(cluster, g.key_kind, &g.root))
                    .is_some_and(|t| t.incident.state != IncidentState::Pending)
            })
        } else {
            groups
        };

        // 1. Present groups: update, escalate into or open.
        let own_present: BTreeSet<String> = groups
            .iter()
            .map(|g| fingerprint(cluster, g.key_kind, &g.root))
            .collect();
        let mut present = BTreeSet::new();
        for g in &groups {
            let fp = self.tracker_of(cluster, g.key_kind, &g.root);
            present.insert(fp.clone());
            match self.open.remove(&fp) {
                Some(mut t) => {
                    self.apply_group(&mut t.incident, cluster, g, now);
                    let down_again = Self::track_recovery(&mut t, g, now);
                    let returned = t.absent_since.take().is_some();
                    if returned {
                        // Only the fault's return is a change for the quiet
                        // time, not its aftermath's (see `track_recovery`).
                        if !g.recovering() {
                            t.last_change = now;
                        }
                        push_event(
                            &mut t.incident,
                            now,
                            "returned",
                            format!("{} finding(s) again", g.members.len()),
                        );
                    }
                    // The fault itself is back (not only its aftermath): a
                    // start for flap damping, and a change for a flapping
                    // incident's quiet time. Reaching `flap_threshold` so
                    // makes it flapping: held until quiet, as a broker that
                    // resolved in between is (hunt 19, W2: six crashes in
                    // 20 minutes, each within the last one's catch-up, were
                    // "back" 2 minutes after the sixth).
                    if t.incident.state == IncidentState::Firing
                        && (down_again || (returned && !g.recovering()))
                    {
                        t.last_change = now;
                        let keys = flap_keys(&fp, &g.root, || affected(g, usize::MAX));
                        if self.record_firing(&keys, now) && !t.incident.flapping {
                            mark_flapping(&self.cfg, &mut t.incident, now);
                        }
                    }
                    self.open.insert(fp, t);
                }
                None => {
                    if let Some(old) = self.escalate_into_outage(cluster, g, &own_present, now) {
                        present.insert(old);
                        continue;
                    }
                    let t = match self.reopen_flapping(cluster, &fp, g, now) {
                        Some(t) => t,
                        None => self.open_incident(cluster, &fp, g, now),
                    };
                    self.open.insert(fp, t);
                }
            }
        }

        // 2. Absent groups of this cluster: drop, hold or resolve.
        let absent: Vec<String> = self
            .open
            .iter()
            .filter(|(fp, t)| t.incident.cluster == cluster && !present.contains(*fp))
            // While the cluster is unreachable, its other incidents are frozen.
            .filter(|(_, t)| !unreachable || t.key_kind == FindingKind::ClusterUnreachable)
            .map(|(fp, _)| fp.clone())
            .collect();
        for fp in absent {
            let Some(t) = self.open.get_mut(&fp) else {
                continue;
            };
            if t.absent_since.is_none() {
                t.absent_since = Some(now);
                if !t.recovering {
                    t.last_change = now;
                }
                if t.incident.flapping {
                    push_event(
                        &mut t.incident,
                        now,
                        "cleared",
                        "findings gone (flapping: held)".to_string(),
                    );
                }
            }
            let since = t.absent_since.unwrap_or(now);
            match t.incident.state {
                IncidentState::Pending => {
                    self.open.remove(&fp);
                }
                _ if t.incident.flapping => {}
                _ => {
                    let mut hold = self.cfg.resolve_after.0;
                    // A broker's outage, or a cluster's that waited for
                    // brokers. Not a broker the cluster no longer named:
                    // gone for good (or back hosting nothing), it has no
                    // replicas to catch up and no flap to wait out.
                    let broker =
                        t.group_key().0 == FindingKind::BrokerDown && !retired(&t.incident);
                    if broker || returned(&t.incident) {
                        hold = hold.max(self.cfg.broker_recovery_hold.0);
                    }
                    if elapsed(now, since) >= hold {
                        out.extend(self.resolve(&fp, now));
                    }
                }
            }
        }

        // 3. State changes and notifications of this cluster's open incidents.
        let fps: Vec<String> = self
            .open
            .iter()
            .filter(|(_, t)| t.incident.cluster == cluster)
            .filter(|(_, t)| !unreachable || t.key_kind == FindingKind::ClusterUnreachable)
            .map(|(fp, _)| fp.clone())
            .collect();
        for fp in fps {
            let silenced_by = match self.open.get(&fp) {
                Some(t) => self.silences.matching(&t.incident.labels, now),
                None => continue,
            };
            // Pending -> firing.
            let starts_firing = self.open.get(&fp).is_some_and(|t| {
                t.incident.state == IncidentState::Pending
                    && t.absent_since.is_none()
                    && elapsed(now, t.incident.started_at)
                        >= self.cfg.for_duration(t.incident.kind, t.incident.severity)
            });
            let flaps = starts_firing && {
                let keys = self.open.get(&fp).map_or_else(Vec::new, |t| {
                    flap_keys(&fp, &t.incident.root, || t.incident.affected.clone())
                });
                self.record_firing(&keys, now)
            };
            let Some(t) = self.open.get_mut(&fp) else {
                continue;
            };
            if silenced_by != t.incident.silenced_by {
                match &silenced_by {
                    Some(id) => push_event(&mut t.incident, now, "silenced", format!("by {id}")),
                    None => push_event(&mut t.incident, now, "unsilenced", String::new()),
                }
                t.incident.silenced_by = silenced_by;
            }
            if starts_firing {
                t.incident.state = IncidentState::Firing;
                t.incident.firing_since = Some(now);
                let detail = format!("severity {}", t.incident.severity);
                push_event(&mut t.incident, now, "firing", detail);
                if flaps {
                    t.last_change = now;
                    mark_flapping(&self.cfg, &mut t.incident, now);
                }
            }
            // Flapping ends after a quiet period: one consolidated state.
            if t.incident.flapping && elapsed(now, t.last_change) >= self.cfg.flap_quiet.0 {
                t.incident.flapping = false;
                t.notified_flapping = false;
                push_event(
                    &mut t.incident,
                    now,
                    "stable",
                    format!(
                        "no change for {}",
                        humantime::format_duration(self.cfg.flap_quiet.0)
                    ),
                );
                // The starts stay remembered for `flap_window`: a broker
                // crashing every 20 minutes is quiet for `flap_quiet`
                // between crashes, and its next crash reopens this incident
                // as flapping instead of paging as a new outage, every
                // other crash (hunt 8, h05d: 12 notifications for 6 crashes,
                // half of them a new "down" page).
                if self.open.get(&fp).is_some_and(|t| t.absent_since.is_some()) {
                    out.extend(self.resolve(&fp, now));
                    continue;
                }
            }
            let Some(t) = self.open.get_mut(&fp) else {
                continue;
            };
            if t.incident.state != IncidentState::Firing || t.incident.silenced_by.is_some() {
                continue;
            }
            // A flapping incident: one notification, then nothing until it
            // is stable again.
            if t.incident.flapping {
                if !t.notified_flapping {
                    t.notified_flapping = true;
                    out.push(t.notify(NotifyReason::Flapping, now));
                }
                continue;
            }
            if t.absent_since.is_some() {
                continue;
            }
            // A lower severity is notified once it has held for
            // `de_escalate_after`: until then the resolve may still come
            // first, or the severity go back up, and neither needs it.
            let lower = t.incident.severity < t.notified_severity;
            t.lower_since = if lower {
                t.lower_since.or(Some(now))
            } else {
                None
            };
            let lower_held = t
                .lower_since
                .is_some_and(|since| elapsed(now, since) >= self.cfg.de_escalate_after.0);
            // Partitions getting worse within one severity is news too:
            // under min ISR (acks=all writes fail) or offline; but not
            // after an unreachable cluster, which was worse than any. Told
            // once it holds at a second evaluation: at the poll a second
            // outage ends, its under-min-ISR partitions move to the outage
            // still on for that one poll, and "escalated: Broker 3 is down
            // ... 9 under min ISR" was sent at the moment things improved
            // (hunt 11, W5).
            let worse_now = t.key_kind != FindingKind::ClusterUnreachable
                && t.partition_rank > t.notified_partition_rank
                && t.partition_rank >= replication_rank(FindingKind::UnderMinIsr);
            t.worse_since = if worse_now {
                t.worse_since.or(Some(now))
            } else {
                None
            };
            let partitions_worse = worse_now && t.worse_since.is_some_and(|since| since < now);
            // A broker back from its outage is not made worse by its own
            // fault any more: partitions that get worse while it catches
            // up miss another broker too, whose own incident tells them.
            // Told here as well, they were a second page for one event:
            // "escalated: Broker 2 is back, catching up ... under min ISR"
            // 15 s after "Broker 3 is down" (hunt 21, O1), and when two
            // brokers came back together.
            let reason = if !t.notified_firing {
                Some(NotifyReason::Firing)
            } else if !t.recovering
                && (t.incident.severity > t.notified_severity || partitions_worse)
            {
                Some(NotifyReason::Escalated)
            } else if lower && !t.recovering {
                // A broker catching up after its outage is not news: the
                // resolve follows once it has, and the timeline shows it.
                lower_held.then_some(NotifyReason::DeEscalated)
            } else {
                let every = self.cfg.renotify_interval.0;
                let due = t
                    .last_notified_at
                    .is_none_or(|last| elapsed(now, last) >= every);
                // Groups never seen with members (retired applications):
                // what the firing said stays true until one is started or
                // deleted; reminded every 4 hours, 12 such groups were 7
                // reminders a day (hunt 16, W1).
                let quiet = is_never_active_incident(t.key_kind, &t.incident.root);
                (!every.is_zero() && due && !quiet).then_some(NotifyReason::Reminder)
            };
            if let Some(reason) = reason {
                out.push(t.notify(reason, now));
            }
        }

        self.prune_resolved(now);
        out
    }

    fn incidents(&self) -> Vec<Incident> {
        let mut all: Vec<Incident> = self
            .open
            .values()
            .map(|t| t.incident.clone())
            .chain(self.resolved.iter().cloned())
            .collect();
        all.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
        all
    }
}
