//! The rdkafka poller, one file per concern:
//! - this file: one poll from end to end ([`KafkaPoller`]'s `Poller::poll`);
//! - `poller`: [`KafkaPoller`] itself, its clients, the state it keeps
//!   across polls and the small helpers every concern uses;
//! - `metadata`: brokers and topics, brokers gone missing;
//! - `configs`: topic configs (`min.insync.replicas`) and partition states;
//! - `offsets`: watermarks and lag;
//! - `groups`: consumer groups and their coordinators;
//! - `api`: [`api::GroupApi`], the calls of the offsets and groups path,
//!   made by the direct client or by librdkafka;
//! - `cluster`: the active controller, reassignments, broker probes.

mod api;
mod cluster;
mod configs;
mod groups;
mod metadata;
mod offsets;
mod poller;

pub use poller::KafkaPoller;

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::admin;
use super::diff::isr_changes;
use super::poller::Poller;
use super::sidecar;
use crate::snapshot::{BrokerId, ClusterSnapshot, PollError, Time, TopicInfo};

use cluster::{apply_eligible_leaders, apply_reassignments, unreachable_brokers};
use configs::{derive_topics, describe_min_isr};
use metadata::{missing_brokers, named_replicas};
use poller::perr;

#[async_trait]
impl Poller for KafkaPoller {
    async fn poll(&mut self, now: Time) -> ClusterSnapshot {
        let started = Instant::now();
        let deadline = started + self.cfg.poll_timeout.0;
        let name = self.cfg.name.clone();
        let a = match self.client() {
            Ok(a) => a,
            Err(e) => {
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("client", e),
                )
            }
        };
        let gc = match self.group_client() {
            Ok(c) => c,
            Err(e) => {
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("client", e),
                )
            }
        };
        let meta = self.metadata(&a, deadline).await;
        let meta = match meta {
            Ok(m) => m,
            Err(e) => {
                self.prev = None;
                return ClusterSnapshot::unreachable(
                    &name,
                    now,
                    started.elapsed(),
                    perr("metadata", e),
                );
            }
        };
        let mut errors = Vec::new();
        if let Some(d) = &self.direct {
            d.set_brokers(&meta.brokers);
        }
        let live: Vec<BrokerId> = meta.brokers.iter().map(|b| b.id).collect();
        let offsets_leaders: Vec<Option<BrokerId>> = meta
            .topics
            .iter()
            .find(|t| t.name == "__consumer_offsets")
            .map(|t| t.partitions.iter().map(|p| p.leader).collect())
            .unwrap_or_default();
        // Every topic's replicas, watched or not: a broker only unwatched
        // topics name is still part of the cluster.
        let named = named_replicas(&meta.topics);
        let mut topics: Vec<TopicInfo> = meta
            .topics
            .into_iter()
            .filter(|t| self.topics.matches(&t.name))
            .collect();

        let api = self.group_api(&a, &gc);
        // Configs, offsets, groups and the sidecar run concurrently; each
        // request gets at most what is left of the poll's deadline.
        let configs = if self.configs_due(&topics, now) {
            Some(describe_min_isr(
                a.clone(),
                topics.iter().map(|t| t.name.clone()).collect(),
                meta.brokers.first().map(|b| b.id),
                self.cfg.request_timeout.0,
                deadline,
            ))
        } else {
            None
        };
        let configs = async {
            match configs {
                Some(f) => Some(f.await),
                None => None,
            }
        };
        let sidecar_cfg = self.cfg.sidecar.clone();
        let scrape = async {
            match &sidecar_cfg {
                Some(sc) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    Some(
                        sidecar::scrape(&self.http, &sc.url, sc.broker, sc.timeout.0.min(left))
                            .await,
                    )
                }
                None => None,
            }
        };
        let probes = self.probe_brokers(&live, deadline);
        let reassignments = self.reassignments(&live, deadline);
        let eligible = self.eligible_leaders(&topics, &live, deadline);
        let (
            config_answer,
            (updates, offset_errors),
            (mut groups, group_errors, coordinators),
            sidecar_metrics,
            probed,
            reassigning,
            eligible,
        ) = tokio::join!(
            configs,
            self.fetch_offsets(api.as_ref(), &topics, deadline),
            self.fetch_groups(api.as_ref(), &topics, &live, &offsets_leaders, deadline),
            scrape,
            probes,
            reassignments,
            eligible,
        );
        apply_reassignments(&mut topics, reassigning, &mut errors);
        apply_eligible_leaders(&mut topics, eligible, &mut errors);
        self.offsets_left(&mut topics, deadline, &mut errors).await;
        let brokers_probed = probed.is_some();
        let unreachable_brokers = unreachable_brokers(probed, &mut errors);
        // A broker that did not answer the probe is not asked again.
        let answering: Vec<BrokerId> = live
            .iter()
            .copied()
            .filter(|b| !unreachable_brokers.contains(b))
            .collect();
        let mut usage_errors = Vec::new();
        let ((), log_dirs) = tokio::join!(
            self.failed_log_dirs(&mut topics, &answering, deadline, &mut errors),
            self.log_dir_usage(&answering, deadline, &mut usage_errors),
        );
        errors.extend(usage_errors);
        self.coordinators = coordinators;
        if let Some(ans) = config_answer {
            self.config_errors = ans.errors.clone();
            self.apply_configs(ans);
        }
        errors.extend(self.config_errors.iter().cloned());
        errors.extend(offset_errors);
        errors.extend(group_errors);
        for u in updates {
            let p = &mut topics[u.topic].partitions[u.partition];
            if u.high {
                p.high_watermark = Some(u.offset);
            } else {
                p.low_watermark = Some(u.offset);
            }
        }
        self.compute_lag(&topics, &mut groups, now);

        if let (Some(sc), Some(m)) = (&sidecar_cfg, &sidecar_metrics) {
            if let Some(e) = &m.error {
                errors.push(PollError {
                    step: "sidecar".into(),
                    broker: sc.broker,
                    message: e.clone(),
                });
            }
            if sc.scope_to_broker {
                if let Some(b) = sc.broker {
                    for t in topics.iter_mut() {
                        t.partitions.retain(|p| p.leader == Some(b));
                    }
                    topics.retain(|t| !t.partitions.is_empty());
                }
            }
        }

        // Derived state.
        derive_topics(
            &mut topics,
            &live,
            &self.topic_configs,
            self.broker_default_min_isr,
            self.cfg.min_insync_replicas,
        );

        let (controller, quorum) = self
            .active_controller(meta.controller, &answering, deadline, &mut errors)
            .await;
        let voters: Vec<BrokerId> = quorum
            .iter()
            .flat_map(|q| q.voters.iter().map(|v| v.id))
            .collect();
        let missing = missing_brokers(
            &mut self.seen_brokers,
            &named,
            &live,
            &voters,
            now,
            self.cfg.forget_broker_after.0,
        );
        let unnamed_brokers = missing
            .iter()
            .copied()
            .filter(|b| !named.contains(b) && !voters.contains(b))
            .collect();
        let mut snap = ClusterSnapshot {
            cluster: name,
            taken_at: now,
            poll_duration: Duration::ZERO,
            reachable: true,
            cluster_id: meta.cluster_id,
            controller,
            brokers: meta.brokers,
            missing_brokers: missing,
            unnamed_brokers,
            brokers_probed,
            unreachable_brokers,
            topics,
            groups,
            isr_changes: Vec::new(),
            quorum,
            log_dirs,
            sidecar: sidecar_metrics,
            errors,
        };
        if let Some(prev) = &self.prev {
            snap.isr_changes = isr_changes(prev, &snap, now);
        }
        self.prev = Some(ClusterSnapshot {
            reachable: true,
            topics: snap.topics.clone(),
            ..Default::default()
        });
        self.update_stats();
        // Logs and errors queue up on the group handle's main queue; nobody
        // else reads them.
        let _ = admin::drain_stats(&gc);
        release_free_memory();
        snap.poll_duration = started.elapsed();
        snap
    }
}

/// Hands memory freed during the poll back to the OS. A poll allocates in
/// many threads (tokio's blocking pool, librdkafka's broker threads), and
/// glibc keeps what each thread freed in that thread's arena: at 100,000
/// partitions this kept the daemon ~60 MiB above its live heap between
/// polls (`docs/benchmarks.md`). Costs a few milliseconds.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;

    fn cfg(toml_text: &str) -> ClusterConfig {
        toml::from_str(toml_text).expect("valid test config")
    }

    #[test]
    fn bad_regex_and_missing_secret_are_config_errors() {
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            topics = { include = ["("] }
        "#);
        let e = KafkaPoller::new(&c).unwrap_err().to_string();
        assert!(e.contains("topics.include[0]"), "{e}");
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            properties = { "sasl.password" = { env = "ISRWATCH_TEST_SURELY_UNSET_VAR" } }
        "#);
        let e = KafkaPoller::new(&c).unwrap_err().to_string();
        assert!(e.contains("properties.sasl.password"), "{e}");
        assert!(e.contains("ISRWATCH_TEST_SURELY_UNSET_VAR"), "{e}");
    }

    #[test]
    fn debug_output_hides_properties() {
        let c = cfg(r#"
            name = "c1"
            bootstrap = ["localhost:9092"]
            properties = { "sasl.password" = "hunter2" }
        "#);
        let p = KafkaPoller::new(&c).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn unreachable_cluster_is_a_fact_not_an_error() {
        let c = cfg(r#"
            name = "down"
            bootstrap = ["127.0.0.1:1"]
            poll_timeout = "2s"
            request_timeout = "500ms"
            properties = { "log_level" = "0" }
        "#);
        let mut p = KafkaPoller::new(&c).unwrap();
        let now = chrono::Utc::now();
        let s = p.poll(now).await;
        assert!(!s.reachable);
        assert_eq!(s.cluster, "down");
        assert_eq!(s.errors[0].step, "metadata");
        assert!(s.poll_duration < Duration::from_secs(4));
    }
}
