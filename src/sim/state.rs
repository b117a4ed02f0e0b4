//! The simulated cluster's state and its dynamics on the simulated clock.
//!
//! Everything here is plain data mutated by [`ClusterState::tick`] (time
//! passes) and [`ClusterState::apply`] (a fault or recovery). No I/O, no
//! clock reads: the caller passes the elapsed simulated time.
//!
//! Replication model (a simplified Kafka):
//! - Every partition has a leader log end offset (`base + produced`); the high
//!   watermark equals it.
//! - A follower that fetches records `last_caught_up = max(last_caught_up,
//!   now - its fetch delay)`. It leaves the ISR once `now - last_caught_up >
//!   replica.lag.time.max.ms` and rejoins as soon as it fetches again with a
//!   delay below that limit (and, after a restart, after `broker_catch_up`).
//! - A follower does not fetch while its broker is down, its log dir has
//!   failed, or it or the leader is cut from the other brokers.
//! - A broker that goes down (or whose log dir fails) leaves every ISR at
//!   once, as the KRaft controller fences it; the last ISR member stays in
//!   the ISR, and a partition whose ISR has no live member has no leader
//!   (offline) until one returns, or until unclean election picks any live
//!   replica when it is enabled.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::scenario::{Action, ClusterSpec, PartitionMode};
use crate::snapshot::BrokerId;

/// One simulated broker.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    pub id: BrokerId,
    pub port: u16,
    pub up: bool,
    pub up_since_ms: i64,
    pub slow_delay: Option<Duration>,
    pub cut: Option<PartitionMode>,
    pub log_dir_failed: bool,
    /// Its metadata-quorum voter: fetch delay (`voter_lag`), stopped
    /// (`voter_down`), log end offset and when it last caught up (sim ms).
    pub voter_delay_ms: i64,
    pub voter_stopped: bool,
    pub voter_leo: i64,
    pub voter_caught_up_ms: i64,
}

impl Broker {
    /// Whether the replicas on this broker are usable (broker up, log dir ok).
    pub fn replicas_alive(&self) -> bool {
        self.up && !self.log_dir_failed
    }
}

/// One partition.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    /// -1 when offline.
    pub leader: BrokerId,
    pub leader_epoch: i32,
    /// Offset of the first message produced by the simulation.
    pub base: i64,
    pub log_start: i64,
    /// Messages lost to the producers while the partition was offline.
    pub missed: f64,
    /// Simulated ms at which the partition last lost its leader.
    pub offline_since_ms: i64,
    /// An ongoing reassignment (KIP-455), if any.
    pub reassignment: Option<Reassignment>,
    /// Per replica (same order as `replicas`), the last simulated ms at which
    /// the replica was caught up with the leader.
    pub last_caught_up: Vec<i64>,
}

/// An ongoing partition reassignment. While it lasts the partition's
/// replicas are the target replicas followed by the removing ones.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reassignment {
    pub target: Vec<BrokerId>,
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
    /// When the adding replicas have copied the log and fetch like others.
    pub copied_at_ms: i64,
    /// Messages per second they copy.
    pub copy_rate: f64,
}

impl Partition {
    /// Sets the replica list, keeping each kept replica's catch-up time.
    fn set_replicas(&mut self, replicas: Vec<BrokerId>) {
        self.last_caught_up = replicas
            .iter()
            .map(|r| {
                self.replicas
                    .iter()
                    .position(|x| x == r)
                    .map(|k| self.last_caught_up[k])
                    .unwrap_or(0)
            })
            .collect();
        self.replicas = replicas;
    }

    /// Ends the reassignment once every adding replica is in the ISR: the
    /// removing replicas leave, leadership moves off a removed broker.
    /// Returns whether anything changed.
    fn finish_reassignment(&mut self, alive: &[BrokerId]) -> bool {
        let Some(r) = &self.reassignment else {
            return false;
        };
        if !r.adding.iter().all(|b| self.isr.contains(b)) {
            return false;
        }
        let target = r.target.clone();
        self.reassignment = None;
        self.set_replicas(target.clone());
        self.isr.retain(|b| target.contains(b));
        if !target.contains(&self.leader) {
            self.leader = target
                .iter()
                .copied()
                .find(|b| self.isr.contains(b) && alive.contains(b))
                .unwrap_or(-1);
            self.leader_epoch += 1;
        }
        true
    }
}

/// One topic.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub name: String,
    pub id: u128,
    pub rate: f64,
    pub seasonality: f64,
    pub noise: f64,
    pub factor: f64,
    /// Mean ms between bursts (0: none), their length and rate factor.
    pub burst_every_ms: i64,
    pub burst_length_ms: i64,
    pub burst_factor: f64,
    /// The current burst lasts until then.
    pub burst_until_ms: i64,
    pub min_isr: Option<u32>,
    pub retention_ms: i64,
    pub message_bytes: u32,
    /// Messages produced per partition since start.
    pub produced: f64,
    /// (sim ms, produced) samples, for offsets-by-timestamp.
    pub history: Vec<(i64, f64)>,
    pub partitions: Vec<Partition>,
}

/// Messages produced per partition by simulated ms `at`, from a topic's
/// (sim ms, produced) history: at most a second early, coarser for old times.
fn produced_at(history: &[(i64, f64)], at: i64) -> f64 {
    match history.partition_point(|h| h.0 <= at) {
        0 => 0.0,
        i => history[i - 1].1,
    }
}

impl Topic {
    /// Log end offset (= high watermark) of partition `p`.
    pub fn end_offset(&self, p: &Partition) -> i64 {
        p.base + (self.produced - p.missed).max(0.0) as i64
    }

    /// First offset whose timestamp is at or after `sim_ms`, if any.
    pub fn offset_at(&self, p: &Partition, sim_ms: i64) -> Option<i64> {
        if sim_ms <= self.history.first().map(|h| h.0).unwrap_or(0) {
            return Some(p.log_start);
        }
        let idx = self.history.partition_point(|h| h.0 < sim_ms);
        let produced = self.history.get(idx).map(|h| h.1)?;
        let off = p.base + (produced - p.missed).max(0.0) as i64;
        if off >= self.end_offset(p) {
            return None;
        }
        Some(off.max(p.log_start))
    }
}

/// What a group is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupMode {
    Normal,
    Stalled,
    Stopped,
    Deleted,
}

/// One consumer group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub name: String,
    /// Topic indexes.
    pub topics: Vec<usize>,
    pub members: u32,
    pub commit_interval_ms: i64,
    pub headroom: f64,
    pub mode: GroupMode,
    pub slow_factor: f64,
    /// Consumer position per topic per partition.
    pub positions: Vec<Vec<f64>>,
    /// Committed offset per topic per partition.
    pub committed: Vec<Vec<i64>>,
    pub next_commit_ms: i64,
    /// Commit slots passed so far (see [`GroupView::commits`]).
    pub commit_slots: u64,
    /// Stable hash of the name, for the coordinator choice.
    pub hash: u64,
}

/// The whole cluster.
#[derive(Debug)]
pub(crate) struct ClusterState {
    pub cluster_id: String,
    pub now_ms: i64,
    /// Wall-clock ms (Unix) at simulated time 0, for message timestamps.
    pub epoch_wall_ms: i64,
    pub start_hour: f64,
    pub brokers: Vec<Broker>,
    pub controller: BrokerId,
    /// KRaft (see `ClusterSpec::kraft`).
    pub kraft: bool,
    /// See `ClusterSpec::deny_describe_configs`.
    pub deny_describe_configs: bool,
    /// Raft epoch of the metadata quorum: bumped at each controller change.
    pub quorum_epoch: i32,
    quorum_leader_seen: BrokerId,
    pub topics: Vec<Topic>,
    pub topic_index: BTreeMap<String, usize>,
    pub groups: Vec<Group>,
    pub group_index: BTreeMap<String, usize>,
    pub min_isr: u32,
    pub lag_max_ms: i64,
    pub fetch_delay_ms: i64,
    pub catch_up_ms: i64,
    pub unclean: bool,
    pub auto_rebalance: bool,
    pub rebalance_interval_ms: i64,
    next_rebalance_ms: i64,
    /// Bumped whenever anything Metadata reports changes.
    pub generation: u64,
    /// Pending actions (sim ms, action), sorted by time.
    pub pending: Vec<(i64, Action)>,
    next_history_ms: i64,
    rng: StdRng,
}

/// How often the quorum leader appends a no-op record to the metadata log
/// (`metadata.max.idle.interval.ms`, 500 ms by default).
const QUORUM_RECORD_MS: i64 = 500;

/// Most (time, produced) samples kept per topic for offsets-by-timestamp.
const HISTORY_CAP: usize = 1024;

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn ms(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

impl ClusterState {
    /// Builds the initial state; `ports[i]` is broker i's listener port.
    pub fn new(spec: &ClusterSpec, ports: &[u16], epoch_wall_ms: i64) -> ClusterState {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let ids: Vec<BrokerId> = (0..spec.brokers as i32)
            .map(|i| spec.first_broker_id + i)
            .collect();
        let brokers = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| Broker {
                id,
                port: ports.get(i).copied().unwrap_or(0),
                up: true,
                up_since_ms: -ms(spec.broker_catch_up),
                slow_delay: None,
                voter_delay_ms: 0,
                voter_stopped: false,
                voter_leo: 0,
                voter_caught_up_ms: 0,
                cut: None,
                log_dir_failed: false,
            })
            .collect();
        let n = ids.len();
        let mut topics = Vec::new();
        let mut topic_index = BTreeMap::new();
        for t in &spec.topics {
            let names: Vec<String> = match t.count {
                Some(c) => (0..c).map(|k| format!("{}-{k}", t.name)).collect(),
                None => vec![t.name.clone()],
            };
            for name in names {
                let start = (fnv(&name) % n as u64) as usize;
                let rf = (t.replication_factor as usize).min(n).max(1);
                let mut partitions = Vec::with_capacity(t.partitions as usize);
                for p in 0..t.partitions as usize {
                    let replicas: Vec<BrokerId> = match &t.replicas {
                        Some(r) => r[p].clone(),
                        None => (0..rf).map(|j| ids[(start + p + j) % n]).collect(),
                    };
                    let base = rng.random_range(1_000..1_000_000i64);
                    let log_start = base / 10;
                    partitions.push(Partition {
                        isr: replicas.clone(),
                        leader: replicas[0],
                        leader_epoch: 0,
                        base,
                        log_start,
                        missed: 0.0,
                        offline_since_ms: 0,
                        reassignment: None,
                        last_caught_up: vec![0; replicas.len()],
                        replicas,
                    });
                }
                topic_index.insert(name.clone(), topics.len());
                topics.push(Topic {
                    id: ((rng.random::<u64>() as u128) << 64) | rng.random::<u64>() as u128,
                    name,
                    rate: t.rate,
                    seasonality: t.seasonality,
                    noise: t.noise,
                    factor: 1.0,
                    burst_every_ms: t.burst_every.map(ms).unwrap_or(0),
                    burst_length_ms: ms(t.burst_length),
                    burst_factor: t.burst_factor,
                    burst_until_ms: i64::MIN,
                    min_isr: t.min_insync_replicas,
                    retention_ms: ms(t.retention),
                    message_bytes: t.message_bytes,
                    produced: 0.0,
                    history: vec![(0, 0.0)],
                    partitions,
                });
            }
        }
        let mut groups = Vec::new();
        let mut group_index = BTreeMap::new();
        for g in &spec.groups {
            let names: Vec<String> = match g.count {
                Some(c) => (0..c).map(|k| format!("{}-{k}", g.name)).collect(),
                None => vec![g.name.clone()],
            };
            for name in names {
                let tix: Vec<usize> = g
                    .topics
                    .iter()
                    .filter_map(|t| topic_index.get(t).copied())
                    .collect();
                let committed: Vec<Vec<i64>> = tix
                    .iter()
                    .map(|&ti| {
                        let t: &Topic = &topics[ti];
                        t.partitions
                            .iter()
                            .map(|p| (t.end_offset(p) - g.initial_lag).max(p.log_start))
                            .collect()
                    })
                    .collect();
                let positions = committed
                    .iter()
                    .map(|v| v.iter().map(|&o| o as f64).collect())
                    .collect();
                let ci = ms(g.commit_interval).max(1);
                group_index.insert(name.clone(), groups.len());
                groups.push(Group {
                    hash: fnv(&name),
                    next_commit_ms: rng.random_range(0..ci),
                    commit_slots: 0,
                    name,
                    topics: tix,
                    members: g.members,
                    commit_interval_ms: ci,
                    headroom: g.headroom,
                    mode: GroupMode::Normal,
                    slow_factor: 1.0,
                    positions,
                    committed,
                });
            }
        }
        ClusterState {
            cluster_id: spec.cluster_id.clone(),
            now_ms: 0,
            epoch_wall_ms,
            start_hour: spec.start_hour,
            controller: ids[0],
            brokers,
            topics,
            topic_index,
            groups,
            group_index,
            min_isr: spec.min_insync_replicas,
            lag_max_ms: ms(spec.replica_lag_time_max),
            fetch_delay_ms: ms(spec.follower_fetch_delay),
            catch_up_ms: ms(spec.broker_catch_up),
            unclean: spec.unclean_leader_election,
            auto_rebalance: spec.auto_leader_rebalance,
            kraft: spec.kraft,
            deny_describe_configs: spec.deny_describe_configs,
            quorum_epoch: 1,
            quorum_leader_seen: ids[0],
            rebalance_interval_ms: ms(spec.leader_rebalance_interval).max(1),
            next_rebalance_ms: ms(spec.leader_rebalance_interval).max(1),
            generation: 1,
            pending: Vec::new(),
            next_history_ms: 1000,
            rng,
        }
    }

    /// The broker with this id.
    pub fn broker(&self, id: BrokerId) -> Option<&Broker> {
        self.brokers.iter().find(|b| b.id == id)
    }

    fn broker_mut(&mut self, id: BrokerId) -> Option<&mut Broker> {
        self.brokers.iter_mut().find(|b| b.id == id)
    }

    fn alive(&self, id: BrokerId) -> bool {
        self.broker(id).map(|b| b.replicas_alive()).unwrap_or(false)
    }

    /// The broker coordinating `group` (-1 when every broker is down).
    pub fn coordinator_of_hash(&self, hash: u64) -> BrokerId {
        let n = self.brokers.len();
        let start = (hash % n as u64) as usize;
        (0..n)
            .map(|k| &self.brokers[(start + k) % n])
            .find(|b| b.up)
            .map(|b| b.id)
            .unwrap_or(-1)
    }

    /// Schedules `action` at simulated time `at_ms`.
    pub fn schedule(&mut self, at_ms: i64, action: Action) {
        let idx = self.pending.partition_point(|(t, _)| *t <= at_ms);
        self.pending.insert(idx, (at_ms, action));
    }

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
        for t in &mut self.topics {
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
            for p in &mut t.partitions {
                if p.leader < 0 {
                    p.missed += inc;
                }
            }
            if record {
                t.history.push((now, t.produced));
                if t.history.len() > HISTORY_CAP {
                    // Keep memory bounded (16 KiB per topic): thin out the
                    // older half, so old timestamps resolve more coarsely.
                    let keep: Vec<(i64, f64)> = t
                        .history
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i >= HISTORY_CAP / 2 || i % 2 == 0)
                        .map(|(_, h)| *h)
                        .collect();
                    t.history = keep;
                }
            }
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
        for t in &mut self.topics {
            for p in &mut t.partitions {
                if p.leader < 0 {
                    continue;
                }
                let leader_cut = lookup(p.leader).map(|i| i.2).unwrap_or(true);
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
                        p.isr.retain(|&x| x != r);
                        changed = true;
                    } else if !in_isr
                        && fetching
                        && delay <= self.lag_max_ms
                        && p.last_caught_up[k] >= now - delay
                    {
                        p.isr.push(r);
                        changed = true;
                    }
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

        // Consumers.
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
                let cap = t.rate.max(1.0) / t.partitions.len().max(1) as f64
                    * g.headroom
                    * g.slow_factor
                    * dt;
                for (pi, p) in t.partitions.iter().enumerate() {
                    let end = t.end_offset(p) as f64;
                    let pos = &mut g.positions[k][pi];
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

    /// Elects leaders for leaderless partitions when an ISR member (or, with
    /// unclean election, any replica) is alive again.
    ///
    /// An unclean leader's log ends where it last caught up with the old
    /// leader: what the old leader had beyond that is truncated, as Kafka
    /// does (the high watermark moves back, the old leader truncates its own
    /// log to the new leader's when it returns as a follower).
    fn elect_offline(&mut self) {
        let alive: Vec<BrokerId> = self
            .brokers
            .iter()
            .filter(|b| b.replicas_alive())
            .map(|b| b.id)
            .collect();
        let mut changed = false;
        let now = self.now_ms;
        for t in &mut self.topics {
            let history = &t.history;
            for p in &mut t.partitions {
                if p.leader >= 0 {
                    continue;
                }
                if let Some(&l) = p.isr.iter().find(|r| alive.contains(r)) {
                    p.leader = l;
                    p.leader_epoch += 1;
                    changed = true;
                } else if self.unclean {
                    if let Some(k) = p.replicas.iter().position(|r| alive.contains(r)) {
                        let l = p.replicas[k];
                        let behind = produced_at(history, p.offline_since_ms)
                            - produced_at(history, p.last_caught_up[k]);
                        p.missed += behind.max(0.0).floor();
                        p.last_caught_up[k] = now;
                        p.leader = l;
                        p.isr = vec![l];
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

    fn preferred_election(&mut self) {
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

    /// Replicas on `broker` become unusable: it leaves every ISR (keeping a
    /// last member) and gives up leadership.
    fn fence(&mut self, broker: BrokerId) {
        let now = self.now_ms;
        let alive: Vec<BrokerId> = self
            .brokers
            .iter()
            .filter(|b| b.replicas_alive() && b.id != broker)
            .map(|b| b.id)
            .collect();
        for t in &mut self.topics {
            for p in &mut t.partitions {
                if !p.replicas.contains(&broker) {
                    continue;
                }
                if p.isr.len() > 1 {
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
                    }
                }
            }
        }
        self.elect_offline();
    }

    /// The metadata log's high watermark: the quorum leader appends a
    /// record every [`QUORUM_RECORD_MS`] even when nothing changes (KRaft's
    /// no-op records), and one per change of the cluster.
    pub fn quorum_high_watermark(&self) -> i64 {
        self.now_ms / QUORUM_RECORD_MS + self.generation as i64
    }

    fn next_controller(&self, after: BrokerId) -> BrokerId {
        let n = self.brokers.len();
        let pos = self.brokers.iter().position(|b| b.id == after).unwrap_or(0);
        (1..=n)
            .map(|k| &self.brokers[(pos + k) % n])
            .find(|b| b.up)
            .map(|b| b.id)
            .unwrap_or(-1)
    }

    fn groups_named(&mut self, name: &str) -> Option<&mut Group> {
        let i = *self.group_index.get(name)?;
        self.groups.get_mut(i)
    }

    fn topics_matching(&mut self, topic: &Option<String>) -> Vec<usize> {
        match topic {
            Some(t) => self.topic_index.get(t).copied().into_iter().collect(),
            None => (0..self.topics.len()).collect(),
        }
    }

    /// Applies a fault or recovery now. Unknown brokers, topics or groups
    /// are ignored (scenario parsing already rejects them).
    pub fn apply(&mut self, action: &Action) {
        let now = self.now_ms;
        match action {
            Action::BrokerDown { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.up = false;
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
            }
            Action::BrokerUp { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    if !b.up {
                        b.up = true;
                        b.up_since_ms = now;
                    }
                }
                if self.controller < 0 {
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
            }
            Action::VoterRecover { broker } => {
                if let Some(b) = self.broker_mut(*broker) {
                    b.voter_delay_ms = 0;
                    b.voter_stopped = false;
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
            Action::ControllerFailover { to } => {
                self.controller = match to {
                    Some(b) if self.broker(*b).map(|x| x.up).unwrap_or(false) => *b,
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
                if let Some(g) = self.groups_named(group) {
                    g.mode = GroupMode::Stalled;
                }
            }
            Action::ConsumerStop { group } => {
                if let Some(g) = self.groups_named(group) {
                    g.mode = GroupMode::Stopped;
                }
            }
            Action::ConsumerRewind { group, offsets } => {
                let Some(&gi) = self.group_index.get(group) else {
                    return;
                };
                let g = &mut self.groups[gi];
                for (k, &ti) in g.topics.iter().enumerate() {
                    for (pi, p) in self.topics[ti].partitions.iter().enumerate() {
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
                    g.mode = GroupMode::Normal;
                    g.slow_factor = 1.0;
                }
            }
            Action::GroupDelete { group } => {
                if let Some(g) = self.groups_named(group) {
                    g.mode = GroupMode::Deleted;
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

    /// Wall-clock ms of simulated time `sim_ms`.
    pub fn wall_ms(&self, sim_ms: i64) -> i64 {
        self.epoch_wall_ms + sim_ms
    }

    /// A read-only copy for tests and tools.
    pub fn view(&self) -> SimState {
        let brokers = self
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.id,
                port: b.port,
                up: b.up,
                log_dir_failed: b.log_dir_failed,
                cut: b.cut,
                voter_stopped: b.voter_stopped,
                voter_delay: Duration::from_millis(b.voter_delay_ms.max(0) as u64),
            })
            .collect();
        let topics = self
            .topics
            .iter()
            .map(|t| {
                let parts = t
                    .partitions
                    .iter()
                    .map(|p| PartitionView {
                        adding_replicas: p
                            .reassignment
                            .as_ref()
                            .map(|r| r.adding.clone())
                            .unwrap_or_default(),
                        leader: (p.leader >= 0).then_some(p.leader),
                        leader_epoch: p.leader_epoch,
                        replicas: p.replicas.clone(),
                        isr: p.isr.clone(),
                        offline_replicas: p
                            .replicas
                            .iter()
                            .copied()
                            .filter(|r| !self.alive(*r))
                            .collect(),
                        log_start_offset: p.log_start,
                        end_offset: t.end_offset(p),
                    })
                    .collect();
                (t.name.clone(), parts)
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .filter(|g| g.mode != GroupMode::Deleted)
            .map(|g| {
                let mut committed = BTreeMap::new();
                for (k, &ti) in g.topics.iter().enumerate() {
                    committed.insert(self.topics[ti].name.clone(), g.committed[k].clone());
                }
                (
                    g.name.clone(),
                    GroupView {
                        coordinator: self.coordinator_of_hash(g.hash),
                        state: group_state(g).to_string(),
                        members: if g.mode == GroupMode::Stopped {
                            0
                        } else {
                            g.members
                        },
                        committed,
                        commits: g.commit_slots,
                    },
                )
            })
            .collect();
        let min_insync_replicas = self
            .topics
            .iter()
            .map(|t| (t.name.clone(), t.min_isr.unwrap_or(self.min_isr)))
            .collect();
        SimState {
            min_insync_replicas,
            elapsed: Duration::from_millis(self.now_ms.max(0) as u64),
            controller: (self.controller >= 0).then_some(self.controller),
            brokers,
            topics,
            groups,
        }
    }
}

/// Kafka's group state name.
pub(crate) fn group_state(g: &Group) -> &'static str {
    match g.mode {
        GroupMode::Normal | GroupMode::Stalled => "Stable",
        GroupMode::Stopped => "Empty",
        GroupMode::Deleted => "Dead",
    }
}

/// Read-only copy of the simulated cluster (see [`super::SimHandle::state`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SimState {
    /// Simulated time since start.
    pub elapsed: Duration,
    /// Active controller, `None` when every broker is down.
    pub controller: Option<BrokerId>,
    /// All brokers, up or not.
    pub brokers: Vec<BrokerView>,
    /// Partitions by topic name, indexed by partition id.
    pub topics: BTreeMap<String, Vec<PartitionView>>,
    /// Groups (deleted ones excluded).
    pub groups: BTreeMap<String, GroupView>,
    /// Effective `min.insync.replicas` by topic.
    pub min_insync_replicas: BTreeMap<String, u32>,
}

impl SimState {
    /// One partition.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionView> {
        self.topics
            .get(topic)?
            .get(usize::try_from(partition).ok()?)
    }
}

/// One broker in [`SimState`].
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerView {
    /// Broker id.
    pub id: BrokerId,
    /// Listener port on 127.0.0.1.
    pub port: u16,
    /// In metadata and answering.
    pub up: bool,
    /// Its log directory has failed (`log_dir_failure`).
    pub log_dir_failed: bool,
    /// Cut off by a `network_partition`, and how.
    pub cut: Option<PartitionMode>,
    /// Its metadata-quorum voter is stopped (`voter_down`) or fetches this
    /// far behind (`voter_lag`).
    pub voter_stopped: bool,
    pub voter_delay: Duration,
}

/// One partition in [`SimState`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionView {
    /// `None` when offline.
    pub leader: Option<BrokerId>,
    /// Bumped at every leader change.
    pub leader_epoch: i32,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// In-sync replicas.
    pub isr: Vec<BrokerId>,
    /// Replicas on brokers that are down or whose log dir failed.
    pub offline_replicas: Vec<BrokerId>,
    /// First offset still in the log.
    pub log_start_offset: i64,
    /// Log end offset, equal to the high watermark.
    pub end_offset: i64,
    /// Replicas an ongoing reassignment adds (empty when none).
    pub adding_replicas: Vec<BrokerId>,
}

/// One group in [`SimState`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupView {
    /// Broker answering for the group (-1 when none is up).
    pub coordinator: BrokerId,
    /// `Stable`, `Empty`.
    pub state: String,
    /// Members reported by DescribeGroups (0 when stopped).
    pub members: u32,
    /// Committed offsets by topic, indexed by partition.
    pub committed: BTreeMap<String, Vec<i64>>,
    /// Commit slots that have passed (`commit_interval` apart) while the
    /// group had members, whether it committed in them or not (stalled); a
    /// stopped group counts none. A slot that passes with the committed
    /// offsets unchanged while the log grew is the first moment a stall can
    /// be seen from outside.
    pub commits: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;

    fn state(text: &str) -> ClusterState {
        let s = Scenario::parse(text, "t").unwrap();
        ClusterState::new(&s.cluster, &[1, 2, 3], 0)
    }

    const BASE: &str = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\nreplicas = [[1,2,3],[2,3,1],[3,1,2]]\n[[cluster.groups]]\nname = \"g\"\ntopics = [\"t\"]\n";

    #[test]
    fn slow_follower_leaves_isr_after_lag_max_and_rejoins() {
        let mut s = state(BASE);
        s.apply(&Action::SlowFollower {
            broker: 3,
            delay: Duration::from_secs(120),
        });
        for _ in 0..290 {
            s.tick(100);
        }
        assert!(
            s.topics[0].partitions[0].isr.contains(&3),
            "still in ISR before 30s"
        );
        for _ in 0..20 {
            s.tick(100);
        }
        assert_eq!(s.topics[0].partitions[0].isr, vec![1, 2]);
        s.apply(&Action::RecoverFollower { broker: 3 });
        s.tick(100);
        assert!(s.topics[0].partitions[0].isr.contains(&3));
    }

    #[test]
    fn broker_down_moves_leader_and_last_isr_goes_offline() {
        let mut s = state(BASE);
        s.apply(&Action::BrokerDown { broker: 1 });
        assert_eq!(s.topics[0].partitions[0].leader, 2);
        assert_eq!(s.topics[0].partitions[0].isr, vec![2, 3]);
        s.apply(&Action::BrokerDown { broker: 2 });
        s.apply(&Action::BrokerDown { broker: 3 });
        assert_eq!(s.topics[0].partitions[0].leader, -1);
        assert_eq!(s.topics[0].partitions[0].isr, vec![3]);
        assert_eq!(s.controller, -1);
        s.apply(&Action::BrokerUp { broker: 3 });
        assert_eq!(s.topics[0].partitions[0].leader, 3);
    }

    #[test]
    fn unclean_election_truncates_to_the_new_leaders_log() {
        let mut s = state(
            "[cluster]\nbrokers = 2\nunclean_leader_election = true\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplication_factor = 2\nreplicas = [[1,2]]\nrate = 100.0\nnoise = 0.0\nseasonality = 0.0\n",
        );
        s.apply(&Action::SlowFollower {
            broker: 2,
            delay: Duration::from_secs(40),
        });
        for _ in 0..600 {
            s.tick(100);
        }
        assert_eq!(s.topics[0].partitions[0].isr, vec![1], "2 fell behind");
        let before = s.topics[0].end_offset(&s.topics[0].partitions[0]);
        let epoch = s.topics[0].partitions[0].leader_epoch;
        s.apply(&Action::BrokerDown { broker: 1 });
        let p = &s.topics[0].partitions[0];
        assert_eq!((p.leader, p.isr.clone()), (2, vec![2]));
        assert!(p.leader_epoch > epoch);
        let after = s.topics[0].end_offset(p);
        // Broker 2 last caught up 40 s ago: ~4,000 messages lost.
        assert!(
            (3_800..=4_200).contains(&(before - after)),
            "{before} -> {after}"
        );
    }

    #[test]
    fn a_reassignment_copies_joins_the_isr_then_drops_the_removed_replica() {
        let mut s = state(BASE);
        for _ in 0..100 {
            s.tick(100);
        }
        // Partition 0: [1,2,3] -> [1,2,4]? Only 3 brokers: move 3 out, 3 in
        // elsewhere is not possible, so shrink: [2,3].
        s.apply(&Action::Reassign {
            topic: "t".into(),
            partition: Some(0),
            replicas: vec![2, 3],
            rate: 1e9,
        });
        let p = &s.topics[0].partitions[0];
        assert_eq!(p.replicas, vec![2, 3, 1], "target, then removing");
        s.tick(100);
        let p = &s.topics[0].partitions[0];
        assert_eq!(p.replicas, vec![2, 3]);
        assert!(p.reassignment.is_none() && !p.isr.contains(&1));
        assert_ne!(p.leader, 1, "leadership moved off the removed broker");
    }

    #[test]
    fn consumers_commit_and_stall() {
        let mut s = state(BASE);
        let before = s.groups[0].committed[0][0];
        for _ in 0..100 {
            s.tick(100);
        }
        let after = s.groups[0].committed[0][0];
        assert!(after > before);
        // 10 s at one commit every 5 s (default), from a random phase.
        let slots = s.groups[0].commit_slots;
        assert!((2..=3).contains(&slots), "{slots}");
        s.apply(&Action::ConsumerStall { group: "g".into() });
        for _ in 0..100 {
            s.tick(100);
        }
        assert_eq!(s.groups[0].committed[0][0], after);
        assert_eq!(
            s.groups[0].commit_slots,
            slots + 2,
            "missed slots count too"
        );
        s.apply(&Action::ConsumerRewind {
            group: "g".into(),
            offsets: Some(5),
        });
        assert_eq!(s.groups[0].committed[0][0], after - 5);
    }
}
