//! Every shipped scenario parses; malformed ones give errors naming field and line.

use isrwatch::sim::Scenario;

#[test]
fn every_shipped_scenario_parses() {
    let _group = crate::support::group(module_path!());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut n = 0;
    let entries = std::fs::read_dir(&root)
        .unwrap()
        .chain(std::fs::read_dir(root.join("long")).unwrap());
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // A scenario that expects nothing is a healthy cluster (or planned
        // work): closed-world, nothing may be notified.
        for a in &s.allow {
            assert!(!a.reason.trim().is_empty(), "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= 23, "expected the 23 shipped scenarios, found {n}");
    let demo = Scenario::demo();
    assert_eq!(demo.cluster.brokers, 5);
}

#[test]
fn malformed_scenarios_name_field_and_line() {
    let _group = crate::support::group(module_path!());
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
        (
            "# ELR without KRaft\n[cluster]\nbrokers = 3\nkraft = false\neligible_leader_replicas = true\n",
            "cluster.eligible_leader_replicas",
            ":2",
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

mod driven {
    use std::time::Duration;

    use isrwatch::sim::{Expectation, PartitionMode, Scenario, SimOptions, SimState, Simulator};

    /// Whether the condition an expectation names holds in `st`; `None` for
    /// kinds only a monitor can judge from history (checked elsewhere).
    fn holds(
        x: &Expectation,
        st: &SimState,
        controllers: &[i32],
        before_rate: f64,
        rate: f64,
        moved_back: bool,
    ) -> Option<bool> {
        let parts = || {
            st.topics
                .iter()
                .filter(|(t, _)| x.topic.as_ref().is_none_or(|w| w == *t))
                .flat_map(|(t, ps)| ps.iter().enumerate().map(move |(i, p)| (t, i as i32, p)))
                .filter(|(_, i, _)| x.partition.is_none_or(|w| w == *i))
        };
        Some(match x.kind.as_str() {
            // Down while still part of the cluster: a quorum voter, or named
            // by some replica list. A retired broker nothing names is gone.
            "broker_down" => {
                let b = st.brokers.iter().find(|b| Some(b.id) == x.broker)?;
                let named = st
                    .topics
                    .values()
                    .flatten()
                    .any(|p| p.replicas.contains(&b.id) || p.adding_replicas.contains(&b.id));
                !b.up && (named || !b.removed_voter)
            }
            "cluster_unreachable" => st.brokers.iter().all(|b| !b.up),
            "broker_unreachable" => {
                let b = st.brokers.iter().find(|b| Some(b.id) == x.broker)?;
                b.up && matches!(
                    b.cut,
                    Some(PartitionMode::Clients | PartitionMode::Unresponsive)
                )
            }
            "under_replicated" => parts().any(|(_, _, p)| {
                p.isr.len() < p.replicas.len()
                    && x.broker
                        .is_none_or(|b| p.replicas.contains(&b) && !p.isr.contains(&b))
            }),
            "under_min_isr" => parts().any(|(t, _, p)| {
                (p.isr.len() as u32) < st.min_insync_replicas[t]
                    && x.broker.is_none_or(|b| p.replicas.contains(&b))
            }),
            "partition_offline" => parts().any(|(_, _, p)| p.leader.is_none()),
            "no_controller" => st.controller.is_none(),
            "leader_imbalance" => {
                let b = x.broker?;
                let leads = parts().filter(|(_, _, p)| p.leader == Some(b)).count();
                let preferred = parts().filter(|(_, _, p)| p.replicas[0] == b).count();
                leads as f64 > preferred as f64 * 1.5
            }
            "controller_unstable" => controllers.windows(2).filter(|w| w[0] != w[1]).count() >= 2,
            "consumer_lag" => {
                let g = st.groups.get(x.group.as_ref()?)?;
                let lag: i64 = g
                    .committed
                    .iter()
                    .map(|(t, offs)| {
                        offs.iter()
                            .zip(&st.topics[t])
                            .map(|(c, p)| (p.end_offset - c).max(0))
                            .sum::<i64>()
                    })
                    .sum();
                lag > 1000
            }
            "anomaly" => rate > before_rate * 3.0 || (before_rate > 0.0 && rate == 0.0),
            "quorum_lag" => {
                let b = st.brokers.iter().find(|b| Some(b.id) == x.broker)?;
                b.voter_stopped || b.voter_delay > Duration::from_secs(30)
            }
            "reassignment_in_progress" => parts().any(|(_, _, p)| !p.adding_replicas.is_empty()),
            // At least `disk_used_percent` (85) full, or filling.
            "disk_space" => {
                let b = st.brokers.iter().find(|b| Some(b.id) == x.broker)?;
                (b.disk_usable_bytes as f64) < 0.15 * (1u64 << 40) as f64
            }
            // The topic's log end moved back within the last second.
            "unclean_election" => moved_back,
            // A committed offset below its partition's log start.
            "unread_data_deleted" => {
                let g = st.groups.get(x.group.as_ref()?)?;
                g.committed.iter().any(|(t, offs)| {
                    offs.iter()
                        .zip(&st.topics[t])
                        .any(|(c, p)| *c < p.log_start_offset)
                })
            }
            _ => return None,
        })
    }

    fn end_sum(st: &SimState, topic: &Option<String>) -> i64 {
        st.topics
            .iter()
            .filter(|(t, _)| topic.as_ref().is_none_or(|w| w == *t))
            .flat_map(|(_, ps)| ps.iter().map(|p| p.end_offset))
            .sum()
    }

    /// Drives every shipped scenario on the simulated clock (1 s steps) and
    /// checks that the state each expectation names appears after its
    /// cause, by its raise deadline, and is gone by its resolve deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_scenario_produces_and_clears_its_conditions() {
        let _group = crate::support::group(module_path!());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
            .collect();
        files.sort();
        let mut scenarios: Vec<(String, Scenario)> = files
            .iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, Scenario::load(p).unwrap())
            })
            .collect();
        scenarios.push(("demo.toml".to_string(), Scenario::demo()));
        for (name, sc) in scenarios {
            if sc.expect.is_empty() {
                continue; // nothing to produce: judged closed-world in scenarios_e2e
            }
            let end = sc
                .expect
                .iter()
                .map(|x| x.resolve_deadline().unwrap_or(x.raise_deadline()))
                .max()
                .unwrap()
                .as_secs();
            let expect = sc.expect.clone();
            // Speed tiny: only `advance` moves the clock.
            let sim = Simulator::start(
                sc,
                SimOptions {
                    speed: 1e-6,
                    ports: None,
                },
            )
            .await
            .unwrap();
            let mut raised = vec![None; expect.len()];
            let mut resolved = vec![None; expect.len()];
            let mut controllers = vec![Vec::new(); expect.len()];
            let mut ends: Vec<Vec<i64>> = vec![Vec::new(); expect.len()];
            for sec in 1..=end + 1 {
                sim.advance(Duration::from_secs(1));
                let st = sim.state();
                for (i, x) in expect.iter().enumerate() {
                    let t = Duration::from_secs(sec);
                    let ends = &mut ends[i];
                    ends.push(end_sum(&st, &x.topic));
                    if t < x.raised_after {
                        continue;
                    }
                    controllers[i].push(st.controller.unwrap_or(-1));
                    // Produce rate over the last 5 s, and over the 5 s before the cause.
                    let n = ends.len();
                    let moved_back = n >= 2 && ends[n - 1] < ends[n - 2];
                    let rate = if n >= 6 {
                        (ends[n - 1] - ends[n - 6]) as f64 / 5.0
                    } else {
                        0.0
                    };
                    let before = x.raised_after.as_secs() as usize;
                    let before_rate = if before >= 6 && n > before {
                        (ends[before - 1] - ends[before - 6]) as f64 / 5.0
                    } else {
                        rate
                    };
                    let Some(h) = holds(x, &st, &controllers[i], before_rate, rate, moved_back)
                    else {
                        continue;
                    };
                    if h && raised[i].is_none() {
                        raised[i] = Some(t);
                    }
                    if let Some(after) = x.resolved_after {
                        if !h && raised[i].is_some() && t >= after && resolved[i].is_none() {
                            resolved[i] = Some(t);
                        }
                    }
                }
            }
            for (i, x) in expect.iter().enumerate() {
                let r = raised[i].unwrap_or_else(|| panic!("{name}: {} never raised", x.kind));
                assert!(
                    r <= x.raise_deadline(),
                    "{name}: {} raised at {r:?}",
                    x.kind
                );
                if let Some(d) = x.resolve_deadline() {
                    let v =
                        resolved[i].unwrap_or_else(|| panic!("{name}: {} never resolved", x.kind));
                    assert!(
                        v <= d,
                        "{name}: {} resolved at {v:?}, deadline {d:?}",
                        x.kind
                    );
                }
            }
            sim.shutdown().await;
        }
    }
}

/// `isrwatch soak --judge`: the closed-world verdict from the command
/// line, exit 0 for a shipped scenario, exit 1 naming the failure for the
/// same scenario expecting a fault it never has. Without `--warm-up` a
/// judged run watches the healthy cluster 10 minutes first, as documented:
/// `consumer_stall` (a hang 30 s into the file) passes so too.
#[test]
fn soak_judge_gives_the_closed_world_verdict() {
    let _group = crate::support::group(module_path!());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let judge = |path: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_isrwatch"))
            .args(["soak", "--warm-up", "10m", "--judge", "--scenario"])
            .arg(path)
            .env("ISRWATCH_LOG", "error")
            .output()
            .expect("run isrwatch");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, out) = judge(&dir.join("broker_down.toml"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("closed-world check: passed"), "{out}");

    let text = std::fs::read_to_string(dir.join("broker_down.toml")).unwrap()
        + "\n[[expect]]\nkind = \"partition_offline\"\nraised_within = \"1m\"\n";
    let tmp = tempfile::tempdir().unwrap();
    let wrong = tmp.path().join("wrong.toml");
    std::fs::write(&wrong, text).unwrap();
    let (code, out) = judge(&wrong);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("closed-world check: 1 failed"), "{out}");
    assert!(out.contains("partition_offline"), "{out}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_isrwatch"))
        .args(["soak", "--judge", "--scenario"])
        .arg(dir.join("consumer_stall.toml"))
        .env("ISRWATCH_LOG", "error")
        .output()
        .expect("run isrwatch");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("closed-world check: passed"), "{text}");
}
