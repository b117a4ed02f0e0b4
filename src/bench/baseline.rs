//! A poller that does what the usual exporters do, for side-by-side
//! figures: everything inside the scrape, two offset requests per
//! partition (`fetch_watermarks`), one committed-offsets request per group
//! listing every partition, and a new connection every time.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;

/// What one baseline scrape saw.
#[derive(Debug, Clone, Default)]
pub struct BaselineScrape {
    pub partitions: usize,
    pub groups: usize,
    pub committed: usize,
}

/// One kafka_exporter-style scrape against `bootstrap`, for the given groups
/// (the baseline lists groups itself when `groups` is empty).
/// `properties`: extra librdkafka properties (security).
pub fn scrape(
    bootstrap: &str,
    groups: &[String],
    properties: &[(String, String)],
    timeout: Duration,
) -> Result<BaselineScrape, String> {
    let mut cc = ClientConfig::new();
    cc.set("bootstrap.servers", bootstrap)
        .set("group.id", "isrwatch-baseline")
        .set("enable.auto.commit", "false");
    for (k, v) in properties {
        cc.set(k, v);
    }
    let consumer: BaseConsumer = cc.create().map_err(|e| format!("client: {e}"))?;
    let md = consumer
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("metadata: {e}"))?;
    let mut out = BaselineScrape::default();
    let mut all = TopicPartitionList::new();
    for t in md.topics() {
        for p in t.partitions() {
            // Two ListOffsets requests per partition, as kafka_exporter does.
            let _ = consumer.fetch_watermarks(t.name(), p.id(), timeout);
            all.add_partition(t.name(), p.id());
            out.partitions += 1;
        }
    }
    let listed: Vec<String> = if groups.is_empty() {
        match consumer.fetch_group_list(None, timeout) {
            Ok(l) => l.groups().iter().map(|g| g.name().to_string()).collect(),
            Err(e) => return Err(format!("list groups: {e}")),
        }
    } else {
        groups.to_vec()
    };
    // One OffsetFetch per group listing every partition, sent to the
    // group's coordinator over connections opened for this scrape only
    // (raw protocol: librdkafka can only fetch offsets of its own group,
    // and a client per group would measure librdkafka, not the approach).
    let addrs: HashMap<i32, String> = md
        .brokers()
        .iter()
        .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
        .collect();
    let mut by_topic: Vec<(String, Vec<i32>)> = Vec::new();
    for t in md.topics() {
        by_topic.push((
            t.name().to_string(),
            t.partitions().iter().map(|p| p.id()).collect(),
        ));
    }
    let mut conns: HashMap<i32, raw::Conn> = HashMap::new();
    let any = addrs
        .values()
        .next()
        .cloned()
        .ok_or_else(|| "metadata listed no broker".to_string())?;
    let mut lookup = raw::Conn::open(&any, timeout)?;
    for g in &listed {
        let coordinator = lookup.find_coordinator(g)?;
        let conn = match conns.entry(coordinator) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let addr = addrs
                    .get(&coordinator)
                    .ok_or_else(|| format!("coordinator {coordinator} not in metadata"))?;
                e.insert(raw::Conn::open(addr, timeout)?)
            }
        };
        out.committed += conn.offset_fetch(g, &by_topic)?;
        out.groups += 1;
    }
    Ok(out)
}

/// A minimal blocking Kafka client for the two group requests of the
/// baseline: FindCoordinator v1 and OffsetFetch v5.
mod raw {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::Duration;

    use bytes::{Buf as _, BytesMut};
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{
        encode_request_header_into_buffer, Decodable, Encodable, StrBytes,
    };

    /// One connection to one broker.
    pub struct Conn {
        stream: TcpStream,
        corr: i32,
    }

    impl Conn {
        /// Connects to `addr` (`host:port`).
        pub fn open(addr: &str, timeout: Duration) -> Result<Conn, String> {
            let stream = TcpStream::connect(addr).map_err(|e| format!("connect to {addr}: {e}"))?;
            let _ = stream.set_read_timeout(Some(timeout));
            let _ = stream.set_nodelay(true);
            Ok(Conn { stream, corr: 0 })
        }

        fn call<Q: Encodable, R: Decodable>(
            &mut self,
            key: ApiKey,
            version: i16,
            req: &Q,
        ) -> Result<R, String> {
            self.corr += 1;
            let mut b = BytesMut::new();
            let h = RequestHeader::default()
                .with_request_api_key(key as i16)
                .with_request_api_version(version)
                .with_correlation_id(self.corr)
                .with_client_id(Some(StrBytes::from_static_str("isrwatch-baseline")));
            encode_request_header_into_buffer(&mut b, &h).map_err(|e| format!("encode: {e}"))?;
            req.encode(&mut b, version)
                .map_err(|e| format!("encode: {e}"))?;
            let mut frame = (b.len() as i32).to_be_bytes().to_vec();
            frame.extend_from_slice(&b);
            self.stream
                .write_all(&frame)
                .map_err(|e| format!("send {key:?}: {e}"))?;
            let mut len = [0u8; 4];
            self.stream
                .read_exact(&mut len)
                .map_err(|e| format!("read {key:?}: {e}"))?;
            let n = i32::from_be_bytes(len).max(0) as usize;
            let mut body = vec![0u8; n];
            self.stream
                .read_exact(&mut body)
                .map_err(|e| format!("read {key:?}: {e}"))?;
            let mut body = bytes::Bytes::from(body);
            let _ = ResponseHeader::decode(&mut body, key.response_header_version(version))
                .map_err(|e| format!("decode {key:?} header: {e}"))?;
            let r = R::decode(&mut body, version).map_err(|e| format!("decode {key:?}: {e}"))?;
            let _ = body.remaining();
            Ok(r)
        }

        /// The coordinator of `group`.
        pub fn find_coordinator(&mut self, group: &str) -> Result<i32, String> {
            let req = FindCoordinatorRequest::default()
                .with_key(StrBytes::from_string(group.to_string()))
                .with_key_type(0);
            let r: FindCoordinatorResponse = self.call(ApiKey::FindCoordinator, 1, &req)?;
            if r.error_code != 0 {
                return Err(format!("FindCoordinator {group}: error {}", r.error_code));
            }
            Ok(r.node_id.0)
        }

        /// Committed offsets of `group` for every listed partition; returns
        /// how many are committed (offset >= 0).
        pub fn offset_fetch(
            &mut self,
            group: &str,
            topics: &[(String, Vec<i32>)],
        ) -> Result<usize, String> {
            let req = OffsetFetchRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(group.to_string())))
                .with_topics(Some(
                    topics
                        .iter()
                        .map(|(t, ps)| {
                            offset_fetch_request::OffsetFetchRequestTopic::default()
                                .with_name(TopicName(StrBytes::from_string(t.clone())))
                                .with_partition_indexes(ps.clone())
                        })
                        .collect(),
                ));
            let r: OffsetFetchResponse = self.call(ApiKey::OffsetFetch, 5, &req)?;
            if r.error_code != 0 {
                return Err(format!("OffsetFetch {group}: error {}", r.error_code));
            }
            Ok(r.topics
                .iter()
                .flat_map(|t| t.partitions.iter())
                .filter(|p| p.committed_offset >= 0)
                .count())
        }
    }
}
