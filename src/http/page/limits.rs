//! How much each section shows: bounded whatever the cluster's size.

/// Partitions listed under "worst partitions" (the counts cover all).
pub const WORST_PARTITIONS: usize = 25;
/// Consumer groups listed (lagging first, then the most lag).
pub const GROUP_ROWS: usize = 50;
/// Anomaly scores listed (highest first).
pub const ANOMALY_ROWS: usize = 20;
/// Findings listed per incident (its counts cover all).
pub const FINDING_ROWS: usize = 8;
/// Timeline events listed per incident (the newest).
pub const TIMELINE_ROWS: usize = 20;
/// Resolved incidents listed per cluster (the newest).
pub const RESOLVED_ROWS: usize = 10;
/// Points drawn per chart line (the history is thinned to this).
pub const CHART_DRAWN_POINTS: usize = 180;
