//! ISR shrink and expand events from two consecutive snapshots.

use std::collections::HashMap;

use crate::snapshot::{ClusterSnapshot, IsrChange, IsrChangeKind, Time};

/// Which brokers left (shrink) or joined (expand) each partition's ISR
/// between `prev` and `cur`, stamped `at`.
///
/// Only partitions present in both snapshots are compared (a new or deleted
/// topic is not an ISR change). A partition that went offline keeps its ISR
/// as Kafka reports it (the last member stays listed), so going offline is
/// not reported as a shrink here. If either snapshot is unreachable there
/// is nothing to compare and the result is empty. Sorted by topic,
/// partition, then shrinks before expands, then broker id.
pub fn isr_changes(prev: &ClusterSnapshot, cur: &ClusterSnapshot, at: Time) -> Vec<IsrChange> {
    if !prev.reachable || !cur.reachable {
        return Vec::new();
    }
    let before: HashMap<(&str, i32), &[i32]> = prev
        .partitions()
        .map(|(t, p)| ((t.name.as_str(), p.partition), p.isr.as_slice()))
        .collect();
    let mut out = Vec::new();
    for (t, p) in cur.partitions() {
        let Some(old) = before.get(&(t.name.as_str(), p.partition)) else {
            continue;
        };
        let mut left: Vec<i32> = old.iter().copied().filter(|b| !p.isr.contains(b)).collect();
        let mut joined: Vec<i32> = p.isr.iter().copied().filter(|b| !old.contains(b)).collect();
        left.sort_unstable();
        joined.sort_unstable();
        for (brokers, kind) in [
            (left, IsrChangeKind::Shrink),
            (joined, IsrChangeKind::Expand),
        ] {
            for broker in brokers {
                out.push(IsrChange {
                    topic: t.name.clone(),
                    partition: p.partition,
                    broker,
                    kind,
                    at,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{PartitionInfo, TopicInfo};
    use chrono::TimeZone;

    fn snap(parts: &[(&str, i32, &[i32])]) -> ClusterSnapshot {
        let mut topics: Vec<TopicInfo> = Vec::new();
        for (t, p, isr) in parts {
            if topics.last().map(|x| x.name.as_str()) != Some(*t) {
                topics.push(TopicInfo {
                    name: t.to_string(),
                    ..Default::default()
                });
            }
            let last = topics.last_mut().expect("pushed above");
            last.partitions.push(PartitionInfo {
                partition: *p,
                leader: isr.first().copied(),
                replicas: vec![1, 2, 3],
                isr: isr.to_vec(),
                ..Default::default()
            });
        }
        ClusterSnapshot {
            reachable: true,
            topics,
            ..Default::default()
        }
    }

    fn at() -> Time {
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn no_change_no_events() {
        let a = snap(&[("t", 0, &[1, 2, 3])]);
        assert!(isr_changes(&a, &a.clone(), at()).is_empty());
    }

    #[test]
    fn shrink_and_expand_name_the_broker() {
        let a = snap(&[
            ("a", 0, &[1, 2, 3]),
            ("a", 1, &[1, 2]),
            ("b", 0, &[1, 2, 3]),
        ]);
        let b = snap(&[("a", 0, &[1, 3]), ("a", 1, &[2, 1, 3]), ("b", 0, &[3])]);
        let c = isr_changes(&a, &b, at());
        let got: Vec<(&str, i32, i32, IsrChangeKind)> = c
            .iter()
            .map(|x| (x.topic.as_str(), x.partition, x.broker, x.kind))
            .collect();
        use IsrChangeKind::*;
        assert_eq!(
            got,
            vec![
                ("a", 0, 2, Shrink),
                ("a", 1, 3, Expand),
                ("b", 0, 1, Shrink),
                ("b", 0, 2, Shrink)
            ]
        );
        assert!(c.iter().all(|x| x.at == at()));
    }

    #[test]
    fn simultaneous_swap_is_one_shrink_and_one_expand() {
        let a = snap(&[("t", 0, &[1, 2])]);
        let b = snap(&[("t", 0, &[1, 3])]);
        let c = isr_changes(&a, &b, at());
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].broker, c[0].kind), (2, IsrChangeKind::Shrink));
        assert_eq!((c[1].broker, c[1].kind), (3, IsrChangeKind::Expand));
    }

    #[test]
    fn new_or_deleted_partitions_and_unreachable_snapshots_are_ignored() {
        let a = snap(&[("t", 0, &[1, 2, 3])]);
        let b = snap(&[("t", 0, &[1, 2, 3]), ("t", 1, &[1]), ("u", 0, &[2])]);
        assert!(isr_changes(&a, &b, at()).is_empty());
        assert!(isr_changes(&b, &a, at()).is_empty());
        let down = ClusterSnapshot::default();
        assert!(isr_changes(&down, &a, at()).is_empty());
        assert!(isr_changes(&a, &down, at()).is_empty());
    }
}
