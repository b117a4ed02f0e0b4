//! Where time comes from: the one [`Clock`] every stage reads `now` from
//! (the daemon's loops, delivery and its notifiers, Slack included), so a
//! test can run everything on tokio's paused clock or a fixed instant.

use std::sync::Arc;

use crate::snapshot::Time;

/// Where time comes from. Logic gets `now` from here once per step.
pub trait Clock: Send + Sync {
    fn now(&self) -> Time;
}

/// A clock shared between tasks.
pub type SharedClock = Arc<dyn Clock>;

/// Any `Fn() -> Time` is a clock: tests pass `move || t`.
impl<F: Fn() -> Time + Send + Sync> Clock for F {
    fn now(&self) -> Time {
        self()
    }
}

/// The system's wall clock.
pub fn system_clock() -> SharedClock {
    Arc::new(chrono::Utc::now)
}

/// Wall time that follows tokio's clock: pausing or advancing tokio time in
/// a test moves it too; in production it is the system clock (read once at
/// start, then advanced by tokio's monotonic clock).
pub struct TokioClock {
    wall: Time,
    base: tokio::time::Instant,
}

impl TokioClock {
    pub fn new() -> Self {
        Self::starting_at(chrono::Utc::now())
    }
    pub fn starting_at(wall: Time) -> Self {
        TokioClock {
            wall,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Time {
        let d = tokio::time::Instant::now().saturating_duration_since(self.base);
        self.wall + chrono::Duration::from_std(d).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time_and_closures_are_clocks() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = TokioClock::starting_at(t0);
        assert_eq!(c.now(), t0);
        tokio::time::advance(std::time::Duration::from_secs(90)).await;
        assert_eq!(c.now(), t0 + chrono::Duration::seconds(90));
        let fixed: SharedClock = Arc::new(move || t0);
        assert_eq!(fixed.now(), t0);
    }
}
