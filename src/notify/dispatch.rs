//! The dispatcher: routes notifications, makes them durable in the outbox,
//! and delivers them with one worker per destination.
//!
//! Each worker delivers its destination's notifications one at a time, in
//! acceptance order. A failed attempt is retried with exponential backoff
//! and jitter (or after the destination's `Retry-After`), within
//! `max_retries` and `max_retry_time`; a permanent error (a 4xx other than
//! 408/429) is not retried. Either way, a notification that cannot be
//! delivered is recorded as failed in the outbox (so it is not sent again
//! after a restart), counted in `isrwatch_notifications_failed_total` and
//! logged: the outbox protects accepted notifications against crashes and
//! restarts, not against a destination that stays down longer than its
//! retry budget.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use parking_lot::Mutex;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::outbox::{Outbox, OutboxError, PendingItem};
use super::{build_notifier, Clock, DeliveryError, Notifier, NotifierConfig, NotifierKind};
use crate::model::{Incident, IncidentState, Notification, NotifyReason, Summary, SummarySource};

/// The delivery metrics, registered once into the daemon's registry.
#[derive(Clone)]
pub struct NotifyMetrics {
    /// `isrwatch_notifications_sent_total{notifier}`
    pub sent: IntCounterVec,
    /// `isrwatch_notifications_failed_total{notifier,reason}`; reason is
    /// `rejected` (permanent error) or `gave_up` (retry budget spent).
    pub failed: IntCounterVec,
    /// `isrwatch_notifications_retried_total{notifier}`
    pub retried: IntCounterVec,
    /// `isrwatch_outbox_depth`: pending (notification, destination) pairs.
    pub outbox_depth: IntGauge,
    /// `isrwatch_notification_delivery_seconds{notifier}`: acceptance to
    /// acknowledgement.
    pub delivery_seconds: HistogramVec,
}

impl NotifyMetrics {
    /// Creates the metrics and registers them into `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = NotifyMetrics {
            sent: IntCounterVec::new(
                Opts::new(
                    "isrwatch_notifications_sent_total",
                    "Notifications acknowledged by their destination.",
                ),
                &["notifier"],
            )?,
            failed: IntCounterVec::new(
                Opts::new(
                    "isrwatch_notifications_failed_total",
                    "Notifications given up on: rejected (4xx) or gave_up (retry budget spent).",
                ),
                &["notifier", "reason"],
            )?,
            retried: IntCounterVec::new(
                Opts::new(
                    "isrwatch_notifications_retried_total",
                    "Delivery attempts retried after a retryable failure.",
                ),
                &["notifier"],
            )?,
            outbox_depth: IntGauge::new(
                "isrwatch_outbox_depth",
                "Pending (notification, destination) pairs in the durable outbox.",
            )?,
            delivery_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "isrwatch_notification_delivery_seconds",
                    "Time from acceptance into the outbox to acknowledgement by the destination.",
                )
                .buckets(vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
                ]),
                &["notifier"],
            )?,
        };
        registry.register(Box::new(m.sent.clone()))?;
        registry.register(Box::new(m.failed.clone()))?;
        registry.register(Box::new(m.retried.clone()))?;
        registry.register(Box::new(m.outbox_depth.clone()))?;
        registry.register(Box::new(m.delivery_seconds.clone()))?;
        Ok(m)
    }
}

/// A configured destination: its routing and retry settings and the
/// notifier that talks to it.
pub struct Destination {
    pub config: NotifierConfig,
    pub notifier: Arc<dyn Notifier>,
}

impl Destination {
    /// Pairs a configuration with a notifier (tests use custom notifiers).
    pub fn new(config: NotifierConfig, notifier: Arc<dyn Notifier>) -> Self {
        Destination { config, notifier }
    }

    /// Builds the notifier the configuration describes (reads secrets).
    pub fn from_config(config: &NotifierConfig, clock: Clock) -> Result<Self, String> {
        Ok(Destination {
            config: config.clone(),
            notifier: build_notifier(config, clock)?,
        })
    }

    fn name(&self) -> &str {
        &self.config.name
    }
}

/// A token bucket: `per_minute` tokens, refilled continuously.
struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(per_minute: u32) -> Self {
        let capacity = f64::from(per_minute.max(1));
        TokenBucket {
            capacity,
            tokens: capacity,
            per_sec: capacity / 60.0,
            last: Instant::now(),
        }
    }

    /// Takes a token, or says how long to wait for one.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

struct Worker {
    dest: Destination,
    wake: Notify,
    bucket: Option<Mutex<TokenBucket>>,
}

/// Routes, stores and delivers notifications. Build it, wrap it in an
/// `Arc`, call [`Dispatcher::start`], then [`Dispatcher::accept`].
pub struct Dispatcher {
    workers: Vec<Worker>,
    outbox: Arc<Mutex<Outbox>>,
    metrics: NotifyMetrics,
    clock: Clock,
    accepting: AtomicBool,
    cancel: CancellationToken,
    shutdown_grace: Duration,
}

/// How one delivery ended.
enum Outcome {
    Done,
    /// Shutdown came first; the item stays pending in the outbox.
    Stopped,
}

impl Dispatcher {
    /// A dispatcher over `destinations` (their names must be unique) and an
    /// opened outbox; registers the metrics into `registry`.
    pub fn new(
        destinations: Vec<Destination>,
        outbox: Outbox,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let metrics = NotifyMetrics::new(registry)?;
        let mut outbox = outbox;
        // Items left for a destination that is no longer configured would
        // stay pending forever: close them, loudly.
        for item in outbox.pending() {
            if !destinations.iter().any(|d| d.name() == item.destination) {
                tracing::warn!(
                    destination = %item.destination,
                    id = %item.notification.id,
                    "outbox holds a notification for a destination that is no longer configured; dropping it"
                );
                if let Err(e) = outbox.mark_failed(
                    &item.notification.id,
                    &item.destination,
                    "destination removed",
                ) {
                    tracing::error!(error = %e, "cannot update the outbox");
                }
            }
        }
        metrics.outbox_depth.set(outbox.depth() as i64);
        let workers = destinations
            .into_iter()
            .map(|dest| Worker {
                bucket: dest
                    .config
                    .rate_limit
                    .map(|r| Mutex::new(TokenBucket::new(r))),
                dest,
                wake: Notify::new(),
            })
            .collect();
        Ok(Dispatcher {
            workers,
            outbox: Arc::new(Mutex::new(outbox)),
            metrics,
            clock: super::system_clock(),
            accepting: AtomicBool::new(true),
            cancel: CancellationToken::new(),
            shutdown_grace: Duration::from_secs(5),
        })
    }

    /// Opens the outbox in `state_dir` and builds every configured notifier.
    pub fn from_config(
        configs: &[NotifierConfig],
        state_dir: &std::path::Path,
        registry: &Registry,
        clock: Clock,
    ) -> Result<Self, String> {
        let dests = configs
            .iter()
            .map(|c| Destination::from_config(c, clock.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let outbox = Outbox::open(&state_dir.join("outbox")).map_err(|e| e.to_string())?;
        if let Some(t) = &outbox.recovery().torn_tail {
            tracing::warn!(offset = t.offset, bytes = t.bytes, reason = %t.reason, "outbox tail ignored");
        }
        Ok(Dispatcher::new(dests, outbox, registry)
            .map_err(|e| format!("cannot register notifier metrics: {e}"))?
            .with_clock(clock))
    }

    /// Uses `clock` for delivery latency and acceptance times.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How long in-flight attempts may run after shutdown (default 5 s).
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The delivery metrics.
    pub fn metrics(&self) -> &NotifyMetrics {
        &self.metrics
    }

    /// Pending (notification, destination) pairs.
    pub fn outbox_depth(&self) -> usize {
        self.outbox.lock().depth()
    }

    /// Routes `n` to the destinations that want it and stores it durably;
    /// returns once it is fsynced (the notification is then accepted and
    /// will be delivered even if the process dies). A notification no
    /// destination wants is dropped with a debug line.
    pub async fn accept(&self, n: Notification) -> Result<(), OutboxError> {
        if !self.accepting.load(Ordering::SeqCst) {
            return Err(OutboxError::ShuttingDown);
        }
        let routed: Vec<usize> = (0..self.workers.len())
            .filter(|&i| self.workers[i].dest.config.routes(&n))
            .collect();
        if routed.is_empty() {
            tracing::debug!(id = %n.id, incident = %n.incident.id, "no destination routes this notification");
            return Ok(());
        }
        let names: Vec<String> = routed
            .iter()
            .map(|&i| self.workers[i].dest.name().to_string())
            .collect();
        let now = self.clock.now();
        let outbox = self.outbox.clone();
        let gauge = self.metrics.outbox_depth.clone();
        tokio::task::spawn_blocking(move || {
            let mut ob = outbox.lock();
            ob.accept(&n, &names, now)?;
            // Set under the lock, so the gauge never lags the outbox.
            gauge.set(ob.depth() as i64);
            Ok::<_, OutboxError>(())
        })
        .await
        .map_err(|e| OutboxError::Task(e.to_string()))??;
        for i in routed {
            self.workers[i].wake.notify_one();
        }
        Ok(())
    }

    /// Starts one worker per destination (they first deliver what a
    /// previous run left in the outbox). When `shutdown` completes, no new
    /// notification is accepted, attempts in flight get the grace period
    /// to finish, and everything undelivered stays in the outbox.
    pub fn start(
        self: Arc<Self>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let this = self;
        tokio::spawn(async move {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..this.workers.len() {
                set.spawn(this.clone().run_worker(i));
            }
            shutdown.await;
            this.accepting.store(false, Ordering::SeqCst);
            this.cancel.cancel();
            let drained = tokio::time::timeout(this.shutdown_grace, async {
                while set.join_next().await.is_some() {}
            })
            .await;
            if drained.is_err() {
                tracing::warn!(
                    grace = ?this.shutdown_grace,
                    "notification attempts still running at the shutdown deadline were abandoned; they stay in the outbox"
                );
                set.abort_all();
            }
            tracing::info!(
                pending = this.outbox_depth(),
                "notification dispatcher stopped"
            );
        })
    }

    async fn run_worker(self: Arc<Self>, idx: usize) {
        let w = &self.workers[idx];
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            // An in-memory lookup; it can wait for an fsync another thread
            // holds the lock for (milliseconds), which is acceptable here.
            let item = self.outbox.lock().next_for(w.dest.name());
            match item {
                None => {
                    tokio::select! {
                        _ = w.wake.notified() => {}
                        _ = self.cancel.cancelled() => return,
                    }
                }
                Some(item) => {
                    if let Outcome::Stopped = self.deliver(w, item).await {
                        return;
                    }
                }
            }
        }
    }

    /// Sleeps unless shutdown comes first (returns false then).
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cancel.cancelled() => false,
        }
    }

    async fn deliver(&self, w: &Worker, item: PendingItem) -> Outcome {
        let name = w.dest.name();
        let cfg = &w.dest.config;
        let n = &item.notification;
        let started = Instant::now();
        let mut retries: u32 = 0;
        loop {
            if let Some(bucket) = &w.bucket {
                loop {
                    let wait = bucket.lock().take(Instant::now());
                    match wait {
                        Ok(()) => break,
                        Err(d) => {
                            tracing::debug!(notifier = name, wait = ?d, "rate limited");
                            if !self.sleep(d).await {
                                return Outcome::Stopped;
                            }
                        }
                    }
                }
            }
            match w.dest.notifier.send(n).await {
                Ok(()) => {
                    let latency = (self.clock.now() - item.accepted_at)
                        .to_std()
                        .unwrap_or(Duration::ZERO);
                    self.metrics.sent.with_label_values(&[name]).inc();
                    self.metrics
                        .delivery_seconds
                        .with_label_values(&[name])
                        .observe(latency.as_secs_f64());
                    tracing::debug!(notifier = name, id = %n.id, retries, "notification delivered");
                    return self.finish(&item, None).await;
                }
                Err(DeliveryError::Permanent { status, body }) => {
                    tracing::error!(
                        notifier = name,
                        id = %n.id,
                        status = ?status,
                        response = %body,
                        "destination rejected the notification; not retrying"
                    );
                    self.metrics
                        .failed
                        .with_label_values(&[name, "rejected"])
                        .inc();
                    let reason = format!("rejected: HTTP {status:?}: {body}");
                    return self.finish(&item, Some(&reason)).await;
                }
                Err(DeliveryError::Retryable {
                    reason,
                    retry_after,
                }) => {
                    retries += 1;
                    let delay = retry_after.unwrap_or_else(|| {
                        Backoff::retries(cfg.backoff_initial.0, cfg.backoff_max.0).delay(retries)
                    });
                    let spent = started.elapsed();
                    if retries > cfg.max_retries || spent + delay > cfg.max_retry_time.0 {
                        tracing::error!(
                            notifier = name,
                            id = %n.id,
                            attempts = retries,
                            spent = ?spent,
                            last_error = %reason,
                            "giving up on this notification: the destination stayed unavailable past its retry budget"
                        );
                        self.metrics
                            .failed
                            .with_label_values(&[name, "gave_up"])
                            .inc();
                        let why = format!("gave up after {retries} attempts: {reason}");
                        return self.finish(&item, Some(&why)).await;
                    }
                    self.metrics.retried.with_label_values(&[name]).inc();
                    tracing::warn!(
                        notifier = name,
                        id = %n.id,
                        attempt = retries,
                        retry_in = ?delay,
                        error = %reason,
                        "delivery failed; will retry"
                    );
                    if !self.sleep(delay).await {
                        return Outcome::Stopped;
                    }
                }
            }
        }
    }

    /// Records the end of one (notification, destination) pair durably;
    /// keeps trying if the disk fails (never re-sends instead).
    async fn finish(&self, item: &PendingItem, failure: Option<&str>) -> Outcome {
        loop {
            let outbox = self.outbox.clone();
            let id = item.notification.id.clone();
            let dest = item.destination.clone();
            let failure = failure.map(str::to_string);
            let gauge = self.metrics.outbox_depth.clone();
            let res = tokio::task::spawn_blocking(move || {
                let mut ob = outbox.lock();
                match &failure {
                    None => ob.mark_delivered(&id, &dest),
                    Some(r) => ob.mark_failed(&id, &dest, r),
                }?;
                gauge.set(ob.depth() as i64);
                Ok::<_, OutboxError>(())
            })
            .await;
            match res {
                Ok(Ok(())) => return Outcome::Done,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "cannot record a delivery in the outbox; retrying")
                }
                Err(e) => tracing::error!(error = %e, "outbox task failed; retrying"),
            }
            if !self.sleep(Duration::from_secs(1)).await {
                return Outcome::Stopped;
            }
        }
    }

    /// Re-sends firing incidents straight to every Alertmanager destination
    /// (no outbox: it is an idempotent refresh), so their `endsAt` moves
    /// forward. The daemon calls it at least every `resolve_timeout / 2`
    /// with the currently firing incidents. Errors are logged.
    pub async fn refresh(&self, incidents: &[Incident]) {
        let now = self.clock.now();
        for inc in incidents
            .iter()
            .filter(|i| i.state == IncidentState::Firing)
        {
            let n = Notification {
                id: format!("refresh-{}", inc.id),
                reason: NotifyReason::Reminder,
                incident: inc.clone(),
                summary: inc.summary.clone().unwrap_or_else(|| Summary {
                    headline: inc.title.clone(),
                    what_happened: inc.title.clone(),
                    impact: String::new(),
                    likely_cause: String::new(),
                    next_steps: Vec::new(),
                    source: SummarySource::Template,
                    fallback_reason: None,
                }),
                created_at: now,
                is_update: false,
            };
            for w in &self.workers {
                if w.dest.config.kind == NotifierKind::Alertmanager && w.dest.config.routes(&n) {
                    if let Err(e) = w.dest.notifier.send(&n).await {
                        tracing::warn!(notifier = w.dest.name(), incident = %inc.id, error = %e, "alert refresh failed");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_limits_rate() {
        let mut b = TokenBucket::new(2);
        let now = Instant::now();
        assert!(b.take(now).is_ok());
        assert!(b.take(now).is_ok());
        let wait = b.take(now).expect_err("empty");
        assert!(wait <= Duration::from_secs(30) && wait > Duration::from_secs(29));
        assert!(b.take(now + Duration::from_secs(30)).is_ok());
    }
}
