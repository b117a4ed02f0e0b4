//! Helpers shared by the integration-test binaries (`tests/it`, `tests/sim`,
//! `tests/e2e`), each of which includes this module with
//! `#[path = "../support/mod.rs"] mod support;`. A binary uses a part of it.
//!
//! - [`notify`]: a sample notification, a scriptable local HTTP receiver,
//!   polling with a deadline;
//! - [`sim`]: the daemon's clock on the simulator's time, the pipeline
//!   stages, the protected demo daemon;
//! - here: fixed instants for tests that pass `now` explicitly ([`t`],
//!   [`at_minute`]), [`free_port`], [`promtool_check`], [`eventually`]
//!   (an async condition with a deadline); [`group`], which
//!   keeps the real-time tests of one former test file from running
//!   alongside those of another; and [`test_name`], for tests that re-run
//!   their own binary as a child process.
#![allow(dead_code)]

pub mod notify;
pub mod sim;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex, PoisonError};

use chrono::TimeZone;
use isrwatch::snapshot::Time;

/// `s` seconds after Unix time 1,700,000,000 (2023-11-14 22:13:20 UTC): the
/// `now` of tests that never read the clock.
pub fn t(s: i64) -> Time {
    chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

/// 2026-11-22 10:`min` UTC, when the summary tests' incidents happen (their
/// texts show it).
pub fn at_minute(min: u32) -> Time {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 10, min, 0)
        .unwrap()
}

/// Awaits `f` every 200 ms until it is true; panics after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: std::time::Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if f().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `promtool check metrics` (Debian package prometheus, installed by
/// test.sh) on an exposition: no format error. promtool exits non-zero for
/// lint hints too; only real format errors fail here.
pub fn promtool_check(body: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed by test.sh (Debian package prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("error while linting") && !text.contains("parsing error"),
        "{text}"
    );
}

/// The module whose tests are running (`None`: no guarded test), and how
/// many of its tests hold a [`Group`].
static RUNNING: Mutex<(Option<&'static str>, usize)> = Mutex::new((None, 0));
static FREED: Condvar = Condvar::new();

/// Held by a running test; see [`group`].
#[must_use = "the group is left when this guard drops"]
pub struct Group(&'static str);

/// Waits until no test of another module holds a [`Group`], then joins
/// `module`'s (call it first thing in a test with `module_path!()`; the
/// module is the binary's child that the path names, `sim::sim_scenarios`
/// for `sim::sim_scenarios::driven`).
///
/// Each of these modules was its own test binary, whose tests ran only
/// alongside each other. The real-time ones (simulator, poller, daemons,
/// browsers, Prometheus) keep that: tests of one module still run in
/// parallel with each other (`--test-threads`), never with another
/// module's, so merging the binaries adds no load a timing-sensitive test
/// did not see before. A test waiting here shows up as "running for over
/// 60 seconds" in libtest's output.
pub fn group(module_path: &'static str) -> Group {
    let module = match module_path.match_indices("::").nth(1) {
        Some((end, _)) => &module_path[..end],
        None => module_path,
    };
    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    while running.0.is_some_and(|m| m != module) {
        running = FREED.wait(running).unwrap_or_else(PoisonError::into_inner);
    }
    running.0 = Some(module);
    running.1 += 1;
    Group(module)
}

impl Drop for Group {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        debug_assert_eq!(running.0, Some(self.0));
        running.1 -= 1;
        if running.1 == 0 {
            running.0 = None;
            FREED.notify_all();
        }
    }
}

/// The name libtest knows a test by, for `--exact`: `module_path` (from
/// `module_path!()`, which starts with the binary's crate name) without its
/// first segment, then `test`. `("e2e::notify_crash", "crash_child")` gives
/// `notify_crash::crash_child`.
pub fn test_name(module_path: &str, test: &str) -> String {
    match module_path.split_once("::") {
        Some((_, inner)) => format!("{inner}::{test}"),
        None => test.to_string(),
    }
}

/// An `anomaly` finding of topic `topic`'s produce rate on cluster `prod`,
/// scored 0.7 at `at`: `observed` against the range `low..high`.
pub fn produce_rate_anomaly(
    topic: &str,
    observed: f64,
    (low, high): (f64, f64),
    at: Time,
) -> isrwatch::finding::Finding {
    use isrwatch::finding::{AnomalyScore, Finding, FindingKind, Label, Severity, Subject};
    let series = format!("produce_rate{{topic=\"{topic}\"}}");
    let mut f = Finding::new(
        "prod",
        FindingKind::Anomaly,
        Severity::Warning,
        Subject::Series {
            series: series.clone(),
        },
        at,
    )
    .with_label(Label::Topic, topic);
    f.anomaly = Some(AnomalyScore {
        series,
        score: 0.7,
        observed,
        expected_low: low,
        expected_high: high,
        since: Some(at),
        explanation: format!("observed {observed}, expected {low}..{high}"),
    });
    f
}
