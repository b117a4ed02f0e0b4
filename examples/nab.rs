//! Measures the anomaly detector: NAB standard score on the development
//! split at the shipped threshold, throughput and bytes per series.
//!
//! ```text
//! cargo run --release --example nab -- [NAB_DIR] [POINTS]
//! ```
//! `NAB_DIR` defaults to `../shared/nab`, `POINTS` to 20,000,000.

use isrwatch::detect::{bench_nab, bench_throughput, DetectorConfig};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let nab_dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/nab".to_string()));
    let points: usize = match args.next() {
        Some(p) => p
            .parse()
            .map_err(|_| anyhow::anyhow!("POINTS must be a whole number, found {p:?}"))?,
        None => 20_000_000,
    };
    let cfg = DetectorConfig::default();
    let report = bench_nab(&nab_dir, &cfg)?;
    println!("{report}");
    println!("{}", bench_throughput(points));
    Ok(())
}
