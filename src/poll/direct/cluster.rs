//! Requests about the cluster rather than offsets or groups:
//! DescribeQuorum (the active controller on KRaft),
//! ListPartitionReassignments and DescribeLogDirs (what a reassignment
//! has left to copy), DescribeTopicPartitions (eligible leader replicas).

use std::time::Duration;

use kafka_protocol::error::{ParseResponseErrorCode, ResponseError};
use kafka_protocol::messages::*;

use super::super::admin::AdminError;
use super::conn::{s, Budget, DirectClient};
use super::error::{error_name, error_text};
use crate::snapshot::{BrokerId, LogDirUsage, QuorumReplica, QuorumState};

/// DescribeQuorum v0: the leader and epoch are all the poller reads.
/// v1 adds each replica's last fetch and caught-up times.
const DESCRIBE_QUORUM: (i16, i16) = (0, 1);
/// ListPartitionReassignments (KIP-455, Kafka 2.4+); v0 is all there is.
const LIST_REASSIGNMENTS: (i16, i16) = (0, 0);
/// DescribeLogDirs: v1 (Kafka 2.0) has each replica's offset lag.
const DESCRIBE_LOG_DIRS: (i16, i16) = (1, 4);
/// DescribeTopicPartitions (KRaft brokers from Kafka 3.8); v0 is all there is.
const DESCRIBE_TOPIC_PARTITIONS: (i16, i16) = (0, 0);
/// Partitions asked per DescribeTopicPartitions answer (the broker's own
/// cap, `max.request.partition.size.limit`, is 2,000 by default).
const PARTITIONS_PER_PAGE: i32 = 2000;
/// Answers followed by their cursor before giving up on a broker whose
/// cursor does not move on (2,000 pages: 4 million partitions).
const MAX_PAGES: usize = 2000;

/// A partition's eligible leader replicas (KIP-966), from
/// DescribeTopicPartitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible {
    pub topic: String,
    pub partition: i32,
    /// Replicas out of the ISR that hold every committed message: any of
    /// them leads again when it returns (cleanly).
    pub elr: Vec<BrokerId>,
    /// The leader when the partition lost it (Kafka's `LastKnownElr`):
    /// it leads again on its return once ISR and ELR are empty.
    pub last_known_leader: Vec<BrokerId>,
}

/// What a broker's DescribeQuorum said about the metadata quorum.
#[derive(Debug, Clone, PartialEq)]
pub enum QuorumAnswer {
    /// The broker does not offer DescribeQuorum: a ZooKeeper-era cluster,
    /// whose Metadata names the real controller.
    NotOffered,
    /// The quorum's leader answered (a broker forwards the request to the
    /// active controller; only the leader answers it).
    Answered(QuorumState),
    /// The broker speaks DescribeQuorum, but no quorum leader answered: a
    /// broker holds a forwarded request until a controller is known, and
    /// after 60 s answers `REQUEST_TIMED_OUT`; a controller that is not the
    /// leader answers `NOT_LEADER_OR_FOLLOWER`. So a quorum without a
    /// leader (its majority lost) shows as this, never as a leader of -1.
    /// Why, in words.
    NoLeader(String),
}

/// One partition of an ongoing reassignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassigning {
    pub topic: String,
    pub partition: i32,
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
}

/// The errors a broker gives DescribeQuorum when no quorum leader took
/// the request: its forwarding to the controller timed out, or the
/// controller it reached is not (or no longer) the leader.
fn no_quorum_leader(e: ResponseError) -> bool {
    matches!(
        e,
        ResponseError::RequestTimedOut
            | ResponseError::NotLeaderOrFollower
            | ResponseError::NotController
    )
}

impl DirectClient {
    /// DescribeQuorum of `__cluster_metadata` via `broker`: the metadata
    /// quorum, whose leader is the active controller, with each voter's and
    /// observer's log end offset and last caught-up time (see
    /// [`QuorumAnswer`] for a broker without DescribeQuorum and a quorum
    /// without a leader). On KRaft (every Kafka 4) Metadata and
    /// DescribeCluster name a random live broker as the controller instead
    /// (clients cannot reach the controllers, KIP-590). Errors are the
    /// broker's own failures (no connection, no ApiVersions answer, a
    /// refusal such as `CLUSTER_AUTHORIZATION_FAILED`).
    pub async fn describe_quorum(
        &self,
        broker: BrokerId,
        timeout: Duration,
    ) -> Result<QuorumAnswer, AdminError> {
        const OP: &str = "DescribeQuorum";
        let until = Budget::after(timeout);
        let broker_error = |message: String| AdminError::Broker {
            op: OP,
            broker,
            message,
        };
        if !self
            .speaks(broker, ApiKey::DescribeQuorum, DESCRIBE_QUORUM, timeout)
            .await
            .map_err(broker_error)?
        {
            return Ok(QuorumAnswer::NotOffered);
        }
        let req = DescribeQuorumRequest::default().with_topics(vec![
            describe_quorum_request::TopicData::default()
                .with_topic_name(TopicName(s("__cluster_metadata")))
                .with_partitions(vec![
                    describe_quorum_request::PartitionData::default().with_partition_index(0)
                ]),
        ]);
        let resp: DescribeQuorumResponse = match self
            .exchange(
                OP,
                broker,
                ApiKey::DescribeQuorum,
                DESCRIBE_QUORUM,
                &req,
                until,
            )
            .await
        {
            Ok(r) => r,
            // It answered ApiVersions, then held the request: waiting for
            // a controller to forward it to.
            Err(_) if until.spent() => {
                return Ok(QuorumAnswer::NoLeader(format!(
                    "no answer within {} ms",
                    until.ms()
                )))
            }
            Err(e) => return Err(e),
        };
        let failed = |e: ResponseError| {
            if no_quorum_leader(e) {
                Ok(QuorumAnswer::NoLeader(error_text(e)))
            } else {
                Err(AdminError::Kafka {
                    op: OP,
                    name: error_name(e),
                    message: error_text(e),
                })
            }
        };
        if let Some(e) = resp.error_code.err() {
            return failed(e);
        }
        let part = resp
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .find(|p| p.partition_index == 0)
            .ok_or_else(|| broker_error("the answer has no __cluster_metadata partition".into()))?;
        if let Some(e) = part.error_code.err() {
            return failed(e);
        }
        let replicas = |v: &[describe_quorum_response::ReplicaState]| {
            let mut out: Vec<QuorumReplica> = v
                .iter()
                .map(|r| QuorumReplica {
                    id: r.replica_id.0,
                    log_end_offset: r.log_end_offset,
                    last_caught_up_ms: (r.last_caught_up_timestamp >= 0)
                        .then_some(r.last_caught_up_timestamp),
                })
                .collect();
            out.sort_by_key(|r| r.id);
            out
        };
        Ok(QuorumAnswer::Answered(QuorumState {
            leader: (part.leader_id.0 >= 0).then_some(part.leader_id.0),
            epoch: part.leader_epoch,
            high_watermark: part.high_watermark,
            voters: replicas(&part.current_voters),
            observers: replicas(&part.observers),
        }))
    }

    /// The eligible leader replicas (KIP-966) of every partition of
    /// `topics`, via `broker`, following the answers' cursor; `Ok(None)`
    /// when the broker does not offer DescribeTopicPartitions (before Kafka
    /// 3.8, or ZooKeeper mode). A topic the broker answers with an error
    /// (deleted since the metadata was read, not authorized) is left out.
    pub async fn describe_topic_partitions(
        &self,
        broker: BrokerId,
        topics: &[String],
        timeout: Duration,
    ) -> Result<Option<Vec<Eligible>>, AdminError> {
        use describe_topic_partitions_request::{Cursor, TopicRequest};
        const OP: &str = "DescribeTopicPartitions";
        let until = Budget::after(timeout);
        if !self
            .speaks_as(
                OP,
                broker,
                ApiKey::DescribeTopicPartitions,
                DESCRIBE_TOPIC_PARTITIONS,
                timeout,
            )
            .await?
        {
            return Ok(None);
        }
        let asked: Vec<TopicRequest> = topics
            .iter()
            .map(|t| TopicRequest::default().with_name(TopicName(s(t))))
            .collect();
        let ids = |v: &Option<Vec<kafka_protocol::messages::BrokerId>>| -> Vec<BrokerId> {
            v.iter().flatten().map(|b| b.0).collect()
        };
        let mut out = Vec::new();
        let mut cursor: Option<Cursor> = None;
        for _ in 0..MAX_PAGES {
            let req = DescribeTopicPartitionsRequest::default()
                .with_topics(asked.clone())
                .with_response_partition_limit(PARTITIONS_PER_PAGE)
                .with_cursor(cursor.take());
            let resp: DescribeTopicPartitionsResponse = self
                .exchange(
                    OP,
                    broker,
                    ApiKey::DescribeTopicPartitions,
                    DESCRIBE_TOPIC_PARTITIONS,
                    &req,
                    until,
                )
                .await?;
            for t in &resp.topics {
                let name = match (&t.name, t.error_code.err()) {
                    (Some(name), None) => name.0.to_string(),
                    (name, e) => {
                        tracing::debug!(?name, error = ?e, "DescribeTopicPartitions: topic left out");
                        continue;
                    }
                };
                out.extend(t.partitions.iter().map(|p| Eligible {
                    topic: name.clone(),
                    partition: p.partition_index,
                    elr: ids(&p.eligible_leader_replicas),
                    last_known_leader: ids(&p.last_known_elr),
                }));
            }
            match resp.next_cursor {
                Some(next) => {
                    cursor = Some(
                        Cursor::default()
                            .with_topic_name(next.topic_name)
                            .with_partition_index(next.partition_index),
                    )
                }
                None => return Ok(Some(out)),
            }
        }
        Err(AdminError::Broker {
            op: OP,
            broker,
            message: format!("its cursor still went on after {MAX_PAGES} answers"),
        })
    }

    /// The ongoing partition reassignments, via `broker` (which forwards to
    /// the controller): (topic, partition, adding, removing) for each, or
    /// `Ok(None)` when the broker does not offer ListPartitionReassignments
    /// (Kafka before 2.4, or a Kafka-compatible broker without it).
    pub async fn list_partition_reassignments(
        &self,
        broker: BrokerId,
        timeout: Duration,
    ) -> Result<Option<Vec<Reassigning>>, AdminError> {
        const OP: &str = "ListPartitionReassignments";
        let until = Budget::after(timeout);
        if !self
            .speaks_as(
                OP,
                broker,
                ApiKey::ListPartitionReassignments,
                LIST_REASSIGNMENTS,
                timeout,
            )
            .await?
        {
            return Ok(None);
        }
        let req = ListPartitionReassignmentsRequest::default()
            .with_timeout_ms(i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX));
        let resp: ListPartitionReassignmentsResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::ListPartitionReassignments,
                LIST_REASSIGNMENTS,
                &req,
                until,
            )
            .await?;
        if let Some(e) = resp.error_code.err() {
            return Err(refused(OP, e));
        }
        let ids = |v: &[kafka_protocol::messages::BrokerId]| v.iter().map(|b| b.0).collect();
        Ok(Some(
            resp.topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| Reassigning {
                        topic: t.name.to_string(),
                        partition: p.partition_index,
                        adding: ids(&p.adding_replicas),
                        removing: ids(&p.removing_replicas),
                    })
                })
                .collect(),
        ))
    }

    /// How many offsets each of `partitions`' replicas on `broker` is
    /// behind (DescribeLogDirs `offset_lag`: for a replica a reassignment
    /// is adding, what it has left to copy). Replicas the broker does not
    /// report are absent.
    pub async fn offset_lags(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        timeout: Duration,
    ) -> Result<Vec<(String, i32, i64)>, AdminError> {
        let resp = self.describe_log_dirs(broker, partitions, timeout).await?;
        let mut out = Vec::new();
        for dir in resp.results.iter().filter(|d| d.error_code.is_ok()) {
            for t in &dir.topics {
                for p in t.partitions.iter().filter(|p| !p.is_future_key) {
                    out.push((t.name.to_string(), p.partition_index, p.offset_lag.max(0)));
                }
            }
        }
        Ok(out)
    }

    /// Of `partitions`' replicas on `broker`, those on a failed log
    /// directory (KIP-112): when a directory of the broker answers
    /// KAFKA_STORAGE_ERROR (it then lists nothing), the replicas no healthy
    /// directory lists. Empty when every directory is healthy.
    pub async fn replicas_on_failed_dirs(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        timeout: Duration,
    ) -> Result<Vec<(String, i32)>, AdminError> {
        let resp = self.describe_log_dirs(broker, partitions, timeout).await?;
        // v3+: the whole request refused (CLUSTER_AUTHORIZATION_FAILED).
        if let Some(e) = resp.error_code.err() {
            return Err(refused("DescribeLogDirs", e));
        }
        let storage_error = ResponseError::KafkaStorageError.code();
        if !resp.results.iter().any(|d| d.error_code == storage_error) {
            return Ok(Vec::new());
        }
        let healthy: std::collections::BTreeSet<(&str, i32)> = resp
            .results
            .iter()
            .filter(|d| d.error_code == 0)
            .flat_map(|d| {
                d.topics.iter().flat_map(|t| {
                    t.partitions
                        .iter()
                        .filter(|p| !p.is_future_key)
                        .map(move |p| (t.name.0.as_str(), p.partition_index))
                })
            })
            .collect();
        Ok(partitions
            .iter()
            .filter(|(t, p)| !healthy.contains(&(t.as_str(), *p)))
            .cloned()
            .collect())
    }

    /// `broker`'s log directories with the size and free space of their
    /// volumes (DescribeLogDirs v4, KIP-827), about no partition at all:
    /// an empty topic list asks for the directories alone, a few hundred
    /// bytes whatever the broker holds. Empty when the broker does not
    /// speak v4 (before Kafka 3.3), and for a directory that failed
    /// (KAFKA_STORAGE_ERROR), which the replication rules report.
    pub async fn log_dir_usage(
        &self,
        broker: BrokerId,
        timeout: Duration,
    ) -> Result<Vec<LogDirUsage>, AdminError> {
        const OP: &str = "DescribeLogDirs";
        if !self
            .speaks_as(OP, broker, ApiKey::DescribeLogDirs, (4, 4), timeout)
            .await?
        {
            return Ok(Vec::new());
        }
        let resp = self.describe_log_dirs(broker, &[], timeout).await?;
        if let Some(e) = resp.error_code.err() {
            return Err(refused(OP, e));
        }
        let mut out: Vec<LogDirUsage> = resp
            .results
            .iter()
            .filter(|d| d.error_code == 0 && d.total_bytes > 0 && d.usable_bytes >= 0)
            .map(|d| LogDirUsage {
                broker,
                path: d.log_dir.to_string(),
                total_bytes: d.total_bytes,
                usable_bytes: d.usable_bytes.min(d.total_bytes),
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Whether `broker` speaks `key` in the versions `ours`; failing to
    /// reach it is an error of the request `op`.
    async fn speaks_as(
        &self,
        op: &'static str,
        broker: BrokerId,
        key: ApiKey,
        ours: (i16, i16),
        timeout: Duration,
    ) -> Result<bool, AdminError> {
        self.speaks(broker, key, ours, timeout)
            .await
            .map_err(|message| AdminError::Broker {
                op,
                broker,
                message,
            })
    }

    /// DescribeLogDirs of `broker`, about `partitions` only (none: the
    /// directories alone).
    async fn describe_log_dirs(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        timeout: Duration,
    ) -> Result<DescribeLogDirsResponse, AdminError> {
        let mut by_topic: std::collections::BTreeMap<&str, Vec<i32>> = Default::default();
        for (t, p) in partitions {
            by_topic.entry(t.as_str()).or_default().push(*p);
        }
        let req = DescribeLogDirsRequest::default().with_topics(Some(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    describe_log_dirs_request::DescribableLogDirTopic::default()
                        .with_topic(TopicName(s(t)))
                        .with_partitions(ps)
                })
                .collect(),
        ));
        self.exchange(
            "DescribeLogDirs",
            broker,
            ApiKey::DescribeLogDirs,
            DESCRIBE_LOG_DIRS,
            &req,
            Budget::after(timeout),
        )
        .await
    }
}

/// A request Kafka refused as a whole (its top-level error code).
fn refused(op: &'static str, e: ResponseError) -> AdminError {
    AdminError::Kafka {
        op,
        name: error_name(e),
        message: error_text(e),
    }
}
