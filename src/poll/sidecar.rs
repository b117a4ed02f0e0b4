//! The optional sidecar source: a broker's Prometheus JMX-exporter
//! `/metrics` endpoint, scraped over HTTP and parsed with `prometheus-parse`.
//!
//! JMX-exporter rule sets name metrics differently, so we match by
//! lower-cased substrings of the metric name (labels are folded into the
//! `raw` key but not used for matching):
//!
//! | field | a sample name contains |
//! |---|---|
//! | `follower_max_lag` | `replicafetchermanager` and `maxlag` (max over samples) |
//! | `isr_shrinks_per_sec` | `isrshrinks` (sum; `OneMinuteRate` preferred when present) |
//! | `isr_expands_per_sec` | `isrexpands` (same) |
//! | `under_min_isr_partitions` | `underminisr` but not `atminisr` (sum over samples) |
//! | `under_replicated_partitions` | `underreplicatedpartitions` (sum) |
//!
//! For example `kafka_server_replicafetchermanager_maxlag{clientid="Replica"}`,
//! `kafka_server_replicamanager_isrshrinks_total`,
//! `kafka_server_replicamanager_isrshrinkspersec{rate="OneMinuteRate"}`,
//! `kafka_cluster_partition_underminisr{topic="t",partition="0"}`.

use std::collections::BTreeMap;
use std::time::Duration;

use prometheus_parse::{Scrape, Value};

use crate::snapshot::{BrokerId, SidecarMetrics};

/// Parses a Prometheus text exposition into [`SidecarMetrics`].
pub fn parse_metrics(text: &str, broker: Option<BrokerId>) -> Result<SidecarMetrics, String> {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = Scrape::parse(lines).map_err(|e| format!("cannot parse metrics text: {e}"))?;
    let mut m = SidecarMetrics {
        broker,
        ..Default::default()
    };
    let mut raw = BTreeMap::new();
    // (sum, sum of OneMinuteRate samples) for the rate metrics
    let mut shrinks = (None::<f64>, None::<f64>);
    let mut expands = (None::<f64>, None::<f64>);
    let add = |slot: &mut Option<f64>, v: f64| *slot = Some(slot.unwrap_or(0.0) + v);
    for s in &scrape.samples {
        let v = match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => continue,
        };
        if !v.is_finite() {
            continue;
        }
        let mut key = s.metric.clone();
        if !s.labels.is_empty() {
            key = format!("{}{{{}}}", s.metric, s.labels);
        }
        raw.insert(key, v);
        let name = s.metric.to_ascii_lowercase();
        let one_min = s
            .labels
            .values()
            .any(|l| l.eq_ignore_ascii_case("OneMinuteRate"))
            || name.contains("oneminuterate");
        if name.contains("replicafetchermanager") && name.contains("maxlag") {
            m.follower_max_lag = Some(m.follower_max_lag.map_or(v, |x: f64| x.max(v)));
        } else if name.contains("isrshrinks") {
            add(&mut shrinks.0, v);
            if one_min {
                add(&mut shrinks.1, v);
            }
        } else if name.contains("isrexpands") {
            add(&mut expands.0, v);
            if one_min {
                add(&mut expands.1, v);
            }
        } else if name.contains("underminisr") && !name.contains("atminisr") {
            add(&mut m.under_min_isr_partitions, v);
        } else if name.contains("underreplicatedpartitions") {
            add(&mut m.under_replicated_partitions, v);
        }
    }
    m.isr_shrinks_per_sec = shrinks.1.or(shrinks.0);
    m.isr_expands_per_sec = expands.1.or(expands.0);
    m.raw = raw;
    Ok(m)
}

/// Scrapes `url` (GET, `timeout`) and parses it. Never fails: an error is
/// carried in [`SidecarMetrics::error`].
pub async fn scrape(
    client: &reqwest::Client,
    url: &str,
    broker: Option<BrokerId>,
    timeout: Duration,
) -> SidecarMetrics {
    let failed = |e: String| SidecarMetrics {
        broker,
        error: Some(e),
        ..Default::default()
    };
    let resp = match client.get(url).timeout(timeout).send().await {
        Ok(r) => r,
        Err(e) => return failed(format!("GET {url}: {e}")),
    };
    if !resp.status().is_success() {
        return failed(format!("GET {url}: HTTP {}", resp.status()));
    }
    match resp.text().await {
        Ok(body) => parse_metrics(&body, broker).unwrap_or_else(failed),
        Err(e) => failed(format!("GET {url}: reading body: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"# HELP kafka_server_replicafetchermanager_maxlag Attribute exposed for management
# TYPE kafka_server_replicafetchermanager_maxlag untyped
kafka_server_replicafetchermanager_maxlag{clientId="Replica",} 1234.0
kafka_server_replicafetchermanager_maxlag{clientId="ReplicaAlterLogDirs",} 5.0
# TYPE kafka_server_replicamanager_isrshrinkspersec gauge
kafka_server_replicamanager_isrshrinkspersec{rate="OneMinuteRate",} 0.25
kafka_server_replicamanager_isrshrinkspersec{rate="FiveMinuteRate",} 0.1
# TYPE kafka_server_replicamanager_isrexpands_total counter
kafka_server_replicamanager_isrexpands_total 42
# TYPE kafka_cluster_partition_underminisr gauge
kafka_cluster_partition_underminisr{topic="a",partition="0",} 1.0
kafka_cluster_partition_underminisr{topic="b",partition="3",} 1.0
kafka_cluster_partition_atminisr{topic="c",partition="0",} 1.0
kafka_server_replicamanager_underreplicatedpartitions 7
jvm_memory_bytes_used{area="heap",} 1.2e9
"#;

    #[test]
    fn parses_jmx_exporter_names() {
        let m = parse_metrics(SAMPLE, Some(2)).unwrap();
        assert_eq!(m.broker, Some(2));
        assert_eq!(m.follower_max_lag, Some(1234.0));
        assert_eq!(m.isr_shrinks_per_sec, Some(0.25));
        assert_eq!(m.isr_expands_per_sec, Some(42.0));
        assert_eq!(m.under_min_isr_partitions, Some(2.0));
        assert_eq!(m.under_replicated_partitions, Some(7.0));
        assert!(m
            .raw
            .keys()
            .any(|k| k.starts_with("jvm_memory_bytes_used{")));
        assert!(m.error.is_none());
    }

    #[test]
    fn empty_or_unrelated_text_gives_none_fields() {
        let m = parse_metrics("# nothing\nfoo 1\n", None).unwrap();
        assert_eq!(m.follower_max_lag, None);
        assert_eq!(m.isr_shrinks_per_sec, None);
        assert_eq!(m.raw.get("foo"), Some(&1.0));
    }
}
