//! Watermarks (log start and end offsets, by ListOffsets) and consumer lag
//! in messages and seconds.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use super::super::admin::OffsetSpec;
use super::super::lag::{lag_messages, OffsetHistory};
use super::api::GroupApi;
use super::poller::{perr, KafkaPoller};
use crate::snapshot::{BrokerId, GroupInfo, PollError, Time, TopicInfo};

/// ListOffsets calls in flight at once, per offset kind.
const OFFSETS_CONCURRENCY: usize = 8;

/// One watermark found by `fetch_offsets`: indexes into the topic list.
pub(super) struct OffsetUpdate {
    pub(super) topic: usize,
    pub(super) partition: usize,
    /// `true`: end offset (high watermark); `false`: log start offset.
    pub(super) high: bool,
    pub(super) offset: i64,
}

impl KafkaPoller {
    /// Log start and end offsets of every partition with a leader.
    pub(super) async fn fetch_offsets(
        &self,
        api: &dyn GroupApi,
        topics: &[TopicInfo],
        deadline: Instant,
    ) -> (Vec<OffsetUpdate>, Vec<PollError>) {
        let mut updates = Vec::new();
        let mut errors = Vec::new();
        // One call per chunk of partitions with the same leader:
        // librdkafka merges each response into the request list by linear
        // search (O(n^2) per call), which made one call for 100k partitions
        // cost more CPU than everything else in the poll. Grouping by leader
        // keeps each chunk to one broker request, so chunking does not
        // multiply the requests beyond one per `api.offsets_per_call()` partitions.
        // Per leader: (topic, partition) in topic and partition order, and
        // where each sits in `topics` (answers come back by position).
        type Chunk = (BrokerId, Arc<Vec<(String, i32)>>, Arc<Vec<(usize, usize)>>);
        type Parts = (Vec<(String, i32)>, Vec<(usize, usize)>);
        let mut by_leader: BTreeMap<BrokerId, Parts> = BTreeMap::new();
        for (ti, t) in topics.iter().enumerate() {
            for (pi, p) in t.partitions.iter().enumerate() {
                if let Some(l) = p.leader {
                    let e = by_leader.entry(l).or_default();
                    e.0.push((t.name.clone(), p.partition));
                    e.1.push((ti, pi));
                }
            }
        }
        if by_leader.is_empty() {
            return (updates, errors);
        }
        let chunk = api.offsets_per_call();
        let chunks: Vec<Chunk> = by_leader
            .into_iter()
            .flat_map(|(leader, (parts, pos))| {
                parts
                    .chunks(chunk)
                    .zip(pos.chunks(chunk))
                    .map(|(c, p)| (leader, Arc::new(c.to_vec()), Arc::new(p.to_vec())))
                    .collect::<Vec<_>>()
            })
            .collect();
        let timeout = self.request_timeout(deadline);
        let run = |spec: OffsetSpec| {
            let calls: Vec<_> = chunks
                .iter()
                .cloned()
                .map(|(leader, parts, pos): Chunk| async move {
                    (pos, api.list_offsets(leader, parts, spec, timeout).await)
                })
                .collect();
            futures::stream::iter(calls)
                .buffer_unordered(OFFSETS_CONCURRENCY)
                .collect::<Vec<_>>()
        };
        let (low, high) = tokio::join!(run(OffsetSpec::Earliest), run(OffsetSpec::Latest));
        for (label, results, high) in [("earliest", low, false), ("latest", high, true)] {
            let mut lists = Vec::with_capacity(results.len());
            let mut call_errors = BTreeSet::new();
            for (pos, res) in results {
                match res {
                    Ok(l) => lists.push((pos, l)),
                    Err(e) => {
                        call_errors.insert(e);
                    }
                }
            }
            // One error per distinct message, not one per chunk.
            for e in call_errors {
                errors.push(perr("offsets", format!("{label}: {e}")));
            }
            let mut failed = 0usize;
            let mut example = None;
            for (pos, po) in lists
                .iter()
                .flat_map(|(pos, l)| l.iter().map(move |po| (pos, po)))
            {
                let Some(&(ti, pi)) = pos.get(po.index) else {
                    continue;
                };
                match &po.offset {
                    Ok(o) if *o >= 0 => {
                        updates.push(OffsetUpdate {
                            topic: ti,
                            partition: pi,
                            high,
                            offset: *o,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failed += 1;
                        example.get_or_insert_with(|| {
                            let t = &topics[ti];
                            format!("{}[{}]: {e}", t.name, t.partitions[pi].partition)
                        });
                    }
                }
            }
            if failed > 0 {
                errors.push(perr(
                    "offsets",
                    format!(
                        "{label}: {failed} partition(s) failed, e.g. {}",
                        example.unwrap_or_default()
                    ),
                ));
            }
        }
        (updates, errors)
    }

    /// Fills end offsets, lag and lag in seconds, and updates the history.
    pub(super) fn compute_lag(
        &mut self,
        topics: &[TopicInfo],
        groups: &mut [GroupInfo],
        now: Time,
    ) {
        // Topics are sorted by name and partitions by id (see
        // fetch_metadata): look ends up by binary search, no hashing or
        // string copies per group-partition (200k of them at 2,000 groups).
        let end_of = |topic: &str, partition: i32| -> Option<i64> {
            let t = topics
                .binary_search_by(|t| t.name.as_str().cmp(topic))
                .ok()?;
            let ps = &topics[t].partitions;
            let i = ps.binary_search_by_key(&partition, |p| p.partition).ok()?;
            ps[i].high_watermark
        };
        // Keep histories only for partitions some group still reads.
        let mut used: HashMap<&str, HashSet<i32>> = HashMap::new();
        for g in groups.iter() {
            for p in &g.partitions {
                used.entry(p.topic.as_str())
                    .or_default()
                    .insert(p.partition);
            }
        }
        self.histories
            .retain(|topic, parts| match used.get(topic.as_str()) {
                Some(u) => {
                    parts.retain(|p, _| u.contains(p));
                    !parts.is_empty()
                }
                None => false,
            });
        let window = self.cfg.lag_history.0;
        let max_points = self.max_history_points;
        for (topic, parts) in &used {
            for &partition in parts {
                if let Some(end) = end_of(topic, partition) {
                    let per_topic = match self.histories.get_mut(*topic) {
                        Some(h) => h,
                        None => self.histories.entry(topic.to_string()).or_default(),
                    };
                    per_topic
                        .entry(partition)
                        .or_insert_with(|| OffsetHistory::new(window, max_points))
                        .record(end, now);
                }
            }
        }
        for g in groups.iter_mut() {
            for p in g.partitions.iter_mut() {
                p.end_offset = end_of(&p.topic, p.partition);
                p.lag = lag_messages(p.committed, p.end_offset);
                p.lag_seconds = match (p.committed, p.end_offset) {
                    (Some(c), Some(_)) => self
                        .histories
                        .get(p.topic.as_str())
                        .and_then(|h| h.get(&p.partition))
                        .and_then(|h| h.time_lag(c, now))
                        .map(|l| l.seconds),
                    _ => None,
                };
            }
        }
    }
}
