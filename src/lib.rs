//! isrwatch: a Kafka replication-health monitor.
//!
//! It polls Kafka clusters, scores what it sees, groups problems by root
//! cause and tells people, early and in plain words, when replication is in
//! trouble.
//!
//! # Layout
//!
//! Data flows one way:
//!
//! ```text
//! poll ──ClusterSnapshot──▶ evaluate ──Finding──▶ incident ──Incident+NotifyReason──▶ summarize ──Notification──▶ notify
//!   │                          │                     │
//!   └──────────────────────────┴─────────────────────┴──▶ state (shared, read-only for http: /metrics, /api/v1, the status page)
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`] | the TOML configuration, validated without I/O before anything starts; [`config::base`]: the leaf value types sections import (`Dur`, `Problems`, `Secret`, name filters) |
//! | [`clock`] | the one [`clock::Clock`] every stage reads `now` from (system, tokio-following, or a fixed test clock) |
//! | [`cli`] | the command line (`run`, `check`, `demo`, `sim`, `soak`, `detect`, `config`, `bench`, `probe`) |
//! | [`snapshot`] | [`snapshot::ClusterSnapshot`]: one poll's immutable picture of a cluster, and derived partition state |
//! | [`poll`] | the [`poll::Poller`] trait and the rdkafka poller: metadata, topic configs, watermarks, groups, lag, sidecar; [`poll::direct`] and [`poll::transport`]: its own batched offset and group requests, the per-broker reachability probe, ListPartitionReassignments and DescribeQuorum (TLS, SASL PLAIN/SCRAM) |
//! | [`sim`] | a Kafka cluster simulator speaking the wire protocol, driven by scenario files ([`sim::scenario`]: `spec.rs` the cluster, `action.rs` the timeline, `expect.rs` what must be notified, `parse.rs` reading and checking); `sim/state/`: the model (`model.rs`), its dynamics (`tick.rs`), faults (`actions.rs`) and read-only view (`view.rs`); `sim/server/`: connections and SASL apart, one file per Kafka API handler; [`sim::judge`](mod@sim::judge): the closed-world check of a scenario run |
//! | [`sasl`] | SASL PLAIN and SCRAM: the direct client's side and the simulator's |
//! | `guard` | structural checks of Kafka request and response bodies before `kafka-protocol` decodes them (the simulator's requests, the direct client's answers) |
//! | [`finding`] | [`finding::Finding`]: what the evaluator concludes; [`finding::FindingKind`], the one list of kinds; its evidence under typed keys ([`finding::Metric`], [`finding::Label`]) that rules write and the template, incident titles and LLM facts read, and the keys each kind carries ([`finding::FindingKind::evidence`]) |
//! | [`evaluate`] | the [`evaluate::Evaluator`]: replication rules (brokers down or unreachable, partitions, unclean elections, reassignments, the KRaft quorum; `evaluate/rules/`, one file per family), consumer lag status, anomaly scoring |
//! | [`detect`] | the streaming anomaly detector (bounded memory per series, no look-ahead); [`detect::family`]: what each of the daemon's series measures (minimum effect, relative margin); [`detect::nab`]: NAB scoring and k-fold cross-validation; [`detect::kafka_set`]: labelled Kafka series recorded from the simulator |
//! | [`model`] | [`model::Incident`], [`model::NotifyReason`], [`model::Summary`], [`model::Notification`] |
//! | [`incident`] | the [`incident::Correlator`]: root-cause grouping, lifecycle, flap damping, silences |
//! | [`summarize`] | the [`summarize::Summarizer`]: template text, and LLM text checked against the facts |
//! | [`notify`] | the [`notify::Notifier`]s (webhook, Slack, Alertmanager, log), durable outbox, retries |
//! | [`state`] | what the daemon has seen, shared read-only with the HTTP side; [`state::ChartHistory`]: the bounded history the status page charts |
//! | [`http`] | [`http::router`] assembles the `/metrics` endpoint ([`http::metrics`]: one function per family group, the text format in `metrics/text.rs`), the `/api/v1` status API and [`http::page`], the status page `/` (HTML with live refresh, silence forms; routes in `page.rs`, one file per section under `page/`) |
//! | [`soak`] | fast-forward: the daemon's stages against the simulator on a virtual clock (`isrwatch soak`) |
//! | [`daemon`] | wiring: starts the stages receivers-first, stops them in reverse on a shutdown signal |
//! | [`bench`](mod@bench) | benchmarks printed as tables (`isrwatch bench ...`) |
//! | [`backoff`] | [`backoff::Backoff`]: the one exponential backoff (polls of an unreachable cluster, delivery retries) |
//!
//! No two files import each other, directly or through others:
//! `cargo test --lib import_cycles` (`src/import_cycles.rs`) fails on a new
//! import circle (none is left). Where children share an item, it lives in
//! a leaf file the parent re-exports (`config/base.rs`,
//! `evaluate/evaluation.rs`, `notify/notifier.rs`, `finding/kind.rs`,
//! `poll/poller.rs`, `poll/kafka/poller.rs`, `detect/detector.rs`, ...).

pub mod backoff;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod evaluate;
pub mod finding;
pub(crate) mod guard;
pub mod http;
#[cfg(test)]
mod import_cycles;
pub mod incident;
pub mod model;
pub mod notify;
pub mod poll;
pub mod sasl;
pub mod sim;
pub mod snapshot;
pub mod soak;
pub mod state;
pub mod summarize;
