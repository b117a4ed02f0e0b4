//! The evidence a [`Finding`](super::Finding) carries: typed keys for its
//! numbers ([`Metric`]) and short facts ([`Label`]), and which keys each
//! [`FindingKind`] carries ([`FindingKind::evidence`]).
//!
//! Rules write these keys; the template, the incident titles and the LLM
//! facts read them. Both sides name a key by its variant, so a writer and
//! a reader cannot disagree on its spelling (the template once read
//! `max_lag` where the rule wrote `follower_max_lag`, and `lag` where it
//! wrote `total_lag`). The snake_case name of each key is in one table
//! below; it is what the outbox, the API and the LLM facts show, and it is
//! stable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FindingKind;

/// Declares a key enum with its one name table: `as_str`, `from_name`,
/// `ALL`, `Display`, serde as the name, and ordering by name (so maps keyed
/// by it serialize in the same order as when keys were strings).
macro_rules! evidence_keys {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $var:ident = $s:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( $(#[$vmeta])* $var, )* }

        impl $name {
            /// Every key, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$var, )* ];

            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$var => $s, )* }
            }

            /// The key named `name`, if any.
            pub fn from_name(name: &str) -> Option<$name> {
                match name { $( $s => Some($name::$var), )* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        /// By name, as string keys were ordered.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
                $name::from_name(&name).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&name, &[ $( $s, )* ])
                })
            }
        }
    };
}

evidence_keys! {
    /// A number behind a finding.
    pub enum Metric {
        /// `cluster_unreachable`: poll errors of the failed poll.
        Errors = "errors",
        /// `broker_down`: replicas the broker hosts.
        ReplicasHosted = "replicas_hosted",
        /// `broker_unreachable`: partitions the broker leads.
        LeaderPartitions = "leader_partitions",
        /// `quorum_lag`: records the voter is behind its leader.
        RecordsBehind = "records_behind",
        /// `quorum_lag`: seconds since the voter last caught up.
        SecondsBehind = "seconds_behind",
        /// `quorum_degraded`: voters in the quorum.
        Voters = "voters",
        /// `quorum_degraded`: voters caught up.
        CaughtUp = "caught_up",
        /// `quorum_degraded`: voters a majority needs.
        Majority = "majority",
        /// `controller_unstable`, `isr_churn`: changes within the window.
        Changes = "changes",
        /// `controller_unstable`, `isr_churn`, an intermittent
        /// `broker_unreachable`: the window, in seconds.
        WindowSeconds = "window_seconds",
        /// `broker_unreachable`, intermittent: spells of failed probes that
        /// began within the window.
        UnreachableSpells = "unreachable_spells",
        /// `isr_churn`: ISR shrinks within the window.
        Shrinks = "shrinks",
        /// `isr_churn`: ISR expands within the window.
        Expands = "expands",
        /// `unclean_election`: the high watermark before the election.
        OldHighWatermark = "old_high_watermark",
        /// `unclean_election`: the high watermark after it.
        NewHighWatermark = "new_high_watermark",
        /// `unclean_election`: old high watermark − new, the acknowledged
        /// offsets truncated.
        OffsetsLost = "offsets_lost",
        /// `reassignment_in_progress`: partitions still moving;
        /// `consumer_lag`: partitions with the group's status.
        Partitions = "partitions",
        /// `reassignment_in_progress`: added replicas still copying.
        ReplicasCopying = "replicas_copying",
        /// `reassignment_in_progress`: partitions done since it began.
        PartitionsDone = "partitions_done",
        /// `reassignment_in_progress`: seconds since the last progress.
        SecondsWithoutProgress = "seconds_without_progress",
        /// `reassignment_in_progress`: offsets the added replicas have left.
        OffsetsLeft = "offsets_left",
        /// `reassignment_in_progress`: the copy rate.
        OffsetsPerSecond = "offsets_per_second",
        /// `reassignment_in_progress`: seconds until done at the pace so far.
        EtaSeconds = "eta_seconds",
        /// Partition kinds: in-sync replicas.
        Isr = "isr",
        /// Partition kinds: replicas (`isr_churn`: replicas that churned).
        Replicas = "replicas",
        /// Partition kinds: the topic's min.insync.replicas.
        MinIsr = "min_isr",
        /// `leader_imbalance` (a broker): partitions it leads.
        Leaders = "leaders",
        /// `leader_imbalance` (a broker): partitions it is preferred leader of.
        PreferredLeaders = "preferred_leaders",
        /// `leader_imbalance`: how far off, in percent.
        ImbalancePercent = "imbalance_percent",
        /// `leader_imbalance` (the cluster): partitions not led by their
        /// preferred replica.
        LeaderNotPreferred = "leader_not_preferred",
        /// `leader_imbalance` (the cluster): partitions online.
        OnlinePartitions = "online_partitions",
        /// `disk_space`: the volume's share in use, in percent.
        UsedPercent = "used_percent",
        /// `disk_space`: bytes still free on the volume.
        FreeBytes = "free_bytes",
        /// `disk_space`: the volume's size in bytes.
        TotalBytes = "total_bytes",
        /// `disk_space`: hours until full at the pace of the last half
        /// hour, when it is filling.
        HoursToFull = "hours_to_full",
        /// `follower_lag`: the sidecar's largest replica fetcher lag, in
        /// messages.
        FollowerMaxLag = "follower_max_lag",
        /// `follower_lag`: the configured threshold.
        Threshold = "threshold",
        /// `consumer_lag`: the group's lag over all partitions, in messages.
        TotalLag = "total_lag",
        /// `consumer_lag`: the largest lag in seconds, when known.
        MaxLagSeconds = "max_lag_seconds",
        /// `unread_data_deleted`: messages deleted before the group read
        /// them, over its partitions (log start − committed offset).
        MessagesDeleted = "messages_deleted",
        /// `unread_data_deleted`: partitions whose committed offset is
        /// below the log start now (the rest moved past deleted data).
        PartitionsBehind = "partitions_behind",
        /// `anomaly`: the score, in `[0, 1]`.
        Score = "score",
        /// `anomaly`: the value observed.
        Observed = "observed",
        /// `anomaly`: the low end of the range expected.
        ExpectedLow = "expected_low",
        /// `anomaly`: the high end of the range expected.
        ExpectedHigh = "expected_high",
    }
}

evidence_keys! {
    /// A short structured fact behind a finding.
    pub enum Label {
        /// `cluster_unreachable`: the poll step that failed first.
        Step = "step",
        /// `cluster_unreachable`, `broker_unreachable`: the error (capped).
        Error = "error",
        /// Partition kinds: the partition's leader; `quorum_*`: the quorum
        /// leader. A broker id.
        Leader = "leader",
        /// `controller_unstable`: the controller now. A broker id.
        Controller = "controller",
        /// The topic (partition kinds, `anomaly` of a topic series).
        Topic = "topic",
        /// Partition kinds: the partition number.
        Partition = "partition",
        /// Partition kinds: `configured` when min.insync.replicas was read
        /// from the topic config (absent when it was assumed).
        MinIsrSource = "min_isr_source",
        /// Partition kinds: brokers that are up yet list this partition's
        /// replica as offline (a failed log directory, KIP-112), comma-
        /// separated.
        FailedLogDir = "failed_log_dir",
        /// Partition kinds: the brokers it names missing that are absent
        /// from the cluster's metadata (down, whether or not their
        /// `broker_down` was raised yet: `broker_down_for`), comma-separated.
        BrokersDown = "brokers_down",
        /// `unclean_election`: what showed it (`leader_outside_isr`,
        /// `high_watermark_moved_back`, or both comma-separated).
        Evidence = "evidence",
        /// `unclean_election`: the leader before. A broker id.
        OldLeader = "old_leader",
        /// `unclean_election`: the leader after. A broker id.
        NewLeader = "new_leader",
        /// `reassignment_in_progress`: the topics moving;
        /// `unread_data_deleted`: the topics that lost unread data;
        /// comma-separated.
        Topics = "topics",
        /// `reassignment_in_progress`: `true` once it made no progress for
        /// `reassignment_stuck_after`.
        Stuck = "stuck",
        /// `consumer_lag`: the group's [`LagStatus`](crate::evaluate::LagStatus).
        LagStatus = "lag_status",
        /// `consumer_lag`: `true` on the STOP of a group never seen with
        /// members since isrwatch began watching (a retired application, a
        /// finished console consumer, or one down since before): a warning,
        /// and one incident for all such groups of the cluster.
        NeverActive = "never_active",
        /// `anomaly` of a produce rate raised as falling: `true` on the
        /// poll its topic was deleted (its producers are gone with it; the
        /// resolve that follows says so).
        TopicDeleted = "topic_deleted",
        /// `consumer_lag`: `true` on the poll its raised group was no longer
        /// listed (deleted, or removed by Kafka without members and
        /// offsets; the resolve that follows says so).
        GroupGone = "group_gone",
        /// `anomaly`: the series family (the name before `{`).
        Series = "series",
        /// `anomaly` of a group series: the group.
        Group = "group",
        /// `anomaly` of a broker series: the broker id.
        Broker = "broker",
        /// `disk_space`: the log directory's path, as the broker names it.
        LogDir = "log_dir",
    }
}

impl Label {
    /// Whether its values are short machine words (not names from the
    /// cluster), sent to an LLM as they are even when anonymizing.
    pub fn is_machine_word(self) -> bool {
        matches!(self, Label::LagStatus)
    }
}

/// The keys one kind of finding carries (some only sometimes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub metrics: &'static [Metric],
    pub labels: &'static [Label],
}

const PARTITION_METRICS: &[Metric] = &[Metric::Isr, Metric::Replicas, Metric::MinIsr];
const PARTITION_LABELS: &[Label] = &[
    Label::Topic,
    Label::Partition,
    Label::MinIsrSource,
    Label::Leader,
    Label::FailedLogDir,
    Label::BrokersDown,
];

impl FindingKind {
    /// The evidence keys findings of this kind carry: what a reader of
    /// this kind can look for.
    pub fn evidence(self) -> Evidence {
        use Label as L;
        use Metric as M;
        let (metrics, labels): (&'static [Metric], &'static [Label]) = match self {
            FindingKind::ClusterUnreachable => (&[M::Errors], &[L::Step, L::Error]),
            FindingKind::BrokerDown => (&[M::ReplicasHosted], &[]),
            FindingKind::BrokerUnreachable => (
                &[M::LeaderPartitions, M::UnreachableSpells, M::WindowSeconds],
                &[L::Error],
            ),
            FindingKind::NoController => (&[], &[]),
            FindingKind::ControllerUnstable => (&[M::Changes, M::WindowSeconds], &[L::Controller]),
            FindingKind::QuorumLag => (&[M::RecordsBehind, M::SecondsBehind], &[L::Leader]),
            FindingKind::QuorumDegraded => (&[M::Voters, M::CaughtUp, M::Majority], &[L::Leader]),
            FindingKind::PartitionOffline
            | FindingKind::UnderMinIsr
            | FindingKind::AtMinIsr
            | FindingKind::UnderReplicated => (PARTITION_METRICS, PARTITION_LABELS),
            FindingKind::UncleanElection => (
                &[M::OldHighWatermark, M::NewHighWatermark, M::OffsetsLost],
                &[
                    L::Topic,
                    L::Partition,
                    L::Evidence,
                    L::OldLeader,
                    L::NewLeader,
                ],
            ),
            FindingKind::IsrChurn => (
                &[
                    M::Changes,
                    M::Shrinks,
                    M::Expands,
                    M::Replicas,
                    M::WindowSeconds,
                ],
                &[],
            ),
            FindingKind::LeaderImbalance => (
                &[
                    M::Leaders,
                    M::PreferredLeaders,
                    M::ImbalancePercent,
                    M::LeaderNotPreferred,
                    M::OnlinePartitions,
                ],
                &[],
            ),
            FindingKind::ReassignmentInProgress => (
                &[
                    M::Partitions,
                    M::ReplicasCopying,
                    M::PartitionsDone,
                    M::SecondsWithoutProgress,
                    M::OffsetsLeft,
                    M::OffsetsPerSecond,
                    M::EtaSeconds,
                ],
                &[L::Topics, L::Stuck, L::TopicDeleted],
            ),
            FindingKind::DiskSpace => (
                &[
                    M::UsedPercent,
                    M::FreeBytes,
                    M::TotalBytes,
                    M::HoursToFull,
                    M::Threshold,
                ],
                &[L::LogDir],
            ),
            FindingKind::FollowerLag => (&[M::FollowerMaxLag, M::Threshold], &[]),
            FindingKind::ConsumerLag => (
                &[M::TotalLag, M::Partitions, M::MaxLagSeconds],
                &[L::LagStatus, L::NeverActive, L::GroupGone],
            ),
            FindingKind::UnreadDataDeleted => (
                &[M::MessagesDeleted, M::Partitions, M::PartitionsBehind],
                &[L::Topics],
            ),
            FindingKind::Anomaly => (
                &[M::Score, M::Observed, M::ExpectedLow, M::ExpectedHigh],
                &[L::Series, L::Group, L::Topic, L::Broker, L::TopicDeleted],
            ),
        };
        Evidence { metrics, labels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: BTreeSet<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.as_str()), Some(*m));
            let json = serde_json::to_string(m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.as_str()));
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), *m);
        }
        let names: BTreeSet<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(names.len(), Label::ALL.len());
        for l in Label::ALL {
            assert_eq!(Label::from_name(l.as_str()), Some(*l));
        }
        let err = serde_json::from_str::<Metric>("\"max_lag\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `max_lag`"),
            "{err}"
        );
    }

    #[test]
    fn every_key_belongs_to_some_kind() {
        let mut metrics = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for k in FindingKind::ALL {
            metrics.extend(k.evidence().metrics.iter().copied());
            labels.extend(k.evidence().labels.iter().copied());
        }
        assert_eq!(metrics.len(), Metric::ALL.len());
        assert_eq!(labels.len(), Label::ALL.len());
    }

    #[test]
    fn maps_keyed_by_them_serialize_like_string_keyed_maps() {
        let typed: std::collections::BTreeMap<Metric, f64> =
            Metric::ALL.iter().map(|m| (*m, 1.0)).collect();
        let strings: std::collections::BTreeMap<String, f64> = Metric::ALL
            .iter()
            .map(|m| (m.as_str().to_string(), 1.0))
            .collect();
        assert_eq!(
            serde_json::to_string(&typed).unwrap(),
            serde_json::to_string(&strings).unwrap()
        );
        let back: std::collections::BTreeMap<Metric, f64> =
            serde_json::from_str(&serde_json::to_string(&strings).unwrap()).unwrap();
        assert_eq!(back, typed);
    }
}
