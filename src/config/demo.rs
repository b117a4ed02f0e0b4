//! The configuration `isrwatch demo` (and the latency benchmark) runs
//! with: built from plain options, so neither the CLI nor the benchmark
//! needs the other.

use std::time::Duration;

use super::{ClusterConfig, Config, Dur};

/// The demo's poll interval at speed 1.
pub const DEMO_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest poll interval the demo chooses by itself at a high speed
/// (an explicit `poll_interval` may go lower).
pub const DEMO_MIN_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What a demo configuration depends on (`isrwatch demo`'s options).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// How many times faster than its scenario the simulator runs.
    pub speed: f64,
    /// The poll interval; default [`DEMO_POLL_INTERVAL`] / speed.
    pub poll_interval: Option<Duration>,
    /// The API's address; default `127.0.0.1:9309`.
    pub listen: Option<String>,
    pub webhook: Option<String>,
    pub slack_webhook: Option<String>,
    pub alertmanager: Option<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            speed: 1.0,
            poll_interval: None,
            listen: None,
            webhook: None,
            slack_webhook: None,
            alertmanager: None,
        }
    }
}

impl Config {
    /// The configuration `isrwatch demo` runs with: one cluster (the
    /// simulator), the API on `listen`, a log notifier plus the user's own
    /// destinations, state in a fresh temporary directory.
    ///
    /// The simulator runs `args.speed` times faster than its scenario, so
    /// every time constant of the daemon (pending delays, rule holds, lag
    /// STALL/STOP times, reminders, flap damping, the poll cycle: see
    /// [`Config::time_scaled`]) is divided by the speed: the demo at any speed
    /// is a fast-forward of the same run at speed 1. The poll interval is
    /// [`DEMO_POLL_INTERVAL`] divided by the speed (at least
    /// [`DEMO_MIN_POLL_INTERVAL`]) unless `poll_interval` says otherwise.
    /// The error names a speed that is not a positive number.
    pub fn demo(
        args: &DemoOptions,
        bootstrap: &str,
        webhook_secret: &str,
    ) -> Result<Config, String> {
        let cluster = ClusterConfig::with_bootstrap(
            "demo",
            bootstrap.split(',').map(str::to_string).collect(),
        );
        let base = Config {
            clusters: vec![cluster],
            ..Default::default()
        };
        let mut config = base
            .time_scaled(1.0 / args.speed)
            .map_err(|e| format!("demo --speed {}: {e}", args.speed))?;
        let poll = args.poll_interval.unwrap_or_else(|| {
            DEMO_POLL_INTERVAL
                .div_f64(args.speed)
                .max(DEMO_MIN_POLL_INTERVAL)
        });
        for cluster in &mut config.clusters {
            cluster.poll_interval = Dur(poll);
            cluster.poll_timeout = Dur(poll.min(Duration::from_secs(10)));
            cluster.request_timeout = Dur(cluster.poll_timeout.0.min(Duration::from_secs(5)));
            cluster.lag_history = cluster.lag_history.max(cluster.poll_interval);
        }
        config.http.listen = args
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:9309".into());
        let api_base = format!("http://{}", config.http.listen);
        config.notifiers = crate::notify::demo_notifiers(
            args.webhook.as_deref(),
            webhook_secret,
            args.slack_webhook.as_deref(),
            args.alertmanager.as_deref(),
            Some(&api_base),
        );
        config.daemon.state_dir =
            std::env::temp_dir().join(format!("isrwatch-demo-{}", std::process::id()));
        Ok(config)
    }
}
