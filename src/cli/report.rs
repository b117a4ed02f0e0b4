//! The `isrwatch check` report: pure functions from one snapshot (and the
//! groups' lag status, when known) to a terminal table or JSON.
//!
//! Health, as `check`'s exit code sees it: a cluster is healthy when it was
//! reached, has a controller, no broker is missing, and no partition is
//! offline, under min ISR, under-replicated or has a replica on a missing
//! broker. At-min-ISR alone (normal when replication factor equals
//! `min.insync.replicas`), leader imbalance, consumer lag and partial poll
//! errors are reported but do not make it unhealthy.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::evaluate::GroupLagStatus;
use crate::snapshot::{BrokerId, ClusterSnapshot, GroupInfo, PartitionInfo, TopicInfo};

/// Rows shown per partition list before "... and N more".
pub const MAX_ROWS: usize = 20;
/// Groups shown in the "most lagging" list.
pub const TOP_GROUPS: usize = 10;

/// True when the cluster is healthy (see the module doc).
pub fn is_healthy(snap: &ClusterSnapshot) -> bool {
    unhealthy_reasons(snap).is_empty()
}

/// Why the cluster is unhealthy, one short phrase each; empty when healthy.
pub fn unhealthy_reasons(snap: &ClusterSnapshot) -> Vec<String> {
    if !snap.reachable {
        return vec!["cluster unreachable".to_string()];
    }
    let mut r = Vec::new();
    if snap.controller.is_none() {
        r.push("no active controller".to_string());
    }
    if !snap.missing_brokers.is_empty() {
        r.push(format!(
            "{} missing from metadata",
            plural(snap.missing_brokers.len(), "broker", "brokers")
        ));
    }
    let c = snap.counts();
    for (n, what) in [
        (c.offline, "offline"),
        (c.under_min_isr, "under min ISR"),
        (c.under_replicated, "under-replicated"),
    ] {
        if n > 0 {
            r.push(format!("{} {what}", plural(n, "partition", "partitions")));
        }
    }
    let on_missing = snap
        .partitions()
        .filter(|(_, p)| p.state.replica_on_missing_broker)
        .count();
    if on_missing > 0 {
        r.push(format!(
            "{} with a replica on a missing broker",
            plural(on_missing, "partition", "partitions")
        ));
    }
    r
}

/// `check`'s exit code: 0 healthy, 1 unhealthy, 2 unreachable (no answer
/// is an error, not a verdict).
pub fn exit_code(snap: &ClusterSnapshot) -> i32 {
    if !snap.reachable {
        super::EXIT_ERROR
    } else if is_healthy(snap) {
        super::EXIT_OK
    } else {
        super::EXIT_UNHEALTHY
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Names come from the cluster: keep terminal control characters out.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Cuts `s` to `width` characters, marking the cut with `…`.
fn fit(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= width {
        s
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn ids(v: &[BrokerId]) -> String {
    if v.is_empty() {
        "-".to_string()
    } else {
        v.iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |x| x.to_string())
}

/// One partition list of the report: JSON key, table title, rows.
type PartitionList<'a> = (
    &'static str,
    &'static str,
    Vec<(&'a TopicInfo, &'a PartitionInfo)>,
);

/// Partition lists of the report, in the order they are shown.
fn partition_lists(snap: &ClusterSnapshot) -> [PartitionList<'_>; 4] {
    let pick = |f: fn(&PartitionInfo) -> bool| -> Vec<(&TopicInfo, &PartitionInfo)> {
        snap.partitions().filter(|(_, p)| f(p)).collect()
    };
    [
        (
            "offline",
            "Offline partitions (no leader)",
            pick(|p| p.state.offline),
        ),
        (
            "under_min_isr",
            "Under min ISR (acks=all producers fail)",
            pick(|p| p.state.under_min_isr),
        ),
        (
            "at_min_isr",
            "At min ISR (one more failure and acks=all fails)",
            pick(|p| p.state.at_min_isr),
        ),
        (
            "under_replicated",
            "Under-replicated",
            pick(|p| p.state.under_replicated),
        ),
    ]
}

/// Per-broker leadership: partitions led, partitions it is preferred
/// leader of, and the shares of each.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderBalance {
    /// The broker.
    pub broker: BrokerId,
    /// Partitions it leads now.
    pub leaders: usize,
    /// Partitions whose preferred leader (first assigned replica) it is.
    pub preferred: usize,
    /// Share of all led partitions this broker leads (0..=1).
    pub leader_share: f64,
    /// Share of all partitions this broker is the preferred leader of.
    pub preferred_share: f64,
}

/// Leadership per broker (live brokers, plus any broker named as a
/// preferred leader), sorted by broker id.
pub fn leader_balance(snap: &ClusterSnapshot) -> Vec<LeaderBalance> {
    let leaders = snap.leader_counts();
    let mut preferred: BTreeMap<BrokerId, usize> = BTreeMap::new();
    let mut with_replicas = 0usize;
    for (_, p) in snap.partitions() {
        if let Some(b) = p.preferred_leader() {
            *preferred.entry(b).or_default() += 1;
            with_replicas += 1;
        }
    }
    let led: usize = leaders.values().sum();
    let mut brokers: Vec<BrokerId> = leaders.keys().chain(preferred.keys()).copied().collect();
    brokers.sort_unstable();
    brokers.dedup();
    let share = |n: usize, total: usize| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };
    brokers
        .into_iter()
        .map(|b| {
            let l = leaders.get(&b).copied().unwrap_or(0);
            let p = preferred.get(&b).copied().unwrap_or(0);
            LeaderBalance {
                broker: b,
                leaders: l,
                preferred: p,
                leader_share: share(l, led),
                preferred_share: share(p, with_replicas),
            }
        })
        .collect()
}

/// Groups sorted most lagging first (lag in messages, then in seconds,
/// then name).
fn groups_by_lag(snap: &ClusterSnapshot) -> Vec<&GroupInfo> {
    let mut g: Vec<&GroupInfo> = snap.groups.iter().collect();
    g.sort_by(|a, b| {
        b.total_lag()
            .cmp(&a.total_lag())
            .then_with(|| {
                let (x, y) = (
                    a.max_lag_seconds().unwrap_or(0.0),
                    b.max_lag_seconds().unwrap_or(0.0),
                );
                y.total_cmp(&x)
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    g
}

fn status_of<'a>(name: &str, statuses: &'a [GroupLagStatus]) -> Option<&'a GroupLagStatus> {
    statuses.iter().find(|s| s.group == name)
}

fn seconds(s: Option<f64>) -> String {
    match s {
        None => "-".to_string(),
        Some(x) if x < 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.0}"),
    }
}

/// The report for a terminal: fits in 100 columns (long names are cut with
/// `…`, long lists end with "... and N more").
pub fn render_table(snap: &ClusterSnapshot, groups: &[GroupLagStatus]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Cluster {}{}: polled {} in {} ms",
        fit(&snap.cluster, 30),
        snap.cluster_id
            .as_deref()
            .map(|id| format!(" (id {})", fit(id, 30)))
            .unwrap_or_default(),
        snap.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
        snap.poll_duration.as_millis()
    );
    let reasons = unhealthy_reasons(snap);
    if !snap.reachable {
        let _ = writeln!(s, "Status: UNREACHABLE");
        render_errors(&mut s, snap);
        return trim_lines(&s);
    }
    if reasons.is_empty() {
        let _ = writeln!(s, "Status: HEALTHY");
    } else {
        let _ = writeln!(s, "Status: UNHEALTHY");
        for r in &reasons {
            let _ = writeln!(s, "  - {r}");
        }
    }

    // Brokers.
    let _ = writeln!(
        s,
        "\nBrokers: {} live, {} missing; controller: {}",
        snap.brokers.len(),
        snap.missing_brokers.len(),
        snap.controller
            .map_or_else(|| "NONE".to_string(), |c| c.to_string())
    );
    let _ = writeln!(s, "  {:>6}  {:<48}  {:<16}  ", "ID", "HOST:PORT", "RACK");
    for b in snap.brokers.iter().take(MAX_ROWS * 5) {
        let _ = writeln!(
            s,
            "  {:>6}  {:<48}  {:<16}  {}",
            b.id,
            fit(&format!("{}:{}", b.host, b.port), 48),
            fit(b.rack.as_deref().unwrap_or("-"), 16),
            if snap.controller == Some(b.id) {
                "controller"
            } else {
                ""
            }
        );
    }
    if snap.brokers.len() > MAX_ROWS * 5 {
        let _ = writeln!(s, "  ... and {} more", snap.brokers.len() - MAX_ROWS * 5);
    }
    if !snap.missing_brokers.is_empty() {
        let _ = writeln!(s, "  Missing from metadata: {}", ids(&snap.missing_brokers));
    }

    // Partitions.
    let c = snap.counts();
    let _ = writeln!(
        s,
        "\nPartitions: {} in {}; {} offline, {} under min ISR, {} at min ISR, {} under-replicated",
        c.total,
        plural(snap.topics.len(), "topic", "topics"),
        c.offline,
        c.under_min_isr,
        c.at_min_isr,
        c.under_replicated
    );
    for (key, title, list) in partition_lists(snap) {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}: {}", list.len());
        let _ = writeln!(
            s,
            "  {:<36} {:>5} {:>6} {:>4} {:<14} {:<14} NOT IN ISR",
            "TOPIC", "PART", "LEADER", "MIN", "REPLICAS", "ISR"
        );
        for (t, p) in list.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "  {:<36} {:>5} {:>6} {:>4} {:<14} {:<14} {}",
                fit(&t.name, 36),
                p.partition,
                opt(p.leader.filter(|l| *l >= 0)),
                t.min_insync_replicas,
                fit(&ids(&p.replicas), 14),
                fit(&ids(&p.isr), 14),
                fit(&ids(&p.missing_from_isr()), 20)
            );
        }
        if list.len() > MAX_ROWS {
            let _ = writeln!(s, "  ... and {} more", list.len() - MAX_ROWS);
        }
        // Who is behind it: brokers by how many of these partitions they are missing from.
        let mut by_broker: BTreeMap<BrokerId, usize> = BTreeMap::new();
        for (_, p) in &list {
            for b in p.missing_from_isr() {
                *by_broker.entry(b).or_default() += 1;
            }
        }
        if !by_broker.is_empty() {
            let mut v: Vec<_> = by_broker.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let shown: Vec<String> = v
                .iter()
                .take(8)
                .map(|(b, n)| format!("broker {b} ({n})"))
                .collect();
            let more = if v.len() > 8 {
                format!(" ... and {} more", v.len() - 8)
            } else {
                String::new()
            };
            let _ = writeln!(s, "  Missing from ISR: {}{more}", shown.join(", "));
        }
        if key == "at_min_isr" {
            let by_design = list
                .iter()
                .filter(|(_, p)| !p.state.under_replicated)
                .count();
            if by_design > 0 {
                let _ = writeln!(
                    s,
                    "  Of these, {} fully replicated: replication factor equals min.insync.replicas",
                    plural(by_design, "partition is", "partitions are")
                );
            }
        }
    }

    // Preferred-leader imbalance.
    if c.leader_not_preferred == 0 {
        let _ = writeln!(
            s,
            "\nPreferred leaders: balanced (every partition with a leader is led by its preferred replica)"
        );
    } else {
        let _ = writeln!(
            s,
            "\nPreferred-leader imbalance: {} led by a non-preferred replica",
            plural(c.leader_not_preferred, "partition", "partitions")
        );
        let _ = writeln!(
            s,
            "  {:>6} {:>8} {:>10} {:>13} {:>16} {:>7}",
            "BROKER", "LEADS", "PREFERRED", "LEADER SHARE", "PREFERRED SHARE", "DIFF"
        );
        let rows = leader_balance(snap);
        for r in rows.iter().take(MAX_ROWS * 5) {
            let _ = writeln!(
                s,
                "  {:>6} {:>8} {:>10} {:>12.1}% {:>15.1}% {:>+7}",
                r.broker,
                r.leaders,
                r.preferred,
                r.leader_share * 100.0,
                r.preferred_share * 100.0,
                r.leaders as i64 - r.preferred as i64
            );
        }
        if rows.len() > MAX_ROWS * 5 {
            let _ = writeln!(s, "  ... and {} more", rows.len() - MAX_ROWS * 5);
        }
    }

    // Groups.
    let sorted = groups_by_lag(snap);
    if sorted.is_empty() {
        let _ = writeln!(s, "\nConsumer groups: none");
    } else {
        let _ = writeln!(
            s,
            "\nMost lagging consumer groups: top {} of {}",
            sorted.len().min(TOP_GROUPS),
            sorted.len()
        );
        let _ = writeln!(
            s,
            "  {:<40} {:<19} {:>7} {:>12} {:>8} {:<6}",
            "GROUP", "STATE", "MEMBERS", "LAG (MSGS)", "LAG (S)", "STATUS"
        );
        for g in sorted.iter().take(TOP_GROUPS) {
            let status = status_of(&g.name, groups).map_or("-", |st| st.status.as_str());
            let _ = writeln!(
                s,
                "  {:<40} {:<19} {:>7} {:>12} {:>8} {:<6}",
                fit(&g.name, 40),
                fit(&g.state, 19),
                g.members,
                g.total_lag(),
                seconds(g.max_lag_seconds()),
                status
            );
        }
    }
    render_errors(&mut s, snap);
    trim_lines(&s)
}

/// Drops the padding left at the end of lines.
fn trim_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn render_errors(s: &mut String, snap: &ClusterSnapshot) {
    let topic_errors: Vec<&TopicInfo> = snap.topics.iter().filter(|t| t.error.is_some()).collect();
    if !topic_errors.is_empty() {
        let _ = writeln!(s, "\nTopics with metadata errors: {}", topic_errors.len());
        for t in topic_errors.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "  {:<50} {}",
                fit(&t.name, 50),
                fit(t.error.as_deref().unwrap_or_default(), 45)
            );
        }
        if topic_errors.len() > MAX_ROWS {
            let _ = writeln!(s, "  ... and {} more", topic_errors.len() - MAX_ROWS);
        }
    }
    if snap.errors.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nPoll errors: {}", snap.errors.len());
    for e in snap.errors.iter().take(MAX_ROWS) {
        let broker = e
            .broker
            .map(|b| format!(" (broker {b})"))
            .unwrap_or_default();
        let _ = writeln!(s, "  {}{broker}: {}", clean(&e.step), fit(&e.message, 80));
    }
    if snap.errors.len() > MAX_ROWS {
        let _ = writeln!(s, "  ... and {} more", snap.errors.len() - MAX_ROWS);
    }
}

/// The same report as JSON, with complete lists (no caps).
pub fn render_json(snap: &ClusterSnapshot, groups: &[GroupLagStatus]) -> Value {
    let lists: serde_json::Map<String, Value> = partition_lists(snap)
        .into_iter()
        .map(|(key, _, list)| {
            let rows: Vec<Value> = list
                .iter()
                .map(|(t, p)| {
                    json!({
                        "topic": t.name,
                        "partition": p.partition,
                        "leader": p.leader.filter(|l| *l >= 0),
                        "replicas": p.replicas,
                        "isr": p.isr,
                        "missing_from_isr": p.missing_from_isr(),
                        "min_insync_replicas": t.min_insync_replicas,
                        "error": p.error,
                    })
                })
                .collect();
            (key.to_string(), Value::Array(rows))
        })
        .collect();
    let balance: Vec<Value> = leader_balance(snap)
        .into_iter()
        .map(|r| {
            json!({
                "broker": r.broker,
                "leaders": r.leaders,
                "preferred": r.preferred,
                "leader_share": r.leader_share,
                "preferred_share": r.preferred_share,
            })
        })
        .collect();
    let group_rows: Vec<Value> = groups_by_lag(snap)
        .into_iter()
        .map(|g| {
            let st = status_of(&g.name, groups);
            json!({
                "group": g.name,
                "state": g.state,
                "members": g.members,
                "total_lag": g.total_lag(),
                "max_lag_seconds": g.max_lag_seconds(),
                "status": st.map(|s| s.status.as_str()),
                "reason": st.map(|s| s.reason.clone()),
                "error": g.error,
            })
        })
        .collect();
    json!({
        "cluster": snap.cluster,
        "cluster_id": snap.cluster_id,
        "taken_at": snap.taken_at,
        "poll_duration_ms": snap.poll_duration.as_millis() as u64,
        "reachable": snap.reachable,
        "healthy": is_healthy(snap),
        "problems": unhealthy_reasons(snap),
        "controller": snap.controller,
        "brokers": snap.brokers,
        "missing_brokers": snap.missing_brokers,
        "counts": snap.counts(),
        "partitions": lists,
        "leader_balance": balance,
        "groups": group_rows,
        "topic_errors": snap
            .topics
            .iter()
            .filter_map(|t| t.error.as_ref().map(|e| json!({"topic": t.name, "error": e})))
            .collect::<Vec<_>>(),
        "errors": snap.errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::LagStatus;
    use crate::snapshot::{BrokerInfo, GroupPartition, PollError};

    fn broker(id: i32) -> BrokerInfo {
        BrokerInfo {
            id,
            host: format!("kafka-{id}"),
            port: 9092,
            rack: None,
        }
    }

    fn part(
        n: i32,
        leader: Option<i32>,
        replicas: &[i32],
        isr: &[i32],
        live: &[i32],
    ) -> PartitionInfo {
        let mut p = PartitionInfo {
            partition: n,
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
            ..Default::default()
        };
        p.derive(2, live);
        p
    }

    fn healthy() -> ClusterSnapshot {
        let live = [1, 2, 3];
        ClusterSnapshot {
            cluster: "prod".into(),
            reachable: true,
            controller: Some(1),
            brokers: live.iter().map(|&i| broker(i)).collect(),
            topics: vec![TopicInfo {
                name: "orders".into(),
                min_insync_replicas: 2,
                partitions: (0..3)
                    .map(|i| {
                        let r = [1 + i, 1 + (i + 1) % 3, 1 + (i + 2) % 3];
                        part(i, Some(r[0]), &r, &r, &live)
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// Broker 3 is down: its partitions are under-replicated or worse.
    fn broker_down() -> ClusterSnapshot {
        let live = [1, 2];
        let mut parts = vec![
            part(0, Some(1), &[1, 2, 3], &[1, 2], &live),
            part(1, Some(2), &[3, 2, 1], &[2], &live),
            part(2, None, &[3], &[], &live),
        ];
        for i in 3..40 {
            parts.push(part(i, Some(1), &[1, 3, 2], &[1, 2], &live));
        }
        ClusterSnapshot {
            cluster: "prod".into(),
            reachable: true,
            controller: Some(1),
            brokers: live.iter().map(|&i| broker(i)).collect(),
            missing_brokers: vec![3],
            topics: vec![TopicInfo {
                name: "payments".into(),
                min_insync_replicas: 2,
                partitions: parts,
                ..Default::default()
            }],
            groups: (0..12)
                .map(|i| GroupInfo {
                    name: format!("group-{i:02}"),
                    state: "Stable".into(),
                    members: 1,
                    partitions: vec![GroupPartition {
                        topic: "payments".into(),
                        partition: 0,
                        committed: Some(0),
                        end_offset: Some(i * 100),
                        lag: Some(i * 100),
                        lag_seconds: Some(i as f64),
                    }],
                    ..Default::default()
                })
                .collect(),
            errors: vec![PollError {
                step: "offsets".into(),
                broker: Some(3),
                message: "connection refused".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn healthy_cluster_is_healthy_and_exits_0() {
        let s = healthy();
        assert!(is_healthy(&s));
        assert_eq!(exit_code(&s), 0);
        let t = render_table(&s, &[]);
        assert!(t.contains("Status: HEALTHY"), "{t}");
        assert!(t.contains("controller: 1"), "{t}");
        assert!(t.contains("Preferred leaders: balanced"), "{t}");
        assert!(t.contains("Consumer groups: none"), "{t}");
        assert!(!t.contains("Offline partitions"), "{t}");
    }

    #[test]
    fn broker_down_lists_partitions_and_missing_isr_members() {
        let s = broker_down();
        assert!(!is_healthy(&s));
        assert_eq!(exit_code(&s), 1);
        let statuses = vec![GroupLagStatus {
            group: "group-11".into(),
            status: LagStatus::Warn,
            reason: "lag grows".into(),
            total_lag: 1100,
            max_lag_seconds: Some(11.0),
            partitions: vec![],
        }];
        let t = render_table(&s, &statuses);
        assert!(
            t.contains(
                "Status: UNHEALTHY\n  - 1 broker missing from metadata\n  - 1 partition offline\n  \
                 - 1 partition under min ISR\n  - 40 partitions under-replicated\n  \
                 - 40 partitions with a replica on a missing broker\n"
            ),
            "{t}"
        );
        assert!(t.contains("Missing from metadata: 3"), "{t}");
        assert!(t.contains("Offline partitions (no leader): 1"), "{t}");
        assert!(
            t.contains("Under min ISR (acks=all producers fail): 1"),
            "{t}"
        );
        assert!(t.contains("Under-replicated: 40"), "{t}");
        assert!(t.contains("... and 18 more"), "{t}"); // 38 at min ISR, 20 shown
        assert!(t.contains("Missing from ISR: broker 3 (40)"), "{t}");
        assert!(
            t.contains("Preferred-leader imbalance: 1 partition led by a non-preferred replica"),
            "{t}"
        );
        assert!(t.contains("top 10 of 12"), "{t}");
        // Most lagging first, with the evaluator's status when known.
        let first_group = t.lines().find(|l| l.contains("group-")).unwrap();
        assert!(
            first_group.contains("group-11") && first_group.contains("WARN"),
            "{first_group}"
        );
        assert!(!t.contains("group-01 "), "{t}");
        assert!(t.contains("offsets (broker 3): connection refused"), "{t}");
        for line in t.lines() {
            assert!(line.chars().count() <= 100, "too wide: {line:?}");
            assert_eq!(line, line.trim_end());
        }
    }

    #[test]
    fn rf_equal_to_min_isr_is_explained_and_topic_errors_listed() {
        let live = [1, 2];
        let mut s = healthy();
        s.brokers = live.iter().map(|&i| broker(i)).collect();
        s.topics = vec![
            TopicInfo {
                name: "pairs".into(),
                min_insync_replicas: 2,
                partitions: vec![part(0, Some(1), &[1, 2], &[1, 2], &live)],
                ..Default::default()
            },
            TopicInfo {
                name: "weird".into(),
                error: Some("UNKNOWN_TOPIC_OR_PARTITION".into()),
                ..Default::default()
            },
        ];
        assert!(is_healthy(&s));
        let t = render_table(&s, &[]);
        assert!(
            t.contains("At min ISR (one more failure and acks=all fails): 1"),
            "{t}"
        );
        assert!(
            t.contains("Of these, 1 partition is fully replicated"),
            "{t}"
        );
        assert!(t.contains("Topics with metadata errors: 1"), "{t}");
        assert!(t.contains("UNKNOWN_TOPIC_OR_PARTITION"), "{t}");
    }

    #[test]
    fn unreachable_cluster_exits_2_with_its_error() {
        let s = ClusterSnapshot::unreachable(
            "prod",
            chrono::DateTime::UNIX_EPOCH,
            std::time::Duration::from_secs(10),
            PollError {
                step: "metadata".into(),
                broker: None,
                message: "all brokers down".into(),
            },
        );
        assert_eq!(exit_code(&s), 2);
        let t = render_table(&s, &[]);
        assert!(
            t.contains("Status: UNREACHABLE") && t.contains("metadata: all brokers down"),
            "{t}"
        );
        assert_eq!(render_json(&s, &[])["healthy"], false);
    }

    #[test]
    fn leader_balance_compares_leads_with_preferred() {
        let b = leader_balance(&broker_down());
        let one = b.iter().find(|r| r.broker == 1).unwrap();
        assert_eq!((one.leaders, one.preferred), (38, 38));
        let two = b.iter().find(|r| r.broker == 2).unwrap();
        assert_eq!((two.leaders, two.preferred), (1, 0));
        let three = b.iter().find(|r| r.broker == 3).unwrap();
        assert_eq!((three.leaders, three.preferred), (0, 2));
    }

    #[test]
    fn json_has_complete_lists() {
        let v = render_json(&broker_down(), &[]);
        assert_eq!(v["healthy"], false);
        assert_eq!(
            v["partitions"]["under_replicated"]
                .as_array()
                .unwrap()
                .len(),
            40
        );
        assert_eq!(v["partitions"]["offline"][0]["partition"], 2);
        assert_eq!(v["partitions"]["offline"][0]["leader"], Value::Null);
        assert_eq!(
            v["partitions"]["under_min_isr"][0]["missing_from_isr"],
            json!([3, 1])
        );
        assert_eq!(v["groups"].as_array().unwrap().len(), 12);
        assert_eq!(v["groups"][0]["group"], "group-11");
        assert_eq!(v["counts"]["offline"], 1);
    }

    #[test]
    fn names_are_cut_and_cleaned() {
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("a\x1b[31mb", 20), "a?[31mb");
    }
}
