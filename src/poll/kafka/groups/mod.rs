//! Consumer groups: listing, finding each group's coordinator, committed
//! offsets and descriptions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::admin;
use super::api::GroupApi;
use super::poller::{broker_error, perr, KafkaPoller};
use crate::snapshot::{BrokerId, GroupInfo, GroupPartition, PollError, TopicInfo};

/// What ListGroups said, by group name.
type Listed = BTreeMap<String, admin::GroupListing>;
/// Answers per broker, in broker order.
type Answers<T> = Vec<(BrokerId, Result<Vec<T>, String>)>;

impl KafkaPoller {
    /// Lists, describes and fetches committed offsets of consumer groups.
    ///
    /// Also returns the coordinator of every group that answered, for the
    /// next poll (`live` are the brokers in this poll's metadata;
    /// `offsets_leaders` the leader of each `__consumer_offsets` partition,
    /// empty when unknown).
    pub(super) async fn fetch_groups(
        &self,
        api: &dyn GroupApi,
        topics: &[TopicInfo],
        live: &[BrokerId],
        offsets_leaders: &[Option<BrokerId>],
        deadline: Instant,
    ) -> (Vec<GroupInfo>, Vec<PollError>, HashMap<String, BrokerId>) {
        let mut errors = Vec::new();
        // 1. list
        let (listed, names) = self.group_names(api, deadline, &mut errors).await;
        if names.is_empty() {
            return (Vec::new(), errors, HashMap::new());
        }
        // 2. committed offsets, from each group's coordinator. librdkafka's
        // own coordinator lookup is avoided (it can crash the process when a
        // coordinator disappears, see `admin`): groups whose coordinator is
        // known and alive are asked there; the others are asked of every
        // live broker, and the one answering without a coordinator error is
        // the coordinator. A known coordinator that fails is looked for
        // again at once (second round).
        let (mut coords, mut committed) = self
            .find_coordinators(api, &names, live, offsets_leaders, deadline, &mut errors)
            .await;
        // 3. describe (state, members, assignment) at each coordinator, and
        // 3b. groups answering "nothing committed" to the all-partitions
        // form: ask again with an explicit partition list (brokers such as
        // librdkafka's mock do not implement the all-partitions form).
        let timeout = self.request_timeout(deadline);
        let (described, refetched) = tokio::join!(
            describe(api, &names, &listed, &coords, timeout),
            refetch_empty(api, topics, &names, &coords, &committed, timeout),
        );
        let mut descs: HashMap<String, admin::GroupDescription> = HashMap::new();
        for (b, r) in described {
            match r {
                Ok(d) => {
                    let failed: Vec<&admin::GroupDescription> =
                        d.iter().filter(|g| g.error.is_some()).collect();
                    if let Some(first) = failed.first() {
                        errors.push(PollError {
                            step: "groups.describe".into(),
                            broker: Some(b),
                            message: format!(
                                "{} group(s) failed, e.g. {}: {}",
                                failed.len(),
                                first.group,
                                first.error.as_deref().unwrap_or_default()
                            ),
                        });
                    }
                    for g in d {
                        if g.not_coordinator {
                            // Moved since the offsets answer: look again next poll.
                            coords.remove(&g.group);
                        }
                        descs.insert(g.group.clone(), g);
                    }
                }
                Err(e) => errors.push(broker_error("groups.describe", b, e)),
            }
        }
        for (b, r) in refetched {
            match r {
                Ok(o) => {
                    for mut g in o {
                        g.offsets.retain(|(_, _, c)| c.is_some());
                        committed.insert(g.group.clone(), g);
                    }
                }
                Err(e) => errors.push(broker_error("groups.offsets", b, e)),
            }
        }
        let failed: Vec<&admin::GroupOffsets> =
            committed.values().filter(|g| g.error.is_some()).collect();
        if let Some(first) = failed.first() {
            errors.push(perr(
                "groups.offsets",
                format!(
                    "{} group(s) failed, e.g. {}: {}",
                    failed.len(),
                    first.group,
                    first.error.as_deref().unwrap_or_default()
                ),
            ));
        }
        // 4. assemble
        let out = assemble(topics, &names, &listed, &descs, &committed);
        (out, errors, coords)
    }

    /// The groups to poll: those listed, the literal names of `groups`
    /// and [`KafkaPoller::with_groups`], filtered by `groups`; with what the
    /// listing said of them.
    async fn group_names(
        &self,
        api: &dyn GroupApi,
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) -> (Listed, Vec<String>) {
        let timeout = self.request_timeout(deadline);
        let mut listed: BTreeMap<String, admin::GroupListing> = BTreeMap::new();
        match api.list_groups(timeout).await {
            Ok(l) => {
                // One error per broker is typical (each broker is asked):
                // report each distinct message once, with its count.
                let mut distinct: BTreeMap<String, usize> = BTreeMap::new();
                for e in l.errors {
                    *distinct.entry(e).or_default() += 1;
                }
                for (e, n) in distinct {
                    let msg = if n > 1 {
                        format!("{e} (from {n} brokers)")
                    } else {
                        e
                    };
                    errors.push(perr(crate::snapshot::step::GROUPS_LIST, msg));
                }
                for g in l.groups {
                    listed.insert(g.group.clone(), g);
                }
            }
            Err(e) => errors.push(perr(crate::snapshot::step::GROUPS_LIST, e)),
        }
        let mut names: BTreeSet<String> = listed.keys().cloned().collect();
        names.extend(self.groups.literal_names().iter().cloned());
        names.extend(self.extra_groups.iter().cloned());
        let names: Vec<String> = names
            .into_iter()
            .filter(|g| self.groups.matches(g))
            .collect();
        (listed, names)
    }

    /// Each group's coordinator and committed offsets (all partitions),
    /// found in at most two rounds (see `fetch_groups`). A group without a
    /// coordinator gets an answer carrying why.
    async fn find_coordinators(
        &self,
        api: &dyn GroupApi,
        names: &[String],
        live: &[BrokerId],
        offsets_leaders: &[Option<BrokerId>],
        deadline: Instant,
        errors: &mut Vec<PollError>,
    ) -> (
        HashMap<String, BrokerId>,
        HashMap<String, admin::GroupOffsets>,
    ) {
        let mut coords: HashMap<String, BrokerId> = HashMap::new();
        let mut committed: HashMap<String, admin::GroupOffsets> = HashMap::new();
        let mut failures: HashMap<String, String> = HashMap::new();
        let mut ask: Vec<String> = names.to_vec();
        for round in 0..2 {
            if ask.is_empty() || live.is_empty() {
                break;
            }
            let mut calls: BTreeMap<BrokerId, Vec<String>> = BTreeMap::new();
            let mut probe: Vec<String> = Vec::new();
            for g in &ask {
                // First round: the coordinator seen last poll, else Kafka's
                // own choice (the leader of the group's __consumer_offsets
                // partition); a wrong guess only costs the second round.
                let guess = self
                    .coordinators
                    .get(g)
                    .copied()
                    .or_else(|| coordinator_hint(g, offsets_leaders))
                    .filter(|b| round == 0 && live.contains(b));
                match guess {
                    Some(b) => calls.entry(b).or_default().push(g.clone()),
                    None => probe.push(g.clone()),
                }
            }
            if !probe.is_empty() {
                for b in live {
                    calls.entry(*b).or_default().extend(probe.iter().cloned());
                }
            }
            let timeout = self.request_timeout(deadline);
            let answers =
                futures::future::join_all(calls.into_iter().map(|(b, groups)| async move {
                    (b, api.committed_offsets(b, groups, None, timeout).await)
                }))
                .await;
            let probed: HashSet<&String> = probe.iter().collect();
            let mut retry = Vec::new();
            for (b, r) in answers {
                match r {
                    Ok(list) => {
                        for o in list {
                            if coords.contains_key(&o.group) {
                                continue;
                            }
                            match &o.error {
                                None => {
                                    failures.remove(&o.group);
                                    coords.insert(o.group.clone(), b);
                                    committed.insert(o.group.clone(), o);
                                }
                                Some(e) => {
                                    // A non-coordinator's answer to a probe is
                                    // expected: keep it only when nothing
                                    // more telling was seen for the group.
                                    let expected = o.not_coordinator && probed.contains(&o.group);
                                    if !expected || !failures.contains_key(&o.group) {
                                        failures
                                            .insert(o.group.clone(), format!("broker {b}: {e}"));
                                    }
                                    if !probed.contains(&o.group) {
                                        retry.push(o.group);
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => errors.push(broker_error("groups.offsets", b, e)),
                }
            }
            retry.retain(|g| !coords.contains_key(g));
            ask = retry;
        }
        for g in names.iter() {
            if !coords.contains_key(g) {
                let why = failures
                    .remove(g)
                    .unwrap_or_else(|| "no broker answered".to_string());
                committed.insert(
                    g.clone(),
                    admin::GroupOffsets {
                        group: g.clone(),
                        offsets: Vec::new(),
                        error: Some(format!("no coordinator found: {why}")),
                        not_coordinator: false,
                    },
                );
            }
        }
        (coords, committed)
    }
}

/// The groups of `groups` whose coordinator is known, by coordinator.
fn by_coordinator<'a>(
    coords: &HashMap<String, BrokerId>,
    groups: impl Iterator<Item = &'a String>,
) -> BTreeMap<BrokerId, Vec<String>> {
    let mut m: BTreeMap<BrokerId, Vec<String>> = BTreeMap::new();
    for g in groups {
        if let Some(b) = coords.get(g) {
            m.entry(*b).or_default().push(g.clone());
        }
    }
    m
}

/// DescribeGroups at each group's coordinator.
async fn describe(
    api: &dyn GroupApi,
    names: &[String],
    listed: &Listed,
    coords: &HashMap<String, BrokerId>,
    timeout: Duration,
) -> Answers<admin::GroupDescription> {
    futures::future::join_all(by_coordinator(coords, names.iter()).into_iter().map(
        |(b, groups)| async move {
            let r = api.describe_groups(b, groups, listed, timeout).await;
            (b, r)
        },
    ))
    .await
}

/// Committed offsets, asked again with every partition listed, of the
/// groups that answered the all-partitions form with nothing.
async fn refetch_empty(
    api: &dyn GroupApi,
    topics: &[TopicInfo],
    names: &[String],
    coords: &HashMap<String, BrokerId>,
    committed: &HashMap<String, admin::GroupOffsets>,
    timeout: Duration,
) -> Answers<admin::GroupOffsets> {
    let empty: Vec<String> = names
        .iter()
        .filter(|g| {
            committed
                .get(*g)
                .is_some_and(|o| o.error.is_none() && o.offsets.is_empty())
        })
        .cloned()
        .collect();
    let parts: Arc<Vec<(String, i32)>> = Arc::new(
        topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(move |p| (t.name.clone(), p.partition))
            })
            .collect(),
    );
    let refetch_calls = if parts.is_empty() {
        BTreeMap::new()
    } else {
        by_coordinator(coords, empty.iter())
    };
    futures::future::join_all(refetch_calls.into_iter().map(|(b, groups)| {
        let parts = parts.clone();
        async move {
            (
                b,
                api.committed_offsets(b, groups, Some(parts), timeout).await,
            )
        }
    }))
    .await
}

/// One [`GroupInfo`] per name: committed offsets (of polled topics) and
/// assigned partitions, state from the description else the listing, the
/// offsets error else the description's.
fn assemble(
    topics: &[TopicInfo],
    names: &[String],
    listed: &Listed,
    descs: &HashMap<String, admin::GroupDescription>,
    committed: &HashMap<String, admin::GroupOffsets>,
) -> Vec<GroupInfo> {
    let topic_ok: HashSet<&str> = topics.iter().map(|t| t.name.as_str()).collect();
    let mut out = Vec::with_capacity(names.len());
    for name in names.iter() {
        let d = descs.get(name);
        let c = committed.get(name);
        let mut parts: BTreeMap<(String, i32), Option<i64>> = BTreeMap::new();
        if let Some(c) = c {
            for (t, p, off) in &c.offsets {
                if topic_ok.contains(t.as_str()) {
                    parts.insert((t.clone(), *p), *off);
                }
            }
        }
        if let Some(d) = d {
            for (t, p) in &d.assigned {
                if topic_ok.contains(t.as_str()) {
                    parts.entry((t.clone(), *p)).or_insert(None);
                }
            }
        }
        let l = listed.get(name);
        let state = d
            .filter(|d| d.error.is_none())
            .map(|d| d.state.clone())
            .or_else(|| l.map(|l| l.state.clone()))
            .unwrap_or_else(|| "Unknown".to_string());
        let simple = d.map(|d| d.simple).or(l.map(|l| l.simple));
        let error = c
            .and_then(|c| c.error.clone())
            .or_else(|| d.and_then(|d| d.error.clone()));
        out.push(GroupInfo {
            name: name.clone(),
            state,
            protocol_type: match simple {
                Some(false) => "consumer".into(),
                _ => String::new(),
            },
            members: d.map_or(0, |d| d.members),
            coordinator: d.and_then(|d| d.coordinator),
            partitions: parts
                .into_iter()
                .map(|((topic, partition), committed)| GroupPartition {
                    topic,
                    partition,
                    committed,
                    ..Default::default()
                })
                .collect(),
            error,
        });
    }
    out
}

/// The broker Kafka makes coordinator of `group`: the leader of partition
/// `abs(javaHashCode(group)) % n` of `__consumer_offsets` (n partitions,
/// leaders given in partition order), as in Kafka's
/// `GroupMetadataManager.partitionFor`. `None` when unknown.
pub(crate) fn coordinator_hint(
    group: &str,
    offsets_leaders: &[Option<BrokerId>],
) -> Option<BrokerId> {
    if offsets_leaders.is_empty() {
        return None;
    }
    // Java's String.hashCode over UTF-16 code units, wrapping.
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    // Kafka's Utils.abs: MIN_VALUE maps to 0.
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    offsets_leaders
        .get(abs as usize % offsets_leaders.len())
        .copied()
        .flatten()
}

#[cfg(test)]
mod tests;
