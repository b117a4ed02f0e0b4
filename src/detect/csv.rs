//! `isrwatch detect`: the detector over a `timestamp,value` CSV file.

use super::detector::{Detector, DetectorConfig};
use anyhow::{bail, Context};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

/// Parses a timestamp as NAB writes it (`2014-04-01 00:00:00`, optionally
/// with fractional seconds), as RFC 3339, or as unix seconds. Returns unix
/// seconds; timestamps without a zone are taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(secs);
    }
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 1e15 {
            return Some(secs.floor() as i64);
        }
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp());
        }
    }
    None
}

/// Reads `timestamp,value` rows from `input` (a header line is optional),
/// writes `timestamp,value,anomaly_score,alert` to `output`, one row per
/// input row, with `alert` = 1 when the score reaches
/// `cfg.alert_threshold`. A bad row is an error naming its line number.
pub fn run_detect_csv(input: &Path, output: &Path, cfg: &DetectorConfig) -> anyhow::Result<()> {
    let file = std::fs::File::open(input)
        .with_context(|| format!("cannot open input {}", input.display()))?;
    let out = std::fs::File::create(output)
        .with_context(|| format!("cannot create output {}", output.display()))?;
    let mut w = BufWriter::new(out);
    writeln!(w, "timestamp,value,anomaly_score,alert")?;
    let mut det = Detector::new(cfg);
    let reader = std::io::BufReader::new(file);
    for (i, line) in reader.lines().enumerate() {
        let lineno = i + 1;
        let line = line.with_context(|| format!("{}:{lineno}: cannot read", input.display()))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, ',');
        let ts_text = cols.next().unwrap_or("").trim();
        let val_text = cols.next().map(str::trim);
        if cols.next().is_some() {
            bail!(
                "{}:{lineno}: expected 2 columns `timestamp,value`, found more: {line:?}",
                input.display()
            );
        }
        let Some(val_text) = val_text else {
            bail!(
                "{}:{lineno}: expected 2 columns `timestamp,value`, found 1: {line:?}",
                input.display()
            );
        };
        let ts = parse_timestamp(ts_text);
        if i == 0 && ts.is_none() && val_text.parse::<f64>().is_err() {
            continue; // a header line such as `timestamp,value`
        }
        let Some(t) = ts else {
            bail!(
                "{}:{lineno}: cannot read timestamp {ts_text:?} (expected e.g. \"2014-04-01 00:00:00\", RFC 3339 or unix seconds)",
                input.display()
            );
        };
        let value: f64 = val_text.parse().map_err(|_| {
            anyhow::anyhow!(
                "{}:{lineno}: cannot read value {val_text:?} as a number",
                input.display()
            )
        })?;
        let s = det.observe(t, value);
        let alert = u8::from(s.score >= cfg.alert_threshold);
        writeln!(w, "{ts_text},{val_text},{:.6},{alert}", s.score)?;
    }
    w.flush()
        .with_context(|| format!("cannot write output {}", output.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_three_formats() {
        assert_eq!(parse_timestamp("1970-01-01 00:01:00"), Some(60));
        assert_eq!(
            parse_timestamp("2014-04-10 16:15:00.000000"),
            Some(1_397_146_500)
        );
        assert_eq!(parse_timestamp("2014-04-10T16:15:00Z"), Some(1_397_146_500));
        assert_eq!(
            parse_timestamp("2014-04-10T18:15:00+02:00"),
            Some(1_397_146_500)
        );
        assert_eq!(parse_timestamp("1397146500"), Some(1_397_146_500));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
