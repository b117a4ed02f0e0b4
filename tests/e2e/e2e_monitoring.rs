//! End to end with the real Prometheus and Alertmanager (Debian packages,
//! installed by test.sh), started on loopback ports: `isrwatch demo` runs
//! the broker-down scenario; Prometheus scrapes it and evaluates
//! alerts/isrwatch-rules.yml; isrwatch also posts its own incidents to
//! Alertmanager. Checks: every dashboard query returns data, the rules fire
//! during the fault and resolve after it, and Alertmanager received
//! isrwatch's alerts.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::free_port;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Kills the child when dropped, so a failing test leaves nothing behind.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(cmd: &str, args: &[String], log: &Path) -> Proc {
    let out = std::fs::File::create(log).unwrap();
    let child = Command::new(cmd)
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd} must be installed (./test.sh installs it): {e}"));
    Proc(child)
}

async fn get_json(url: String) -> Option<Value> {
    let r = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn firing_alerts(prom: &str) -> Vec<String> {
    let v = get_json(format!("{prom}/api/v1/alerts"))
        .await
        .unwrap_or_default();
    v["data"]["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["state"] == "firing")
                .map(|x| x["labels"]["alertname"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_rules_dashboards_and_alertmanager_against_the_demo() {
    let _group = crate::support::group(module_path!());
    let dir = tempfile::tempdir().unwrap();
    let (am_port, prom_port, api_port) = (free_port(), free_port(), free_port());
    let am = format!("http://127.0.0.1:{am_port}");
    let prom = format!("http://127.0.0.1:{prom_port}");
    let api = format!("http://127.0.0.1:{api_port}");

    // Alertmanager with one null receiver: we read alerts back from its API.
    let am_cfg = dir.path().join("am.yml");
    std::fs::write(
        &am_cfg,
        "route:\n  receiver: \"null\"\n  group_wait: 1s\nreceivers:\n  - name: \"null\"\n",
    )
    .unwrap();
    let _am = spawn(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", am_cfg.display()),
            format!("--storage.path={}", dir.path().join("am-data").display()),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".into(),
        ],
        &dir.path().join("am.log"),
    );

    // isrwatch demo: broker 2 goes down and comes back.
    let _demo = spawn(
        env!("CARGO_BIN_EXE_isrwatch"),
        &[
            "demo".into(),
            "--scenario".into(),
            format!("{ROOT}/tests/scenarios/broker_down.toml"),
            "--speed".into(),
            "4".into(),
            "--listen".into(),
            format!("127.0.0.1:{api_port}"),
            "--alertmanager".into(),
            am.clone(),
            "--poll-interval".into(),
            "1s".into(),
        ],
        &dir.path().join("demo.log"),
    );

    // Prometheus scraping the demo every second, with the shipped rules.
    let prom_cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_cfg,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {ROOT}/alerts/isrwatch-rules.yml\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:{am_port}\"]\n\
             scrape_configs:\n  - job_name: isrwatch\n    static_configs:\n      - targets: [\"127.0.0.1:{api_port}\"]\n"
        ),
    )
    .unwrap();
    let _prom = spawn(
        "prometheus",
        &[
            format!("--config.file={}", prom_cfg.display()),
            format!(
                "--storage.tsdb.path={}",
                dir.path().join("prom-data").display()
            ),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
        &dir.path().join("prom.log"),
    );

    let logs = || {
        ["demo.log", "prom.log", "am.log"]
            .iter()
            .map(|f| {
                let t = std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
                let tail: String = t
                    .lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                format!("--- {f}\n{tail}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };

    wait_for("the demo's API", Duration::from_secs(60), || {
        get_json(format!("{api}/readyz"))
    })
    .await;

    // The fault: Prometheus rules fire.
    let start = Instant::now();
    let mut fired = Vec::new();
    while start.elapsed() < Duration::from_secs(120) {
        fired = firing_alerts(&prom).await;
        if fired.iter().any(|a| a == "KafkaBrokerCount") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(
        fired.iter().any(|a| a == "KafkaBrokerCount"),
        "rules did not fire: {fired:?}\n{}",
        logs()
    );

    // Every dashboard query returns data while the fault is on.
    let mut empty = Vec::new();
    for e in std::fs::read_dir(format!("{ROOT}/dashboards")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let d: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for panel in d["panels"].as_array().unwrap() {
            for t in panel["targets"].as_array().unwrap() {
                let expr = t["expr"]
                    .as_str()
                    .unwrap()
                    .replace("$cluster", ".*")
                    .replace("$topic", ".*")
                    .replace("$group", ".*");
                let v = get_json(format!("{prom}/api/v1/query?query={}", urlencode(&expr))).await;
                let n = v
                    .as_ref()
                    .and_then(|v| v["data"]["result"].as_array().map(|a| a.len()))
                    .unwrap_or(0);
                if n == 0 {
                    empty.push(format!(
                        "{} / {}: {expr}",
                        p.file_name().unwrap().to_string_lossy(),
                        panel["title"]
                    ));
                }
            }
        }
    }
    assert!(
        empty.is_empty(),
        "dashboard queries without data:\n{}\n{}",
        empty.join("\n"),
        logs()
    );

    // Alertmanager received isrwatch's own incident alerts (and Prometheus's).
    let am_alerts = wait_for(
        "alerts in Alertmanager",
        Duration::from_secs(60),
        || async {
            let v = get_json(format!("{am}/api/v2/alerts")).await?;
            let names: Vec<String> = v
                .as_array()?
                .iter()
                .map(|a| a["labels"]["alertname"].as_str().unwrap_or("").to_string())
                .collect();
            (names.iter().any(|n| n.starts_with("Isrwatch"))
                && names.iter().any(|n| n == "KafkaBrokerCount"))
            .then_some(v)
        },
    )
    .await;
    assert!(am_alerts
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["labels"]["cluster"].is_string()));

    // The broker returns: the rule resolves.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(180) {
        if !firing_alerts(&prom)
            .await
            .iter()
            .any(|a| a == "KafkaBrokerCount")
        {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("KafkaBrokerCount never resolved\n{}", logs());
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
