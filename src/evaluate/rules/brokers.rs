//! Brokers and the controller: `broker_down`, `broker_unreachable`,
//! `no_controller`, `controller_unstable`.

use super::RuleEvaluator;
use crate::evaluate::lag::elapsed;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{ClusterSnapshot, Time};

impl RuleEvaluator {
    /// Brokers missing from the metadata: critical while the cluster names
    /// them (in a replica list of any topic, or as a metadata-quorum
    /// voter), info once nothing does: retired or replaced, nothing is
    /// under-replicated for them. The poller forgets such a broker after
    /// `forget_broker_after`.
    pub(super) fn broker_down(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        snap.missing_brokers
            .iter()
            .map(|&id| {
                let hosted = snap
                    .partitions()
                    .filter(|(_, p)| p.replicas.contains(&id))
                    .count();
                let severity = if snap.unnamed_brokers.contains(&id) {
                    Severity::Info
                } else {
                    Severity::Critical
                };
                vec![self
                    .finding(
                        FindingKind::BrokerDown,
                        severity,
                        Subject::Broker { id },
                        snap.taken_at,
                    )
                    .with_brokers([id])
                    .with_metric(Metric::ReplicasHosted, hosted as f64)]
            })
            .collect()
    }

    /// Brokers in the metadata that failed the monitor's probe: critical
    /// when they lead partitions (clients cannot reach those leaders),
    /// a warning otherwise. The poll error names why.
    ///
    /// A broker that keeps failing it in short spells (a listener dropping
    /// connections, a conntrack table full, a flaky load balancer) is
    /// reported between the spells too, once `broker_unreachable_spells`
    /// of them began within `broker_unreachable_window`: each spell alone
    /// is shorter than `broker_unreachable_for`, so without the count the
    /// broker was never reported while clients failed a third of the time.
    pub(super) fn broker_unreachable(
        &mut self,
        snap: &ClusterSnapshot,
        now: Time,
    ) -> Vec<Vec<Finding>> {
        if snap.brokers_probed {
            self.count_unreachable_spells(snap, now);
        }
        let leaders = snap.leader_counts();
        let spells_needed = self.rules.broker_unreachable_spells as usize;
        let window = self.rules.broker_unreachable_window.0;
        snap.brokers
            .iter()
            .filter_map(|b| {
                let id = b.id;
                let down_now = snap.unreachable_brokers.contains(&id);
                let spells = self.unreachable_spells.get(&id);
                let intermittent = spells.filter(|s| s.began.len() >= spells_needed);
                if !down_now && intermittent.is_none() {
                    return None;
                }
                let led = leaders.get(&id).copied().unwrap_or(0);
                let mut f = self
                    .finding(
                        FindingKind::BrokerUnreachable,
                        if led > 0 {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        Subject::Broker { id },
                        snap.taken_at,
                    )
                    .with_brokers([id])
                    .with_metric(Metric::LeaderPartitions, led as f64);
                if let Some(s) = intermittent {
                    f = f
                        .with_metric(Metric::UnreachableSpells, s.began.len() as f64)
                        .with_metric(Metric::WindowSeconds, window.as_secs_f64());
                }
                if let Some(e) = spells.and_then(|s| s.error.as_deref()) {
                    f = f.with_label(Label::Error, e.to_string());
                }
                Some(vec![f])
            })
            .collect()
    }

    /// Starts a spell for each broker in the metadata whose probe failed
    /// now and answered at the previous poll; forgets spells older than the
    /// window, and every spell of a broker gone from the metadata.
    fn count_unreachable_spells(&mut self, snap: &ClusterSnapshot, now: Time) {
        let window = self.rules.broker_unreachable_window.0;
        self.unreachable_spells
            .retain(|id, _| snap.brokers.iter().any(|b| b.id == *id));
        for &id in &snap.unreachable_brokers {
            if !snap.brokers.iter().any(|b| b.id == id) {
                continue;
            }
            let spells = self.unreachable_spells.entry(id).or_default();
            if !self.unreachable_before.contains(&id) {
                spells.began.push_back(snap.taken_at);
            }
            if let Some(e) = snap
                .errors
                .iter()
                .find(|e| e.step == crate::snapshot::step::BROKERS && e.broker == Some(id))
            {
                spells.error = Some(e.message.chars().take(300).collect());
            }
        }
        for spells in self.unreachable_spells.values_mut() {
            while spells
                .began
                .front()
                .is_some_and(|t| elapsed(*t, now) > window)
            {
                spells.began.pop_front();
            }
        }
        self.unreachable_spells
            .retain(|id, s| !s.began.is_empty() || snap.unreachable_brokers.contains(id));
        self.unreachable_before = snap.unreachable_brokers.iter().copied().collect();
    }

    pub(super) fn no_controller(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        match snap.controller {
            Some(c) if c >= 0 => Vec::new(),
            _ => vec![vec![self.finding(
                FindingKind::NoController,
                Severity::Critical,
                Subject::Cluster,
                snap.taken_at,
            )]],
        }
    }

    pub(super) fn controller_unstable(
        &mut self,
        snap: &ClusterSnapshot,
        now: Time,
    ) -> Vec<Vec<Finding>> {
        if let Some(c) = snap.controller.filter(|c| *c >= 0) {
            // A controller that left the cluster (restarted, crashed) hands
            // over as it must: that move is the broker's outage, told by
            // broker_down. Only a move away from a live controller counts.
            let previous_live = self
                .last_controller
                .is_some_and(|p| p != c && snap.brokers.iter().any(|b| b.id == p));
            if previous_live {
                self.controller_changes.push_back(snap.taken_at);
            }
            self.last_controller = Some(c);
        }
        let window = self.rules.controller_window.0;
        while self
            .controller_changes
            .front()
            .is_some_and(|t| elapsed(*t, now) > window)
        {
            self.controller_changes.pop_front();
        }
        let changes = self.controller_changes.len();
        if changes == 0 || changes < self.rules.controller_changes as usize {
            return Vec::new();
        }
        let mut f = self
            .finding(
                FindingKind::ControllerUnstable,
                Severity::Warning,
                Subject::Cluster,
                snap.taken_at,
            )
            .with_metric(Metric::Changes, changes as f64)
            .with_metric(Metric::WindowSeconds, window.as_secs_f64());
        if let Some(c) = self.last_controller {
            f = f.with_label(Label::Controller, c.to_string());
        }
        vec![vec![f]]
    }
}
