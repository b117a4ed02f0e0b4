//! Partitions: offline, under min ISR, at min ISR, under-replicated (one
//! finding per partition, the most severe), ISR churn, leader imbalance,
//! follower lag.

use std::collections::{BTreeMap, BTreeSet};

use super::memory::*;
use super::RuleEvaluator;
use crate::evaluate::lag::elapsed;
use crate::finding::{Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{
    BrokerId, ClusterSnapshot, IsrChangeKind, MinIsrSource, PartitionInfo, Time, TopicInfo,
};

impl RuleEvaluator {
    pub(super) fn partition_finding(
        &self,
        kind: FindingKind,
        severity: Severity,
        at: Time,
        t: &TopicInfo,
        p: &PartitionInfo,
        brokers: Vec<BrokerId>,
    ) -> Finding {
        let mut f = self
            .finding(
                kind,
                severity,
                Subject::Partition {
                    topic: t.name.clone(),
                    partition: p.partition,
                },
                at,
            )
            .with_brokers(brokers)
            .with_metric(Metric::Isr, p.isr.len() as f64)
            .with_metric(Metric::Replicas, p.replicas.len() as f64)
            .with_metric(Metric::MinIsr, t.min_insync_replicas as f64)
            .with_label(Label::Topic, t.name.clone())
            .with_label(Label::Partition, p.partition.to_string());
        if t.min_isr_source == MinIsrSource::Configured {
            f = f.with_label(Label::MinIsrSource, "configured");
        }
        if let Some(l) = p.leader.filter(|l| *l >= 0) {
            f = f.with_label(Label::Leader, l.to_string());
        }
        f
    }

    pub(super) fn partitions(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let live: Vec<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let mut out = Vec::new();
        for (t, p) in snap.partitions() {
            let s = p.state;
            let mut alts = Vec::new();
            let missing_isr = || p.missing_from_isr();
            if s.offline {
                if self.rules.enabled(FindingKind::PartitionOffline) {
                    let mut down: Vec<BrokerId> = p
                        .replicas
                        .iter()
                        .copied()
                        .filter(|r| {
                            snap.missing_brokers.contains(r)
                                || p.offline_replicas.contains(r)
                                || !live.contains(r)
                        })
                        .collect();
                    // Its last in-sync replicas hold every acknowledged
                    // write: bringing them back restores it without loss
                    // (Kafka keeps the last member in the ISR). Name them
                    // when they are among the down ones, so two brokers
                    // down one after the other put it in the outage of
                    // the one that took it offline. With eligible leader
                    // replicas on (Kafka 4.1+, KIP-966) the ISR is empty
                    // instead: any of its ELR, or with none its last
                    // leader, restores it.
                    let holders = if !p.isr.is_empty() {
                        &p.isr
                    } else if !p.eligible_leaders.is_empty() {
                        &p.eligible_leaders
                    } else {
                        &p.last_known_leader
                    };
                    if down.iter().any(|r| holders.contains(r)) {
                        down.retain(|r| holders.contains(r));
                    }
                    if down.is_empty() {
                        down = missing_isr();
                    }
                    alts.push(self.partition_finding(
                        FindingKind::PartitionOffline,
                        Severity::Critical,
                        snap.taken_at,
                        t,
                        p,
                        down,
                    ));
                }
            } else {
                if s.under_min_isr && self.rules.enabled(FindingKind::UnderMinIsr) {
                    alts.push(self.partition_finding(
                        FindingKind::UnderMinIsr,
                        Severity::Critical,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
                if s.at_min_isr
                    && (s.under_replicated || self.rules.at_min_isr_when_fully_replicated)
                    && self.rules.enabled(FindingKind::AtMinIsr)
                {
                    alts.push(self.partition_finding(
                        FindingKind::AtMinIsr,
                        Severity::Warning,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
                if s.under_replicated && self.rules.enabled(FindingKind::UnderReplicated) {
                    alts.push(self.partition_finding(
                        FindingKind::UnderReplicated,
                        Severity::Warning,
                        snap.taken_at,
                        t,
                        p,
                        missing_isr(),
                    ));
                }
            }
            // Replicas a broker that is up lists as offline: its log
            // directory failed (KIP-112). That does not heal by itself:
            // Kafka keeps those replicas offline until the directory is
            // repaired and the broker restarted, so it pages like the
            // broker being down, whatever the ISRs still hold.
            let failed: Vec<String> = p
                .offline_replicas
                .iter()
                .filter(|r| live.contains(r) && !snap.missing_brokers.contains(r))
                .map(|r| r.to_string())
                .collect();
            if !failed.is_empty() {
                for f in &mut alts {
                    f.severity = f.severity.max(Severity::Critical);
                    f.labels.insert(Label::FailedLogDir, failed.join(","));
                }
            }
            // Brokers it misses that are down: grouping must not take one
            // whose `broker_down` is still held back (`broker_down_for`) for
            // a live broker falling behind (hunt 22, W1).
            for f in &mut alts {
                let down: Vec<String> = f
                    .brokers
                    .iter()
                    .filter(|b| snap.missing_brokers.contains(b) || !live.contains(b))
                    .map(|b| b.to_string())
                    .collect();
                if !down.is_empty() {
                    f.labels.insert(Label::BrokersDown, down.join(","));
                }
            }
            if !alts.is_empty() {
                out.push(alts);
            }
        }
        out
    }

    /// ISR churn: replicas that keep leaving and rejoining ISRs. One leave
    /// and one rejoin per replica within the window is an outage and its
    /// recovery (a broker restarting, a follower catching up), which other
    /// findings tell; only the changes beyond that count. A broker fires
    /// when its replicas made at least `isr_churn_threshold` such changes.
    pub(super) fn isr_churn(&mut self, snap: &ClusterSnapshot, now: Time) -> Vec<Vec<Finding>> {
        for c in &snap.isr_changes {
            let q = &mut self
                .churn
                .entry((c.broker, c.topic.clone(), c.partition))
                .or_default()
                .at;
            if q.len() >= MAX_CHANGES_PER_REPLICA {
                q.pop_front();
            }
            q.push_back((snap.taken_at, c.kind));
        }
        let window = self.rules.isr_churn_window.0;
        self.churn.retain(|_, c| {
            while c
                .at
                .front()
                .is_some_and(|(at, _)| elapsed(*at, now) > window)
            {
                c.at.pop_front();
            }
            !c.at.is_empty()
        });
        // Per broker: (changes beyond one leave-and-rejoin, shrinks, expands, replicas).
        let mut per_broker: BTreeMap<BrokerId, (u32, u32, u32, u32)> = BTreeMap::new();
        for ((b, _, _), c) in &self.churn {
            let n = c.at.len() as u32;
            if n <= 2 {
                continue;
            }
            let shrinks =
                c.at.iter()
                    .filter(|(_, k)| *k == IsrChangeKind::Shrink)
                    .count() as u32;
            let e = per_broker.entry(*b).or_default();
            e.0 += n - 2;
            e.1 += shrinks;
            e.2 += n - shrinks;
            e.3 += 1;
        }
        let mut out = Vec::new();
        for (b, (extra, shrinks, expands, replicas)) in per_broker {
            // A missing broker's changes are the broker_down finding's story.
            if extra >= self.rules.isr_churn_threshold && !snap.missing_brokers.contains(&b) {
                out.push(vec![self
                    .finding(
                        FindingKind::IsrChurn,
                        Severity::Warning,
                        Subject::Broker { id: b },
                        snap.taken_at,
                    )
                    .with_brokers([b])
                    .with_metric(Metric::Changes, extra as f64)
                    .with_metric(Metric::Shrinks, shrinks as f64)
                    .with_metric(Metric::Expands, expands as f64)
                    .with_metric(Metric::Replicas, replicas as f64)
                    .with_metric(Metric::WindowSeconds, window.as_secs_f64())]);
            }
        }
        out
    }

    /// Imbalance that a preferred-leader election would fix: a partition
    /// counts when its leader is not its preferred replica and that replica
    /// is live and in the ISR (electable). Leadership that cannot go back (a
    /// failed log dir, a replica still catching up) is the story of the
    /// finding about that, not an imbalance.
    ///
    /// Per broker: `|electable partitions it leads but should not − electable
    /// partitions it should lead but does not| / preferred leaders` (brokers
    /// preferred for no partition are skipped); for the cluster: the share of
    /// online partitions an election would move. Skipped while a broker is
    /// missing: `broker_down` tells that story.
    pub(super) fn leader_imbalance(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        if !snap.missing_brokers.is_empty() {
            return Vec::new();
        }
        let live: BTreeSet<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let mut out = Vec::new();
        let leaders = snap.leader_counts();
        let mut preferred: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let mut gained: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let mut lost: BTreeMap<BrokerId, usize> = BTreeMap::new();
        let (mut online, mut movable) = (0usize, 0usize);
        for (_, p) in snap.partitions() {
            let Some(pref) = p.preferred_leader() else {
                continue;
            };
            *preferred.entry(pref).or_default() += 1;
            let Some(leader) = p.leader.filter(|l| *l >= 0 && !p.state.offline) else {
                continue;
            };
            online += 1;
            let electable = leader != pref
                && p.isr.contains(&pref)
                && live.contains(&pref)
                && !p.offline_replicas.contains(&pref);
            if electable {
                movable += 1;
                *gained.entry(leader).or_default() += 1;
                *lost.entry(pref).or_default() += 1;
            }
        }
        for (&b, &pref) in &preferred {
            let g = gained.get(&b).copied().unwrap_or(0) as f64;
            let l = lost.get(&b).copied().unwrap_or(0) as f64;
            let pct = (g - l).abs() / pref as f64 * 100.0;
            if pct > self.rules.leader_imbalance_broker_percent {
                let led = leaders.get(&b).copied().unwrap_or(0);
                out.push(vec![self
                    .finding(
                        FindingKind::LeaderImbalance,
                        Severity::Warning,
                        Subject::Broker { id: b },
                        snap.taken_at,
                    )
                    .with_brokers([b])
                    .with_metric(Metric::Leaders, led as f64)
                    .with_metric(Metric::PreferredLeaders, pref as f64)
                    .with_metric(Metric::ImbalancePercent, pct)]);
            }
        }
        if online > 0 {
            let pct = movable as f64 / online as f64 * 100.0;
            if pct > self.rules.leader_imbalance_cluster_percent {
                out.push(vec![self
                    .finding(
                        FindingKind::LeaderImbalance,
                        Severity::Warning,
                        Subject::Cluster,
                        snap.taken_at,
                    )
                    .with_metric(Metric::LeaderNotPreferred, movable as f64)
                    .with_metric(Metric::OnlinePartitions, online as f64)
                    .with_metric(Metric::ImbalancePercent, pct)]);
            }
        }
        out
    }

    pub(super) fn follower_lag(&self, snap: &ClusterSnapshot) -> Vec<Vec<Finding>> {
        let Some(sc) = &snap.sidecar else {
            return Vec::new();
        };
        let Some(lag) = sc.follower_max_lag else {
            return Vec::new();
        };
        if lag.is_nan() || lag <= self.rules.follower_lag_threshold {
            return Vec::new();
        }
        let subject = match sc.broker {
            Some(id) => Subject::Broker { id },
            None => Subject::Cluster,
        };
        vec![vec![self
            .finding(
                FindingKind::FollowerLag,
                Severity::Warning,
                subject,
                snap.taken_at,
            )
            .with_brokers(sc.broker)
            .with_metric(Metric::FollowerMaxLag, lag)
            .with_metric(
                Metric::Threshold,
                self.rules.follower_lag_threshold,
            )]]
    }
}
