//! The fast integration tests, in one binary: in-process checks of the
//! configuration, evaluator, incidents, summaries, notifiers, HTTP API and
//! detector on hand-built input, the binary's command line, and the shipped
//! files (README, dashboards, rules, deployment) checked by their tools.
//! Each module was a test file of its own (`tests/NAME.rs`); test names
//! keep it as their first segment (`cargo test --test it config_parse::`).

#[path = "../support/mod.rs"]
mod support;

mod alerts_rules;
mod cli_parse;
mod cli_probe;
mod cli_signal;
mod config_parse;
mod daemon_pipeline;
mod dashboards_json;
mod deploy_lint;
mod detect_props;
mod evaluate_lag;
mod evaluate_rules;
mod http_api;
mod incident_grouping;
mod incident_lifecycle;
mod notify_delivery;
mod readme_config;
mod summarize_llm;
mod summarize_template;
