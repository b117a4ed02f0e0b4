//! Lab: a streaming port of ARTime (adaptive resonance, Hampton 2021; the
//! top of NAB's scoreboard), written from its published description, to
//! measure it beside the shipped detector on the development sets.
//!
//! ```text
//! cargo run --release --example artlab -- MODE DIR...
//! ```
//! MODE: `file` (NAB's input min/max of the whole file, as ARTime runs in
//! NAB: look-ahead), `probation` (the range of the first 600 points,
//! clamped after), `expanding` (that range, widened by every new extreme).

use isrwatch::detect::core::{Core, Params};
use isrwatch::detect::nab::{
    best_threshold, cv_candidates, folds, run, score_at, NabCorpus, NabFile, ScoredFile,
};
use std::path::PathBuf;

const WINDOW: usize = 8;
const DIM: usize = 2 * WINDOW;
const DC: usize = 2 * DIM;
const NLEVELS: usize = 80;
const CHOMP: f64 = 0.075;
const INITIAL_RHO: f64 = 0.80;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Norm {
    File,
    Probation,
    Expanding,
}

/// Fuzzy ART with a dual vigilance (DVFA), complement-coded inputs.
#[derive(Clone, Default)]
struct Dvfa {
    rho_lb: f64,
    rho_ub: f64,
    w: Vec<[f64; DC]>,
    used: Vec<u64>,
    clock: u64,
}

fn cap() -> usize {
    std::env::var("ARTLAB_CAP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX)
}

fn quant() -> bool {
    std::env::var("ARTLAB_Q8").is_ok()
}

struct Trained {
    /// No category within the lower vigilance: a new cluster.
    new_cluster: bool,
    a: f64,
    ae: f64,
}

impl Dvfa {
    fn add(&mut self, x: [f64; DC]) {
        self.clock += 1;
        if self.w.len() >= cap() && std::env::var("ARTLAB_MERGE").is_ok() {
            // Merge the two most alike categories (fuzzy AND) to free a slot.
            let n = self.w.len();
            let mut best = (0, 1, f64::NEG_INFINITY);
            for a in 0..n {
                for b in a + 1..n {
                    let (mut num, mut den) = (0.0, 0.0);
                    for k in 0..DC {
                        num += self.w[a][k].min(self.w[b][k]);
                        den += self.w[a][k].max(self.w[b][k]);
                    }
                    let s = num / den.max(1e-9);
                    if s > best.2 {
                        best = (a, b, s);
                    }
                }
            }
            let (a, b, _) = best;
            for k in 0..DC {
                self.w[a][k] = self.w[a][k].min(self.w[b][k]);
            }
            self.used[a] = self.used[a].max(self.used[b]);
            self.w[b] = x;
            self.used[b] = self.clock;
        } else if self.w.len() >= cap() {
            let (j, _) = self
                .used
                .iter()
                .enumerate()
                .min_by_key(|(_, u)| **u)
                .unwrap();
            self.w[j] = x;
            self.used[j] = self.clock;
        } else {
            self.w.push(x);
            self.used.push(self.clock);
        }
    }

    fn train(&mut self, f: &[f64; DIM], learning: bool) -> Trained {
        let mut x = [0.0; DC];
        for k in 0..DIM {
            let v = if quant() {
                (f[k] * 255.0).round() / 255.0
            } else {
                f[k]
            };
            x[k] = v;
            x[DIM + k] = 1.0 - v;
        }
        self.clock += 1;
        if self.w.is_empty() {
            self.w.push([1.0; DC]);
            self.used.push(self.clock);
            return Trained {
                new_cluster: false,
                a: 0.0,
                ae: 0.0,
            };
        }
        let mut scored: Vec<(f64, f64, usize, [f64; DC])> = Vec::with_capacity(self.w.len());
        for (j, w) in self.w.iter().enumerate() {
            let mut em = [0.0; DC];
            let (mut num, mut nw) = (0.0, 0.0);
            for k in 0..DC {
                em[k] = x[k].min(w[k]);
                num += em[k];
                nw += w[k];
            }
            if nw == 0.0 {
                nw = 0.001;
            }
            let fs = num / nw;
            let ei = DIM - 1;
            let neme = em[ei] + em[DC - 1];
            let nwe = w[ei] + w[DC - 1];
            let es = if nwe > 0.0 { neme / nwe } else { 0.0 };
            scored.push((fs.powi(3) * es * es, es, j, em));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (a, ae) = (scored[0].0, scored[0].1);
        if !learning {
            return Trained {
                new_cluster: true,
                a,
                ae,
            };
        }
        let mut matched = false;
        for (m, _, j, em) in &scored {
            if *m >= self.rho_ub {
                self.w[*j] = *em;
                self.used[*j] = self.clock;
                matched = true;
            } else if *m >= self.rho_lb && !matched {
                self.add(x);
                matched = true;
                break;
            } else {
                break;
            }
        }
        if !matched {
            self.add(x);
        }
        Trained {
            new_cluster: !matched,
            a,
            ae,
        }
    }
}

fn similarity(a: &[f64; DIM], b: &[f64; DIM]) -> f64 {
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

/// Full Haar decomposition of 8 values: [approx, d3, d2 (2), d1 (4)].
fn haar8(x: &[f64; WINDOW]) -> [f64; WINDOW] {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let mut cur: Vec<f64> = x.to_vec();
    let mut details: Vec<Vec<f64>> = Vec::new();
    while cur.len() > 1 {
        let a: Vec<f64> = cur.chunks(2).map(|p| (p[0] + p[1]) * s).collect();
        let d: Vec<f64> = cur.chunks(2).map(|p| (p[0] - p[1]) * s).collect();
        details.push(d);
        cur = a;
    }
    let mut out = Vec::with_capacity(WINDOW);
    out.extend(cur);
    for d in details.iter().rev() {
        out.extend(d);
    }
    let mut r = [0.0; WINDOW];
    r.copy_from_slice(&out);
    r
}

fn min_max_01(v: &mut [f64]) {
    let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
    for x in v.iter_mut() {
        *x -= lo;
    }
    let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if hi != 0.0 {
        for x in v.iter_mut() {
            *x /= hi;
        }
    }
}

struct ArTime {
    norm: Norm,
    dmin: f64,
    dmax: f64,
    sstep: usize,
    trend_window: usize,
    mask: usize,
    i: usize,
    dsi: usize,
    ds_window: Vec<f64>,
    ds_ma: f64,
    /// Raw downsampled values waiting for the probation's range.
    pending: Vec<f64>,
    raw_min: f64,
    raw_max: f64,
    medbin: [u32; NLEVELS + 1],
    medlevel: usize,
    belowmed: usize,
    abovemed: usize,
    f_window: [f64; WINDOW],
    trend_f: Vec<[f64; DIM]>,
    art: Dvfa,
    last_anomaly_i: usize,
    last_anomaly_sim: f64,
    last_rho_update_i: usize,
    mask_after_cat: bool,
    no_new_cat_count: usize,
    hist_sum: f64,
    hist_n: usize,
    hist_last: f64,
    sim_diff_window: Vec<f64>,
    rho_ub_sum: f64,
    rho_ub_n: usize,
    sim_window: Vec<f64>,
}

impl ArTime {
    fn new(norm: Norm, dmin: f64, dmax: f64, dlength: usize) -> Self {
        let pp = if norm == Norm::File {
            if dlength < 5000 {
                (0.15 * dlength as f64).floor() as usize
            } else {
                750
            }
        } else {
            600
        };
        let pp = pp - pp % 2;
        let sstep = (pp / (WINDOW * 13)).max(1);
        let trend_window = pp / sstep;
        ArTime {
            norm,
            dmin,
            dmax,
            sstep,
            trend_window,
            mask: WINDOW * 3 / 2,
            i: 1,
            dsi: 1,
            ds_window: vec![0.0; sstep],
            ds_ma: 0.0,
            pending: Vec::new(),
            raw_min: f64::INFINITY,
            raw_max: f64::NEG_INFINITY,
            medbin: [0; NLEVELS + 1],
            medlevel: 0,
            belowmed: 0,
            abovemed: 0,
            f_window: [0.0; WINDOW],
            trend_f: Vec::new(),
            art: Dvfa::default(),
            last_anomaly_i: 0,
            last_anomaly_sim: 0.0,
            last_rho_update_i: 0,
            mask_after_cat: false,
            no_new_cat_count: 0,
            hist_sum: 0.0,
            hist_n: 0,
            hist_last: 0.0,
            sim_diff_window: vec![0.0; trend_window + 1],
            rho_ub_sum: 0.0,
            rho_ub_n: 0,
            sim_window: vec![1.0; trend_window / 2 + 1],
        }
    }

    fn step(&mut self, x: f64) -> f64 {
        self.raw_min = self.raw_min.min(x);
        self.raw_max = self.raw_max.max(x);
        self.ds_window.remove(0);
        self.ds_window.push(x);
        let mut anomaly = 0.0;
        if self.i % self.sstep == 0 {
            let n = self.ds_window.len() as f64;
            let mean = self.ds_window.iter().sum::<f64>() / n;
            let max = self
                .ds_window
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            let min = self.ds_window.iter().cloned().fold(f64::INFINITY, f64::min);
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
            if self.norm == Norm::File || self.dsi > self.trend_window {
                if self.norm == Norm::Expanding {
                    self.dmin = self.raw_min;
                    self.dmax = self.raw_max;
                }
                anomaly = self.stage2(ds, self.dsi);
            } else {
                self.pending.push(ds);
                if self.dsi == self.trend_window {
                    self.dmin = self.raw_min;
                    self.dmax = self.raw_max;
                    let pending = std::mem::take(&mut self.pending);
                    for (k, v) in pending.into_iter().enumerate() {
                        self.stage2(v, k + 1);
                    }
                }
            }
            self.dsi += 1;
        }
        self.i += 1;
        anomaly
    }

    fn stage2(&mut self, ds: f64, dsi: usize) -> f64 {
        let mut ds = ds - self.dmin;
        if self.dmax - self.dmin != 0.0 {
            ds /= self.dmax - self.dmin;
        }
        let level = (ds * NLEVELS as f64).round().clamp(0.0, NLEVELS as f64) as usize;
        let mut ds = level as f64 / NLEVELS as f64;
        self.medbin[level] += 1;
        let medpos = dsi / 2;
        if dsi == 1 {
            self.medlevel = level;
        }
        if self.medlevel > level {
            self.belowmed += 1;
        } else if self.medlevel < level {
            self.abovemed += 1;
        }
        if medpos < self.abovemed {
            self.belowmed += self.medbin[self.medlevel] as usize;
            self.medlevel += 1;
            while self.medlevel < NLEVELS && self.medbin[self.medlevel] == 0 {
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
        let med = self.medlevel as f64 / NLEVELS as f64;
        if (ds - med).abs() < CHOMP {
            ds = med;
        }
        let mut features = [0.0; DIM];
        self.f_window.copy_within(1.., 0);
        self.f_window[WINDOW - 1] = ds;
        if dsi >= WINDOW {
            let mut dw = self.f_window;
            min_max_01(&mut dw);
            let mut fw = haar8(&dw);
            min_max_01(&mut fw);
            features[..WINDOW].copy_from_slice(&fw);
            features[WINDOW..].copy_from_slice(&self.f_window);
        }
        self.process_features(features, dsi)
    }

    fn process_features(&mut self, f: [f64; DIM], i: usize) -> f64 {
        if i <= self.trend_window {
            self.trend_f.push(f);
            if i == self.trend_window {
                let rho = self.init_rho();
                self.art.rho_lb = rho;
                self.art.rho_ub = rho;
                let fs = std::mem::take(&mut self.trend_f);
                for (k, ff) in fs.iter().enumerate() {
                    self.detect(ff, k + 1);
                }
            }
            0.0
        } else {
            self.detect(&f, i)
        }
    }

    fn init_rho(&self) -> f64 {
        let xs: Vec<[f64; DIM]> = self.trend_f[WINDOW - 1..self.trend_window].to_vec();
        let n = xs.len();
        let mut sums = vec![0.0; n];
        for i in 0..n {
            for j in 0..n {
                sums[i] += if i == j {
                    1.0
                } else {
                    similarity(&xs[i], &xs[j])
                };
            }
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| sums[*a].total_cmp(&sums[*b]));
        let mut art = Dvfa {
            rho_lb: INITIAL_RHO,
            rho_ub: INITIAL_RHO,
            ..Dvfa::default()
        };
        let a: Vec<f64> = order.iter().map(|&k| art.train(&xs[k], true).a).collect();
        let from = (self.trend_window / 2).saturating_sub(1).min(a.len() - 1);
        let tail = &a[from..];
        tail.iter().sum::<f64>() / tail.len() as f64
    }

    fn detect(&mut self, f: &[f64; DIM], i: usize) -> f64 {
        let since = i.saturating_sub(self.last_anomaly_i);
        let update_after_anomaly = since == self.mask;
        let update_for_trend = i.saturating_sub(self.last_rho_update_i) >= self.trend_window / 2;
        let mask_after_anomaly = since <= self.mask;
        if i > self.trend_window + self.mask
            && self.mask_after_cat
            && self.no_new_cat_count >= self.mask
        {
            self.mask_after_cat = false;
        }
        let t = self.art.train(f, i >= WINDOW);
        let cat_new = t.new_cluster;
        self.no_new_cat_count = if cat_new {
            0
        } else {
            self.no_new_cat_count + 1
        };
        self.rho_ub_sum += t.a;
        self.rho_ub_n += 1;
        self.sim_window.remove(0);
        self.sim_window.push(t.a);
        self.sim_diff_window.remove(0);
        self.sim_diff_window.push(self.art.rho_ub - t.a);
        if since < self.mask && self.hist_n > 0 && t.a < self.hist_last {
            self.hist_sum += t.a - self.hist_last;
            self.hist_last = t.a;
        }
        let masking = self.mask_after_cat || mask_after_anomaly;
        let scale = if mask_after_anomaly { 0.90 } else { 0.70 };
        let below_last = t.a < self.last_anomaly_sim * scale;
        let mut anomaly = 0.0;
        if i > self.trend_window && cat_new && (!masking || below_last) {
            anomaly = self.confidence(t.a, t.ae);
            self.hist_sum += t.a;
            self.hist_n += 1;
            self.hist_last = t.a;
            self.last_anomaly_sim = t.a;
            self.last_anomaly_i = i;
        }
        self.mask_after_cat = cat_new || self.mask_after_cat;
        if i > self.trend_window && (update_after_anomaly || update_for_trend) {
            let min_sim = self
                .sim_window
                .iter()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            let new_ub = (self.rho_ub_sum / self.rho_ub_n as f64).min(0.97);
            let prev_lb = self.art.rho_lb;
            let mut new_lb;
            if prev_lb <= min_sim {
                new_lb = prev_lb + (min_sim - prev_lb) * 0.19;
            } else {
                let mut decr = 0.0;
                if i > self.trend_window * 2 {
                    let below: Vec<f64> = self
                        .sim_diff_window
                        .iter()
                        .filter(|d| **d > 0.05)
                        .map(|d| d.min(0.37))
                        .collect();
                    if !below.is_empty() {
                        decr = below.iter().sum::<f64>() / below.len() as f64;
                    }
                }
                decr = decr.max(0.01);
                new_lb = prev_lb - decr / 2.0;
                if self.hist_n > 0 {
                    new_lb = new_lb.max(self.hist_sum / self.hist_n as f64);
                }
            }
            new_lb = new_lb.min(new_ub);
            self.art.rho_lb = new_lb;
            self.art.rho_ub = new_ub;
            self.last_rho_update_i = i;
            self.mask_after_cat = true;
        }
        anomaly
    }

    fn confidence(&self, fs: f64, es: f64) -> f64 {
        let fs = fs.min(0.999);
        let ub = ((1.0 - fs) - (1.0 - self.art.rho_ub)) / (1.0 - fs);
        let lb = ((1.0 - fs) - (1.0 - self.art.rho_lb)) / (1.0 - fs);
        let s = ub * 0.35 + lb * 0.65 + (1.0 - es) * 1.5;
        s.min(1.0)
    }
}

fn artime_scores(norm: Norm, file: &NabFile) -> Vec<f32> {
    let (lo, hi) = file
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let mut d = ArTime::new(norm, lo, hi, file.points.len());
    let out = file.points.iter().map(|p| d.step(p.1) as f32).collect();
    if std::env::var("ARTLAB_CATS").is_ok() {
        println!("    {} categories {}", d.art.w.len(), file.rel);
    }
    out
}

fn shipped_scores(file: &NabFile) -> Vec<f32> {
    let mut core = Core::new(Params::default());
    file.points
        .iter()
        .map(|&(t, v)| core.step(t, v).score as f32)
        .collect()
}

fn report(name: &str, files: &[ScoredFile]) {
    let refs: Vec<&ScoredFile> = files.iter().collect();
    let at = score_at(&refs, 0.5);
    let (bt, best) = best_threshold(&refs);
    println!(
        "  {name:<28} at 0.5: {:5.1} ({} of {}, fp {:3})   best {:5.1} at {bt:.4} ({} of {}, fp {})",
        at.normalised, at.detected, at.windows, at.fp_rows, best.normalised, best.detected,
        best.windows, best.fp_rows
    );
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let norm = match args.next().as_deref() {
        Some("file") => Norm::File,
        Some("probation") => Norm::Probation,
        Some("expanding") => Norm::Expanding,
        other => anyhow::bail!("MODE must be file, probation or expanding, found {other:?}"),
    };
    let dirs: Vec<String> = args.collect();
    if dirs.first().map(String::as_str) == Some("misses") {
        // The shipped detector's missed windows and false-positive rows
        // per file, on each directory.
        for dir in &dirs[1..] {
            let corpus = NabCorpus::load(&PathBuf::from(dir))?;
            println!("{dir}");
            for f in &corpus.files {
                let sc = shipped_scores(f);
                let probation = (0.15 * f.points.len() as f64).floor().min(750.0) as usize;
                let fp = (probation..sc.len())
                    .filter(|&i| {
                        sc[i] >= 0.5 && !f.windows.iter().any(|&(lo, hi)| lo <= i && i <= hi)
                    })
                    .count();
                let missed = f
                    .windows
                    .iter()
                    .filter(|&&(lo, hi)| hi >= probation && !sc[lo..=hi].iter().any(|v| *v >= 0.5))
                    .count();
                if fp > 0 || missed > 0 {
                    println!("  {:<45} fp {fp:2} missed {missed}", f.rel);
                }
            }
        }
        return Ok(());
    }
    if dirs.first().map(String::as_str) == Some("compare") {
        let corpus = NabCorpus::load(&PathBuf::from(&dirs[1]))?;
        for f in &corpus.files {
            let lab = artime_scores(norm, f);
            let mut m = isrwatch::detect::shape::ShapeMemory::default();
            let module: Vec<f32> = f.points.iter().map(|p| m.step(p.1).score as f32).collect();
            let first = lab
                .iter()
                .zip(&module)
                .position(|(a, b)| (a - b).abs() > 1e-4);
            println!(
                "  {:<50} first difference {:?}",
                f.rel,
                first.map(|i| (i, lab[i], module[i]))
            );
        }
        return Ok(());
    }
    if dirs.first().map(String::as_str) == Some("kafka") {
        let d = PathBuf::from(&dirs[1]);
        let corpus = NabCorpus::load_list(
            &d.join("data"),
            &d.join("split.txt"),
            &d.join("labels/combined_windows.json"),
        )?;
        let (mut fa, mut days, mut found, mut faults) = (0, 0.0, 0, 0);
        for f in &corpus.files {
            let sc = artime_scores(norm, f);
            let name = f.rel.rsplit('/').next().unwrap_or("");
            if name.starts_with("healthy-") {
                let a = sc.iter().filter(|s| **s >= 0.5).count();
                if a > 0 {
                    println!("  {a:3} alarms {}", f.rel);
                }
                fa += a;
                days += (f.points.last().unwrap().0 - f.points[0].0) as f64 / 86400.0;
            } else if let Some(&(lo, hi)) = f.windows.first() {
                faults += 1;
                if sc[lo..=hi].iter().any(|s| *s >= 0.5) {
                    found += 1;
                } else {
                    println!("  missed {}", f.rel);
                }
            }
        }
        println!("artime on the Kafka set: {fa} false alarms in {days:.1} series-days, {found} of {faults} faults");
        return Ok(());
    }
    if dirs.first().map(String::as_str) == Some("cv") {
        // 5-fold CV of max(artime, shipped with knobs chosen on the
        // training folds), threshold 0.5, as `bench nab --cv 5` does for
        // the shipped detector alone.
        let corpus = NabCorpus::load(&PathBuf::from(&dirs[1]))?;
        let art: Vec<Vec<f32>> = corpus
            .files
            .iter()
            .map(|f| artime_scores(norm, f))
            .collect();
        let cands = cv_candidates(false);
        for with_art in [false, true] {
            let scored: Vec<Vec<ScoredFile>> = cands
                .iter()
                .map(|c| {
                    corpus
                        .files
                        .iter()
                        .zip(&art)
                        .map(|(f, a)| {
                            let mut s = run(&c.params, f);
                            if with_art {
                                for (x, y) in s.iter_mut().zip(a) {
                                    *x = x.max(*y);
                                }
                            }
                            ScoredFile::new(f, &s)
                        })
                        .collect()
                })
                .collect();
            let fold_of = folds(&corpus, 5);
            let mut tests = Vec::new();
            for fold in 0..5 {
                let pick = |keep: &dyn Fn(usize) -> bool, ci: usize| {
                    let fs: Vec<&ScoredFile> = scored[ci]
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| keep(*i))
                        .map(|(_, f)| f)
                        .collect();
                    score_at(&fs, 0.5)
                };
                let best = (0..cands.len())
                    .max_by(|a, b| {
                        pick(&|i| fold_of[i] != fold, *a)
                            .normalised
                            .total_cmp(&pick(&|i| fold_of[i] != fold, *b).normalised)
                            .then(b.cmp(a))
                    })
                    .unwrap_or(0);
                tests.push(pick(&|i| fold_of[i] == fold, best).normalised);
            }
            let mean = tests.iter().sum::<f64>() / tests.len() as f64;
            let worst = tests.iter().cloned().fold(f64::INFINITY, f64::min);
            println!(
                "  5-fold CV, {}: mean {mean:.1}, worst {worst:.1} ({tests:.1?})",
                if with_art {
                    "max(artime, shipped)"
                } else {
                    "shipped"
                }
            );
        }
        return Ok(());
    }
    for dir in dirs {
        let corpus = NabCorpus::load(&PathBuf::from(&dir))?;
        println!("{dir} ({norm:?})");
        let art: Vec<Vec<f32>> = corpus
            .files
            .iter()
            .map(|f| artime_scores(norm, f))
            .collect();
        let ship: Vec<Vec<f32>> = corpus.files.iter().map(shipped_scores).collect();
        let scored = |s: &Vec<Vec<f32>>| -> Vec<ScoredFile> {
            corpus
                .files
                .iter()
                .zip(s)
                .map(|(f, s)| ScoredFile::new(f, s))
                .collect()
        };
        report("artime", &scored(&art));
        if std::env::var("ARTLAB_DIFF").is_ok() {
            for (k, f) in corpus.files.iter().enumerate() {
                let hit = |s: &Vec<f32>, lo: usize, hi: usize| s[lo..=hi].iter().any(|v| *v >= 0.5);
                let probation = (0.15 * f.points.len() as f64).floor().min(750.0) as usize;
                let mut extra_fp = 0;
                for (i, v) in art[k].iter().enumerate() {
                    let inside = f.windows.iter().any(|&(lo, hi)| lo <= i && i <= hi);
                    if i >= probation && !inside && *v >= 0.5 && ship[k][i] < 0.5 {
                        extra_fp += 1;
                    }
                }
                let gained: Vec<String> = f
                    .windows
                    .iter()
                    .filter(|&&(lo, hi)| hit(&art[k], lo, hi) && !hit(&ship[k], lo, hi))
                    .map(|w| format!("{w:?}"))
                    .collect();
                if extra_fp > 0 || !gained.is_empty() {
                    println!(
                        "    {:<50} +fp {extra_fp:2} gained {}",
                        f.rel,
                        gained.join(" ")
                    );
                }
            }
        }
        report("shipped", &scored(&ship));
        for k in [1.0f32, 1.5, 2.0, 2.5] {
            let both: Vec<Vec<f32>> = art
                .iter()
                .zip(&ship)
                .map(|(a, s)| {
                    a.iter()
                        .zip(s)
                        .map(|(x, y)| (x * k).min(1.0).max(*y))
                        .collect()
                })
                .collect();
            report(&format!("max({k} artime, shipped)"), &scored(&both));
        }
    }
    Ok(())
}
