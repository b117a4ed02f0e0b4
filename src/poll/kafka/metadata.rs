//! Cluster metadata: the broker and topic lists copied out of librdkafka,
//! and what follows from them alone (brokers gone missing).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::admin;
use super::poller::{blocking, Admin, KafkaPoller};
use crate::snapshot::{BrokerId, BrokerInfo, MinIsrSource, PartitionInfo, TopicInfo};

/// Metadata copied out of rdkafka.
pub(super) struct RawMeta {
    pub(super) brokers: Vec<BrokerInfo>,
    pub(super) topics: Vec<TopicInfo>,
    pub(super) controller: Option<BrokerId>,
    pub(super) cluster_id: Option<String>,
}

fn err_name<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
        .trim_start_matches("RD_KAFKA_RESP_ERR_")
        .to_string()
}

pub(super) fn fetch_metadata(a: &Admin, timeout: Duration) -> Result<RawMeta, String> {
    let md = a
        .inner()
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("metadata request failed: {e}"))?;
    let mut brokers: Vec<BrokerInfo> = md
        .brokers()
        .iter()
        .map(|b| BrokerInfo {
            id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
            rack: None,
        })
        .collect();
    brokers.sort_by_key(|b| b.id);
    let mut topics: Vec<TopicInfo> = md
        .topics()
        .iter()
        .map(|t| {
            let mut partitions: Vec<PartitionInfo> = t
                .partitions()
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    error: p.error().map(err_name),
                    ..Default::default()
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            TopicInfo {
                name: t.name().to_string(),
                internal: t.name().starts_with("__"),
                min_insync_replicas: 0,
                min_isr_source: MinIsrSource::Unknown,
                unclean_leader_election: None,
                error: t.error().map(err_name),
                partitions,
            }
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let (controller, cluster_id) =
        admin::controller_and_cluster_id(a.inner(), Duration::from_millis(100));
    Ok(RawMeta {
        brokers,
        topics,
        controller,
        cluster_id,
    })
}

/// Brokers seen in earlier polls or named in replica lists, but absent
/// from the live broker list; sorted.
pub(super) fn missing_brokers(
    seen: &BTreeSet<BrokerId>,
    topics: &[TopicInfo],
    live: &[BrokerId],
) -> Vec<BrokerId> {
    let mut missing: BTreeSet<BrokerId> = seen.clone();
    for t in topics {
        for p in &t.partitions {
            missing.extend(p.replicas.iter().copied());
        }
    }
    missing.retain(|b| !live.contains(b));
    missing.into_iter().collect()
}

/// Partition `partition` of `topic` in a topic list sorted by name (each
/// topic's partitions sorted by id).
pub(super) fn partition_mut<'a>(
    topics: &'a mut [TopicInfo],
    topic: &str,
    partition: i32,
) -> Option<&'a mut PartitionInfo> {
    let ti = topics
        .binary_search_by(|t| t.name.as_str().cmp(topic))
        .ok()?;
    let parts = &mut topics[ti].partitions;
    let pi = parts
        .binary_search_by_key(&partition, |p| p.partition)
        .ok()?;
    Some(&mut parts[pi])
}

impl KafkaPoller {
    /// The cluster's metadata: without it the cluster counts as unreachable.
    ///
    /// A broker that just died may still look connected to librdkafka,
    /// which can pick it for this request: then the request fails or
    /// times out, the broker is marked down, and a second attempt goes to
    /// another broker. So the first attempt gets at most half of what is
    /// left of the poll, and the poll gives up only after a third one
    /// (or when the deadline leaves no time): a broker that accepts
    /// connections but never answers can be picked twice.
    pub(super) async fn metadata(
        &self,
        a: &Arc<Admin>,
        deadline: Instant,
    ) -> Result<RawMeta, String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = if attempt == 1 {
                self.cfg.request_timeout.0.min(left / 2)
            } else {
                self.cfg.request_timeout.0.min(left)
            };
            let a2 = Arc::clone(a);
            let r = match blocking(timeout, move || fetch_metadata(&a2, timeout)).await {
                Ok(Ok(m)) => Ok(m),
                Ok(Err(e)) | Err(e) => Err(e),
            };
            match r {
                Err(_)
                    if attempt < 3
                        && deadline.saturating_duration_since(Instant::now())
                            > Duration::from_millis(100) =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                r => return r,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::configs::tests::topic;
    use super::*;

    #[test]
    fn brokers_seen_before_stay_missing_until_back() {
        let seen: BTreeSet<i32> = [1, 2, 3].into_iter().collect();
        let topics = vec![topic("t", &[(Some(1), &[1, 2], &[1, 2])])];
        assert_eq!(missing_brokers(&seen, &topics, &[1, 2]), vec![3]);
        assert!(missing_brokers(&seen, &topics, &[1, 2, 3]).is_empty());
    }
}
