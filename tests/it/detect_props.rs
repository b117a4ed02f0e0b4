//! Properties of the streaming anomaly detector, and the `detect` CSV path.

use isrwatch::detect::{run_detect_csv, Detector, DetectorConfig, Score};

const STEP: i64 = 300; // five-minute points

/// Deterministic noise in [-0.5, 0.5).
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

fn daily(i: usize) -> f64 {
    let t = (i as i64 * STEP) % 86_400;
    (t as f64 / 86_400.0 * std::f64::consts::TAU).sin()
}

/// Feeds `xs` and returns every score.
fn feed(det: &mut Detector, xs: &[f64]) -> Vec<Score> {
    xs.iter()
        .enumerate()
        .map(|(i, &x)| det.observe(1_600_000_000 + STEP * i as i64, x))
        .collect()
}

fn first_alert(scores: &[Score], from: usize, thr: f64) -> Option<usize> {
    scores[from..]
        .iter()
        .position(|s| s.score >= thr)
        .map(|k| k + from)
}

#[test]
fn constant_and_slow_drift_never_alarm() {
    let cfg = DetectorConfig::default();
    for series in [
        vec![7.0; 20_000],
        (0..20_000)
            .map(|i| 100.0 + i as f64 * 0.01)
            .collect::<Vec<_>>(),
        (0..20_000)
            .map(|i| 1e9 - i as f64 * 3.0)
            .collect::<Vec<_>>(),
    ] {
        let mut d = Detector::new(&cfg);
        let scores = feed(&mut d, &series);
        assert_eq!(first_alert(&scores, 0, cfg.alert_threshold), None);
    }
}

#[test]
fn noisy_seasonal_series_rarely_alarms() {
    let cfg = DetectorConfig::default();
    let mut n = Noise(42);
    let xs: Vec<f64> = (0..20_000)
        .map(|i| 50.0 + 20.0 * daily(i) + 2.0 * n.next())
        .collect();
    let mut d = Detector::new(&cfg);
    let scores = feed(&mut d, &xs);
    // After a day of learning, alerts stay below one in a thousand points.
    let alerts = scores[288..]
        .iter()
        .filter(|s| s.score >= cfg.alert_threshold)
        .count();
    assert!(alerts <= 20, "{alerts} alerts on a clean seasonal series");
}

fn noisy_then(change: impl Fn(usize) -> f64) -> (Vec<Score>, f64) {
    let cfg = DetectorConfig::default();
    let mut n = Noise(7);
    let xs: Vec<f64> = (0..4_000)
        .map(|i| {
            let base = 100.0 + 3.0 * n.next();
            if i >= 3_000 {
                change(i) + base
            } else {
                base
            }
        })
        .collect();
    let mut d = Detector::new(&cfg);
    (feed(&mut d, &xs), cfg.alert_threshold)
}

#[test]
fn level_shift_alarms_within_a_few_points() {
    let (scores, thr) = noisy_then(|_| 30.0);
    let at = first_alert(&scores, 3_000, thr).expect("level shift not detected");
    assert!(at <= 3_003, "detected at {at}");
    let since = scores[at].unusual_since.expect("unusual_since set");
    assert!(since <= 1_600_000_000 + STEP * at as i64);
}

#[test]
fn spike_alarms_at_once() {
    let (scores, thr) = noisy_then(|i| if i == 3_000 { 500.0 } else { 0.0 });
    assert_eq!(first_alert(&scores, 3_000, thr), Some(3_000));
}

#[test]
fn stopped_series_alarms() {
    // A produce rate that drops to zero.
    let (scores, thr) = noisy_then(|_| -100.0 - 1e-9);
    let at = first_alert(&scores, 3_000, thr).expect("stop not detected");
    assert!(at <= 3_003, "detected at {at}");
}

#[test]
fn scores_stay_in_unit_interval_for_wild_input() {
    let cfg = DetectorConfig::default();
    let mut d = Detector::new(&cfg);
    let mut n = Noise(3);
    let wild = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e300,
        -1e300,
        f64::MIN_POSITIVE,
        1e-300,
        f64::MAX,
        -f64::MAX,
    ];
    for i in 0..50_000usize {
        let x = if i % 7 == 0 {
            wild[i % wild.len()]
        } else {
            n.next() * 10f64.powi((i % 40) as i32 - 20)
        };
        let s = d.observe(i as i64 * 60, x);
        assert!((0.0..=1.0).contains(&s.score), "score {} at {i}", s.score);
        assert!(!s.score.is_nan());
        assert!(!s.expected_low.is_nan() && !s.expected_high.is_nan());
    }
    // NaN did not poison the state: a plain series afterwards is scored normally.
    let mut d = Detector::new(&cfg);
    for i in 0..1_000 {
        d.observe(i * 60, f64::NAN);
        let s = d.observe(i * 60 + 30, 5.0);
        assert!(s.score < cfg.alert_threshold);
        assert!(s.expected_low.is_finite() && s.expected_high.is_finite());
    }
}

#[test]
fn state_is_small_and_bounded_over_millions_of_points() {
    let cfg = DetectorConfig::default();
    let mut d = Detector::new(&cfg);
    let before = d.state_bytes();
    assert!(before < 4096, "{before}");
    let mut n = Noise(11);
    for i in 0..3_000_000i64 {
        let s = d.observe(
            i * 10,
            1_000.0 + 50.0 * n.next() + (i % 8_640) as f64 * 0.01,
        );
        assert!((0.0..=1.0).contains(&s.score));
    }
    // Fixed size: the struct and the shape memory's box, nothing grows.
    assert_eq!(d.state_bytes(), before);
}

#[test]
fn detect_csv_writes_one_row_per_input_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    let mut text = String::from("timestamp,value\n");
    for i in 0..500 {
        let v = if i == 400 {
            1_000.0
        } else {
            10.0 + (i % 5) as f64
        };
        // Every 5 minutes: the spike comes after the first day (rises wait
        // a day, `novelty_after`).
        let m = i * 5;
        text.push_str(&format!(
            "2014-04-{:02} {:02}:{:02}:00,{v}\n",
            1 + m / 1440,
            (m / 60) % 24,
            m % 60
        ));
    }
    std::fs::write(&input, &text).unwrap();
    run_detect_csv(&input, &output, &DetectorConfig::default()).unwrap();
    let out = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "timestamp,value,anomaly_score,alert");
    assert_eq!(lines.len(), 501);
    let spike: Vec<&str> = lines[401].split(',').collect();
    assert_eq!(spike[0], "2014-04-02 09:20:00");
    assert_eq!(spike[3], "1", "the spike row alerts: {}", lines[401]);
    for l in &lines[1..] {
        let cols: Vec<&str> = l.split(',').collect();
        assert_eq!(cols.len(), 4);
        let s: f64 = cols[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&s));
    }
}

#[test]
fn detect_csv_accepts_unix_and_rfc3339_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(
        &input,
        "1700000000,1\n1700000060,2\n2023-11-14T22:15:20Z,3\n",
    )
    .unwrap();
    run_detect_csv(&input, &output, &DetectorConfig::default()).unwrap();
    let out = std::fs::read_to_string(&output).unwrap();
    assert_eq!(out.lines().count(), 4);
}

#[test]
fn detect_csv_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(
        &input,
        "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,oops\n",
    )
    .unwrap();
    let err = run_detect_csv(&input, &output, &DetectorConfig::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains(":3:"), "{err}");
    assert!(err.contains("oops"), "{err}");

    std::fs::write(&input, "timestamp,value\nnot-a-time,1\n").unwrap();
    let err = run_detect_csv(&input, &output, &DetectorConfig::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains(":2:") && err.contains("not-a-time"), "{err}");
}

#[test]
fn clean_daily_cycle_with_trend_never_alarms_after_learning() {
    let cfg = DetectorConfig::default();
    // Business-hours traffic: high from 08:00 to 18:00, low otherwise, growing slowly.
    let xs: Vec<f64> = (0..30_000)
        .map(|i| {
            let hour = (i as i64 * STEP % 86_400) / 3_600;
            let base = if (8..18).contains(&hour) { 80.0 } else { 20.0 };
            base + 10.0 * daily(i) + i as f64 * 1e-4
        })
        .collect();
    let mut d = Detector::new(&cfg);
    let scores = feed(&mut d, &xs);
    // After two days (576 points) the cycle is known.
    assert_eq!(first_alert(&scores, 576, cfg.alert_threshold), None);
}

#[test]
fn detect_csv_header_is_optional_and_any_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(&input, "time,lag\n1700000000,1\n1700000060,2\n").unwrap();
    run_detect_csv(&input, &output, &DetectorConfig::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&output).unwrap().lines().count(), 3);
    std::fs::write(&input, "1700000000,1\n1700000060,2\n").unwrap();
    run_detect_csv(&input, &output, &DetectorConfig::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&output).unwrap().lines().count(), 3);
}
