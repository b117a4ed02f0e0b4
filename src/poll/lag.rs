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
///
/// Held as the oldest and newest points and the steps between them, a
/// step being 8 bytes (offset and milliseconds as `u32`) instead of a
/// 16-byte point: at 100k partitions with full histories, 49 MiB instead
/// of 98. A step that does not fit (more than 4,294,967,295 messages, or
/// 49 days, between two kept points) restarts the history, as a reset
/// does.
#[derive(Debug, Clone)]
pub struct OffsetHistory {
    /// The oldest point, `(offset, unix millis)`; `None` when empty.
    first: Option<(i64, i64)>,
    /// The newest point (`first` itself while there is one point).
    last: (i64, i64),
    /// `(offset delta, millis delta)` from each point to the next, oldest
    /// first: offsets non-decreasing, times increasing.
    steps: VecDeque<(u32, u32)>,
    max_points: usize,
    window_ms: i64,
}

/// `(offset delta, millis delta)` from `a` to `b`, when both fit a `u32`.
fn step(a: (i64, i64), b: (i64, i64)) -> Option<(u32, u32)> {
    let d_off = u32::try_from(b.0.checked_sub(a.0)?).ok()?;
    let d_ms = u32::try_from(b.1.checked_sub(a.1)?).ok()?;
    Some((d_off, d_ms))
}

/// Two consecutive steps as one, when the sum still fits.
fn merged(a: (u32, u32), b: (u32, u32)) -> Option<(u32, u32)> {
    Some((a.0.checked_add(b.0)?, a.1.checked_add(b.1)?))
}

impl OffsetHistory {
    /// An empty history keeping at most `max_points` (at least 4) points
    /// reaching back `window`.
    pub fn new(window: Duration, max_points: usize) -> Self {
        OffsetHistory {
            first: None,
            last: (0, 0),
            steps: VecDeque::new(),
            max_points: max_points.max(4),
            window_ms: window.as_millis().min(i64::MAX as u128) as i64,
        }
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        if self.first.is_some() {
            self.steps.len() + 1
        } else {
            0
        }
    }

    /// True when no point was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Drops the oldest point (there are at least two).
    fn drop_oldest(&mut self) {
        if let (Some((o, t)), Some((d_off, d_ms))) = (self.first, self.steps.pop_front()) {
            self.first = Some((o + i64::from(d_off), t + i64::from(d_ms)));
        }
    }

    /// Starts over with the single point `p`.
    fn restart(&mut self, p: (i64, i64)) {
        self.steps.clear();
        self.first = Some(p);
        self.last = p;
    }

    /// Records the end offset seen at `at`.
    pub fn record(&mut self, end: i64, at: Time) {
        let t = at.timestamp_millis();
        if self.first.is_none() {
            self.restart((end, t));
            return;
        }
        let (last_off, last_t) = self.last;
        if t <= last_t {
            return; // clock went backwards or duplicate poll: ignore
        }
        if end < last_off {
            self.restart((end, t)); // truncation / recreation / reset
            return;
        }
        if let Some(back) = self
            .steps
            .back_mut()
            .filter(|b| end == last_off && b.0 == 0)
        {
            // Flat stretch: keep its first and last point only.
            match u32::try_from(t - last_t)
                .ok()
                .and_then(|more| back.1.checked_add(more))
            {
                Some(ms) => {
                    back.1 = ms;
                    self.last.1 = t;
                    self.evict(t, self.max_points);
                }
                None => self.restart((end, t)),
            }
            return;
        }
        let Some(s) = step(self.last, (end, t)) else {
            self.restart((end, t));
            return;
        };
        // Room first: pushed onto a full budget, the deque doubled its
        // buffer.
        self.evict(t, self.max_points - 1);
        self.steps.push_back(s);
        self.last = (end, t);
        self.evict(t, self.max_points);
    }

    /// Drops points older than the window and then interior points until
    /// at most `budget` are left.
    fn evict(&mut self, now_ms: i64, budget: usize) {
        // Time window: drop points older than the window, keeping two so
        // a rate can still be estimated.
        while self.len() > 2 {
            match self.first {
                Some((_, t)) if now_ms - t > self.window_ms => self.drop_oldest(),
                _ => break,
            }
        }
        // Point budget: drop the interior point whose neighbours are
        // closest in time (keeps resolution even across the window).
        while self.len() > budget.max(2) {
            // The step before point i and the one after it, as one.
            let mut best: Option<(usize, (u32, u32))> = None;
            for i in 1..self.steps.len() {
                let Some(m) = merged(self.steps[i - 1], self.steps[i]) else {
                    continue;
                };
                if best.is_none_or(|(_, b)| m.1 < b.1) {
                    best = Some((i, m));
                }
            }
            match best {
                Some((i, m)) => {
                    self.steps[i - 1] = m;
                    self.steps.remove(i);
                }
                // No two steps fit as one.
                None => self.drop_oldest(),
            }
        }
    }

    /// Time lag of `committed` at `now`. `None` when the history is empty.
    pub fn time_lag(&self, committed: i64, now: Time) -> Option<TimeLag> {
        let now_ms = now.timestamp_millis();
        let (o0, t0) = self.first?;
        let (last_off, last_t) = self.last;
        if committed >= last_off {
            return Some(TimeLag {
                seconds: 0.0,
                extrapolated: false,
            });
        }
        let secs = |t_ms: f64| ((now_ms as f64 - t_ms) / 1000.0).max(0.0);
        if committed < o0 {
            let mut t = t0 as f64;
            if last_off > o0 && last_t > t0 {
                let rate = (last_off - o0) as f64 / (last_t - t0) as f64; // msgs per ms
                t -= (o0 - committed) as f64 / rate;
            }
            return Some(TimeLag {
                seconds: secs(t),
                extrapolated: true,
            });
        }
        // From the newest point back (a consumer is mostly a step or two
        // behind): the last point at or below `committed` (there is one:
        // the oldest) and the one after it.
        let mut after = self.last;
        for &(d_off, d_ms) in self.steps.iter().rev() {
            let (o0, t0) = (after.0 - i64::from(d_off), after.1 - i64::from(d_ms));
            if o0 <= committed {
                let (o1, t1) = after;
                // o0 <= committed < o1: the end offset passed `committed`
                // between t0 and t1.
                let frac = (committed - o0) as f64 / (o1 - o0) as f64;
                let t = t0 as f64 + frac * (t1 - t0) as f64;
                return Some(TimeLag {
                    seconds: secs(t),
                    extrapolated: false,
                });
            }
            after = (o0, t0);
        }
        None
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
        assert!(h.steps.capacity() <= 64, "{}", h.steps.capacity());
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

    /// The points as the history held them before it kept steps: a plain
    /// list, the same rules.
    fn reference(records: &[(i64, i64)], window_ms: i64, max: usize) -> Vec<(i64, i64)> {
        let mut p: Vec<(i64, i64)> = Vec::new();
        let evict = |p: &mut Vec<(i64, i64)>, now: i64, budget: usize| {
            while p.len() > 2 && now - p[0].1 > window_ms {
                p.remove(0);
            }
            while p.len() > budget.max(2) {
                let best = (1..p.len() - 1).min_by_key(|&i| (p[i + 1].1 - p[i - 1].1, i));
                p.remove(best.unwrap_or(1));
            }
        };
        for &(end, t) in records {
            if let Some(&(lo, lt)) = p.last() {
                if t <= lt {
                    continue;
                }
                if end < lo {
                    p.clear();
                } else if end == lo && p.len() >= 2 && p[p.len() - 2].0 == end {
                    p.last_mut().unwrap().1 = t;
                    evict(&mut p, t, max);
                    continue;
                }
            }
            evict(&mut p, t, max - 1);
            p.push((end, t));
            evict(&mut p, t, max);
        }
        p
    }

    /// Steps of 8 bytes keep exactly the points a list of 16-byte points
    /// kept, so lag in seconds is unchanged.
    #[test]
    fn the_stepped_history_keeps_the_points_a_plain_list_keeps() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..200 {
            let max = 4 + next(20) as usize;
            let window_ms = 1_000 * (50 + next(500) as i64);
            let (mut end, mut t) = (next(1_000) as i64, 0i64);
            let mut records = Vec::new();
            for _ in 0..300 {
                t += match next(10) {
                    0 => 0, // a duplicate poll
                    1 => 60_000,
                    _ => 15_000 + next(500) as i64,
                };
                end = match next(20) {
                    0 => end / 2, // a reset
                    1..=6 => end, // idle
                    _ => end + next(5_000) as i64,
                };
                records.push((end, t));
            }
            let mut h = OffsetHistory::new(Duration::from_millis(window_ms as u64), max);
            for &(o, ms) in &records {
                h.record(o, chrono::Utc.timestamp_millis_opt(ms).unwrap());
            }
            let want = reference(&records, window_ms, max);
            assert_eq!(h.len(), want.len(), "case {case}");
            let now = chrono::Utc.timestamp_millis_opt(t + 5_000).unwrap();
            for &(o, _) in &want {
                for c in [o - 1, o, o + 1] {
                    let plain = {
                        let mut p = OffsetHistory::new(Duration::from_secs(1 << 40), 1 << 20);
                        for &(o, ms) in &want {
                            p.record(o, chrono::Utc.timestamp_millis_opt(ms).unwrap());
                        }
                        p.time_lag(c, now)
                    };
                    assert_eq!(h.time_lag(c, now), plain, "case {case}, committed {c}");
                }
            }
        }
    }

    /// More messages between two polls than a step holds starts the
    /// history over, as a reset does, instead of wrapping.
    #[test]
    fn a_step_too_large_for_the_history_starts_it_over() {
        let mut h = hist(&[(0, 0), (100, 10)]);
        h.record(100 + (1 << 33), t(20));
        assert_eq!(h.len(), 1);
        let l = h.time_lag(50, t(30)).unwrap();
        assert!(l.extrapolated && (l.seconds - 10.0).abs() < 1e-9, "{l:?}");
        // Idle for more than 49 days: the flat step cannot grow either.
        let mut h = hist(&[(5, 0), (5, 10), (5, 20)]);
        h.record(5, t(50 * 86_400));
        assert_eq!(h.len(), 1);
        assert_eq!(h.time_lag(5, t(50 * 86_400 + 1)).unwrap().seconds, 0.0);
    }

    #[test]
    fn duplicate_or_backwards_time_is_ignored() {
        let mut h = hist(&[(0, 0), (10, 10)]);
        h.record(20, t(10));
        h.record(30, t(5));
        assert_eq!(h.len(), 2);
    }
}
