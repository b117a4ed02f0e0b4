//! The detector's arithmetic, free of I/O and configuration parsing, so the
//! NAB harness and the unit tests exercise exactly what the daemon runs.
//!
//! See `docs/detector.md` for the method and the measurements behind it.

use super::shape::{ShapeMemory, ShapeScore};

/// Buckets per day of the seasonal profile (30 minutes each).
pub const SEASON_BUCKETS: usize = 48;
const DAY_SECS: i64 = 86_400;
/// Larger magnitudes are ignored, like NaN.
pub const MAX_ABS_VALUE: f64 = 1e300;
/// Points learnt before any score can be non-zero.
pub const WARMUP_POINTS: u64 = 30;
/// Points learnt before z values enter the rarity histograms.
pub const HIST_WARMUP_POINTS: u64 = 2;
/// Points learnt before a new extreme counts as novel: the range seen must
/// first mean something (a linear ramp makes a new extreme by 1/n of the
/// range each point).
pub const NOVELTY_WARMUP_POINTS: u64 = 150;
/// The activity's range is learnt from its value this many points earlier
/// (`ACTIVITY_STRIDE` × `ACTIVITY_RING`): a series going quiet (or wild)
/// over a few dozen points is compared with how it moved before, not with
/// the gradual record its own fall keeps setting.
const ACTIVITY_STRIDE: u64 = 5;
const ACTIVITY_RING: usize = 10;

/// Numeric knobs of the detector (the validated subset of `DetectorConfig`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Smoothing factor of the fast baseline (EWMA of the value).
    pub fast_alpha: f64,
    /// Smoothing factor of the mean absolute residual (the noise scale).
    pub scale_alpha: f64,
    /// Smoothing factor of each seasonal bucket.
    pub season_alpha: f64,
    /// Smoothing factor of the model-error trackers that pick the baseline.
    pub error_alpha: f64,
    /// Rarity, in decimal digits of the tail probability (3 = one point in
    /// a thousand), at which the rarity score reaches 0.5.
    pub rare_digits: f64,
    /// Points after an alert during which further alerts are held back.
    pub cooldown_points: u32,
    /// Score threshold used for the cooldown bookkeeping.
    pub alert_threshold: f64,
    /// Smoothing factor of the short average of z.
    pub avg_alpha: f64,
    /// Forgetting rate of the z histograms.
    pub hist_decay: f64,
    /// Below this robust z no point alerts, however rare.
    pub min_z: f64,
    /// Distance beyond every value seen so far, as a fraction of the
    /// range seen, at which the novelty score reaches 0.5.
    pub novelty_margin: f64,
    /// Like `novelty_margin`, for the smoothed value (an EWMA with
    /// `smooth_alpha`) leaving the range it has kept to so far.
    pub smooth_novelty_margin: f64,
    /// Smoothing factor of the average whose range novelty watches.
    pub smooth_alpha: f64,
    /// The daily profile replaces the fast baseline only when its recent
    /// error is below this fraction of the fast baseline's.
    pub season_advantage: f64,
    /// Novelty, and the rarity of a rise, wait until the series has been
    /// watched this long, in seconds (a day): before one full daily cycle,
    /// the morning rise sets a new high every few minutes, the range seen
    /// means little, and a first busy hour is a z record.
    pub novelty_after_secs: i64,
    /// Novelty margin as a fraction of the extreme being passed; the
    /// margin is the larger of this and the range margin. For series with
    /// a natural zero (counts, rates, lag, shares): "half again the largest lag ever seen" means the same
    /// on every topic, where a fraction of the range does not on a
    /// heavy-tailed series whose peaks creep up day after day. 0 for
    /// series without one (NAB's temperatures).
    pub novelty_rel: f64,
    /// Smallest departure, in the series' own units, that can score: a
    /// series can sit at exactly 0 for hours, and against that any
    /// movement is infinitely many noise scales, yet 100 messages of lag
    /// are not news. 0: no minimum.
    pub min_effect: f64,
    /// A fall below the lowest value seen is novel from the end of the
    /// warm-up, not only after `novelty_after_secs`. For series whose fault
    /// is a fall to zero (a topic's producers stopping), a day of history
    /// is not needed to know that zero is new: a daily cycle never halves
    /// its lowest value in one poll, it creeps down to it. Rises still wait
    /// the day: a young bursty topic's first burst looks exactly like a
    /// jump, and the morning rise sets new highs every few minutes.
    pub early_falls: bool,
    /// Past the largest z the rarity histogram remembers, its tail does
    /// not drop to zero (which makes every new record "one in a trillion")
    /// but starts at one point of its memory and halves every
    /// `tail_halving` bins (a bin is a fourth of an octave of z) further
    /// out. 0 = records are always certain. Meant with `young_average`:
    /// without it, the warm-up's z values (taken against a noise scale
    /// still growing from 0) are artefacts that set the bar.
    pub tail_halving: f64,
    /// The noise scale is the plain mean of the absolute residuals until
    /// there are `1 / scale_alpha` of them, then the EWMA: right from the
    /// first points instead of growing from 0, so a young series' z values
    /// are not inflated tenfold and its record floor (`tail_halving`)
    /// means the same from the first poll as after a day.
    pub young_average: bool,
    /// When above 0, the rarity histograms forget by time instead of by
    /// points: a z value's weight halves every `history_half_life_secs`
    /// seconds (`hist_decay` is then unused). A point counts as memory
    /// (for the record floor, `tail_halving`) while it keeps half its
    /// weight, so a z the series reached within one half-life is not a
    /// record: a batch job every 8 hours, or once a day, is remembered
    /// until it comes again, whatever the poll interval.
    pub history_half_life_secs: f64,
    /// After a novelty alarm at which the smoothed value had itself left
    /// its range (a level moving, not a lone spike), novelty in the same
    /// direction is held back while the smoothed value stays beyond where
    /// its range ended at that alarm, for at most this many points: a
    /// drift or a shift that goes on setting records is one event, not an
    /// alarm every `cooldown_points`. 0 = off.
    pub excursion_hold_points: u32,
    /// Smoothing factor of the activity, an EWMA of how far the series
    /// moves from one point to the next (`|x - previous x|`).
    pub activity_alpha: f64,
    /// How far the activity must leave the range it has kept to (learnt
    /// 50 points late), in natural-log units, for the activity score to
    /// reach 0.5 (0.6: 1.8 times calmer than the calmest stretch, or
    /// busier than the busiest). Catches a series gone flat, or moving at
    /// another pace, inside its usual range of values. 0 = off.
    pub activity_margin: f64,
    /// Run the shape memory beside the four signals (`detect::shape`): a
    /// bounded adaptive-resonance memory of the series' recent shapes,
    /// scoring one it has not seen (a cycle at another frequency). On by
    /// default: it gains out of sample on NAB and the taxonomy sets
    /// (docs/detector.md, "Shape memory"). The daemon's Kafka series run
    /// without it ([`super::family::for_series`]): alone it raised 126
    /// false alarms per 100 series-days of the labelled Kafka set.
    pub shape_memory: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            fast_alpha: 0.05,
            scale_alpha: 0.02,
            season_alpha: 0.1,
            error_alpha: 0.01,
            rare_digits: 5.0,
            cooldown_points: 30,
            alert_threshold: 0.5,
            avg_alpha: 0.1,
            hist_decay: 0.0005,
            min_z: 3.0,
            novelty_margin: 0.015,
            smooth_novelty_margin: 0.02,
            smooth_alpha: 0.05,
            season_advantage: 0.5,
            novelty_after_secs: DAY_SECS,
            novelty_rel: 0.0,
            min_effect: 0.0,
            early_falls: false,
            tail_halving: 0.0,
            young_average: false,
            history_half_life_secs: 0.0,
            excursion_hold_points: 300,
            activity_alpha: 0.05,
            activity_margin: 0.6,
            shape_memory: true,
        }
    }
}

/// What one point scored, with the range the detector expected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// In `[0, 1]`.
    pub score: f64,
    /// The robust z of the chosen baseline (0 when nothing is known yet).
    pub z: f64,
    /// How rare that z is for this series: -log10 of its tail probability.
    pub rarity_digits: f64,
    /// In `[0, 1)`: how far beyond every value seen before the point lies.
    pub novelty: f64,
    /// In `[0, 1)`: how far the activity (point-to-point movement) lies
    /// outside the range it has kept to.
    pub activity: f64,
    /// The activity against the end of its range it passes: below 1, that
    /// many times calmer than the calmest stretch seen; above 1, busier
    /// than the busiest. 1 inside the range.
    pub activity_ratio: f64,
    /// In `[0, 1]`: the shape memory's score (0 when it is off).
    pub shape: f64,
    /// The shape memory's best match for the latest shape, in `[0, 1]`
    /// (1 when it is off or has not scored).
    pub shape_similarity: f64,
    /// The range the chosen baseline expected (centre ± 3 noise scales).
    pub expected_low: f64,
    pub expected_high: f64,
    /// First time of the current run of unusual points, if in one.
    pub unusual_since: Option<i64>,
}

/// The bounded per-series state.
#[derive(Debug, Clone)]
pub struct Core {
    p: Params,
    n: u64,
    min: f64,
    max: f64,
    mean: f64,
    scale: f64,
    level: f64,
    season: [f32; SEASON_BUCKETS],
    season_scale: [f32; SEASON_BUCKETS],
    season_n: [u16; SEASON_BUCKETS],
    err_fast: f64,
    err_season: f64,
    cooldown_left: u32,
    z_avg: f64,
    smooth: f64,
    smooth_min: f64,
    smooth_max: f64,
    unusual_since: Option<i64>,
    /// Time of the first point.
    first_t: i64,
    /// Time of the last point learnt.
    last_t: i64,
    hist_now: ZHist,
    hist_avg: ZHist,
    /// The excursion under way (see `excursion_hold_points`): the smoothed
    /// range's top (bottom) at its alarm, or ±∞ when none, and the points
    /// it may still hold.
    excursion_high: f64,
    excursion_low: f64,
    excursion_left: u32,
    prev_x: f64,
    /// EWMA of `|x - previous x|` (`activity_alpha`).
    activity: f64,
    /// The range the activity has kept to, learnt from `activity_ring`
    /// (values `ACTIVITY_STRIDE` × `ACTIVITY_RING` points old); +∞/−∞ while
    /// nothing is learnt.
    activity_low: f64,
    activity_high: f64,
    activity_ring: [f32; ACTIVITY_RING],
    /// The shape memory (`Params::shape_memory`), boxed so the daemon's
    /// series, which run without it, pay a pointer.
    shape: Option<Box<ShapeMemory>>,
}

/// Bins of the z histograms (log scale, 4 per octave).
const Z_BINS: usize = 64;

/// A decaying histogram of z values: the series' own record of how unusual
/// its points usually are, so a score is a tail probability for *this*
/// series rather than a fixed Gaussian assumption.
#[derive(Debug, Clone)]
struct ZHist {
    counts: [f32; Z_BINS],
    total: f32,
    /// Weight of the next point. Growing the weight of new points instead
    /// of shrinking all old ones keeps `add` O(1); counts are rescaled when
    /// the weight gets large.
    weight: f32,
}

fn z_bin(z: f64) -> (usize, f64) {
    let pos = 4.0 * (1.0 + z.max(0.0)).log2();
    let b = pos.floor();
    if b >= (Z_BINS - 1) as f64 {
        (Z_BINS - 1, 0.0)
    } else {
        (b as usize, pos - b)
    }
}

impl ZHist {
    fn new() -> Self {
        ZHist {
            counts: [0.0; Z_BINS],
            total: 0.0,
            weight: 1.0,
        }
    }

    /// Fraction of past z values at least as large as the one in bin `b`
    /// at position `frac` inside it (interpolated). 1 when nothing is known.
    fn tail(&self, (b, frac): (usize, f64), halving: f64) -> f64 {
        if self.total <= 0.0 {
            return 1.0;
        }
        if halving > 0.0 {
            // The largest z remembered: the highest bin holding at least
            // half a point. Decayed ghosts (a young series' first z values,
            // thousands of points ago) no longer count as memory.
            let top = self
                .counts
                .iter()
                .rposition(|c| *c >= 0.5 * self.weight)
                .unwrap_or(0);
            if b >= top {
                let beyond = (b as f64 + frac - (top + 1) as f64).max(0.0);
                // One point of memory: the next point's weight, in the
                // histogram's (growing) units.
                let one = self.weight as f64 / self.total as f64;
                let floor = one * 0.5f64.powf(beyond / halving);
                let inside = if b == top {
                    (1.0 - frac) * self.counts[b] as f64 / self.total as f64
                } else {
                    0.0
                };
                return inside.max(floor).clamp(0.0, 1.0);
            }
        }
        // Four independent sums so the loop vectorises.
        let mut lanes = [0.0f32; 4];
        for chunk in self.counts[b + 1..].chunks(4) {
            for (l, c) in lanes.iter_mut().zip(chunk) {
                *l += *c;
            }
        }
        let above = lanes.iter().sum::<f32>() as f64 + (1.0 - frac) * self.counts[b] as f64;
        (above / self.total as f64).clamp(0.0, 1.0)
    }

    /// Records `z`; older points fade at rate `decay` per point.
    fn add(&mut self, (b, _): (usize, f64), decay: f64) {
        self.counts[b] += self.weight;
        self.total += self.weight;
        self.weight /= (1.0 - decay) as f32;
        if self.weight > 1e6 {
            let k = 1.0 / self.weight;
            for c in self.counts.iter_mut() {
                *c *= k;
            }
            self.total *= k;
            self.weight = 1.0;
        }
    }
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

impl Core {
    /// Heap bytes held beside the struct: the shape memory, when on.
    pub fn shape_bytes(&self) -> usize {
        self.shape
            .as_ref()
            .map_or(0, |_| std::mem::size_of::<ShapeMemory>())
    }

    /// An empty state; learning starts with the first finite point.
    pub fn new(p: Params) -> Self {
        Core {
            p,
            n: 0,
            min: 0.0,
            max: 0.0,
            mean: 0.0,
            scale: 0.0,
            level: 0.0,
            season: [0.0; SEASON_BUCKETS],
            season_scale: [0.0; SEASON_BUCKETS],
            season_n: [0; SEASON_BUCKETS],
            err_fast: 0.0,
            err_season: 0.0,
            cooldown_left: 0,
            z_avg: 0.0,
            smooth: 0.0,
            smooth_min: 0.0,
            smooth_max: 0.0,
            unusual_since: None,
            first_t: 0,
            last_t: 0,
            hist_now: ZHist::new(),
            hist_avg: ZHist::new(),
            excursion_high: f64::INFINITY,
            excursion_low: f64::NEG_INFINITY,
            excursion_left: 0,
            prev_x: 0.0,
            activity: 0.0,
            activity_low: f64::INFINITY,
            activity_high: f64::NEG_INFINITY,
            activity_ring: [f32::NAN; ACTIVITY_RING],
            shape: p.shape_memory.then(Box::default),
        }
    }

    /// Number of finite points learnt from.
    pub fn points(&self) -> u64 {
        self.n
    }

    fn floor(&self) -> f64 {
        // Smallest noise scale: a thousandth of the range seen, or a
        // millionth of the magnitude, so a perfectly flat series still has
        // a finite z when it moves.
        let range = self.max - self.min;
        (1e-3 * range).max(1e-6 * self.mean.abs()).max(1e-9)
    }

    /// Scores `x` observed at unix second `t`, then learns from it.
    /// Non-finite values, and magnitudes above [`MAX_ABS_VALUE`], are ignored
    /// (score 0, state untouched).
    pub fn step(&mut self, t: i64, x: f64) -> Step {
        // Values this large would overflow the arithmetic: ignored like NaN.
        if !x.is_finite() || x.abs() > MAX_ABS_VALUE {
            return Step {
                score: 0.0,
                z: 0.0,
                rarity_digits: 0.0,
                novelty: 0.0,
                activity: 0.0,
                activity_ratio: 1.0,
                shape: 0.0,
                shape_similarity: 1.0,
                expected_low: self.mean - 3.0 * self.scale,
                expected_high: self.mean + 3.0 * self.scale,
                unusual_since: self.unusual_since,
            };
        }
        // The shape memory learns every finite point, its own way.
        let shape = match self.shape.as_mut() {
            Some(m) => m.step(x),
            None => ShapeScore::default(),
        };
        let shape_similarity = if shape.score > 0.0 {
            shape.similarity
        } else {
            1.0
        };
        if self.n == 0 {
            self.n = 1;
            self.first_t = t;
            self.last_t = t;
            self.min = x;
            self.max = x;
            self.mean = x;
            self.level = x;
            self.smooth = x;
            self.smooth_min = x;
            self.smooth_max = x;
            self.prev_x = x;
            return Step {
                score: 0.0,
                z: 0.0,
                rarity_digits: 0.0,
                novelty: 0.0,
                activity: 0.0,
                activity_ratio: 1.0,
                shape: shape.score,
                shape_similarity,
                expected_low: x,
                expected_high: x,
                unusual_since: None,
            };
        }
        let p = self.p;
        let b = (t.rem_euclid(DAY_SECS) * SEASON_BUCKETS as i64 / DAY_SECS) as usize;
        let floor = self.floor();

        // Fast baseline.
        let res_fast = x - self.mean;
        let sc_fast = self.scale.max(floor);
        let z_fast = res_fast.abs() / sc_fast;

        // Seasonal baseline: slow level plus a per-bucket offset.
        let season_ready = self.season_n[b] >= 3;
        let pred_season = self.level + self.season[b] as f64;
        let res_season = x - pred_season;
        let sc_season = (self.season_scale[b] as f64).max(floor);
        let z_season = res_season.abs() / sc_season;

        let use_season = season_ready && self.err_season < self.err_fast * p.season_advantage;
        let (z, centre, sc) = if use_season {
            (z_season, pred_season, sc_season)
        } else {
            (z_fast, self.mean, sc_fast)
        };
        let z = z.min(1e12);

        let z_avg = self.z_avg + p.avg_alpha * (z - self.z_avg);
        let bin_now = z_bin(z);
        let bin_avg = z_bin(z_avg);
        // Ordinary points (robust z below `min_z`) cannot alert on rarity;
        // skip the histogram scan for them (most points).
        let halving = p.tail_halving;
        let tail = if z >= p.min_z {
            self.hist_now
                .tail(bin_now, halving)
                .min(self.hist_avg.tail(bin_avg, halving))
        } else {
            1.0
        };
        // Rarity on a log scale: 0.5 at `rare_digits` digits, 1 at twice that.
        let digits = -(tail.max(1e-12)).log10();
        let rarity = clamp01(0.5 * digits / p.rare_digits);
        // Novelty: beyond every value seen so far, by a margin of the range.
        // The relative margin is taken from the extreme being passed: half
        // again the highest value above, half the lowest below (a topic
        // whose quietest hour was 500 messages/s dropping to 0 is news,
        // however high its peak).
        let range = self.max - self.min;
        let (beyond, extreme) = if x > self.max {
            (x - self.max, self.max)
        } else if x < self.min {
            (self.min - x, self.min)
        } else {
            (0.0, 0.0)
        };
        let margin = (p.novelty_margin * range.max(floor)).max(p.novelty_rel * extreme.abs());
        let novelty_ready =
            self.n > NOVELTY_WARMUP_POINTS && t - self.first_t >= p.novelty_after_secs;
        // Falls may be judged early (`early_falls`); see `Params`.
        let falls_ready = novelty_ready || (p.early_falls && self.n >= WARMUP_POINTS);
        let ready = |falling: bool| if falling { falls_ready } else { novelty_ready };
        let novelty = if ready(x < self.min) {
            beyond / (beyond + margin)
        } else {
            0.0
        };
        // Novelty of the smoothed value: the local average leaves the range
        // the local average has always kept to.
        let m_next = self.smooth + p.smooth_alpha * (x - self.smooth);
        let m_range = self.smooth_max - self.smooth_min;
        let (m_beyond, m_extreme) = if m_next > self.smooth_max {
            (m_next - self.smooth_max, self.smooth_max)
        } else if m_next < self.smooth_min {
            (self.smooth_min - m_next, self.smooth_min)
        } else {
            (0.0, 0.0)
        };
        let m_margin =
            (p.smooth_novelty_margin * m_range.max(floor)).max(p.novelty_rel * m_extreme.abs());
        let m_novelty = if ready(m_next < self.smooth_min) && p.smooth_novelty_margin > 0.0 {
            m_beyond / (m_beyond + m_margin)
        } else {
            0.0
        };
        let mut novelty = novelty.max(m_novelty);
        // A record in the direction of an excursion under way continues it.
        let rising = x > self.max || m_next > self.smooth_max;
        let falling = x < self.min || m_next < self.smooth_min;
        if (rising && m_next > self.excursion_high) || (falling && m_next < self.excursion_low) {
            novelty = 0.0;
        }
        // Activity: the series moving far less (gone flat) or far more
        // than it ever has, inside its usual range of values.
        let step = (x - self.prev_x).abs();
        let activity_next = if self.n < 2 {
            step
        } else {
            self.activity + p.activity_alpha * (step - self.activity)
        };
        let now_active = activity_next.max(floor);
        let activity_ratio = if now_active < self.activity_low.max(floor) {
            now_active / self.activity_low.max(floor)
        } else if now_active > self.activity_high.max(floor) {
            now_active / self.activity_high.max(floor)
        } else {
            1.0
        };
        let activity = if p.activity_margin > 0.0 && novelty_ready && activity_ratio != 1.0 {
            let d = activity_ratio.ln().abs();
            d / (d + p.activity_margin)
        } else {
            0.0
        };
        // A rise is judged by rarity only after `novelty_after_secs`, like
        // novelty: before a daily cycle, a series' first busy hour is a z
        // record that means nothing (a batch topic's first load, its
        // consumer's first lag). Falls keep the warm-up's rarity.
        let rarity = if x > centre && t - self.first_t < p.novelty_after_secs {
            0.0
        } else {
            rarity
        };
        let mut score = rarity.max(clamp01(novelty)).max(activity);
        // Unusual, but smaller than the smallest departure that means
        // something: not scored, and not learnt as a new extreme either,
        // so a fault that grows (a stalled consumer's lag) is judged from
        // where it started once it is large enough to matter.
        let mut below_effect = false;
        if (x - centre).abs().max(beyond).max(m_beyond) < p.min_effect {
            below_effect = score >= p.alert_threshold;
            score = 0.0;
        }
        if self.n < WARMUP_POINTS {
            // Too little history to call anything unusual.
            score = 0.0;
        }
        if score >= p.alert_threshold || z >= p.min_z {
            if self.unusual_since.is_none() {
                self.unusual_since = Some(t);
            }
        } else {
            self.unusual_since = None;
        }
        if p.excursion_hold_points > 0 {
            if score >= p.alert_threshold && self.cooldown_left == 0 && novelty >= p.alert_threshold
            {
                if rising {
                    self.excursion_high = self.smooth_max;
                }
                if falling {
                    self.excursion_low = self.smooth_min;
                }
                self.excursion_left = p.excursion_hold_points;
            }
            // The excursion ends when the smoothed value comes back (a
            // lone spike: at once) or after `excursion_hold_points`.
            if m_next <= self.excursion_high || self.excursion_left == 0 {
                self.excursion_high = f64::INFINITY;
            }
            if m_next >= self.excursion_low || self.excursion_left == 0 {
                self.excursion_low = f64::NEG_INFINITY;
            }
            self.excursion_left = self.excursion_left.saturating_sub(1);
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            score = score.min(p.alert_threshold * 0.99);
        } else if score >= p.alert_threshold && p.cooldown_points > 0 {
            self.cooldown_left = p.cooldown_points;
        }
        // The shape memory has its own masking after an alarm; its score
        // stands beside the signals' after their cooldown.
        if shape.score > score {
            score = shape.score;
            if score >= p.alert_threshold && self.unusual_since.is_none() {
                self.unusual_since = Some(t);
            }
        }

        // Learn.
        self.z_avg = z_avg;
        // The second point has no noise scale at all (one point, no
        // residuals), so its z is enormous; recording it would make every
        // later fault of a young series look ordinary (a 6x traffic jump
        // after 60 polls scored 0.18). Later warm-up points stay: they keep
        // the bar high while the scale settles, which NAB rewards (skipping
        // the first 10 cost 1 point there).
        if self.n >= HIST_WARMUP_POINTS {
            let decay = if p.history_half_life_secs > 0.0 {
                // At most half forgotten at once (a long gap between polls).
                let dt = (t - self.last_t).max(0) as f64;
                (1.0 - 0.5f64.powf(dt / p.history_half_life_secs)).min(0.5)
            } else {
                p.hist_decay
            };
            self.hist_now.add(bin_now, decay);
            self.hist_avg.add(bin_avg, decay);
        }
        self.last_t = t;
        self.n += 1;
        self.smooth = m_next;
        self.prev_x = x;
        self.activity = activity_next;
        // The activity's range is learnt `ACTIVITY_STRIDE` × `ACTIVITY_RING`
        // points late, from every fifth value, once the young series'
        // activity has settled.
        if self.n >= WARMUP_POINTS + ACTIVITY_STRIDE * 4 && self.n % ACTIVITY_STRIDE == 0 {
            let slot = (self.n / ACTIVITY_STRIDE) as usize % ACTIVITY_RING;
            let old = std::mem::replace(&mut self.activity_ring[slot], now_active as f32);
            if !old.is_nan() {
                self.activity_low = self.activity_low.min(old as f64);
                self.activity_high = self.activity_high.max(old as f64);
            }
        }
        if !below_effect {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
            self.smooth_min = self.smooth_min.min(m_next);
            self.smooth_max = self.smooth_max.max(m_next);
        }
        self.err_fast += p.error_alpha * (z_fast.min(10.0) - self.err_fast);
        if season_ready {
            self.err_season += p.error_alpha * (z_season.min(10.0) - self.err_season);
        } else {
            self.err_season = self.err_fast + 1.0;
        }
        let scale_alpha = if p.young_average {
            (1.0 / self.n as f64).max(p.scale_alpha)
        } else {
            p.scale_alpha
        };
        self.scale += scale_alpha * (res_fast.abs() - self.scale);
        self.mean += p.fast_alpha * res_fast;
        self.level += 0.005 * (x - self.level);
        let off = x - self.level;
        let a = (1.0 / (self.season_n[b] as f64 + 1.0)).max(p.season_alpha);
        let old = self.season[b] as f64;
        self.season[b] = (old + a * (off - old)) as f32;
        let old_sc = self.season_scale[b] as f64;
        self.season_scale[b] = (old_sc + a * (res_season.abs() - old_sc)) as f32;
        self.season_n[b] = self.season_n[b].saturating_add(1);

        Step {
            score,
            z,
            rarity_digits: digits,
            novelty,
            activity,
            activity_ratio,
            shape: shape.score,
            shape_similarity,
            expected_low: centre - 3.0 * sc,
            expected_high: centre + 3.0 * sc,
            unusual_since: self.unusual_since,
        }
    }
}
