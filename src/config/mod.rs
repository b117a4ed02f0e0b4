//! The configuration file: TOML, unknown keys rejected, validated without
//! any I/O before anything starts.
//!
//! Each stage owns its section type (`evaluate::RulesConfig`,
//! `notify::NotifierConfig`, ...); this module composes them, parses the
//! file and reports every problem at once with its key path and line.
//! Sections import their value types ([`Dur`], [`Problems`], [`Secret`],
//! [`NameFilter`]) from the leaf [`base`], which imports no section, so no
//! file imports one that imports it back. `secret.rs` holds everything
//! about secrets (the type, which keys are secret, redaction); `filter.rs`
//! the name filters; `schema.rs` the file's tree ([`Config`],
//! [`ClusterConfig`], `[daemon]`), which loading, validation and the demo
//! configuration import instead of this facade.
//!
//! - [`load`] / [`parse`]: TOML in, [`Config`] or every [`Problem`] out,
//!   each as `path: message (line N)`, in file order. A syntax error is one
//!   problem; type errors are all collected (the loader drops each offending
//!   key and tries again); then [`Config::validate`] runs on what is left.
//! - Secrets: wherever a secret is accepted ([`Secret`], and librdkafka
//!   `properties`), write `{ env = "VAR" }` or `{ file = "/path" }`; they are
//!   read only by [`Secret::resolve`] / [`ClusterConfig::client_properties`],
//!   after validation. An inline value is accepted (handy for a local
//!   test), stored as [`Secret::Inline`] when the key looks secret
//!   ([`is_secret_property`]), and reported by [`Config::warnings`]
//!   (`config validate` prints warnings and still exits 0). No message,
//!   `Debug` output or log line ever contains a secret value: error text
//!   about a secret-looking key has its quoted values replaced.

pub mod base;
mod demo;
mod filter;
mod load;
mod path;
mod scale;
mod schema;
mod secret;
mod validate;

pub use base::{parse_duration, Dur, NameFilter, NameMatcher, Problem, Problems, Secret};
pub use demo::{DemoOptions, DEMO_MIN_POLL_INTERVAL, DEMO_POLL_INTERVAL};
pub(crate) use load::fill_lines;
pub use load::{load, parse};
pub(crate) use schema::read_file;
pub use schema::{example, ClusterConfig, Config, DaemonConfig, PropertyValue, SidecarConfig};
pub use secret::is_secret_property;
