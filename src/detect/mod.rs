//! The streaming anomaly detector: one bounded state per series, one score
//! in `[0, 1]` per point, no look-ahead.
//!
//! Each point is scored by three signals and the largest wins (method and
//! measurements in `docs/detector.md`):
//!
//! - **rarity**: the robust z of the point against the better of two online
//!   baselines (a fast EWMA, or a daily profile of 48 half-hour buckets on a
//!   slow level), turned into a tail probability against this series' own
//!   history of z values (a decaying log-scale histogram), so a noisy series
//!   and a quiet one are judged by their own standards;
//! - **novelty**: how far the point, or its smoothed value (an EWMA), lies
//!   beyond every value the series (or its smoothed value) has shown so
//!   far, relative to the range seen;
//! - **activity**: how far its point-to-point movement lies outside the
//!   range that movement has kept to (a series gone flat, or moving at
//!   another pace, inside its usual range of values);
//! - **shape** ([`shape`]; on by default, off for the daemon's Kafka
//!   series, [`family`]): a bounded adaptive-resonance memory of the
//!   series' recent shapes, after ARTime, scoring a shape it has not seen
//!   before.
//!
//! After an alert, a short cooldown holds back repeated alerts for the same
//! event. State is fixed in size from the first point: a struct, and the
//! shape memory's box when it runs ([`Detector::state_bytes`]).

mod bench;
pub mod core;
mod csv;
mod detector;
pub mod family;
pub mod kafka_set;
pub mod nab;
pub mod shape;

pub use bench::{bench_nab, bench_throughput, NabReport, ThroughputReport};
pub use csv::{parse_timestamp, run_detect_csv};
pub use detector::{Detector, DetectorConfig, Score};
pub use kafka_set::write_series_dir;

use crate::finding::AnomalyScore;

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a != 0.0 && !(0.01..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn to_time(t: i64) -> Option<crate::snapshot::Time> {
    chrono::DateTime::from_timestamp(t, 0)
}

/// Builds the person-readable [`AnomalyScore`] for `series` at unix second
/// `t`, e.g. "observed 412, expected 0..3 (robust z 9.1, about 1 point in
/// 100,000 is this unusual), unusual since 2026-01-05 10:02:00 UTC".
pub fn explain(series: &str, observed: f64, score: &Score, t: i64) -> AnomalyScore {
    let since = score.unusual_since.and_then(to_time);
    let mut text = format!(
        "observed {}, expected {}..{}",
        fmt_num(observed),
        fmt_num(score.expected_low),
        fmt_num(score.expected_high)
    );
    let mut why = vec![format!("robust z {:.1}", score.z)];
    if score.rarity_digits >= 1.0 {
        let one_in = 10f64.powf(score.rarity_digits.min(12.0)).round();
        why.push(format!(
            "about 1 point in {} is this unusual",
            fmt_num(one_in)
        ));
    }
    if score.novelty >= 0.5 {
        why.push("beyond every value seen before".to_string());
    }
    if score.activity >= 0.5 && score.activity_ratio > 0.0 {
        let (times, how) = if score.activity_ratio < 1.0 {
            (1.0 / score.activity_ratio, "calmer")
        } else {
            (score.activity_ratio, "busier")
        };
        why.push(format!(
            "moving {times:.1} times {how} from point to point than ever before"
        ));
    }
    if score.shape >= 0.5 {
        why.push(format!(
            "its last {} points form a shape not seen before (best match {:.2} of the {} shapes remembered)",
            shape::STRIDE * shape::WINDOW,
            score.shape_similarity,
            shape::CATEGORIES
        ));
    }
    text.push_str(&format!(" ({})", why.join(", ")));
    if let Some(s) = since {
        if score.unusual_since != Some(t) {
            text.push_str(&format!(
                ", unusual since {}",
                s.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
    }
    text.push_str(&format!("; anomaly score {:.2}", score.score));
    AnomalyScore {
        series: series.to_string(),
        score: score.score.clamp(0.0, 1.0),
        observed,
        expected_low: score.expected_low,
        expected_high: score.expected_high,
        since,
        explanation: text,
    }
}

/// One [`Detector`] per series, behind the evaluator's scorer trait.
pub struct DetectorScorer {
    cfg: DetectorConfig,
    series: std::collections::HashMap<String, Detector>,
}

impl DetectorScorer {
    pub fn new(cfg: &DetectorConfig) -> Self {
        DetectorScorer {
            cfg: cfg.clone(),
            series: std::collections::HashMap::new(),
        }
    }

    /// Series currently tracked.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

impl crate::evaluate::SeriesScorer for DetectorScorer {
    fn score(&mut self, series: &str, t: i64, value: f64) -> Option<crate::finding::AnomalyScore> {
        let det = match self.series.get_mut(series) {
            Some(d) => d,
            None => self
                .series
                .entry(series.to_string())
                .or_insert_with(|| Detector::for_series(&self.cfg, series)),
        };
        let score = det.observe(t, value);
        Some(explain(series, value, &score, t))
    }

    fn threshold(&self) -> f64 {
        self.cfg.alert_threshold
    }

    fn forget(&mut self, series: &str) {
        self.series.remove(series);
    }
}

/// The scorer the daemon uses: the detector, or none when `[anomaly] enabled = false`.
pub fn scorer(cfg: &DetectorConfig) -> Box<dyn crate::evaluate::SeriesScorer> {
    if cfg.enabled {
        Box::new(DetectorScorer::new(cfg))
    } else {
        Box::new(crate::evaluate::NoScorer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Problems;

    fn run(det: &mut Detector, xs: impl IntoIterator<Item = f64>, t0: i64) -> Vec<Score> {
        xs.into_iter()
            .enumerate()
            .map(|(i, x)| det.observe(t0 + 300 * i as i64, x))
            .collect()
    }

    #[test]
    fn default_config_validates() {
        let mut p = Problems::default();
        DetectorConfig::default().validate("anomaly", &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn config_reads_from_toml_with_defaults_and_rejects_unknown_keys() {
        let cfg: DetectorConfig = toml::from_str("alert_threshold = 0.7").unwrap();
        assert_eq!(cfg.alert_threshold, 0.7);
        assert!(cfg.enabled);
        assert_eq!(
            cfg.cooldown_points,
            DetectorConfig::default().cooldown_points
        );
        let err = toml::from_str::<DetectorConfig>("treshold = 0.7").unwrap_err();
        assert!(err.to_string().contains("treshold"), "{err}");
    }

    #[test]
    fn bad_config_names_every_key() {
        let cfg = DetectorConfig {
            fast_alpha: 1.5,
            alert_threshold: 0.0,
            novelty_margin: -1.0,
            ..DetectorConfig::default()
        };
        let mut p = Problems::default();
        cfg.validate("anomaly", &mut p);
        let text = p.to_string();
        assert!(text.contains("anomaly.fast_alpha"), "{text}");
        assert!(text.contains("anomaly.alert_threshold"), "{text}");
        assert!(text.contains("anomaly.novelty_margin"), "{text}");
    }

    /// A noisy daily sine (5-minute points) whose cycle runs six times
    /// faster, at a fifth of its swing, for 250 points from point 2,500:
    /// the taxonomy set's "another cycle", inside the usual range of
    /// values, and moving from point to point about as much as before.
    fn another_cycle() -> Vec<f64> {
        let day = |i: usize| 100.0 + 50.0 * (i as f64 * std::f64::consts::TAU / 288.0).sin();
        let noise = noisy(3_000, 0.0, 4.0);
        let mut xs: Vec<f64> = (0..3_000).map(|i| day(i) + noise[i]).collect();
        for (k, x) in xs.iter_mut().enumerate().skip(2_500).take(250) {
            *x = 100.0
                + (*x - 100.0) * 0.2
                + 20.0 * ((k - 2_500) as f64 * std::f64::consts::TAU / 48.0).sin();
        }
        xs
    }

    #[test]
    fn a_cycle_at_another_pace_is_raised_by_the_shape_memory_only() {
        let xs = another_cycle();
        let t = |i: usize| 1_400_000_000 + 300 * i as i64;
        let params = DetectorConfig::default().params();
        let run = |shape_memory: bool| -> (f64, f64, f64) {
            let mut c = core::Core::new(core::Params {
                shape_memory,
                ..params
            });
            let steps: Vec<core::Step> = xs
                .iter()
                .enumerate()
                .map(|(i, x)| c.step(t(i), *x))
                .collect();
            let max = |r: std::ops::Range<usize>, f: &dyn Fn(&core::Step) -> f64| {
                steps[r].iter().map(f).fold(0.0, f64::max)
            };
            (
                max(0..2_500, &|s| s.score),
                max(2_500..2_750, &|s| s.score),
                max(2_500..2_750, &|s| s.shape),
            )
        };
        let (before, during, shape) = run(true);
        assert!(before < 0.5, "the steady cycle scored {before}");
        assert!(during >= 0.5 && shape >= 0.5, "{during} {shape}");
        // The four value signals alone (the default) do not see it.
        let (_, alone, shape) = run(false);
        assert!(
            alone < 0.5 && shape == 0.0,
            "without the shape memory: {alone}"
        );
    }

    /// Healthy noise around a level, one point every `step` seconds.
    fn noisy(n: usize, level: f64, amp: f64) -> Vec<f64> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                level + amp * ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
            })
            .collect()
    }

    #[test]
    fn a_young_series_rising_to_new_highs_is_not_novel() {
        // The morning rise of a series watched for less than a day: every
        // hour a new high, a little above the last, within its noise.
        let cfg = DetectorConfig::default();
        let mut det = Detector::for_series(&cfg, "produce_rate{topic=\"t\"}");
        let xs: Vec<f64> = noisy(2000, 100.0, 10.0)
            .into_iter()
            .enumerate()
            .map(|(i, x)| x + i as f64 * 0.1)
            .collect();
        let scores: Vec<Score> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| det.observe(15 * i as i64, *x))
            .collect();
        assert!(scores.iter().all(|s| s.novelty == 0.0));
        assert!(scores.iter().all(|s| s.score < cfg.alert_threshold));
        // The same rise on a series watched for a day is novel.
        let mut old = Detector::new(&DetectorConfig {
            novelty_after: crate::config::Dur::secs(0),
            ..cfg.clone()
        });
        let alarms = xs
            .iter()
            .enumerate()
            .filter(|(i, x)| old.observe(15 * *i as i64, **x).score >= cfg.alert_threshold)
            .count();
        assert!(alarms > 0);
    }

    #[test]
    fn a_young_topic_whose_producers_stop_is_raised_but_its_first_burst_is_not() {
        // Twelve minutes of 50 msg/s, then nothing: raised at the first
        // zero, long before the day novelty otherwise waits for.
        let cfg = DetectorConfig::default();
        let topic = crate::evaluate::Series::ProduceRate("orders".into()).name();
        let mut det = Detector::for_series(&cfg, &topic);
        let xs = noisy(48, 50.0, 10.0);
        for (i, x) in xs.iter().enumerate() {
            assert!(det.observe(15 * i as i64, *x).score < cfg.alert_threshold);
        }
        let stop = det.observe(15 * 48, 0.0);
        assert!(stop.score >= cfg.alert_threshold, "{stop:?}");
        assert!(stop.novelty > 0.5, "{stop:?}");
        // The same topic bursting to five times its rate instead is a
        // rise: it waits for a day of history.
        let mut det = Detector::for_series(&cfg, &topic);
        for (i, x) in xs.iter().enumerate() {
            det.observe(15 * i as i64, *x);
        }
        assert_eq!(det.observe(15 * 48, 250.0).novelty, 0.0);
        // Lag falling is not a fault: a young group's lag dropping to 0
        // waits for the day like any other series.
        let lag = crate::evaluate::Series::GroupLag("billing".into()).name();
        let mut det = Detector::for_series(&cfg, &lag);
        for (i, x) in noisy(48, 5000.0, 1000.0).iter().enumerate() {
            det.observe(15 * i as i64, *x);
        }
        assert_eq!(det.observe(15 * 48, 0.0).novelty, 0.0);
    }

    #[test]
    fn a_record_after_the_first_day_is_news_only_when_far_beyond_the_past() {
        // A topic watched for a day: 50 msg/s with noise, and a burst now
        // and then. A burst a little larger than every one remembered is
        // one chance in its memory, not "one in a trillion"; a tenfold
        // jump is far beyond and still news.
        let cfg = DetectorConfig::default();
        let topic = crate::evaluate::Series::ProduceRate("batch".into()).name();
        let day: Vec<f64> = noisy(6000, 50.0, 10.0)
            .into_iter()
            .enumerate()
            .map(|(i, x)| if i % 40 == 0 { x * 4.0 } else { x })
            .collect();
        let warm = |raw: bool| {
            let mut d = if raw {
                Detector::new(&cfg)
            } else {
                Detector::for_series(&cfg, &topic)
            };
            for (i, x) in day.iter().enumerate() {
                d.observe(15 * i as i64, *x);
            }
            d
        };
        let t = 15 * day.len() as i64;
        let bigger = warm(false).observe(t, 260.0);
        assert!(bigger.score < cfg.alert_threshold, "{bigger:?}");
        // NAB's setting (no daemon family) calls any record certain.
        assert!(warm(true).observe(t, 260.0).score >= cfg.alert_threshold);
        let jump = warm(false).observe(t, 2000.0);
        assert!(jump.score >= cfg.alert_threshold, "{jump:?}");
    }

    #[test]
    fn movement_below_the_minimum_effect_is_not_news_but_a_growing_stall_is() {
        // A consumer that keeps up: lag exactly 0 for hours, then a few
        // messages, then a stall (lag grows by 60 per poll).
        let cfg = DetectorConfig::default();
        let series = crate::evaluate::Series::GroupLag("billing".into()).name();
        let mut det = Detector::for_series(&cfg, &series);
        let mut t = 0;
        let mut step = |det: &mut Detector, x: f64| {
            t += 15;
            det.observe(t, x)
        };
        for _ in 0..7000 {
            assert_eq!(step(&mut det, 0.0).score, 0.0);
        }
        for x in [3.0, 40.0, 120.0, 0.0] {
            assert!(step(&mut det, x).score < cfg.alert_threshold, "{x}");
        }
        // The stall: below 500 messages nothing scores, and nothing of it
        // is learnt as normal, so it alarms once it is large enough.
        let mut first = None;
        for k in 1..40 {
            let s = step(&mut det, 60.0 * k as f64);
            if s.score >= cfg.alert_threshold && first.is_none() {
                first = Some(60 * k);
            }
        }
        let first = first.expect("the stall alarms");
        assert!((500..=700).contains(&first), "alarmed at lag {first}");
        // Without a minimum effect (NAB's setting) the first 3 messages
        // after hours at 0 would have alarmed.
        let mut raw = Detector::new(&cfg);
        let mut t = 0;
        for _ in 0..7000 {
            t += 15;
            raw.observe(t, 0.0);
        }
        assert!(raw.observe(t + 15, 3.0).score >= cfg.alert_threshold);
    }

    #[test]
    fn heavy_tailed_peaks_creeping_up_are_not_novel_for_the_daemon() {
        // A lag that rises and falls with the daily peak of traffic, each
        // day a tenth higher: a range margin alone calls each new peak
        // novel, half again the largest value seen does not.
        fn alarms_after_day_one(mut det: Detector, threshold: f64) -> usize {
            // Noise in proportion to the lag (a consumer's lag is bursty).
            let base = noisy(4 * 5760, 1.0, 0.8);
            let mut alarms = 0;
            for (i, x) in base.iter().enumerate() {
                let day = i / 5760;
                let from_peak = (i % 5760) as f64 - 4000.0;
                let peak =
                    10_000.0 * 1.1f64.powi(day as i32) * (-(from_peak / 120.0).powi(2)).exp();
                let s = det.observe(15 * i as i64, x * (300.0 + peak));
                if day >= 1 && s.score >= threshold {
                    alarms += 1;
                }
            }
            alarms
        }
        let cfg = DetectorConfig::default();
        let series = crate::evaluate::Series::GroupLag("g".into()).name();
        assert_eq!(
            alarms_after_day_one(Detector::for_series(&cfg, &series), cfg.alert_threshold),
            0
        );
        let plain = DetectorConfig {
            relative_margin: 0.0,
            ..cfg.clone()
        };
        assert!(
            alarms_after_day_one(Detector::for_series(&plain, &series), cfg.alert_threshold) > 0
        );
    }

    #[test]
    fn constant_series_never_alarms() {
        let cfg = DetectorConfig::default();
        let mut d = Detector::new(&cfg);
        for s in run(&mut d, std::iter::repeat_n(42.0, 10_000), 0) {
            assert!(s.score < cfg.alert_threshold, "{s:?}");
        }
    }

    #[test]
    fn young_series_alarms_on_a_clear_jump() {
        // 60 polls of a steady rate (2% noise), then six times the traffic:
        // the second point's undefined noise scale must not mask it. Rises
        // wait `novelty_after` (a day) by default; an operator who wants
        // day-one rises sets it to 0.
        let cfg = DetectorConfig {
            novelty_after: crate::config::Dur::secs(0),
            ..DetectorConfig::default()
        };
        let mut d = Detector::new(&cfg);
        let noise = [1.0, 0.98, 1.02, 0.99, 1.01, 0.97, 1.03, 1.0];
        let steady = (0..60).map(|i| 1350.0 * noise[i % noise.len()]);
        for s in run(&mut d, steady, 0) {
            assert!(s.score < cfg.alert_threshold, "{s:?}");
        }
        let s = d.observe(60 * 300, 8500.0);
        assert!(s.score >= cfg.alert_threshold, "{s:?}");
    }

    #[test]
    fn a_rise_waits_a_day_and_a_fall_does_not() {
        // The same steady rate at 15 s polls: a sixfold rise in the first
        // hour is a record of a series that has not shown its day (a batch
        // topic's first load looks the same); after a day it is news. A
        // fall of a produce rate to zero is news from the warm-up on.
        let cfg = DetectorConfig::default();
        let noise = [1.0, 0.98, 1.02, 0.99, 1.01, 0.97, 1.03, 1.0];
        let steady = |n: usize| (0..n).map(move |i| 1350.0 * noise[i % noise.len()]);
        let series = "produce_rate{topic=\"orders\"}";
        let poll = 15;
        let mut young = Detector::for_series(&cfg, series);
        for (i, x) in steady(240).enumerate() {
            assert!(young.observe(i as i64 * poll, x).score < cfg.alert_threshold);
        }
        let s = young.observe(240 * poll, 8500.0);
        assert!(s.score < cfg.alert_threshold, "young rise raised: {s:?}");
        let mut old = Detector::for_series(&cfg, series);
        let day = (86_400 / poll) as usize;
        for (i, x) in steady(day + 60).enumerate() {
            old.observe(i as i64 * poll, x);
        }
        let s = old.observe((day + 60) as i64 * poll, 8500.0);
        assert!(
            s.score >= cfg.alert_threshold,
            "rise after a day missed: {s:?}"
        );
        let mut falling = Detector::for_series(&cfg, series);
        let mut raised = false;
        for (i, x) in steady(240).chain(std::iter::repeat_n(0.0, 8)).enumerate() {
            raised |= falling.observe(i as i64 * poll, x).score >= cfg.alert_threshold;
        }
        assert!(raised, "a young topic's producers stopping was not raised");
    }

    /// Alarms of a detector with `p` over `xs` at 5-minute steps, by index.
    fn alarms(p: core::Params, xs: &[f64]) -> Vec<usize> {
        let mut c = core::Core::new(p);
        xs.iter()
            .enumerate()
            .filter(|(i, x)| c.step(*i as i64 * 300, **x).score >= p.alert_threshold)
            .map(|(i, _)| i)
            .collect()
    }

    /// Noise in [-1, 1) from a fixed linear congruential generator.
    fn noise(n: usize) -> Vec<f64> {
        let mut s: u64 = 12_345;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    #[test]
    fn a_drift_that_keeps_setting_records_is_not_an_alarm_every_cooldown() {
        // Two days of noise around 100, then a drift up by 0.1 a point for
        // 250 points (to 25 noise widths above), then the new level: a
        // record every few points. Without the excursion hold it alarmed at
        // every cooldown (8 times); with it, twice: the first record, before
        // the smoothed value has left its range (which a lone spike never
        // does), and the next, which starts the hold.
        let mut xs: Vec<f64> = noise(1_300).iter().map(|e| 100.0 + 5.0 * e).collect();
        for (i, x) in xs.iter_mut().enumerate().skip(600) {
            *x += 0.1 * (i - 600).min(250) as f64;
        }
        let on = core::Params::default();
        let off = core::Params {
            excursion_hold_points: 0,
            ..on
        };
        let during = |a: Vec<usize>| a.into_iter().filter(|i| *i >= 600).count();
        assert!(during(alarms(on, &xs)) <= 2, "{:?}", alarms(on, &xs));
        assert!(during(alarms(off, &xs)) >= 6, "{:?}", alarms(off, &xs));
        // Two lone spikes 100 points apart: each is its own event.
        let mut xs: Vec<f64> = noise(1_000).iter().map(|e| 100.0 + 5.0 * e).collect();
        xs[600] = 160.0;
        xs[700] = 170.0;
        let a = alarms(on, &xs);
        assert!(a.contains(&600) && a.contains(&700), "{a:?}");
    }

    #[test]
    fn a_series_gone_flat_inside_its_range_is_raised() {
        // Four days of noise around 100 (at 5 minutes), then 100 points
        // stuck at 100.3 with a hundredth of the noise: every value inside
        // the range seen, z near 0, so neither rarity nor novelty sees it.
        // The activity does, once it is 1.8 times calmer than the calmest
        // stretch seen (about 20 points in).
        let mut xs: Vec<f64> = noise(1_300).iter().map(|e| 100.0 + 5.0 * e).collect();
        for (i, x) in xs.iter_mut().enumerate().skip(1_150).take(100) {
            *x = 100.3 + 0.05 * noise(1_300)[i];
        }
        let on = core::Params::default();
        let off = core::Params {
            activity_margin: 0.0,
            ..on
        };
        let a = alarms(on, &xs);
        assert!(
            a.iter().any(|i| (1_150..1_200).contains(i)),
            "flat stretch not raised: {a:?}"
        );
        assert!(a.iter().all(|i| *i >= 1_150), "healthy noise raised: {a:?}");
        let b = alarms(off, &xs);
        assert!(!b.iter().any(|i| (1_150..1_250).contains(i)), "{b:?}");
        // And the explanation says what moved (the daemon's detector, with
        // the same defaults).
        let mut det = Detector::new(&DetectorConfig::default());
        let (i, s) = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (i, det.observe(i as i64 * 300, *x)))
            .find(|(_, s)| s.score >= on.alert_threshold)
            .expect("an alarm");
        assert!(s.activity >= 0.5 && s.activity_ratio < 0.6, "{s:?}");
        let text = explain("x", xs[i], &s, i as i64 * 300).explanation;
        assert!(text.contains("times calmer from point to point"), "{text}");
    }

    #[test]
    fn nan_is_ignored() {
        let cfg = DetectorConfig::default();
        let mut d = Detector::new(&cfg);
        run(&mut d, std::iter::repeat_n(5.0, 100), 0);
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let s = d.observe(100_000, v);
            assert_eq!(s.score, 0.0);
        }
        let s = d.observe(100_300, 5.0);
        assert!(s.score < cfg.alert_threshold && s.expected_low.is_finite());
    }

    #[test]
    fn explanation_names_range_and_since() {
        let cfg = DetectorConfig::default();
        let mut d = Detector::new(&cfg);
        run(&mut d, (0..500).map(|i| 10.0 + (i % 3) as f64), 0);
        let _ = d.observe(500 * 300, 400.0);
        let s = d.observe(501 * 300, 410.0);
        let a = explain("group_lag", 410.0, &s, 501 * 300);
        assert!(a.explanation.contains("observed 410"), "{}", a.explanation);
        assert!(a.explanation.contains("expected"), "{}", a.explanation);
        assert!(a.explanation.contains("unusual since"), "{}", a.explanation);
        assert!(a.since.is_some());
        assert!((0.0..=1.0).contains(&a.score));
    }
}
