//! NAB scoring in process, and cross-validation over the development split.
//!
//! The scorer follows `nabscore.py` in `../shared/nab` (standard profile)
//! row for row: a probation period of 15 % of the file (at most 750 rows),
//! the earliest detection in a window earns `s(-(end-i+1)/width)/s(-1)`, an
//! undetected window costs 1, a detection outside every window costs 0.11
//! (scaled down by the sigmoid when it follows a window), and the total is
//! normalised between "detect nothing" and "detect every window at once".
//! A test checks it against `nabscore.py` on the same detector output.
//!
//! Cross-validation ([`cross_validate`]) splits the files into k folds
//! stratified by NAB category, chooses the detector's knobs *and* its
//! threshold on the training folds only, and scores the left-out fold: the
//! figure that estimates what the detector does on files nobody tuned it on.

use super::core::{Core, Params};
use super::parse_timestamp;
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::path::Path;

const A_TP: f64 = 1.0;
const A_FP: f64 = 0.11;
const A_FN: f64 = 1.0;

fn shaped(x: f64) -> f64 {
    if x > 3.0 {
        return -1.0;
    }
    2.0 / (1.0 + (5.0 * x).exp()) - 1.0
}

/// One labelled data file of the split.
#[derive(Debug, Clone)]
pub struct NabFile {
    /// `category/name.csv`, as the split lists it.
    pub rel: String,
    /// The NAB category (the folder), used to stratify folds.
    pub category: String,
    /// `(unix seconds, value)` per row.
    pub points: Vec<(i64, f64)>,
    /// Anomaly windows as inclusive row ranges.
    pub windows: Vec<(usize, usize)>,
}

/// The labelled files of a split.
#[derive(Debug, Clone)]
pub struct NabCorpus {
    pub files: Vec<NabFile>,
}

fn locate(ts: &[i64], t: i64) -> usize {
    match ts.binary_search(&t) {
        Ok(k) => k,
        Err(k) => {
            // Nearest row, as nabscore.py does (it warns).
            let cands = [k.checked_sub(1), (k < ts.len()).then_some(k)];
            cands
                .into_iter()
                .flatten()
                .min_by_key(|&j| (ts[j] - t).abs())
                .unwrap_or(0)
        }
    }
}

impl NabCorpus {
    /// Reads the files listed in `nab_dir/split-dev.txt` with their windows
    /// from `nab_dir/labels/combined_windows.json`.
    pub fn load(nab_dir: &Path) -> anyhow::Result<Self> {
        Self::load_list(
            &nab_dir.join("data"),
            &nab_dir.join("split-dev.txt"),
            &nab_dir.join("labels/combined_windows.json"),
        )
    }

    /// Reads the files `list_path` names (paths under `data_dir`) with their
    /// windows from `win_path`.
    pub fn load_list(data_dir: &Path, list_path: &Path, win_path: &Path) -> anyhow::Result<Self> {
        let list = std::fs::read_to_string(list_path)
            .with_context(|| format!("cannot read {}", list_path.display()))?;
        let win_text = std::fs::read_to_string(win_path)
            .with_context(|| format!("cannot read {}", win_path.display()))?;
        let windows: BTreeMap<String, Vec<[String; 2]>> = serde_json::from_str(&win_text)
            .with_context(|| {
                format!(
                    "{}: expected {{file: [[start, end], ...]}}",
                    win_path.display()
                )
            })?;
        let mut files = Vec::new();
        for rel in list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let path = data_dir.join(rel);
            let points = read_points(&path)?;
            let ts: Vec<i64> = points.iter().map(|p| p.0).collect();
            let Some(ws) = windows.get(rel) else {
                bail!("{}: no entry for {rel}", win_path.display());
            };
            let mut spans = Vec::new();
            for [a, b] in ws {
                let (Some(a), Some(b)) = (parse_timestamp(a), parse_timestamp(b)) else {
                    bail!(
                        "{}: {rel}: cannot read window {a:?}..{b:?}",
                        win_path.display()
                    );
                };
                spans.push((locate(&ts, a), locate(&ts, b)));
            }
            spans.sort_unstable();
            let category = rel.split('/').next().unwrap_or("").to_string();
            files.push(NabFile {
                rel: rel.to_string(),
                category,
                points,
                windows: spans,
            });
        }
        if files.is_empty() {
            bail!("{}: lists no files", list_path.display());
        }
        Ok(NabCorpus { files })
    }
}

/// Reads a file, gunzipping it when its name ends in `.gz`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Read as _;
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .with_context(|| format!("cannot gunzip {}", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))
    }
}

/// Reads `timestamp,value` rows (a header line is skipped), gunzipping a
/// `.gz` file.
pub fn read_points(path: &Path) -> anyhow::Result<Vec<(i64, f64)>> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (t, v) = line.split_once(',').unwrap_or((line, ""));
        let (Some(t), Ok(v)) = (parse_timestamp(t), v.trim().parse::<f64>()) else {
            if i == 0 {
                continue; // header
            }
            bail!("{}:{}: cannot read {line:?}", path.display(), i + 1);
        };
        out.push((t, v));
    }
    Ok(out)
}

/// One scorable row: its score, the window it lies in (an index into the
/// file's windows) and what a detection there is worth.
#[derive(Debug, Clone, Copy)]
struct Row {
    score: f32,
    window: Option<u16>,
    value: f32,
}

/// A file's scorable rows for one detector output.
#[derive(Debug, Clone)]
pub struct ScoredFile {
    rows: Vec<Row>,
    /// Windows listed for the file (the "perfect" score counts them all).
    windows: usize,
    /// Windows with at least one row after probation (the "null" score).
    counted: Vec<bool>,
}

impl ScoredFile {
    /// Pairs a detector's scores (one per row of `file`) with the labels.
    pub fn new(file: &NabFile, scores: &[f32]) -> Self {
        let n = file.points.len().min(scores.len());
        let probation = ((0.15 * n as f64).floor()).min(0.15 * 5000.0) as usize;
        let mut rows = Vec::with_capacity(n.saturating_sub(probation));
        let mut counted = vec![false; file.windows.len()];
        let mut si = 0;
        let mut prev: Option<(usize, usize)> = None;
        for (i, &score) in scores.iter().enumerate().take(n) {
            while si < file.windows.len() && file.windows[si].1 < i {
                let (lo, hi) = file.windows[si];
                prev = Some((hi, hi - lo + 1));
                si += 1;
            }
            let inside = si < file.windows.len() && file.windows[si].0 <= i;
            let (window, value) = if inside {
                let (lo, hi) = file.windows[si];
                let width = (hi - lo + 1) as f64;
                let v = A_TP * shaped(-((hi - i + 1) as f64) / width) / shaped(-1.0);
                (Some(si as u16), v)
            } else {
                match prev {
                    None => (None, -A_FP),
                    Some((pend, pwidth)) => {
                        let denom = (pwidth.saturating_sub(1)).max(1) as f64;
                        (None, A_FP * shaped((i - pend) as f64 / denom))
                    }
                }
            };
            if i < probation {
                continue;
            }
            if let Some(w) = window {
                counted[w as usize] = true;
            }
            rows.push(Row {
                score,
                window,
                value: value as f32,
            });
        }
        ScoredFile {
            rows,
            windows: file.windows.len(),
            counted,
        }
    }
}

/// A NAB total over some files at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NabTotal {
    pub raw: f64,
    /// `100 (raw - null) / (perfect - null)`.
    pub normalised: f64,
    pub windows: usize,
    pub detected: usize,
    pub fp_rows: usize,
}

/// The standard-profile total of `files` when every row scoring at least
/// `threshold` is a detection.
pub fn score_at(files: &[&ScoredFile], threshold: f64) -> NabTotal {
    let mut raw = 0.0;
    let (mut null, mut perfect) = (0.0, 0.0);
    let mut t = NabTotal::default();
    for f in files {
        let mut best: Vec<f64> = vec![-A_FN; f.windows];
        for r in &f.rows {
            if f64::from(r.score) >= threshold {
                match r.window {
                    None => {
                        raw += f64::from(r.value);
                        t.fp_rows += 1;
                    }
                    Some(w) => {
                        let b = &mut best[w as usize];
                        *b = b.max(f64::from(r.value));
                    }
                }
            }
        }
        for (w, b) in best.iter().enumerate() {
            if f.counted[w] {
                raw += b;
                t.windows += 1;
                if *b > -A_FN {
                    t.detected += 1;
                }
            }
        }
        null -= A_FN * f.counted.iter().filter(|c| **c).count() as f64;
        perfect += A_TP * f.windows as f64;
    }
    t.raw = raw;
    t.normalised = if perfect == null {
        f64::NAN
    } else {
        100.0 * (raw - null) / (perfect - null)
    };
    t
}

/// The threshold that maximises the total over `files` (ties keep the
/// higher threshold), from an exact sweep over every distinct score, and
/// the total there.
pub fn best_threshold(files: &[&ScoredFile]) -> (f64, NabTotal) {
    // (score, file, window, value) of every row that could be a detection.
    let mut rows: Vec<(f32, u32, Option<u16>, f32)> = files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            f.rows
                .iter()
                .filter(|r| r.score > 0.0)
                .map(move |r| (r.score, fi as u32, r.window, r.value))
        })
        .collect();
    rows.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut best_in: Vec<Vec<f64>> = files.iter().map(|f| vec![-A_FN; f.windows]).collect();
    let mut raw = score_at(files, f64::INFINITY).raw;
    let mut best = (f64::INFINITY, raw);
    let mut k = 0;
    while k < rows.len() {
        let level = rows[k].0;
        while k < rows.len() && rows[k].0 == level {
            let (_, fi, w, v) = rows[k];
            match w {
                None => raw += f64::from(v),
                Some(w) => {
                    let b = &mut best_in[fi as usize][w as usize];
                    if f64::from(v) > *b {
                        if files[fi as usize].counted[w as usize] {
                            raw += f64::from(v) - *b;
                        }
                        *b = f64::from(v);
                    }
                }
            }
            k += 1;
        }
        if raw > best.1 {
            best = (f64::from(level), raw);
        }
    }
    (best.0, score_at(files, best.0))
}

/// Scores of one detector configuration on every row of `file`.
pub fn run(params: &Params, file: &NabFile) -> Vec<f32> {
    let mut core = Core::new(*params);
    file.points
        .iter()
        .map(|&(t, v)| core.step(t, v).score as f32)
        .collect()
}

/// The folds of a k-fold split by file, stratified by category: the files
/// of each category (in split order) are dealt to the folds in turn, the
/// deal continuing from one category to the next.
pub fn folds(corpus: &NabCorpus, k: usize) -> Vec<usize> {
    let k = k.max(2);
    let mut order: Vec<usize> = (0..corpus.files.len()).collect();
    order.sort_by(|a, b| corpus.files[*a].category.cmp(&corpus.files[*b].category));
    let mut fold = vec![0; corpus.files.len()];
    for (i, f) in order.into_iter().enumerate() {
        fold[f] = i % k;
    }
    fold
}

/// One fold's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FoldResult {
    pub fold: usize,
    pub files: Vec<String>,
    /// Index into the candidate list of the configuration chosen on the
    /// other folds, and the threshold chosen with it.
    pub chosen: usize,
    pub threshold: f64,
    /// Normalised score of the chosen configuration on the training folds.
    pub train_score: f64,
    /// Normalised score on this (left-out) fold.
    pub test_score: f64,
    pub test_windows: usize,
    pub test_detected: usize,
    pub test_fp_rows: usize,
}

/// What cross-validation over a list of candidate configurations found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CvReport {
    pub k: usize,
    pub candidates: usize,
    /// Whether the threshold was chosen on the training folds too (some
    /// candidate leaves it free) or fixed by every candidate.
    pub threshold_chosen: bool,
    pub folds: Vec<FoldResult>,
    /// Mean of the left-out folds' normalised scores: the estimate.
    pub mean_test: f64,
    pub worst_test: f64,
    /// The pooled score of all left-out folds (every file scored once, by
    /// the configuration chosen without it).
    pub pooled_test: f64,
    /// Chosen on all files, scored on all files: the in-sample figure.
    pub in_sample_choice: usize,
    pub in_sample_threshold: f64,
    pub in_sample_score: f64,
}

impl std::fmt::Display for CvReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}-fold cross-validated NAB standard score ({} chosen on the other folds, {} candidates): mean {:.1}, worst fold {:.1}, pooled {:.1}",
            self.k,
            if self.threshold_chosen {
                "knobs and threshold"
            } else {
                "knobs"
            },
            self.candidates,
            self.mean_test,
            self.worst_test,
            self.pooled_test
        )?;
        for r in &self.folds {
            writeln!(
                f,
                "  fold {}: {:.1} ({} of {} windows, {} false-positive rows; candidate {} at threshold {:.3}, {:.1} on its training folds) {}",
                r.fold,
                r.test_score,
                r.test_detected,
                r.test_windows,
                r.test_fp_rows,
                r.chosen,
                r.threshold,
                r.train_score,
                r.files.join(" ")
            )?;
        }
        write!(
            f,
            "in sample (chosen and scored on all files): {:.1} (candidate {} at threshold {:.3})",
            self.in_sample_score, self.in_sample_choice, self.in_sample_threshold
        )
    }
}

/// Chooses among `candidates` (each a configuration and whether its
/// threshold is fixed or swept) on the training folds, scores the left-out
/// fold, for each of `k` folds.
pub fn cross_validate(corpus: &NabCorpus, candidates: &[Candidate], k: usize) -> CvReport {
    let scored: Vec<Vec<ScoredFile>> = candidates
        .iter()
        .map(|c| {
            corpus
                .files
                .iter()
                .map(|f| ScoredFile::new(f, &run(&c.params, f)))
                .collect()
        })
        .collect();
    let fold_of = folds(corpus, k);
    let choose = |keep: &dyn Fn(usize) -> bool| -> (usize, f64, NabTotal) {
        let mut best: Option<(usize, f64, NabTotal)> = None;
        for (ci, (c, files)) in candidates.iter().zip(&scored).enumerate() {
            let train: Vec<&ScoredFile> = files
                .iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, f)| f)
                .collect();
            let (thr, tot) = match c.threshold {
                Some(t) => (t, score_at(&train, t)),
                None => best_threshold(&train),
            };
            if best
                .as_ref()
                .is_none_or(|b| tot.normalised > b.2.normalised)
            {
                best = Some((ci, thr, tot));
            }
        }
        best.unwrap_or((0, 0.5, NabTotal::default()))
    };
    let mut results = Vec::new();
    let mut pooled_raw = 0.0;
    let mut pooled_null = 0.0;
    let mut pooled_perfect = 0.0;
    for fold in 0..k.max(2) {
        let (ci, thr, train) = choose(&|i| fold_of[i] != fold);
        let test: Vec<&ScoredFile> = scored[ci]
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of[*i] == fold)
            .map(|(_, f)| f)
            .collect();
        let t = score_at(&test, thr);
        // Pool raw totals with the same normalisation as one corpus.
        pooled_raw += t.raw;
        for f in &test {
            pooled_null -= A_FN * f.counted.iter().filter(|c| **c).count() as f64;
            pooled_perfect += A_TP * f.windows as f64;
        }
        results.push(FoldResult {
            fold,
            files: corpus
                .files
                .iter()
                .enumerate()
                .filter(|(i, _)| fold_of[*i] == fold)
                .map(|(_, f)| f.rel.clone())
                .collect(),
            chosen: ci,
            threshold: thr,
            train_score: train.normalised,
            test_score: t.normalised,
            test_windows: t.windows,
            test_detected: t.detected,
            test_fp_rows: t.fp_rows,
        });
    }
    let finite: Vec<f64> = results
        .iter()
        .map(|r| r.test_score)
        .filter(|s| s.is_finite())
        .collect();
    let mean_test = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let worst_test = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let (ci, thr, all) = choose(&|_| true);
    CvReport {
        k: k.max(2),
        candidates: candidates.len(),
        threshold_chosen: candidates.iter().any(|c| c.threshold.is_none()),
        folds: results,
        mean_test,
        worst_test,
        pooled_test: 100.0 * (pooled_raw - pooled_null) / (pooled_perfect - pooled_null),
        in_sample_choice: ci,
        in_sample_threshold: thr,
        in_sample_score: all.normalised,
    }
}

/// A configuration cross-validation may choose, with its threshold fixed
/// (`Some`) or chosen on the training folds (`None`).
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub params: Params,
    pub threshold: Option<f64>,
}

/// The configurations `isrwatch bench nab --cv K` chooses among: the
/// detector's four sensitivity knobs on a grid around the shipped values
/// (each knob's step about ×1.5-2), every other knob as shipped. 180
/// candidates.
///
/// The threshold stays at 0.5 (`threshold_free` = false): each signal
/// reaches 0.5 exactly where its knob says (novelty at `novelty_margin`
/// beyond the range, rarity at `rare_digits`), so a threshold chosen beside
/// the margins is the same knob twice. Chosen on the training folds as
/// well (`threshold_free` = true), it lands at 0.52-0.62 and loses the
/// borderline windows of the left-out fold (docs/detector.md).
pub fn cv_candidates(threshold_free: bool) -> Vec<Candidate> {
    let base = Params::default();
    let mut out = Vec::new();
    for novelty_margin in [0.005, 0.01, 0.015, 0.02, 0.03] {
        for smooth_novelty_margin in [0.01, 0.02, 0.04] {
            for rare_digits in [3.0, 4.0, 5.0, 6.0] {
                for cooldown_points in [10, 30, 100] {
                    out.push(Candidate {
                        params: Params {
                            novelty_margin,
                            smooth_novelty_margin,
                            rare_digits,
                            cooldown_points,
                            ..base
                        },
                        threshold: (!threshold_free).then_some(base.alert_threshold),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, n: usize, windows: Vec<(usize, usize)>) -> NabFile {
        NabFile {
            rel: rel.to_string(),
            category: rel.split('/').next().unwrap_or("").to_string(),
            points: (0..n).map(|i| (i as i64 * 300, 1.0)).collect(),
            windows,
        }
    }

    #[test]
    fn scores_as_nab_does_by_hand() {
        // 100 rows: probation 15; one window, rows 40..=59 (width 20).
        let f = file("a/x.csv", 100, vec![(40, 59)]);
        let mut s = vec![0.0f32; 100];
        s[5] = 1.0; // in probation: ignored
        s[20] = 1.0; // before any window: -0.11
        s[40] = 1.0; // first row of the window: +1
        s[45] = 1.0; // later in the window: no more
        s[70] = 1.0; // after it: 0.11 * s((70 - 59) / 19)
        let sf = ScoredFile::new(&f, &s);
        let t = score_at(&[&sf], 0.5);
        let after = 0.11 * shaped(11.0 / 19.0);
        assert!((t.raw - (1.0 - 0.11 + after)).abs() < 1e-6, "{t:?}");
        assert_eq!((t.windows, t.detected, t.fp_rows), (1, 1, 2));
        // null -1, perfect +1
        assert!((t.normalised - 100.0 * (t.raw + 1.0) / 2.0).abs() < 1e-9);
        // Nothing detected: the null score.
        assert!(
            score_at(&[&ScoredFile::new(&f, &[0.0; 100])], 0.5)
                .normalised
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn the_sweep_finds_the_threshold_that_counts() {
        let f = file("a/x.csv", 100, vec![(40, 59)]);
        let mut s = vec![0.0f32; 100];
        s[20] = 0.9; // a false alarm above the true one
        s[50] = 0.6;
        let sf = ScoredFile::new(&f, &s);
        let (thr, t) = best_threshold(&[&sf]);
        assert_eq!(thr, 0.6f32 as f64);
        assert_eq!(t.detected, 1);
        // Swept and fixed agree.
        assert_eq!(score_at(&[&sf], thr).raw, t.raw);
    }

    #[test]
    fn folds_spread_each_category() {
        let files = (0..10)
            .map(|i| file(&format!("c{}/f{i}.csv", i % 2), 10, vec![]))
            .collect();
        let corpus = NabCorpus { files };
        let f = folds(&corpus, 5);
        for fold in 0..5 {
            let cats: Vec<&str> = (0..10)
                .filter(|i| f[*i] == fold)
                .map(|i| corpus.files[i].category.as_str())
                .collect();
            assert_eq!(cats.len(), 2, "fold {fold}: {cats:?}");
        }
    }

    #[test]
    fn cross_validation_chooses_on_the_training_folds() {
        // A step in every file; a detector that cannot see it and one
        // that can. Every fold must choose the second.
        let files: Vec<NabFile> = (0..6)
            .map(|i| NabFile {
                rel: format!("c{}/f{i}.csv", i % 3),
                category: format!("c{}", i % 3),
                points: (0..2000)
                    .map(|k| (k as i64 * 300, if k < 1500 { (k % 7) as f64 } else { 60.0 }))
                    .collect(),
                windows: vec![(1450, 1550)],
            })
            .collect();
        let corpus = NabCorpus { files };
        let blind = Candidate {
            params: Params {
                rare_digits: 1e6,
                novelty_margin: 1e6,
                smooth_novelty_margin: 1e6,
                ..Params::default()
            },
            threshold: Some(0.5),
        };
        let seeing = Candidate {
            params: Params {
                novelty_after_secs: 0,
                ..Params::default()
            },
            threshold: None,
        };
        let r = cross_validate(&corpus, &[blind, seeing], 3);
        assert!(r.folds.iter().all(|f| f.chosen == 1), "{r}");
        assert!(r.mean_test > 50.0, "{r}");
    }
}
