//! The offset and group requests: ListOffsets, OffsetFetch (v8, many
//! groups per request) and DescribeGroups, answered in the types of the
//! librdkafka wrappers (`super::super::admin`).

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, Bytes};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use super::super::admin::{
    AdminError, GroupDescription, GroupOffsets, OffsetSpec, PartitionOffset,
};
use super::conn::{s, Budget, DirectClient};
use super::error::{error_name, error_text, is_coordinator_error};
use super::{GROUPS_PER_REQUEST, OFFSETS_PER_REQUEST};
use crate::snapshot::BrokerId;

/// At most this many (group, partition) pairs per OffsetFetch that lists
/// partitions (about 2 MiB of answer, far below Kafka's 100 MB
/// `socket.request.max.bytes`).
const GROUP_PARTITIONS_PER_REQUEST: usize = 100_000;

/// Groups per OffsetFetch request: [`GROUPS_PER_REQUEST`], fewer when each
/// group lists many partitions.
fn groups_per_request(topics: Option<&[(String, Vec<i32>)]>) -> usize {
    let parts: usize = topics.map_or(0, |ts| ts.iter().map(|(_, p)| p.len()).sum());
    match parts {
        0 => GROUPS_PER_REQUEST,
        n => (GROUP_PARTITIONS_PER_REQUEST / n).clamp(1, GROUPS_PER_REQUEST),
    }
}

/// The request versions this client speaks, per API: `(lowest, highest)`.
/// The highest version both sides support is used.
const LIST_OFFSETS: (i16, i16) = (1, 7);
/// OffsetFetch from v8 only (many groups per request, Kafka 3.0+): older
/// brokers get group offsets through librdkafka
/// ([`DirectClient::batches_offset_fetch`]).
const OFFSET_FETCH: (i16, i16) = (8, 8);
const DESCRIBE_GROUPS: (i16, i16) = (0, 6);

impl DirectClient {
    /// Whether `broker` takes many groups per OffsetFetch (v8, Kafka 3.0+).
    /// Connects if needed; `true` when that fails (the request that follows
    /// reports it). Older brokers take one group per request: the poller
    /// then leaves group offsets to librdkafka, which sends them
    /// concurrently rather than one after another on one connection.
    pub async fn batches_offset_fetch(&self, broker: BrokerId, timeout: Duration) -> bool {
        !matches!(
            self.speaks(broker, ApiKey::OffsetFetch, OFFSET_FETCH, timeout)
                .await,
            Ok(false)
        )
    }

    /// ListOffsets for partitions all led by `broker`, in requests of
    /// [`OFFSETS_PER_REQUEST`]. Answers carry the position in `partitions`.
    /// A request that fails fails the call (the poller reports it once).
    pub async fn list_offsets(
        &self,
        broker: BrokerId,
        partitions: &[(String, i32)],
        spec: OffsetSpec,
        timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, AdminError> {
        let until = Budget::after(timeout);
        let ts = match spec {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
        };
        let mut out = Vec::with_capacity(partitions.len());
        for (n, chunk) in partitions.chunks(OFFSETS_PER_REQUEST).enumerate() {
            let base = n * OFFSETS_PER_REQUEST;
            match self.list_offsets_once(broker, chunk, ts, until).await {
                Ok(answers) => out.extend(answers.into_iter().map(|mut a| {
                    a.index += base;
                    a
                })),
                Err(e) if out.is_empty() => return Err(e),
                // Keep the answers already read; the other partitions carry
                // the error.
                Err(e) => {
                    out.extend((base..partitions.len()).map(|index| PartitionOffset {
                        index,
                        offset: Err(e.to_string()),
                    }));
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One ListOffsets request for `chunk` (timestamp `ts`: -2 earliest,
    /// -1 latest); answers carry positions in `chunk`.
    async fn list_offsets_once(
        &self,
        broker: BrokerId,
        chunk: &[(String, i32)],
        ts: i64,
        until: Budget,
    ) -> Result<Vec<PartitionOffset>, AdminError> {
        const OP: &str = "ListOffsets";
        let mut req =
            ListOffsetsRequest::default().with_replica_id(kafka_protocol::messages::BrokerId(-1));
        for (i, (topic, partition)) in chunk.iter().enumerate() {
            if i == 0 || chunk[i - 1].0 != *topic {
                req.topics.push(
                    list_offsets_request::ListOffsetsTopic::default()
                        .with_name(TopicName(s(topic))),
                );
            }
            if let Some(t) = req.topics.last_mut() {
                t.partitions.push(
                    list_offsets_request::ListOffsetsPartition::default()
                        .with_partition_index(*partition)
                        .with_current_leader_epoch(-1)
                        .with_timestamp(ts),
                );
            }
        }
        let resp: ListOffsetsResponse = self
            .exchange(OP, broker, ApiKey::ListOffsets, LIST_OFFSETS, &req, until)
            .await?;
        let index = super::super::admin::PartitionIndex::new(chunk);
        let mut out = Vec::with_capacity(chunk.len());
        for t in &resp.topics {
            for p in &t.partitions {
                let Some(i) = index.position(t.name.0.as_bytes(), p.partition_index) else {
                    continue;
                };
                let offset = match p.error_code.err() {
                    None => Ok(p.offset),
                    Some(e) => Err(error_name(e)),
                };
                out.push(PartitionOffset { index: i, offset });
            }
        }
        Ok(out)
    }

    /// Committed offsets of `groups` at `broker` (their coordinator).
    /// `partitions`: `None` for every committed partition, `Some` for those.
    /// Same contract as [`super::super::admin::list_consumer_group_offsets`]: one
    /// entry per group, a group that failed carries `error`.
    pub async fn offset_fetch(
        &self,
        broker: BrokerId,
        groups: &[String],
        partitions: Option<&[(String, i32)]>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, AdminError> {
        let until = Budget::after(timeout);
        let topics: Option<Vec<(String, Vec<i32>)>> = partitions.map(|parts| {
            let mut v: Vec<(String, Vec<i32>)> = Vec::new();
            for (t, p) in parts {
                match v.last_mut() {
                    Some((name, ps)) if name == t => ps.push(*p),
                    _ => v.push((t.clone(), vec![*p])),
                }
            }
            v
        });
        let mut out = Vec::with_capacity(groups.len());
        while out.len() < groups.len() {
            let rest = &groups[out.len()..];
            match self
                .offset_fetch_once(broker, rest, topics.as_deref(), until)
                .await
            {
                Ok(answers) if !answers.is_empty() => out.extend(answers),
                Ok(_) => break,
                // Every group gets an answer, as through librdkafka: the
                // groups already answered keep theirs, the others carry the
                // error (and the poller looks for their coordinator again).
                Err(e) => out.extend(rest.iter().map(|g| GroupOffsets {
                    group: g.clone(),
                    offsets: Vec::new(),
                    error: Some(e.to_string()),
                    not_coordinator: false,
                })),
            }
        }
        Ok(out)
    }

    /// One OffsetFetch (v8+) request for the first groups of `rest` (at
    /// most [`groups_per_request`]). Returns one answer per group asked, in
    /// order.
    async fn offset_fetch_once(
        &self,
        broker: BrokerId,
        rest: &[String],
        topics: Option<&[(String, Vec<i32>)]>,
        until: Budget,
    ) -> Result<Vec<GroupOffsets>, AdminError> {
        const OP: &str = "OffsetFetch";
        let asked = &rest[..rest.len().min(groups_per_request(topics))];
        let req = OffsetFetchRequest::default().with_groups(
            asked
                .iter()
                .map(|g| {
                    offset_fetch_request::OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(s(g)))
                        .with_topics(topics.map(|ts| {
                            ts.iter()
                                .map(|(t, ps)| {
                                    offset_fetch_request::OffsetFetchRequestTopics::default()
                                        .with_name(TopicName(s(t)))
                                        .with_partition_indexes(ps.clone())
                                })
                                .collect()
                        }))
                })
                .collect(),
        );
        let resp: OffsetFetchResponse = self
            .exchange(OP, broker, ApiKey::OffsetFetch, OFFSET_FETCH, &req, until)
            .await?;
        let mut answered: HashMap<String, GroupOffsets> = HashMap::new();
        for g in &resp.groups {
            let parts = g.topics.iter().flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        &t.name.0,
                        p.partition_index,
                        p.committed_offset,
                        p.error_code,
                    )
                })
            });
            let answer = group_offsets(g.group_id.0.as_str(), g.error_code, parts);
            answered.insert(answer.group.clone(), answer);
        }
        Ok(asked
            .iter()
            .map(|g| {
                answered.remove(g.as_str()).unwrap_or_else(|| GroupOffsets {
                    group: g.clone(),
                    offsets: Vec::new(),
                    error: Some(format!("{OP}: broker {broker} did not answer for it")),
                    not_coordinator: false,
                })
            })
            .collect())
    }

    /// DescribeGroups for `groups` at `broker` (their coordinator). Same
    /// contract as [`super::super::admin::describe_consumer_groups`].
    pub async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: &[String],
        timeout: Duration,
    ) -> Result<Vec<GroupDescription>, AdminError> {
        let until = Budget::after(timeout);
        let mut out = Vec::with_capacity(groups.len());
        for (n, chunk) in groups.chunks(GROUPS_PER_REQUEST).enumerate() {
            match self.describe_once(broker, chunk, until).await {
                Ok(d) => out.extend(d),
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    // Keep the groups already described; the others carry
                    // the error.
                    let rest = &groups[n * GROUPS_PER_REQUEST..];
                    out.extend(
                        rest.iter()
                            .map(|g| GroupDescription::failed(g, e.to_string(), false)),
                    );
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One DescribeGroups request for `chunk`.
    async fn describe_once(
        &self,
        broker: BrokerId,
        chunk: &[String],
        until: Budget,
    ) -> Result<Vec<GroupDescription>, AdminError> {
        const OP: &str = "DescribeGroups";
        let req = DescribeGroupsRequest::default()
            .with_groups(chunk.iter().map(|g| GroupId(s(g))).collect());
        let resp: DescribeGroupsResponse = self
            .exchange(
                OP,
                broker,
                ApiKey::DescribeGroups,
                DESCRIBE_GROUPS,
                &req,
                until,
            )
            .await?;
        Ok(resp
            .groups
            .into_iter()
            .map(|g| describe_one(broker, g))
            .collect())
    }
}

/// One group's committed offsets from an OffsetFetch answer.
fn group_offsets<'a>(
    group: &str,
    error_code: i16,
    parts: impl Iterator<Item = (&'a StrBytes, i32, i64, i16)>,
) -> GroupOffsets {
    let group_error = error_code.err();
    let mut not_coordinator = group_error.is_some_and(is_coordinator_error);
    let mut error = group_error.map(error_text);
    let mut offsets = Vec::new();
    for (t, p, off, code) in parts {
        // A coordinator error may also come per partition.
        if let Some(e) = code.err().filter(|e| is_coordinator_error(*e)) {
            not_coordinator = true;
            error.get_or_insert_with(|| error_name(e));
        }
        offsets.push((t.to_string(), p, (off >= 0).then_some(off)));
    }
    if not_coordinator {
        offsets.clear();
    }
    GroupOffsets {
        group: group.to_string(),
        offsets,
        error,
        not_coordinator,
    }
}

/// One group from a DescribeGroups answer, as librdkafka 2.12 describes it
/// (`rd_kafka_DescribeConsumerGroupsResponse_parse`): an empty protocol type
/// is a "simple" group; a protocol type other than `consumer` (Connect,
/// Schema Registry) is an `_INVALID_ARG` error; a group with an error has
/// state `Unknown`, no members and no coordinator.
fn describe_one(broker: BrokerId, g: describe_groups_response::DescribedGroup) -> GroupDescription {
    let group = g.group_id.0.to_string();
    let failed = |error: String, not_coordinator: bool| {
        GroupDescription::failed(&group, error, not_coordinator)
    };
    if let Some(e) = g.error_code.err() {
        let (name, desc) = super::super::admin::kafka_error_desc(e.code())
            .unwrap_or_else(|| (error_name(e), String::new()));
        return failed(
            format!("{name}: DescribeConsumerGroups: {desc}"),
            is_coordinator_error(e),
        );
    }
    let simple = g.protocol_type.is_empty();
    if !simple && &*g.protocol_type != "consumer" {
        return failed(
            format!(
                "_INVALID_ARG: GroupId {group} is not a consumer group ({}).",
                &*g.protocol_type
            ),
            false,
        );
    }
    let mut assigned = Vec::new();
    for m in &g.members {
        match decode_assignment(&m.member_assignment) {
            Some(parts) => assigned.extend(parts),
            None => {
                return failed(
                    format!(
                        "_BAD_MSG: member {}: assignment does not decode",
                        &*m.member_id
                    ),
                    false,
                )
            }
        }
    }
    assigned.sort();
    assigned.dedup();
    GroupDescription {
        group,
        state: if g.group_state.is_empty() {
            "Unknown".into()
        } else {
            g.group_state.to_string()
        },
        simple,
        coordinator: Some(broker),
        members: g.members.len().min(u32::MAX as usize) as u32,
        assigned,
        error: None,
        not_coordinator: false,
    }
}

/// The partitions of a consumer-protocol member assignment: a version
/// (i16), then `[topic (i16 length + bytes), [partition (i32)]]`; what
/// follows (user data, newer fields) is ignored, as librdkafka does.
/// `None` when the bytes end early or a length is negative.
fn decode_assignment(bytes: &Bytes) -> Option<Vec<(String, i32)>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let mut b = bytes.clone();
    let count = |b: &mut Bytes| -> Option<usize> {
        (b.remaining() >= 4)
            .then(|| b.get_i32())
            .and_then(|n| usize::try_from(n).ok())
    };
    if b.remaining() < 2 {
        return None;
    }
    b.advance(2);
    let topics = count(&mut b)?;
    let mut out = Vec::new();
    for _ in 0..topics {
        if b.remaining() < 2 {
            return None;
        }
        let len = usize::try_from(b.get_i16()).ok()?;
        if b.remaining() < len {
            return None;
        }
        let topic = String::from_utf8_lossy(&b.split_to(len)).into_owned();
        let parts = count(&mut b)?;
        if b.remaining() < parts.checked_mul(4)? {
            return None;
        }
        for _ in 0..parts {
            out.push((topic.clone(), b.get_i32()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::protocol::Encodable;

    use super::*;

    #[test]
    fn garbage_assignments_are_errors_not_panics() {
        assert_eq!(decode_assignment(&Bytes::new()), Some(Vec::new()));
        assert_eq!(decode_assignment(&Bytes::from_static(&[0])), None);
        assert_eq!(
            decode_assignment(&Bytes::from_static(&[0, 0, 0, 0, 0, 9, 1])),
            None
        );
        assert_eq!(
            decode_assignment(&Bytes::from_static(&[0, 0, 0xff, 0xff, 0xff, 0xff])),
            None
        );
        let mut b = BytesMut::new();
        b.put_i16(1);
        ConsumerProtocolAssignment::default()
            .with_assigned_partitions(vec![consumer_protocol_assignment::TopicPartition::default(
            )
            .with_topic(TopicName(s("t")))
            .with_partitions(vec![0, 2])])
            .encode(&mut b, 1)
            .unwrap();
        let want = Some(vec![("t".to_string(), 0), ("t".to_string(), 2)]);
        assert_eq!(decode_assignment(&b.clone().freeze()), want);
        // Without the user data that follows (librdkafka reads only the
        // partitions, so do we).
        b.truncate(b.len() - 4);
        assert_eq!(decode_assignment(&b.freeze()), want);
    }
}
