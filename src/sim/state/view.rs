//! The read-only copy of the simulated cluster handed out by
//! [`crate::sim::SimHandle::state`].

use std::collections::BTreeMap;
use std::time::Duration;

use super::model::*;
use super::ClusterState;
use crate::sim::scenario::PartitionMode;
use crate::snapshot::BrokerId;

impl ClusterState {
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
                disk_usable_bytes: b.disk_usable_bytes(),
                cut: b.cut,
                voter_stopped: b.voter_stopped,
                voter_delay: Duration::from_millis(b.voter_delay_ms.max(0) as u64),
                removed_voter: b.removed_voter,
            })
            .collect();
        let topics = self
            .topics
            .iter()
            .filter(|t| t.exists)
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
                    if self.topics[ti].exists {
                        committed.insert(self.topics[ti].name.clone(), g.committed[k].clone());
                    }
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
            .filter(|t| t.exists)
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

/// Read-only copy of the simulated cluster (see [`crate::sim::SimHandle::state`]).
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
    /// Its log directory has failed (`log_dir_failure`, or a full disk).
    pub log_dir_failed: bool,
    /// Bytes free on its log directory's volume (`disk_fill`).
    pub disk_usable_bytes: i64,
    /// Cut off by a `network_partition`, and how.
    pub cut: Option<PartitionMode>,
    /// Its metadata-quorum voter is stopped (`voter_down`) or fetches this
    /// far behind (`voter_lag`).
    pub voter_stopped: bool,
    pub voter_delay: Duration,
    /// Its voter was removed from the metadata quorum (`decommission`).
    pub removed_voter: bool,
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
    /// Committed offsets by topic, indexed by partition, for the partitions
    /// its members were assigned (-1: none committed yet).
    pub committed: BTreeMap<String, Vec<i64>>,
    /// Commit slots that have passed (`commit_interval` apart) while the
    /// group had members, whether it committed in them or not (stalled); a
    /// stopped group counts none. A slot that passes with the committed
    /// offsets unchanged while the log grew is the first moment a stall can
    /// be seen from outside.
    pub commits: u64,
}
