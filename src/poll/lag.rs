//! Consumer lag in messages and in seconds.
//!
//! Lag in seconds follows Kafka Lag Exporter's idea, with its known bugs
//! fixed: per partition we keep a bounded history of `(end offset, poll
//! time)` pairs; the time lag of a committed offset `c` is `now - t(c)`
//! where `t(c)` is the (linearly interpolated) time at which the partition's
//! end offset was `c`, i.e. roughly when the first unconsumed message was
//! written.
//!
//! Edge cases:
//! - caught up (`c >= end`, which covers an idle topic with a caught-up
//!   consumer): 0 seconds, whatever the age of the data;
//! - `c` older than the whole history: extrapolated from the oldest point
//!   using the average produce rate over the history, never less than
//!   `now - oldest`; flagged `extrapolated`;
//! - end offset going backwards (topic recreated, offsets reset): the
//!   history restarts;
//! - the history is bounded in time (`window`) and in points (`max_points`);
//!   flat stretches (idle partition) are stored as two points only.

use std::collections::VecDeque;
use std::time::Duration;

use crate::snapshot::Time;

/// Lag in messages: `max(end - committed, 0)`, `None` when either is unknown.
pub fn lag_messages(committed: Option<i64>, end: Option<i64>) -> Option<i64> {
    match (committed, end) {
        (Some(c), Some(e)) => Some((e - c).max(0)),
        _ => None,
    }
}

/// A time lag and whether it had to be extrapolated past the history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeLag {
    pub seconds: f64,
    /// The committed offset predates the oldest history point: `seconds`
    /// is an estimate (and at least `now - oldest point`).
    pub extrapolated: bool,
}

/// Default number of points kept per partition.
pub const DEFAULT_MAX_POINTS: usize = 64;

/// The bounded `(end offset, time)` history of one partition.
#[derive(Debug, Clone)]
pub struct OffsetHistory {
    /// `(offset, unix millis)`, offsets non-decreasing, times increasing.
    points: VecDeque<(i64, i64)>,
    max_points: usize,
    window_ms: i64,
}

impl OffsetHistory {
    /// An empty history keeping at most `max_points` (at least 4) points
    /// reaching back `window`.
    pub fn new(window: Duration, max_points: usize) -> Self {
        OffsetHistory {
            points: VecDeque::new(),
            max_points: max_points.max(4),
            window_ms: window.as_millis().min(i64::MAX as u128) as i64,
        }
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no point was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Records the end offset seen at `at`.
    pub fn record(&mut self, end: i64, at: Time) {
        let t = at.timestamp_millis();
        if let Some(&(last_off, last_t)) = self.points.back() {
            if t <= last_t {
                return; // clock went backwards or duplicate poll: ignore
            }
            if end < last_off {
                self.points.clear(); // truncation / recreation / reset
            } else if end == last_off && self.points.len() >= 2 {
                let prev = self.points[self.points.len() - 2].0;
                if prev == end {
                    // Flat stretch: keep its first and last point only.
                    if let Some(b) = self.points.back_mut() {
                        b.1 = t;
                    }
                    self.evict(t, self.max_points);
                    return;
                }
            }
        }
        // Room first: pushed onto a full budget, the deque doubled its
        // buffer (64 points held in 128 slots, 2 KiB a partition).
        self.evict(t, self.max_points - 1);
        self.points.push_back((end, t));
        self.evict(t, self.max_points);
    }

    /// Drops points older than the window and then interior points until
    /// at most `budget` are left.
    fn evict(&mut self, now_ms: i64, budget: usize) {
        // Time window: drop points older than the window, keeping two so
        // a rate can still be estimated.
        while self.points.len() > 2 {
            match self.points.front() {
                Some(&(_, t)) if now_ms - t > self.window_ms => {
                    self.points.pop_front();
                }
                _ => break,
            }
        }
        // Point budget: drop the interior point whose neighbours are
        // closest in time (keeps resolution even across the window).
        while self.points.len() > budget.max(2) {
            let mut best = 1;
            let mut best_gap = i64::MAX;
            for i in 1..self.points.len() - 1 {
                let gap = self.points[i + 1].1 - self.points[i - 1].1;
                if gap < best_gap {
                    best_gap = gap;
                    best = i;
                }
            }
            self.points.remove(best);
        }
    }

    /// Time lag of `committed` at `now`. `None` when the history is empty.
    pub fn time_lag(&self, committed: i64, now: Time) -> Option<TimeLag> {
        let now_ms = now.timestamp_millis();
        let &(last_off, _) = self.points.back()?;
        if committed >= last_off {
            return Some(TimeLag {
                seconds: 0.0,
                extrapolated: false,
            });
        }
        let secs = |t_ms: f64| ((now_ms as f64 - t_ms) / 1000.0).max(0.0);
        // First point whose offset is greater than `committed`.
        let idx = self.points.partition_point(|&(o, _)| o <= committed);
        if idx == 0 {
            let (o0, t0) = self.points[0];
            let (on, tn) = self.points[self.points.len() - 1];
            let mut t = t0 as f64;
            if on > o0 && tn > t0 {
                let rate = (on - o0) as f64 / (tn - t0) as f64; // msgs per ms
                t -= (o0 - committed) as f64 / rate;
            }
            return Some(TimeLag {
                seconds: secs(t),
                extrapolated: true,
            });
        }
        let (o0, t0) = self.points[idx - 1];
        let (o1, t1) = self.points[idx];
        // o0 <= committed < o1: the end offset passed `committed` between
        // t0 and t1.
        let frac = (committed - o0) as f64 / (o1 - o0) as f64;
        let t = t0 as f64 + frac * (t1 - t0) as f64;
        Some(TimeLag {
            seconds: secs(t),
            extrapolated: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> Time {
        chrono::Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn hist(points: &[(i64, i64)]) -> OffsetHistory {
        let mut h = OffsetHistory::new(Duration::from_secs(3600), 64);
        for &(o, s) in points {
            h.record(o, t(s));
        }
        h
    }

    #[test]
    fn message_lag_is_never_negative_and_none_when_unknown() {
        assert_eq!(lag_messages(Some(5), Some(10)), Some(5));
        assert_eq!(lag_messages(Some(12), Some(10)), Some(0));
        assert_eq!(lag_messages(None, Some(10)), None);
        assert_eq!(lag_messages(Some(1), None), None);
    }

    #[test]
    fn caught_up_and_ahead_are_zero() {
        let h = hist(&[(0, 0), (100, 10)]);
        assert_eq!(h.time_lag(100, t(20)).unwrap().seconds, 0.0);
        assert_eq!(h.time_lag(150, t(20)).unwrap().seconds, 0.0); // committed > end
    }

    /// A full budget must not double the buffer: 64 points in 128 slots
    /// was 2 KiB a partition, 100 MB at 100k partitions.
    #[test]
    fn a_full_history_keeps_its_buffer_at_the_point_budget() {
        let mut h = OffsetHistory::new(Duration::from_secs(6 * 3600), 64);
        for i in 0..1_000 {
            h.record(i * 100, t(i * 15));
        }
        assert_eq!(h.len(), 64);
        assert!(h.points.capacity() <= 64, "{}", h.points.capacity());
        // Still interpolates across the thinned history.
        let lag = h.time_lag(100 * 990, t(999 * 15)).unwrap();
        assert!((lag.seconds - 135.0).abs() < 60.0, "{lag:?}");
    }

    #[test]
    fn idle_partition_with_caught_up_consumer_is_zero_forever() {
        let h = hist(&[(50, 0), (50, 10), (50, 20), (50, 3000)]);
        assert_eq!(h.len(), 2, "flat stretch is two points");
        assert_eq!(h.time_lag(50, t(5000)).unwrap().seconds, 0.0);
    }

    #[test]
    fn interpolates_between_points() {
        let h = hist(&[(0, 0), (100, 10), (200, 20)]);
        // offset 150 was the end at t=15; now t=30 -> 15 s
        let l = h.time_lag(150, t(30)).unwrap();
        assert!((l.seconds - 15.0).abs() < 1e-9 && !l.extrapolated);
        // committed exactly on a point
        assert!((h.time_lag(100, t(30)).unwrap().seconds - 20.0).abs() < 1e-9);
    }

    #[test]
    fn stalled_consumer_on_idle_then_active_topic() {
        // End sat at 50 from t=0 to t=100, then moved to 60 at t=110.
        // A consumer at 50 is behind since just after t=100, not since t=0.
        let h = hist(&[(50, 0), (50, 100), (60, 110)]);
        let l = h.time_lag(50, t(120)).unwrap();
        assert!((l.seconds - 20.0).abs() < 1e-9, "{l:?}");
    }

    #[test]
    fn fresh_partition_gives_extrapolated_lower_bound() {
        let h = hist(&[(100, 0)]);
        let l = h.time_lag(40, t(5)).unwrap();
        assert!(l.extrapolated);
        assert_eq!(l.seconds, 5.0);
        assert!(OffsetHistory::new(Duration::from_secs(1), 8)
            .time_lag(0, t(0))
            .is_none());
    }

    #[test]
    fn consumer_older_than_history_is_extrapolated() {
        // 10 msgs/s from offset 1000 at t=100 to 1100 at t=110.
        let h = hist(&[(1000, 100), (1100, 110)]);
        let l = h.time_lag(900, t(120)).unwrap();
        assert!(l.extrapolated);
        // offset 900 estimated at t=90 -> 30 s, at least now - oldest = 20
        assert!((l.seconds - 30.0).abs() < 1e-9, "{l:?}");
    }

    #[test]
    fn offset_reset_restarts_history() {
        let mut h = hist(&[(0, 0), (100, 10), (200, 20)]);
        h.record(5, t(30));
        assert_eq!(h.len(), 1);
        assert_eq!(h.time_lag(5, t(40)).unwrap().seconds, 0.0);
        let l = h.time_lag(0, t(40)).unwrap();
        assert!(l.extrapolated && (l.seconds - 10.0).abs() < 1e-9);
    }

    #[test]
    fn history_is_bounded_in_points_and_time() {
        let mut h = OffsetHistory::new(Duration::from_secs(100), 16);
        for i in 0..1000 {
            h.record(i * 10, t(i));
        }
        assert!(h.len() <= 16);
        // Everything older than 100 s is gone: offset 9000 (t=900) is now
        // older than the history and gets extrapolated.
        let l = h.time_lag(8000, t(999)).unwrap();
        assert!(l.extrapolated);
        assert!((l.seconds - 199.0).abs() < 1.0, "{l:?}");
        // Inside the window interpolation still works.
        let l = h.time_lag(9950, t(999)).unwrap();
        assert!(!l.extrapolated && (l.seconds - 4.0).abs() < 2.0, "{l:?}");
    }

    #[test]
    fn duplicate_or_backwards_time_is_ignored() {
        let mut h = hist(&[(0, 0), (10, 10)]);
        h.record(20, t(10));
        h.record(30, t(5));
        assert_eq!(h.len(), 2);
    }
}
