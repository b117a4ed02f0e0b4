//! The shape memory: a streaming, bounded adaptive-resonance detector of
//! patterns the series has not shown before, after ARTime (Hampton 2021,
//! the top of NAB's scoreboard), rewritten from its description for a
//! stream: no look-ahead, fixed-size state.
//!
//! Every [`STRIDE`] points become one value (the block's extreme when it
//! stands out of the block, else its mean), normalised by the range of the
//! first [`PROBATION_POINTS`] and quantised to 80 levels; values within
//! 0.075 of the running median are set to it (noise around the usual
//! level is not a shape). The last [`WINDOW`] such values, and the Haar
//! wavelet coefficients of their min-max-normalised shape, are one input
//! to a fuzzy ART with two vigilances: an input close to a remembered
//! category refines it; one close to none becomes a new category and,
//! unless masked (just after an alarm or a new category), an anomaly
//! scored by how far below the vigilances its best match lies. The
//! vigilances follow the recent match levels. What it sees that the
//! value signals cannot: a cycle running at another frequency, a shape
//! that never occurred, inside the usual range of values.
//!
//! Bounded where ARTime is not: at most [`CATEGORIES`] categories; a new
//! one when full first merges the two most alike (their fuzzy AND, a
//! category covering both), so nothing learnt is forgotten outright
//! (evicting the least recently used instead cost 8 points of NAB's
//! cross-validated score: forgotten shapes come back as anomalies). The
//! range is the probation's and values outside it are clamped (NAB hands
//! ARTime the whole file's range in advance; streaming, ARTime alone drops
//! from 75.8 to 41.2 on the development split). docs/detector.md,
//! "Shape memory", has the measurements.

/// Points per downsampled value.
pub const STRIDE: usize = 5;
/// Downsampled values per shape.
pub const WINDOW: usize = 8;
const DIM: usize = 2 * WINDOW;
/// Complement-coded input: the features and one minus each.
const CODED: usize = 2 * DIM;
const LEVELS: usize = 80;
const CHOMP: f64 = 0.075;
/// The span (of the probation's range) below which a window's shape is
/// scaled down rather than stretched to full scale: the width of the
/// chomp's band (the median ± [`CHOMP`]), inside which differences are
/// noise. Stretched, a one-level step in a flat stretch (the running
/// median moving under a slow trend) looked like a full-scale step, a
/// shape never seen.
const SHAPE_FLOOR: f64 = 2.0 * CHOMP;
const INITIAL_RHO: f64 = 0.80;
/// Points learnt before the first score: the range is taken from them and
/// the vigilance set by replaying them.
pub const PROBATION_POINTS: usize = 600;
/// Downsampled values in the probation.
const TREND: usize = PROBATION_POINTS / STRIDE;
const SIM_WINDOW: usize = TREND / 2 + 1;
const DIFF_WINDOW: usize = TREND + 1;
/// Downsampled values masked after an anomaly.
const MASK: usize = WINDOW * 3 / 2;
/// Most categories remembered.
pub const CATEGORIES: usize = 32;

/// Fuzzy ART with two vigilances (ARTime's DVFA), weights in 1/255.
#[derive(Debug, Clone)]
struct Art {
    rho_lb: f64,
    rho_ub: f64,
    w: [[u8; CODED]; CATEGORIES],
    used: [u32; CATEGORIES],
    n: usize,
    clock: u32,
}

/// What one input found in the memory.
struct Match {
    /// No category within the lower vigilance: a new cluster.
    new_cluster: bool,
    /// The best match, and its similarity on the newest value alone.
    a: f64,
    ae: f64,
}

fn code(f: &[f64; DIM]) -> [u8; CODED] {
    let mut x = [0u8; CODED];
    for k in 0..DIM {
        let q = (f[k].clamp(0.0, 1.0) * 255.0).round() as u8;
        x[k] = q;
        x[DIM + k] = 255 - q;
    }
    x
}

impl Art {
    fn new(rho: f64) -> Self {
        Art {
            rho_lb: rho,
            rho_ub: rho,
            w: [[0; CODED]; CATEGORIES],
            used: [0; CATEGORIES],
            n: 0,
            clock: 0,
        }
    }

    /// How well `x` fits category `j`: (match, similarity on the newest value).
    fn activation(&self, j: usize, x: &[u8; CODED]) -> (f64, f64) {
        let w = &self.w[j];
        let (mut num, mut nw) = (0u32, 0u32);
        for k in 0..CODED {
            num += u32::from(x[k].min(w[k]));
            nw += u32::from(w[k]);
        }
        let fs = f64::from(num) / f64::from(nw).max(0.255);
        // The newest value and its complement.
        let (ei, ee) = (DIM - 1, CODED - 1);
        let neme = u32::from(x[ei].min(w[ei])) + u32::from(x[ee].min(w[ee]));
        let nwe = u32::from(w[ei]) + u32::from(w[ee]);
        let es = if nwe > 0 {
            f64::from(neme) / f64::from(nwe)
        } else {
            0.0
        };
        (fs.powi(3) * es * es, es)
    }

    fn add(&mut self, x: [u8; CODED]) {
        if self.n < CATEGORIES {
            self.w[self.n] = x;
            self.used[self.n] = self.clock;
            self.n += 1;
            return;
        }
        // Full: the two most alike categories become one (their fuzzy
        // AND covers both), freeing a slot.
        let mut best = (0, 1, -1.0);
        for a in 0..self.n {
            for b in a + 1..self.n {
                let (mut lo, mut hi) = (0u32, 0u32);
                for k in 0..CODED {
                    lo += u32::from(self.w[a][k].min(self.w[b][k]));
                    hi += u32::from(self.w[a][k].max(self.w[b][k]));
                }
                let s = f64::from(lo) / f64::from(hi).max(1.0);
                if s > best.2 {
                    best = (a, b, s);
                }
            }
        }
        let (a, b, _) = best;
        for k in 0..CODED {
            self.w[a][k] = self.w[a][k].min(self.w[b][k]);
        }
        self.used[a] = self.used[a].max(self.used[b]);
        self.w[b] = x;
        self.used[b] = self.clock;
    }

    fn train(&mut self, f: &[f64; DIM], learning: bool) -> Match {
        let x = code(f);
        self.clock = self.clock.wrapping_add(1);
        if self.n == 0 {
            // ARTime starts from one category that matches everything.
            self.w[0] = [255; CODED];
            self.used[0] = self.clock;
            self.n = 1;
            return Match {
                new_cluster: false,
                a: 0.0,
                ae: 0.0,
            };
        }
        let mut best = (0, f64::NEG_INFINITY, 0.0);
        let mut m = [0.0; CATEGORIES];
        for (j, mj) in m.iter_mut().enumerate().take(self.n) {
            let (a, e) = self.activation(j, &x);
            *mj = a;
            if a > best.1 {
                best = (j, a, e);
            }
        }
        let (_, a, ae) = best;
        if !learning {
            return Match {
                new_cluster: true,
                a,
                ae,
            };
        }
        let new_cluster = if a >= self.rho_ub {
            // Every category within the upper vigilance learns.
            for (j, mj) in m.iter().enumerate().take(self.n) {
                if *mj >= self.rho_ub {
                    for (w, xk) in self.w[j].iter_mut().zip(&x) {
                        *w = (*w).min(*xk);
                    }
                    self.used[j] = self.clock;
                }
            }
            false
        } else {
            // Within the lower vigilance: a new category of a known
            // cluster; below it, a new cluster.
            self.add(x);
            a < self.rho_lb
        };
        Match { new_cluster, a, ae }
    }
}

fn min_max_01(v: &mut [f64]) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    v.iter_mut().for_each(|x| *x -= lo);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi != 0.0 {
        v.iter_mut().for_each(|x| *x /= hi);
    }
}

/// Full Haar decomposition of 8 values: approximation, then details from
/// the coarsest level to the finest.
fn haar(x: &[f64; WINDOW]) -> [f64; WINDOW] {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let mut out = [0.0; WINDOW];
    let mut cur = *x;
    let mut len = WINDOW;
    while len > 1 {
        let half = len / 2;
        let mut next = [0.0; WINDOW];
        for k in 0..half {
            next[k] = (cur[2 * k] + cur[2 * k + 1]) * s;
            out[half + k] = (cur[2 * k] - cur[2 * k + 1]) * s;
        }
        cur = next;
        len = half;
    }
    out[0] = cur[0];
    out
}

/// The input of one shape: its normalised wavelet coefficients and its
/// values, from the last [`WINDOW`] levels. The coefficients are scaled
/// down when the window spans less than [`SHAPE_FLOOR`].
fn features(levels: &[u8; WINDOW]) -> [f64; DIM] {
    let mut v = [0.0; WINDOW];
    for (o, l) in v.iter_mut().zip(levels) {
        *o = f64::from(*l) / LEVELS as f64;
    }
    let mut shape = v;
    min_max_01(&mut shape);
    let mut fw = haar(&shape);
    min_max_01(&mut fw);
    let (lo, hi) = levels
        .iter()
        .fold((u8::MAX, 0u8), |(lo, hi), l| (lo.min(*l), hi.max(*l)));
    let span = f64::from(hi.saturating_sub(lo)) / LEVELS as f64;
    let r = (span / SHAPE_FLOOR).min(1.0);
    fw.iter_mut().for_each(|c| *c *= r);
    let mut f = [0.0; DIM];
    f[..WINDOW].copy_from_slice(&fw);
    f[WINDOW..].copy_from_slice(&v);
    f
}

fn cosine(a: &[f64; DIM], b: &[f64; DIM]) -> f64 {
    let na = a.iter().map(|v| v * v).sum::<f64>().sqrt();
    let nb = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    if na == 0.0 {
        1.0 - nb
    } else if nb == 0.0 {
        1.0 - na
    } else {
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (na * nb)
    }
}

fn q8(v: f64) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn from_q8(v: u8) -> f64 {
    f64::from(v) / 255.0
}

/// One series' shape memory. Fixed size (about 2.3 KiB).
#[derive(Debug, Clone)]
pub struct ShapeMemory {
    /// Points seen (1-based after the first).
    i: u64,
    /// Downsampled values made (1-based, the next one's number).
    dsi: usize,
    block: [f64; STRIDE],
    ds_ma: f64,
    /// Raw downsampled values of the probation, waiting for its range.
    pending: [f32; TREND],
    raw_min: f64,
    raw_max: f64,
    dmin: f64,
    dmax: f64,
    medbin: [u32; LEVELS + 1],
    medlevel: usize,
    belowmed: usize,
    abovemed: usize,
    window: [u8; WINDOW],
    /// Downsampled values still in the window since the last one outside
    /// the probation's range: a shape holding one is not scored (the
    /// value signals judge values beyond the range; clamped, a slow drift
    /// past it made shapes never seen).
    outside_left: u8,
    art: Art,
    last_anomaly_i: usize,
    last_anomaly_sim: f64,
    last_rho_update_i: usize,
    mask_after_cat: bool,
    no_new_cat_count: usize,
    /// Mean of the best matches at past anomalies (the last one lowered to
    /// the lowest match while masked).
    hist_sum: f64,
    hist_n: u32,
    hist_last: f64,
    /// Mean of every best match (the upper vigilance).
    a_sum: f64,
    a_n: u64,
    /// Recent best matches, and how far each fell below the upper
    /// vigilance, in 1/255 (rings).
    sim_ring: [u8; SIM_WINDOW],
    diff_ring: [u8; DIFF_WINDOW],
}

/// What the shape memory says about one point.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ShapeScore {
    /// In `[0, 1]`; non-zero only at a point closing a downsampled value
    /// whose shape matched no remembered category.
    pub score: f64,
    /// The best match's similarity, in `[0, 1]` (1 = a remembered shape).
    pub similarity: f64,
}

impl Default for ShapeMemory {
    fn default() -> Self {
        ShapeMemory {
            i: 1,
            dsi: 1,
            block: [0.0; STRIDE],
            ds_ma: 0.0,
            pending: [0.0; TREND],
            raw_min: f64::INFINITY,
            raw_max: f64::NEG_INFINITY,
            dmin: 0.0,
            dmax: 0.0,
            medbin: [0; LEVELS + 1],
            medlevel: 0,
            belowmed: 0,
            abovemed: 0,
            window: [0; WINDOW],
            outside_left: 0,
            art: Art::new(INITIAL_RHO),
            last_anomaly_i: 0,
            last_anomaly_sim: 0.0,
            last_rho_update_i: 0,
            mask_after_cat: false,
            no_new_cat_count: 0,
            hist_sum: 0.0,
            hist_n: 0,
            hist_last: 0.0,
            a_sum: 0.0,
            a_n: 0,
            sim_ring: [255; SIM_WINDOW],
            diff_ring: [0; DIFF_WINDOW],
        }
    }
}

impl ShapeMemory {
    /// Scores then learns `x` (finite; the caller filters the rest).
    pub fn step(&mut self, x: f64) -> ShapeScore {
        self.raw_min = self.raw_min.min(x);
        self.raw_max = self.raw_max.max(x);
        let slot = (self.i as usize - 1) % STRIDE;
        self.block[slot] = x;
        let mut out = ShapeScore::default();
        if self.i as usize % STRIDE == 0 {
            let ds = self.downsample();
            if self.dsi > TREND {
                out = self.after_probation(ds, self.dsi);
            } else {
                self.pending[self.dsi - 1] = ds as f32;
                if self.dsi == TREND {
                    self.replay_probation();
                }
            }
            self.dsi += 1;
        }
        self.i += 1;
        out
    }

    /// One value for the block just closed: its extreme farther from the
    /// running average when that stands out by 10 %, else its mean.
    fn downsample(&mut self) -> f64 {
        let mean = self.block.iter().sum::<f64>() / STRIDE as f64;
        let max = self.block.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = self.block.iter().copied().fold(f64::INFINITY, f64::min);
        if self.dsi == 1 {
            self.ds_ma = mean;
        }
        self.ds_ma = (self.ds_ma + mean) / 2.0;
        let mut ds = max;
        if (max - self.ds_ma).abs() < (min - self.ds_ma).abs() {
            ds = min;
        }
        if (ds - mean).abs() < 0.1 * mean {
            ds = mean;
        }
        ds
    }

    /// The quantised level of `ds` after the median chomp, also learnt by
    /// the running median.
    fn level(&mut self, ds: f64, dsi: usize) -> u8 {
        let mut v = ds - self.dmin;
        if self.dmax - self.dmin != 0.0 {
            v /= self.dmax - self.dmin;
        }
        let level = (v * LEVELS as f64).round().clamp(0.0, LEVELS as f64) as usize;
        self.medbin[level] = self.medbin[level].saturating_add(1);
        let medpos = dsi / 2;
        if dsi == 1 {
            self.medlevel = level;
        }
        if self.medlevel > level {
            self.belowmed += 1;
        } else if self.medlevel < level {
            self.abovemed += 1;
        }
        // Not exactly a running median, but close (as ARTime).
        if medpos < self.abovemed {
            self.belowmed += self.medbin[self.medlevel] as usize;
            self.medlevel += 1;
            while self.medlevel < LEVELS && self.medbin[self.medlevel] == 0 {
                self.medlevel += 1;
            }
            self.abovemed = self
                .abovemed
                .saturating_sub(self.medbin[self.medlevel] as usize);
        } else if medpos < self.belowmed {
            self.abovemed += self.medbin[self.medlevel] as usize;
            self.medlevel = self.medlevel.saturating_sub(1);
            while self.medlevel > 0 && self.medbin[self.medlevel] == 0 {
                self.medlevel -= 1;
            }
            self.belowmed = self
                .belowmed
                .saturating_sub(self.medbin[self.medlevel] as usize);
        }
        if (level as f64 - self.medlevel as f64).abs() / (LEVELS as f64) < CHOMP {
            self.medlevel as u8
        } else {
            level as u8
        }
    }

    fn push_level(&mut self, level: u8) {
        self.window.copy_within(1.., 0);
        self.window[WINDOW - 1] = level;
    }

    fn after_probation(&mut self, ds: f64, dsi: usize) -> ShapeScore {
        let level = self.level(ds, dsi);
        self.push_level(level);
        if ds < self.dmin || ds > self.dmax {
            self.outside_left = WINDOW as u8;
        } else {
            self.outside_left = self.outside_left.saturating_sub(1);
        }
        let f = features(&self.window);
        let mut out = self.detect(&f, dsi);
        if self.outside_left > 0 {
            out.score = 0.0;
        }
        out
    }

    /// The probation's end: its range is known, so its values are
    /// levelled, the starting vigilance is found by clustering its shapes
    /// (least typical first), and they are learnt in order, unscored.
    fn replay_probation(&mut self) {
        self.dmin = self.raw_min;
        self.dmax = self.raw_max;
        let mut levels = [0u8; TREND];
        for (k, level) in levels.iter_mut().enumerate() {
            *level = self.level(f64::from(self.pending[k]), k + 1);
        }
        let shape_at = |k: usize| -> [f64; DIM] {
            if k + 1 >= WINDOW {
                let mut w = [0u8; WINDOW];
                w.copy_from_slice(&levels[k + 1 - WINDOW..=k]);
                features(&w)
            } else {
                [0.0; DIM]
            }
        };
        // The starting vigilance: shapes of the probation, least typical
        // first, clustered at 0.8; the mean best match of the second half.
        let shapes: Vec<[f64; DIM]> = (WINDOW - 1..TREND).map(shape_at).collect();
        let mut typical: Vec<(f64, usize)> = (0..shapes.len())
            .map(|a| {
                let s: f64 = (0..shapes.len())
                    .map(|b| {
                        if a == b {
                            1.0
                        } else {
                            cosine(&shapes[a], &shapes[b])
                        }
                    })
                    .sum();
                (s, a)
            })
            .collect();
        typical.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut probe = Art::new(INITIAL_RHO);
        let matches: Vec<f64> = typical
            .iter()
            .map(|&(_, k)| probe.train(&shapes[k], true).a)
            .collect();
        let from = (TREND / 2 - 1).min(matches.len() - 1);
        let rho = matches[from..].iter().sum::<f64>() / (matches.len() - from) as f64;
        self.art.rho_lb = rho;
        self.art.rho_ub = rho;
        for k in 0..TREND {
            self.detect(&shape_at(k), k + 1);
        }
        self.window.copy_from_slice(&levels[TREND - WINDOW..]);
    }

    fn detect(&mut self, f: &[f64; DIM], i: usize) -> ShapeScore {
        let since = i.saturating_sub(self.last_anomaly_i);
        let update_after_anomaly = since == MASK;
        let update_for_trend = i.saturating_sub(self.last_rho_update_i) >= TREND / 2;
        let mask_after_anomaly = since <= MASK;
        if i > TREND + MASK && self.mask_after_cat && self.no_new_cat_count >= MASK {
            self.mask_after_cat = false;
        }
        let m = self.art.train(f, i >= WINDOW);
        self.no_new_cat_count = if m.new_cluster {
            0
        } else {
            self.no_new_cat_count + 1
        };
        self.a_sum += m.a;
        self.a_n += 1;
        self.sim_ring[i % SIM_WINDOW] = q8(m.a);
        self.diff_ring[i % DIFF_WINDOW] = q8(self.art.rho_ub - m.a);
        if since < MASK && self.hist_n > 0 && m.a < self.hist_last {
            self.hist_sum += m.a - self.hist_last;
            self.hist_last = m.a;
        }
        let masking = self.mask_after_cat || mask_after_anomaly;
        let scale = if mask_after_anomaly { 0.90 } else { 0.70 };
        let below_last = m.a < self.last_anomaly_sim * scale;
        let mut score = 0.0;
        if i > TREND && m.new_cluster && (!masking || below_last) {
            score = self.confidence(m.a, m.ae);
            self.hist_sum += m.a;
            self.hist_n += 1;
            self.hist_last = m.a;
            self.last_anomaly_sim = m.a;
            self.last_anomaly_i = i;
        }
        self.mask_after_cat = m.new_cluster || self.mask_after_cat;
        if i > TREND && (update_after_anomaly || update_for_trend) {
            self.update_vigilance(i);
        }
        ShapeScore {
            score,
            similarity: m.a,
        }
    }

    /// The vigilances follow the matches: the upper one is the mean match
    /// (at most 0.97); the lower one rises towards the lowest recent match,
    /// or falls by half the recent shortfall, never below the mean match
    /// at past anomalies.
    fn update_vigilance(&mut self, i: usize) {
        let min_sim = self
            .sim_ring
            .iter()
            .map(|v| from_q8(*v))
            .fold(f64::INFINITY, f64::min);
        let new_ub = (self.a_sum / self.a_n.max(1) as f64).min(0.97);
        let prev_lb = self.art.rho_lb;
        let mut new_lb = if prev_lb <= min_sim {
            prev_lb + (min_sim - prev_lb) * 0.19
        } else {
            let mut decr = 0.0;
            if i > TREND * 2 {
                let (sum, n) = self
                    .diff_ring
                    .iter()
                    .map(|v| from_q8(*v))
                    .filter(|d| *d > 0.05)
                    .fold((0.0, 0), |(s, n), d| (s + d.min(0.37), n + 1));
                if n > 0 {
                    decr = sum / f64::from(n);
                }
            }
            let lb = prev_lb - decr.max(0.01) / 2.0;
            if self.hist_n > 0 {
                lb.max(self.hist_sum / f64::from(self.hist_n))
            } else {
                lb
            }
        };
        new_lb = new_lb.min(new_ub);
        self.art.rho_lb = new_lb;
        self.art.rho_ub = new_ub;
        self.last_rho_update_i = i;
        self.mask_after_cat = true;
    }

    /// How far below the two vigilances the best match fell, plus how
    /// badly the newest value matched.
    fn confidence(&self, a: f64, ae: f64) -> f64 {
        let a = a.min(0.999);
        let ub = ((1.0 - a) - (1.0 - self.art.rho_ub)) / (1.0 - a);
        let lb = ((1.0 - a) - (1.0 - self.art.rho_lb)) / (1.0 - a);
        (ub * 0.35 + lb * 0.65 + (1.0 - ae) * 1.5).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(i: usize, period: f64) -> f64 {
        100.0 + 50.0 * (i as f64 * std::f64::consts::TAU / period).sin()
    }

    #[test]
    fn a_cycle_at_another_frequency_is_a_new_shape() {
        let mut m = ShapeMemory::default();
        let mut before = 0.0f64;
        for i in 0..3_000 {
            before = before.max(m.step(sine(i, 200.0)).score);
        }
        assert!(before < 0.5, "a steady cycle scored {before}");
        let mut after = 0.0f64;
        for i in 3_000..3_400 {
            after = after.max(m.step(sine(i, 40.0)).score);
        }
        assert!(after >= 0.5, "a cycle five times faster scored {after}");
    }

    #[test]
    fn memory_stays_bounded_on_endless_novelty() {
        let mut m = ShapeMemory::default();
        let mut s: u64 = 7;
        for _ in 0..100_000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = (s >> 33) as f64 / f64::from(u32::MAX);
            let sc = m.step(x * 1e3);
            assert!((0.0..=1.0).contains(&sc.score));
        }
        assert!(m.art.n <= CATEGORIES);
        assert!(std::mem::size_of::<ShapeMemory>() < 2_600);
    }

    #[test]
    fn a_one_level_step_is_not_a_full_scale_shape() {
        // A flat stretch whose running median moved by one level (a slow
        // trend) against a real step of a quarter of the range.
        let small = features(&[21, 21, 21, 21, 20, 20, 20, 20]);
        let big = features(&[40, 40, 40, 40, 20, 20, 20, 20]);
        let peak = |f: &[f64; DIM]| f[..WINDOW].iter().copied().fold(0.0, f64::max);
        assert!(peak(&small) < 0.1, "{small:?}");
        assert!((peak(&big) - 1.0).abs() < 1e-12, "{big:?}");
    }

    #[test]
    fn haar_of_a_constant_is_all_approximation() {
        let h = haar(&[1.0; WINDOW]);
        assert!((h[0] - 8f64.sqrt()).abs() < 1e-12);
        assert!(h[1..].iter().all(|d| d.abs() < 1e-12));
    }
}
