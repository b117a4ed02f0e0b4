//! A Kafka cluster simulator speaking the real wire protocol.
//!
//! [`Simulator::start`] binds one listener per broker on 127.0.0.1 and runs
//! a [`Scenario`]: the cluster it describes evolves on a simulated clock
//! (producers, followers, ISR, elections, consumer groups) and its event
//! timeline injects faults. Clients (librdkafka, kcat, Java, Sarama) connect
//! to [`SimHandle::bootstrap`] as to a real cluster.
//!
//! ```no_run
//! # async fn demo() -> Result<(), isrwatch::sim::SimError> {
//! use isrwatch::sim::{Action, Scenario, SimOptions, Simulator};
//! let scenario = Scenario::load("tests/scenarios/broker_down.toml")?;
//! let sim = Simulator::start(scenario, SimOptions { speed: 10.0, ports: None }).await?;
//! println!("bootstrap: {}", sim.bootstrap());
//! sim.apply(Action::BrokerDown { broker: 2 });
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Submodules: [`scenario`] (files and actions), `options` (how to run a
//! simulation, [`SimError`]), `state` (the model and its dynamics), `server`
//! (connections, SASL, framing, one file per Kafka API handler), [`judge`](mod@judge)
//! (the closed-world check of a run). Request bodies are checked by
//! `crate::guard` before they are decoded.

pub mod judge;
mod options;
pub mod scenario;
mod server;
mod state;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use judge::{judge, Notified};
pub use options::{SimError, SimOptions, SimSasl, SimTls};
pub use scenario::{
    kind_meets, Action, Allowance, ClusterSpec, Event, Expectation, GroupSpec, PartitionMode,
    Scenario, TopicSpec,
};
pub use state::view::{BrokerView, GroupView, PartitionView, SimState};

use crate::snapshot::BrokerId;
use server::Shared;
use state::ClusterState;

/// Starts simulations.
pub struct Simulator;

/// Wall-clock interval between clock ticks: 50 ms for small clusters,
/// longer for big ones (one tick walks every partition and group), at most 1 s.
fn tick_interval(partitions: usize) -> Duration {
    Duration::from_millis((partitions as u64 / 200).clamp(50, 1000))
}

impl Simulator {
    /// Binds the brokers' listeners, schedules the scenario's events and
    /// starts the clock. Must be called inside a tokio runtime.
    pub async fn start(scenario: Scenario, opts: SimOptions) -> Result<SimHandle, SimError> {
        Self::start_inner(scenario, opts, None, None, true).await
    }

    /// Like [`Simulator::start`], with a clock that stands still: simulated
    /// time moves only by [`SimHandle::advance`]. For fast-forward runs on
    /// a virtual clock (`isrwatch soak`), where the caller decides when a
    /// poll happens in simulated time, however long the poll takes.
    pub async fn start_paused(scenario: Scenario) -> Result<SimHandle, SimError> {
        let opts = SimOptions {
            speed: 1.0,
            ports: None,
        };
        Self::start_inner(scenario, opts, None, None, false).await
    }

    /// Like [`Simulator::start`], with TLS listeners presenting `tls`.
    pub async fn start_tls(
        scenario: Scenario,
        opts: SimOptions,
        tls: SimTls,
    ) -> Result<SimHandle, SimError> {
        Self::start_secured(scenario, opts, Some(tls), None).await
    }

    /// Like [`Simulator::start`], with TLS listeners and/or SASL.
    pub async fn start_secured(
        scenario: Scenario,
        opts: SimOptions,
        tls: Option<SimTls>,
        sasl: Option<SimSasl>,
    ) -> Result<SimHandle, SimError> {
        let acceptor = match &tls {
            Some(t) => Some(server::tls_acceptor(t).map_err(SimError::Options)?),
            None => None,
        };
        Self::start_inner(scenario, opts, acceptor, sasl.map(Arc::new), true).await
    }

    async fn start_inner(
        scenario: Scenario,
        opts: SimOptions,
        tls: Option<Arc<openssl::ssl::SslAcceptor>>,
        sasl: Option<Arc<SimSasl>>,
        clock: bool,
    ) -> Result<SimHandle, SimError> {
        if !(opts.speed.is_finite() && opts.speed > 0.0) {
            return Err(SimError::Options(format!(
                "speed must be a positive number, found {}",
                opts.speed
            )));
        }
        let n = scenario.cluster.brokers as usize;
        if let Some(p) = &opts.ports {
            if p.len() != n {
                return Err(SimError::Options(format!(
                    "{} ports given for {n} brokers",
                    p.len()
                )));
            }
        }
        let mut listeners = Vec::with_capacity(n);
        let mut ports = Vec::with_capacity(n);
        for i in 0..n {
            let want = opts.ports.as_ref().map(|p| p[i]).unwrap_or(0);
            let broker = scenario.cluster.first_broker_id + i as i32;
            let l = TcpListener::bind(("127.0.0.1", want))
                .await
                .map_err(|source| SimError::Bind {
                    broker,
                    port: want,
                    source,
                })?;
            let port = l
                .local_addr()
                .map_err(|source| SimError::Bind {
                    broker,
                    port: want,
                    source,
                })?
                .port();
            ports.push(port);
            listeners.push(l);
        }
        let epoch_wall_ms = chrono::Utc::now().timestamp_millis();
        let mut st = ClusterState::new(&scenario.cluster, &ports, epoch_wall_ms);
        for e in &scenario.events {
            let at = e.at.as_millis() as i64;
            st.schedule(at, e.action.clone());
            if let (Some(d), Some(rec)) = (e.duration, e.action.recovery()) {
                st.schedule(at + d.as_millis() as i64, rec);
            }
        }
        let shared = Arc::new(Shared::new(st));
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        for (i, l) in listeners.into_iter().enumerate() {
            tasks.push(tokio::spawn(server::serve_broker(
                shared.clone(),
                i,
                l,
                tls.clone(),
                sasl.clone(),
                stop.clone(),
            )));
        }
        let partitions = shared
            .state
            .lock()
            .topics
            .iter()
            .map(|t| t.partitions.len())
            .sum();
        if clock {
            tasks.push(tokio::spawn(run_clock(
                shared.clone(),
                opts.speed,
                tick_interval(partitions),
                stop.clone(),
            )));
        }
        Ok(SimHandle {
            shared,
            ports,
            stop,
            tasks,
        })
    }
}

async fn run_clock(shared: Arc<Shared>, speed: f64, tick: Duration, stop: CancellationToken) {
    let start = Instant::now();
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = interval.tick() => {}
        }
        let target = (start.elapsed().as_secs_f64() * speed * 1000.0) as i64;
        let mut st = shared.state.lock();
        // Advance in steps of at most one second of simulated time so that
        // fast clocks still see every ISR transition in order.
        while st.now_ms < target {
            let step = (target - st.now_ms).min(1000);
            st.tick(step);
        }
    }
}

/// A running simulation. Dropping it without [`SimHandle::shutdown`] leaves
/// the tasks running until the runtime ends.
pub struct SimHandle {
    shared: Arc<Shared>,
    ports: Vec<u16>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// `"127.0.0.1:p1,127.0.0.1:p2,..."`, every broker, for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Listener ports in broker id order.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Applies a fault or recovery now.
    pub fn apply(&self, action: Action) {
        self.shared.state.lock().apply(&action);
    }

    /// Advances the simulated clock by `by` at once (on top of the running
    /// clock), running every due event and the dynamics in 1 s steps. Lets
    /// tests skip e.g. `replica.lag.time.max.ms` without waiting.
    pub fn advance(&self, by: Duration) {
        let mut st = self.shared.state.lock();
        let mut left = by.as_millis() as i64;
        while left > 0 {
            let step = left.min(1000);
            st.tick(step);
            left -= step;
        }
    }

    /// Simulated time since start.
    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(self.shared.state.lock().now_ms.max(0) as u64)
    }

    /// Wall time of the simulation's start: simulated time `t` is
    /// `started_at() + t` in the timestamps the brokers hand out.
    pub fn started_at(&self) -> crate::snapshot::Time {
        let ms = self.shared.state.lock().epoch_wall_ms;
        chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    /// A function reading the simulated time, for status lines that outlive
    /// a borrow of the handle.
    pub fn elapsed_fn(&self) -> impl Fn() -> Duration + Send + Sync + 'static {
        let shared = self.shared.clone();
        move || Duration::from_millis(shared.state.lock().now_ms.max(0) as u64)
    }

    /// Requests received since start (or the last reset), by API name
    /// (`"Metadata"`, `"ListOffsets"`, ...), summed over brokers.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for row in &self.shared.counts {
            for (k, c) in row.iter().enumerate() {
                let v = c.load(Ordering::Relaxed);
                if v > 0 {
                    *out.entry(api_name(k as i16)).or_insert(0) += v;
                }
            }
        }
        out
    }

    /// Same as [`SimHandle::request_counts`], per broker id.
    pub fn request_counts_by_broker(&self) -> BTreeMap<BrokerId, BTreeMap<String, u64>> {
        let ids: Vec<BrokerId> = self
            .shared
            .state
            .lock()
            .brokers
            .iter()
            .map(|b| b.id)
            .collect();
        let mut out = BTreeMap::new();
        for (row, id) in self.shared.counts.iter().zip(ids) {
            let m: BTreeMap<String, u64> = row
                .iter()
                .enumerate()
                .filter_map(|(k, c)| {
                    let v = c.load(Ordering::Relaxed);
                    (v > 0).then(|| (api_name(k as i16), v))
                })
                .collect();
            out.insert(id, m);
        }
        out
    }

    /// Sets every request counter to zero.
    pub fn reset_request_counts(&self) {
        for row in &self.shared.counts {
            for c in row {
                c.store(0, Ordering::Relaxed);
            }
        }
    }

    /// A read-only copy of the cluster: leaders, ISR, offsets, groups.
    pub fn state(&self) -> SimState {
        self.shared.state.lock().view()
    }

    /// Stops the listeners, the connections and the clock.
    pub async fn shutdown(self) {
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn api_name(key: i16) -> String {
    match kafka_protocol::messages::ApiKey::try_from(key) {
        Ok(k) => format!("{k:?}"),
        Err(_) => format!("Unknown({key})"),
    }
}

/// `isrwatch sim`: starts the simulator on `scenario` (the demo when
/// `None`), prints the bootstrap address on stdout, runs the timeline and
/// prints each event as it happens, until `shutdown` completes.
pub async fn run_cli(
    scenario: Option<PathBuf>,
    speed: f64,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let scenario = match scenario {
        Some(p) => Scenario::load(&p)?,
        None => Scenario::demo(),
    };
    let events: Vec<(Duration, String)> = scenario
        .events
        .iter()
        .map(|e| (e.at, format!("{:?}", e.action)))
        .collect();
    let sim = Simulator::start(scenario, SimOptions { speed, ports: None }).await?;
    println!("{}", sim.bootstrap());
    let mut next = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {
                let now = sim.elapsed();
                while next < events.len() && events[next].0 <= now {
                    eprintln!("[{:>6.1}s] {}", events[next].0.as_secs_f64(), events[next].1);
                    next += 1;
                }
            }
        }
    }
    sim.shutdown().await;
    Ok(())
}
