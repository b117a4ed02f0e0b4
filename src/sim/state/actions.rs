//! Faults and recoveries applied to the cluster ([`crate::sim::Action`]).

use rand::Rng;

use super::model::*;
use super::{ms, ClusterState};
use crate::sim::scenario::Action;
use crate::snapshot::BrokerId;

impl ClusterState {
    /// Applies a fault or recovery now. Unknown brokers, topics or groups
    /// are ignored (scenario parsing already rejects them).
    pub fn apply(&mut self, action: &Action) {
        let now = self.now_ms;
        match action {
            Action::BrokerDown { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.up = false;
                    b.clean_shutdown = false;
                }
                self.fence(*broker);
                if self.controller == *broker || self.controller < 0 {
                    self.controller = self.next_controller(*broker);
                }
            }
            Action::ControlledShutdown { broker } => {
                // Leaderships move to another live in-sync replica first,
                // so no partition is without a leader while it stops.
                let alive: Vec<BrokerId> = self
                    .brokers
                    .iter()
                    .filter(|b| b.replicas_alive() && b.id != *broker)
                    .map(|b| b.id)
                    .collect();
                for t in &mut self.topics {
                    for p in &mut t.partitions {
                        if p.leader != *broker {
                            continue;
                        }
                        if let Some(&l) = p.isr.iter().find(|r| alive.contains(r)) {
                            p.leader = l;
                            p.leader_epoch += 1;
                        }
                    }
                }
                self.apply(&Action::BrokerDown { broker: *broker });
                if let Some(b) = self.broker_mut(*broker) {
                    b.clean_shutdown = true;
                }
            }
            Action::Decommission { broker } => {
                // The operator removes its voter from the metadata quorum
                // (combined mode, KIP-853), then shuts it down cleanly.
                if let Some(b) = self.broker_mut(*broker) {
                    b.removed_voter = true;
                }
                self.generation += 1;
                self.apply(&Action::ControlledShutdown { broker: *broker });
            }
            Action::BrokerUp { broker } => {
                let mut crashed = false;
                if let Some(b) = self.broker_mut(*broker) {
                    if !b.up {
                        b.up = true;
                        b.up_since_ms = now;
                        crashed = !b.clean_shutdown;
                    }
                }
                // A broker that crashed registers again with an unclean
                // shutdown: the controller drops it from every ELR before
                // it may lead (KIP-966).
                if crashed && self.elr {
                    for p in self.topics.iter_mut().flat_map(|t| &mut t.partitions) {
                        p.elr.retain(|r| r != broker);
                    }
                }
                if self.controller < 0 && self.broker(*broker).is_some_and(|b| b.can_lead_quorum())
                {
                    self.controller = *broker;
                }
                self.elect_offline();
            }
            Action::SlowFollower { broker, delay } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.slow_delay = Some(*delay);
                }
            }
            Action::RecoverFollower { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.slow_delay = None;
                }
            }
            Action::VoterLag { broker, delay } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.voter_delay_ms = ms(*delay);
                }
            }
            Action::VoterDown { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.voter_stopped = true;
                }
                // The quorum leader's own voter stopping (its Raft thread
                // stuck, or cut from the other voters): they stop hearing
                // from it, elect a new leader after their fetch timeout
                // (KIP-595), and it resigns; the broker serves on.
                if self.controller == *broker {
                    self.controller = self.next_controller(*broker);
                }
            }
            Action::VoterRecover { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.voter_delay_ms = 0;
                    b.voter_stopped = false;
                }
                if self.controller < 0 && self.broker(*broker).is_some_and(|b| b.can_lead_quorum())
                {
                    self.controller = *broker;
                }
            }
            Action::NetworkPartition { broker, mode } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.cut = Some(*mode);
                }
            }
            Action::HealPartition { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.cut = None;
                }
            }
            Action::LogDirFailure { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.log_dir_failed = true;
                }
                self.fence(*broker);
            }
            Action::LogDirRecover { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    if b.log_dir_failed {
                        b.log_dir_failed = false;
                        b.up_since_ms = now;
                    }
                }
                self.elect_offline();
            }
            Action::DiskFill {
                broker,
                bytes_per_sec,
            } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.disk_fill_rate = *bytes_per_sec;
                }
            }
            Action::DiskFree { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.disk_fill_rate = 0.0;
                    b.disk_extra_bytes = 0.0;
                }
            }
            Action::ControllerFailover { to } => {
                self.controller = match to {
                    Some(b) if self.broker(*b).is_some_and(|x| x.can_lead_quorum()) => *b,
                    _ => self.next_controller(self.controller),
                };
            }
            Action::LeaderImbalance { broker } => {
                if self.alive(*broker) {
                    for t in &mut self.topics {
                        for p in &mut t.partitions {
                            if p.leader >= 0 && p.leader != *broker && p.isr.contains(broker) {
                                p.leader = *broker;
                                p.leader_epoch += 1;
                            }
                        }
                    }
                }
            }
            Action::LeaderRebalance => self.preferred_election(),
            Action::TrafficSpike { topic, factor } => {
                for i in self.topics_matching(topic) {
                    self.topics[i].factor = *factor;
                }
            }
            Action::TrafficStop { topic } => {
                for i in self.topics_matching(topic) {
                    self.topics[i].factor = 0.0;
                }
            }
            Action::TrafficNormal { topic } => {
                for i in self.topics_matching(topic) {
                    self.topics[i].factor = 1.0;
                }
            }
            Action::ConsumerStall { group } => {
                if let Some(g) = self.live_group(group) {
                    g.mode = GroupMode::Stalled;
                    g.stale_assigned.fill(0);
                }
            }
            Action::ConsumerRebalance { group } => {
                if let Some(g) = self.live_group(group) {
                    // Partitions revoked: what was read is committed
                    // (the Java consumer's `onJoinPrepare` with auto
                    // commit, or a listener's `onPartitionsRevoked`).
                    if g.mode == GroupMode::Normal {
                        for (committed, positions) in g.committed.iter_mut().zip(&g.positions) {
                            for (c, &p) in committed.iter_mut().zip(positions) {
                                *c = (*c).max(p as i64);
                            }
                        }
                    }
                    g.mode = GroupMode::Rebalancing;
                }
            }
            Action::ConsumerStop { group } => {
                if let Some(g) = self.live_group(group) {
                    g.mode = GroupMode::Stopped;
                }
            }
            Action::ConsumerRewind { group, offsets } => {
                let Some(&gi) = self.group_index.get(group) else {
                    return;
                };
                let g = &mut self.groups[gi];
                for (k, &ti) in g.topics.iter().enumerate() {
                    let parts = &self.topics[ti].partitions;
                    for (pi, p) in parts.iter().enumerate().take(g.assigned(k)) {
                        // Nothing committed: nothing to shift (Kafka's
                        // --shift-by refuses).
                        if offsets.is_some() && g.committed[k][pi] == NO_OFFSET {
                            continue;
                        }
                        let target = match offsets {
                            Some(n) => (g.committed[k][pi] - n).max(p.log_start),
                            None => p.log_start,
                        };
                        g.committed[k][pi] = target;
                        g.positions[k][pi] = target as f64;
                    }
                }
            }
            Action::ConsumerSlowdown { group, factor } => {
                if let Some(g) = self.groups_named(group) {
                    g.slow_factor = *factor;
                }
            }
            Action::ConsumerRecover { group } => {
                if let Some(g) = self.groups_named(group) {
                    // Removed meanwhile (Empty without offsets): its
                    // consumers start a new group.
                    if g.mode == GroupMode::Deleted {
                        g.start_afresh(now);
                        return;
                    }
                    let rejoin = g.mode != GroupMode::Normal;
                    g.mode = GroupMode::Normal;
                    g.slow_factor = 1.0;
                    // Members joining read fresh metadata.
                    if rejoin {
                        for d in &mut g.discover_at_ms {
                            if *d != i64::MAX {
                                *d = now;
                            }
                        }
                    }
                }
            }
            Action::GroupDelete { group } => {
                if let Some(g) = self.groups_named(group) {
                    g.mode = GroupMode::Deleted;
                }
            }
            Action::GroupCreate { group } => {
                if let Some(g) = self.groups_named(group) {
                    if g.mode == GroupMode::Deleted {
                        g.start_afresh(now);
                    }
                }
            }
            Action::TopicCreate { topic } => {
                let Some(&ti) = self.topic_index.get(topic) else {
                    return;
                };
                if self.topics[ti].exists {
                    return;
                }
                let up = self.up_brokers();
                // Kafka refuses fewer live brokers than the replication
                // factor (INVALID_REPLICATION_FACTOR).
                if up.len() < self.topics[ti].replication_factor {
                    return;
                }
                let id =
                    ((self.rng.random::<u64>() as u128) << 64) | self.rng.random::<u64>() as u128;
                // Kafka starts the round-robin at a random broker.
                let shift = self.rng.random_range(0..up.len().max(1));
                let t = &mut self.topics[ti];
                t.exists = true;
                t.id = id;
                t.produced = 0.0;
                t.history = vec![(now, 0.0)];
                t.burst_until_ms = i64::MIN;
                t.partitions = (0..t.declared_partitions)
                    .map(|p| {
                        let replicas = match &t.declared_replicas {
                            Some(r) => r[p].clone(),
                            None => super::placement(&up, &t.name, shift, p, t.replication_factor),
                        };
                        let mut p = Partition::new(replicas, 0, 0, now);
                        // A declared replica on a broker that is down is
                        // neither in sync nor leader.
                        p.isr.retain(|r| up.contains(r));
                        p.leader = p.isr.first().copied().unwrap_or(-1);
                        p
                    })
                    .collect();
                // Members subscribed to it see it within seconds (a
                // consumer missing a subscribed topic asks for metadata
                // again at its retry backoff).
                let seen = now + self.rng.random_range(1_000..10_000i64);
                for g in &mut self.groups {
                    for (k, &gt) in g.topics.iter().enumerate() {
                        if gt == ti {
                            g.discover_at_ms[k] = seen;
                        }
                    }
                }
            }
            Action::TopicDelete { topic } => {
                let Some(ti) = self.live_topic(topic) else {
                    return;
                };
                let t = &mut self.topics[ti];
                t.exists = false;
                t.partitions.clear();
                t.history.clear();
                for g in &mut self.groups {
                    for (k, &gt) in g.topics.iter().enumerate() {
                        if gt == ti {
                            // Hung members keep their assignment by name.
                            if g.mode == GroupMode::Stalled {
                                g.stale_assigned[k] = g.described(k);
                            }
                            g.positions[k].clear();
                            g.committed[k].clear();
                            g.discover_at_ms[k] = i64::MAX;
                        }
                    }
                }
                if !self.kraft {
                    self.remove_empty_groups_without_offsets();
                }
            }
            Action::PartitionsAdd { topic, partitions } => {
                let Some(ti) = self.live_topic(topic) else {
                    return;
                };
                let up = self.up_brokers();
                let t = &mut self.topics[ti];
                let from = t.partitions.len();
                if (*partitions as usize) <= from || up.len() < t.replication_factor {
                    return;
                }
                for p in from..*partitions as usize {
                    let replicas = super::placement(&up, &t.name, 0, p, t.replication_factor);
                    let mut part = Partition::new(replicas, 0, 0, now);
                    // Empty: its offsets start at 0 from now on.
                    part.missed = t.produced;
                    t.partitions.push(part);
                }
                // Each group's members see the new partitions at their
                // next metadata refresh (`metadata.max.age.ms`, 5 min).
                for gi in 0..self.groups.len() {
                    let seen = now + self.rng.random_range(0..300_000i64);
                    let g = &mut self.groups[gi];
                    for (k, &gt) in g.topics.iter().enumerate() {
                        if gt == ti {
                            g.discover_at_ms[k] = g.discover_at_ms[k].min(seen);
                        }
                    }
                }
            }
            Action::RetentionChange { topic, retention } => {
                if let Some(&ti) = self.topic_index.get(topic) {
                    self.topics[ti].retention_ms = ms(*retention).max(1);
                }
            }
            Action::Reassign {
                topic,
                partition,
                replicas,
                rate,
            } => {
                if let Some(&ti) = self.topic_index.get(topic) {
                    let t = &mut self.topics[ti];
                    let ends: Vec<i64> = t.partitions.iter().map(|p| t.end_offset(p)).collect();
                    for (pi, p) in t.partitions.iter_mut().enumerate() {
                        if partition.is_some_and(|x| x != pi as i32) {
                            continue;
                        }
                        let adding: Vec<BrokerId> = replicas
                            .iter()
                            .copied()
                            .filter(|b| !p.replicas.contains(b))
                            .collect();
                        let removing: Vec<BrokerId> = p
                            .replicas
                            .iter()
                            .copied()
                            .filter(|b| !replicas.contains(b))
                            .collect();
                        if adding.is_empty() && removing.is_empty() {
                            continue;
                        }
                        let copy_ms =
                            ((ends[pi] - p.log_start).max(0) as f64 / rate * 1000.0) as i64;
                        let all: Vec<BrokerId> =
                            replicas.iter().chain(&removing).copied().collect();
                        p.set_replicas(all);
                        p.reassignment = Some(Reassignment {
                            target: replicas.clone(),
                            adding,
                            removing,
                            copied_at_ms: now + copy_ms,
                            copy_rate: *rate,
                        });
                    }
                }
            }
        }
        if self.controller != self.quorum_leader_seen {
            self.quorum_epoch += 1;
            self.quorum_leader_seen = self.controller;
        }
        self.generation += 1;
    }
}
