//! End to end, in real time or fast-forward: whole daemons against the
//! simulator (scenarios, soak, demo speed, HTTP API, status page in
//! Chromium), real Prometheus and Alertmanager, and crash durability of the
//! notification outbox. Each module was a test file of its own; its tests
//! run alongside each other only, never alongside another module's
//! (`support::group`), as when each was its own binary.

#[path = "../support/mod.rs"]
mod support;

mod api_daemon_sim;
mod demo_speed;
mod e2e_monitoring;
mod notify_alertmanager;
mod notify_crash;
mod scenarios_e2e;
mod soak;
mod status_page;
