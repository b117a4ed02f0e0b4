//! The shipped Prometheus rules and Alertmanager example, checked by the
//! real tools (`promtool`, `amtool` from Debian's prometheus and
//! prometheus-alertmanager packages, installed by test.sh).

use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{cmd} must be installed (./test.sh installs it): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

#[test]
fn rules_are_valid_and_their_unit_tests_pass() {
    run("promtool", &["check", "rules", "alerts/isrwatch-rules.yml"]);
    run(
        "promtool",
        &["test", "rules", "alerts/tests/isrwatch-rules.test.yml"],
    );
}

#[test]
fn every_alert_has_a_promtool_unit_test() {
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/alerts/isrwatch-rules.yml"
    ))
    .unwrap();
    let tests = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/alerts/tests/isrwatch-rules.test.yml"
    ))
    .unwrap();
    for line in rules.lines() {
        if let Some(name) = line.trim().strip_prefix("- alert: ") {
            assert!(
                tests.contains(&format!("alertname: {name}")),
                "alert {name} has no promtool test"
            );
        }
    }
}

#[test]
fn alertmanager_example_is_valid() {
    run(
        "amtool",
        &["check-config", "alerts/alertmanager.example.yml"],
    );
}

#[test]
fn prometheusrule_manifest_matches_the_rules() {
    let generated = run("bash", &["alerts/make-prometheusrule.sh"]);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/alerts/prometheusrule.yaml"
    ))
    .unwrap();
    assert_eq!(
        generated, committed,
        "run alerts/make-prometheusrule.sh > alerts/prometheusrule.yaml"
    );
}
