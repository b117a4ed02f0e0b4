//! Cluster metadata: the broker and topic lists copied out of librdkafka,
//! and what follows from them alone (brokers gone missing).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::admin;
use super::poller::{blocking, Admin, KafkaPoller};
use crate::snapshot::{BrokerId, BrokerInfo, MinIsrSource, PartitionInfo, Time, TopicInfo};

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

/// The brokers that replica lists of `topics` name.
pub(super) fn named_replicas(topics: &[TopicInfo]) -> BTreeSet<BrokerId> {
    topics
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|p| p.replicas.iter().copied())
        .collect()
}

/// Brokers absent from the live broker list that a replica list names, or
/// that were live or named less than `forget_after` ago; sorted. `seen`
/// holds when each broker was last live or named, and loses the brokers
/// forgotten: a broker decommissioned (its replicas moved away, then
/// stopped) or replaced (stopped, then its replicas moved to another) is
/// missing for `forget_after`, not for the rest of the monitor's life.
/// A broker seen before that is still a voter of the metadata quorum
/// (combined mode) is not forgotten: it is still part of the cluster.
/// Voters never seen as brokers (dedicated controllers) are not brokers.
pub(super) fn missing_brokers(
    seen: &mut BTreeMap<BrokerId, Time>,
    named: &BTreeSet<BrokerId>,
    live: &[BrokerId],
    voters: &[BrokerId],
    now: Time,
    forget_after: Duration,
) -> Vec<BrokerId> {
    for v in voters {
        if let Some(last) = seen.get_mut(v) {
            *last = now;
        }
    }
    for b in named.iter().chain(live) {
        seen.insert(*b, now);
    }
    let forget_after = chrono::Duration::from_std(forget_after).unwrap_or(chrono::Duration::MAX);
    seen.retain(|_, last| now - *last < forget_after);
    seen.keys().copied().filter(|b| !live.contains(b)).collect()
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

    /// `missing_brokers` at `secs` with a forget time of 240 s.
    fn missing_at(
        seen: &mut BTreeMap<BrokerId, Time>,
        topics: &[TopicInfo],
        live: &[BrokerId],
        voters: &[BrokerId],
        secs: i64,
    ) -> Vec<BrokerId> {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let now = t0 + chrono::Duration::seconds(secs);
        let named = named_replicas(topics);
        missing_brokers(seen, &named, live, voters, now, Duration::from_secs(240))
    }

    #[test]
    fn brokers_seen_before_stay_missing_until_back() {
        let mut seen = BTreeMap::new();
        let topics = vec![topic("t", &[(Some(1), &[1, 2], &[1, 2])])];
        missing_at(&mut seen, &topics, &[1, 2, 3], &[], 0);
        assert_eq!(missing_at(&mut seen, &topics, &[1, 2], &[], 15), vec![3]);
        assert!(missing_at(&mut seen, &topics, &[1, 2, 3], &[], 30).is_empty());
    }

    #[test]
    fn a_broker_no_replica_names_is_forgotten() {
        let mut seen = BTreeMap::new();
        // Broker 3 hosts a replica of t-0; broker 4 hosts nothing.
        let named = vec![topic("t", &[(Some(1), &[1, 2, 3], &[1, 2, 3])])];
        missing_at(&mut seen, &named, &[1, 2, 3, 4], &[], 0);
        // Both stop: 3 stays missing while a replica list names it, 4 is
        // missing until `forget_after` after it was last live.
        let still = vec![topic("t", &[(Some(1), &[1, 2, 3], &[1, 2])])];
        assert_eq!(missing_at(&mut seen, &still, &[1, 2], &[], 15), vec![3, 4]);
        assert_eq!(missing_at(&mut seen, &still, &[1, 2], &[], 239), vec![3, 4]);
        assert_eq!(missing_at(&mut seen, &still, &[1, 2], &[], 240), vec![3]);
        assert_eq!(missing_at(&mut seen, &still, &[1, 2], &[], 600), vec![3]);
        // 3's replica moves to 2 (a replacement): 3 goes `forget_after`
        // later, and a forgotten broker that comes back is seen again.
        let moved = vec![topic("t", &[(Some(1), &[1, 2], &[1, 2])])];
        assert_eq!(missing_at(&mut seen, &moved, &[1, 2], &[], 615), vec![3]);
        assert_eq!(missing_at(&mut seen, &moved, &[1, 2], &[], 839), vec![3]);
        assert!(missing_at(&mut seen, &moved, &[1, 2], &[], 840).is_empty());
        assert!(missing_at(&mut seen, &moved, &[1, 2, 4], &[], 900).is_empty());
        assert_eq!(missing_at(&mut seen, &moved, &[1, 2], &[], 915), vec![4]);
        // A combined-mode voter is not forgotten while it votes; a voter
        // never seen as a broker (a dedicated controller) is not a broker.
        let voters = [4, 3000];
        assert_eq!(
            missing_at(&mut seen, &moved, &[1, 2], &voters, 1500),
            vec![4]
        );
        assert!(missing_at(&mut seen, &moved, &[1, 2], &[], 1740).is_empty());
    }
}
