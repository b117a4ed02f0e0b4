//! DescribeConfigs of topics and brokers (or the authorizer's refusal).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::frame::s;
use super::log_dirs::LOG_DIR;
use crate::sim::state::ClusterState;

fn config_entry(
    name: &str,
    value: String,
    source: i8,
    read_only: bool,
    ctype: i8,
) -> describe_configs_response::DescribeConfigsResourceResult {
    describe_configs_response::DescribeConfigsResourceResult::default()
        .with_name(s(name))
        .with_value(Some(s(value)))
        .with_read_only(read_only)
        .with_config_source(source)
        .with_config_type(ctype)
}

// Config sources and types as Kafka numbers them.
const DYNAMIC_TOPIC: i8 = 1;
const STATIC_BROKER: i8 = 4;
const DEFAULT: i8 = 5;
const T_BOOL: i8 = 1;
const T_STRING: i8 = 2;
const T_INT: i8 = 3;
const T_LONG: i8 = 5;

pub(super) fn describe_configs(
    st: &ClusterState,
    req: &DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    let mut r = DescribeConfigsResponse::default();
    let min_isr_src = if st.min_isr == 1 {
        DEFAULT
    } else {
        STATIC_BROKER
    };
    for res in &req.resources {
        let name = res.resource_name.as_str();
        let mut out = describe_configs_response::DescribeConfigsResult::default()
            .with_resource_type(res.resource_type)
            .with_resource_name(res.resource_name.clone());
        if st.deny_describe_configs {
            // As Kafka's authorizer answers without DESCRIBE_CONFIGS.
            let (code, what) = match res.resource_type {
                2 => (ResponseError::TopicAuthorizationFailed.code(), "Topic"),
                _ => (ResponseError::ClusterAuthorizationFailed.code(), "Cluster"),
            };
            out.error_code = code;
            out.error_message = Some(s(format!("{what} authorization failed.")));
            r.results.push(out);
            continue;
        }
        let entries = match res.resource_type {
            2 => match st.live_topic(name).map(|i| &st.topics[i]) {
                None => {
                    out.error_code = ResponseError::UnknownTopicOrPartition.code();
                    out.error_message = Some(s(format!("topic {name:?} does not exist")));
                    Vec::new()
                }
                Some(t) => vec![
                    match t.min_isr {
                        Some(m) => config_entry(
                            "min.insync.replicas",
                            m.to_string(),
                            DYNAMIC_TOPIC,
                            false,
                            T_INT,
                        ),
                        None => config_entry(
                            "min.insync.replicas",
                            st.min_isr.to_string(),
                            min_isr_src,
                            false,
                            T_INT,
                        ),
                    },
                    config_entry(
                        "retention.ms",
                        t.retention_ms.to_string(),
                        DYNAMIC_TOPIC,
                        false,
                        T_LONG,
                    ),
                    config_entry("cleanup.policy", "delete".into(), DEFAULT, false, 7),
                    config_entry(
                        "unclean.leader.election.enable",
                        st.unclean.to_string(),
                        DEFAULT,
                        false,
                        T_BOOL,
                    ),
                    config_entry("segment.bytes", "1073741824".into(), DEFAULT, false, T_INT),
                    config_entry(
                        "segment.ms",
                        t.segment_ms.to_string(),
                        DYNAMIC_TOPIC,
                        false,
                        T_LONG,
                    ),
                    config_entry("max.message.bytes", "1048588".into(), DEFAULT, false, T_INT),
                    config_entry(
                        "message.timestamp.type",
                        "CreateTime".into(),
                        DEFAULT,
                        false,
                        T_STRING,
                    ),
                ],
            },
            4 => {
                let known = name.is_empty()
                    || name
                        .parse::<i32>()
                        .ok()
                        .and_then(|id| st.broker(id))
                        .is_some();
                if !known {
                    out.error_code = ResponseError::InvalidRequest.code();
                    out.error_message = Some(s(format!("unknown broker {name:?}")));
                    Vec::new()
                } else {
                    let mut v = vec![
                        config_entry(
                            "min.insync.replicas",
                            st.min_isr.to_string(),
                            min_isr_src,
                            false,
                            T_INT,
                        ),
                        config_entry(
                            "replica.lag.time.max.ms",
                            st.lag_max_ms.to_string(),
                            STATIC_BROKER,
                            false,
                            T_LONG,
                        ),
                        config_entry(
                            "unclean.leader.election.enable",
                            st.unclean.to_string(),
                            STATIC_BROKER,
                            false,
                            T_BOOL,
                        ),
                        config_entry(
                            "auto.leader.rebalance.enable",
                            st.auto_rebalance.to_string(),
                            STATIC_BROKER,
                            false,
                            T_BOOL,
                        ),
                        config_entry(
                            "leader.imbalance.check.interval.seconds",
                            (st.rebalance_interval_ms / 1000).to_string(),
                            STATIC_BROKER,
                            false,
                            T_LONG,
                        ),
                        config_entry(
                            "default.replication.factor",
                            "3".into(),
                            STATIC_BROKER,
                            false,
                            T_INT,
                        ),
                        config_entry("num.partitions", "1".into(), DEFAULT, false, T_INT),
                        config_entry("log.retention.hours", "168".into(), DEFAULT, false, T_INT),
                        config_entry("log.dirs", LOG_DIR.into(), STATIC_BROKER, true, T_STRING),
                    ];
                    if !name.is_empty() {
                        v.push(config_entry(
                            "broker.id",
                            name.to_string(),
                            STATIC_BROKER,
                            true,
                            T_INT,
                        ));
                    }
                    v
                }
            }
            other => {
                out.error_code = ResponseError::InvalidRequest.code();
                out.error_message = Some(s(format!("unsupported resource type {other}")));
                Vec::new()
            }
        };
        out.configs = entries
            .into_iter()
            .filter(|e| match &res.configuration_keys {
                None => true,
                Some(keys) => keys.iter().any(|k| k.as_str() == e.name.as_str()),
            })
            .map(|mut e| {
                if version < 3 {
                    e.config_type = 0;
                }
                e
            })
            .collect();
        r.results.push(out);
    }
    r
}
