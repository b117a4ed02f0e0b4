//! The streaming anomaly detector: one bounded state per series, one score
//! in `[0, 1]` per point, no look-ahead.
