//! The parts of the simulated cluster: brokers, partitions (with their
//! reassignments), topics, consumer groups.

use std::time::Duration;

use crate::sim::scenario::{OffsetReset, PartitionMode};
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
    /// Bytes on its disk beyond what retention keeps (`disk_fill`), and
    /// how fast they grow (bytes/s; 0 once full or freed).
    pub disk_extra_bytes: f64,
    pub disk_fill_rate: f64,
    /// Its metadata-quorum voter: fetch delay (`voter_lag`), stopped
    /// (`voter_down`), log end offset and when it last caught up (sim ms).
    pub voter_delay_ms: i64,
    pub voter_stopped: bool,
    pub voter_leo: i64,
    pub voter_caught_up_ms: i64,
    /// Removed from the metadata quorum's voters (`decommission`, KIP-853
    /// RemoveRaftVoter): DescribeQuorum no longer lists it and it is never
    /// elected controller again.
    pub removed_voter: bool,
    /// Its last stop was a controlled shutdown. A broker that crashed is
    /// dropped from every ELR when it registers again (KIP-966): its log
    /// may miss what it had acknowledged.
    pub clean_shutdown: bool,
}

/// The volume each simulated broker's one log directory is on.
pub const DISK_BYTES: i64 = 1 << 40;
/// The share of it in use on a healthy broker. Real brokers are sized for
/// their retention, which deletes about what the producers write, so
/// usage holds steady; the simulator keeps no real log (nor retention),
/// so it reports this steady share plus whatever `disk_fill` adds.
pub const DISK_STEADY_SHARE: f64 = 0.40;

impl Broker {
    /// Bytes free on its log directory's volume.
    pub fn disk_usable_bytes(&self) -> i64 {
        let used = DISK_BYTES as f64 * DISK_STEADY_SHARE + self.disk_extra_bytes;
        (DISK_BYTES as f64 - used).max(0.0) as i64
    }

    /// Whether its voter can be elected leader of the metadata quorum (the
    /// active controller): up, still a voter, and fetching the log.
    pub fn can_lead_quorum(&self) -> bool {
        self.up && !self.removed_voter && !self.voter_stopped
    }

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
    /// Eligible leader replicas (KIP-966, when the cluster has them on):
    /// replicas that left an ISR smaller than min ISR. The high watermark
    /// stopped when the ISR fell below min ISR, so each holds every
    /// committed message and may lead when the ISR is empty.
    pub elr: Vec<BrokerId>,
    /// The leader at the moment the partition lost its leader with ELR on
    /// (Kafka's `LastKnownElr`); elected when it returns if ISR and ELR are
    /// empty by then.
    pub last_known_elr: Vec<BrokerId>,
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
    /// A partition whose replicas are all in sync and caught up at `now`,
    /// led by the first.
    pub(super) fn new(replicas: Vec<BrokerId>, base: i64, log_start: i64, now: i64) -> Partition {
        Partition {
            isr: replicas.clone(),
            leader: replicas.first().copied().unwrap_or(-1),
            leader_epoch: 0,
            base,
            log_start,
            missed: 0.0,
            offline_since_ms: now,
            reassignment: None,
            last_caught_up: vec![now; replicas.len()],
            elr: Vec::new(),
            last_known_elr: Vec::new(),
            replicas,
        }
    }

    /// Sets the ISR as the KRaft controller does (`PartitionChangeBuilder`).
    /// `elr_min_isr`: the effective min ISR (`min.insync.replicas`, at most
    /// the replication factor) when the cluster has ELR on, else `None`.
    /// With ELR on, an ISR at min ISR or more clears the ELR; a smaller one
    /// adds the replicas it lost to the ELR.
    pub(super) fn set_isr(&mut self, isr: Vec<BrokerId>, elr_min_isr: Option<usize>) {
        if let Some(min) = elr_min_isr {
            if isr.len() >= min {
                self.elr.clear();
                self.last_known_elr.clear();
            } else {
                let mut elr: Vec<BrokerId> = self
                    .elr
                    .iter()
                    .chain(&self.isr)
                    .copied()
                    .filter(|r| !isr.contains(r))
                    .collect();
                elr.sort_unstable();
                elr.dedup();
                self.elr = elr;
            }
        }
        self.isr = isr;
    }

    /// Elects `leader` out of the ISR (from the ELR or as the last known
    /// leader): the ISR becomes it alone, and the last known leader is
    /// forgotten.
    pub(super) fn elect_outside_isr(&mut self, leader: BrokerId, elr_min_isr: Option<usize>) {
        self.leader = leader;
        self.leader_epoch += 1;
        self.set_isr(vec![leader], elr_min_isr);
        self.last_known_elr.clear();
    }

    /// The offset after the last message once `produced` messages per
    /// partition have been produced to its topic (those lost while it was
    /// offline not counted).
    pub(super) fn offset_after(&self, produced: f64) -> i64 {
        self.base + (produced - self.missed).max(0.0) as i64
    }

    /// Sets the replica list, keeping each kept replica's catch-up time.
    pub(super) fn set_replicas(&mut self, replicas: Vec<BrokerId>) {
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
    pub(super) fn finish_reassignment(&mut self, alive: &[BrokerId]) -> bool {
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
    /// Whether the topic exists now: a topic declared `exists = false`
    /// waits for `topic_create`, and `topic_delete` removes one. A topic
    /// that does not exist has no partitions and is in no answer.
    pub exists: bool,
    /// Partitions it is created with, replication factor, and explicit
    /// replica lists (for `topic_create`).
    pub declared_partitions: usize,
    pub replication_factor: usize,
    pub declared_replicas: Option<Vec<Vec<BrokerId>>>,
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
    /// `segment.ms`, and the messages `segment.bytes` (1 GiB) holds.
    pub segment_ms: i64,
    pub segment_messages: i64,
    pub message_bytes: u32,
    /// Messages produced per partition since start.
    pub produced: f64,
    /// (sim ms, produced) samples, for offsets-by-timestamp.
    pub history: Vec<(i64, f64)>,
    pub partitions: Vec<Partition>,
}

/// Messages produced per partition by simulated ms `at`, from a topic's
/// (sim ms, produced) history: at most a second early, coarser for old times.
pub(super) fn produced_at(history: &[(i64, f64)], at: i64) -> f64 {
    match history.partition_point(|h| h.0 <= at) {
        0 => 0.0,
        i => history[i - 1].1,
    }
}

impl Topic {
    /// Log end offset (= high watermark) of partition `p`.
    pub fn end_offset(&self, p: &Partition) -> i64 {
        p.offset_after(self.produced)
    }

    /// Where retention leaves partition `p`'s log start at `now` (sim ms):
    /// the first offset of the segment holding the oldest message younger
    /// than `retention_ms`. Segments roll every `segment_ms` (from time 0)
    /// and every `segment_messages`; only whole segments are deleted, the
    /// active one too once all of it is older (Kafka rolls it first). The
    /// data present at start is one segment whose newest message is at
    /// time 0. Never moves the log start back.
    pub fn retention_start(&self, p: &Partition, now: i64) -> i64 {
        let cutoff = now - self.retention_ms;
        if cutoff <= 0 {
            return p.log_start;
        }
        let end = self.end_offset(p);
        let offset_when = |ms: i64| p.offset_after(produced_at(&self.history, ms)).min(end);
        let first_young = offset_when(cutoff);
        let start = if first_young >= end {
            end
        } else {
            let by_time = offset_when(cutoff / self.segment_ms.max(1) * self.segment_ms.max(1));
            let per = self.segment_messages.max(1);
            let by_size = p.base + (first_young - p.base).max(0) / per * per;
            by_time.max(by_size).min(first_young)
        };
        start.max(p.log_start)
    }

    /// First offset whose timestamp is at or after `sim_ms`, if any.
    pub fn offset_at(&self, p: &Partition, sim_ms: i64) -> Option<i64> {
        if sim_ms <= self.history.first().map(|h| h.0).unwrap_or(0) {
            return Some(p.log_start);
        }
        let idx = self.history.partition_point(|h| h.0 < sim_ms);
        let produced = self.history.get(idx).map(|h| h.1)?;
        let off = p.offset_after(produced);
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
    /// Members stay; nothing is consumed or committed until the
    /// rebalance completes.
    Rebalancing,
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
    /// Where a member fetching below the log start starts again.
    pub offset_reset: OffsetReset,
    /// Commit slots passed so far (see [`GroupView::commits`]).
    pub commit_slots: u64,
    /// Stable hash of the name, for the coordinator choice.
    pub hash: u64,
    /// Per topic: when the members will see partitions they are not
    /// assigned yet (added, or the topic created, since they last read its
    /// metadata; `i64::MAX`: nothing pending). The partitions they are
    /// assigned are the first `committed[k].len()` (see [`Group::assigned`]).
    pub discover_at_ms: Vec<i64>,
    /// Per topic: partitions a hung member's last assignment still names
    /// (by topic name) beyond those it holds a slot for. Members that stop
    /// polling never rejoin to learn that their topic was deleted, so
    /// DescribeGroups keeps describing that assignment, and it names the
    /// new log's partitions once the topic is created again. Only read
    /// while the group is [`GroupMode::Stalled`].
    pub stale_assigned: Vec<usize>,
}

impl Group {
    /// How many partitions of its `k`th topic the members are assigned:
    /// those it has a position and a committed slot for.
    pub fn assigned(&self, k: usize) -> usize {
        self.committed[k].len()
    }

    /// Its consumers start as a new group: nothing committed, so every
    /// partition is assigned at the next tick, from `offset_reset`.
    pub fn start_afresh(&mut self, now: i64) {
        self.mode = GroupMode::Normal;
        self.slow_factor = 1.0;
        for k in 0..self.topics.len() {
            self.positions[k].clear();
            self.committed[k].clear();
            self.discover_at_ms[k] = now;
        }
        self.next_commit_ms = now + self.commit_interval_ms;
    }

    /// How many partitions of its `k`th topic DescribeGroups names in its
    /// members' assignment: those assigned, or a hung member's stale
    /// assignment (see [`Group::stale_assigned`]).
    pub fn described(&self, k: usize) -> usize {
        match self.mode {
            GroupMode::Stalled => self.assigned(k).max(self.stale_assigned[k]),
            _ => self.assigned(k),
        }
    }
}

/// A committed offset that is not there: what OffsetFetch answers for a
/// partition the group never committed.
pub(crate) const NO_OFFSET: i64 = -1;

/// Kafka's group state name.
pub(crate) fn group_state(g: &Group) -> &'static str {
    match g.mode {
        GroupMode::Normal | GroupMode::Stalled => "Stable",
        GroupMode::Rebalancing => "PreparingRebalance",
        GroupMode::Stopped => "Empty",
        GroupMode::Deleted => "Dead",
    }
}
