//! The facts document sent to the LLM, built from an [`Incident`]'s
//! structured fields only, and the optional anonymization of names.
//!
//! Names that come from the cluster (topics, groups, label values such as
//! client ids or hosts) are untrusted. They only ever appear as JSON string
//! values inside the facts (so `serde_json` escapes them), capped at
//! [`MAX_NAME_CHARS`] characters, with control characters replaced.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::finding::Subject;
use crate::model::{Incident, NotifyReason};

/// Longest name (in characters) that goes into the facts.
pub const MAX_NAME_CHARS: usize = 120;
/// Most findings listed in the facts (the counts carry the totals).
const MAX_FINDINGS: usize = 20;
/// Most partitions listed in the facts.
const MAX_PARTITIONS: usize = 30;
/// Most timeline events listed (the latest ones).
const MAX_TIMELINE: usize = 10;

/// Caps a name at [`MAX_NAME_CHARS`] characters and replaces control and
/// invisible formatting characters by `?`.
pub fn cap_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| if is_unsafe_char(c) { '?' } else { c })
        .collect();
    if s.chars().count() > MAX_NAME_CHARS {
        out.push('…');
    }
    out
}

/// Control characters and invisible formatting (zero-width, bidi overrides).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Characters that can belong to a Kafka-style name or identifier token.
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Replaces every whole-token occurrence of each `from` by its `to`, longest
/// `from` first. A match counts only when not glued to other name
/// characters (a trailing sentence `.` is fine).
pub fn replace_names(text: &str, pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().filter(|(f, _)| !f.is_empty()).collect();
    sorted.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    // One left-to-right scan so that replaced text is never matched again.
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let bytes_len = text.len();
    'scan: while i < bytes_len {
        let rest = &text[i..];
        let before = text[..i].chars().next_back();
        let before_ok = before.is_none_or(|c| !is_name_char(c));
        if before_ok {
            for (from, to) in &sorted {
                if rest.starts_with(from.as_str()) {
                    let after = &rest[from.len()..];
                    let mut it = after.chars();
                    let after_ok = match it.next() {
                        None => true,
                        Some('.') => it.next().is_none_or(|c| !is_name_char(c)),
                        Some(c) => !is_name_char(c),
                    };
                    if after_ok {
                        out.push_str(to);
                        i += from.len();
                        continue 'scan;
                    }
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Maps untrusted names to placeholders (`topic-1`, `group-1`, ...) when
/// anonymizing, or to their capped form otherwise.
#[derive(Debug, Default, Clone)]
pub struct Names {
    anonymize: bool,
    /// real (capped) → sent form
    map: BTreeMap<String, String>,
    counters: BTreeMap<&'static str, usize>,
}

impl Names {
    fn new(anonymize: bool) -> Self {
        Names {
            anonymize,
            ..Names::default()
        }
    }

    /// The form of `real` that is sent; registers it.
    fn name(&mut self, class: &'static str, real: &str) -> String {
        let capped = cap_name(real);
        if !self.anonymize {
            self.map.entry(capped.clone()).or_insert(capped.clone());
            return capped;
        }
        if let Some(p) = self.map.get(&capped) {
            return p.clone();
        }
        let n = self.counters.entry(class).or_insert(0);
        *n += 1;
        let p = format!("{class}-{n}");
        self.map.insert(capped, p.clone());
        p
    }

    /// Free text (timeline detail, anomaly explanation): control characters
    /// replaced, capped, and known names replaced by their sent form.
    fn text(&self, s: &str, cap: usize) -> String {
        let cleaned: String = s
            .chars()
            .take(cap)
            .map(|c| if is_unsafe_char(c) { ' ' } else { c })
            .collect();
        if !self.anonymize {
            return cleaned;
        }
        let pairs: Vec<(String, String)> = self
            .map
            .iter()
            .map(|(r, p)| (r.clone(), p.clone()))
            .collect();
        replace_names(&cleaned, &pairs)
    }

    /// The names as they appear in the facts (placeholders when anonymizing).
    pub fn sent_names(&self) -> Vec<String> {
        self.map.values().cloned().collect()
    }

    /// (placeholder, real) pairs to restore an answer; empty without anonymization.
    pub fn restore_pairs(&self) -> Vec<(String, String)> {
        if !self.anonymize {
            return Vec::new();
        }
        self.map
            .iter()
            .map(|(r, p)| (p.clone(), r.clone()))
            .collect()
    }

    /// Replaces placeholders in `text` by the real names.
    pub fn restore(&self, text: &str) -> String {
        if !self.anonymize {
            return text.to_string();
        }
        replace_names(text, &self.restore_pairs())
    }
}

/// The facts of one incident as sent, plus what is needed to check and
/// restore the answer.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The JSON document sent to the LLM.
    pub doc: Value,
    /// Name mapping (identity unless anonymizing).
    pub names: Names,
    /// Broker ids present in the facts.
    pub broker_ids: BTreeSet<i64>,
    /// Partition numbers present in the facts.
    pub partitions: BTreeSet<i64>,
}

fn subject_json(s: &Subject, names: &mut Names) -> Value {
    match s {
        Subject::Cluster => json!({"type": "cluster"}),
        Subject::Broker { id } => json!({"type": "broker", "id": id}),
        Subject::Topic { topic } => json!({"type": "topic", "topic": names.name("topic", topic)}),
        Subject::Partition { topic, partition } => {
            json!({"type": "partition", "topic": names.name("topic", topic), "partition": partition})
        }
        Subject::Group { group } => json!({"type": "group", "group": names.name("group", group)}),
        Subject::Series { series } => json!({"type": "series", "series": names.text(series, 200)}),
    }
}

/// Builds the facts document. `hints` are runbook commands (from the
/// template) offered to the model; they are built from the same names.
pub fn build_facts(
    incident: &Incident,
    reason: NotifyReason,
    hints: &[String],
    anonymize: bool,
) -> Facts {
    let mut names = Names::new(anonymize);
    let mut broker_ids = BTreeSet::new();
    let mut partitions = BTreeSet::new();

    // Register names first, so free text can be anonymized consistently.
    names.name("cluster", &incident.cluster);
    for t in &incident.affected.topics {
        names.name("topic", t);
    }
    for (t, _) in &incident.affected.partitions {
        names.name("topic", t);
    }
    for g in &incident.affected.groups {
        names.name("group", g);
    }
    for f in &incident.findings {
        match &f.subject {
            Subject::Topic { topic } | Subject::Partition { topic, .. } => {
                names.name("topic", topic);
            }
            Subject::Group { group } => {
                names.name("group", group);
            }
            _ => {}
        }
        for (k, v) in &f.labels {
            if !k.is_machine_word() {
                names.name("name", v);
            }
        }
    }
    if let Subject::Topic { topic } | Subject::Partition { topic, .. } = &incident.root {
        names.name("topic", topic);
    }
    if let Subject::Group { group } = &incident.root {
        names.name("group", group);
    }

    let mut add_subject_ids = |s: &Subject| match s {
        Subject::Broker { id } => {
            broker_ids.insert(*id as i64);
        }
        Subject::Partition { partition, .. } => {
            partitions.insert(*partition as i64);
        }
        _ => {}
    };
    add_subject_ids(&incident.root);
    for f in &incident.findings {
        add_subject_ids(&f.subject);
    }
    for b in &incident.affected.brokers {
        broker_ids.insert(*b as i64);
    }
    for (_, p) in &incident.affected.partitions {
        partitions.insert(*p as i64);
    }

    let cluster = names.name("cluster", &incident.cluster);
    let root = subject_json(&incident.root, &mut names);
    let topics: Vec<String> = incident
        .affected
        .topics
        .iter()
        .map(|t| names.name("topic", t))
        .collect();
    let groups: Vec<String> = incident
        .affected
        .groups
        .iter()
        .map(|g| names.name("group", g))
        .collect();
    let parts: Vec<Value> = incident
        .affected
        .partitions
        .iter()
        .take(MAX_PARTITIONS)
        .map(|(t, p)| json!({"topic": names.name("topic", t), "partition": p}))
        .collect();
    let counts: Map<String, Value> = incident
        .counts
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), json!(v)))
        .collect();

    let mut findings = Vec::new();
    for f in incident.findings.iter().take(MAX_FINDINGS) {
        for b in &f.brokers {
            broker_ids.insert(*b as i64);
        }
        let labels: Map<String, Value> = f
            .labels
            .iter()
            .map(|(k, v)| {
                let sent = if k.is_machine_word() {
                    cap_name(v)
                } else {
                    names.name("name", v)
                };
                (k.as_str().to_string(), Value::String(sent))
            })
            .collect();
        let metrics: Map<String, Value> = f
            .metrics
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.as_str().to_string(), json!(round3(*v))))
            .collect();
        let mut obj = json!({
            "kind": f.kind.as_str(),
            "severity": f.severity.as_str(),
            "subject": subject_json(&f.subject, &mut names),
            "brokers": f.brokers,
            "metrics": metrics,
            "labels": labels,
            "since": f.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        if let Some(a) = &f.anomaly {
            obj["anomaly"] = json!({
                "series": names.text(&a.series, 200),
                "score": round3(a.score),
                "observed": round3(a.observed),
                "expected_low": round3(a.expected_low),
                "expected_high": round3(a.expected_high),
                "explanation": names.text(&a.explanation, 300),
            });
        }
        findings.push(obj);
    }

    let skip = incident.timeline.len().saturating_sub(MAX_TIMELINE);
    let timeline: Vec<Value> = incident
        .timeline
        .iter()
        .skip(skip)
        .map(|e| {
            json!({
                "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "event": cap_name(&e.event),
                "detail": names.text(&e.detail, 300),
            })
        })
        .collect();

    let end = incident.resolved_at.unwrap_or(incident.updated_at);
    let secs = (end - incident.started_at).num_seconds().max(0);
    let hints: Vec<Value> = hints
        .iter()
        .map(|h| Value::String(names.text(h, 400)))
        .collect();

    let doc = json!({
        "cluster": cluster,
        "kind": incident.kind.as_str(),
        "state": incident.state.as_str(),
        "notify_reason": reason.as_str(),
        "severity": incident.severity.as_str(),
        "root": root,
        "started_at": incident.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "resolved_at": incident.resolved_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "duration_seconds": secs,
        "duration_minutes": (secs as f64 / 60.0).round(),
        "affected": {
            "brokers": incident.affected.brokers,
            "topics": topics,
            "partition_count": incident.affected.partition_count,
            "partitions": parts,
            "groups": groups,
        },
        "counts": counts,
        "findings": findings,
        "timeline": timeline,
        "runbook_hints": hints,
    });
    Facts {
        doc,
        names,
        broker_ids,
        partitions,
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_respects_token_boundaries() {
        let pairs = vec![
            ("orders".to_string(), "topic-1".to_string()),
            ("orders-eu".to_string(), "topic-2".to_string()),
        ];
        assert_eq!(
            replace_names("orders, orders-eu and orders-v2. Also orders.", &pairs),
            "topic-1, topic-2 and orders-v2. Also topic-1."
        );
        // Replaced text is never matched again.
        let pairs = vec![
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "c".to_string()),
        ];
        assert_eq!(replace_names("a b", &pairs), "b c");
    }

    #[test]
    fn names_are_capped_and_cleaned() {
        let long = "x".repeat(500);
        assert_eq!(cap_name(&long).chars().count(), MAX_NAME_CHARS + 1);
        assert_eq!(cap_name("a\u{202E}b\nc"), "a?b?c");
    }
}
