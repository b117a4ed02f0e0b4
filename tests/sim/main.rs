//! The simulator and the poller over the wire: the simulator read by kcat,
//! librdkafka and kafka-python, the real poller against it and against
//! librdkafka's mock cluster, and the commands that poll (`check`,
//! `bench scale`). Each module was a test file of its own; its tests run
//! alongside each other only, never alongside another module's
//! (`support::group`), as when each was its own binary.

#[path = "../support/mod.rs"]
mod support;

mod bench_smoke;
mod cli_check;
mod poll_direct;
mod poll_mock;
mod poll_sidecar;
mod poll_sim;
mod sim_scenarios;
mod sim_wire;
