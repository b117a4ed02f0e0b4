//! The template summarizer: deterministic text built from the incident's
//! fields, with the Kafka CLI commands that help for each kind of incident.
//!
//! Commands use `$BOOTSTRAP` for the bootstrap server (the operator sets it
//! in their shell); names are single-quoted for the shell.

use crate::finding::{FindingKind, Label, Metric, Severity, Subject};
use crate::model::{Incident, IncidentState, NotifyReason, Summary, SummarySource};

use super::facts::cap_name;

/// Deterministic summaries from the incident's fields alone. Good on its
/// own: most installations run without an LLM.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateSummarizer;

/// Quotes a name for a POSIX shell (capped, control characters replaced).
pub fn shell_quote(name: &str) -> String {
    format!("'{}'", cap_name(name).replace('\'', "'\\''"))
}

/// "1", "1 and 2", "1, 2 and 3".
fn join_words(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// At most `max` quoted names, then "and N more".
fn name_list(names: &[String], max: usize) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(max)
        .map(|n| format!("\"{}\"", cap_name(n)))
        .collect();
    if names.len() > max {
        shown.push(format!("{} more", names.len() - max));
    }
    join_words(&shown)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "45s", "12m", "2h 5m".
/// Bytes in binary units, one decimal: "92.1 GiB".
fn bytes_words(bytes: f64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", units[0])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn duration_words(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m", secs / 60)
    } else {
        format!("{}h {}m", secs / 3600, (secs % 3600) / 60)
    }
}

/// The entities a template talks about, gathered from the incident.
#[derive(Clone)]
struct Entities {
    brokers: Vec<i32>,
    topics: Vec<String>,
    groups: Vec<String>,
    partitions: Vec<(String, i32)>,
}

fn entities(inc: &Incident) -> Entities {
    let mut brokers = inc.affected.brokers.clone();
    if let Subject::Broker { id } = inc.root {
        brokers.push(id);
    }
    brokers.sort_unstable();
    brokers.dedup();
    let mut topics = inc.affected.topics.clone();
    let mut partitions = inc.affected.partitions.clone();
    let mut groups = inc.affected.groups.clone();
    match &inc.root {
        Subject::Topic { topic } => topics.push(topic.clone()),
        Subject::Partition { topic, partition } => {
            topics.push(topic.clone());
            partitions.push((topic.clone(), *partition));
        }
        Subject::Group { group } => groups.push(group.clone()),
        _ => {}
    }
    for (t, _) in &partitions {
        topics.push(t.clone());
    }
    topics.sort();
    topics.dedup();
    groups.sort();
    groups.dedup();
    partitions.sort();
    partitions.dedup();
    Entities {
        brokers,
        topics,
        groups,
        partitions,
    }
}

fn count(inc: &Incident, kind: FindingKind) -> usize {
    inc.counts.get(&kind).copied().unwrap_or(0)
}

/// The first value of a finding metric, over the incident's findings.
fn metric(inc: &Incident, key: Metric) -> Option<f64> {
    inc.findings
        .iter()
        .find_map(|f| f.metric(key))
        .filter(|v| v.is_finite())
}

/// The first value of a finding label, capped, over the incident's findings.
fn label(inc: &Incident, key: Label) -> Option<String> {
    inc.findings.iter().find_map(|f| f.label(key).map(cap_name))
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

fn broker_words(b: &[i32]) -> String {
    let ids: Vec<String> = b.iter().map(|b| b.to_string()).collect();
    match ids.len() {
        0 => "an unknown broker".to_string(),
        1 => format!("broker {}", ids[0]),
        _ => format!("brokers {}", join_words(&ids)),
    }
}

/// Partition-state counts as one phrase: "120 under-replicated, 3 offline".
fn partition_counts(inc: &Incident) -> String {
    let mut parts = Vec::new();
    for (k, w) in [
        (FindingKind::PartitionOffline, "offline"),
        (FindingKind::UnderMinIsr, "under min ISR"),
        (FindingKind::AtMinIsr, "at min ISR"),
        (FindingKind::UnderReplicated, "under-replicated"),
    ] {
        let n = count(inc, k);
        if n > 0 {
            parts.push(format!("{n} {w}"));
        }
    }
    if parts.is_empty() && inc.affected.partition_count > 0 {
        parts.push(format!("{} affected", inc.affected.partition_count));
    }
    parts.join(", ")
}

const DESCRIBE: &str = "kafka-topics.sh --bootstrap-server $BOOTSTRAP --describe";

fn topic_flag(e: &Entities) -> String {
    match e.topics.as_slice() {
        [t] => format!(" --topic {}", shell_quote(t)),
        _ => String::new(),
    }
}

impl TemplateSummarizer {
    /// The summary for `incident`, notified now because of `reason`.
    pub fn render(&self, inc: &Incident, reason: NotifyReason) -> Summary {
        let e = entities(inc);
        let resolved = inc.state == IncidentState::Resolved || reason == NotifyReason::Resolved;
        let cluster = format!("\"{}\"", cap_name(&inc.cluster));
        let since = inc.started_at.format("%H:%M UTC").to_string();
        let end = inc.resolved_at.unwrap_or(inc.updated_at);
        let lasted = duration_words((end - inc.started_at).num_seconds());
        let pcounts = partition_counts(inc);
        let pc_suffix = if pcounts.is_empty() {
            String::new()
        } else {
            format!(" (partitions: {pcounts})")
        };
        let brokers = broker_words(&e.brokers);
        let broker_list: String = e
            .brokers
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let tflag = topic_flag(&e);

        let (headline, what, impact, cause, mut steps): (String, String, String, String, Vec<String>) =
            match inc.kind {
                // Answering again, brokers still starting or catching up.
                FindingKind::ClusterUnreachable if crate::incident::returned(inc) => {
                    let down: Vec<i32> = inc
                        .findings
                        .iter()
                        .filter(|f| f.kind == FindingKind::BrokerDown)
                        .filter_map(|f| match f.subject {
                            Subject::Broker { id } => Some(id),
                            _ => None,
                        })
                        .collect();
                    let (headline, what) = if down.is_empty() {
                        (
                            format!("Cluster {cluster} is back, catching up{pc_suffix}"),
                            format!("Cluster {cluster} stopped answering at {since} and answers again; every broker is back, and replicas are catching up."),
                        )
                    } else {
                        let still = broker_words(&down);
                        (
                            format!("Cluster {cluster} is partly back, {still} still down{pc_suffix}"),
                            format!("Cluster {cluster} stopped answering at {since} and answers again, but {still} {} not rejoined the cluster metadata.", if down.len() == 1 { "has" } else { "have" }),
                        )
                    };
                    (
                        headline,
                        what,
                        impact_for_partitions(inc),
                        "A whole-cluster restart or outage: the brokers still missing are starting, recovering their logs, or their hosts are down.".into(),
                        vec![
                            format!("Check the broker processes and hosts of {}, and their server logs (log recovery after an unclean shutdown can take minutes).", broker_words(if down.is_empty() { &e.brokers } else { &down })),
                            "See which brokers are registered: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication".into(),
                            format!("List leaderless partitions: {DESCRIBE} --unavailable-partitions"),
                            format!("List under-replicated partitions: {DESCRIBE} --under-replicated-partitions"),
                        ],
                    )
                }
                FindingKind::ClusterUnreachable => {
                    let err = label(inc, Label::Error)
                        .map(|e| format!(" Last error: {e}."))
                        .unwrap_or_default();
                    (
                        format!("Cluster {cluster} is unreachable"),
                        format!("isrwatch cannot poll cluster {cluster} since {since}: no broker answered metadata requests.{err}"),
                        "Replication and consumer lag for this cluster are not being watched; clients may also be unable to connect.".into(),
                        "All brokers down, a network or DNS problem between isrwatch and the brokers, or failing TLS/SASL authentication.".into(),
                        vec![
                            "Check that the brokers answer: kafka-broker-api-versions.sh --bootstrap-server $BOOTSTRAP".into(),
                            "Check the controller quorum: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status".into(),
                            "Check DNS, firewalls and the credentials isrwatch uses (security.protocol, sasl.*, ssl.*).".into(),
                            "Read the broker logs for startup or authentication errors.".into(),
                        ],
                    )
                }
                // Named by no replica list and no quorum voter (the rule
                // makes those info): retired or replaced.
                FindingKind::BrokerDown if crate::incident::retired(inc) => {
                    (
                        format!("{} gone from cluster {cluster}", capitalize(&brokers)),
                        format!("{} left the cluster metadata at {since}, and no partition's replica list or metadata-quorum voter names it: it was decommissioned, or replaced by another broker.", capitalize(&brokers)),
                        "None on replication: no partition has a replica on it. The cluster has one broker less to serve clients and coordinate groups.".into(),
                        "A planned decommission (replicas moved away, then the broker stopped), or a broker replaced after it failed.".into(),
                        vec![
                            "If this was not planned, check the broker host and its server log.".into(),
                            "See which brokers are registered: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication".into(),
                            "isrwatch forgets it forget_broker_after (default 4 minutes) after it was last seen or named, and resolves this.".into(),
                        ],
                    )
                }
                FindingKind::BrokerDown => (
                    format!("{} down in cluster {cluster}{pc_suffix}", capitalize(&brokers)),
                    format!(
                        "{} left the cluster metadata at {since}. {} replicas on it missing from the ISR{}.",
                        capitalize(&brokers),
                        match inc.affected.partition_count.max(e.partitions.len()) {
                            0 => "Partitions have".to_string(),
                            1 => "1 partition has".to_string(),
                            n => format!("{n} partitions have"),
                        },
                        topics_phrase(&e),
                    ),
                    impact_for_partitions(inc),
                    format!("The Kafka process on {brokers} stopped, its host is down or unreachable, or it lost its controller session."),
                    vec![
                        format!("Check the broker process and host of {brokers}, and its server log."),
                        "See which brokers are registered: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication".into(),
                        format!("List leaderless partitions: {DESCRIBE} --unavailable-partitions"),
                        format!("List partitions below min.insync.replicas: {DESCRIBE} --under-min-isr-partitions"),
                        format!("List under-replicated partitions: {DESCRIBE} --under-replicated-partitions"),
                        "Once it is back and caught up, restore leadership: kafka-leader-election.sh --bootstrap-server $BOOTSTRAP --election-type preferred --all-topic-partitions".into(),
                    ],
                ),
                FindingKind::BrokerUnreachable => {
                    let led = metric(inc, Metric::LeaderPartitions).unwrap_or(0.0);
                    let err = label(inc, Label::Error).map(|e| format!(" Last error: {e}.")).unwrap_or_default();
                    let spells = metric(inc, Metric::UnreachableSpells);
                    let window = metric(inc, Metric::WindowSeconds).map(|w| duration_words(w as i64)).unwrap_or_default();
                    (
                        match spells {
                            Some(n) => format!("{} answers clients only intermittently in cluster {cluster} ({n} spells without an answer in {window})", capitalize(&brokers)),
                            None => format!("{} does not answer clients in cluster {cluster}", capitalize(&brokers)),
                        },
                        match spells {
                            Some(n) => format!(
                                "Since {since}, {brokers} is in the cluster metadata but keeps failing isrwatch's probe in short spells: {n} began within {window}, each too short to count as an outage on its own.{err}"
                            ),
                            None => format!(
                                "Since {since}, {brokers} is in the cluster metadata but does not answer isrwatch: the connection is refused, the handshake fails or requests time out.{err}"
                            ),
                        },
                        if led > 0.0 && spells.is_some() {
                            format!("Producers and consumers of the {} it leads lose their leader in every spell: requests fail or time out and are retried, and the cluster, which still counts the broker alive, does not move those leaders.", plural(led as usize, "partition", "partitions"))
                        } else if led > 0.0 {
                            format!("Producers and consumers of the {} it leads cannot reach their leader: writes and reads there fail or time out, although the cluster still counts the broker alive and does not move those leaders.", plural(led as usize, "partition", "partitions"))
                        } else {
                            "It leads no partition: clients are not affected yet, but its coordinator role and any leadership moved to it would be.".into()
                        },
                        "A network partition between clients and the broker (firewall, routing, DNS), a broken listener, TLS certificate or advertised.listeners, or a hung broker (long GC pause, stuck disk) that accepts connections without answering.".into(),
                        vec![
                            format!("Try it from a client host: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT (the address of {brokers})"),
                            format!("Check its listeners: kafka-configs.sh --bootstrap-server $BOOTSTRAP --describe --entity-type brokers --entity-name {} --all", e.brokers.first().map(|b| b.to_string()).unwrap_or_else(|| "N".into())),
                            format!("Check the broker's log, GC pauses and disks, and the network path from clients to {brokers}."),
                            "If it is hung, restart it: its leaderships move to in-sync replicas, and clients follow.".into(),
                        ],
                    )
                }
                FindingKind::PartitionOffline => (
                    format!("{} offline in cluster {cluster}", plural(count(inc, FindingKind::PartitionOffline).max(inc.affected.partition_count).max(1), "partition", "partitions")),
                    format!("Partitions{} have no leader since {since}{}.", topics_phrase(&e), partitions_phrase(&e)),
                    "Producers and consumers of these partitions fail: nothing can be written to or read from them.".into(),
                    format!("Every replica in the ISR is unavailable{}.", if e.brokers.is_empty() { String::new() } else { format!(" (implicated: {brokers})") }),
                    vec![
                        format!("List leaderless partitions: {DESCRIBE} --unavailable-partitions"),
                        format!("Bring back the brokers that host their replicas{}.", if e.brokers.is_empty() { String::new() } else { format!(" ({brokers})") }),
                        "Check broker log directories: kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe".into(),
                        format!("Last resort, loses data: kafka-leader-election.sh --bootstrap-server $BOOTSTRAP --election-type unclean{}", one_partition_flags(&e)),
                    ],
                ),
                FindingKind::UnderMinIsr | FindingKind::AtMinIsr => {
                    let under = inc.kind == FindingKind::UnderMinIsr;
                    let n = count(inc, inc.kind).max(inc.affected.partition_count).max(1);
                    let isr = metric(inc, Metric::Isr).map(|v| format!(" ISR size {},", fmt_num(v))).unwrap_or_default();
                    let min = metric(inc, Metric::MinIsr).map(|v| format!(" min.insync.replicas {}.", fmt_num(v))).unwrap_or_default();
                    (
                        format!("{} {} in cluster {cluster}", plural(n, "partition", "partitions"), if under { "under min ISR" } else { "at min ISR" }),
                        format!(
                            "{}{} {} min.insync.replicas since {since}{}.{isr}{min}",
                            plural(n, "partition", "partitions"),
                            topics_phrase(&e),
                            if under { "have fewer in-sync replicas than" } else { "have exactly" },
                            if e.brokers.is_empty() { String::new() } else { format!("; replicas missing from the ISR are on {brokers}") },
                        ),
                        if under {
                            "Producers using acks=all get NotEnoughReplicas errors and cannot write to these partitions.".into()
                        } else {
                            "Writes still succeed, but one more replica failure makes producers using acks=all fail.".into()
                        },
                        format!("Followers{} fell out of the ISR: a broker down, slow disks or network, or replica fetchers falling behind.", if e.brokers.is_empty() { String::new() } else { format!(" on {brokers}") }),
                        vec![
                            format!("List them: {DESCRIBE} {}", if under { "--under-min-isr-partitions" } else { "--at-min-isr-partitions" }),
                            format!("See replicas and ISR: {DESCRIBE}{tflag}"),
                            format!("Check the lagging brokers' log dirs: kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe{}", if broker_list.is_empty() { String::new() } else { format!(" --broker-list {broker_list}") }),
                            "Check the topic's min.insync.replicas: kafka-configs.sh --bootstrap-server $BOOTSTRAP --describe --entity-type topics --entity-name TOPIC".into(),
                        ],
                    )
                }
                FindingKind::UnderReplicated => {
                    let n = count(inc, FindingKind::UnderReplicated).max(inc.affected.partition_count).max(1);
                    (
                        format!("{} under-replicated in cluster {cluster}", plural(n, "partition", "partitions")),
                        format!("{}{} have replicas missing from their ISR since {since}{}.", plural(n, "partition", "partitions"), topics_phrase(&e), if e.brokers.is_empty() { String::new() } else { format!(", on {brokers}") }),
                        "Durability is reduced: fewer copies are in sync, and another failure can make partitions unwritable or offline.".into(),
                        format!("Followers{} cannot keep up: slow disk or network, overloaded broker, or a restart still catching up.", if e.brokers.is_empty() { String::new() } else { format!(" on {brokers}") }),
                        vec![
                            format!("List them: {DESCRIBE} --under-replicated-partitions"),
                            format!("Check log dirs and sizes: kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe{}", if broker_list.is_empty() { String::new() } else { format!(" --broker-list {broker_list}") }),
                            "Check disk, network and GC on the brokers missing from the ISR, and their replica fetcher lag (ReplicaFetcherManager MaxLag).".into(),
                        ],
                    )
                }
                FindingKind::UncleanElection => {
                    let n = count(inc, FindingKind::UncleanElection).max(inc.affected.partition_count).max(1);
                    let lost: f64 = inc
                        .findings
                        .iter()
                        .filter_map(|f| f.metric(Metric::OffsetsLost))
                        .filter(|v| v.is_finite())
                        .sum();
                    let lost_words = if lost > 0.0 {
                        format!(" At least {} acknowledged offsets were truncated (old high watermark − new).", fmt_num(lost))
                    } else {
                        " The high watermark did not move back between two polls; writes taken by the old leader after the new leader last caught up may still be lost.".into()
                    };
                    let leaders = match (label(inc, Label::OldLeader), label(inc, Label::NewLeader)) {
                        (Some(o), Some(n)) => format!(" (leader {o} replaced by {n}, which was not in sync)"),
                        _ => String::new(),
                    };
                    let t = e.topics.first().map(|t| shell_quote(t)).unwrap_or_else(|| "TOPIC".into());
                    (
                        format!("Unclean leader election in cluster {cluster}: {} led by out-of-sync replicas", plural(n, "partition", "partitions")),
                        format!("At {since}, {}{}{} got a leader that was not in the ISR{leaders}.{lost_words}", plural(n, "partition", "partitions"), topics_phrase(&e), partitions_phrase(&e)),
                        "Acknowledged writes beyond the new leader's log end are gone: the old leader truncates its log when it returns, consumers that had read past the new end are reset by auto.offset.reset (replaying or skipping data), and producers got acks for records that no longer exist.".into(),
                        "Every in-sync replica was unavailable and unclean.leader.election.enable let a stale replica take over (or an unclean election was forced with kafka-leader-election.sh).".into(),
                        vec![
                            format!("See leaders and ISR now: {DESCRIBE}{tflag}"),
                            "Find the consumers that were reset: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --all-groups".into(),
                            format!("Check the setting: kafka-configs.sh --bootstrap-server $BOOTSTRAP --describe --entity-type topics --entity-name {t}"),
                            format!("Unless availability matters more than data: kafka-configs.sh --bootstrap-server $BOOTSTRAP --alter --entity-type topics --entity-name {t} --add-config unclean.leader.election.enable=false"),
                            "Replay what was lost from the producers' side if they keep it: the lost range is old high watermark − new, per partition.".into(),
                        ],
                    )
                }
                FindingKind::ReassignmentInProgress => {
                    let n = metric(inc, Metric::Partitions).unwrap_or(0.0);
                    let copying = metric(inc, Metric::ReplicasCopying).unwrap_or(0.0);
                    let done = metric(inc, Metric::PartitionsDone).unwrap_or(0.0);
                    let stuck = label(inc, Label::Stuck).is_some();
                    let eta = metric(inc, Metric::EtaSeconds)
                        .filter(|_| !stuck)
                        .map(|s| format!(" At the pace so far it ends in about {}.", duration_words(s as i64)))
                        .unwrap_or_default();
                    let stalled = metric(inc, Metric::SecondsWithoutProgress).unwrap_or(0.0);
                    let left = metric(inc, Metric::OffsetsLeft)
                        .map(|v| {
                            let rate = metric(inc, Metric::OffsetsPerSecond)
                                .map(|r| format!(" at {} offsets/s", fmt_num(r)))
                                .unwrap_or_default();
                            format!(" {} offsets are left to copy{rate}.", fmt_num(v))
                        })
                        .unwrap_or_default();
                    let deleted = label(inc, Label::TopicDeleted).is_some();
                    (
                        if deleted {
                            format!("Partition reassignment in cluster {cluster} ended unfinished: its topics were deleted with {} still moving", plural(n as usize, "partition", "partitions"))
                        } else if stuck {
                            format!("Partition reassignment stuck in cluster {cluster}: {} without progress for {}", plural(n as usize, "partition", "partitions"), duration_words(stalled as i64))
                        } else {
                            format!("Partition reassignment in cluster {cluster}: {} moving", plural(n as usize, "partition", "partitions"))
                        },
                        format!(
                            "Since {since}, partitions{} are being reassigned{}: {} still moving, {} done, {} added {} still copying the log.{left}{eta}",
                            topics_phrase(&e),
                            if e.brokers.is_empty() { String::new() } else { format!(" (brokers {})", broker_list) },
                            fmt_num(n), fmt_num(done), fmt_num(copying),
                            if copying == 1.0 { "replica" } else { "replicas" },
                        ),
                        if stuck {
                            "The moved partitions keep their old and new replicas: extra disk and network load goes on, and the plan never completes.".into()
                        } else {
                            "Planned work: added replicas copy the log (network and disk load on their brokers) and join the ISR; this is not under-replication.".into()
                        },
                        if stuck {
                            "A replication throttle too low for the traffic, a target broker down or out of disk, or a replica that cannot catch up.".into()
                        } else {
                            "A partition reassignment (kafka-reassign-partitions.sh, Cruise Control, a broker decommission) was started.".into()
                        },
                        vec![
                            "List what is moving: kafka-reassign-partitions.sh --bootstrap-server $BOOTSTRAP --list".into(),
                            "Check the throttles: kafka-configs.sh --bootstrap-server $BOOTSTRAP --describe --entity-type brokers --all | grep throttled".into(),
                            "Check progress: kafka-reassign-partitions.sh --bootstrap-server $BOOTSTRAP --verify --reassignment-json-file PLAN.json".into(),
                            "To stop it: kafka-reassign-partitions.sh --bootstrap-server $BOOTSTRAP --cancel --reassignment-json-file PLAN.json".into(),
                        ],
                    )
                }
                FindingKind::QuorumLag | FindingKind::QuorumDegraded => {
                    let degraded = count(inc, FindingKind::QuorumDegraded) > 0;
                    let voters = metric(inc, Metric::Voters).map(|v| format!(" of {}", fmt_num(v))).unwrap_or_default();
                    let caught = metric(inc, Metric::CaughtUp).map(|v| format!(" Only {}{voters} voters are caught up.", fmt_num(v))).unwrap_or_default();
                    let leader = label(inc, Label::Leader).map(|l| format!(" (leader: {l})")).unwrap_or_default();
                    (
                        if degraded {
                            format!("Metadata quorum degraded in cluster {cluster}: {} not caught up", broker_words(&e.brokers))
                        } else {
                            format!("Metadata quorum voter behind in cluster {cluster}: {}", broker_words(&e.brokers))
                        },
                        format!("Since {since}, {} of the KRaft metadata quorum{leader} has not caught up with the leader.{caught}", broker_words(&e.brokers)),
                        if degraded {
                            "The quorum cannot survive one more controller failure: without a majority no leader can be elected, and topic, partition and ISR changes (including leader elections for failed brokers) stop.".into()
                        } else {
                            "The voter would not be a current replica if it had to take over as controller; one more lagging voter can cost the quorum its majority.".into()
                        },
                        "The controller process on that node is down, hung (GC, disk) or cut off from the quorum leader, or its disk is too slow for the metadata log.".into(),
                        vec![
                            "See each voter's lag: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication".into(),
                            "See the leader and epoch: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status".into(),
                            format!("Check the controller process, its log and disk on {}.", broker_words(&e.brokers)),
                        ],
                    )
                }
                FindingKind::IsrChurn => (
                    format!("ISR churn in cluster {cluster}"),
                    format!("Replicas{} keep leaving and rejoining the ISR since {since}{}.", if e.brokers.is_empty() { String::new() } else { format!(" on {brokers}") }, topics_phrase(&e)),
                    "Durability flickers and producers using acks=all see latency spikes.".into(),
                    "Followers hovering around replica.lag.time.max.ms: network instability, GC pauses or overloaded disks.".into(),
                    vec![
                        format!("Watch the ISR: {DESCRIBE}{tflag}"),
                        format!("List under-replicated partitions: {DESCRIBE} --under-replicated-partitions"),
                        "Check network errors and GC pauses on the brokers, and replica.lag.time.max.ms.".into(),
                    ],
                ),
                FindingKind::LeaderImbalance => (
                    format!("Leader imbalance in cluster {cluster}{}", if e.brokers.is_empty() { String::new() } else { format!(" ({brokers})") }),
                    format!("Partition leadership is uneven since {since}: {} leads far more or fewer partitions than its preferred share.", brokers),
                    "Load is skewed: some brokers serve more produce and fetch traffic than planned.".into(),
                    "Leaders moved after a broker restart or failure and were not moved back (auto.leader.rebalance.enable off, or not yet run).".into(),
                    vec![
                        "Move leaders back to preferred replicas: kafka-leader-election.sh --bootstrap-server $BOOTSTRAP --election-type preferred --all-topic-partitions".into(),
                        format!("Check the result: {DESCRIBE}{tflag}"),
                    ],
                ),
                FindingKind::DiskSpace => {
                    let critical = inc.severity == Severity::Critical;
                    let forecast_only = metric(inc, Metric::HoursToFull).is_some()
                        && matches!(
                            (metric(inc, Metric::UsedPercent), metric(inc, Metric::Threshold)),
                            (Some(u), Some(t)) if u < t
                        );
                    let used = metric(inc, Metric::UsedPercent).map(|v| format!("{v:.0}% full")).unwrap_or_else(|| "nearly full".into());
                    let free = match (metric(inc, Metric::FreeBytes), metric(inc, Metric::TotalBytes)) {
                        (Some(f), Some(t)) => format!(" ({} free of {})", bytes_words(f), bytes_words(t)),
                        _ => String::new(),
                    };
                    let dir = label(inc, Label::LogDir).map(|d| format!(" {d}")).unwrap_or_default();
                    let pace = metric(inc, Metric::HoursToFull)
                        .map(|h| format!(" At the pace of the last half hour it is full in about {}.", duration_words((h * 3600.0) as i64)))
                        .unwrap_or_default();
                    (
                        format!(
                            "{}'s disk is {} in cluster {cluster}",
                            capitalize(&brokers),
                            if critical { "critically full" } else if forecast_only { "filling up" } else { "nearly full" }
                        ),
                        format!("Since {since}, the volume of log directory{dir} on {brokers} is {used}{free}.{pace}"),
                        "A full volume fails the log directory: its replicas go offline, and a broker with no other directory shuts down. Producers to partitions it leads fail, and partitions whose other replicas are down go offline.".into(),
                        "More data than retention deletes: a traffic increase, a topic without retention (retention.ms=-1) or with a large retention.bytes, partitions reassigned onto the broker, or other files on the same volume.".into(),
                        vec![
                            format!("See what uses the space: kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe{}", if broker_list.is_empty() { String::new() } else { format!(" --broker-list {broker_list}") }),
                            "Shorten retention of the largest topics: kafka-configs.sh --bootstrap-server $BOOTSTRAP --alter --entity-type topics --entity-name TOPIC --add-config retention.ms=...".into(),
                            "Grow the volume, or move partitions to brokers with room (kafka-reassign-partitions.sh).".into(),
                        ],
                    )
                }
                FindingKind::FollowerLag => (
                    format!("Follower lag on {brokers} in cluster {cluster}"),
                    format!("Replica fetchers on {brokers} are behind their leaders since {since}{}.", metric(inc, Metric::FollowerMaxLag).map(|v| format!(" (max lag {} messages)", fmt_num(v))).unwrap_or_default()),
                    "These followers risk dropping out of the ISR, reducing durability.".into(),
                    "Slow disk or network on the follower, or too few replica fetcher threads (num.replica.fetchers).".into(),
                    vec![
                        format!("Check log dirs: kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe{}", if broker_list.is_empty() { String::new() } else { format!(" --broker-list {broker_list}") }),
                        format!("List under-replicated partitions: {DESCRIBE} --under-replicated-partitions"),
                    ],
                ),
                FindingKind::ConsumerLag if label(inc, Label::NeverActive).is_some() => {
                    let gnames = name_list(&e.groups, 3);
                    let one = e.groups.len() == 1;
                    // Every group's lag, not the first one's.
                    let unread: f64 = inc.findings.iter().filter_map(|f| f.metric(Metric::TotalLag)).filter(|v| v.is_finite()).sum();
                    let lag = if unread > 0.0 { format!(" {} {} unread messages.", if one { "It has" } else { "They have" }, fmt_num(unread)) } else { String::new() };
                    let g = e.groups.first().map(|g| shell_quote(g)).unwrap_or_else(|| "GROUP".into());
                    (
                        format!("{} without members since isrwatch started {} unread messages in cluster {cluster}", plural(e.groups.len(), "consumer group", "consumer groups"), if one { "has" } else { "have" }),
                        format!("{} {gnames} had no member at any poll since isrwatch began watching, and {} committed offsets have not moved while it watched{} (told since {since}).{lag}", if one { "Group" } else { "Groups" }, if one { "its" } else { "their" }, topics_phrase(&e)),
                        "Nobody reads these messages. A retired application or a finished console consumer is harmless (Kafka forgets its offsets offsets.retention.minutes after it emptied, 7 days by default); a consumer that should be running is down.".into(),
                        "The application was retired, moved to another group id, or has been down since before isrwatch started.".into(),
                        vec![
                            format!("See when its members left: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {g} --state"),
                            format!("If it is retired, delete it: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --delete --group {g} (or exclude it in [clusters.groups] exclude)"),
                            "If it should run, start it: isrwatch then watches it like any group (a STOP later is critical).".into(),
                        ],
                    )
                }
                FindingKind::ConsumerLag => {
                    let status = label(inc, Label::LagStatus).unwrap_or_else(|| "lagging".into());
                    let lag = metric(inc, Metric::TotalLag).map(|v| format!(" Lag: {} messages", fmt_num(v))).unwrap_or_default();
                    let secs = metric(inc, Metric::MaxLagSeconds).map(|v| format!("{}about {} behind", if lag.is_empty() { " Lag: " } else { ", " }, duration_words(v as i64))).unwrap_or_default();
                    let lag_sentence = if lag.is_empty() && secs.is_empty() { String::new() } else { format!("{lag}{secs}.") };
                    let gnames = name_list(&e.groups, 3);
                    let mut steps: Vec<String> = e.groups.iter().take(3).map(|g| {
                        format!("Inspect lag per partition: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {}", shell_quote(g))
                    }).collect();
                    if let Some(g) = e.groups.first() {
                        steps.push(format!("Check its members: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {} --members --verbose", shell_quote(g)));
                    }
                    steps.push("Check the consumer application's logs, restarts and processing time (max.poll.interval.ms).".into());
                    (
                        format!("Consumer group {gnames} is {status} in cluster {cluster}"),
                        format!("Group {gnames} has lag status {status} since {since}{}.{}", topics_phrase(&e), lag_sentence),
                        "Data is processed late: downstream systems see stale results, and the backlog may exceed retention and be lost.".into(),
                        lag_cause(&status).into(),
                        steps,
                    )
                }
                FindingKind::UnreadDataDeleted => {
                    let deleted = metric(inc, Metric::MessagesDeleted).unwrap_or(0.0);
                    let n = metric(inc, Metric::Partitions).unwrap_or(0.0) as usize;
                    let behind = metric(inc, Metric::PartitionsBehind).unwrap_or(0.0) as usize;
                    let gnames = name_list(&e.groups, 3);
                    let g = e.groups.first().map(|g| shell_quote(g)).unwrap_or_else(|| "GROUP".into());
                    let mut e = e.clone();
                    if e.topics.is_empty() {
                        e.topics = label(inc, Label::Topics).map(|ts| ts.split(',').map(str::to_string).collect()).unwrap_or_default();
                    }
                    let t = e.topics.first().map(|t| shell_quote(t)).unwrap_or_else(|| "TOPIC".into());
                    let what = if behind > 0 {
                        format!(
                            "Group {gnames} has its committed offset below the log start offset on {}{}: retention (or a DeleteRecords) has deleted {} messages it had not read, since {since}. When it next fetches there, its consumers get OFFSET_OUT_OF_RANGE and auto.offset.reset moves them past the gap (or fails them, with \"none\").",
                            plural(behind, "partition", "partitions"), topics_phrase(&e), fmt_num(deleted)
                        )
                    } else {
                        format!(
                            "Group {gnames} committed past {} messages on {}{} that were deleted before it had committed them (at {since}): its consumers were reset by auto.offset.reset and skipped them, unless they had read them in the seconds before the deletion.",
                            fmt_num(deleted), plural(n.max(1), "partition", "partitions"), topics_phrase(&e)
                        )
                    };
                    (
                        format!("Retention deleted {} messages consumer group {gnames} had not read in cluster {cluster}", fmt_num(deleted)),
                        what,
                        "Those messages are lost to this group: whatever it feeds (a database, an index, a downstream topic) is missing them, and no error says so.".into(),
                        "The group fell behind by more than the topic keeps (retention.ms or retention.bytes): it was stopped or stalled for long, too slow for the produce rate, or the retention was shortened (to free a disk) while it was behind.".into(),
                        vec![
                            format!("See where it stands: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {g}"),
                            format!("See the topic's log start offsets: kafka-get-offsets.sh --bootstrap-server $BOOTSTRAP --topic {t} --time earliest"),
                            format!("Keep more while it catches up: kafka-configs.sh --bootstrap-server $BOOTSTRAP --alter --entity-type topics --entity-name {t} --add-config retention.ms=RETENTION_MS"),
                            "Replay what was lost from its source, if the producers' side keeps it: the gap per partition is log start − committed offset.".into(),
                        ],
                    )
                }
                FindingKind::NoController | FindingKind::ControllerUnstable => {
                    let none = inc.kind == FindingKind::NoController;
                    (
                        format!("{} in cluster {cluster}", if none { "No active controller" } else { "Controller keeps moving" }),
                        if none { format!("The cluster has had no active controller since {since}: on KRaft, no leader of the metadata quorum answers DescribeQuorum through the brokers; on ZooKeeper, Metadata names none.") } else { format!("The active controller changed several times since {since}.") },
                        "Leader elections, topic changes and ISR updates stall; partitions that lose their leader stay offline.".into(),
                        "Controller quorum (KRaft) or ZooKeeper trouble: lost quorum, network partitions, or long GC pauses on controllers.".into(),
                        vec![
                            "Check the quorum: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status".into(),
                            "Check voters and their lag: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --replication".into(),
                            "With ZooKeeper: zookeeper-shell.sh ZOOKEEPER get /controller".into(),
                        ],
                    )
                }
                // Topics' produce rates, one incident per cluster
                // (incident grouping, rule 8).
                FindingKind::Anomaly if inc.root == Subject::Cluster => {
                    let rates: Vec<String> = inc.findings.iter().filter_map(|f| {
                        let a = f.anomaly.as_ref()?;
                        let topic = f.label(Label::Topic).map(cap_name)?;
                        Some(format!("\"{topic}\" {} messages/s (expected {}..{})", fmt_num(a.observed), fmt_num(a.expected_low.max(0.0)), fmt_num(a.expected_high)))
                    }).take(5).collect();
                    let all_fell = inc.findings.iter().filter_map(|f| f.anomaly.as_ref()).all(|a| a.observed < a.expected_low);
                    let mut steps = vec!["Check the producing applications: their logs, error rates (authorization, quotas, record too large) and recent deploys.".to_string()];
                    for t in e.topics.iter().take(2) {
                        steps.push(format!("Watch the end offsets move: kafka-get-offsets.sh --bootstrap-server $BOOTSTRAP --topic {}", shell_quote(t)));
                    }
                    (
                        format!("Produce rate {} on {} in cluster {cluster}", if all_fell { "fell" } else { "unusual" }, name_list(&e.topics, 3)),
                        format!("The produce rate has been {} since {since}: {}.", if all_fell { "below the range expected" } else { "unusual" }, join_words(&rates)),
                        if all_fell { "Fewer or no new messages reach these topics: consumers downstream see nothing new, and the data may be piling up or lost upstream.".into() } else { "Traffic departs from its learned range: consumers may fall behind, or data stops arriving.".into() },
                        "Producers stopped or slowed (a failed deploy, an upstream outage, producer errors), or a surge or replay of traffic.".into(),
                        steps,
                    )
                }
                FindingKind::Anomaly => {
                    let a = inc.findings.iter().find_map(|f| f.anomaly.as_ref());
                    let series = a.map(|a| cap_name(&a.series)).unwrap_or_else(|| match &inc.root { Subject::Series { series } => cap_name(series), _ => "a metric".into() });
                    let expl = a.map(|a| format!(" {}", cap_name(&a.explanation))).unwrap_or_default();
                    let mut steps = vec![
                        format!("Check replication: {DESCRIBE} --under-replicated-partitions"),
                    ];
                    for g in e.groups.iter().take(2) {
                        steps.push(format!("Check the group: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {}", shell_quote(g)));
                    }
                    if !e.topics.is_empty() {
                        steps.push(format!("Check the topic: {DESCRIBE}{}", if tflag.is_empty() { format!(" --topic {}", shell_quote(&e.topics[0])) } else { tflag.clone() }));
                    }
                    steps.push("Compare with recent deploys, traffic changes and broker restarts.".into());
                    (
                        format!("Unusual behaviour of {series} in cluster {cluster}"),
                        format!("The anomaly detector flags {series} since {since}.{expl}"),
                        "No rule threshold is crossed yet, but the series departs from its learned range; it often precedes replication or lag trouble.".into(),
                        "A change in traffic, a slow broker or consumer, or a deploy; the explanation gives the observed and expected values.".into(),
                        steps,
                    )
                }
            };

        let mut impact = impact;
        let mut what = what;
        let mut headline = headline;
        let mut cause = cause;
        // Replicas a broker that is up lists offline: a failed log
        // directory, whichever replication state it left behind.
        let failed = failed_log_dirs(inc);
        if !failed.is_empty()
            && matches!(
                inc.kind,
                FindingKind::UnderReplicated
                    | FindingKind::AtMinIsr
                    | FindingKind::UnderMinIsr
                    | FindingKind::PartitionOffline
            )
        {
            let ids: Vec<String> = failed.iter().map(|b| b.to_string()).collect();
            let (is, lists) = if failed.len() == 1 {
                ("is", "lists")
            } else {
                ("are", "list")
            };
            cause = format!(
                "{} {is} up but {lists} these replicas offline: a log directory failed (a disk error, a full disk or a filesystem gone read-only). Kafka keeps those replicas offline until the directory is repaired and the broker restarted.",
                capitalize(&broker_words(&failed))
            );
            steps.splice(
                0..0,
                [
                    format!("See which directory failed (error KAFKA_STORAGE_ERROR): kafka-log-dirs.sh --bootstrap-server $BOOTSTRAP --describe --broker-list {}", ids.join(",")),
                    format!("Repair or replace the disk and restart {}, or move its replicas to other brokers (kafka-reassign-partitions.sh).", broker_words(&failed)),
                ],
            );
        }
        if resolved {
            headline = format!("Resolved: {headline}");
            what = format!("{what} It lasted {lasted} and is now resolved.");
            impact = format!("No longer ongoing. While it lasted: {impact}");
            steps = resolved_steps(inc.kind, &e);
        } else {
            match reason {
                NotifyReason::Escalated => {
                    headline = format!("Escalated to {}: {headline}", inc.severity)
                }
                NotifyReason::DeEscalated => {
                    headline = format!("Eased to {}: {headline}", inc.severity)
                }
                NotifyReason::Reminder => {
                    headline = format!("Still firing after {lasted}: {headline}")
                }
                NotifyReason::Flapping => {
                    headline = format!("Flapping: {headline}");
                    what = format!(
                        "{what} It keeps coming back: the incident stays open until it has been stable for a while."
                    );
                }
                _ => {}
            }
        }
        steps.truncate(8);
        Summary {
            headline: truncate_chars(&headline, 150),
            what_happened: what,
            impact,
            likely_cause: cause,
            next_steps: steps,
            source: SummarySource::Template,
            fallback_reason: None,
        }
    }
}

/// The brokers the incident's findings name as up yet listing a replica
/// offline (`Label::FailedLogDir`), in order, each once.
fn failed_log_dirs(inc: &Incident) -> Vec<i32> {
    let mut ids: Vec<i32> = inc
        .findings
        .iter()
        .filter_map(|f| f.label(Label::FailedLogDir))
        .flat_map(|l| l.split(',').filter_map(|b| b.trim().parse().ok()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Cuts `s` at `max` characters, ending with `…` when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn topics_phrase(e: &Entities) -> String {
    if e.topics.is_empty() {
        String::new()
    } else {
        format!(
            " in {} {}",
            if e.topics.len() == 1 {
                "topic"
            } else {
                "topics"
            },
            name_list(&e.topics, 5)
        )
    }
}

fn partitions_phrase(e: &Entities) -> String {
    if e.partitions.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = e
        .partitions
        .iter()
        .take(5)
        .map(|(t, p)| format!("\"{}\" partition {p}", cap_name(t)))
        .collect();
    let more = e.partitions.len().saturating_sub(5);
    let mut s = format!(" ({}", shown.join(", "));
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s.push(')');
    s
}

fn one_partition_flags(e: &Entities) -> String {
    match e.partitions.first() {
        Some((t, p)) => format!(" --topic {} --partition {p}", shell_quote(t)),
        None => " --topic TOPIC --partition N".into(),
    }
}

fn impact_for_partitions(inc: &Incident) -> String {
    let off = count(inc, FindingKind::PartitionOffline);
    let umi = count(inc, FindingKind::UnderMinIsr);
    let mut s = Vec::new();
    if off > 0 {
        s.push(format!(
            "{} offline: nothing can be read or written there.",
            plural(off, "partition is", "partitions are")
        ));
    }
    if umi > 0 {
        s.push(format!(
            "{} below min.insync.replicas: producers using acks=all fail.",
            plural(umi, "partition is", "partitions are")
        ));
    }
    if s.is_empty() {
        s.push("Partitions it hosted run with fewer in-sync replicas; another failure could make them unwritable or offline.".into());
    }
    s.join(" ")
}

fn lag_cause(status: &str) -> &'static str {
    match status.to_ascii_uppercase().as_str() {
        "STOP" => "The consumers stopped committing: the application is down, crashed or was scaled to zero.",
        "STALL" => "The consumers commit the same offset while data waits: stuck on a message (poison pill) or blocked processing.",
        "REWIND" => "The committed offset moved backwards: an offset reset or a redeploy replaying data.",
        "ERR" => "The consumers fall further behind: processing slower than the produce rate, or too few consumers.",
        _ => "The consumers are slower than the produce rate: a traffic increase, slow processing or a rebalance.",
    }
}

fn resolved_steps(kind: FindingKind, e: &Entities) -> Vec<String> {
    let mut steps = vec![format!(
        "Confirm nothing is left: {DESCRIBE} --under-replicated-partitions"
    )];
    match kind {
        FindingKind::BrokerDown | FindingKind::LeaderImbalance => steps.push(
            "Restore preferred leaders if needed: kafka-leader-election.sh --bootstrap-server $BOOTSTRAP --election-type preferred --all-topic-partitions".into(),
        ),
        FindingKind::UnreadDataDeleted => {
            if let Some(g) = e.groups.first() {
                steps = vec![format!(
                    "Confirm its committed offsets are at or past the log start: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {}",
                    shell_quote(g)
                )];
            }
        }
        FindingKind::ConsumerLag => {
            if let Some(g) = e.groups.first() {
                steps = vec![format!(
                    "Confirm the lag is gone: kafka-consumer-groups.sh --bootstrap-server $BOOTSTRAP --describe --group {}",
                    shell_quote(g)
                )];
            }
        }
        FindingKind::ClusterUnreachable | FindingKind::NoController | FindingKind::ControllerUnstable => steps.push(
            "Check the quorum: kafka-metadata-quorum.sh --bootstrap-server $BOOTSTRAP describe --status".into(),
        ),
        _ => {}
    }
    steps.push("Write down the cause for the post-incident review.".into());
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            join_words(&["1".into(), "2".into(), "3".into()]),
            "1, 2 and 3"
        );
        assert_eq!(duration_words(3725), "1h 2m");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
    }
}
