//! Where the command line meets the rest of the crate.
//!
//! Every command whose work lives in another module goes through one
//! function here. They are stubs until the integrator wires them (daemon,
//! poller, simulator, detector, benchmarks); each stub returns an error
//! saying so, which the command line prints and turns into exit code 2.

use anyhow::bail;

use super::{BenchArgs, DemoArgs, DetectArgs, ShutdownSignal, SimArgs};
use crate::config::{ClusterConfig, Config};
use crate::evaluate::GroupLagStatus;
use crate::snapshot::{ClusterSnapshot, Time};

/// `isrwatch run`: runs the daemon on a validated configuration until
/// `shutdown` completes (SIGINT/SIGTERM), then stops within
/// `config.daemon.shutdown_timeout`.
pub async fn run(config: Config, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    let _ = (config, shutdown);
    bail!("`isrwatch run` is not wired yet")
}

/// `isrwatch check`: one poll of `cluster` (with
/// `crate::poll::KafkaPoller`), and the lag status of its groups when the
/// evaluator can tell from one poll. An unreachable cluster is `Ok` with
/// `reachable = false`; `Err` is for failures to even start (bad client
/// properties, unreadable secrets).
pub async fn check_poll(
    cluster: &ClusterConfig,
    now: Time,
) -> anyhow::Result<(ClusterSnapshot, Vec<GroupLagStatus>)> {
    // Resolving secrets is the first step of any real poll; doing it here
    // already gives the user a clear error for a missing variable or file.
    let _properties = cluster.client_properties().map_err(anyhow::Error::msg)?;
    let _ = now;
    bail!("`isrwatch check` is not wired yet (needs the Kafka poller)")
}

/// `isrwatch demo`: simulator + daemon + status line until `shutdown` or
/// `args.duration`.
pub async fn demo(args: DemoArgs, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    let _ = (args, shutdown);
    bail!("`isrwatch demo` is not wired yet")
}

/// `isrwatch sim`: the simulator alone, printing its bootstrap address,
/// until `shutdown`.
pub async fn sim(args: SimArgs, shutdown: ShutdownSignal) -> anyhow::Result<()> {
    let _ = (args, shutdown);
    bail!("`isrwatch sim` is not wired yet")
}

/// `isrwatch detect`: the anomaly detector over a CSV file.
pub async fn detect(args: DetectArgs) -> anyhow::Result<()> {
    let _ = args;
    bail!("`isrwatch detect` is not wired yet")
}

/// `isrwatch bench ...`: prints a benchmark's table (or JSON).
pub async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let _ = args;
    bail!("`isrwatch bench` is not wired yet")
}
