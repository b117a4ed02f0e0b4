//! Scenario files: the cluster to simulate, a timeline of faults and the
//! findings each fault must raise (see `tests/scenarios/README.md`).
//!
//! A scenario is TOML with three parts: one `[cluster]` table, any number of
//! `[[events]]` and any number of `[[expect]]`. Unknown keys are errors, and
//! every error names the origin (file name), the line and the field.
//!
//! `parse.rs` reads and checks the TOML; the parts of a scenario are
//! `spec.rs` (the cluster, its topics and groups), `action.rs` (the
//! timeline: events and the faults they apply) and `expect.rs` (what a
//! monitor must and may notify).

mod action;
mod expect;
mod parse;
mod spec;

use std::path::Path;
use std::time::Duration;

pub use action::{Action, Event, PartitionMode};
pub use expect::{kind_meets, Allowance, Expectation};
pub use spec::{ClusterSpec, GroupSpec, OffsetReset, TopicSpec};

use super::options::SimError;

/// A whole scenario: the cluster, the fault timeline, and what a monitor
/// must notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The cluster to simulate.
    pub cluster: ClusterSpec,
    /// Faults and recoveries, sorted by `at`.
    pub events: Vec<Event>,
    /// Findings a monitor must raise (and resolve) for this timeline.
    pub expect: Vec<Expectation>,
    /// Notifications a monitor may also send, each with its reason. A
    /// closed-world check fails on anything notified that neither an
    /// expectation nor an allowance explains.
    pub allow: Vec<Allowance>,
    /// How long after the last event (or recovery) the cluster needs to be
    /// healthy again; after it, nothing may be firing. Default 180 s (a
    /// broker's catch-up plus the shipped `broker_recovery_hold`).
    pub settle: Duration,
}

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Scenario(format!("{}: cannot read: {e}", path.display())))?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// The embedded demo scenario (`src/sim/demo.toml`).
    pub fn demo() -> Scenario {
        // The file is part of the binary and covered by a unit test.
        Scenario::parse(DEMO_TOML, "<demo>").unwrap_or_else(|e| panic!("embedded demo.toml: {e}"))
    }

    /// A scenario without events over [`ClusterSpec::synthetic`].
    pub fn synthetic(
        brokers: u32,
        topics: u32,
        partitions_per_topic: u32,
        rf: u32,
        groups: u32,
    ) -> Scenario {
        Scenario {
            cluster: ClusterSpec::synthetic(brokers, topics, partitions_per_topic, rf, groups),
            events: Vec::new(),
            expect: Vec::new(),
            allow: Vec::new(),
            settle: DEFAULT_SETTLE,
        }
    }
}

/// How long a cluster gets to be healthy after its last event, by default.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(180);

impl Scenario {
    /// Simulated time of the last event or scheduled recovery.
    pub fn last_event(&self) -> Duration {
        self.events
            .iter()
            .map(|e| e.at + e.duration.unwrap_or_default())
            .max()
            .unwrap_or_default()
    }

    /// The same scenario with every event (and the times expectations are
    /// counted from) `by` later: a monitor that has watched the healthy
    /// cluster for `by` before the first fault, as a running daemon has.
    pub fn delayed(&self, by: Duration) -> Scenario {
        let mut s = self.clone();
        for e in &mut s.events {
            e.at += by;
        }
        for x in &mut s.expect {
            x.raised_after += by;
            if let Some(r) = &mut x.resolved_after {
                *r += by;
            }
        }
        s
    }
}

/// The demo scenario text.
pub const DEMO_TOML: &str = include_str!("../demo.toml");
