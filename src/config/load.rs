//! Parsing the configuration and collecting every problem at once.
//!
//! serde stops at the first error, so the loader deserializes from a
//! `toml::Table`, records the error with its key path
//! (`serde_path_to_error`), removes the offending key (or, for a missing
//! required key, the table that lacks it) and tries again, until the rest
//! deserializes. Semantic checks ([`Config::validate`]) then run on what is
//! left, and every problem gets its line from the spans `toml_edit` keeps.

use std::collections::BTreeMap;
use std::path::Path;

use serde_path_to_error::Segment;

use super::path::{self, Seg};
use super::secret::{looks_secret, redact_quoted};
use super::{read_file, Config, Problem, Problems};

/// More errors than this in one file and we stop looking for others.
const MAX_TYPE_ERRORS: usize = 100;

/// Reads, parses and validates a configuration file. The error lists every
/// problem found, each with its key path and line.
pub fn load(path: &Path) -> Result<Config, Problems> {
    let text = read_file(path)?;
    parse(&text, &path.display().to_string())
}

/// Parses and validates configuration text. `origin` names the text in a
/// syntax error (usually the file name).
pub fn parse(text: &str, origin: &str) -> Result<Config, Problems> {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            return Err(Problems(vec![Problem {
                path: origin.to_string(),
                line: e.span().map(|r| path::line_of_offset(text, r.start)),
                message: format!("TOML syntax error: {}", e.message().trim()),
            }]));
        }
    };
    let (mut config, mut problems, removed) = deserialize_all(table);
    if let Some(c) = &mut config {
        problems
            .0
            .extend(apply_env_fallbacks(c, |k| std::env::var(k).ok()));
    }
    if let Some(c) = &config {
        let type_errors: Vec<Vec<Seg>> = problems.iter().map(|p| path::parse(&p.path)).collect();
        for mut p in c.validate().0 {
            // Paths of what is left point into the file again.
            let orig = to_original(&path::parse(&p.path), &removed);
            if removed.contains_key(&orig) {
                // "Needs at least one entry" when the entries had errors: noise.
                continue;
            }
            if type_errors
                .iter()
                .any(|t| same_table_and_mentioned(t, &orig, &p.message))
            {
                // A cross-key check against a key that was dropped for its
                // own error (and so took its default): noise.
                continue;
            }
            if !orig.is_empty() {
                p.path = path::format(&orig);
            }
            p.message = remap_indices_in_text(&p.message, &removed);
            problems.0.push(p);
        }
    }
    fill_lines(&mut problems, text);
    // In file order, which is how people fix them; unknown lines last.
    problems
        .0
        .sort_by_key(|p| (p.line.is_none(), p.line.unwrap_or(0)));
    match config {
        Some(c) if problems.is_empty() => Ok(c),
        _ => Err(problems),
    }
}

/// Environment variable that fills `sidecar.broker` where the file leaves
/// it out: one config for every broker pod of a StatefulSet, each sidecar
/// told its broker id by its pod index (see `deploy/kubernetes/sidecar`).
pub const BROKER_ID_ENV: &str = "ISRWATCH_BROKER_ID";

/// Fills values the file leaves to the environment (only
/// [`BROKER_ID_ENV`] today). `env` looks a variable up, so tests need not
/// touch the process environment. A value that is not usable is a problem
/// naming the variable.
pub(crate) fn apply_env_fallbacks(
    c: &mut Config,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let needs = c
        .clusters
        .iter()
        .any(|k| k.sidecar.as_ref().is_some_and(|s| s.broker.is_none()));
    if !needs {
        return problems;
    }
    let Some(raw) = env(BROKER_ID_ENV).filter(|v| !v.trim().is_empty()) else {
        return problems;
    };
    match raw.trim().parse::<i32>() {
        Ok(id) if id >= 0 => {
            for s in c.clusters.iter_mut().filter_map(|k| k.sidecar.as_mut()) {
                s.broker.get_or_insert(id);
            }
        }
        _ => problems.push(Problem {
            path: BROKER_ID_ENV.to_string(),
            line: None,
            message: format!(
                "expected a broker id (a non-negative integer) for sidecar.broker, found {raw:?}"
            ),
        }),
    }
    problems
}

/// Messages may name another entry (`already used by clusters[0]`): give
/// such references the file's indices too.
fn remap_indices_in_text(message: &str, removed: &Removed) -> String {
    if removed.is_empty() {
        return message.to_string();
    }
    let Ok(re) = regex::Regex::new(r"\b([a-z_]+)\[(\d+)\]") else {
        return message.to_string();
    };
    re.replace_all(message, |c: &regex::Captures| {
        let index: usize = c[2].parse().unwrap_or(0);
        let orig = to_original(&[Seg::Key(c[1].to_string()), Seg::Index(index)], removed);
        path::format(&orig)
    })
    .into_owned()
}

/// True when `semantic` sits in the same table as the key of `type_error`
/// and its message names that key.
fn same_table_and_mentioned(type_error: &[Seg], semantic: &[Seg], message: &str) -> bool {
    match (type_error.split_last(), semantic.split_last()) {
        (Some((Seg::Key(k), t_parent)), Some((_, s_parent))) => {
            t_parent == s_parent && message.contains(k.as_str())
        }
        _ => false,
    }
}

/// Gives every problem without a line the line of its key path.
pub(crate) fn fill_lines(problems: &mut Problems, text: &str) {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return;
    };
    for p in &mut problems.0 {
        if p.line.is_none() {
            p.line = path::line_of_path(&doc, text, &path::parse(&p.path));
        }
    }
}

/// Deserializes, removing each offending key and retrying, so that every
/// type error is reported. Returns the config when what is left
/// deserializes, and the problems met on the way.
/// Array elements removed while deserializing, by original array path.
type Removed = BTreeMap<Vec<Seg>, Vec<usize>>;

fn deserialize_all(table: toml::Table) -> (Option<Config>, Problems, Removed) {
    let mut work = toml::Value::Table(table);
    let mut problems = Problems::default();
    // Array elements removed so far, by original array path: keeps the
    // indices in messages those of the file, not of the shrunk copy.
    let mut removed: Removed = BTreeMap::new();
    loop {
        let err = match serde_path_to_error::deserialize::<_, Config>(work.clone()) {
            Ok(mut c) => {
                super::validate::protect_inline_secrets(&mut c);
                return (Some(c), problems, removed);
            }
            Err(e) => e,
        };
        let work_path = segments(err.path());
        let raw = err.inner().message().trim().to_string();
        let Some(work_path) = work_path else {
            problems.push("", tidy_message(&raw, &[]));
            return (None, problems, removed);
        };
        let orig = to_original(&work_path, &removed);
        let (report_path, message, remove) = if let Some(field) = missing_field(&raw) {
            // serde reports a missing key at the table that lacks it; that
            // table cannot be used, so it goes.
            (
                orig.clone(),
                format!("missing required key \"{field}\""),
                work_path.clone(),
            )
        } else if let Some(field) = unknown_field(&raw) {
            // Depending on the serde path, the unknown key may or may not be
            // the last segment already.
            let (mut rp, mut rm) = (orig.clone(), work_path.clone());
            if rp.last() != Some(&Seg::Key(field.clone())) {
                rp.push(Seg::Key(field.clone()));
                rm.push(Seg::Key(field));
            }
            let msg = tidy_message(&raw, &rp);
            (rp, msg, rm)
        } else if let Some(key) = unknown_key_name(&raw, &work, &work_path) {
            // A map key outside a fixed list (`[incidents.for_kind]`):
            // serde reports it at the table; the key itself goes.
            let (mut rp, mut rm) = (orig.clone(), work_path.clone());
            rp.push(Seg::Key(key.clone()));
            rm.push(Seg::Key(key));
            let msg = tidy_message(&raw, &rp);
            (rp, msg, rm)
        } else {
            let msg = tidy_message(&raw, &orig);
            (orig.clone(), msg, work_path.clone())
        };
        // A key already reported for its type is not reported again as
        // missing once it was dropped.
        let already = missing_field(&raw).is_some_and(|f| {
            let mut field_path = orig.clone();
            field_path.push(Seg::Key(f));
            let field_path = path::format(&field_path);
            problems.iter().any(|p| p.path == field_path)
        });
        if !already {
            problems.0.push(Problem {
                path: path::format(&report_path),
                line: None,
                message,
            });
        }
        if remove.is_empty() || problems.len() >= MAX_TYPE_ERRORS {
            return (None, problems, removed);
        }
        match remove_at(&mut work, &remove) {
            Some(Seg::Index(_)) => {
                // Remember which original element went.
                let orig_remove = to_original(&remove, &removed);
                if let Some((Seg::Index(i), parent)) = orig_remove.split_last() {
                    let list = removed.entry(parent.to_vec()).or_default();
                    list.push(*i);
                    list.sort_unstable();
                }
            }
            Some(Seg::Key(_)) => {}
            None => return (None, problems, removed),
        }
    }
}

/// The serde path as our segments; `None` when it went through something
/// we cannot follow (untagged enums, flatten).
fn segments(p: &serde_path_to_error::Path) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for s in p.iter() {
        match s {
            Segment::Map { key } => out.push(Seg::Key(key.clone())),
            Segment::Seq { index } => out.push(Seg::Index(*index)),
            Segment::Enum { .. } => {}
            Segment::Unknown => return if out.is_empty() { None } else { Some(out) },
        }
    }
    Some(out)
}

/// Maps a path in the shrunk working copy back to the file's indices.
fn to_original(work: &[Seg], removed: &Removed) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::with_capacity(work.len());
    for seg in work {
        match seg {
            Seg::Index(k) => {
                let mut i = *k;
                if let Some(gone) = removed.get(&out) {
                    // The k-th surviving element: skip every removed index
                    // at or below the candidate.
                    for g in gone {
                        if *g <= i {
                            i += 1;
                        }
                    }
                }
                out.push(Seg::Index(i));
            }
            Seg::Key(_) => out.push(seg.clone()),
        }
    }
    out
}

/// Removes the value at `path`; returns its last segment when it was there.
fn remove_at(root: &mut toml::Value, path: &[Seg]) -> Option<Seg> {
    let (last, parent) = path.split_last()?;
    let mut cur = root;
    for seg in parent {
        cur = match (seg, cur) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Seg::Index(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    match (last, cur) {
        (Seg::Key(k), toml::Value::Table(t)) => t.remove(k).map(|_| last.clone()),
        (Seg::Index(i), toml::Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            Some(last.clone())
        }
        _ => None,
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// The key of the table at `at` that an "unknown variant" error names:
/// a map whose keys come from a fixed list reports a bad key at the map.
fn unknown_key_name(msg: &str, root: &toml::Value, at: &[Seg]) -> Option<String> {
    let name = msg.strip_prefix("unknown variant `")?.split('`').next()?;
    let mut cur = root;
    for seg in at {
        cur = match (seg, cur) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get(k)?,
            (Seg::Index(i), toml::Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    match cur {
        toml::Value::Table(t) if t.contains_key(name) => Some(name.to_string()),
        _ => None,
    }
}

fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Rewrites serde's wording into the file's terms and keeps secret values
/// out of messages.
fn tidy_message(raw: &str, at: &[Seg]) -> String {
    if raw.contains("did not match any variant of untagged enum Secret")
        || raw.contains("did not match any variant of untagged enum PropertyValue")
    {
        return "expected a string, { env = \"VARIABLE\" } or { file = \"/path/to/file\" }"
            .to_string();
    }
    let secret_path = at
        .iter()
        .any(|s| matches!(s, Seg::Key(k) if looks_secret(k)));
    let raw = if secret_path {
        redact_quoted(raw)
    } else {
        raw.to_string()
    };
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let mut parts = rest.splitn(2, '`');
        let field = parts.next().unwrap_or_default();
        let tail = parts.next().unwrap_or_default();
        let expected = tail
            .trim_start_matches(", ")
            .replace("expected one of ", "")
            .replace("expected ", "")
            .replace('`', "");
        if expected.is_empty() || expected.starts_with("there are no fields") {
            format!("unknown key \"{field}\" (this table takes no keys)")
        } else {
            format!("unknown key \"{field}\"; known keys: {expected}")
        }
    } else if let Some(rest) = raw.strip_prefix("unknown variant `") {
        // A name outside a fixed list (a finding kind, a severity, ...).
        let mut parts = rest.splitn(2, '`');
        let name = parts.next().unwrap_or_default();
        let expected = parts
            .next()
            .unwrap_or_default()
            .trim_start_matches(", ")
            .replace('`', "");
        format!("unknown value \"{name}\"; {expected}")
    } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
        match rest.rsplit_once(", expected ") {
            Some((found, expected)) => format!(
                "expected {}, found {}",
                expected_in_words(expected),
                found_in_words(found)
            ),
            None => raw,
        }
    } else {
        raw
    }
}

/// serde's name of an expected type, in TOML terms.
fn expected_in_words(e: &str) -> String {
    match e {
        "a sequence" => "a list like [\"...\"]".to_string(),
        "a string" | "a boolean" => e.to_string(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number".to_string()
        }
        "f32" | "f64" => "a number".to_string(),
        "a map" => "a table".to_string(),
        other if other.starts_with("struct ") => "a table".to_string(),
        other => other.to_string(),
    }
}

/// serde's description of a found value, in TOML terms.
fn found_in_words(f: &str) -> String {
    if let Some(v) = f.strip_prefix("string ") {
        return v.to_string();
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = f.strip_prefix(prefix) {
            return v.trim_matches('`').to_string();
        }
    }
    match f {
        "sequence" => "a list".to_string(),
        "map" => "a table".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, "test.toml") {
            Ok(_) => vec![],
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    const GOOD: &str = "[[clusters]]\nname = \"a\"\nbootstrap = [\"localhost:9092\"]\n";

    #[test]
    fn broker_id_comes_from_the_environment_when_the_file_leaves_it_out() {
        let text = format!(
            "{GOOD}[clusters.sidecar]\nurl = \"http://127.0.0.1:7071/metrics\"\nscope_to_broker = true\n"
        );
        // Without the variable: the validation problem stays.
        let (c, _, _) = deserialize_all(text.parse().unwrap());
        let mut c = c.unwrap();
        assert!(apply_env_fallbacks(&mut c, |_| None).is_empty());
        assert!(c.validate().to_string().contains("needs `broker`"));
        // With it: filled in, and valid.
        assert!(
            apply_env_fallbacks(&mut c, |k| (k == BROKER_ID_ENV).then(|| "2".into())).is_empty()
        );
        assert_eq!(c.clusters[0].sidecar.as_ref().unwrap().broker, Some(2));
        assert!(c.validate().is_empty());
        // The file wins over the environment.
        let (c, _, _) = deserialize_all(
            text.replace("scope_to_broker", "broker = 7\nscope_to_broker")
                .parse()
                .unwrap(),
        );
        let mut c = c.unwrap();
        assert!(apply_env_fallbacks(&mut c, |_| Some("2".into())).is_empty());
        assert_eq!(c.clusters[0].sidecar.as_ref().unwrap().broker, Some(7));
    }

    #[test]
    fn bad_broker_id_in_the_environment_is_named() {
        let text = format!("{GOOD}[clusters.sidecar]\nurl = \"http://127.0.0.1:7071/metrics\"\n");
        let (c, _, _) = deserialize_all(text.parse().unwrap());
        let p = apply_env_fallbacks(&mut c.unwrap(), |_| Some("kafka-0".into()));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].path, BROKER_ID_ENV);
        assert!(p[0].message.contains("\"kafka-0\""), "{}", p[0].message);
    }

    #[test]
    fn minimal_config_parses() {
        let c = parse(GOOD, "t").unwrap();
        assert_eq!(c.clusters[0].name, "a");
        assert_eq!(c.daemon, super::super::DaemonConfig::default());
    }

    #[test]
    fn syntax_error_is_one_problem_with_its_line() {
        let p = problems("[[clusters]]\nname = \"a\"\nbootstrap = [\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("test.toml: TOML syntax error"), "{p:?}");
        assert!(p[0].contains("(line "), "{p:?}");
    }

    #[test]
    fn type_error_in_second_cluster_names_path_and_line() {
        let text = format!(
            "{GOOD}\n[[clusters]]\nname = \"b\"\nbootstrap = [\"h:1\"]\npoll_interval = \"fast\"\n"
        );
        let p = problems(&text);
        assert_eq!(
            p,
            vec![
                r#"clusters[1].poll_interval: expected a duration like "15s", found "fast" (line 8)"#
            ]
        );
    }

    #[test]
    fn every_type_error_is_listed_with_indices_of_the_file() {
        let text = "[[clusters]]\nbootstrap = [\"h:1\"]\n\n[[clusters]]\nname = \"b\"\nbootstrap = [\"h:1\"]\npoll_timeout = 3\nbogus = 1\n\n[daemon]\nshutdown_timeout = \"never\"\n";
        let p = problems(text);
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p[0].starts_with("clusters[0]: missing required key \"name\" (line 1)"));
        assert!(
            p[1].starts_with("clusters[1].poll_timeout: expected a duration"),
            "{p:#?}"
        );
        assert!(p[1].ends_with("(line 7)"));
        assert!(p[2].starts_with("clusters[1].bogus: unknown key \"bogus\""));
        assert!(p[2].ends_with("(line 8)"));
        assert!(p[3].starts_with("daemon.shutdown_timeout: expected a duration"));
        assert!(p[3].ends_with("(line 11)"));
    }

    #[test]
    fn serde_wording_becomes_toml_wording() {
        let t = |raw: &str| tidy_message(raw, &[]);
        assert_eq!(
            t("invalid type: integer `5`, expected a string"),
            "expected a string, found 5"
        );
        assert_eq!(
            t("invalid type: string \"x\", expected u32"),
            "expected a whole number, found \"x\""
        );
        assert_eq!(
            t("invalid type: sequence, expected struct SidecarConfig"),
            "expected a table, found a list"
        );
        assert_eq!(
            t("invalid type: boolean `true`, expected a sequence"),
            "expected a list like [\"...\"], found true"
        );
    }

    #[test]
    fn secret_values_stay_out_of_messages() {
        let text = format!("{GOOD}properties = {{ \"sasl.password\" = 12345 }}\n[llm]\n");
        let p = problems(&text).join("\n");
        assert!(!p.contains("12345"), "{p}");
        assert!(p.contains("sasl.password"), "{p}");
        assert_eq!(
            redact_quoted(r#"invalid type: string "hunter2", expected u32"#),
            r#"invalid type: string "(redacted)", expected u32"#
        );
    }
}
