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
//!
//! `model.rs` holds the parts (brokers, partitions, topics, groups);
//! `tick.rs` the dynamics, `actions.rs` the faults and recoveries,
//! `view.rs` the read-only copy handed out.

mod actions;
pub(crate) mod model;
mod tick;
pub(crate) mod view;

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::scenario::{Action, ClusterSpec};
use crate::snapshot::BrokerId;
pub(crate) use model::{group_state, Broker, Group, GroupMode, Partition, Topic};

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
    /// Eligible leader replicas on (`ClusterSpec::eligible_leader_replicas`).
    pub elr: bool,
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
    next_retention_ms: i64,
    next_offsets_cleanup_ms: i64,
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

/// `segment.bytes`: Kafka's default segment size (1 GiB).
const SEGMENT_BYTES: i64 = 1 << 30;

/// `log.retention.check.interval.ms`: how often retention deletes.
const RETENTION_CHECK_MS: i64 = 300_000;

/// `offsets.retention.check.interval.ms`: how often the group coordinator
/// removes groups without members and without committed offsets.
const OFFSETS_CLEANUP_MS: i64 = 600_000;

/// Most (time, produced) samples kept per topic for offsets-by-timestamp.
const HISTORY_CAP: usize = 1024;

/// The min ISR that counts for a partition with `rf` replicas:
/// `min.insync.replicas`, at most the replication factor (Kafka 3.7+).
fn effective_min_isr(min_isr: u32, rf: usize) -> usize {
    (min_isr as usize).min(rf)
}

/// [`effective_min_isr`] when ELR is on, else `None`: what
/// [`Partition::set_isr`] takes.
fn elr_min_isr(elr_on: bool, min_isr: u32, rf: usize) -> Option<usize> {
    elr_on.then(|| effective_min_isr(min_isr, rf))
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Replicas of partition `p` of topic `name` on `brokers`, round-robin
/// from a start fixed by the name (shifted by `shift`), as Kafka's
/// placement spreads them.
fn placement(brokers: &[BrokerId], name: &str, shift: usize, p: usize, rf: usize) -> Vec<BrokerId> {
    let n = brokers.len().max(1);
    let start = (fnv(name) as usize).wrapping_add(shift) % n;
    (0..rf.min(brokers.len()))
        .map(|j| brokers[(start + p + j) % n])
        .collect()
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
                removed_voter: false,
                clean_shutdown: false,
                cut: None,
                log_dir_failed: false,
                disk_extra_bytes: 0.0,
                disk_fill_rate: 0.0,
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
                let rf = (t.replication_factor as usize).min(n).max(1);
                let mut partitions = Vec::with_capacity(t.partitions as usize);
                for p in 0..t.partitions as usize {
                    if !t.exists {
                        break;
                    }
                    let replicas: Vec<BrokerId> = match &t.replicas {
                        Some(r) => r[p].clone(),
                        None => placement(&ids, &name, 0, p, rf),
                    };
                    let base = rng.random_range(1_000..1_000_000i64);
                    partitions.push(Partition::new(replicas, base, base / 10, 0));
                }
                topic_index.insert(name.clone(), topics.len());
                topics.push(Topic {
                    id: ((rng.random::<u64>() as u128) << 64) | rng.random::<u64>() as u128,
                    exists: t.exists,
                    declared_partitions: t.partitions as usize,
                    replication_factor: rf,
                    declared_replicas: t.replicas.clone(),
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
                    segment_ms: ms(t.segment).max(1),
                    segment_messages: (SEGMENT_BYTES / t.message_bytes.max(1) as i64).max(1),
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
                    discover_at_ms: vec![i64::MAX; tix.len()],
                    stale_assigned: vec![0; tix.len()],
                    hash: fnv(&name),
                    next_commit_ms: rng.random_range(0..ci),
                    commit_slots: 0,
                    offset_reset: g.offset_reset,
                    name,
                    topics: tix,
                    members: g.members,
                    commit_interval_ms: ci,
                    headroom: g.headroom,
                    mode: if g.exists {
                        GroupMode::Normal
                    } else {
                        GroupMode::Deleted
                    },
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
            elr: spec.eligible_leader_replicas,
            deny_describe_configs: spec.deny_describe_configs,
            quorum_epoch: 1,
            quorum_leader_seen: ids[0],
            rebalance_interval_ms: ms(spec.leader_rebalance_interval).max(1),
            next_rebalance_ms: ms(spec.leader_rebalance_interval).max(1),
            next_retention_ms: RETENTION_CHECK_MS,
            next_offsets_cleanup_ms: OFFSETS_CLEANUP_MS,
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

    /// The brokers that are up, in id order (where new replicas go).
    fn up_brokers(&self) -> Vec<BrokerId> {
        self.brokers.iter().filter(|b| b.up).map(|b| b.id).collect()
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
            .find(|b| b.can_lead_quorum())
            .map(|b| b.id)
            .unwrap_or(-1)
    }

    /// The index of topic `name` if it exists now (declared topics not yet
    /// created, and deleted ones, are unknown to clients).
    pub fn live_topic(&self, name: &str) -> Option<usize> {
        self.topic_index
            .get(name)
            .copied()
            .filter(|&i| self.topics[i].exists)
    }

    fn groups_named(&mut self, name: &str) -> Option<&mut Group> {
        let i = *self.group_index.get(name)?;
        self.groups.get_mut(i)
    }

    /// The group `name` unless it was deleted or removed: stopping, hanging
    /// or rebalancing a group that does not exist changes nothing.
    fn live_group(&mut self, name: &str) -> Option<&mut Group> {
        self.groups_named(name)
            .filter(|g| g.mode != GroupMode::Deleted)
    }

    fn topics_matching(&mut self, topic: &Option<String>) -> Vec<usize> {
        match topic {
            Some(t) => self.topic_index.get(t).copied().into_iter().collect(),
            None => (0..self.topics.len()).collect(),
        }
    }

    /// Wall-clock ms of simulated time `sim_ms`.
    pub fn wall_ms(&self, sim_ms: i64) -> i64 {
        self.epoch_wall_ms + sim_ms
    }
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

    /// Runs `s` for `secs` simulated seconds in 1-s ticks.
    fn run(s: &mut ClusterState, secs: i64) {
        for _ in 0..secs {
            s.tick(1000);
        }
    }

    #[test]
    fn retention_deletes_whole_old_segments_at_its_checks() {
        let text = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nrate = 10.0\nseasonality = 0.0\nnoise = 0.0\nretention = \"10m\"\nsegment = \"1m\"\n";
        let mut s = state(text);
        let start = s.topics[0].partitions[0].log_start;
        let base = s.topics[0].partitions[0].base;
        // Nothing is older than 10 minutes before the check at 10 min.
        run(&mut s, 600);
        assert_eq!(s.topics[0].partitions[0].log_start, start);
        // At 15 min: the data from before the start, and the segments
        // rolled before 5 min (10 messages/s), are gone.
        run(&mut s, 299);
        assert_eq!(s.topics[0].partitions[0].log_start, start);
        run(&mut s, 1);
        let ls = s.topics[0].partitions[0].log_start;
        assert!((base + 2990..=base + 3000).contains(&ls), "{ls} vs {base}");
        // Until the next check it stays.
        run(&mut s, 299);
        assert_eq!(s.topics[0].partitions[0].log_start, ls);
        // With the default segments (7 days, 1 GiB) the active segment
        // holds everything produced since the start: only the data from
        // before it can go.
        let mut s = state(&text.replace("segment = \"1m\"\n", ""));
        run(&mut s, 1800);
        let p = &s.topics[0].partitions[0];
        assert_eq!(p.log_start, p.base);
    }

    #[test]
    fn a_consumer_whose_position_was_deleted_resets_as_configured() {
        for (reset, expect_end) in [("latest", true), ("earliest", false)] {
            let text = format!(
                "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nrate = 10.0\nsegment = \"1m\"\n[[cluster.groups]]\nname = \"g\"\ntopics = [\"t\"]\noffset_reset = \"{reset}\"\n"
            );
            let mut s = state(&text);
            run(&mut s, 60);
            s.apply(&Action::ConsumerStop { group: "g".into() });
            let stopped_at = s.groups[0].committed[0][0];
            s.apply(&Action::RetentionChange {
                topic: "t".into(),
                retention: Duration::from_secs(60),
            });
            run(&mut s, 300);
            let ls = s.topics[0].partitions[0].log_start;
            assert!(stopped_at < ls, "{reset}: {stopped_at} {ls}");
            // Stopped: nothing fetches, the committed offset stays.
            assert_eq!(s.groups[0].committed[0][0], stopped_at);
            s.apply(&Action::ConsumerRecover { group: "g".into() });
            run(&mut s, 6);
            let end = s.topics[0].end_offset(&s.topics[0].partitions[0]);
            let c = s.groups[0].committed[0][0];
            if expect_end {
                assert!(c >= end - 10, "{reset}: {c} {end}");
            } else {
                assert!(c >= ls && c < end - 100, "{reset}: {c} {ls} {end}");
            }
        }
    }

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

    /// KIP-966's walk-through (docs/kraft-elr.md, section 1): RF 3, min
    /// ISR 2, ELR on; brokers 2, 3, then 1 stop, then come back.
    #[test]
    fn eligible_leader_replicas_follow_kafka_4_1() {
        const ELR: &str = "[cluster]\nbrokers = 3\nmin_insync_replicas = 2\neligible_leader_replicas = true\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplicas = [[1,2,3]]\n";
        let p = |s: &ClusterState| {
            let p = &s.topics[0].partitions[0];
            (
                p.leader,
                p.isr.clone(),
                p.elr.clone(),
                p.last_known_elr.clone(),
            )
        };
        let walk = |clean: bool| {
            let mut s = state(ELR);
            for b in [2, 3, 1] {
                s.apply(&if clean {
                    Action::ControlledShutdown { broker: b }
                } else {
                    Action::BrokerDown { broker: b }
                });
            }
            s
        };
        let mut s = state(ELR);
        s.apply(&Action::BrokerDown { broker: 2 });
        assert_eq!(p(&s), (1, vec![1, 3], vec![], vec![]));
        s.apply(&Action::BrokerDown { broker: 3 });
        assert_eq!(p(&s), (1, vec![1], vec![3], vec![]));
        s.apply(&Action::BrokerDown { broker: 1 });
        assert_eq!(p(&s), (-1, vec![], vec![1, 3], vec![1]), "ISR empty");
        // Broker 2 was never eligible: nothing changes.
        s.apply(&Action::BrokerUp { broker: 2 });
        assert_eq!(p(&s).0, -1);

        // Clean stops: broker 3, in the ELR, leads again on its return,
        // and the ELR is cleared once the ISR is back at min ISR.
        let mut s = walk(true);
        assert_eq!(p(&s), (-1, vec![], vec![1, 3], vec![1]));
        s.apply(&Action::BrokerUp { broker: 3 });
        assert_eq!(p(&s), (3, vec![3], vec![1], vec![]));
        s.apply(&Action::BrokerUp { broker: 2 });
        run(&mut s, 30);
        assert_eq!(p(&s).1.len(), 2, "{:?}", p(&s));
        assert!(p(&s).2.is_empty(), "ELR cleared at min ISR: {:?}", p(&s));

        // Crashes: broker 3 comes back uncleanly, leaves the ELR and cannot
        // lead; broker 1, the last known leader, leads once it is back.
        let mut s = walk(false);
        s.apply(&Action::BrokerUp { broker: 3 });
        assert_eq!(p(&s), (-1, vec![], vec![1], vec![1]));
        s.apply(&Action::BrokerUp { broker: 1 });
        assert_eq!(p(&s), (1, vec![1], vec![], vec![]));

        // Without ELR the last member stays in the ISR (the classic rule).
        let mut s = state(&ELR.replace("eligible_leader_replicas = true", ""));
        for b in [2, 3, 1] {
            s.apply(&Action::BrokerDown { broker: b });
        }
        assert_eq!(p(&s), (-1, vec![1], vec![], vec![]));
    }

    /// Producers write with acks=all: a partition under its min ISR
    /// refuses them and its offsets stand still until the ISR is back.
    #[test]
    fn a_partition_under_min_isr_takes_no_writes() {
        let mut s = state("[cluster]\nbrokers = 3\nmin_insync_replicas = 2\n[[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplicas = [[1,2,3]]\nrate = 100.0\nnoise = 0.0\nseasonality = 0.0\n");
        let end = |s: &ClusterState| s.topics[0].end_offset(&s.topics[0].partitions[0]);
        run(&mut s, 10);
        let before = end(&s);
        assert!(before >= 900, "{before}");
        s.apply(&Action::BrokerDown { broker: 2 });
        run(&mut s, 10);
        let at_min = end(&s);
        assert!(
            at_min - before >= 900,
            "at min ISR it takes writes: {before} -> {at_min}"
        );
        s.apply(&Action::BrokerDown { broker: 3 });
        run(&mut s, 10);
        assert_eq!(end(&s), at_min, "under min ISR: NOT_ENOUGH_REPLICAS");
        s.apply(&Action::BrokerUp { broker: 2 });
        run(&mut s, 30);
        assert!(end(&s) - at_min >= 900, "back at min ISR");
    }

    #[test]
    fn a_decommissioned_broker_leaves_the_voters_and_is_never_controller_again() {
        let mut s = state(BASE);
        s.controller = 1;
        s.apply(&Action::Decommission { broker: 1 });
        let b1 = s.broker(1).expect("broker 1");
        assert!(!b1.up && b1.removed_voter);
        assert_eq!(s.controller, 2);
        // Its leaderships moved first (a controlled shutdown).
        assert_ne!(s.topics[0].partitions[0].leader, 1);
        s.apply(&Action::BrokerDown { broker: 2 });
        s.apply(&Action::BrokerDown { broker: 3 });
        assert_eq!(s.controller, -1);
        s.apply(&Action::BrokerUp { broker: 1 });
        s.apply(&Action::ControllerFailover { to: Some(1) });
        assert_ne!(s.controller, 1, "not a voter");
    }

    /// The quorum leader's voter stopping is a lost leader to the other
    /// voters: a new one is elected (the epoch moves), the old one is a
    /// voter behind; it can lead again once it fetches again.
    #[test]
    fn the_quorum_leaders_voter_stopping_moves_the_controller() {
        let mut s = state(BASE);
        s.controller = 1;
        let epoch = s.quorum_epoch;
        s.apply(&Action::VoterDown { broker: 1 });
        assert_eq!(s.controller, 2);
        assert!(s.quorum_epoch > epoch, "a new leader, a new epoch");
        // Never elected while stopped; a follower's voter stopping moves nothing.
        s.apply(&Action::ControllerFailover { to: Some(1) });
        assert_ne!(s.controller, 1);
        s.controller = 2;
        s.apply(&Action::VoterDown { broker: 3 });
        assert_eq!(s.controller, 2);
        s.apply(&Action::BrokerDown { broker: 2 });
        assert_eq!(s.controller, -1, "no voter left that fetches");
        s.apply(&Action::VoterRecover { broker: 1 });
        assert_eq!(s.controller, 1);
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

    #[test]
    fn a_rebalance_commits_what_was_read_then_pauses_the_group_until_it_completes() {
        let mut s = state(BASE);
        for _ in 0..37 {
            s.tick(100);
        }
        let read = s.groups[0].positions[0][0] as i64;
        assert!(
            read > s.groups[0].committed[0][0],
            "read past its last commit"
        );
        s.apply(&Action::ConsumerRebalance { group: "g".into() });
        assert_eq!(s.groups[0].committed[0][0], read, "committed on revoke");
        assert_eq!(group_state(&s.groups[0]), "PreparingRebalance");
        for _ in 0..200 {
            s.tick(100);
        }
        assert_eq!(s.groups[0].committed[0][0], read, "nothing committed");
        assert_eq!(s.groups[0].positions[0][0] as i64, read, "nothing read");
        s.apply(&Action::ConsumerRecover { group: "g".into() });
        assert_eq!(group_state(&s.groups[0]), "Stable");
        for _ in 0..100 {
            s.tick(100);
        }
        assert!(s.groups[0].committed[0][0] > read, "consuming again");
    }

    #[test]
    fn added_partitions_start_empty_and_groups_take_them_at_their_next_metadata_refresh() {
        let mut s = state(BASE);
        run(&mut s, 10);
        let before: i64 = s.view().topics["t"].iter().map(|p| p.end_offset).sum();
        s.apply(&Action::PartitionsAdd {
            topic: "t".into(),
            partitions: 5,
        });
        let v = s.view();
        assert_eq!(v.topics["t"].len(), 5);
        assert_eq!(v.topics["t"][3].end_offset, 0, "a new partition is empty");
        assert_eq!(v.topics["t"][4].isr, v.topics["t"][4].replicas);
        assert_eq!(
            v.topics["t"][3..].iter().map(|p| p.end_offset).sum::<i64>(),
            0
        );
        assert!(v.topics["t"][..3].iter().map(|p| p.end_offset).sum::<i64>() >= before);
        // Not assigned yet: nothing committed on the new partitions.
        assert_eq!(v.groups["g"].committed["t"].len(), 3);
        // Fewer partitions than it has: ignored, as Kafka refuses it.
        s.apply(&Action::PartitionsAdd {
            topic: "t".into(),
            partitions: 2,
        });
        assert_eq!(s.view().topics["t"].len(), 5);
        run(&mut s, 310);
        let v = s.view();
        let c = &v.groups["g"].committed["t"];
        assert_eq!(c.len(), 5, "assigned within metadata.max.age.ms");
        for p in 3..5 {
            let end = v.topics["t"][p].end_offset;
            assert!(end > 0, "produced to");
            assert!(c[p] >= 0 && c[p] <= end, "{c:?}");
        }
    }

    #[test]
    fn a_deleted_topic_leaves_metadata_and_the_groups_offsets_and_can_be_created_again() {
        let text = format!("{BASE}[[cluster.topics]]\nname = \"later\"\npartitions = 2\nexists = false\n[[cluster.groups]]\nname = \"h\"\ntopics = [\"later\"]\n");
        let mut s = state(&text);
        run(&mut s, 10);
        assert!(!s.view().topics.contains_key("later"));
        assert!(s.view().groups["h"].committed.is_empty());
        s.apply(&Action::TopicCreate {
            topic: "later".into(),
        });
        assert_eq!(s.view().topics["later"].len(), 2);
        assert_eq!(s.view().topics["later"][0].end_offset, 0);
        run(&mut s, 30);
        let c = s.view().groups["h"].committed["later"].clone();
        assert_eq!(c.len(), 2, "subscribed members take it once they see it");
        assert!(c.iter().all(|&o| o >= 0), "{c:?}");
        s.apply(&Action::TopicDelete {
            topic: "later".into(),
        });
        let v = s.view();
        assert!(!v.topics.contains_key("later"));
        assert!(
            v.groups["h"].committed.is_empty(),
            "offsets deleted with it"
        );
        assert_eq!(v.groups["h"].state, "Stable", "members stay subscribed");
        run(&mut s, 10);
        s.apply(&Action::TopicCreate {
            topic: "later".into(),
        });
        assert_eq!(s.view().topics["later"][1].end_offset, 0, "a new topic");
    }

    /// A hung group's members never rejoin to learn that their topic was
    /// deleted: DescribeGroups keeps their assignment, which names the new
    /// log's partitions once the topic is created again. An Empty group
    /// left without offsets by a deletion is removed at the group
    /// coordinator's next cleanup, and its consumers coming back start a
    /// new group.
    #[test]
    fn hung_members_keep_their_assignment_and_an_empty_group_without_offsets_is_removed() {
        let text = format!("{BASE}[[cluster.groups]]\nname = \"e\"\ntopics = [\"t\"]\n");
        let mut s = state(&text);
        run(&mut s, 10);
        s.apply(&Action::ConsumerStall { group: "g".into() });
        s.apply(&Action::ConsumerStop { group: "e".into() });
        run(&mut s, 10);
        s.apply(&Action::TopicDelete { topic: "t".into() });
        let g = &s.groups[s.group_index["g"]];
        assert_eq!((g.assigned(0), g.described(0)), (0, 3));
        // Kafka 4's coordinator removes it at its next cleanup.
        assert_eq!(s.view().groups["e"].state, "Empty");
        run(&mut s, 600);
        assert!(!s.view().groups.contains_key("e"), "removed: no offsets");
        s.apply(&Action::ConsumerStop { group: "e".into() });
        assert!(!s.view().groups.contains_key("e"), "stopping it: nothing");
        s.apply(&Action::TopicCreate { topic: "t".into() });
        run(&mut s, 30);
        let v = s.view();
        assert_eq!(v.groups["g"].state, "Stable");
        assert!(
            v.groups["g"].committed["t"].is_empty(),
            "nothing taken, nothing committed"
        );
        assert_eq!(s.groups[s.group_index["g"]].described(0), 3);
        s.apply(&Action::ConsumerRecover { group: "g".into() });
        s.apply(&Action::ConsumerRecover { group: "e".into() });
        run(&mut s, 10);
        let v = s.view();
        for name in ["g", "e"] {
            let c = &v.groups[name].committed["t"];
            assert!(c.len() == 3 && c.iter().all(|&o| o >= 0), "{name}: {c:?}");
        }
        // A group whose consumers crash before their first commit: removed
        // at the coordinator's next cleanup (every 10 minutes).
        s.apply(&Action::GroupDelete { group: "e".into() });
        s.apply(&Action::GroupCreate { group: "e".into() });
        s.apply(&Action::ConsumerStop { group: "e".into() });
        assert_eq!(s.view().groups["e"].state, "Empty");
        run(&mut s, 600);
        assert!(!s.view().groups.contains_key("e"));
    }

    #[test]
    fn a_created_group_starts_where_its_offset_reset_says() {
        for (reset, backlog) in [("latest", false), ("earliest", true)] {
            let text = format!("{BASE}[[cluster.groups]]\nname = \"new\"\ntopics = [\"t\"]\nexists = false\noffset_reset = \"{reset}\"\nheadroom = 1.5\n");
            let mut s = state(&text);
            run(&mut s, 60);
            assert!(!s.view().groups.contains_key("new"));
            s.apply(&Action::GroupCreate {
                group: "new".into(),
            });
            assert!(s.view().groups["new"].committed["t"].is_empty());
            run(&mut s, 6);
            let v = s.view();
            let c = &v.groups["new"].committed["t"];
            let end = v.topics["t"][0].end_offset;
            let start = v.topics["t"][0].log_start_offset;
            if backlog {
                assert!(
                    c[0] < start + (end - start) / 2,
                    "{reset}: {c:?} {start} {end}"
                );
            } else {
                assert!(c[0] >= end - 10, "{reset}: {c:?} {end}");
            }
        }
    }
}
