//! `isrwatch bench scale` end to end through the binary at a tiny size:
//! the JSON has every figure, and isrwatch sends fewer Kafka requests per
//! poll than the kafka_exporter-style baseline.

use std::process::Command;

use serde_json::Value;

#[test]
fn scale_bench_json_at_a_tiny_size() {
    let _group = crate::support::group(module_path!());
    let out = Command::new(env!("CARGO_BIN_EXE_isrwatch"))
        .args([
            "bench",
            "scale",
            "--partitions",
            "200",
            "--groups",
            "5",
            "--json",
        ])
        .env("ISRWATCH_LOG", "error")
        .output()
        .expect("run isrwatch");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let rows = v["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["partitions"], 200);
    assert_eq!(r["groups"], 5);
    let i = &r["isrwatch"];
    let b = &r["baseline"];
    for side in [i, b] {
        assert_eq!(side["finished"], true, "{side}");
        assert_eq!(side["report"]["partitions_seen"], 200, "{side}");
        assert_eq!(side["report"]["groups_seen"], 5, "{side}");
        for k in ["poll_wall_s", "poll_cpu_s"] {
            assert!(side["report"][k].as_f64().unwrap() > 0.0, "{k}: {side}");
        }
        assert!(side["report"]["peak_rss_bytes"].as_u64().unwrap() > 0);
        assert!(side["requests"].is_object());
    }
    let rep = &i["report"];
    assert!(rep["metrics_bytes"].as_u64().unwrap() > 10_000, "{rep}");
    assert!(rep["metrics_render_s"].as_f64().unwrap() > 0.0);
    assert!(rep["metrics_scrape_s"].as_f64().unwrap() > 0.0, "{rep}");
    assert!(rep["rss_after_poll_bytes"].as_u64().unwrap() > 0, "{rep}");
    // 200 clients x 25 requests (each after an unmeasured connecting one).
    assert_eq!(rep["api_requests"], 5000);
    assert_eq!(rep["api_errors"], 0);
    assert!(rep["api_p99_ms"].as_f64().unwrap() >= rep["api_p50_ms"].as_f64().unwrap());
    let (ni, nb) = (
        i["requests_total"].as_u64().unwrap(),
        b["requests_total"].as_u64().unwrap(),
    );
    assert!(ni > 0 && ni < nb, "isrwatch {ni} vs baseline {nb}");
    // Two ListOffsets per partition is what the baseline is about.
    assert!(b["requests"]["ListOffsets"].as_u64().unwrap() >= 400);
    for k in ["wall", "cpu", "requests", "rss"] {
        assert!(r["ratios"][k].as_f64().is_some(), "{k}");
    }
}
