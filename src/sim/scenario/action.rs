//! The timeline: events, and the faults and recoveries they apply.

use std::time::Duration;

use crate::snapshot::BrokerId;

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Simulated time since start at which the action happens.
    pub at: Duration,
    /// Optional name, referred to by `[[expect]]` entries.
    pub id: Option<String>,
    /// What happens.
    pub action: Action,
    /// When set, the matching recovery action is applied `duration` later.
    pub duration: Option<Duration>,
    /// Line of the event in the scenario file (for messages).
    pub line: usize,
}

/// How a network partition cuts a broker off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionMode {
    /// Cut from the other brokers (no replication either way) but clients still reach it.
    Brokers,
    /// Reachable by the other brokers, unreachable by clients.
    Clients,
    /// Replication continues and clients can connect, but no request is
    /// ever answered: a broken client listener or a proxy in front of it.
    Unresponsive,
}

/// A fault or recovery applied to the running simulator. In every variant
/// `broker` is a broker id, `group` a group id and `topic` a topic name;
/// unknown ones are ignored when applied directly (scenario parsing rejects
/// them with an error).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The broker stops: it leaves metadata, its connections drop, its led
    /// partitions elect new leaders from the ISR (or go offline).
    BrokerDown { broker: BrokerId },
    /// The broker returns and rejoins the ISRs after `broker_catch_up`.
    BrokerUp { broker: BrokerId },
    /// A controlled shutdown: the broker's leaderships move to other
    /// in-sync replicas first, then it stops as with `BrokerDown`.
    ControlledShutdown { broker: BrokerId },
    /// The broker leaves the cluster for good, as an operator retires it
    /// once its replicas are moved away: its voter is removed from the
    /// metadata quorum (combined mode, KIP-853), then it shuts down as
    /// with `ControlledShutdown`.
    Decommission { broker: BrokerId },
    /// The broker's followers fetch `delay` behind the leaders.
    SlowFollower { broker: BrokerId, delay: Duration },
    /// The broker's followers fetch normally again.
    RecoverFollower { broker: BrokerId },
    /// The broker's metadata-quorum voter (combined mode) fetches the
    /// metadata log `delay` behind the quorum leader.
    VoterLag { broker: BrokerId, delay: Duration },
    /// The voter stops fetching the metadata log (its controller process
    /// hangs), the broker itself serving on.
    VoterDown { broker: BrokerId },
    /// The voter fetches normally again.
    VoterRecover { broker: BrokerId },
    /// Network partition around one broker.
    NetworkPartition {
        broker: BrokerId,
        mode: PartitionMode,
    },
    /// Ends a network partition.
    HealPartition { broker: BrokerId },
    /// The broker's log directory fails: its replicas go offline.
    LogDirFailure { broker: BrokerId },
    /// The log directory is back.
    LogDirRecover { broker: BrokerId },
    /// Something writes to the broker's log directory `bytes_per_sec`
    /// faster than retention deletes (a topic without retention, a runaway
    /// producer, a forgotten debug log on the same volume). A full volume
    /// fails the directory, and a broker whose only directory failed shuts
    /// down (KIP-112), as with `BrokerDown`.
    DiskFill {
        broker: BrokerId,
        bytes_per_sec: f64,
    },
    /// The extra data is deleted (retention shortened, the volume grown):
    /// usage back to steady. A broker that shut down stays down.
    DiskFree { broker: BrokerId },
    /// The controller moves (to `to`, or to the next live broker).
    ControllerFailover { to: Option<BrokerId> },
    /// `broker` takes leadership of every partition it is an in-sync replica of.
    LeaderImbalance { broker: BrokerId },
    /// Preferred leader election on every partition.
    LeaderRebalance,
    /// Multiplies the produce rate of a topic (all topics when `None`).
    TrafficSpike { topic: Option<String>, factor: f64 },
    /// Stops producing to a topic (all topics when `None`).
    TrafficStop { topic: Option<String> },
    /// Back to the configured rate.
    TrafficNormal { topic: Option<String> },
    /// Members stay but committed offsets stop moving.
    ConsumerStall { group: String },
    /// Members leave (group Empty), no more commits.
    ConsumerStop { group: String },
    /// The group rebalances (a member restarted by a rolling deploy, one
    /// joining or leaving, with the eager protocol): its members commit
    /// what they have read as their partitions are revoked, then consume
    /// and commit nothing while the group is `PreparingRebalance`, until
    /// `consumer_recover` (the rebalance completes; a slow one waits for
    /// the slowest member to rejoin, up to its `max.poll.interval.ms`).
    ConsumerRebalance { group: String },
    /// Committed offsets jump back by `offsets` messages (to the log start when `None`).
    ConsumerRewind { group: String, offsets: Option<i64> },
    /// Consumer throughput multiplied by `factor` (< 1 slows down).
    ConsumerSlowdown { group: String, factor: f64 },
    /// The group consumes normally again (and rejoins when stopped).
    ConsumerRecover { group: String },
    /// The group and its offsets are deleted.
    GroupDelete { group: String },
    /// A group's consumers start for the first time (or again after
    /// `group_delete`): no committed offsets, they start where
    /// `offset_reset` says and commit from their first interval.
    GroupCreate { group: String },
    /// The topic is created (declared with `exists = false`, or deleted
    /// before): its partitions start empty at offset 0, placed round-robin
    /// on the brokers that are up; groups subscribed to it are assigned it
    /// once their members see it (seconds later).
    TopicCreate { topic: String },
    /// The topic is deleted: its partitions leave metadata, and groups'
    /// committed offsets on it are deleted with it (as Kafka's group
    /// coordinator does); their members stay subscribed.
    TopicDelete { topic: String },
    /// `kafka-topics.sh --alter --partitions N`: the topic grows to
    /// `partitions` partitions (ignored unless more than it has). The new
    /// ones start empty; producers spread over all; each group's members
    /// are assigned them at their next metadata refresh
    /// (`metadata.max.age.ms`, 5 minutes: somewhere in 0-5 minutes).
    PartitionsAdd { topic: String, partitions: u32 },
    /// An operator sets the topic's `retention.ms` (kafka-configs.sh
    /// --alter, e.g. to free a filling disk): the next retention check
    /// deletes the segments older than it, read or not.
    RetentionChange { topic: String, retention: Duration },
    /// A partition reassignment (KIP-455) of one partition of `topic`, or
    /// all of them: the replica set becomes `replicas` ∪ the current ones;
    /// the added replicas copy the log at `rate` messages/s, join the ISR,
    /// then the removed replicas leave (and leadership moves when its
    /// broker is removed).
    Reassign {
        topic: String,
        partition: Option<i32>,
        replicas: Vec<BrokerId>,
        rate: f64,
    },
}

impl Action {
    /// The action that undoes this one, used for events with a `duration`.
    pub fn recovery(&self) -> Option<Action> {
        use Action::*;
        Some(match self {
            BrokerDown { broker } | ControlledShutdown { broker } => BrokerUp { broker: *broker },
            SlowFollower { broker, .. } => RecoverFollower { broker: *broker },
            VoterLag { broker, .. } | VoterDown { broker } => VoterRecover { broker: *broker },
            NetworkPartition { broker, .. } => HealPartition { broker: *broker },
            LogDirFailure { broker } => LogDirRecover { broker: *broker },
            DiskFill { broker, .. } => DiskFree { broker: *broker },
            LeaderImbalance { .. } => LeaderRebalance,
            TrafficSpike { topic, .. } | TrafficStop { topic } => TrafficNormal {
                topic: topic.clone(),
            },
            ConsumerStall { group }
            | ConsumerStop { group }
            | ConsumerRebalance { group }
            | ConsumerSlowdown { group, .. }
            | ConsumerRewind { group, .. } => ConsumerRecover {
                group: group.clone(),
            },
            _ => return None,
        })
    }

    /// The snake_case name used in scenario files.
    pub fn name(&self) -> &'static str {
        use Action::*;
        match self {
            BrokerDown { .. } => "broker_down",
            BrokerUp { .. } => "broker_up",
            ControlledShutdown { .. } => "controlled_shutdown",
            Decommission { .. } => "decommission",
            SlowFollower { .. } => "slow_follower",
            RecoverFollower { .. } => "recover_follower",
            VoterLag { .. } => "voter_lag",
            VoterDown { .. } => "voter_down",
            VoterRecover { .. } => "voter_recover",
            NetworkPartition { .. } => "network_partition",
            HealPartition { .. } => "heal_partition",
            LogDirFailure { .. } => "log_dir_failure",
            LogDirRecover { .. } => "log_dir_recover",
            DiskFill { .. } => "disk_fill",
            DiskFree { .. } => "disk_free",
            ControllerFailover { .. } => "controller_failover",
            LeaderImbalance { .. } => "leader_imbalance",
            LeaderRebalance => "leader_rebalance",
            TrafficSpike { .. } => "traffic_spike",
            TrafficStop { .. } => "traffic_stop",
            TrafficNormal { .. } => "traffic_normal",
            ConsumerStall { .. } => "consumer_stall",
            ConsumerStop { .. } => "consumer_stop",
            ConsumerRebalance { .. } => "consumer_rebalance",
            ConsumerRewind { .. } => "consumer_rewind",
            ConsumerSlowdown { .. } => "consumer_slowdown",
            ConsumerRecover { .. } => "consumer_recover",
            GroupDelete { .. } => "group_delete",
            GroupCreate { .. } => "group_create",
            TopicCreate { .. } => "topic_create",
            TopicDelete { .. } => "topic_delete",
            PartitionsAdd { .. } => "partitions_add",
            RetentionChange { .. } => "retention_change",
            Reassign { .. } => "reassign",
        }
    }
}
