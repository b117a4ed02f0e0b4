//! [`GroupApi`]: the calls the offsets, groups and lag path makes, behind
//! one trait so that path never asks which client answers. Two
//! implementations: [`Librdkafka`] (the admin wrappers of `admin`, on the
//! blocking pool) and [`Direct`] (isrwatch's own requests, `direct`, with
//! librdkafka for what it does not send). Tests use a fake (see
//! `groups::tests`).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::super::admin::{
    self, GroupDescription, GroupList, GroupListing, GroupOffsets, OffsetSpec, PartitionOffset,
};
use super::super::direct::DirectClient;
use super::poller::{blocking, Admin, GroupClient, KafkaPoller};
use crate::snapshot::BrokerId;

/// Partitions (all led by one broker) per librdkafka ListOffsets call;
/// see `fetch_offsets` for why calls are chunked.
const OFFSETS_CHUNK: usize = 250;

/// Watermarks, consumer groups and committed offsets of one cluster.
///
/// Every call is bounded by its `timeout`. `Err` is a call that failed as a
/// whole, as the message the poll error carries; a partition or group
/// that failed alone carries its error in the answer. Group calls name
/// the broker to ask (the coordinator, or a guess at it): a broker that
/// is not the group's coordinator answers with the group's error and
/// `not_coordinator` set (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
/// COORDINATOR_LOAD_IN_PROGRESS); finding the coordinator is the caller's
/// job (`fetch_groups`).
#[async_trait]
pub(super) trait GroupApi: Send + Sync {
    /// At most this many partitions per [`GroupApi::list_offsets`] call.
    fn offsets_per_call(&self) -> usize;

    /// ListOffsets for `partitions`, all led by `leader`; answers carry
    /// positions in `partitions`.
    async fn list_offsets(
        &self,
        leader: BrokerId,
        partitions: Arc<Vec<(String, i32)>>,
        spec: OffsetSpec,
        timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, String>;

    /// Every consumer group of the cluster (every broker is asked).
    async fn list_groups(&self, timeout: Duration) -> Result<GroupList, String>;

    /// Committed offsets of `groups` at `broker`: of every partition
    /// (`partitions` is `None`) or of those listed. One answer per group.
    async fn committed_offsets(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        partitions: Option<Arc<Vec<(String, i32)>>>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, String>;

    /// State, members and assignment of `groups` at `broker`. `listed` is
    /// what the listing said of the groups (a client may need it to tell
    /// a group of the new consumer protocol from a dead one).
    async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        listed: &BTreeMap<String, GroupListing>,
        timeout: Duration,
    ) -> Result<Vec<GroupDescription>, String>;
}

/// Everything through librdkafka's admin API: listing and offsets on the
/// admin handle, group calls on the consumer-type handle ([`GroupClient`]).
pub(super) struct Librdkafka {
    pub(super) admin: Arc<Admin>,
    pub(super) groups: Arc<GroupClient>,
}

#[async_trait]
impl GroupApi for Librdkafka {
    fn offsets_per_call(&self) -> usize {
        OFFSETS_CHUNK
    }

    async fn list_offsets(
        &self,
        _leader: BrokerId,
        partitions: Arc<Vec<(String, i32)>>,
        spec: OffsetSpec,
        timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, String> {
        let a = self.admin.clone();
        flat(
            blocking(timeout, move || {
                admin::list_offsets(a.inner(), &partitions, spec, timeout)
            })
            .await,
        )
    }

    async fn list_groups(&self, timeout: Duration) -> Result<GroupList, String> {
        let a = self.admin.clone();
        flat(
            blocking(timeout, move || {
                admin::list_consumer_groups(a.inner(), timeout)
            })
            .await,
        )
    }

    async fn committed_offsets(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        partitions: Option<Arc<Vec<(String, i32)>>>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, String> {
        let gc = self.groups.clone();
        flat(
            blocking(timeout, move || {
                admin::list_consumer_group_offsets(
                    &gc,
                    &groups,
                    partitions.as_deref().map(|p| p.as_slice()),
                    broker,
                    timeout,
                )
            })
            .await,
        )
    }

    async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        _listed: &BTreeMap<String, GroupListing>,
        timeout: Duration,
    ) -> Result<Vec<GroupDescription>, String> {
        let gc = self.groups.clone();
        flat(
            blocking(timeout, move || {
                admin::describe_consumer_groups(&gc, &groups, broker, timeout)
            })
            .await,
        )
    }
}

/// isrwatch's own ListOffsets, OffsetFetch and DescribeGroups; librdkafka
/// lists groups, fetches offsets from brokers older than Kafka 3.0 and
/// describes groups of the new consumer protocol.
pub(super) struct Direct {
    pub(super) client: Arc<DirectClient>,
    pub(super) rdkafka: Librdkafka,
}

#[async_trait]
impl GroupApi for Direct {
    /// A leader's whole list: the direct client sends
    /// `direct::OFFSETS_PER_REQUEST` partitions per request itself.
    fn offsets_per_call(&self) -> usize {
        usize::MAX
    }

    async fn list_offsets(
        &self,
        leader: BrokerId,
        partitions: Arc<Vec<(String, i32)>>,
        spec: OffsetSpec,
        timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, String> {
        self.client
            .list_offsets(leader, &partitions, spec, timeout)
            .await
            .map_err(|e| e.to_string())
    }

    async fn list_groups(&self, timeout: Duration) -> Result<GroupList, String> {
        self.rdkafka.list_groups(timeout).await
    }

    /// On the direct client when `broker` takes many groups per OffsetFetch,
    /// else through librdkafka.
    async fn committed_offsets(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        partitions: Option<Arc<Vec<(String, i32)>>>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, String> {
        if !self.client.batches_offset_fetch(broker, timeout).await {
            return self
                .rdkafka
                .committed_offsets(broker, groups, partitions, timeout)
                .await;
        }
        self.client
            .offset_fetch(
                broker,
                &groups,
                partitions.as_deref().map(|p| p.as_slice()),
                timeout,
            )
            .await
            .map_err(|e| e.to_string())
    }

    /// Groups of the new consumer protocol (KIP-848, Kafka 4) are not
    /// "classic" groups: DescribeGroups, which the direct client sends,
    /// reports them `Dead` (v5 and older) or GROUP_ID_NOT_FOUND (v6), while
    /// librdkafka asks ConsumerGroupDescribe for them. Such answers, for
    /// groups the listing shows alive, are replaced by librdkafka's (kept
    /// as they are when librdkafka fails).
    async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        listed: &BTreeMap<String, GroupListing>,
        timeout: Duration,
    ) -> Result<Vec<GroupDescription>, String> {
        let mut descs = self
            .client
            .describe_groups(broker, &groups, timeout)
            .await
            .map_err(|e| e.to_string())?;
        let redo: Vec<String> = descs
            .iter()
            .filter(|d| not_a_classic_group(d, listed.get(&d.group)))
            .map(|d| d.group.clone())
            .collect();
        if redo.is_empty() {
            return Ok(descs);
        }
        if let Ok(again) = self
            .rdkafka
            .describe_groups(broker, redo.clone(), listed, timeout)
            .await
        {
            let redo: HashSet<String> = redo.into_iter().collect();
            descs.retain(|d| !redo.contains(&d.group));
            descs.extend(again);
        }
        Ok(descs)
    }
}

/// True when a DescribeGroups answer is how Kafka 4 answers for a group of
/// the new consumer protocol (see [`Direct`]'s `describe_groups`).
fn not_a_classic_group(d: &GroupDescription, listing: Option<&GroupListing>) -> bool {
    let not_found = d
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("GROUP_ID_NOT_FOUND"));
    let dead_but_listed =
        d.error.is_none() && d.state == "Dead" && listing.is_some_and(|l| l.state != "Dead");
    not_found || dead_but_listed
}

/// A blocking call's answer: the call's own error, or the blocking pool's
/// (no answer in time), as one message.
fn flat<T>(r: Result<Result<T, admin::AdminError>, String>) -> Result<T, String> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e),
    }
}

impl KafkaPoller {
    /// The [`GroupApi`] of this cluster: the direct client when there is
    /// one (`direct_requests`), else librdkafka.
    pub(super) fn group_api(&self, a: &Arc<Admin>, gc: &Arc<GroupClient>) -> Box<dyn GroupApi> {
        let rdkafka = Librdkafka {
            admin: a.clone(),
            groups: gc.clone(),
        };
        match &self.direct {
            Some(d) => Box::new(Direct {
                client: d.clone(),
                rdkafka,
            }),
            None => Box::new(rdkafka),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kip_848_groups_are_recognised_in_classic_answers() {
        let d = |state: &str, error: Option<&str>| GroupDescription {
            group: "g".into(),
            state: state.into(),
            simple: false,
            coordinator: None,
            members: 0,
            assigned: Vec::new(),
            error: error.map(String::from),
            not_coordinator: false,
        };
        let l = |state: &str| GroupListing {
            group: "g".into(),
            state: state.into(),
            simple: false,
        };
        let v6 = d(
            "Unknown",
            Some("GROUP_ID_NOT_FOUND: DescribeConsumerGroups: Broker: ..."),
        );
        assert!(not_a_classic_group(&v6, None));
        assert!(not_a_classic_group(&d("Dead", None), Some(&l("Stable"))));
        // A group really gone, or alive and classic, is left alone.
        assert!(!not_a_classic_group(&d("Dead", None), None));
        assert!(!not_a_classic_group(&d("Dead", None), Some(&l("Dead"))));
        assert!(!not_a_classic_group(&d("Stable", None), Some(&l("Stable"))));
    }
}
