//! Exponential backoff: the one policy for waiting longer after each
//! failure, used by the poll loop (a cluster that cannot be reached) and by
//! notification delivery (retries).
//!
//! The delay of attempt `n` (1 = the first retry) is
//! `initial * 2^(n-1)`, capped at `max`, then jittered so that many
//! instances do not retry in lock-step.

use std::time::Duration;

use rand::Rng;

/// How a delay is spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    /// "Equal jitter": a random delay in `[d/2, d]`.
    Equal,
    /// A random delay in `[d * (1 - x), d * (1 + x)]`.
    Spread(f64),
}

/// An exponential backoff policy (no state: the caller counts attempts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay of the first attempt, before jitter.
    pub initial: Duration,
    /// The longest delay, before jitter.
    pub max: Duration,
    pub jitter: Jitter,
}

impl Backoff {
    /// Delivery retries: `initial`, doubled each retry up to `max`, with
    /// equal jitter.
    pub fn retries(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            jitter: Jitter::Equal,
        }
    }

    /// Polls of a cluster that cannot be reached: twice the poll interval
    /// after the first failure, doubling up to 8 times the interval (and at
    /// most 5 minutes more than it), ±20 %.
    pub fn polls(interval: Duration) -> Self {
        Backoff {
            initial: interval.saturating_mul(2),
            max: interval
                .saturating_mul(8)
                .min(interval.saturating_add(Duration::from_secs(300))),
            jitter: Jitter::Spread(0.2),
        }
    }

    /// The delay before attempt `attempt` (1 = the first retry; 0 is
    /// treated as 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, &mut rand::rng())
    }

    /// Same, with the random numbers from `rng` (seeded in tests).
    pub fn delay_with(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        let d = self.initial.saturating_mul(factor).min(self.max);
        match self.jitter {
            Jitter::Equal => {
                let half = d / 2;
                half + half.mul_f64(rng.random_range(0.0..=1.0))
            }
            Jitter::Spread(x) => d.mul_f64(1.0 - x + 2.0 * x * rng.random::<f64>()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_with_equal_jitter_and_cap() {
        let b = Backoff::retries(Duration::from_millis(100), Duration::from_secs(2));
        for _ in 0..100 {
            let b1 = b.delay(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            assert!(b.delay(0) <= Duration::from_millis(100));
            let b3 = b.delay(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            let b30 = b.delay(30);
            assert!(b30 >= Duration::from_secs(1) && b30 <= Duration::from_secs(2));
        }
    }

    #[test]
    fn polls_double_up_to_eight_times_and_five_minutes_more() {
        let i = Duration::from_secs(15);
        let b = Backoff::polls(i);
        for (n, factor) in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 8.0), (30, 8.0)] {
            for _ in 0..50 {
                let d = b.delay(n);
                assert!(
                    d >= i.mul_f64(0.8 * factor) && d <= i.mul_f64(1.2 * factor),
                    "{n}: {d:?}"
                );
            }
        }
        // A long interval: at most 5 minutes more than it.
        let long = Backoff::polls(Duration::from_secs(120));
        assert_eq!(long.max, Duration::from_secs(420));
    }

    #[test]
    fn jitter_varies_and_is_reproducible_with_a_seed() {
        use rand::SeedableRng;
        let b = Backoff::retries(Duration::from_secs(10), Duration::from_secs(600));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let ds: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| b.delay_with(5, &mut rng)).collect();
        assert!(ds.len() > 5);
        let mut again = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(ds, (0..20).map(|_| b.delay_with(5, &mut again)).collect());
    }
}
