//! [`FindingKind`]: the one list of kinds, with their stable snake_case
//! names. A leaf: the evidence table and the finding import it.

use serde::{Deserialize, Serialize};

/// What kind of problem a finding reports. The snake_case name is stable:
/// it appears in fingerprints, metrics labels and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The cluster could not be polled at all.
    ClusterUnreachable,
    /// A broker seen before (or named in replica lists) is absent from metadata.
    BrokerDown,
    /// A broker in the metadata that the monitor cannot connect to, or that
    /// does not answer: alive for the cluster, unusable for clients.
    BrokerUnreachable,
    /// No active controller: on KRaft no metadata-quorum leader answers
    /// DescribeQuorum (two polls in a row); on ZooKeeper Metadata names
    /// none.
    NoController,
    /// The controller moved several times within the window.
    ControllerUnstable,
    /// A voter of the KRaft metadata quorum has not caught up with its
    /// leader for `quorum_lag_for`.
    QuorumLag,
    /// Too few voters are caught up for the quorum to survive one more
    /// failure (or to have a majority at all).
    QuorumDegraded,
    PartitionOffline,
    UnderMinIsr,
    AtMinIsr,
    UnderReplicated,
    /// A broker's log directory is on a volume nearly full, or filling
    /// fast enough to be full soon: a full volume fails the directory and
    /// shuts a broker with no other directory down.
    DiskSpace,
    /// A partition's new leader was not in its last known ISR (with unclean
    /// election possible), or its high watermark moved backwards: a stale
    /// replica leads and acknowledged writes may be lost.
    UncleanElection,
    /// Many ISR shrinks/expands within the window.
    IsrChurn,
    /// A broker leads far more or fewer partitions than its preferred share.
    LeaderImbalance,
    /// Partitions are being reassigned (their added replicas copy the log):
    /// info while it progresses, a warning once it made no progress for
    /// `reassignment_stuck_after`.
    ReassignmentInProgress,
    /// Follower lag from the sidecar (JMX) source.
    FollowerLag,
    /// Consumer group lag status other than OK.
    ConsumerLag,
    /// Retention (or DeleteRecords) deleted messages a consumer group had
    /// not read: its committed offset is below the partition's log start
    /// offset, or moved past data deleted before it got there.
    UnreadDataDeleted,
    /// A series' anomaly score crossed the alert threshold.
    Anomaly,
}

impl FindingKind {
    /// Every kind, in declaration order: the one list that config
    /// validation, scenario files and tests check names against.
    pub const ALL: [FindingKind; 20] = [
        FindingKind::ClusterUnreachable,
        FindingKind::BrokerDown,
        FindingKind::BrokerUnreachable,
        FindingKind::NoController,
        FindingKind::ControllerUnstable,
        FindingKind::QuorumLag,
        FindingKind::QuorumDegraded,
        FindingKind::PartitionOffline,
        FindingKind::UnderMinIsr,
        FindingKind::AtMinIsr,
        FindingKind::UnderReplicated,
        FindingKind::DiskSpace,
        FindingKind::UncleanElection,
        FindingKind::IsrChurn,
        FindingKind::LeaderImbalance,
        FindingKind::ReassignmentInProgress,
        FindingKind::FollowerLag,
        FindingKind::ConsumerLag,
        FindingKind::UnreadDataDeleted,
        FindingKind::Anomaly,
    ];

    /// The kind named `name` (its snake_case name), if any.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Every kind's snake_case name, comma-separated, for error messages.
    pub fn names() -> String {
        Self::ALL.map(|k| k.as_str()).join(", ")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ClusterUnreachable => "cluster_unreachable",
            FindingKind::BrokerDown => "broker_down",
            FindingKind::BrokerUnreachable => "broker_unreachable",
            FindingKind::NoController => "no_controller",
            FindingKind::ControllerUnstable => "controller_unstable",
            FindingKind::QuorumLag => "quorum_lag",
            FindingKind::QuorumDegraded => "quorum_degraded",
            FindingKind::PartitionOffline => "partition_offline",
            FindingKind::UnderMinIsr => "under_min_isr",
            FindingKind::AtMinIsr => "at_min_isr",
            FindingKind::UnderReplicated => "under_replicated",
            FindingKind::DiskSpace => "disk_space",
            FindingKind::UncleanElection => "unclean_election",
            FindingKind::IsrChurn => "isr_churn",
            FindingKind::LeaderImbalance => "leader_imbalance",
            FindingKind::ReassignmentInProgress => "reassignment_in_progress",
            FindingKind::FollowerLag => "follower_lag",
            FindingKind::ConsumerLag => "consumer_lag",
            FindingKind::UnreadDataDeleted => "unread_data_deleted",
            FindingKind::Anomaly => "anomaly",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
