//! A poller that does what the usual exporters do, for side-by-side
//! figures: everything inside the scrape, two offset requests per
//! partition (`fetch_watermarks`), one committed-offsets request per group
//! listing every partition, and a new connection every time.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;

/// What one baseline scrape saw.
#[derive(Debug, Clone, Default)]
pub struct BaselineScrape {
    pub partitions: usize,
    pub groups: usize,
    pub committed: usize,
}

/// One kafka_exporter-style scrape against `bootstrap`, for the given groups
/// (the baseline lists groups itself when `groups` is empty).
pub fn scrape(
    bootstrap: &str,
    groups: &[String],
    timeout: Duration,
) -> Result<BaselineScrape, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "isrwatch-baseline")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| format!("client: {e}"))?;
    let md = consumer
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("metadata: {e}"))?;
    let mut out = BaselineScrape::default();
    let mut all = TopicPartitionList::new();
    for t in md.topics() {
        for p in t.partitions() {
            // Two ListOffsets requests per partition, as kafka_exporter does.
            let _ = consumer.fetch_watermarks(t.name(), p.id(), timeout);
            all.add_partition(t.name(), p.id());
            out.partitions += 1;
        }
    }
    let listed: Vec<String> = if groups.is_empty() {
        match consumer.fetch_group_list(None, timeout) {
            Ok(l) => l.groups().iter().map(|g| g.name().to_string()).collect(),
            Err(e) => return Err(format!("list groups: {e}")),
        }
    } else {
        groups.to_vec()
    };
    for g in &listed {
        // One OffsetFetch per group listing every partition, on a fresh client.
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", g)
            .set("enable.auto.commit", "false")
            .create()
            .map_err(|e| format!("client: {e}"))?;
        if let Ok(list) = c.committed_offsets(all.clone(), timeout) {
            out.committed += list
                .elements()
                .iter()
                .filter(|e| e.offset().to_raw().is_some_and(|o| o >= 0))
                .count();
        }
        out.groups += 1;
    }
    Ok(out)
}
