//! `isrwatch bench nab` and `isrwatch bench detector`.

use super::csv::run_detect_csv;
use super::detector::{Detector, DetectorConfig};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The NAB standard-profile figures for one run over a split.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NabReport {
    /// Data files scored.
    pub files: usize,
    /// Anomaly windows in those files.
    pub windows: usize,
    /// The threshold the detector ships with (`alert_threshold`).
    pub shipped_threshold: f64,
    /// Normalised NAB standard score at the shipped threshold: the figure
    /// that counts.
    pub score_at_shipped: f64,
    /// Windows detected at the shipped threshold.
    pub detected_at_shipped: usize,
    /// False-positive rows at the shipped threshold.
    pub fp_rows_at_shipped: usize,
    /// For reference only: the score at the threshold that maximises it
    /// after the fact, and that threshold.
    pub best_score: f64,
    pub best_threshold: f64,
}

impl std::fmt::Display for NabReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "NAB standard score at the shipped threshold {}: {:.1} ({} of {} windows detected, {} false-positive rows, {} files)",
            self.shipped_threshold,
            self.score_at_shipped,
            self.detected_at_shipped,
            self.windows,
            self.fp_rows_at_shipped,
            self.files
        )?;
        write!(
            f,
            "for reference, at the best threshold after the fact ({:.4}): {:.1}",
            self.best_threshold, self.best_score
        )
    }
}

/// Throughput and memory of the detector.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ThroughputReport {
    pub points: usize,
    pub seconds: f64,
    /// Points scored per second on one core.
    pub points_per_sec: f64,
    /// Bytes of state per series, as `isrwatch detect` and NAB run it
    /// (with the shape memory).
    pub bytes_per_series: usize,
    /// Bytes of state per series of the daemon (without the shape memory).
    pub daemon_bytes_per_series: usize,
}

impl std::fmt::Display for ThroughputReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "detector: {:.2} million points/s on one core ({} points in {:.3} s), {} bytes of state per series ({} for the daemon's series, which run without the shape memory)",
            self.points_per_sec / 1e6,
            self.points,
            self.seconds,
            self.bytes_per_series,
            self.daemon_bytes_per_series
        )
    }
}

fn read_list(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_scorer(
    nab_dir: &Path,
    results: &Path,
    threshold: Option<f64>,
) -> anyhow::Result<serde_json::Value> {
    let mut cmd = Command::new("python3");
    cmd.arg(nab_dir.join("nabscore.py"))
        .arg(results)
        .arg("--windows")
        .arg(nab_dir.join("labels/combined_windows.json"))
        .arg("--files")
        .arg(nab_dir.join("split-dev.txt"))
        .arg("--prefix")
        .arg("")
        .arg("--json");
    if let Some(t) = threshold {
        cmd.arg("--threshold").arg(t.to_string());
    }
    let out = cmd
        .output()
        .context("cannot run python3 (needed for nabscore.py)")?;
    if !out.status.success() {
        bail!(
            "nabscore.py failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line)
        .with_context(|| format!("cannot read nabscore.py output {line:?}"))?;
    v.get("standard")
        .cloned()
        .context("nabscore.py output has no `standard` profile")
}

fn num(v: &serde_json::Value, key: &str) -> anyhow::Result<f64> {
    v.get(key)
        .and_then(serde_json::Value::as_f64)
        .with_context(|| format!("nabscore.py output has no number `{key}`"))
}

/// Runs the detector over every file listed in `nab_dir/split-dev.txt`
/// (through [`run_detect_csv`], the same path as `isrwatch detect`), then
/// scores the outputs with `nab_dir/nabscore.py` at the shipped threshold
/// and, for reference, at the best threshold.
pub fn bench_nab(nab_dir: &Path, cfg: &DetectorConfig) -> anyhow::Result<NabReport> {
    let files = read_list(&nab_dir.join("split-dev.txt"))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp =
        TempDir(std::env::temp_dir().join(format!("isrwatch-nab-{}-{nanos}", std::process::id())));
    for rel in &files {
        let out = tmp.0.join(rel);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        run_detect_csv(&nab_dir.join("data").join(rel), &out, cfg)?;
    }
    let shipped = run_scorer(nab_dir, &tmp.0, Some(cfg.alert_threshold))?;
    let best = run_scorer(nab_dir, &tmp.0, None)?;
    Ok(NabReport {
        files: files.len(),
        windows: num(&shipped, "windows")? as usize,
        shipped_threshold: cfg.alert_threshold,
        score_at_shipped: num(&shipped, "score")?,
        detected_at_shipped: num(&shipped, "windows_detected")? as usize,
        fp_rows_at_shipped: num(&shipped, "fp_rows")? as usize,
        best_score: num(&best, "score")?,
        best_threshold: num(&best, "threshold")?,
    })
}

/// A deterministic test series: daily cycle, noise, a slow trend and an
/// occasional spike, one point every 5 minutes.
fn synthetic(points: usize) -> Vec<(i64, f64)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..points)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let t = 1_400_000_000 + 300 * i as i64;
            let day = (t % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU;
            let spike = if i % 5_003 == 0 { 50.0 } else { 0.0 };
            (
                t,
                100.0 + 20.0 * day.sin() + 5.0 * noise + i as f64 * 1e-4 + spike,
            )
        })
        .collect()
}

/// Scores `points` synthetic points with one detector on the current
/// thread and reports points per second and bytes per series.
pub fn bench_throughput(points: usize) -> ThroughputReport {
    let data = synthetic(points.max(1));
    let mut det = Detector::new(&DetectorConfig::default());
    let start = Instant::now();
    let mut acc = 0.0;
    for &(t, v) in &data {
        acc += det.observe(t, v).score;
    }
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    std::hint::black_box(acc);
    ThroughputReport {
        points: data.len(),
        seconds,
        points_per_sec: data.len() as f64 / seconds,
        bytes_per_series: det.state_bytes(),
        daemon_bytes_per_series: Detector::for_series(
            &DetectorConfig::default(),
            "produce_rate{topic=\"t\"}",
        )
        .state_bytes(),
    }
}
