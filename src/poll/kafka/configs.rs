//! Topic configs: `min.insync.replicas` and `unclean.leader.election.enable`
//! by DescribeConfigs (cached, refreshed every `config_refresh`), and each
//! topic's effective minimum ISR with the partition states derived from it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminOptions, ResourceSpecifier};

use super::poller::{perr, Admin, KafkaPoller, TopicConfigs};
use crate::snapshot::{BrokerId, MinIsrSource, PollError, Time, TopicInfo};

/// Topics described per DescribeConfigs request.
const CONFIG_CHUNK: usize = 500;

fn parse_min_isr(entries: &rdkafka::admin::ConfigResource) -> Option<i32> {
    entries
        .get("min.insync.replicas")
        .and_then(|e| e.value.as_deref())
        .and_then(|v| v.trim().parse().ok())
}

impl TopicConfigs {
    fn parse(entries: &rdkafka::admin::ConfigResource) -> Self {
        TopicConfigs {
            min_isr: parse_min_isr(entries),
            unclean: entries
                .get("unclean.leader.election.enable")
                .and_then(|e| e.value.as_deref())
                .and_then(|v| v.trim().parse().ok()),
        }
    }
}

/// What one round of DescribeConfigs found.
#[derive(Default)]
pub(super) struct ConfigAnswer {
    topics: HashMap<String, TopicConfigs>,
    /// `Some` when the broker default was asked for (and maybe found).
    broker_default: Option<Option<i32>>,
    failed: bool,
    pub(super) errors: Vec<PollError>,
}

/// Asks `min.insync.replicas` of every topic (in chunks of
/// [`CONFIG_CHUNK`] per DescribeConfigs request), and the broker default
/// from `broker` when some topic has no value.
pub(super) async fn describe_min_isr(
    a: Arc<Admin>,
    names: Vec<String>,
    broker: Option<BrokerId>,
    request_timeout: Duration,
    deadline: Instant,
) -> ConfigAnswer {
    let mut ans = ConfigAnswer::default();
    let mut refused: Vec<(String, String)> = Vec::new();
    let timeout_at = |d: Instant| request_timeout.min(d.saturating_duration_since(Instant::now()));
    for chunk in names.chunks(CONFIG_CHUNK) {
        let timeout = timeout_at(deadline);
        let opts = AdminOptions::new().request_timeout(Some(timeout));
        let specs: Vec<ResourceSpecifier> = chunk
            .iter()
            .map(|t| ResourceSpecifier::Topic(t.as_str()))
            .collect();
        match tokio::time::timeout(
            timeout + Duration::from_secs(1),
            a.describe_configs(&specs, &opts),
        )
        .await
        {
            Ok(Ok(results)) => {
                for (name, r) in chunk.iter().zip(results) {
                    match r {
                        // librdkafka hands a resource the broker answered
                        // with an error (TOPIC_AUTHORIZATION_FAILED, ...)
                        // back as one without entries; Kafka describes
                        // every config of a topic it does describe.
                        Ok(res) if res.entries.is_empty() => refused.push((
                            name.clone(),
                            "no config returned (not authorized?)".to_string(),
                        )),
                        Ok(res) => {
                            ans.topics.insert(name.clone(), TopicConfigs::parse(&res));
                        }
                        Err(e) => refused.push((name.clone(), e.to_string())),
                    }
                }
            }
            Ok(Err(e)) => {
                ans.failed = true;
                ans.errors
                    .push(perr("configs", format!("DescribeConfigs (topics): {e}")));
                break;
            }
            Err(_) => {
                ans.failed = true;
                ans.errors.push(perr(
                    "configs",
                    "DescribeConfigs (topics): no answer in time",
                ));
                break;
            }
        }
    }
    // Topics the brokers would not describe (an ACL without
    // DESCRIBE_CONFIGS, a topic deleted meanwhile): one error for all.
    if let Some((topic, first)) = refused.first() {
        ans.failed = true;
        ans.errors.push(perr(
            "configs",
            format!(
                "DescribeConfigs refused for {} of {} topics (topic {topic:?}: {first}); their min.insync.replicas is unknown",
                refused.len(),
                names.len()
            ),
        ));
    }
    let incomplete = names
        .iter()
        .any(|n| ans.topics.get(n).is_none_or(|c| c.min_isr.is_none()));
    if let (true, false, Some(b)) = (incomplete, ans.failed, broker) {
        let timeout = timeout_at(deadline);
        let opts = AdminOptions::new().request_timeout(Some(timeout));
        let spec = [ResourceSpecifier::Broker(b)];
        let fail = |message: String| PollError {
            step: "configs".into(),
            broker: Some(b),
            message,
        };
        match tokio::time::timeout(
            timeout + Duration::from_secs(1),
            a.describe_configs(&spec, &opts),
        )
        .await
        {
            Ok(Ok(mut r)) => {
                ans.broker_default = Some(match r.pop() {
                    Some(Ok(res)) => parse_min_isr(&res),
                    _ => None,
                });
            }
            Ok(Err(e)) => ans
                .errors
                .push(fail(format!("DescribeConfigs (broker): {e}"))),
            Err(_) => ans
                .errors
                .push(fail("DescribeConfigs (broker): no answer in time".into())),
        }
    }
    ans
}

impl KafkaPoller {
    /// True when the `min.insync.replicas` cache must be refreshed now
    /// (then the refresh clock restarts): when stale, or early for new
    /// topics unless the last attempt failed (then we wait for the refresh
    /// interval rather than hammer brokers that do not answer).
    pub(super) fn configs_due(&mut self, topics: &[TopicInfo], now: Time) -> bool {
        let stale = match self.configs_at {
            None => true,
            Some(at) => (now - at).to_std().unwrap_or(Duration::ZERO) >= self.cfg.config_refresh.0,
        };
        let uncached = topics
            .iter()
            .any(|t| !self.topic_configs.contains_key(&t.name));
        let new_topics = uncached && !self.configs_failed;
        if stale || new_topics {
            self.configs_at = Some(now);
            true
        } else {
            false
        }
    }

    /// Stores a DescribeConfigs answer in the cache.
    pub(super) fn apply_configs(&mut self, ans: ConfigAnswer) {
        self.configs_failed = ans.failed;
        if let Some(d) = ans.broker_default {
            self.broker_default_min_isr = d;
        }
        if ans.failed {
            self.topic_configs.extend(ans.topics); // keep older values too
        } else {
            self.topic_configs = ans.topics;
        }
    }
}

/// Sets each topic's effective `min.insync.replicas` (topic value, else
/// broker default, else the configured `fallback`, else unknown: never a
/// guess) and `unclean.leader.election.enable`, and derives every
/// partition's state. `live` must be sorted.
pub(super) fn derive_topics(
    topics: &mut [TopicInfo],
    live: &[BrokerId],
    configs: &HashMap<String, TopicConfigs>,
    broker_default: Option<i32>,
    fallback: Option<i32>,
) {
    for t in topics.iter_mut() {
        let c = configs.get(&t.name).copied().unwrap_or_default();
        let (min_isr, source) = match (c.min_isr.or(broker_default), fallback) {
            (Some(m), _) => (m, MinIsrSource::Cluster),
            (None, Some(m)) => (m, MinIsrSource::Configured),
            (None, None) => (0, MinIsrSource::Unknown),
        };
        t.min_insync_replicas = min_isr;
        t.min_isr_source = source;
        t.unclean_leader_election = c.unclean;
        for p in t.partitions.iter_mut() {
            p.derive(min_isr, live);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::metadata::{missing_brokers, named_replicas};
    use super::*;
    use crate::snapshot::PartitionInfo;

    pub(crate) fn topic(name: &str, parts: &[(Option<i32>, &[i32], &[i32])]) -> TopicInfo {
        TopicInfo {
            name: name.into(),
            partitions: parts
                .iter()
                .enumerate()
                .map(|(i, (leader, replicas, isr))| PartitionInfo {
                    partition: i as i32,
                    leader: *leader,
                    replicas: replicas.to_vec(),
                    isr: isr.to_vec(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_partition_state_from_hand_built_metadata() {
        let live = [1, 2, 3];
        let mut topics = vec![topic(
            "t",
            &[
                (Some(1), &[1, 2, 3], &[1, 2, 3]), // 0 healthy
                (Some(1), &[1, 2, 3], &[1, 2]),    // 1 under-replicated, at min ISR
                (Some(1), &[1, 2, 3], &[1]),       // 2 under min ISR
                (None, &[1, 2, 3], &[1]),          // 3 offline
                (Some(2), &[1, 2, 3], &[1, 2, 3]), // 4 leader not preferred
                (Some(1), &[1, 4], &[1]),          // 5 replica on missing broker 4
            ],
        )];
        let mut min = HashMap::new();
        min.insert("t".to_string(), min_isr(2));
        derive_topics(&mut topics, &live, &min, None, None);
        let st: Vec<_> = topics[0].partitions.iter().map(|p| p.state).collect();
        assert_eq!(topics[0].min_insync_replicas, 2);
        assert_eq!(st[0], Default::default());
        assert!(st[1].under_replicated && st[1].at_min_isr && !st[1].under_min_isr);
        assert!(st[2].under_min_isr && !st[2].at_min_isr);
        assert!(st[3].offline && !st[3].under_min_isr && !st[3].leader_not_preferred);
        assert!(st[4].leader_not_preferred && !st[4].under_replicated);
        assert!(st[5].replica_on_missing_broker && st[5].under_replicated);
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let forget = std::time::Duration::from_secs(240);
        let mut seen = std::collections::BTreeMap::new();
        assert_eq!(
            missing_brokers(&mut seen, &named_replicas(&topics), &live, &[], now, forget),
            vec![4]
        );
    }

    fn min_isr(v: i32) -> TopicConfigs {
        TopicConfigs {
            min_isr: Some(v),
            unclean: None,
        }
    }

    #[test]
    fn min_isr_falls_back_to_broker_default_then_the_configured_value() {
        let mut topics = vec![
            topic("a", &[(Some(1), &[1, 2, 3], &[1, 2])]),
            topic("b", &[(Some(1), &[1, 2], &[1])]),
        ];
        let mut min = HashMap::new();
        min.insert("a".to_string(), min_isr(3));
        derive_topics(&mut topics, &[1, 2], &min, Some(2), None);
        assert_eq!(topics[0].min_insync_replicas, 3);
        assert!(topics[0].partitions[0].state.under_min_isr);
        assert_eq!(topics[1].min_insync_replicas, 2);
        assert!(topics[1].partitions[0].state.under_min_isr);
        // The cluster does not tell: no state from a guess...
        derive_topics(&mut topics, &[1, 2], &HashMap::new(), None, None);
        assert_eq!(topics[1].min_isr_source, MinIsrSource::Unknown);
        let st = topics[1].partitions[0].state;
        assert!(!st.at_min_isr && !st.under_min_isr && st.under_replicated);
        // ... unless the configuration gives a fallback, labelled as such.
        derive_topics(&mut topics, &[1, 2], &HashMap::new(), None, Some(1));
        assert_eq!(topics[1].min_isr_source, MinIsrSource::Configured);
        assert!(topics[1].partitions[0].state.at_min_isr);
    }
}
