//! Reading a scenario: the raw TOML, then every check that names the
//! origin, line and field of what is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;

use super::{
    Action, Allowance, ClusterSpec, Event, Expectation, PartitionMode, Scenario, DEFAULT_SETTLE,
};
use crate::finding::FindingKind;
use crate::sim::options::SimError;
use crate::snapshot::BrokerId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    cluster: ClusterSpec,
    #[serde(default)]
    events: Vec<toml::Spanned<RawEvent>>,
    #[serde(default)]
    expect: Vec<toml::Spanned<RawExpect>>,
    #[serde(default)]
    allow: Vec<toml::Spanned<RawAllow>>,
    settle: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    kind: String,
    broker: Option<BrokerId>,
    group: Option<String>,
    topic: Option<String>,
    reason: String,
}

/// Fields an `[[events]]` entry may carry; which ones are required depends
/// on `action` (see `tests/scenarios/README.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at: String,
    action: String,
    id: Option<String>,
    broker: Option<BrokerId>,
    to: Option<BrokerId>,
    topic: Option<String>,
    group: Option<String>,
    delay: Option<String>,
    duration: Option<String>,
    factor: Option<f64>,
    offsets: Option<i64>,
    mode: Option<String>,
    partition: Option<i32>,
    replicas: Option<Vec<BrokerId>>,
    rate: Option<f64>,
    mib_per_sec: Option<f64>,
    retention: Option<String>,
    partitions: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    kind: String,
    broker: Option<BrokerId>,
    group: Option<String>,
    topic: Option<String>,
    partition: Option<i32>,
    /// id of the event that causes it (default: the first event).
    after: Option<String>,
    raised_within: String,
    /// id of the event that ends it (default: the end of the cause's `duration`).
    recovery: Option<String>,
    resolved_within: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|s| s.matches('\n').count() + 1)
        .unwrap_or(1)
}

fn parse_duration(
    origin: &str,
    line: usize,
    field: &str,
    value: &str,
) -> Result<Duration, SimError> {
    humantime::parse_duration(value.trim()).map_err(|e| {
        SimError::Scenario(format!(
            "{origin}:{line}: {field}: expected a duration like \"30s\", found {value:?} ({e})"
        ))
    })
}

impl Scenario {
    /// Parses scenario TOML. `origin` names the source in error messages
    /// (a file name, or `<demo>`).
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, SimError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            // toml names unknown fields itself; for bad values, quote the
            // offending line so the field is named too.
            let src = text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or("")
                .trim();
            let key = src.split('=').next().unwrap_or("").trim();
            if src.contains('=') && !key.is_empty() {
                SimError::Scenario(format!("{origin}:{line}: {key}: {}", e.message().trim()))
            } else {
                SimError::Scenario(format!("{origin}:{line}: {}", e.message().trim()))
            }
        })?;
        let cluster = raw.cluster;
        let cluster_line = text
            .find("[cluster]")
            .map(|o| line_of(text, o))
            .unwrap_or(1);
        let err = |line: usize, field: &str, msg: String| {
            SimError::Scenario(format!("{origin}:{line}: {field}: {msg}"))
        };
        if cluster.brokers == 0 || cluster.brokers > 1000 {
            return Err(err(
                cluster_line,
                "cluster.brokers",
                format!("must be between 1 and 1000, found {}", cluster.brokers),
            ));
        }
        if cluster.eligible_leader_replicas && !cluster.kraft {
            return Err(err(
                cluster_line,
                "cluster.eligible_leader_replicas",
                "needs kraft = true (ELR is a KRaft controller feature)".into(),
            ));
        }
        if cluster.first_broker_id < 0 {
            return Err(err(
                cluster_line,
                "cluster.first_broker_id",
                "must be >= 0".into(),
            ));
        }
        let broker_ids: BTreeSet<BrokerId> = (0..cluster.brokers as i32)
            .map(|i| cluster.first_broker_id + i)
            .collect();
        let mut topic_names = BTreeSet::new();
        for (i, t) in cluster.topics.iter().enumerate() {
            let f = |n: &str| format!("cluster.topics[{i}].{n}");
            if t.partitions == 0 {
                return Err(err(
                    cluster_line,
                    &f("partitions"),
                    "must be at least 1".into(),
                ));
            }
            if t.replication_factor == 0 || t.replication_factor > cluster.brokers {
                return Err(err(
                    cluster_line,
                    &f("replication_factor"),
                    format!(
                        "must be between 1 and the number of brokers ({}), found {}",
                        cluster.brokers, t.replication_factor
                    ),
                ));
            }
            if t.burst_every.is_some_and(|d| d.is_zero())
                || t.burst_length.is_zero()
                || !(t.burst_factor.is_finite() && t.burst_factor >= 0.0)
            {
                return Err(err(
                    cluster_line,
                    &f("burst_every"),
                    format!(
                        "burst_every and burst_length must be above 0 and burst_factor a number ≥ 0, found {:?}, {:?}, {}",
                        t.burst_every, t.burst_length, t.burst_factor
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&t.seasonality) || !(0.0..=1.0).contains(&t.noise) {
                return Err(err(
                    cluster_line,
                    &f("seasonality"),
                    "seasonality and noise must be in 0..1".into(),
                ));
            }
            if !(t.rate >= 0.0 && t.rate.is_finite()) {
                return Err(err(
                    cluster_line,
                    &f("rate"),
                    "must be a finite number >= 0".into(),
                ));
            }
            if let Some(reps) = &t.replicas {
                if reps.len() != t.partitions as usize {
                    return Err(err(
                        cluster_line,
                        &f("replicas"),
                        format!(
                            "has {} lists, expected one per partition ({})",
                            reps.len(),
                            t.partitions
                        ),
                    ));
                }
                for r in reps {
                    let uniq: BTreeSet<_> = r.iter().collect();
                    if r.is_empty()
                        || uniq.len() != r.len()
                        || r.iter().any(|b| !broker_ids.contains(b))
                    {
                        return Err(err(
                            cluster_line,
                            &f("replicas"),
                            format!(
                                "{r:?} must list distinct brokers of the cluster {broker_ids:?}"
                            ),
                        ));
                    }
                }
            }
            let names: Vec<String> = match t.count {
                Some(n) => (0..n).map(|k| format!("{}-{k}", t.name)).collect(),
                None => vec![t.name.clone()],
            };
            for n in names {
                if n.is_empty() || !topic_names.insert(n.clone()) {
                    return Err(err(
                        cluster_line,
                        &f("name"),
                        format!("topic name {n:?} is empty or defined twice"),
                    ));
                }
            }
        }
        let mut group_names = BTreeSet::new();
        for (i, g) in cluster.groups.iter().enumerate() {
            for t in &g.topics {
                if !topic_names.contains(t) {
                    return Err(err(
                        cluster_line,
                        &format!("cluster.groups[{i}].topics"),
                        format!("unknown topic {t:?}"),
                    ));
                }
            }
            let names: Vec<String> = match g.count {
                Some(n) => (0..n).map(|k| format!("{}-{k}", g.name)).collect(),
                None => vec![g.name.clone()],
            };
            for n in names {
                if n.is_empty() || !group_names.insert(n.clone()) {
                    return Err(err(
                        cluster_line,
                        &format!("cluster.groups[{i}].name"),
                        format!("group name {n:?} is empty or defined twice"),
                    ));
                }
            }
        }

        let mut events = Vec::new();
        for (i, sp) in raw.events.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let e = sp.get_ref();
            let f = |n: &str| format!("events[{i}].{n}");
            let at = parse_duration(origin, line, &f("at"), &e.at)?;
            let duration = match &e.duration {
                Some(d) => Some(parse_duration(origin, line, &f("duration"), d)?),
                None => None,
            };
            let need_broker = || -> Result<BrokerId, SimError> {
                let b = e.broker.ok_or_else(|| {
                    err(
                        line,
                        &f("broker"),
                        format!("required for action {:?}", e.action),
                    )
                })?;
                if !broker_ids.contains(&b) {
                    return Err(err(
                        line,
                        &f("broker"),
                        format!("broker {b} is not in the cluster {broker_ids:?}"),
                    ));
                }
                Ok(b)
            };
            let need_group = || -> Result<String, SimError> {
                let g = e.group.clone().ok_or_else(|| {
                    err(
                        line,
                        &f("group"),
                        format!("required for action {:?}", e.action),
                    )
                })?;
                if !group_names.contains(&g) {
                    return Err(err(line, &f("group"), format!("unknown group {g:?}")));
                }
                Ok(g)
            };
            let opt_topic = || -> Result<Option<String>, SimError> {
                match &e.topic {
                    Some(t) if !topic_names.contains(t) => {
                        Err(err(line, &f("topic"), format!("unknown topic {t:?}")))
                    }
                    t => Ok(t.clone()),
                }
            };
            let factor = |default: Option<f64>| -> Result<f64, SimError> {
                let v = e
                    .factor
                    .or(default)
                    .ok_or_else(|| err(line, &f("factor"), "required".into()))?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err(err(
                        line,
                        &f("factor"),
                        format!("must be a number >= 0, found {v}"),
                    ));
                }
                Ok(v)
            };
            let action = match e.action.as_str() {
                "broker_down" => Action::BrokerDown {
                    broker: need_broker()?,
                },
                "broker_up" => Action::BrokerUp {
                    broker: need_broker()?,
                },
                "controlled_shutdown" => Action::ControlledShutdown {
                    broker: need_broker()?,
                },
                "decommission" => Action::Decommission {
                    broker: need_broker()?,
                },
                "slow_follower" => Action::SlowFollower {
                    broker: need_broker()?,
                    delay: match &e.delay {
                        Some(d) => parse_duration(origin, line, &f("delay"), d)?,
                        None => Duration::from_secs(120),
                    },
                },
                "recover_follower" => Action::RecoverFollower {
                    broker: need_broker()?,
                },
                "voter_lag" => Action::VoterLag {
                    broker: need_broker()?,
                    delay: match &e.delay {
                        Some(d) => parse_duration(origin, line, &f("delay"), d)?,
                        None => Duration::from_secs(60),
                    },
                },
                "voter_down" => Action::VoterDown {
                    broker: need_broker()?,
                },
                "voter_recover" => Action::VoterRecover {
                    broker: need_broker()?,
                },
                "network_partition" => Action::NetworkPartition {
                    broker: need_broker()?,
                    mode: match e.mode.as_deref().unwrap_or("brokers") {
                        "brokers" => PartitionMode::Brokers,
                        "clients" => PartitionMode::Clients,
                        "unresponsive" => PartitionMode::Unresponsive,
                        m => {
                            return Err(err(
                                line,
                                &f("mode"),
                                format!("expected \"brokers\", \"clients\" or \"unresponsive\", found {m:?}"),
                            ))
                        }
                    },
                },
                "heal_partition" => Action::HealPartition {
                    broker: need_broker()?,
                },
                "log_dir_failure" => Action::LogDirFailure {
                    broker: need_broker()?,
                },
                "log_dir_recover" => Action::LogDirRecover {
                    broker: need_broker()?,
                },
                "disk_fill" => {
                    let mib = e.mib_per_sec.ok_or_else(|| {
                        err(line, &f("mib_per_sec"), "required for action \"disk_fill\"".into())
                    })?;
                    if !(mib.is_finite() && mib > 0.0) {
                        return Err(err(
                            line,
                            &f("mib_per_sec"),
                            format!("must be a number > 0 (MiB/s), found {mib}"),
                        ));
                    }
                    Action::DiskFill {
                        broker: need_broker()?,
                        bytes_per_sec: mib * 1_048_576.0,
                    }
                }
                "disk_free" => Action::DiskFree {
                    broker: need_broker()?,
                },
                "controller_failover" => Action::ControllerFailover {
                    to: match e.to {
                        Some(b) if !broker_ids.contains(&b) => {
                            return Err(err(
                                line,
                                &f("to"),
                                format!("broker {b} is not in the cluster"),
                            ))
                        }
                        t => t,
                    },
                },
                "leader_imbalance" => Action::LeaderImbalance {
                    broker: need_broker()?,
                },
                "leader_rebalance" => Action::LeaderRebalance,
                "reassign" => {
                    let topic = opt_topic()?
                        .ok_or_else(|| err(line, &f("topic"), "required for action \"reassign\"".into()))?;
                    let replicas = e
                        .replicas
                        .clone()
                        .ok_or_else(|| err(line, &f("replicas"), "required for action \"reassign\"".into()))?;
                    let mut seen = BTreeSet::new();
                    if replicas.is_empty() || !replicas.iter().all(|b| seen.insert(*b)) {
                        return Err(err(
                            line,
                            &f("replicas"),
                            format!("must list distinct brokers, found {replicas:?}"),
                        ));
                    }
                    if let Some(b) = replicas.iter().find(|b| !broker_ids.contains(b)) {
                        return Err(err(
                            line,
                            &f("replicas"),
                            format!("broker {b} is not in the cluster {broker_ids:?}"),
                        ));
                    }
                    let rate = e.rate.unwrap_or(2_000.0);
                    if !(rate.is_finite() && rate > 0.0) {
                        return Err(err(
                            line,
                            &f("rate"),
                            format!("must be a number > 0 (messages/s), found {rate}"),
                        ));
                    }
                    Action::Reassign {
                        topic,
                        partition: e.partition,
                        replicas,
                        rate,
                    }
                }
                "traffic_spike" => Action::TrafficSpike {
                    topic: opt_topic()?,
                    factor: factor(Some(10.0))?,
                },
                "traffic_stop" => Action::TrafficStop {
                    topic: opt_topic()?,
                },
                "traffic_normal" => Action::TrafficNormal {
                    topic: opt_topic()?,
                },
                "consumer_stall" => Action::ConsumerStall {
                    group: need_group()?,
                },
                "consumer_stop" => Action::ConsumerStop {
                    group: need_group()?,
                },
                "consumer_rebalance" => Action::ConsumerRebalance {
                    group: need_group()?,
                },
                "consumer_rewind" => Action::ConsumerRewind {
                    group: need_group()?,
                    offsets: e.offsets,
                },
                "consumer_slowdown" => Action::ConsumerSlowdown {
                    group: need_group()?,
                    factor: factor(Some(0.3))?,
                },
                "consumer_recover" => Action::ConsumerRecover {
                    group: need_group()?,
                },
                "group_delete" => Action::GroupDelete {
                    group: need_group()?,
                },
                "group_create" => Action::GroupCreate {
                    group: need_group()?,
                },
                "topic_create" | "topic_delete" | "partitions_add" => {
                    let topic = opt_topic()?.ok_or_else(|| {
                        err(line, &f("topic"), format!("required for action {:?}", e.action))
                    })?;
                    match e.action.as_str() {
                        "topic_create" => Action::TopicCreate { topic },
                        "topic_delete" => Action::TopicDelete { topic },
                        _ => {
                            let partitions = e.partitions.ok_or_else(|| {
                                err(
                                    line,
                                    &f("partitions"),
                                    "required for action \"partitions_add\" (the new total)"
                                        .into(),
                                )
                            })?;
                            if partitions == 0 || partitions > 100_000 {
                                return Err(err(
                                    line,
                                    &f("partitions"),
                                    format!("must be in 1..=100000, found {partitions}"),
                                ));
                            }
                            Action::PartitionsAdd { topic, partitions }
                        }
                    }
                }
                "retention_change" => {
                    let topic = opt_topic()?.ok_or_else(|| {
                        err(line, &f("topic"), "required for action \"retention_change\"".into())
                    })?;
                    let value = e.retention.as_deref().ok_or_else(|| {
                        err(line, &f("retention"), "required for action \"retention_change\"".into())
                    })?;
                    let retention = parse_duration(origin, line, &f("retention"), value)?;
                    if retention.is_zero() {
                        return Err(err(line, &f("retention"), "must be above 0".into()));
                    }
                    Action::RetentionChange { topic, retention }
                }
                other => {
                    return Err(err(
                        line,
                        &f("action"),
                        format!(
                            "unknown action {other:?} (see tests/scenarios/README.md for the list)"
                        ),
                    ))
                }
            };
            if duration.is_some() && action.recovery().is_none() {
                return Err(err(
                    line,
                    &f("duration"),
                    format!("action {:?} has no recovery to schedule", e.action),
                ));
            }
            events.push(Event {
                at,
                id: e.id.clone(),
                action,
                duration,
                line,
            });
        }
        check_lifecycle(&cluster, &events, &err)?;
        events.sort_by_key(|e| e.at);

        let mut expect = Vec::new();
        for (i, sp) in raw.expect.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let x = sp.get_ref();
            let f = |n: &str| format!("expect[{i}].{n}");
            if FindingKind::from_name(&x.kind).is_none() {
                return Err(err(
                    line,
                    &f("kind"),
                    format!(
                        "unknown finding kind {:?}, expected one of {}",
                        x.kind,
                        FindingKind::names()
                    ),
                ));
            }
            let find = |id: &str, field: &str| -> Result<&Event, SimError> {
                events
                    .iter()
                    .find(|e| e.id.as_deref() == Some(id))
                    .ok_or_else(|| err(line, &f(field), format!("no event has id {id:?}")))
            };
            let cause = match &x.after {
                Some(id) => find(id, "after")?,
                None => events
                    .first()
                    .ok_or_else(|| err(line, &f("after"), "the scenario has no events".into()))?,
            };
            let raised_within =
                parse_duration(origin, line, &f("raised_within"), &x.raised_within)?;
            let resolved_after = match &x.recovery {
                Some(id) => Some(find(id, "recovery")?.at),
                None => cause.duration.map(|d| cause.at + d),
            };
            let resolved_within = match &x.resolved_within {
                Some(d) => Some(parse_duration(origin, line, &f("resolved_within"), d)?),
                None => None,
            };
            if resolved_within.is_some() && resolved_after.is_none() {
                return Err(err(
                    line,
                    &f("recovery"),
                    "resolved_within needs a recovery event id or a cause with a duration".into(),
                ));
            }
            expect.push(Expectation {
                kind: x.kind.clone(),
                broker: x.broker,
                group: x.group.clone(),
                topic: x.topic.clone(),
                partition: x.partition,
                raised_after: cause.at,
                raised_within,
                resolved_after,
                resolved_within,
                recovery_named: x.recovery.is_some(),
                line,
            });
        }
        let mut allow = Vec::new();
        for (i, sp) in raw.allow.iter().enumerate() {
            let line = line_of(text, sp.span().start);
            let x = sp.get_ref();
            if FindingKind::from_name(&x.kind).is_none() {
                return Err(err(
                    line,
                    &format!("allow[{i}].kind"),
                    format!(
                        "unknown finding kind {:?}, expected one of {}",
                        x.kind,
                        FindingKind::names()
                    ),
                ));
            }
            if x.reason.trim().is_empty() {
                return Err(err(
                    line,
                    &format!("allow[{i}].reason"),
                    "must say why this may be notified".into(),
                ));
            }
            allow.push(Allowance {
                kind: x.kind.clone(),
                broker: x.broker,
                group: x.group.clone(),
                topic: x.topic.clone(),
                reason: x.reason.clone(),
                line,
            });
        }
        let settle = match &raw.settle {
            Some(d) => parse_duration(origin, 1, "settle", d)?,
            None => DEFAULT_SETTLE,
        };
        Ok(Scenario {
            cluster,
            events,
            expect,
            allow,
            settle,
        })
    }
}

/// The lifecycle actions in time order must each find their topic or group
/// as they need it, as Kafka refuses to create what exists, to delete or
/// grow what does not, or to shrink a topic: a scenario saying otherwise is
/// an error naming the event, not a no-op.
fn check_lifecycle(
    cluster: &ClusterSpec,
    events: &[Event],
    err: &dyn Fn(usize, &str, String) -> SimError,
) -> Result<(), SimError> {
    let expand = |name: &str, count: Option<u32>| -> Vec<String> {
        match count {
            Some(n) => (0..n).map(|k| format!("{name}-{k}")).collect(),
            None => vec![name.to_string()],
        }
    };
    // Partitions now, `None` while the topic does not exist.
    let mut topics: BTreeMap<String, (u32, Option<u32>)> = BTreeMap::new();
    for t in &cluster.topics {
        for n in expand(&t.name, t.count) {
            topics.insert(n, (t.partitions, t.exists.then_some(t.partitions)));
        }
    }
    let mut groups: BTreeMap<String, bool> = BTreeMap::new();
    for g in &cluster.groups {
        for n in expand(&g.name, g.count) {
            groups.insert(n, g.exists);
        }
    }
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&k| events[k].at);
    for k in order {
        let e = &events[k];
        let f = |n: &str| format!("events[{k}].{n}");
        let at = humantime::format_duration(e.at);
        match &e.action {
            Action::TopicCreate { topic }
            | Action::TopicDelete { topic }
            | Action::PartitionsAdd { topic, .. } => {
                let Some((declared, now)) = topics.get_mut(topic) else {
                    continue;
                };
                match (&e.action, *now) {
                    (Action::TopicCreate { .. }, Some(_)) => {
                        return Err(err(
                            e.line,
                            &f("topic"),
                            format!("topic {topic:?} already exists at {at} (declare it with exists = false, or delete it first)"),
                        ))
                    }
                    (Action::TopicCreate { .. }, None) => *now = Some(*declared),
                    (_, None) => {
                        return Err(err(
                            e.line,
                            &f("topic"),
                            format!("topic {topic:?} does not exist at {at}"),
                        ))
                    }
                    (Action::PartitionsAdd { partitions, .. }, Some(n)) if *partitions <= n => {
                        return Err(err(
                            e.line,
                            &f("partitions"),
                            format!("the new total must be above the {n} partitions topic {topic:?} has at {at}, found {partitions}"),
                        ))
                    }
                    (Action::PartitionsAdd { partitions, .. }, Some(_)) => *now = Some(*partitions),
                    _ => *now = None,
                }
            }
            // (The guard records the group as existing from now on.)
            Action::GroupCreate { group } if groups.insert(group.clone(), true) == Some(true) => {
                return Err(err(
                    e.line,
                    &f("group"),
                    format!("group {group:?} already exists at {at} (declare it with exists = false, or delete it first)"),
                ));
            }
            Action::GroupDelete { group } => {
                groups.insert(group.clone(), false);
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_parses() {
        let s = Scenario::demo();
        assert_eq!(s.cluster.brokers, 5);
        assert!(!s.events.is_empty());
    }

    #[test]
    fn unknown_field_names_field_and_line() {
        let text = "[cluster]\nbrokers = 3\n\n[[events]]\nat = \"1s\"\naction = \"broker_down\"\nbrokr = 2\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("brokr"), "{e}");
        assert!(e.contains("x.toml:"), "{e}");
    }

    #[test]
    fn lifecycle_events_must_find_their_topic_or_group_as_they_need_it() {
        let base = "[cluster]\nbrokers = 3\n[[cluster.topics]]\nname = \"t\"\npartitions = 3\n[[cluster.topics]]\nname = \"later\"\npartitions = 2\nexists = false\n[[cluster.groups]]\nname = \"g\"\ntopics = [\"t\"]\n";
        let ev = |at: &str, action: &str, extra: &str| {
            format!("\n[[events]]\nat = \"{at}\"\naction = \"{action}\"\n{extra}\n")
        };
        let parse =
            |events: &[String]| Scenario::parse(&format!("{base}{}", events.concat()), "x.toml");
        // Fine: created, grown, deleted, created again; a group deleted and
        // created again.
        parse(&[
            ev("1m", "topic_create", "topic = \"later\""),
            ev("2m", "partitions_add", "topic = \"later\"\npartitions = 4"),
            ev("3m", "topic_delete", "topic = \"later\""),
            ev("4m", "topic_create", "topic = \"later\""),
            ev("5m", "group_delete", "group = \"g\""),
            ev("6m", "group_create", "group = \"g\""),
        ])
        .unwrap();
        for (events, needle) in [
            (
                vec![ev("1m", "topic_create", "topic = \"t\"")],
                "events[0].topic: topic \"t\" already exists at 1m",
            ),
            (
                vec![ev("1m", "topic_delete", "topic = \"later\"")],
                "events[0].topic: topic \"later\" does not exist at 1m",
            ),
            // In time order, whatever the file's order.
            (
                vec![
                    ev("2m", "topic_create", "topic = \"later\""),
                    ev("1m", "partitions_add", "topic = \"later\"\npartitions = 4"),
                ],
                "events[1].topic: topic \"later\" does not exist at 1m",
            ),
            (
                vec![ev("1m", "partitions_add", "topic = \"t\"\npartitions = 3")],
                "events[0].partitions: the new total must be above the 3 partitions",
            ),
            (
                vec![ev("1m", "group_create", "group = \"g\"")],
                "events[0].group: group \"g\" already exists at 1m",
            ),
        ] {
            let e = parse(&events).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
            assert!(e.contains("x.toml:"), "{e}");
        }
    }

    #[test]
    fn semantic_errors_name_field_and_line() {
        let text = "[cluster]\nbrokers = 3\n\n[[events]]\nat = \"1s\"\naction = \"broker_down\"\nbroker = 9\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml:4: events[0].broker"), "{e}");
        let text = "[cluster]\nbrokers = 3\n[[events]]\nat = \"soon\"\naction = \"broker_down\"\nbroker = 1\n";
        let e = Scenario::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml:3: events[0].at"), "{e}");
    }
}
