//! What the direct client learns about the cluster beyond Metadata: the
//! active controller (DescribeQuorum), ongoing reassignments and what
//! they have left to copy, and which brokers answer at all.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use super::super::admin::AdminError;
use super::super::direct::{Eligible, QuorumAnswer, Reassigning};
use super::metadata::partition_mut;
use super::poller::{broker_error, perr, KafkaPoller, Quorum, QUORUM_SILENT_POLLS};
use crate::snapshot::{BrokerId, LogDirUsage, PartitionInfo, PollError, QuorumState, TopicInfo};

impl KafkaPoller {
    /// The active controller. On KRaft (every Kafka 4) Metadata names a
    /// random live broker as the controller at each request (KIP-590:
    /// clients cannot reach the controllers), which would look like a
    /// controller moving at every poll; the active controller is the leader
    /// of the metadata quorum, from DescribeQuorum. A cluster that does not
    /// offer DescribeQuorum (ZooKeeper era) is learnt once and keeps the
    /// controller Metadata names. Needs `direct_requests`; without it the
    /// Metadata answer is all there is.
    ///
    /// DescribeQuorum goes to two answering brokers at once (`answering`,
    /// the first two): a broker forwards it to the active controller, and
    /// only the quorum's leader answers it, so a quorum without a leader
    /// shows as no answer (or `REQUEST_TIMED_OUT`) through every broker,
    /// where one slow or broken broker shows as one. After
    /// [`QUORUM_SILENT_POLLS`] such polls in a row the controller is `None`.
    ///
    /// Returns the controller and, on KRaft, the quorum's state.
    pub(super) async fn active_controller(
        &mut self,
        reported: Option<BrokerId>,
        answering: &[BrokerId],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) -> (Option<BrokerId>, Option<QuorumState>) {
        let Some(direct) = self.direct.clone() else {
            return (reported, None);
        };
        if self.quorum == Quorum::ZooKeeper || answering.is_empty() {
            return (reported, None);
        }
        let timeout = self.request_timeout(deadline);
        let ask = |b: BrokerId| {
            let d = Arc::clone(&direct);
            async move { (b, d.describe_quorum(b, timeout).await) }
        };
        let asked: Vec<BrokerId> = answering.iter().copied().take(2).collect();
        let answers = futures::future::join_all(asked.iter().map(|b| ask(*b))).await;
        let (last_leader, silent) = match self.quorum {
            Quorum::KRaft { leader, silent } => (leader, silent),
            _ => (reported, 0),
        };
        // The freshest leader's answer, if any broker got one.
        if let Some(q) = answers
            .iter()
            .filter_map(|(_, a)| match a {
                Ok(QuorumAnswer::Answered(q)) => Some(q),
                _ => None,
            })
            .max_by_key(|q| q.epoch)
        {
            self.quorum = Quorum::KRaft {
                leader: q.leader,
                silent: 0,
            };
            return (q.leader, Some(q.clone()));
        }
        if answers
            .iter()
            .any(|(_, a)| matches!(a, Ok(QuorumAnswer::NotOffered)))
        {
            tracing::info!(cluster = %self.cfg.name, "no DescribeQuorum: a ZooKeeper-era cluster, the controller comes from Metadata");
            self.quorum = Quorum::ZooKeeper;
            return (reported, None);
        }
        let why: Vec<String> = answers
            .iter()
            .filter_map(|(b, a)| match a {
                Ok(QuorumAnswer::NoLeader(why)) => Some(format!("via broker {b}: {why}")),
                _ => None,
            })
            .collect();
        for (b, a) in &answers {
            if let Err(e) = a {
                errors.push(broker_error("quorum", *b, e));
            }
        }
        if why.len() < answers.len() {
            // A broker failed on its own: no word on the quorum.
            return (last_leader, None);
        }
        let silent = silent + 1;
        let leader = if silent >= QUORUM_SILENT_POLLS {
            None
        } else {
            last_leader
        };
        self.quorum = Quorum::KRaft { leader, silent };
        errors.push(perr(
            "quorum",
            format!(
                "no metadata-quorum leader answered DescribeQuorum ({}); {silent} poll(s) in a row",
                why.join("; ")
            ),
        ));
        (leader, None)
    }

    /// For partitions being reassigned: asks each broker a replica is being
    /// added to what it has left to copy (DescribeLogDirs), one request per
    /// broker, concurrently. Nothing is asked when nothing moves.
    pub(super) async fn offsets_left(
        &self,
        topics: &mut [TopicInfo],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) {
        let Some(d) = self.direct.as_ref() else {
            return;
        };
        let by_broker = partitions_by_broker(topics, |p| p.adding_replicas.clone());
        if by_broker.is_empty() {
            return;
        }
        let timeout = self.request_timeout(deadline);
        let answers = futures::future::join_all(
            by_broker
                .iter()
                .map(|(b, parts)| async move { (*b, d.offset_lags(*b, parts, timeout).await) }),
        )
        .await;
        for (b, r) in answers {
            match r {
                Ok(lags) => {
                    for (topic, partition, lag) in lags {
                        if let Some(p) = partition_mut(topics, &topic, partition) {
                            if p.adding_replicas.contains(&b) {
                                *p.reassignment_offsets_left.get_or_insert(0) += lag;
                            }
                        }
                    }
                }
                Err(e) => errors.push(broker_error("reassignments", b, e)),
            }
        }
    }

    /// Replicas on a failed log directory (KIP-112), which librdkafka's
    /// metadata does not tell: each live broker with replicas missing from
    /// ISRs, or of a partition without a leader, is asked about those
    /// (DescribeLogDirs), concurrently, and the ones on a directory
    /// answering KAFKA_STORAGE_ERROR are added to their partition's
    /// `offline_replicas`. A leaderless partition's last replica stays in
    /// its ISR (Kafka never empties an ISR): an RF-1 partition on the
    /// failed directory named no broker and was paged apart from the
    /// broker's incident (hunt 9, h15). Nothing is asked while every ISR is
    /// complete and every partition has a leader.
    pub(super) async fn failed_log_dirs(
        &self,
        topics: &mut [TopicInfo],
        live: &[BrokerId],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) {
        let Some(d) = self.direct.as_ref() else {
            return;
        };
        let by_broker = partitions_by_broker(topics, |p| {
            p.replicas
                .iter()
                .copied()
                .filter(|b| (!p.isr.contains(b) || p.leader.is_none()) && live.contains(b))
                .collect()
        });
        if by_broker.is_empty() {
            return;
        }
        let timeout = self.request_timeout(deadline);
        let answers = futures::future::join_all(by_broker.iter().map(|(b, parts)| async move {
            (*b, d.replicas_on_failed_dirs(*b, parts, timeout).await)
        }))
        .await;
        for (b, r) in answers {
            match r {
                Ok(offline) => {
                    for (topic, partition) in offline {
                        if let Some(p) = partition_mut(topics, &topic, partition) {
                            if !p.offline_replicas.contains(&b) {
                                p.offline_replicas.push(b);
                            }
                        }
                    }
                }
                Err(e) => errors.push(broker_error("log_dirs", b, e)),
            }
        }
    }

    /// How full each answering broker's log directories are
    /// (DescribeLogDirs v4 about no partition, concurrently): a disk that
    /// fills up fails its directory, and a broker whose only directory
    /// failed shuts down. Empty without the direct client.
    pub(super) async fn log_dir_usage(
        &self,
        live: &[BrokerId],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) -> Vec<LogDirUsage> {
        let Some(d) = self.direct.as_ref() else {
            return Vec::new();
        };
        let timeout = self.request_timeout(deadline);
        let answers = futures::future::join_all(
            live.iter()
                .map(|&b| async move { (b, d.log_dir_usage(b, timeout).await) }),
        )
        .await;
        let mut out = Vec::new();
        for (b, r) in answers {
            match r {
                Ok(dirs) => out.extend(dirs),
                Err(e) => errors.push(broker_error("log_dir_usage", b, e)),
            }
        }
        out.sort_by(|a, b| (a.broker, &a.path).cmp(&(b.broker, &b.path)));
        out
    }

    /// Whether each live broker answers (an ApiVersions probe on a
    /// connection of its own); `None` without the direct client.
    pub(super) async fn probe_brokers(
        &self,
        live: &[BrokerId],
        deadline: Instant,
    ) -> Option<Vec<(BrokerId, Result<(), String>)>> {
        let d = self.direct.as_ref()?;
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = self.cfg.request_timeout.0.min(left);
        Some(
            futures::future::join_all(
                live.iter()
                    .map(|&b| async move { (b, d.probe(b, timeout).await) }),
            )
            .await,
        )
    }

    /// The eligible leader replicas (KIP-966) of the topics that have a
    /// partition with neither a leader nor an ISR (only a cluster with ELR
    /// on shows one: without, the last in-sync replica stays in the ISR),
    /// asked of two live brokers at once ([`first_answer`]); `None` when no
    /// topic has one, or without the direct client.
    pub(super) async fn eligible_leaders(
        &self,
        topics: &[TopicInfo],
        live: &[BrokerId],
        deadline: Instant,
    ) -> Option<Result<Option<Vec<Eligible>>, AdminError>> {
        let d = self.direct.as_ref()?;
        let asked: Vec<String> = topics
            .iter()
            .filter(|t| {
                t.partitions
                    .iter()
                    .any(|p| p.leader.is_none() && p.isr.is_empty())
            })
            .map(|t| t.name.clone())
            .collect();
        if asked.is_empty() {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = self.cfg.request_timeout.0.min(left);
        first_answer(live, |b| d.describe_topic_partitions(b, &asked, timeout)).await
    }

    /// The ongoing partition reassignments, asked of two live brokers at
    /// once ([`first_answer`]); `None` without the direct client.
    pub(super) async fn reassignments(
        &self,
        live: &[BrokerId],
        deadline: Instant,
    ) -> Option<Result<Option<Vec<Reassigning>>, AdminError>> {
        let d = self.direct.as_ref()?;
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = self.cfg.request_timeout.0.min(left);
        first_answer(live, |b| d.list_partition_reassignments(b, timeout)).await
    }
}

/// Asks the first two of `live` at once and takes the first one's answer,
/// else the second's (the first error when neither answers; `None` when
/// `live` is empty). Both requests run to their end: the direct client's
/// connections are not cancel-safe (a request dropped after it was sent
/// leaves its response for the next one to read). These
/// requests start beside the brokers' probes, before it is known which
/// broker answers: asked of the first broker alone, one that hung left the
/// eligible leaders unknown (an offline partition was blamed on a broker
/// Kafka would never elect) and the replicas being added unknown (a
/// planned reassignment paged as "Replication trouble" on its target
/// broker) for as long as it hung (hunt 23, W1 and W2).
async fn first_answer<T, Fut>(
    live: &[BrokerId],
    ask: impl Fn(BrokerId) -> Fut,
) -> Option<Result<T, AdminError>>
where
    Fut: std::future::Future<Output = Result<T, AdminError>>,
{
    let answers = futures::future::join_all(live.iter().take(2).map(|b| ask(*b))).await;
    let mut first_error = None;
    for answer in answers {
        match answer {
            Ok(a) => return Some(Ok(a)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
}

/// Sets the eligible leader replicas DescribeTopicPartitions named.
pub(super) fn apply_eligible_leaders(
    topics: &mut [TopicInfo],
    answer: Option<Result<Option<Vec<Eligible>>, AdminError>>,
    errors: &mut Vec<PollError>,
) {
    match answer {
        Some(Ok(Some(list))) => {
            for e in list {
                if let Some(p) = partition_mut(topics, &e.topic, e.partition) {
                    p.eligible_leaders = e.elr;
                    p.last_known_leader = e.last_known_leader;
                }
            }
        }
        Some(Err(e)) => errors.push(perr("eligible leaders", e.to_string())),
        // Nothing to ask, not offered (before Kafka 3.8), or no direct
        // client: unknown, and an offline partition names every replica
        // that is down.
        Some(Ok(None)) | None => {}
    }
}

/// Sets each reassigned partition's adding and removing replicas.
pub(super) fn apply_reassignments(
    topics: &mut [TopicInfo],
    reassigning: Option<Result<Option<Vec<Reassigning>>, AdminError>>,
    errors: &mut Vec<PollError>,
) {
    match reassigning {
        Some(Ok(Some(list))) => {
            for r in list {
                if let Some(p) = partition_mut(topics, &r.topic, r.partition) {
                    p.adding_replicas = r.adding;
                    p.removing_replicas = r.removing;
                }
            }
        }
        Some(Err(e)) => errors.push(perr("reassignments", e.to_string())),
        // Not offered by the brokers, or no direct client: unknown.
        Some(Ok(None)) | None => {}
    }
}

/// The brokers whose probe failed, sorted; each is a poll error.
/// The partitions to ask each broker about: those `pick` names it for.
fn partitions_by_broker(
    topics: &[TopicInfo],
    pick: impl Fn(&PartitionInfo) -> Vec<BrokerId>,
) -> BTreeMap<BrokerId, Vec<(String, i32)>> {
    let mut by_broker: BTreeMap<BrokerId, Vec<(String, i32)>> = BTreeMap::new();
    for t in topics {
        for p in &t.partitions {
            for b in pick(p) {
                by_broker
                    .entry(b)
                    .or_default()
                    .push((t.name.clone(), p.partition));
            }
        }
    }
    by_broker
}

pub(super) fn unreachable_brokers(
    probed: Option<Vec<(BrokerId, Result<(), String>)>>,
    errors: &mut Vec<PollError>,
) -> Vec<BrokerId> {
    let mut unreachable_brokers = Vec::new();
    for (b, r) in probed.into_iter().flatten() {
        if let Err(message) = r {
            unreachable_brokers.push(b);
            errors.push(PollError {
                step: crate::snapshot::step::BROKERS.into(),
                broker: Some(b),
                message: format!("broker {b} does not answer: {message}"),
            });
        }
    }
    unreachable_brokers.sort_unstable();
    unreachable_brokers
}
