//! Time passing: producers, followers fetching, ISR shrink and expand,
//! elections, consumers committing, reassignments copying.

use rand::Rng;

use super::model::*;
use super::{
    ms, ClusterState, HISTORY_CAP, OFFSETS_CLEANUP_MS, QUORUM_RECORD_MS, RETENTION_CHECK_MS,
};
use crate::sim::scenario::{OffsetReset, PartitionMode};
use crate::snapshot::BrokerId;

/// How finely the (time, produced) history resolves a time: to
/// 1/`HISTORY_RESOLUTION` of its age (28 s at 30 minutes, 2.6 h at a
/// week), in about `HISTORY_RESOLUTION` × ln(span in seconds) samples:
/// 850 for a week.
const HISTORY_RESOLUTION: i64 = 64;

/// Keeps memory bounded (16 KiB per topic): drops each sample whose
/// neighbours lie closer than its age allows, so old timestamps resolve
/// more coarsely, in proportion. Halving the older half at each overflow
/// instead decimated the oldest samples again and again: nothing older
/// than about 40 minutes was left but the first, and retention of an
/// hour never deleted anything (hunt 15, S1).
fn thin_history(history: &mut Vec<(i64, f64)>, now: i64) {
    let n = history.len();
    let mut kept: Vec<(i64, f64)> = Vec::with_capacity(n);
    for i in 0..n {
        let h = history[i];
        let droppable = i > 0
            && i + 1 < n
            && kept
                .last()
                .is_some_and(|prev| history[i + 1].0 - prev.0 <= (now - h.0) / HISTORY_RESOLUTION);
        if !droppable {
            kept.push(h);
        }
    }
    if kept.len() > HISTORY_CAP {
        // Spans beyond what the resolution fits: every other sample.
        kept = kept
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0 || *i + 1 == kept.len())
            .map(|(_, h)| *h)
            .collect();
    }
    *history = kept;
}

impl ClusterState {
    /// Advances the clock by `dt_ms` simulated ms: due actions, producers,
    /// followers, elections, consumers.
    pub fn tick(&mut self, dt_ms: i64) {
        let dt_ms = dt_ms.max(0);
        self.now_ms += dt_ms;
        let now = self.now_ms;
        while self
            .pending
            .first()
            .map(|(t, _)| *t <= now)
            .unwrap_or(false)
        {
            let (_, action) = self.pending.remove(0);
            self.apply(&action);
        }
        let dt = dt_ms as f64 / 1000.0;

        // Producers.
        let hour = self.start_hour + now as f64 / 3_600_000.0;
        let day_phase = ((hour / 24.0) - 0.25) * std::f64::consts::TAU;
        let record = now >= self.next_history_ms;
        if record {
            self.next_history_ms = now + 1000;
        }
        let default_min = self.min_isr;
        for t in self.topics.iter_mut().filter(|t| t.exists) {
            let season = 1.0 + t.seasonality * day_phase.sin();
            let noise = 1.0 + t.noise * (self.rng.random::<f64>() * 2.0 - 1.0);
            if t.burst_every_ms > 0
                && now >= t.burst_until_ms
                && self.rng.random::<f64>() < dt_ms as f64 / t.burst_every_ms as f64
            {
                t.burst_until_ms = now + t.burst_length_ms;
            }
            let burst = if now < t.burst_until_ms {
                t.burst_factor
            } else {
                1.0
            };
            let per_partition =
                t.rate * season * noise * t.factor * burst / t.partitions.len().max(1) as f64;
            let inc = per_partition.max(0.0) * dt;
            t.produced += inc;
            // Producers write with acks=all (Kafka's default since 3.0):
            // a partition without a leader, or whose ISR is below its min
            // ISR (at most its replication factor), refuses their writes
            // (NOT_ENOUGH_REPLICAS), and its offsets stand still, as its
            // high watermark does in Kafka 3.7+ whatever the acks.
            let min_isr = t.min_isr.unwrap_or(default_min);
            for p in &mut t.partitions {
                if p.leader < 0 || p.isr.len() < super::effective_min_isr(min_isr, p.replicas.len())
                {
                    p.missed += inc;
                }
            }
            if record {
                t.history.push((now, t.produced));
                if t.history.len() > HISTORY_CAP {
                    thin_history(&mut t.history, now);
                }
            }
        }

        // Disks filling (`disk_fill`): a full volume fails the broker's one
        // log directory, and Kafka halts a broker with no directory left
        // ("Shutdown broker because all log dirs in ... have failed").
        let mut full = Vec::new();
        for b in self.brokers.iter_mut().filter(|b| b.disk_fill_rate > 0.0) {
            if b.up {
                b.disk_extra_bytes += b.disk_fill_rate * dt;
            }
            if b.up && b.disk_usable_bytes() == 0 {
                b.disk_fill_rate = 0.0;
                full.push(b.id);
            }
        }
        for broker in full {
            self.apply(&crate::sim::scenario::Action::BrokerDown { broker });
        }

        // Followers and ISR.
        let mut changed = false;
        let info: Vec<(BrokerId, bool, bool, i64, i64)> = self
            .brokers
            .iter()
            .map(|b| {
                let delay = self.fetch_delay_ms + b.slow_delay.map(ms).unwrap_or(0);
                (
                    b.id,
                    b.replicas_alive(),
                    b.cut == Some(PartitionMode::Brokers),
                    delay,
                    b.up_since_ms + self.catch_up_ms,
                )
            })
            .collect();
        let lookup = |id: BrokerId| info.iter().find(|i| i.0 == id).copied();
        let (elr_on, default_min) = (self.elr, self.min_isr);
        for t in &mut self.topics {
            let min_isr = t.min_isr.unwrap_or(default_min);
            for p in &mut t.partitions {
                if p.leader < 0 {
                    continue;
                }
                let leader_cut = lookup(p.leader).map(|i| i.2).unwrap_or(true);
                // (added, replica): the leader's AlterPartition requests.
                let mut isr_changes: Vec<(bool, BrokerId)> = Vec::new();
                for (k, &r) in p.replicas.iter().enumerate() {
                    if r == p.leader {
                        p.last_caught_up[k] = now;
                        continue;
                    }
                    let Some((_, alive, cut, delay, ready_at)) = lookup(r) else {
                        continue;
                    };
                    // An added replica first copies the whole log.
                    let copying = p
                        .reassignment
                        .as_ref()
                        .is_some_and(|ra| ra.adding.contains(&r) && now < ra.copied_at_ms);
                    let fetching = alive && !cut && !leader_cut && now >= ready_at && !copying;
                    if fetching {
                        p.last_caught_up[k] = p.last_caught_up[k].max(now - delay);
                    }
                    let in_isr = p.isr.contains(&r);
                    if in_isr && now - p.last_caught_up[k] > self.lag_max_ms {
                        isr_changes.push((false, r));
                    } else if !in_isr
                        && fetching
                        && delay <= self.lag_max_ms
                        && p.last_caught_up[k] >= now - delay
                    {
                        isr_changes.push((true, r));
                    }
                }
                if !isr_changes.is_empty() {
                    let mut isr = p.isr.clone();
                    for (added, r) in isr_changes {
                        if added {
                            isr.push(r);
                        } else {
                            isr.retain(|&x| x != r);
                        }
                    }
                    p.set_isr(isr, super::elr_min_isr(elr_on, min_isr, p.replicas.len()));
                    changed = true;
                }
            }
        }
        // Metadata-quorum voters (the brokers, combined mode): a fetching
        // voter is as far behind as its delay; a stopped one (or a broker
        // down) keeps its log end offset and last caught-up time.
        let hw = self.quorum_high_watermark();
        for b in &mut self.brokers {
            if b.up && !b.voter_stopped {
                b.voter_caught_up_ms = now - b.voter_delay_ms;
                b.voter_leo = b.voter_leo.max(hw - b.voter_delay_ms / QUORUM_RECORD_MS);
            }
        }
        let alive: Vec<BrokerId> = info.iter().filter(|i| i.1).map(|i| i.0).collect();
        for t in &mut self.topics {
            for p in &mut t.partitions {
                changed |= p.finish_reassignment(&alive);
            }
        }
        if changed {
            self.generation += 1;
        }

        self.elect_offline();
        if self.auto_rebalance && now >= self.next_rebalance_ms {
            self.next_rebalance_ms = now + self.rebalance_interval_ms;
            self.preferred_election();
        }

        if now >= self.next_offsets_cleanup_ms {
            self.next_offsets_cleanup_ms = now + OFFSETS_CLEANUP_MS;
            self.remove_empty_groups_without_offsets();
        }

        // Retention: every check deletes the segments older than
        // `retention.ms`, whoever has not read them.
        if now >= self.next_retention_ms {
            self.next_retention_ms = now + RETENTION_CHECK_MS;
            for t in &mut self.topics {
                let starts: Vec<i64> = t
                    .partitions
                    .iter()
                    .map(|p| t.retention_start(p, now))
                    .collect();
                for (p, start) in t.partitions.iter_mut().zip(starts) {
                    p.log_start = start;
                }
            }
        }

        // Consumers. A member fetching below the log start gets
        // OFFSET_OUT_OF_RANGE and starts again where `auto.offset.reset`
        // says; its committed offset follows at its next commit.
        for g in &mut self.groups {
            if matches!(g.mode, GroupMode::Stopped | GroupMode::Deleted) {
                continue;
            }
            let commit = now >= g.next_commit_ms;
            if commit {
                g.next_commit_ms = now + g.commit_interval_ms;
                g.commit_slots += 1;
            }
            for (k, &ti) in g.topics.iter().enumerate() {
                let t = &self.topics[ti];
                // Partitions the members have not seen yet (added, or the
                // topic created, since they last read its metadata) are
                // assigned once they do, where `auto.offset.reset` says:
                // with "latest", what was produced to them before is
                // never read (Kafka's known gap).
                if g.mode == GroupMode::Normal && now >= g.discover_at_ms[k] {
                    for p in &t.partitions[g.assigned(k).min(t.partitions.len())..] {
                        g.positions[k].push(match g.offset_reset {
                            OffsetReset::Earliest => p.log_start as f64,
                            OffsetReset::Latest => t.end_offset(p) as f64,
                        });
                        g.committed[k].push(NO_OFFSET);
                    }
                    g.discover_at_ms[k] = i64::MAX;
                }
                let cap = t.rate.max(1.0) / t.partitions.len().max(1) as f64
                    * g.headroom
                    * g.slow_factor
                    * dt;
                for (pi, p) in t.partitions.iter().enumerate().take(g.assigned(k)) {
                    let end = t.end_offset(p) as f64;
                    let pos = &mut g.positions[k][pi];
                    if g.mode == GroupMode::Normal && *pos < p.log_start as f64 {
                        *pos = match g.offset_reset {
                            OffsetReset::Earliest => p.log_start as f64,
                            OffsetReset::Latest => end,
                        };
                    }
                    if g.mode == GroupMode::Normal {
                        *pos = (*pos + cap).min(end);
                    }
                    if commit && g.mode == GroupMode::Normal {
                        g.committed[k][pi] = *pos as i64;
                    }
                }
            }
        }
    }

    /// The group coordinator's cleanup (`cleanupGroupMetadata`): a group
    /// without members (`Empty`) and without a committed offset left is
    /// removed, at its periodic run (both coordinators) and, by the
    /// ZooKeeper-era coordinator, also when a topic is deleted (Kafka 4's
    /// coordinator only writes the offsets' tombstones then). A new
    /// application whose consumers crash before their first commit, or an
    /// Empty group whose only topic was deleted, is not listed any more.
    pub(super) fn remove_empty_groups_without_offsets(&mut self) {
        for g in &mut self.groups {
            let no_offsets = g
                .committed
                .iter()
                .flatten()
                .all(|&c| c == super::model::NO_OFFSET);
            if g.mode == GroupMode::Stopped && no_offsets {
                g.mode = GroupMode::Deleted;
            }
        }
    }

    /// Elects leaders for leaderless partitions when an ISR member (or, with
    /// unclean election, any replica) is alive again.
    ///
    /// An unclean leader's log ends where it last caught up with the old
    /// leader: what the old leader had beyond that is truncated, as Kafka
    /// does (the high watermark moves back, the old leader truncates its own
    /// log to the new leader's when it returns as a follower).
    pub(super) fn elect_offline(&mut self) {
        let alive: Vec<BrokerId> = self
            .brokers
            .iter()
            .filter(|b| b.replicas_alive())
            .map(|b| b.id)
            .collect();
        let mut changed = false;
        let now = self.now_ms;
        let (elr_on, default_min) = (self.elr, self.min_isr);
        for t in &mut self.topics {
            let history = &t.history;
            let produced = t.produced;
            let min_isr = t.min_isr.unwrap_or(default_min);
            for p in &mut t.partitions {
                if p.leader >= 0 {
                    continue;
                }
                let elr_min = super::elr_min_isr(elr_on, min_isr, p.replicas.len());
                // With ELR on (KIP-966): the ISR first, then an eligible
                // replica (in assignment order), then the last known
                // leader once no eligible one is left (its return leads
                // even with unclean election off).
                let eligible = p
                    .replicas
                    .iter()
                    .copied()
                    .find(|r| p.elr.contains(r) && alive.contains(r))
                    .filter(|_| p.isr.is_empty());
                let last_known = p
                    .last_known_elr
                    .first()
                    .copied()
                    .filter(|r| p.isr.is_empty() && p.elr.is_empty() && alive.contains(r));
                if let Some(&l) = p.isr.iter().find(|r| alive.contains(r)) {
                    p.leader = l;
                    p.leader_epoch += 1;
                    p.last_known_elr.clear();
                    changed = true;
                } else if let Some(l) = eligible.or(last_known) {
                    p.elect_outside_isr(l, elr_min);
                    changed = true;
                } else if self.unclean {
                    if let Some(k) = p.replicas.iter().position(|r| alive.contains(r)) {
                        let l = p.replicas[k];
                        let behind = produced_at(history, p.offline_since_ms)
                            - produced_at(history, p.last_caught_up[k]);
                        p.missed += behind.max(0.0).floor();
                        // Its log may end below the log start retention
                        // left: the log start is never above the end.
                        p.log_start = p.log_start.min(p.offset_after(produced));
                        p.last_caught_up[k] = now;
                        p.leader = l;
                        p.isr = vec![l];
                        p.elr.clear();
                        p.last_known_elr.clear();
                        p.leader_epoch += 1;
                        changed = true;
                    }
                }
            }
        }
        if changed {
            self.generation += 1;
        }
    }

    pub(super) fn preferred_election(&mut self) {
        let mut changed = false;
        for t in &mut self.topics {
            for p in &mut t.partitions {
                let pref = p.replicas[0];
                if p.leader != pref && p.isr.contains(&pref) && p.leader >= 0 {
                    let ok = self
                        .brokers
                        .iter()
                        .any(|b| b.id == pref && b.replicas_alive());
                    if ok {
                        p.leader = pref;
                        p.leader_epoch += 1;
                        changed = true;
                    }
                }
            }
        }
        if changed {
            self.generation += 1;
        }
    }

    /// Replicas on `broker` become unusable: it leaves every ISR and gives
    /// up leadership. Without ELR a last member stays in the ISR (the
    /// replica to bring back); with ELR (KIP-966) the ISR may become empty,
    /// the replicas it lost below min ISR being in the ELR, and the leader
    /// it had is remembered as the last known one.
    pub(super) fn fence(&mut self, broker: BrokerId) {
        let now = self.now_ms;
        let alive: Vec<BrokerId> = self
            .brokers
            .iter()
            .filter(|b| b.replicas_alive() && b.id != broker)
            .map(|b| b.id)
            .collect();
        let (elr_on, default_min) = (self.elr, self.min_isr);
        for t in &mut self.topics {
            let min_isr = t.min_isr.unwrap_or(default_min);
            for p in &mut t.partitions {
                if !p.replicas.contains(&broker) {
                    continue;
                }
                let elr_min = super::elr_min_isr(elr_on, min_isr, p.replicas.len());
                if elr_on && p.isr.contains(&broker) {
                    let isr = p.isr.iter().copied().filter(|&r| r != broker).collect();
                    p.set_isr(isr, elr_min);
                } else if p.isr.len() > 1 {
                    p.isr.retain(|&r| r != broker);
                }
                if p.leader == broker {
                    p.leader = p
                        .isr
                        .iter()
                        .copied()
                        .find(|r| alive.contains(r))
                        .unwrap_or(-1);
                    p.leader_epoch += 1;
                    if p.leader < 0 {
                        p.offline_since_ms = now;
                        if elr_on && p.last_known_elr.is_empty() {
                            p.last_known_elr = vec![broker];
                        }
                    }
                }
            }
        }
        self.elect_offline();
    }
}
