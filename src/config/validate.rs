//! Semantic checks on a configuration that deserialized: no I/O, every
//! problem reported with its key path.

use std::collections::BTreeMap;

use super::filter::anchored;

use super::path::{self, Seg};
use super::secret::is_secret_property;
use super::{ClusterConfig, Config, NameFilter, Problem, Problems, PropertyValue, Secret};

/// librdkafka properties isrwatch sets itself from other keys.
const RESERVED_PROPERTIES: &[(&str, &str)] = &[
    ("bootstrap.servers", "bootstrap"),
    ("metadata.broker.list", "bootstrap"),
];

const SECURITY_PROTOCOLS: &[&str] = &["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
const SASL_MECHANISMS: &[&str] = &[
    "PLAIN",
    "SCRAM-SHA-256",
    "SCRAM-SHA-512",
    "OAUTHBEARER",
    "GSSAPI",
];

fn p(parts: &[Seg]) -> String {
    path::format(parts)
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

impl Config {
    /// Checks what types cannot: unique names, well-formed addresses,
    /// regexes that compile, timeouts that fit in their interval. Does no I/O
    /// (secrets are not read). Lines are filled in by the loader.
    pub fn validate(&self) -> Problems {
        let mut out = Problems::default();
        if self.clusters.is_empty() {
            out.push(
                "clusters",
                "at least one [[clusters]] entry is required (name and bootstrap)",
            );
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in self.clusters.iter().enumerate() {
            let at = vec![key("clusters"), Seg::Index(i)];
            if let Some(first) = seen.insert(c.name.as_str(), i) {
                let mut a = at.clone();
                a.push(key("name"));
                out.push(
                    p(&a),
                    format!(
                        "cluster name {:?} is already used by clusters[{first}]; names must be unique",
                        c.name
                    ),
                );
                seen.insert(c.name.as_str(), first);
            }
            validate_cluster(c, &at, &mut out);
        }
        let mut notifier_names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, n) in self.notifiers.iter().enumerate() {
            let at = p(&[key("notifiers"), Seg::Index(i), key("name")]);
            if n.name.trim().is_empty() {
                out.push(at, "must not be empty");
            } else if let Some(first) = notifier_names.insert(n.name.as_str(), i) {
                out.push(
                    at,
                    format!(
                        "notifier name {:?} is already used by notifiers[{first}]",
                        n.name
                    ),
                );
                notifier_names.insert(n.name.as_str(), first);
            }
        }
        // Each stage checks its own section.
        self.http.validate("http", &mut out);
        self.incidents.validate("incidents", &mut out);
        self.rules.validate("rules", &mut out);
        self.anomaly.validate("anomaly", &mut out);
        crate::notify::NotifierConfig::validate_all(&self.notifiers, &mut out);
        if let Some(llm) = &self.llm {
            llm.validate("llm", &mut out);
        }
        if self.daemon.state_dir.as_os_str().is_empty() {
            out.push("daemon.state_dir", "must not be empty");
        }
        if self.daemon.shutdown_timeout.0.is_zero() {
            out.push("daemon.shutdown_timeout", "must be more than 0s");
        }
        out
    }

    /// Things that work but are unwise; `config validate` prints them
    /// without failing. Today: secret-looking librdkafka properties
    /// (`*password*`, `*secret*`, `*token*`, `*key*`) written inline instead
    /// of `{ env = "..." }` or `{ file = "..." }`. Lines are not filled in.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (i, c) in self.clusters.iter().enumerate() {
            for (k, v) in &c.properties {
                let inline = matches!(
                    v,
                    PropertyValue::Plain(_) | PropertyValue::Secret(Secret::Inline(_))
                );
                if inline && is_secret_property(k) {
                    out.push(Problem {
                        path: p(&[key("clusters"), Seg::Index(i), key("properties"), key(k)]),
                        line: None,
                        message: "looks like a secret written in the file; prefer { env = \"VARIABLE\" } or { file = \"/path\" }".to_string(),
                    });
                }
            }
        }
        // A REWIND shorter than its incident's pending delay is never
        // notified: the incident is dropped while still pending.
        let lag = &self.rules.lag;
        let pending = self.incidents.for_duration(
            crate::finding::FindingKind::ConsumerLag,
            lag.rewind_severity,
        );
        if !lag.rewind_for.0.is_zero() && lag.rewind_for.0 <= pending {
            out.push(Problem {
                path: "rules.lag.rewind_for".to_string(),
                line: None,
                message: format!(
                    "{} is not longer than the pending delay of a {} consumer_lag incident ({}): a consumer rewind would never be notified",
                    humantime::format_duration(lag.rewind_for.0),
                    lag.rewind_severity.as_str(),
                    humantime::format_duration(pending)
                ),
            });
        }
        out
    }
}

/// Stores inline values of secret properties as [`Secret::Inline`], whose
/// `Debug` is redacted, so that printing a configuration never shows them.
pub(crate) fn protect_inline_secrets(c: &mut Config) {
    for cluster in &mut c.clusters {
        for (k, v) in cluster.properties.iter_mut() {
            if let PropertyValue::Plain(s) = v {
                if is_secret_property(k) {
                    *v = PropertyValue::Secret(Secret::Inline(std::mem::take(s)));
                }
            }
        }
    }
}

fn validate_cluster(c: &ClusterConfig, at: &[Seg], out: &mut Problems) {
    let field = |k: &str| {
        let mut a = at.to_vec();
        a.push(key(k));
        a
    };
    if c.name.trim().is_empty() {
        out.push(p(&field("name")), "must not be empty");
    } else if !c
        .name
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
    {
        out.push(
            p(&field("name")),
            format!(
                "{:?}: use only letters, digits, '-', '_' and '.' (it becomes a metric label and a URL part)",
                c.name
            ),
        );
    }
    if c.bootstrap.is_empty() {
        out.push(
            p(&field("bootstrap")),
            "must list at least one \"host:port\"",
        );
    }
    for (j, b) in c.bootstrap.iter().enumerate() {
        if let Err(e) = check_host_port(b) {
            let mut a = field("bootstrap");
            a.push(Seg::Index(j));
            out.push(p(&a), e);
        }
    }
    let positive = [
        ("poll_interval", c.poll_interval),
        ("poll_timeout", c.poll_timeout),
        ("request_timeout", c.request_timeout),
        ("config_refresh", c.config_refresh),
        ("lag_history", c.lag_history),
        ("forget_broker_after", c.forget_broker_after),
    ];
    for (k, d) in positive {
        if d.0.is_zero() {
            out.push(p(&field(k)), "must be more than 0s");
        }
    }
    if let Some(m) = c.min_insync_replicas.filter(|m| *m < 1) {
        out.push(
            p(&field("min_insync_replicas")),
            format!("must be at least 1, found {m}"),
        );
    }
    let show = |d: super::Dur| humantime::format_duration(d.0).to_string();
    if c.poll_timeout > c.poll_interval {
        out.push(
            p(&field("poll_timeout")),
            format!(
                "poll_timeout ({}) must not exceed poll_interval ({}): polls would overlap",
                show(c.poll_timeout),
                show(c.poll_interval)
            ),
        );
    }
    if c.request_timeout > c.poll_timeout {
        out.push(
            p(&field("request_timeout")),
            format!(
                "request_timeout ({}) must not exceed poll_timeout ({})",
                show(c.request_timeout),
                show(c.poll_timeout)
            ),
        );
    }
    if c.lag_history < c.poll_interval {
        out.push(
            p(&field("lag_history")),
            format!(
                "lag_history ({}) must be at least poll_interval ({}) to compute lag in seconds",
                show(c.lag_history),
                show(c.poll_interval)
            ),
        );
    }
    validate_filter(&c.topics, &field("topics"), out);
    validate_filter(&c.groups, &field("groups"), out);
    for (k, v) in &c.properties {
        let mut a = field("properties");
        a.push(key(k));
        validate_property(k, v, &a, out);
    }
    if let Some(s) = &c.sidecar {
        let mut a = field("sidecar");
        if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
            a.push(key("url"));
            out.push(
                p(&a),
                format!("expected an http:// or https:// URL, found {:?}", s.url),
            );
            a.pop();
        }
        if s.scope_to_broker && s.broker.is_none() {
            a.push(key("scope_to_broker"));
            out.push(
                p(&a),
                "scope_to_broker = true needs `broker` (the broker id this sidecar sits next to)",
            );
            a.pop();
        }
        if s.timeout.0.is_zero() {
            a.push(key("timeout"));
            out.push(p(&a), "must be more than 0s");
        }
    }
}

fn validate_filter(f: &NameFilter, at: &[Seg], out: &mut Problems) {
    for (list_name, list) in [("include", &f.include), ("exclude", &f.exclude)] {
        for (i, pattern) in list.iter().enumerate() {
            if let Err(e) = anchored(pattern) {
                let mut a = at.to_vec();
                a.push(key(list_name));
                a.push(Seg::Index(i));
                out.push(p(&a), e);
            }
        }
    }
}

fn validate_property(k: &str, v: &PropertyValue, at: &[Seg], out: &mut Problems) {
    if k.trim().is_empty() {
        out.push(p(at), "property name must not be empty");
        return;
    }
    if let Some((_, instead)) = RESERVED_PROPERTIES.iter().find(|(r, _)| *r == k) {
        out.push(
            p(at),
            format!("isrwatch sets {k} itself; use the cluster's `{instead}` key"),
        );
        return;
    }
    match v {
        PropertyValue::Secret(Secret::Env { env }) if env.trim().is_empty() => {
            out.push(p(at), "env must name an environment variable")
        }
        PropertyValue::Secret(Secret::File { file }) if file.trim().is_empty() => {
            out.push(p(at), "file must name a file")
        }
        PropertyValue::Plain(s) | PropertyValue::Secret(Secret::Inline(s)) => {
            // Only non-secret keys get their value checked (and quoted).
            if k == "security.protocol"
                && !SECURITY_PROTOCOLS.contains(&s.to_ascii_lowercase().as_str())
            {
                out.push(
                    p(at),
                    format!(
                        "expected one of {}, found {s:?}",
                        SECURITY_PROTOCOLS.join(", ")
                    ),
                );
            }
            if k == "sasl.mechanism" || k == "sasl.mechanisms" {
                let m = s.to_ascii_uppercase();
                if !SASL_MECHANISMS.contains(&m.as_str()) {
                    out.push(
                        p(at),
                        format!(
                            "expected one of {}, found {s:?}",
                            SASL_MECHANISMS.join(", ")
                        ),
                    );
                } else if m == "GSSAPI" && !cfg!(feature = "gssapi") {
                    out.push(
                        p(at),
                        "GSSAPI (Kerberos) needs isrwatch built with `--features gssapi`",
                    );
                }
            }
        }
        _ => {}
    }
}

/// Checks `host:port` (`[v6]:port` accepted).
fn check_host_port(s: &str) -> Result<(), String> {
    let bad = || format!("expected \"host:port\", found {s:?}");
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, tail) = rest.split_once(']').ok_or_else(bad)?;
        (h, tail.strip_prefix(':').ok_or_else(bad)?)
    } else {
        s.rsplit_once(':').ok_or_else(bad)?
    };
    if host.trim().is_empty() || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!(
            "port must be a number from 1 to 65535, found {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn errors(text: &str) -> Vec<String> {
        parse(text, "t")
            .err()
            .map(|p| p.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn host_port_forms() {
        assert!(check_host_port("kafka-1:9092").is_ok());
        assert!(check_host_port("[::1]:9092").is_ok());
        assert!(check_host_port("kafka-1").is_err());
        assert!(check_host_port(":9092").is_err());
        assert!(check_host_port("h:0").is_err());
        assert!(check_host_port("h:99999").is_err());
    }

    #[test]
    fn semantic_problems_have_paths_and_lines() {
        let text = r#"[[clusters]]
name = "a"
bootstrap = ["ok:1", "nope"]
poll_interval = "5s"
poll_timeout = "10s"
topics = { include = ["("] }

[[clusters]]
name = "a"
bootstrap = []
properties = { "bootstrap.servers" = "x:1", "security.protocol" = "TLS" }
sidecar = { url = "localhost:7071", scope_to_broker = true }
"#;
        let e = errors(text);
        let has = |s: &str| assert!(e.iter().any(|x| x.starts_with(s)), "{s} not in {e:#?}");
        has("clusters[0].bootstrap[1]: expected \"host:port\", found \"nope\" (line 3)");
        has("clusters[0].poll_timeout: poll_timeout (10s) must not exceed poll_interval (5s)");
        has("clusters[0].topics.include[0]: invalid regular expression \"(\"");
        has("clusters[1].name: cluster name \"a\" is already used by clusters[0]");
        has("clusters[1].bootstrap: must list at least one");
        has("clusters[1].properties.\"bootstrap.servers\": isrwatch sets bootstrap.servers itself");
        has("clusters[1].properties.\"security.protocol\": expected one of");
        has("clusters[1].sidecar.url: expected an http://");
        has("clusters[1].sidecar.scope_to_broker: scope_to_broker = true needs");
        assert!(e.iter().all(|x| x.contains("(line ")), "{e:#?}");
    }

    #[test]
    fn inline_secrets_are_accepted_with_a_warning() {
        let c = parse(
            r#"[[clusters]]
name = "a"
bootstrap = ["h:1"]
[clusters.properties]
"sasl.password" = "hunter2"
"sasl.username" = "me"
"ssl.key.location" = "/etc/k.pem"
"ssl.key.password" = { env = "KEY_PW" }
"#,
            "t",
        )
        .unwrap();
        let w = c.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "clusters[0].properties.\"sasl.password\"");
        assert!(!w[0].message.contains("hunter2"));
    }

    #[test]
    fn a_rewind_shorter_than_its_pending_delay_is_a_warning() {
        let base = "[[clusters]]\nname = \"a\"\nbootstrap = [\"h:1\"]\n";
        let ok = parse(base, "t").unwrap();
        assert!(ok.warnings().is_empty(), "{:?}", ok.warnings());
        let c = parse(&format!("{base}[rules.lag]\nrewind_for = \"20s\"\n"), "t").unwrap();
        let w = c.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "rules.lag.rewind_for");
        assert!(w[0].message.contains("20s"), "{}", w[0].message);
        assert!(w[0].message.contains("30s"), "{}", w[0].message);
    }

    #[test]
    fn empty_config_needs_a_cluster() {
        assert_eq!(
            errors(""),
            vec!["clusters: at least one [[clusters]] entry is required (name and bootstrap)"]
        );
    }
}
