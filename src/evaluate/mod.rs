//! Evaluation: snapshot in, findings out (rules, consumer lag status,
//! anomaly scores).
//!
//! - [`Evaluation`], [`Evaluator`], [`LagStatus`] (in `evaluation.rs`, a
//!   leaf every other file here imports): what an evaluation yields.
//! - [`RuleEvaluator`] (in `rules/`) is the [`Evaluator`] the daemon runs,
//!   one per cluster: every replication rule (one file per family), the
//!   `for` durations and the `since` of each finding.
//! - [`LagTracker`] (in `lag.rs`) gives each consumer group its
//!   [`LagStatus`] from a sliding window of commits.
//! - [`SeriesScorer`] (in `scorer.rs`) is what an anomaly detector
//!   implements; [`Series`] is the typed name of each series the evaluator
//!   feeds it.
//! - [`RulesConfig`] (in `config.rs`) is the `[rules]` section with its
//!   `[rules.lag]` table.

mod config;
mod evaluation;
pub mod lag;
mod rules;
pub mod scorer;

pub use config::{LagConfig, RulesConfig};
pub use evaluation::{
    Evaluation, Evaluator, EvaluatorMemory, GroupLagStatus, GroupMemory, HeldMemory, LagStatus,
    PartitionLagStatus, PartitionMemory, StopHoursMemory,
};
pub use lag::LagTracker;
pub use rules::{RuleEvaluator, StateSize, OFFSETS_LOST};
pub use scorer::{NoScorer, Series, SeriesScorer};
