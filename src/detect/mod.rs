//! The streaming anomaly detector: one bounded state per series, one score
//! in `[0, 1]` per point, no look-ahead.

/// `[anomaly]` settings (filled in by the detect module).
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {}
