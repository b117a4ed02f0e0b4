//! [`Detector`], the anomaly detector of one series, its settings
//! ([`DetectorConfig`], `[anomaly]`) and what it says about a point
//! ([`Score`]). A leaf: the benchmark and `isrwatch detect` (`bench`,
//! `csv`) build detectors without importing the module's facade.

use super::{core, family};
use crate::config::Problems;

/// `[anomaly]` settings: the detector's knobs. Every field has a default;
/// the defaults are the ones measured on NAB (`docs/detector.md`).
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {
    /// Score anomalies at all (default `true`).
    pub enabled: bool,
    /// A point whose score reaches this raises an anomaly finding
    /// (default `0.5`). The NAB benchmark is scored at this value.
    pub alert_threshold: f64,
    /// Smoothing factor of the fast baseline, in (0, 1) (default `0.05`:
    /// about the last 20 points).
    pub fast_alpha: f64,
    /// Smoothing factor of the noise scale (mean absolute residual), in
    /// (0, 1) (default `0.02`).
    pub scale_alpha: f64,
    /// Smoothing factor of each half-hour bucket of the daily profile, in
    /// (0, 1) (default `0.1`).
    pub season_alpha: f64,
    /// Rarity, in decimal digits of tail probability, at which the rarity
    /// score reaches 0.5 (default `5`: rarer than anything in the series'
    /// recent memory of about 2,000 points, by a margin).
    pub rare_digits: f64,
    /// Distance beyond every value seen so far, as a fraction of the range
    /// seen, at which the novelty score reaches 0.5 (default `0.015`).
    pub novelty_margin: f64,
    /// The same for the smoothed value leaving the range it has always kept
    /// to (default `0.02`); catches level shifts hidden in noise.
    pub smooth_novelty_margin: f64,
    /// Smoothing factor of that smoothed value, in (0, 1) (default `0.05`).
    pub smooth_alpha: f64,
    /// The daily profile replaces the fast baseline only while its recent
    /// error is below this fraction of the fast baseline's error, in (0, 1]
    /// (default `0.5`).
    pub season_advantage: f64,
    /// Below this robust z no point alerts, however rare (default `3`).
    pub min_z: f64,
    /// Points after an alert during which further alerts of the same
    /// series are held back (default `30`).
    pub cooldown_points: u32,
    /// Forgetting rate of the per-series history of z values, in (0, 0.5)
    /// (default `0.0005`: a memory of about 2,000 points).
    pub history_decay: f64,
    /// How long a series is watched before a rise counts: a value beyond
    /// every one seen, or a rare jump above the expected range (default
    /// `24h`: one daily cycle; before it, the morning rise sets a new high
    /// every few minutes and a batch topic's first load is a record).
    /// Falls are scored on rarity from the 30th point, and a produce rate's
    /// fall to a new low too.
    pub novelty_after: crate::config::Dur,
    /// For the daemon's series (counts, rates, lag, shares: all with a
    /// natural zero), a new extreme must also clear this fraction of the
    /// largest value seen (default `0.5`: half again the largest lag ever
    /// seen). `0` turns it off. Not used by `isrwatch detect` and the NAB
    /// benchmark, whose series have no natural zero.
    pub relative_margin: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        let p = core::Params::default();
        DetectorConfig {
            enabled: true,
            alert_threshold: p.alert_threshold,
            fast_alpha: p.fast_alpha,
            scale_alpha: p.scale_alpha,
            season_alpha: p.season_alpha,
            rare_digits: p.rare_digits,
            novelty_margin: p.novelty_margin,
            smooth_novelty_margin: p.smooth_novelty_margin,
            smooth_alpha: p.smooth_alpha,
            season_advantage: p.season_advantage,
            min_z: p.min_z,
            cooldown_points: p.cooldown_points,
            history_decay: p.hist_decay,
            novelty_after: crate::config::Dur::secs(p.novelty_after_secs.max(0) as u64),
            relative_margin: 0.5,
        }
    }
}

impl DetectorConfig {
    /// Adds one problem per out-of-range key, named under `path`
    /// (e.g. `anomaly`).
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        let mut open01 = |key: &str, v: f64| {
            if !(v > 0.0 && v < 1.0) {
                problems.push(
                    format!("{path}.{key}"),
                    format!("expected a number between 0 and 1 (exclusive), found {v}"),
                );
            }
        };
        open01("fast_alpha", self.fast_alpha);
        open01("scale_alpha", self.scale_alpha);
        open01("season_alpha", self.season_alpha);
        open01("history_decay", self.history_decay);
        open01("smooth_alpha", self.smooth_alpha);
        if !(self.season_advantage > 0.0 && self.season_advantage <= 1.0) {
            problems.push(
                format!("{path}.season_advantage"),
                format!(
                    "expected a number in (0, 1], found {}",
                    self.season_advantage
                ),
            );
        }
        if !(self.alert_threshold > 0.0 && self.alert_threshold <= 1.0) {
            problems.push(
                format!("{path}.alert_threshold"),
                format!(
                    "expected a number in (0, 1], found {}",
                    self.alert_threshold
                ),
            );
        }
        for (key, v) in [
            ("rare_digits", self.rare_digits),
            ("novelty_margin", self.novelty_margin),
            ("smooth_novelty_margin", self.smooth_novelty_margin),
        ] {
            if !(v.is_finite() && v > 0.0) {
                problems.push(
                    format!("{path}.{key}"),
                    format!("expected a positive number, found {v}"),
                );
            }
        }
        if !(self.relative_margin.is_finite() && self.relative_margin >= 0.0) {
            problems.push(
                format!("{path}.relative_margin"),
                format!("expected a number >= 0, found {}", self.relative_margin),
            );
        }
        if !(self.min_z.is_finite() && self.min_z >= 0.0) {
            problems.push(
                format!("{path}.min_z"),
                format!("expected a number >= 0, found {}", self.min_z),
            );
        }
    }

    /// The detector's knobs as [`core::Params`].
    pub fn params(&self) -> core::Params {
        core::Params {
            fast_alpha: self.fast_alpha,
            scale_alpha: self.scale_alpha,
            season_alpha: self.season_alpha,
            rare_digits: self.rare_digits,
            novelty_margin: self.novelty_margin,
            smooth_novelty_margin: self.smooth_novelty_margin,
            smooth_alpha: self.smooth_alpha,
            season_advantage: self.season_advantage,
            min_z: self.min_z,
            cooldown_points: self.cooldown_points,
            hist_decay: self.history_decay,
            alert_threshold: self.alert_threshold,
            novelty_after_secs: i64::try_from(self.novelty_after.0.as_secs()).unwrap_or(i64::MAX),
            ..core::Params::default()
        }
    }
}

/// What the detector says about one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// How anomalous the point is, in `[0, 1]`; alert at
    /// `DetectorConfig::alert_threshold`.
    pub score: f64,
    /// The range the detector expected for this point.
    pub expected_low: f64,
    pub expected_high: f64,
    /// Unix seconds of the first point of the current unusual stretch.
    pub unusual_since: Option<i64>,
    /// Robust z of the point against the baseline (0 before anything is known).
    pub z: f64,
    /// How rare that z is for this series: -log10 of its tail probability.
    pub rarity_digits: f64,
    /// In `[0, 1)`: how far beyond every value seen before the point lies.
    pub novelty: f64,
    /// In `[0, 1)`: how far the series' point-to-point movement lies
    /// outside the range it has kept to (a series gone flat, or wild).
    pub activity: f64,
    /// That movement against the end of its range it passes: below 1,
    /// calmer than ever (0.2: five times calmer); above 1, busier.
    pub activity_ratio: f64,
    /// In `[0, 1]`: the shape memory's score (0 on the daemon's series,
    /// which run without it).
    pub shape: f64,
    /// The shape memory's best match for the latest shape (1 when it has
    /// not scored).
    pub shape_similarity: f64,
}

/// The anomaly detector of one series. Fixed size: a struct, and the
/// shape memory (on by default, off for the daemon's series) as one
/// allocation at creation.
#[derive(Debug, Clone)]
pub struct Detector {
    core: core::Core,
}

impl Detector {
    /// A detector that knows nothing yet; it learns from the first point.
    pub fn new(cfg: &DetectorConfig) -> Self {
        Detector {
            core: core::Core::new(cfg.params()),
        }
    }

    /// The detector of one of the daemon's series (`group_lag{group="x"}`,
    /// ...): [`Detector::new`] with its family's minimum effect and the
    /// relative novelty margin (see [`family`]).
    pub fn for_series(cfg: &DetectorConfig, series: &str) -> Self {
        Detector {
            core: core::Core::new(family::for_series(
                &cfg.params(),
                cfg.relative_margin,
                series,
            )),
        }
    }

    /// Scores one point then learns from it. `t` is unix seconds of the
    /// point, `value` the observation. Constant time, no allocation.
    /// NaN and infinite values score 0 and leave the state untouched.
    pub fn observe(&mut self, t: i64, value: f64) -> Score {
        let s = self.core.step(t, value);
        Score {
            score: s.score,
            expected_low: s.expected_low,
            expected_high: s.expected_high,
            unusual_since: s.unusual_since,
            z: s.z,
            rarity_digits: s.rarity_digits,
            novelty: s.novelty,
            activity: s.activity,
            activity_ratio: s.activity_ratio,
            shape: s.shape,
            shape_similarity: s.shape_similarity,
        }
    }

    /// Bytes of state of this series: the struct, and the shape memory
    /// when it runs (`DetectorConfig`'s default; the daemon's series run
    /// without it). Fixed from the first point on.
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Detector>() + self.core.shape_bytes()
    }
}
