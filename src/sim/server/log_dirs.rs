//! DescribeLogDirs: one log directory per broker, replica sizes, the
//! offsets followers and added replicas have left to copy, and (v4,
//! KIP-827) the volume's size and free space.

use std::collections::HashMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::frame::s;
use crate::sim::state::model::DISK_BYTES;
use crate::sim::state::ClusterState;

/// The one log directory every simulated broker has.
pub(super) const LOG_DIR: &str = "/var/lib/kafka/data";

pub(super) fn describe_log_dirs(
    st: &ClusterState,
    broker: i32,
    req: &DescribeLogDirsRequest,
) -> DescribeLogDirsResponse {
    let mut r = DescribeLogDirsResponse::default();
    let Some(b) = st.broker(broker) else {
        return r;
    };
    let mut dir = describe_log_dirs_response::DescribeLogDirsResult::default()
        .with_log_dir(s(LOG_DIR))
        .with_total_bytes(DISK_BYTES);
    if b.log_dir_failed {
        dir.error_code = ResponseError::KafkaStorageError.code();
        dir.usable_bytes = 0;
        r.results.push(dir);
        return r;
    }
    let wanted: Option<HashMap<&str, &Vec<i32>>> = req.topics.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (t.topic.0.as_str(), &t.partitions))
            .collect()
    });
    for t in st.topics.iter().filter(|t| t.exists) {
        let filter = match &wanted {
            None => None,
            Some(w) => match w.get(t.name.as_str()) {
                None => continue,
                Some(ps) => Some(*ps),
            },
        };
        let per_partition_rate = t.rate * t.factor / t.partitions.len().max(1) as f64;
        let mut parts = Vec::new();
        for (i, p) in t.partitions.iter().enumerate() {
            let Some(k) = p.replicas.iter().position(|&r| r == broker) else {
                continue;
            };
            if let Some(f) = filter {
                if !f.contains(&(i as i32)) {
                    continue;
                }
            }
            let size = (t.end_offset(p) - p.log_start).max(0) * t.message_bytes as i64;
            let copying = p
                .reassignment
                .as_ref()
                .filter(|r| r.adding.contains(&broker) && st.now_ms < r.copied_at_ms);
            let lag = if let Some(r) = copying {
                // An added replica still copying the log: what is left.
                ((r.copied_at_ms - st.now_ms) as f64 / 1000.0 * r.copy_rate) as i64
            } else if p.leader == broker || p.leader < 0 {
                0
            } else {
                let behind_ms = (st.now_ms - p.last_caught_up[k]).max(0) as f64;
                (behind_ms / 1000.0 * per_partition_rate) as i64
            };
            parts.push(
                describe_log_dirs_response::DescribeLogDirsPartition::default()
                    .with_partition_index(i as i32)
                    .with_partition_size(size)
                    .with_offset_lag(lag),
            );
        }
        if !parts.is_empty() {
            dir.topics.push(
                describe_log_dirs_response::DescribeLogDirsTopic::default()
                    .with_name(TopicName(s(t.name.clone())))
                    .with_partitions(parts),
            );
        }
    }
    // The volume's free space: steady under retention, less what
    // `disk_fill` added (the replicas' sizes above count every message
    // since the simulation started; the simulator keeps no log to delete).
    dir.usable_bytes = b.disk_usable_bytes();
    r.results.push(dir);
    r
}
