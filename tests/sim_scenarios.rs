//! Every shipped scenario parses; malformed ones give errors naming field and line.

use isrwatch::sim::Scenario;

#[test]
fn every_shipped_scenario_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!s.events.is_empty(), "{}", path.display());
        assert!(!s.expect.is_empty(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 11, "expected the 11 shipped scenarios, found {n}");
    let demo = Scenario::demo();
    assert_eq!(demo.cluster.brokers, 5);
}

#[test]
fn malformed_scenarios_name_field_and_line() {
    let cases = [
        ("[cluster]\nbrokers = 3\nbrokerz = 1\n", "brokerz", ":3"),
        ("[cluster]\nbrokers = \"three\"\n", "brokers", ":2"),
        (
            "[cluster]\nbrokers = 3\n\n[[events]]\nat = \"10s\"\naction = \"explode\"\n",
            "events[0].action",
            ":4",
        ),
        (
            "[cluster]\nbrokers = 3\n[[events]]\nat = \"1s\"\naction = \"consumer_stall\"\ngroup = \"nope\"\n",
            "events[0].group",
            ":3",
        ),
        (
            "[cluster]\nbrokers = 3\n[[events]]\nat = \"1s\"\naction = \"broker_down\"\nbroker = 1\n[[expect]]\nkind = \"broker_dead\"\nraised_within = \"1s\"\n",
            "expect[0].kind",
            ":7",
        ),
    ];
    for (text, field, line) in cases {
        let err = Scenario::parse(text, "bad.toml").unwrap_err().to_string();
        assert!(err.contains(field), "{err:?} should name {field}");
        assert!(
            err.contains(&format!("bad.toml{line}")),
            "{err:?} should give line {line}"
        );
    }
}
