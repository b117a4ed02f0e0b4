//! The groups and offsets path against a fake cluster ([`Fake`], a
//! [`GroupApi`]): finding each group's coordinator (the last poll's,
//! Kafka's partition choice, else asking every live broker),
//! NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS answers, per-group and
//! per-broker errors; watermark calls per leader.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;

use super::*;
use crate::config::ClusterConfig;
use crate::poll::admin::{
    GroupDescription, GroupList, GroupListing, GroupOffsets, OffsetSpec, PartitionOffset,
};
use crate::poll::direct::{error_text, is_coordinator_error};
use crate::snapshot::PartitionInfo;

/// One call the fake answered: API, broker, groups asked, and whether the
/// partitions were listed (OffsetFetch).
type Call = (&'static str, BrokerId, Vec<String>, bool);

/// A cluster whose groups each have one coordinator; every other broker
/// answers NOT_COORDINATOR for them, as Kafka does.
#[derive(Default)]
struct Fake {
    coordinator: HashMap<String, BrokerId>,
    /// Committed offsets: partition 0 of topic `t` at 10, for every group.
    committed: HashSet<String>,
    /// What a broker answers for a group instead (coordinator or not).
    group_errors: HashMap<(BrokerId, String), ResponseError>,
    /// Brokers whose every call fails as a whole.
    down: HashSet<BrokerId>,
    /// Groups whose coordinator has moved by the time DescribeGroups
    /// arrives (it answers NOT_COORDINATOR).
    moved_before_describe: HashSet<String>,
    /// Groups whose coordinator answers the all-partitions form of
    /// OffsetFetch with nothing (as librdkafka's mock does).
    no_all_partitions_form: HashSet<String>,
    /// ListGroups' answer; by default every group, `Stable`.
    listing: Option<Result<GroupList, String>>,
    calls: Mutex<Vec<Call>>,
}

impl Fake {
    fn group(mut self, g: &str, coordinator: BrokerId) -> Self {
        self.coordinator.insert(g.into(), coordinator);
        self.committed.insert(g.into());
        self
    }

    fn error(mut self, broker: BrokerId, g: &str, e: ResponseError) -> Self {
        self.group_errors.insert((broker, g.into()), e);
        self
    }

    /// The calls of `api`: broker, and the groups (or partitions) asked,
    /// comma-separated.
    fn calls(&self, api: &str) -> Vec<(BrokerId, String)> {
        let calls = self.calls.lock();
        calls
            .iter()
            .filter(|c| c.0 == api)
            .map(|c| (c.1, c.2.join(",")))
            .collect()
    }

    /// The answer code of `broker` for `g`, `None` for an answer.
    fn code(&self, broker: BrokerId, g: &str) -> Option<ResponseError> {
        self.group_errors
            .get(&(broker, g.to_string()))
            .copied()
            .or_else(|| {
                (self.coordinator.get(g) != Some(&broker)).then_some(ResponseError::NotCoordinator)
            })
    }
}

#[async_trait]
impl GroupApi for Fake {
    fn offsets_per_call(&self) -> usize {
        2
    }

    async fn list_offsets(
        &self,
        leader: BrokerId,
        partitions: Arc<Vec<(String, i32)>>,
        spec: OffsetSpec,
        _timeout: Duration,
    ) -> Result<Vec<PartitionOffset>, String> {
        let names = partitions.iter().map(|(t, p)| format!("{t}/{p}")).collect();
        self.calls.lock().push(("ListOffsets", leader, names, true));
        if self.down.contains(&leader) {
            return Err(format!("ListOffsets: broker {leader}: connection refused"));
        }
        Ok((0..partitions.len())
            .map(|index| PartitionOffset {
                index,
                offset: Ok(match spec {
                    OffsetSpec::Earliest => 0,
                    OffsetSpec::Latest => 100,
                }),
            })
            .collect())
    }

    async fn list_groups(&self, _timeout: Duration) -> Result<GroupList, String> {
        self.calls
            .lock()
            .push(("ListGroups", -1, Vec::new(), false));
        if let Some(l) = &self.listing {
            return l.clone();
        }
        let mut groups: Vec<GroupListing> = self
            .coordinator
            .keys()
            .map(|g| GroupListing {
                group: g.clone(),
                state: "Stable".into(),
                simple: false,
            })
            .collect();
        groups.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(GroupList {
            groups,
            errors: Vec::new(),
        })
    }

    async fn committed_offsets(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        partitions: Option<Arc<Vec<(String, i32)>>>,
        _timeout: Duration,
    ) -> Result<Vec<GroupOffsets>, String> {
        self.calls
            .lock()
            .push(("OffsetFetch", broker, groups.clone(), partitions.is_some()));
        if self.down.contains(&broker) {
            return Err(format!("OffsetFetch: broker {broker}: connection refused"));
        }
        Ok(groups
            .iter()
            .map(|g| match self.code(broker, g) {
                Some(e) => GroupOffsets {
                    group: g.clone(),
                    offsets: Vec::new(),
                    error: Some(error_text(e)),
                    not_coordinator: is_coordinator_error(e),
                },
                None => {
                    let committed = |t: &str, p: i32| {
                        (self.committed.contains(g) && t == "t" && p == 0).then_some(10)
                    };
                    let offsets = match &partitions {
                        None if self.no_all_partitions_form.contains(g) => Vec::new(),
                        None => match committed("t", 0) {
                            Some(o) => vec![("t".to_string(), 0, Some(o))],
                            None => Vec::new(),
                        },
                        Some(ps) => ps
                            .iter()
                            .map(|(t, p)| (t.clone(), *p, committed(t, *p)))
                            .collect(),
                    };
                    GroupOffsets {
                        group: g.clone(),
                        offsets,
                        error: None,
                        not_coordinator: false,
                    }
                }
            })
            .collect())
    }

    async fn describe_groups(
        &self,
        broker: BrokerId,
        groups: Vec<String>,
        _listed: &BTreeMap<String, GroupListing>,
        _timeout: Duration,
    ) -> Result<Vec<GroupDescription>, String> {
        self.calls
            .lock()
            .push(("DescribeGroups", broker, groups.clone(), false));
        if self.down.contains(&broker) {
            return Err(format!(
                "DescribeGroups: broker {broker}: connection refused"
            ));
        }
        Ok(groups
            .iter()
            .map(|g| {
                let moved = self.moved_before_describe.contains(g);
                match self.code(broker, g) {
                    None if !moved => GroupDescription {
                        group: g.clone(),
                        state: "Stable".into(),
                        simple: false,
                        coordinator: Some(broker),
                        members: 1,
                        assigned: vec![("t".into(), 1)],
                        error: None,
                        not_coordinator: false,
                    },
                    e => {
                        let e = e.unwrap_or(ResponseError::NotCoordinator);
                        GroupDescription::failed(g, error_text(e), is_coordinator_error(e))
                    }
                }
            })
            .collect())
    }
}

fn poller() -> KafkaPoller {
    let c = ClusterConfig::with_bootstrap("c", vec!["localhost:9092".into()]);
    KafkaPoller::new(&c).expect("valid config")
}

/// Topic `t`, partitions 0 and 1, both led by broker 1.
fn topics() -> Vec<TopicInfo> {
    vec![TopicInfo {
        name: "t".into(),
        partitions: (0..2)
            .map(|p| PartitionInfo {
                partition: p,
                leader: Some(1),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }]
}

async fn run(
    p: &KafkaPoller,
    fake: &Fake,
    live: &[BrokerId],
    offsets_leaders: &[Option<BrokerId>],
) -> (Vec<GroupInfo>, Vec<PollError>, HashMap<String, BrokerId>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    p.fetch_groups(fake, &topics(), live, offsets_leaders, deadline)
        .await
}

fn coords(pairs: &[(&str, BrokerId)]) -> HashMap<String, BrokerId> {
    pairs.iter().map(|(g, b)| (g.to_string(), *b)).collect()
}

#[tokio::test]
async fn unknown_coordinators_are_found_by_asking_every_live_broker() {
    let fake = Fake::default().group("g1", 2).group("g2", 3);
    let (groups, errors, found) = run(&poller(), &fake, &[1, 2, 3], &[]).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(found, coords(&[("g1", 2), ("g2", 3)]));
    let both = "g1,g2".to_string();
    assert_eq!(
        fake.calls("OffsetFetch"),
        vec![(1, both.clone()), (2, both.clone()), (3, both)]
    );
    // Described at their coordinators only.
    assert_eq!(
        fake.calls("DescribeGroups"),
        vec![(2, "g1".into()), (3, "g2".into())]
    );
    let g1 = &groups[0];
    assert_eq!((g1.name.as_str(), g1.state.as_str()), ("g1", "Stable"));
    assert_eq!(g1.coordinator, Some(2));
    assert_eq!(g1.error, None);
    // Committed offsets, plus assigned partitions with nothing committed.
    let parts: Vec<_> = g1
        .partitions
        .iter()
        .map(|p| (p.topic.as_str(), p.partition, p.committed))
        .collect();
    assert_eq!(parts, vec![("t", 0, Some(10)), ("t", 1, None)]);
}

#[tokio::test]
async fn kafkas_partition_choice_is_asked_first_and_a_wrong_guess_costs_one_round() {
    // "billing" lives in partition 9 of 50 of __consumer_offsets.
    let mut leaders = vec![Some(1); 50];
    leaders[9] = Some(2);
    let fake = Fake::default().group("billing", 2);
    let (_, errors, found) = run(&poller(), &fake, &[1, 2, 3], &leaders).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(found, coords(&[("billing", 2)]));
    assert_eq!(fake.calls("OffsetFetch"), vec![(2, "billing".into())]);

    // The leader moved since: NOT_COORDINATOR, then every broker is asked.
    leaders[9] = Some(1);
    let fake = Fake::default().group("billing", 2);
    let (groups, errors, found) = run(&poller(), &fake, &[1, 2, 3], &leaders).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(groups[0].error, None);
    assert_eq!(found, coords(&[("billing", 2)]));
    let b = "billing".to_string();
    assert_eq!(
        fake.calls("OffsetFetch"),
        vec![(1, b.clone()), (1, b.clone()), (2, b.clone()), (3, b)]
    );
}

#[tokio::test]
async fn the_last_polls_coordinator_comes_first_unless_it_is_gone() {
    let mut leaders = vec![Some(1); 50];
    leaders[9] = Some(2);
    let mut p = poller();
    p.coordinators.insert("billing".into(), 3);
    let fake = Fake::default().group("billing", 3);
    let (_, errors, found) = run(&p, &fake, &[1, 2, 3], &leaders).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(found, coords(&[("billing", 3)]));
    assert_eq!(fake.calls("OffsetFetch"), vec![(3, "billing".into())]);

    // A coordinator no longer in the metadata is not asked: every live
    // broker is.
    p.coordinators.insert("billing".into(), 4);
    let fake = Fake::default().group("billing", 3);
    let (_, errors, found) = run(&p, &fake, &[1, 2, 3], &leaders).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(found, coords(&[("billing", 3)]));
    assert_eq!(fake.calls("OffsetFetch").len(), 3);
}

#[tokio::test]
async fn a_coordinator_that_moved_is_looked_for_again_at_once() {
    let mut p = poller();
    p.coordinators.insert("g".into(), 1);
    let fake = Fake::default().group("g", 3);
    let (groups, errors, found) = run(&p, &fake, &[1, 2, 3], &[]).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(groups[0].error, None);
    assert_eq!(groups[0].coordinator, Some(3));
    assert_eq!(found, coords(&[("g", 3)]));
    let g = "g".to_string();
    assert_eq!(
        fake.calls("OffsetFetch"),
        vec![
            (1, g.clone()),
            (1, g.clone()),
            (2, g.clone()),
            (3, g.clone())
        ]
    );
    assert_eq!(fake.calls("DescribeGroups"), vec![(3, g)]);
}

#[tokio::test]
async fn a_coordinator_still_loading_is_asked_again_then_reported_for_the_group() {
    let mut p = poller();
    p.coordinators.insert("g".into(), 2);
    let fake =
        Fake::default()
            .group("g", 2)
            .error(2, "g", ResponseError::CoordinatorLoadInProgress);
    let (groups, errors, found) = run(&p, &fake, &[1, 2, 3], &[]).await;
    // Asked at the known coordinator, then of every broker; at most two
    // rounds in a poll.
    let g = "g".to_string();
    assert_eq!(
        fake.calls("OffsetFetch"),
        vec![(2, g.clone()), (1, g.clone()), (2, g.clone()), (3, g)]
    );
    assert!(found.is_empty(), "{found:?}");
    assert!(fake.calls("DescribeGroups").is_empty());
    // The coordinator's answer is what the group reports, not the other
    // brokers' NOT_COORDINATOR.
    let e = groups[0].error.as_deref().unwrap_or_default();
    assert!(
        e.starts_with("no coordinator found: broker 2: COORDINATOR_LOAD_IN_PROGRESS"),
        "{e}"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].step.as_str(), errors[0].broker),
        ("groups.offsets", None)
    );
    assert!(
        errors[0]
            .message
            .starts_with("1 group(s) failed, e.g. g: no coordinator found: broker 2: "),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_group_error_stays_with_its_group() {
    // Probed: broker 1 (not g_denied's coordinator) answers first.
    let fake = Fake::default().group("g_denied", 2).group("g_ok", 1).error(
        2,
        "g_denied",
        ResponseError::GroupAuthorizationFailed,
    );
    let (groups, errors, found) = run(&poller(), &fake, &[1, 2], &[]).await;
    assert_eq!(found, coords(&[("g_ok", 1)]));
    // One round: a probe's error answer is final.
    assert_eq!(fake.calls("OffsetFetch").len(), 2);
    let by_name: HashMap<&str, &GroupInfo> = groups.iter().map(|g| (g.name.as_str(), g)).collect();
    assert_eq!(by_name["g_ok"].error, None);
    assert_eq!(by_name["g_ok"].partitions[0].committed, Some(10));
    // The telling answer (the coordinator's), not broker 1's
    // NOT_COORDINATOR.
    let e = by_name["g_denied"].error.as_deref().unwrap_or_default();
    assert!(
        e.starts_with("no coordinator found: broker 2: GROUP_AUTHORIZATION_FAILED"),
        "{e}"
    );
    let steps: Vec<_> = errors.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(steps, vec!["groups.offsets"], "{errors:?}");
    assert!(errors[0].message.contains("e.g. g_denied:"), "{errors:?}");
}

#[tokio::test]
async fn a_broker_that_fails_is_one_error_and_the_others_still_answer() {
    let mut fake = Fake::default().group("g", 2);
    fake.down.insert(1);
    let (groups, errors, found) = run(&poller(), &fake, &[1, 2, 3], &[]).await;
    assert_eq!(found, coords(&[("g", 2)]));
    assert_eq!(groups[0].error, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].step, "groups.offsets");
    assert_eq!(errors[0].broker, Some(1));
    assert!(
        errors[0].message.contains("connection refused"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_group_that_moved_before_describe_is_looked_for_next_poll() {
    let mut fake = Fake::default().group("g", 2);
    fake.moved_before_describe.insert("g".into());
    let (groups, errors, found) = run(&poller(), &fake, &[1, 2], &[]).await;
    assert!(found.is_empty(), "{found:?}");
    let g = &groups[0];
    // Offsets were read; the state comes from the listing.
    assert_eq!(g.partitions[0].committed, Some(10));
    assert_eq!(g.state, "Stable");
    assert!(
        g.error
            .as_deref()
            .unwrap_or_default()
            .starts_with("NOT_COORDINATOR"),
        "{g:?}"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].step.as_str(), errors[0].broker),
        ("groups.describe", Some(2))
    );
}

#[tokio::test]
async fn without_a_listing_named_groups_are_polled_and_asked_with_partitions() {
    let mut fake = Fake::default().group("mock", 1);
    fake.listing = Some(Err("ListConsumerGroups: no answer within 5000 ms".into()));
    fake.no_all_partitions_form.insert("mock".into());
    let p = poller().with_groups(["mock".to_string()]);
    let (groups, errors, found) = run(&p, &fake, &[1], &[]).await;
    assert_eq!(found, coords(&[("mock", 1)]));
    let steps: Vec<_> = errors.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(steps, vec!["groups.list"], "{errors:?}");
    // Nothing committed in the all-partitions form: asked again, listing
    // the partitions.
    let fetches: Vec<(BrokerId, bool)> = fake
        .calls
        .lock()
        .iter()
        .filter(|c| c.0 == "OffsetFetch")
        .map(|c| (c.1, c.3))
        .collect();
    assert_eq!(fetches, vec![(1, false), (1, true)]);
    let parts: Vec<_> = groups[0]
        .partitions
        .iter()
        .map(|p| (p.partition, p.committed))
        .collect();
    assert_eq!(parts, vec![(0, Some(10)), (1, None)]);
    assert_eq!(groups[0].state, "Stable");
}

#[tokio::test]
async fn listing_errors_are_reported_once_each() {
    let fake = Fake {
        listing: Some(Ok(GroupList {
            groups: Vec::new(),
            errors: vec!["x".into(), "x".into(), "y".into()],
        })),
        ..Fake::default()
    };
    let (groups, errors, _) = run(&poller(), &fake, &[1, 2], &[]).await;
    assert!(groups.is_empty());
    let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, vec!["x (from 2 brokers)", "y"]);
    assert!(fake.calls("OffsetFetch").is_empty());
}

#[tokio::test]
async fn watermarks_are_asked_per_leader_in_chunks() {
    let mut t = topics();
    t[0].partitions.push(PartitionInfo {
        partition: 2,
        leader: Some(1),
        ..Default::default()
    });
    t[0].partitions.push(PartitionInfo {
        partition: 3,
        leader: Some(2),
        ..Default::default()
    });
    t[0].partitions.push(PartitionInfo {
        partition: 4,
        leader: None,
        ..Default::default()
    });
    let mut fake = Fake::default();
    fake.down.insert(2);
    let deadline = Instant::now() + Duration::from_secs(5);
    let (updates, errors) = poller().fetch_offsets(&fake, &t, deadline).await;
    // Two partitions per call (the fake's offsets_per_call), one leader
    // per call, the partition without a leader not asked.
    let mut asked = fake.calls("ListOffsets");
    asked.sort();
    asked.dedup();
    assert_eq!(
        asked,
        vec![(1, "t/0,t/1".into()), (1, "t/2".into()), (2, "t/3".into())]
    );
    let mut got: Vec<(usize, bool, i64)> = updates
        .iter()
        .map(|u| {
            (
                t[u.topic].partitions[u.partition].partition as usize,
                u.high,
                u.offset,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (0, false, 0),
            (0, true, 100),
            (1, false, 0),
            (1, true, 100),
            (2, false, 0),
            (2, true, 100)
        ]
    );
    // Broker 2's failure: one error per offset kind.
    let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "earliest: ListOffsets: broker 2: connection refused",
            "latest: ListOffsets: broker 2: connection refused"
        ]
    );
}

#[test]
fn coordinator_hint_follows_kafkas_partition_choice() {
    // Java: "billing".hashCode() == -109829509; abs % 50 == 9.
    let mut leaders = vec![Some(1); 50];
    leaders[9] = Some(7);
    assert_eq!(coordinator_hint("billing", &leaders), Some(7));
    // hashCode == Integer.MIN_VALUE: Kafka's Utils.abs gives 0.
    leaders[0] = Some(3);
    assert_eq!(coordinator_hint("polygenelubricants", &leaders), Some(3));
    leaders[0] = None;
    assert_eq!(coordinator_hint("polygenelubricants", &leaders), None);
    assert_eq!(coordinator_hint("billing", &[]), None);
}
