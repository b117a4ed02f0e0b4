//! Structural checks of Kafka bodies before the `kafka-protocol` crate
//! decodes them: requests the simulator receives ([`body_is_sane`]) and
//! answers the direct client receives ([`response_is_sane`]).
//!
//! The crate's array decoder calls `Vec::with_capacity(n)` with `n` read from
//! the wire; a garbage length of two billion would make the allocation fail,
//! which aborts the process (not a catchable panic). This walker reads the
//! same layout without allocating and rejects any array or string whose
//! announced length exceeds the bytes left in the frame (for responses: the
//! bytes its elements need at least). Only the types and versions isrwatch
//! speaks are described here.

use kafka_protocol::messages::ApiKey;

struct Walker<'a> {
    buf: &'a [u8],
    pos: usize,
    flex: bool,
}

type R = Result<(), ()>;

impl Walker<'_> {
    fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn skip(&mut self, n: usize) -> R {
        if self.left() < n {
            return Err(());
        }
        self.pos += n;
        Ok(())
    }
    fn i16(&mut self) -> Result<i16, ()> {
        let b = self.buf.get(self.pos..self.pos + 2).ok_or(())?;
        self.pos += 2;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, ()> {
        let b = self.buf.get(self.pos..self.pos + 4).ok_or(())?;
        self.pos += 4;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn varint(&mut self) -> Result<u64, ()> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or(())?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(())
    }
    /// A string: an i16 length (varint + 1 when flexible), then the bytes.
    fn string(&mut self) -> R {
        self.sized(false)
    }
    /// Bytes: an i32 length (varint + 1 when flexible), then the bytes.
    fn bytes(&mut self) -> R {
        self.sized(true)
    }
    fn sized(&mut self, wide: bool) -> R {
        let n: i64 = if self.flex {
            self.varint()? as i64 - 1
        } else if wide {
            self.i32()? as i64
        } else {
            self.i16()? as i64
        };
        if n > 0 {
            self.skip(n as usize)?;
        }
        Ok(())
    }
    fn array(&mut self, each: impl FnMut(&mut Self) -> R) -> R {
        self.array_of(1, each)
    }
    /// An array whose elements take at least `min` bytes each.
    fn array_of(&mut self, min: usize, mut each: impl FnMut(&mut Self) -> R) -> R {
        let n: i64 = if self.flex {
            self.varint()? as i64 - 1
        } else {
            self.i32()? as i64
        };
        if n < 0 {
            return Ok(());
        }
        if (n as usize).saturating_mul(min.max(1)) > self.left() {
            return Err(());
        }
        for _ in 0..n {
            each(self)?;
        }
        Ok(())
    }
    /// A nullable struct (flexible versions): an i8 marker, -1 for null,
    /// then the struct.
    fn nullable_struct(&mut self, each: impl FnOnce(&mut Self) -> R) -> R {
        let b = self.buf.get(self.pos).copied().ok_or(())?;
        self.pos += 1;
        if (b as i8) < 0 {
            Ok(())
        } else {
            each(self)
        }
    }
    fn tags(&mut self) -> R {
        if !self.flex {
            return Ok(());
        }
        let n = self.varint()?;
        if n as usize > self.left() {
            return Err(());
        }
        for _ in 0..n {
            self.varint()?;
            let size = self.varint()?;
            self.skip(size as usize)?;
        }
        Ok(())
    }
}

/// Checks that a request body of `key` at `version` is well formed enough to
/// decode safely. `false` means: close the connection.
pub(crate) fn body_is_sane(key: ApiKey, version: i16, body: &[u8]) -> bool {
    let v = version;
    let flex_from = match key {
        ApiKey::ApiVersions => 3,
        ApiKey::Metadata => 9,
        ApiKey::ListOffsets => 6,
        ApiKey::FindCoordinator => 3,
        ApiKey::OffsetFetch => 6,
        ApiKey::ListGroups => 3,
        ApiKey::DescribeGroups => 5,
        ApiKey::DescribeConfigs => 4,
        ApiKey::DescribeCluster => 0,
        ApiKey::DescribeLogDirs => 2,
        ApiKey::DescribeQuorum => 0,
        ApiKey::ListPartitionReassignments => 0,
        ApiKey::DescribeTopicPartitions => 0,
        ApiKey::SaslHandshake => i16::MAX,
        ApiKey::SaslAuthenticate => 2,
        _ => return false,
    };
    let mut w = Walker {
        buf: body,
        pos: 0,
        flex: v >= flex_from,
    };
    let res: R = (|| {
        match key {
            ApiKey::DescribeTopicPartitions => {
                w.array(|w| {
                    w.string()?;
                    w.tags()
                })?;
                w.skip(4)?;
                w.nullable_struct(|w| {
                    w.string()?;
                    w.skip(4)?;
                    w.tags()
                })?;
            }
            ApiKey::ListPartitionReassignments => {
                w.skip(4)?;
                w.array(|w| {
                    w.string()?;
                    w.array_of(4, |w| w.skip(4))?;
                    w.tags()
                })?;
            }
            ApiKey::SaslHandshake => w.string()?,
            ApiKey::SaslAuthenticate => w.bytes()?,
            ApiKey::ApiVersions => {
                if v >= 3 {
                    w.string()?;
                    w.string()?;
                }
            }
            ApiKey::Metadata => {
                w.array(|w| {
                    if v >= 10 {
                        w.skip(16)?;
                    }
                    w.string()?;
                    w.tags()
                })?;
                if v >= 4 {
                    w.skip(1)?;
                }
                if (8..=10).contains(&v) {
                    w.skip(1)?;
                }
                if v >= 8 {
                    w.skip(1)?;
                }
            }
            ApiKey::ListOffsets => {
                w.skip(4)?;
                if v >= 2 {
                    w.skip(1)?;
                }
                w.array(|w| {
                    w.string()?;
                    w.array(|w| {
                        w.skip(if v >= 4 { 16 } else { 12 })?;
                        w.tags()
                    })?;
                    w.tags()
                })?;
                if v >= 10 {
                    w.skip(4)?;
                }
            }
            ApiKey::FindCoordinator => {
                if v <= 3 {
                    w.string()?;
                }
                if v >= 1 {
                    w.skip(1)?;
                }
                if v >= 4 {
                    w.array(|w| w.string())?;
                }
            }
            ApiKey::OffsetFetch => {
                let topic = |w: &mut Walker| -> R {
                    w.string()?;
                    w.array(|w| w.skip(4))?;
                    w.tags()
                };
                if v <= 7 {
                    w.string()?;
                    w.array(topic)?;
                } else {
                    w.array(|w| {
                        w.string()?;
                        w.array(topic)?;
                        w.tags()
                    })?;
                }
                if v >= 7 {
                    w.skip(1)?;
                }
            }
            ApiKey::ListGroups => {
                if v >= 4 {
                    w.array(|w| w.string())?;
                }
            }
            ApiKey::DescribeGroups => {
                w.array(|w| w.string())?;
                if v >= 3 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeConfigs => {
                w.array(|w| {
                    w.skip(1)?;
                    w.string()?;
                    w.array(|w| w.string())?;
                    w.tags()
                })?;
                w.skip(1)?;
                if v >= 3 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeCluster => {
                w.skip(1)?;
                if v >= 1 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeLogDirs => {
                w.array(|w| {
                    w.string()?;
                    w.array(|w| w.skip(4))?;
                    w.tags()
                })?;
            }
            ApiKey::DescribeQuorum => {
                w.array(|w| {
                    w.string()?;
                    w.array(|w| {
                        w.skip(4)?;
                        w.tags()
                    })?;
                    w.tags()
                })?;
            }
            _ => return Err(()),
        }
        w.tags()
    })();
    res.is_ok()
}

/// Checks that a response body of `key` at `version` (after the response
/// header) is well formed enough to decode safely, for the answers the
/// direct client reads. `false` means: report the answer as undecodable.
pub(crate) fn response_is_sane(key: ApiKey, version: i16, body: &[u8]) -> bool {
    let v = version;
    let flex_from = match key {
        ApiKey::ApiVersions => 3,
        ApiKey::ListOffsets => 6,
        ApiKey::OffsetFetch => 6,
        ApiKey::DescribeGroups => 5,
        ApiKey::DescribeQuorum => 0,
        ApiKey::ListPartitionReassignments => 0,
        ApiKey::DescribeTopicPartitions => 0,
        ApiKey::DescribeLogDirs => 2,
        ApiKey::SaslHandshake => i16::MAX,
        ApiKey::SaslAuthenticate => 2,
        _ => return false,
    };
    let mut w = Walker {
        buf: body,
        pos: 0,
        flex: v >= flex_from,
    };
    // The smallest encoding of a string or array: one varint byte when
    // flexible, else a 2- or 4-byte length.
    let (s, a) = if w.flex { (1, 1) } else { (2, 4) };
    let t = usize::from(w.flex);
    let res: R = (|| {
        match key {
            ApiKey::SaslHandshake => {
                w.skip(2)?;
                w.array_of(s, |w| w.string())?;
            }
            ApiKey::SaslAuthenticate => {
                w.skip(2)?;
                w.string()?;
                w.bytes()?;
                if v >= 1 {
                    w.skip(8)?;
                }
            }
            ApiKey::ApiVersions => {
                w.skip(2)?;
                w.array_of(6 + t, |w| {
                    w.skip(6)?;
                    w.tags()
                })?;
                if v >= 1 {
                    w.skip(4)?;
                }
                // v3+ tagged fields (features) follow; checked by tags().
            }
            ApiKey::ListOffsets => {
                if v >= 2 {
                    w.skip(4)?;
                }
                w.array_of(s + a + t, |w| {
                    w.string()?;
                    w.array_of(4 + 2 + 8 + t, |w| {
                        w.skip(6)?;
                        if v >= 1 {
                            w.skip(8)?;
                        }
                        w.skip(8)?;
                        if v >= 4 {
                            w.skip(4)?;
                        }
                        w.tags()
                    })?;
                    w.tags()
                })?;
            }
            ApiKey::OffsetFetch => {
                // v8 only (see `poll::direct`).
                if v < 8 {
                    return Err(());
                }
                w.skip(4)?;
                w.array_of(s + a + 2 + t, |w| {
                    w.string()?;
                    w.array_of(s + a + t, |w| {
                        w.string()?;
                        w.array_of(4 + 8 + 4 + s + 2 + t, |w| {
                            w.skip(16)?;
                            w.string()?;
                            w.skip(2)?;
                            w.tags()
                        })?;
                        w.tags()
                    })?;
                    w.skip(2)?;
                    w.tags()
                })?;
            }
            ApiKey::DescribeLogDirs if (1..=4).contains(&v) => {
                w.skip(4)?;
                if v >= 3 {
                    w.skip(2)?;
                }
                w.array_of(2 + s + a + t, |w| {
                    w.skip(2)?;
                    w.string()?;
                    w.array_of(s + a + t, |w| {
                        w.string()?;
                        w.array_of(21 + t, |w| {
                            w.skip(21)?;
                            w.tags()
                        })?;
                        w.tags()
                    })?;
                    if v >= 4 {
                        w.skip(16)?;
                    }
                    w.tags()
                })?;
            }
            ApiKey::ListPartitionReassignments if v == 0 => {
                w.skip(4 + 2)?;
                w.string()?;
                w.array_of(s + a + t, |w| {
                    w.string()?;
                    w.array_of(4 + 3 * a + t, |w| {
                        w.skip(4)?;
                        for _ in 0..3 {
                            w.array_of(4, |w| w.skip(4))?;
                        }
                        w.tags()
                    })?;
                    w.tags()
                })?;
            }
            ApiKey::DescribeTopicPartitions if v == 0 => {
                w.skip(4)?;
                w.array_of(2 + s + 16 + 1 + a + 4 + t, |w| {
                    w.skip(2)?;
                    w.string()?;
                    w.skip(16 + 1)?;
                    // Replicas, ISR, ELR, last known ELR, offline replicas.
                    w.array_of(14 + 5 * a + t, |w| {
                        w.skip(14)?;
                        for _ in 0..5 {
                            w.array_of(4, |w| w.skip(4))?;
                        }
                        w.tags()
                    })?;
                    w.skip(4)?;
                    w.tags()
                })?;
                w.nullable_struct(|w| {
                    w.string()?;
                    w.skip(4)?;
                    w.tags()
                })?;
            }
            // Versions 0 and 1 (what the direct client asks for); v1 adds
            // each replica's last fetch and caught-up timestamps.
            ApiKey::DescribeQuorum if v <= 1 => {
                let replica = if v >= 1 { 28 } else { 12 };
                w.skip(2)?;
                w.array_of(s + a + t, |w| {
                    w.string()?;
                    w.array_of(22 + 2 * a + t, |w| {
                        w.skip(4 + 2 + 4 + 4 + 8)?;
                        for _ in 0..2 {
                            w.array_of(replica + t, |w| {
                                w.skip(replica)?;
                                w.tags()
                            })?;
                        }
                        w.tags()
                    })?;
                    w.tags()
                })?;
            }
            ApiKey::DescribeGroups => {
                if v >= 1 {
                    w.skip(4)?;
                }
                w.array_of(2 + 4 * s + a, |w| {
                    w.skip(2)?;
                    if v >= 6 {
                        w.string()?;
                    }
                    for _ in 0..4 {
                        w.string()?;
                    }
                    w.array_of(3 * s + 2 * s, |w| {
                        w.string()?;
                        if v >= 4 {
                            w.string()?;
                        }
                        w.string()?;
                        w.string()?;
                        w.bytes()?; // member metadata
                        w.bytes()?; // member assignment
                        w.tags()
                    })?;
                    if v >= 3 {
                        w.skip(4)?;
                    }
                    w.tags()
                })?;
            }
            _ => return Err(()),
        }
        w.tags()
    })();
    res.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    fn s(v: &str) -> StrBytes {
        StrBytes::from_string(v.to_string())
    }

    /// Every response the direct client reads, encoded by `kafka-protocol`
    /// at every version it may get, passes; cut short, it does not.
    fn check<T: Encodable>(key: ApiKey, versions: std::ops::RangeInclusive<i16>, r: &T) {
        for v in versions {
            let mut b = BytesMut::new();
            r.encode(&mut b, v).unwrap();
            assert!(response_is_sane(key, v, &b), "{key:?} v{v} whole");
            let cut = &b[..b.len() - 1];
            assert!(!response_is_sane(key, v, cut), "{key:?} v{v} cut short");
        }
    }

    #[test]
    fn well_formed_responses_pass_and_truncated_ones_do_not() {
        let mut av = ApiVersionsResponse::default();
        av.api_keys = vec![api_versions_response::ApiVersion::default()
            .with_api_key(2)
            .with_max_version(7)];
        check(ApiKey::ApiVersions, 0..=0, &av);

        let lo = ListOffsetsResponse::default().with_topics(vec![
            list_offsets_response::ListOffsetsTopicResponse::default()
                .with_name(TopicName(s("orders")))
                .with_partitions(vec![
                    list_offsets_response::ListOffsetsPartitionResponse::default()
                        .with_partition_index(3)
                        .with_offset(42);
                    3
                ]),
        ]);
        check(ApiKey::ListOffsets, 1..=7, &lo);

        let of = OffsetFetchResponse::default().with_groups(vec![
            offset_fetch_response::OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(s("billing")))
                .with_topics(vec![offset_fetch_response::OffsetFetchResponseTopics::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        offset_fetch_response::OffsetFetchResponsePartitions::default()
                            .with_committed_offset(7)
                            .with_metadata(Some(s("m")));
                        2
                    ])]);
            2
        ]);
        check(ApiKey::OffsetFetch, 8..=8, &of);

        let lr = ListPartitionReassignmentsResponse::default().with_topics(vec![
            list_partition_reassignments_response::OngoingTopicReassignment::default()
                .with_name(TopicName(s("orders")))
                .with_partitions(vec![
                    list_partition_reassignments_response::OngoingPartitionReassignment::default()
                        .with_partition_index(1)
                        .with_replicas(vec![BrokerId(2), BrokerId(3), BrokerId(4), BrokerId(1)])
                        .with_adding_replicas(vec![BrokerId(4)])
                        .with_removing_replicas(vec![BrokerId(1)]);
                    2
                ]),
        ]);
        check(ApiKey::ListPartitionReassignments, 0..=0, &lr);

        let dq = DescribeQuorumResponse::default().with_topics(vec![
            describe_quorum_response::TopicData::default()
                .with_topic_name(TopicName(s("__cluster_metadata")))
                .with_partitions(vec![describe_quorum_response::PartitionData::default()
                    .with_leader_id(BrokerId(1))
                    .with_high_watermark(99)
                    .with_current_voters(vec![
                        describe_quorum_response::ReplicaState::default()
                            .with_replica_id(BrokerId(2))
                            .with_log_end_offset(97)
                            .with_last_caught_up_timestamp(5);
                        3
                    ])]),
        ]);
        check(ApiKey::DescribeQuorum, 0..=1, &dq);

        let ids = |v: &[i32]| v.iter().map(|b| BrokerId(*b)).collect::<Vec<_>>();
        let part =
            describe_topic_partitions_response::DescribeTopicPartitionsResponsePartition::default()
                .with_leader_id(BrokerId(-1))
                .with_replica_nodes(ids(&[1, 2, 3]))
                .with_eligible_leader_replicas(Some(ids(&[1, 3])))
                .with_last_known_elr(Some(ids(&[1])))
                .with_offline_replicas(ids(&[1, 2, 3]));
        let mut dtp = DescribeTopicPartitionsResponse::default().with_topics(vec![
            describe_topic_partitions_response::DescribeTopicPartitionsResponseTopic::default()
                .with_name(Some(TopicName(s("orders"))))
                .with_partitions(vec![part.clone(), part.with_eligible_leader_replicas(None)]);
            2
        ]);
        check(ApiKey::DescribeTopicPartitions, 0..=0, &dtp);
        dtp.next_cursor = Some(
            describe_topic_partitions_response::Cursor::default()
                .with_topic_name(TopicName(s("orders")))
                .with_partition_index(2),
        );
        check(ApiKey::DescribeTopicPartitions, 0..=0, &dtp);

        let ld = DescribeLogDirsResponse::default().with_results(vec![
            describe_log_dirs_response::DescribeLogDirsResult::default()
                .with_log_dir(s("/var/lib/kafka"))
                .with_topics(vec![
                    describe_log_dirs_response::DescribeLogDirsTopic::default()
                        .with_name(TopicName(s("orders")))
                        .with_partitions(vec![
                        describe_log_dirs_response::DescribeLogDirsPartition::default()
                            .with_partition_index(1)
                            .with_offset_lag(1234);
                        2
                    ]),
                ]),
        ]);
        check(ApiKey::DescribeLogDirs, 1..=4, &ld);

        let member = describe_groups_response::DescribedGroupMember::default()
            .with_member_id(s("m-1"))
            .with_client_id(s("c"))
            .with_client_host(s("/10.0.0.1"))
            .with_member_metadata(Bytes::from_static(&[0, 1, 2]))
            .with_member_assignment(Bytes::from_static(&[0, 0, 0, 0, 0, 0]));
        let dg = DescribeGroupsResponse::default().with_groups(vec![
            describe_groups_response::DescribedGroup::default()
                .with_group_id(GroupId(s("billing")))
                .with_group_state(s("Stable"))
                .with_protocol_type(s("consumer"))
                .with_protocol_data(s("range"))
                .with_members(vec![member; 2]);
            2
        ]);
        check(ApiKey::DescribeGroups, 0..=6, &dg);

        let mut hs = SaslHandshakeResponse::default();
        hs.mechanisms = vec![s("PLAIN"), s("SCRAM-SHA-512")];
        check(ApiKey::SaslHandshake, 0..=1, &hs);
        let mut au = SaslAuthenticateResponse::default();
        au.auth_bytes = Bytes::from_static(b"r=abc,s=c2FsdA==,i=4096");
        au.error_message = Some(s("none"));
        check(ApiKey::SaslAuthenticate, 0..=2, &au);
    }

    #[test]
    fn huge_announced_arrays_are_refused() {
        // DescribeGroups v0: an array of 2^31 - 1 groups in 8 bytes.
        let mut b = vec![0x7f, 0xff, 0xff, 0xff];
        b.extend_from_slice(&[0; 4]);
        assert!(!response_is_sane(ApiKey::DescribeGroups, 0, &b));
        // Requests other than the four answered here are refused.
        assert!(!response_is_sane(ApiKey::Metadata, 12, &[]));
    }
}
