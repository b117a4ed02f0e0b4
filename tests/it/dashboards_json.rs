//! Structure check of every Grafana dashboard: current schema, datasource
//! and cluster variables, every panel bound to the datasource variable with
//! a query, and every metric a query names is one isrwatch exports.

use serde_json::Value;

fn dashboards() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p.file_name().unwrap().to_string_lossy().to_string(), v));
        }
    }
    assert!(out.len() >= 5, "expected the five dashboards");
    out
}

/// Metric names in a PromQL expression (identifiers followed by `{`, `(`... crude but enough).
fn metric_names(expr: &str) -> Vec<String> {
    let re = regex::Regex::new(r"\b((?:kafka|isrwatch)_[a-z_]+)\b").unwrap();
    re.captures_iter(expr).map(|c| c[1].to_string()).collect()
}

#[test]
fn dashboards_are_well_formed() {
    let sources = [
        include_str!("../../src/http/metrics.rs"),
        include_str!("../../src/daemon/mod.rs"),
        include_str!("../../alerts/isrwatch-rules.yml"),
    ]
    .concat();
    for (name, d) in dashboards() {
        assert!(
            d["uid"].as_str().is_some_and(|u| !u.is_empty()),
            "{name}: uid"
        );
        assert!(
            d["schemaVersion"].as_i64().unwrap() >= 36,
            "{name}: current schema"
        );
        let vars: Vec<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert!(
            vars.contains(&"datasource") && vars.contains(&"cluster"),
            "{name}: {vars:?}"
        );
        let mut ids = std::collections::BTreeSet::new();
        for p in d["panels"].as_array().unwrap() {
            let title = p["title"].as_str().unwrap();
            assert!(
                ids.insert(p["id"].as_i64().unwrap()),
                "{name}: duplicate panel id"
            );
            assert_eq!(p["datasource"]["uid"], "${datasource}", "{name}/{title}");
            let g = &p["gridPos"];
            assert!(
                g["x"].as_i64().unwrap() + g["w"].as_i64().unwrap() <= 24,
                "{name}/{title}: gridPos"
            );
            let targets = p["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "{name}/{title}: no query");
            for t in targets {
                let expr = t["expr"].as_str().unwrap();
                assert!(
                    expr.contains("$cluster") || !expr.contains("cluster"),
                    "{name}/{title}: {expr}"
                );
                for m in metric_names(expr) {
                    let base = m.trim_end_matches("_total");
                    let known = sources.contains(&format!("\"{m}\""))
                        || sources.contains(&format!("\"{base}"));
                    let notify_metric = m.starts_with("isrwatch_outbox")
                        || m.starts_with("isrwatch_notifications_");
                    assert!(known || notify_metric, "{name}/{title}: unknown metric {m}");
                }
            }
        }
    }
}

#[test]
fn dashboards_are_what_the_generator_writes() {
    // The generator is deterministic (sorted keys); regenerate and compare.
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards/build.py");
    let copy = dir.path().join("build.py");
    std::fs::copy(script, &copy).unwrap();
    let st = std::process::Command::new("python3")
        .arg(&copy)
        .status()
        .expect("python3");
    assert!(st.success());
    for (name, committed) in dashboards() {
        let fresh: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(&name)).unwrap())
                .unwrap();
        assert_eq!(fresh, committed, "{name}: run python3 dashboards/build.py");
    }
}
