//! How often the shipped anomaly detector alerts on healthy series shaped
//! like the ones isrwatch scores for a quiet cluster polled every second:
//!
//! - `produce_rate`: messages per second, Poisson around 20;
//! - `group_lag`: a consumer that keeps up and commits every 5 s, so its lag
//!   is a saw-tooth between 0 and about 100;
//! - `group_lag_growth`: the change of that lag per second.
//!
//! Nothing in these series is anomalous, so every alert is a false alarm.
//! Prints the alerts per 100 points, summed over 40 seeds, and which signal
//! (novelty or rarity) raised them. Run with
//! `cargo run --release --example detector_false_alarms`; results are in
//! `docs/detector.md`.

use isrwatch::detect::{Detector, DetectorConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POINTS: usize = 3000;
const SEEDS: u64 = 40;
const RATE: f64 = 20.0;
const COMMIT_EVERY_S: f64 = 5.0;

/// A Poisson count by its normal approximation (fine for a mean of 20).
fn poisson(rng: &mut StdRng, mean: f64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mean + z * mean.sqrt()).round().max(0.0)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    alerts: usize,
    novelty: usize,
}

fn main() {
    let cfg = DetectorConfig::default();
    let names = ["produce_rate", "group_lag", "group_lag_growth"];
    let mut per_block = vec![[0usize; 3]; POINTS / 100];
    let mut tally = [Tally::default(); 3];
    for seed in 0..SEEDS {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut detectors = [
            Detector::new(&cfg),
            Detector::new(&cfg),
            Detector::new(&cfg),
        ];
        let (mut t, mut end, mut committed) = (0.0f64, 0.0f64, 0.0f64);
        let mut next_commit = rng.random::<f64>() * COMMIT_EVERY_S;
        let mut prev: Option<(f64, f64)> = None;
        for i in 0..POINTS {
            // Polls 1 s apart, +-50 ms.
            let dt = 1.0 + (rng.random::<f64>() - 0.5) * 0.1;
            t += dt;
            let appended = poisson(&mut rng, RATE * dt);
            end += appended;
            while t >= next_commit {
                committed = end - poisson(&mut rng, 2.0);
                next_commit += COMMIT_EVERY_S;
            }
            let lag = (end - committed).max(0.0);
            let ts = 1_700_000_000 + t as i64;
            let mut values = [Some(appended / dt), Some(lag), None];
            if let Some((t0, l0)) = prev {
                values[2] = Some((lag - l0) / (t - t0));
            }
            prev = Some((t, lag));
            for (k, v) in values.into_iter().enumerate() {
                let Some(v) = v else { continue };
                let s = detectors[k].observe(ts, v);
                if s.score >= cfg.alert_threshold {
                    per_block[i / 100][k] += 1;
                    tally[k].alerts += 1;
                    if s.novelty >= cfg.alert_threshold {
                        tally[k].novelty += 1;
                    }
                }
            }
        }
    }
    println!("false alarms on healthy series, {SEEDS} seeds x {POINTS} points each");
    for (k, name) in names.iter().enumerate() {
        println!(
            "{name:>18}: {} alerts ({:.2} per series per 1,000 points), {} of them novelty",
            tally[k].alerts,
            tally[k].alerts as f64 / SEEDS as f64 / (POINTS as f64 / 1000.0),
            tally[k].novelty
        );
    }
    println!("alerts per 100 points, by point index: {names:?}");
    for (b, counts) in per_block.iter().enumerate() {
        println!("{:>5}-{:>5} {counts:?}", b * 100, b * 100 + 99);
    }
}
