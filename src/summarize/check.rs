//! Checks on an LLM answer before it is used: schema validation,
//! sanitization (mentions, links, markup, control characters, lengths),
//! grounding against the facts, and a contradiction check.
//!
//! # Grounding rules
//!
//! The answer's text (after sanitization) is tokenized into runs of
//! letters, digits, `.`, `_` and `-`, once every name present in the facts
//! has been blanked out. Then:
//! - A number after `broker`/`brokers`/`node`/`nodes`/`--broker-list`
//!   (and the numbers listed after it with `,`/`and`/`or`) must be a broker
//!   id of the facts; after `partition`/`partitions`/`--partition`, a
//!   partition number of the facts.
//! - Any other number (also with a unit such as `10s`, `5m`, `40%`, `1.2k`)
//!   must equal a number of the facts, within rounding (0.5 or 1%), or be a
//!   percentage of a fraction in the facts, or minutes/hours of a
//!   `*seconds` fact. Exceptions: 0 to 3 (models write "1 more failure",
//!   "2 replicas", "step 3"; larger counts must be grounded) and the
//!   well-known ports 9092, 9093 and 2181.
//! - The word right after `topic`/`topics`/`group`/`groups` (and
//!   `--topic`, `--group`, `--entity-name`) must be a name from the facts,
//!   a word of the facts, or a common English word from a fixed list; an
//!   unknown word there is an invented name.
//! - A token with a digit, `_` or an inner `.` (name-like) must be a word of
//!   the facts, a Kafka CLI script (`kafka-*.sh`, `zookeeper-*.sh`), or a
//!   known Kafka configuration key.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::facts::{is_name_char, is_unsafe_char, replace_names, Facts};
use super::template::truncate_chars;

/// Longest headline accepted.
pub const MAX_HEADLINE: usize = 150;
/// Most next steps accepted.
pub const MAX_STEPS: usize = 8;
/// Longest next step kept.
pub const MAX_STEP_CHARS: usize = 400;

/// The structured answer the LLM is asked for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Answer {
    /// One line, at most [`MAX_HEADLINE`] characters.
    pub headline: String,
    /// What happened, in 1 to 3 sentences.
    pub what_happened: String,
    /// What it breaks.
    pub impact: String,
    /// The most likely cause.
    pub likely_cause: String,
    /// 1 to [`MAX_STEPS`] actions, with Kafka CLI commands.
    pub next_steps: Vec<String>,
}

/// The JSON schema of [`Answer`], as sent to every provider. Length
/// limits are stated in descriptions (not every provider's strict mode
/// accepts `maxLength`) and enforced by [`validate`].
pub fn answer_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "headline": {"type": "string", "description": "One line, at most 150 characters."},
            "what_happened": {"type": "string", "description": "1-3 sentences."},
            "impact": {"type": "string", "description": "What it breaks for producers, consumers or durability. 1-2 sentences."},
            "likely_cause": {"type": "string", "description": "The most likely cause given the facts. 1-2 sentences."},
            "next_steps": {
                "type": "array",
                "description": "1 to 8 concrete actions, each with the Kafka CLI command that helps.",
                "items": {"type": "string"}
            }
        },
        "required": ["headline", "what_happened", "impact", "likely_cause", "next_steps"],
        "additionalProperties": false
    })
}

/// Schema checks on the raw answer.
pub fn validate(a: &Answer) -> Result<(), String> {
    let hl = a.headline.trim().chars().count();
    if hl == 0 {
        return Err("empty headline".into());
    }
    if hl > MAX_HEADLINE {
        return Err(format!("headline has {hl} characters (max {MAX_HEADLINE})"));
    }
    for (name, v) in [
        ("what_happened", &a.what_happened),
        ("impact", &a.impact),
        ("likely_cause", &a.likely_cause),
    ] {
        if v.trim().is_empty() {
            return Err(format!("empty {name}"));
        }
    }
    if a.next_steps.is_empty() || a.next_steps.len() > MAX_STEPS {
        return Err(format!(
            "{} next steps (expected 1 to {MAX_STEPS})",
            a.next_steps.len()
        ));
    }
    if a.next_steps.iter().any(|s| s.trim().is_empty()) {
        return Err("empty next step".into());
    }
    Ok(())
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

/// URLs present anywhere in a JSON document.
pub fn urls_in(doc: &Value) -> BTreeSet<String> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let mut out = BTreeSet::new();
    walk_strings(doc, &mut |s| {
        for m in re(&URL, r"(?i)\bhttps?://[^\s<>()\[\]|`]+").find_iter(s) {
            out.insert(m.as_str().trim_end_matches(['.', ',']).to_string());
        }
    });
    out
}

fn walk_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            f(k);
            walk_strings(x, f)
        }),
        _ => {}
    }
}

/// Removes Slack mentions, links not in `allowed_urls`, Markdown/HTML/Slack
/// markup and control characters; collapses whitespace; caps at `cap`
/// characters.
pub fn sanitize(text: &str, allowed_urls: &BTreeSet<String>, cap: usize) -> String {
    static SLACK_SPECIAL: OnceLock<Regex> = OnceLock::new();
    static SLACK_LINK: OnceLock<Regex> = OnceLock::new();
    static MD_LINK: OnceLock<Regex> = OnceLock::new();
    static HTML: OnceLock<Regex> = OnceLock::new();
    static URL: OnceLock<Regex> = OnceLock::new();
    static MENTION: OnceLock<Regex> = OnceLock::new();
    static HEADING: OnceLock<Regex> = OnceLock::new();
    let keep = |url: &str| {
        let u = url.trim_end_matches(['.', ',']);
        allowed_urls.contains(u)
    };
    let mut s: String = text
        .chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect();
    // Loop to a fixed point: removing one construct must not assemble another.
    for _ in 0..5 {
        let before = s.clone();
        s = re(&SLACK_SPECIAL, r"<\s*[!@#][^>]*>")
            .replace_all(&s, "")
            .into_owned();
        s = re(
            &SLACK_LINK,
            r"<\s*([a-zA-Z][a-zA-Z0-9+.-]*:[^|>]*)(?:\|([^>]*))?>",
        )
        .replace_all(&s, |c: &regex::Captures| {
            let url = c.get(1).map_or("", |m| m.as_str()).trim();
            let text = c.get(2).map_or("", |m| m.as_str());
            match (keep(url), text.is_empty()) {
                (true, true) => url.to_string(),
                (true, false) => format!("{text} ({url})"),
                (false, _) => text.to_string(),
            }
        })
        .into_owned();
        s = re(&MD_LINK, r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
            .replace_all(&s, |c: &regex::Captures| {
                let text = c.get(1).map_or("", |m| m.as_str());
                let url = c.get(2).map_or("", |m| m.as_str());
                if keep(url) {
                    format!("{text} ({url})")
                } else {
                    text.to_string()
                }
            })
            .into_owned();
        s = re(&HTML, r"</?[a-zA-Z][^<>]*>")
            .replace_all(&s, "")
            .into_owned();
        s = re(
            &URL,
            r"(?i)\b(?:https?|ftp|file|javascript|data|mailto|slack):(?://)?[^\s<>()\[\]|`]*",
        )
        .replace_all(&s, |c: &regex::Captures| {
            let u = c.get(0).map_or("", |m| m.as_str());
            if keep(u) {
                u.to_string()
            } else {
                String::new()
            }
        })
        .into_owned();
        s = re(&MENTION, r"(?i)@+(here|channel|everyone)\b")
            .replace_all(&s, "")
            .into_owned();
        s = re(&HEADING, r"(?m)^\s*(#{1,6}|>+|[-*+]|\d+[.)])\s+")
            .replace_all(&s, "")
            .into_owned();
        s = s.replace("**", "").replace("~~", "").replace('`', "");
        if s == before {
            break;
        }
    }
    // Whatever angle brackets are left can no longer form Slack syntax.
    let s = s.replace(['<', '>'], "");
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&collapsed, cap)
}

/// Kafka configuration keys and other dotted/underscored words an answer
/// may use without them being in the facts.
const KNOWN_WORDS: &[&str] = &[
    "min.insync.replicas",
    "replica.lag.time.max.ms",
    "unclean.leader.election.enable",
    "auto.offset.reset",
    "auto.leader.rebalance.enable",
    "leader.imbalance.per.broker.percentage",
    "leader.imbalance.check.interval.seconds",
    "num.replica.fetchers",
    "replica.fetch.max.bytes",
    "replication.factor",
    "default.replication.factor",
    "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "log.dirs",
    "log.dir",
    "log.retention.hours",
    "retention.ms",
    "retention.bytes",
    "broker.id",
    "node.id",
    "process.roles",
    "controller.quorum.voters",
    "zookeeper.connect",
    "zookeeper.session.timeout.ms",
    "session.timeout.ms",
    "max.poll.interval.ms",
    "max.poll.records",
    "heartbeat.interval.ms",
    "auto.offset.reset",
    "enable.auto.commit",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "security.protocol",
    "sasl.mechanism",
    "server.properties",
    "__consumer_offsets",
    "__transaction_state",
    "__cluster_metadata",
    "e.g",
    "i.e",
    "etc",
    "p99",
    "p95",
    "p999",
    "log4j",
    "log4j2",
    "ipv4",
    "ipv6",
    "utf-8",
    "acks",
    "bootstrap",
];

/// Words that may follow `topic`/`group` without being a name.
const NAME_CONTEXT_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "has",
    "have",
    "had",
    "and",
    "or",
    "of",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "to",
    "with",
    "without",
    "as",
    "that",
    "which",
    "who",
    "whose",
    "it",
    "its",
    "this",
    "these",
    "those",
    "their",
    "there",
    "may",
    "might",
    "can",
    "could",
    "will",
    "would",
    "should",
    "must",
    "not",
    "no",
    "all",
    "any",
    "each",
    "every",
    "some",
    "more",
    "most",
    "less",
    "partitions",
    "partition",
    "leaders",
    "leader",
    "leadership",
    "replicas",
    "replica",
    "replication",
    "lag",
    "lags",
    "lagging",
    "offsets",
    "offset",
    "name",
    "names",
    "level",
    "metadata",
    "configuration",
    "config",
    "configs",
    "data",
    "traffic",
    "producers",
    "producer",
    "consumers",
    "consumer",
    "members",
    "member",
    "coordinator",
    "coordinators",
    "state",
    "status",
    "remains",
    "remain",
    "stays",
    "still",
    "now",
    "also",
    "so",
    "then",
    "than",
    "because",
    "since",
    "while",
    "when",
    "where",
    "after",
    "before",
    "during",
    "until",
    "via",
    "using",
    "list",
    "lists",
    "describe",
    "details",
    "health",
    "throughput",
    "writes",
    "reads",
    "isr",
    "isrs",
    "id",
    "ids",
    "count",
    "counts",
    "size",
    "sizes",
    "settings",
    "setting",
    "retention",
    "stopped",
    "stalled",
    "fell",
    "falling",
    "behind",
    "show",
    "shows",
    "showed",
    "appear",
    "appears",
    "seems",
    "seem",
    "assignment",
    "assignments",
    "commits",
    "committed",
    "committing",
    "rebalance",
    "rebalancing",
    "processing",
    "progress",
    "backlog",
    "activity",
    "owner",
    "owners",
    "ingest",
    "one",
    "two",
    "three",
    "several",
    "many",
    "few",
    "other",
    "others",
    "affected",
    "involved",
    "listed",
    "above",
    "below",
    "here",
    "itself",
    "s",
    "if",
    "but",
    "do",
    "does",
    "did",
    "entity-type",
    "entity-name",
    "topics",
    "groups",
    "group",
    "topic",
    "describe",
    "members",
    "verbose",
    "offline",
    "under-replicated",
    "under-min-isr-partitions",
    "under-replicated-partitions",
    "unavailable-partitions",
    "at-min-isr-partitions",
];

/// Well-known numbers allowed without being in the facts (ports).
const KNOWN_NUMBERS: &[f64] = &[9092.0, 9093.0, 2181.0];

const MARKER: &str = "__known__";

/// Everything the grounding check compares an answer against.
pub struct Grounding {
    names: Vec<(String, String)>,
    numbers: Vec<f64>,
    words: HashSet<String>,
    broker_ids: BTreeSet<i64>,
    partitions: BTreeSet<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    None,
    Broker,
    Partition,
    Name,
    /// Right after a known name.
    AfterName,
}

fn parse_number(tok: &str) -> Option<f64> {
    if tok.is_empty() || !tok.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if tok.starts_with('.') || tok.ends_with('.') || tok.matches('.').count() > 1 {
        return None;
    }
    tok.parse().ok()
}

/// A number with a short unit suffix: `10s`, `5m`, `1.2k`, `3x`, `2nd`, `4GB`.
fn number_with_unit(tok: &str) -> Option<f64> {
    let split = tok.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = tok.split_at(split);
    let n = parse_number(num)?;
    let unit = unit.to_ascii_lowercase();
    let mult = match unit.as_str() {
        "k" => 1_000.0,
        "ms" | "s" | "sec" | "secs" | "m" | "min" | "mins" | "h" | "hr" | "hrs" | "d" | "x"
        | "st" | "nd" | "rd" | "th" | "gb" | "mb" | "kb" | "tb" | "gib" | "mib" | "kib" => 1.0,
        _ => return None,
    };
    Some(n * mult)
}

impl Grounding {
    /// Gathers names, numbers and words from the facts as sent.
    pub fn new(facts: &Facts) -> Grounding {
        let mut numbers = Vec::new();
        let mut words = HashSet::new();
        collect(&facts.doc, None, &mut numbers, &mut words);
        let mut names: Vec<(String, String)> = facts
            .names
            .sent_names()
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| (n, format!(" {MARKER} ")))
            .collect();
        // Anomaly series names are names too (`group_lag{group="x"}`).
        walk_series(&facts.doc, &mut |s| {
            names.push((s.to_string(), format!(" {MARKER} ")))
        });
        Grounding {
            names,
            numbers,
            words,
            broker_ids: facts.broker_ids.clone(),
            partitions: facts.partitions.clone(),
        }
    }

    fn number_ok(&self, n: f64) -> bool {
        if (0.0..=3.0).contains(&n) && n.fract() == 0.0 {
            return true;
        }
        if KNOWN_NUMBERS.contains(&n) {
            return true;
        }
        self.numbers.iter().any(|&f| {
            let tol = (0.01 * f.abs()).max(0.5);
            (n - f).abs() <= tol || (f.abs() <= 1.0 && (n - f * 100.0).abs() <= 0.5)
        })
    }

    fn word_known(&self, lower: &str) -> bool {
        self.words.contains(lower)
            || KNOWN_WORDS.contains(&lower)
            || ((lower.starts_with("kafka-") || lower.starts_with("zookeeper-"))
                && lower.ends_with(".sh"))
            || lower.ends_with(".properties")
            || lower.ends_with(".log")
    }

    /// `text` with every name of the facts blanked out (for checks that
    /// must not see names, such as [`contradiction`]).
    pub fn blank(&self, text: &str) -> String {
        replace_names(text, &self.names)
    }

    /// `Ok` when every identifier and number of `text` is grounded; else
    /// the first offending token.
    pub fn check(&self, text: &str) -> Result<(), String> {
        static THOUSANDS: OnceLock<Regex> = OnceLock::new();
        let blanked = replace_names(text, &self.names);
        let blanked = re(&THOUSANDS, r"(\d),(\d{3})\b")
            .replace_all(&blanked, "$1$2")
            .into_owned();
        let mut ctx = Ctx::None;
        for raw in blanked.split(|c: char| !(is_name_char(c) || c == '%')) {
            if raw.is_empty() {
                continue;
            }
            let flag = raw.starts_with("--");
            let core = raw.trim_matches(|c| c == '.' || c == '-' || c == '%');
            if core.is_empty() {
                continue;
            }
            let lower = core.to_lowercase();
            if flag {
                ctx = match lower.as_str() {
                    "broker-list" | "broker" | "broker-id" | "node-id" | "broker-ids" => {
                        Ctx::Broker
                    }
                    "partition" | "partitions" => Ctx::Partition,
                    "topic" | "group" | "entity-name" | "topic-list" => Ctx::Name,
                    _ => Ctx::None,
                };
                continue;
            }
            // Numeric ranges like 0-5.
            let parts: Vec<&str> = core.split('-').collect();
            if parts.len() > 1 && parts.iter().all(|p| parse_number(p).is_some()) {
                for p in parts {
                    self.check_number(p, ctx)?;
                }
                continue;
            }
            if parse_number(core).is_some() {
                self.check_number(core, ctx)?;
                continue;
            }
            if let Some(n) = number_with_unit(core) {
                if !self.number_ok(n) {
                    return Err(format!("number {core:?} is not in the facts"));
                }
                ctx = Ctx::None;
                continue;
            }
            if core == MARKER {
                ctx = Ctx::AfterName; // "topics a, b and c": a list may follow
                continue;
            }
            if ctx == Ctx::AfterName {
                ctx = if lower == "and" || lower == "or" {
                    Ctx::Name
                } else {
                    Ctx::None
                };
            }
            let known = self.word_known(&lower);
            if ctx == Ctx::Name && !known && !NAME_CONTEXT_WORDS.contains(&lower.as_str()) {
                return Err(format!("name {core:?} is not in the facts"));
            }
            let inner_dot = core.contains('.');
            if (core.chars().any(|c| c.is_ascii_digit()) || core.contains('_') || inner_dot)
                && !known
            {
                return Err(format!("identifier {core:?} is not in the facts"));
            }
            ctx = match lower.as_str() {
                "broker" | "brokers" | "node" | "nodes" => Ctx::Broker,
                "partition" | "partitions" => Ctx::Partition,
                "topic" | "topics" | "group" | "groups" => Ctx::Name,
                "and" | "or" | "id" | "ids" | "s" => ctx,
                _ => Ctx::None,
            };
        }
        Ok(())
    }

    fn check_number(&self, tok: &str, ctx: Ctx) -> Result<(), String> {
        let Some(n) = parse_number(tok) else {
            return Ok(());
        };
        let ok = match ctx {
            Ctx::Broker => n.fract() == 0.0 && self.broker_ids.contains(&(n as i64)),
            Ctx::Partition => n.fract() == 0.0 && self.partitions.contains(&(n as i64)),
            Ctx::Name | Ctx::AfterName | Ctx::None => self.number_ok(n),
        };
        if ok {
            Ok(())
        } else {
            let what = match ctx {
                Ctx::Broker => "broker id",
                Ctx::Partition => "partition",
                _ => "number",
            };
            Err(format!("{what} {tok} is not in the facts"))
        }
    }
}

fn walk_series(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("series", Value::String(s)) => f(s),
                    _ => walk_series(x, f),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk_series(x, f)),
        _ => {}
    }
}

fn collect(v: &Value, key: Option<&str>, numbers: &mut Vec<f64>, words: &mut HashSet<String>) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                numbers.push(f);
                if key.is_some_and(|k| k.ends_with("seconds")) {
                    numbers.push(f / 60.0);
                    numbers.push(f / 3600.0);
                }
            }
        }
        Value::String(s) => {
            static DIGITS: OnceLock<Regex> = OnceLock::new();
            for m in re(&DIGITS, r"\d+(?:\.\d+)?").find_iter(s) {
                if let Ok(n) = m.as_str().parse() {
                    numbers.push(n);
                }
            }
            for tok in s.split(|c: char| !is_name_char(c)) {
                let core = tok.trim_matches(|c| c == '.' || c == '-');
                if core.is_empty() {
                    continue;
                }
                if parse_number(core).is_none() {
                    words.insert(core.to_lowercase());
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, key, numbers, words)),
        Value::Object(o) => {
            for (k, x) in o {
                words.insert(k.to_lowercase());
                collect(x, Some(k), numbers, words);
            }
        }
        _ => {}
    }
}

/// Phrases that contradict a firing incident (an injected "all is well").
const CONTRADICTIONS: &[&str] = &[
    "all is well",
    "all is fine",
    "all well",
    "everything is fine",
    "everything is ok",
    "everything is healthy",
    "no action needed",
    "no action required",
    "no action is needed",
    "no action is required",
    "nothing to do",
    "no issues",
    "no issue",
    "no problem",
    "false alarm",
    "can be ignored",
    "safe to ignore",
    "cluster is healthy",
];

/// `Err` when a summary of an ongoing incident says that all is well.
pub fn contradiction(texts: &[&str]) -> Result<(), String> {
    for t in texts {
        let lower = t.to_lowercase();
        if let Some(p) = CONTRADICTIONS.iter().find(|p| lower.contains(*p)) {
            return Err(format!("answer says {p:?} about an ongoing incident"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> BTreeSet<String> {
        BTreeSet::new()
    }

    #[test]
    fn strips_mentions_links_and_markup() {
        let allowed: BTreeSet<String> = ["https://grafana.example/d/1".to_string()].into();
        let s = sanitize(
            "<!here> **Broker 2** is down @channel, see <https://evil.example|this> and [docs](https://evil.example/x) or https://evil.example/y and https://grafana.example/d/1 <@U123ABC> <b>bold</b> `kafka-topics.sh`\u{0007}",
            &allowed,
            500,
        );
        assert_eq!(
            s,
            "Broker 2 is down , see this and docs or and https://grafana.example/d/1 bold kafka-topics.sh"
        );
        // Removing one construct never assembles another.
        assert_eq!(sanitize("<<!here>!here> x", &none(), 100), "x");
        assert_eq!(sanitize("@@here x", &none(), 100), "x");
        assert_eq!(sanitize("abcdef", &none(), 4), "abc…");
    }

    #[test]
    fn contradiction_phrases() {
        assert!(contradiction(&["All is well in the cluster."]).is_err());
        assert!(contradiction(&["Broker 2 is down."]).is_ok());
    }

    fn facts() -> Facts {
        use crate::finding::{Finding, FindingKind, Metric, Severity, Subject};
        use crate::model::{Affected, Incident, IncidentState, NotifyReason};
        use chrono::TimeZone;
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .unwrap();
        let f = Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            Severity::Warning,
            Subject::Group {
                group: "billing".into(),
            },
            t0,
        )
        .with_metric(Metric::TotalLag, 12345.0)
        .with_metric(Metric::MaxLagSeconds, 1800.0);
        let score = Finding::new(
            "prod",
            FindingKind::Anomaly,
            Severity::Warning,
            Subject::Series {
                series: "group_lag".into(),
            },
            t0,
        )
        .with_metric(Metric::Score, 0.93);
        let inc = Incident {
            id: "i".into(),
            fingerprint: "f".into(),
            cluster: "prod".into(),
            kind: FindingKind::ConsumerLag,
            root: Subject::Broker { id: 1 },
            title: String::new(),
            state: IncidentState::Firing,
            severity: Severity::Warning,
            started_at: t0,
            firing_since: None,
            resolved_at: None,
            updated_at: t0,
            affected: Affected {
                brokers: vec![1, 2],
                topics: vec!["orders".into()],
                partition_count: 1,
                partitions: vec![("orders".into(), 4)],
                groups: vec!["billing".into()],
            },
            counts: Default::default(),
            findings: vec![f, score],
            timeline: vec![],
            flapping: false,
            silenced_by: None,
            summary: None,
            labels: Default::default(),
            keyed_by: None,
        };
        crate::summarize::facts::build_facts(&inc, NotifyReason::Firing, &[], false)
    }

    #[test]
    fn grounding_rules() {
        let g = Grounding::new(&facts());
        for ok in [
            "Brokers 1 and 2 lost partition 4 of topic orders.",
            "Group billing is 12,345 messages (about 30 minutes, 0.5h) behind; score 93%.",
            "kafka-log-dirs.sh --bootstrap-server localhost:9092 --describe --broker-list 1,2",
            "kafka-consumer-groups.sh --describe --group billing; check max.poll.interval.ms and server.log.",
            "Since 10:00 UTC, 3 replicas; the topic is under-replicated, the group lags.",
            "Topics orders and orders are affected.",
        ] {
            assert_eq!(g.check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "Brokers 1, 2 and 5 are down.",
            "Partition 7 is offline.",
            "Topic payments is offline.",
            "Topics orders and payments are offline.",
            "kafka-topics.sh --describe --topic payments",
            "Group billing-v2 lags.",
            "Lag is 99999 messages.",
            "Check orders_archive.",
            "Set foo.bar.baz to 1.",
        ] {
            assert!(g.check(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn number_units() {
        assert_eq!(number_with_unit("10s"), Some(10.0));
        assert_eq!(number_with_unit("1.5k"), Some(1500.0));
        assert_eq!(number_with_unit("v2"), None);
    }
}
