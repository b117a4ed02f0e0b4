//! `[rules]` (and its `[rules.lag]` table): thresholds and `for` durations
//! of every rule. Every key has a default; an empty section is valid.
//!
//! A `for` duration is how long a condition must hold, counted from the
//! first snapshot that showed it, before the rule emits a finding. `"0s"`
//! means "report at once" (the incident layer has its own pending period).

use crate::config::base::{Dur, Problems};
use crate::finding::{FindingKind, Severity};

/// The `[rules]` section.
///
/// ```toml
/// [rules]
/// disabled = []                        # rule names to turn off, e.g. ["leader_imbalance"]
/// cluster_unreachable_for = "30s"      # one failed poll is not an outage
/// broker_down_for = "0s"
/// broker_unreachable_for = "30s"       # a broker in the metadata that does not answer
/// broker_unreachable_spells = 3        # ... or failed this many separate spells ...
/// broker_unreachable_window = "10m"    # ... within this window
/// no_controller_for = "0s"
/// controller_changes = 3               # controller_unstable: this many changes ...
/// controller_window = "10m"            # ... within this window
/// quorum_lag_for = "30s"               # a metadata-quorum voter not caught up this long
/// quorum_lag_offsets = 1000            # ... or this far behind, when the cluster gives no times
/// partition_offline_for = "0s"
/// under_min_isr_for = "0s"
/// at_min_isr_for = "0s"
/// at_min_isr_when_fully_replicated = false
/// under_replicated_for = "0s"
/// unclean_election_hold = "5m"         # how long an unclean election stays reported
/// unread_data_deleted_hold = "5m"      # how long a group moving past deleted data stays reported
/// isr_churn_threshold = 20             # ISR changes per broker beyond one leave-and-rejoin per replica ...
/// isr_churn_window = "5m"              # ... within this window
/// leader_imbalance_broker_percent = 10.0
/// leader_imbalance_cluster_percent = 10.0
/// leader_imbalance_for = "10m"
/// reassignment_stuck_after = "30m"     # a reassignment without progress this long is a warning
/// follower_lag_threshold = 10000.0     # messages (ReplicaFetcherManager MaxLag)
/// follower_lag_for = "1m"
/// consumer_lag_for = "0s"
///
/// [rules.lag]
/// window = 10
/// stop_after = "5m"
/// stall_after = "5m"
/// rewind_for = "5m"
/// stall_commit_intervals = 2
/// caught_up_lag = 0
/// err_consume_ratio = 0.5
/// warn_consume_ratio = 0.9
/// absorb_for = "10m"
/// err_severity = "critical"
/// stop_severity = "critical"
/// stall_severity = "critical"
/// rewind_severity = "warning"
/// ```
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Rules turned off, by finding kind (their snake_case names in TOML;
    /// an unknown name is a load error listing them all). Default: none.
    pub disabled: Vec<FindingKind>,
    /// `cluster_unreachable`: how long the cluster must be unreachable. Default
    /// `30s`: one failed poll (a network blip, a slow answer) is not an outage.
    pub cluster_unreachable_for: Dur,
    /// `broker_down`: how long a broker must be missing. Default `0s`.
    pub broker_down_for: Dur,
    /// `broker_unreachable`: how long a broker in the metadata must fail the
    /// monitor's probe (refused, failed handshake, no answer). Default `30s`:
    /// a crashed broker leaves the metadata within the controller's session
    /// timeout (9 s on KRaft) and is `broker_down` then.
    pub broker_unreachable_for: Dur,
    /// `broker_unreachable`, intermittent: a broker whose probe failed in
    /// this many separate spells (each maybe shorter than
    /// `broker_unreachable_for`) within `broker_unreachable_window` is
    /// reported between the spells too, until fewer remain in the window.
    /// Default 3. A broker that leaves the metadata starts over (that is
    /// `broker_down`, with its own flap damping).
    pub broker_unreachable_spells: u32,
    /// `broker_unreachable`, intermittent: the sliding window. Default `10m`.
    pub broker_unreachable_window: Dur,
    /// `no_controller`: how long metadata must name no controller. Default `0s`.
    pub no_controller_for: Dur,
    /// `controller_unstable`: number of controller changes within
    /// `controller_window` that fires the rule. Default 3.
    pub controller_changes: u32,
    /// `controller_unstable`: the sliding window. Default `10m`.
    pub controller_window: Dur,
    /// `quorum_lag`: a voter of the KRaft metadata quorum that last caught
    /// up with its leader longer ago than this (DescribeQuorum v1 times).
    /// Default `30s`.
    pub quorum_lag_for: Dur,
    /// `quorum_lag` without times (DescribeQuorum v0): a voter whose log end
    /// offset is this many records behind the high watermark (the leader
    /// appends about two a second when idle). Default 1000.
    pub quorum_lag_offsets: i64,
    /// `partition_offline` (no leader). Default `0s`.
    pub partition_offline_for: Dur,
    /// `under_min_isr` (ISR below `min.insync.replicas`). Default `0s`.
    pub under_min_isr_for: Dur,
    /// `at_min_isr` (ISR equal to `min.insync.replicas`). Default `0s`.
    pub at_min_isr_for: Dur,
    /// Also report `at_min_isr` for partitions whose ISR is complete (for
    /// example replication factor 2 with `min.insync.replicas=2`, which is at
    /// its minimum by design). Default `false`: only a partition that lost
    /// replicas down to the minimum is reported.
    pub at_min_isr_when_fully_replicated: bool,
    /// `under_replicated` (ISR smaller than the replica set). Default `0s`.
    pub under_replicated_for: Dur,
    /// `unclean_election`: an election is an event, seen in one poll; it is
    /// reported (and its incident stays open) this long after it was seen.
    /// Default `5m`, as long as a REWIND is reported (`lag.rewind_for`).
    pub unclean_election_hold: Dur,
    /// `unread_data_deleted`: a group whose committed offset moved past
    /// data deleted before it read it is reported this long after it was
    /// seen (one below the log start is reported while it stays there).
    /// Default `5m`.
    pub unread_data_deleted_hold: Dur,
    /// `isr_churn`: ISR changes of one broker's replicas within
    /// `isr_churn_window`, beyond one leave-and-rejoin per replica (an
    /// outage and its catch-up are not churn), that fire the rule (count ≥
    /// threshold). Default 20.
    pub isr_churn_threshold: u32,
    /// `isr_churn`: the sliding window. Default `5m`.
    pub isr_churn_window: Dur,
    /// `leader_imbalance` per broker: fires when
    /// `|leaders − preferred leaders| / preferred leaders × 100` exceeds this.
    /// Default 10 (Kafka's `leader.imbalance.per.broker.percentage`).
    pub leader_imbalance_broker_percent: f64,
    /// `leader_imbalance` for the cluster: fires when the share of online
    /// partitions led by a broker other than their preferred leader exceeds
    /// this percentage. Default 10.
    pub leader_imbalance_cluster_percent: f64,
    /// `leader_imbalance`: how long the imbalance must last. Default `10m`
    /// (Kafka's own rebalance check runs every 5 minutes).
    pub leader_imbalance_for: Dur,
    /// `reassignment_in_progress`: a reassignment during which no partition
    /// completed and no added replica joined its ISR for this long is a
    /// warning (stuck: a throttle too low, a broker down). Default `30m`.
    pub reassignment_stuck_after: Dur,
    /// `disk_space`: a log directory whose volume is at least this full
    /// (percent used) is a warning. Default 85. Once raised it stays until
    /// the volume is 5 points below (retention's saw-tooth around the
    /// line is one incident).
    pub disk_used_percent: f64,
    /// `disk_space`: at least this full is critical. Default 95.
    pub disk_used_critical_percent: f64,
    /// `disk_space`: a volume at least half full that, at the pace it
    /// filled over the last 30 minutes, would be full within this is a
    /// warning too (a runaway producer, a topic without retention).
    /// Default `6h`; `0s` turns the forecast off.
    pub disk_full_within: Dur,
    /// `disk_space`: how long the condition must hold. Default `1m`.
    pub disk_space_for: Dur,
    /// `follower_lag`: sidecar follower max lag (messages) above which the
    /// rule fires. Default 10000.
    pub follower_lag_threshold: f64,
    /// `follower_lag`: how long it must stay above. Default `1m`.
    pub follower_lag_for: Dur,
    /// `consumer_lag`: how long a group's status must stay non-OK. Default `0s`.
    pub consumer_lag_for: Dur,
    /// Consumer group lag status settings (`[rules.lag]`).
    pub lag: LagConfig,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            disabled: Vec::new(),
            cluster_unreachable_for: Dur::secs(30),
            broker_down_for: Dur::secs(0),
            broker_unreachable_for: Dur::secs(30),
            broker_unreachable_spells: 3,
            broker_unreachable_window: Dur::secs(600),
            no_controller_for: Dur::secs(0),
            controller_changes: 3,
            controller_window: Dur::secs(600),
            quorum_lag_for: Dur::secs(30),
            quorum_lag_offsets: 1000,
            partition_offline_for: Dur::secs(0),
            under_min_isr_for: Dur::secs(0),
            at_min_isr_for: Dur::secs(0),
            at_min_isr_when_fully_replicated: false,
            under_replicated_for: Dur::secs(0),
            unclean_election_hold: Dur::secs(300),
            unread_data_deleted_hold: Dur::secs(300),
            isr_churn_threshold: 20,
            isr_churn_window: Dur::secs(300),
            leader_imbalance_broker_percent: 10.0,
            leader_imbalance_cluster_percent: 10.0,
            leader_imbalance_for: Dur::secs(600),
            reassignment_stuck_after: Dur::secs(1800),
            disk_used_percent: 85.0,
            disk_used_critical_percent: 95.0,
            disk_full_within: Dur::secs(6 * 3600),
            disk_space_for: Dur::secs(60),
            follower_lag_threshold: 10_000.0,
            follower_lag_for: Dur::secs(60),
            consumer_lag_for: Dur::secs(0),
            lag: LagConfig::default(),
        }
    }
}

impl RulesConfig {
    /// Checks values serde cannot: ranges. `path` is the section's key
    /// path (usually `rules`).
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        if self.broker_unreachable_spells < 2 {
            problems.push(
                format!("{path}.broker_unreachable_spells"),
                format!(
                    "must be at least 2 (one spell is broker_unreachable_for's to judge), found {}",
                    self.broker_unreachable_spells
                ),
            );
        }
        if self.broker_unreachable_window.0.is_zero() {
            problems.push(
                format!("{path}.broker_unreachable_window"),
                "must be longer than 0s",
            );
        }
        if self.controller_changes == 0 {
            problems.push(format!("{path}.controller_changes"), "must be at least 1");
        }
        if self.controller_window.0.is_zero() {
            problems.push(
                format!("{path}.controller_window"),
                "must be longer than 0s",
            );
        }
        if self.isr_churn_threshold == 0 {
            problems.push(format!("{path}.isr_churn_threshold"), "must be at least 1");
        }
        if self.isr_churn_window.0.is_zero() {
            problems.push(format!("{path}.isr_churn_window"), "must be longer than 0s");
        }
        for (key, v) in [
            (
                "leader_imbalance_broker_percent",
                self.leader_imbalance_broker_percent,
            ),
            (
                "leader_imbalance_cluster_percent",
                self.leader_imbalance_cluster_percent,
            ),
            ("follower_lag_threshold", self.follower_lag_threshold),
        ] {
            if !v.is_finite() || v < 0.0 {
                problems.push(
                    format!("{path}.{key}"),
                    format!("must be a number ≥ 0, found {v}"),
                );
            }
        }
        for (key, v) in [
            ("disk_used_percent", self.disk_used_percent),
            (
                "disk_used_critical_percent",
                self.disk_used_critical_percent,
            ),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                problems.push(
                    format!("{path}.{key}"),
                    format!("must be a percentage above 0 and at most 100, found {v}"),
                );
            }
        }
        if self.disk_used_critical_percent < self.disk_used_percent {
            problems.push(
                format!("{path}.disk_used_critical_percent"),
                format!(
                    "must be at least disk_used_percent ({}), found {}",
                    self.disk_used_percent, self.disk_used_critical_percent
                ),
            );
        }
        self.lag.validate(&format!("{path}.lag"), problems);
    }

    /// Whether the rule that raises `kind` is enabled.
    pub fn enabled(&self, kind: FindingKind) -> bool {
        !self.disabled.contains(&kind)
    }

    /// The `for` duration of a finding kind (zero for kinds without one).
    pub fn for_duration(&self, kind: FindingKind) -> std::time::Duration {
        let d = match kind {
            FindingKind::ClusterUnreachable => self.cluster_unreachable_for,
            FindingKind::BrokerDown => self.broker_down_for,
            FindingKind::BrokerUnreachable => self.broker_unreachable_for,
            FindingKind::NoController => self.no_controller_for,
            FindingKind::PartitionOffline => self.partition_offline_for,
            FindingKind::UnderMinIsr => self.under_min_isr_for,
            FindingKind::AtMinIsr => self.at_min_isr_for,
            FindingKind::UnderReplicated => self.under_replicated_for,
            FindingKind::LeaderImbalance => self.leader_imbalance_for,
            FindingKind::FollowerLag => self.follower_lag_for,
            FindingKind::DiskSpace => self.disk_space_for,
            FindingKind::ConsumerLag => self.consumer_lag_for,
            FindingKind::ControllerUnstable
            | FindingKind::IsrChurn
            | FindingKind::UncleanElection
            | FindingKind::UnreadDataDeleted
            | FindingKind::ReassignmentInProgress
            | FindingKind::QuorumLag
            | FindingKind::QuorumDegraded
            | FindingKind::Anomaly => Dur::secs(0),
        };
        d.0
    }
}

/// The `[rules.lag]` table: consumer group lag status (Burrow's model).
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LagConfig {
    /// Distinct observations (committed offset, end offset) kept per
    /// partition; WARN and ERR need a full window. Default 10.
    pub window: usize,
    /// STOP: committed offset unchanged for longer than this while lag > 0
    /// and the group has no members. Default `5m`.
    pub stop_after: Dur,
    /// STALL: committed offset unchanged for longer than this while lag > 0
    /// and the group has members. Default `5m`.
    pub stall_after: Dur,
    /// REWIND: reported for this long after a committed offset went back
    /// (unless the partition is caught up), whatever the poll interval, so
    /// that it outlasts the incident pending delay. Default `5m`.
    pub rewind_for: Dur,
    /// STALL/STOP from each group's own commit cadence: once the tracker
    /// has seen a few commit intervals of a group that had lag throughout
    /// (see `evaluate::lag`), a partition with lag whose committed offset
    /// has not moved for this many of its commit intervals is STALL
    /// (members; `stall_after` no longer applies, so a group committing
    /// less often than it is not STALL between commits) or STOP (none;
    /// `stop_after` still applies too). Until the cadence is learnt, a
    /// group that has committed since first seen, with lag throughout
    /// since, is STALL after this many times the longer of `stall_after`
    /// and its longest gap seen; otherwise `stall_after` / `stop_after`
    /// apply. `0` turns it off. Default 2.
    pub stall_commit_intervals: u32,
    /// A partition whose lag is at most this is caught up (raise to 1 or 2
    /// for transactional producers, whose commit markers leave a lag of a
    /// few offsets behind a caught-up consumer). Default 0.
    pub caught_up_lag: i64,
    /// ERR: over a full window in which lag grew at every step, the
    /// consumer advanced by less than this fraction of what was produced.
    /// Default 0.5.
    pub err_consume_ratio: f64,
    /// WARN: likewise, the consumer advanced by less than this fraction of
    /// what was produced, i.e. the lag grew by more than a tenth of the
    /// production (default 0.9). A consumer keeping up, whose small lag
    /// only wobbles (often by equal steps, which "never decreased" lets
    /// through), is not WARN; one that truly falls behind is. Not below
    /// `err_consume_ratio`.
    pub warn_consume_ratio: f64,
    /// ERR and WARN wait this long while the consumer keeps at least its
    /// usual pace (its consumption rate over the last `6 × absorb_for`,
    /// known once it has been watched `absorb_for`): lag that grows only
    /// because producers sent more (a batch job, a replay) is a consumer
    /// working through a burst, not one falling behind; past it, such a
    /// consumer is a warning only once it is also this far behind the
    /// producers in time (lag in seconds). A consumer slower
    /// than usual is judged at once; lag that keeps growing this long is
    /// judged whatever the pace. A consumer whose lag rose at every commit
    /// sampled each half of it, over twice it, is WARN once it is this far
    /// behind, however little it loses per window (a slow creep). `0s`:
    /// judged at once (Burrow), and no creep rule. Default `10m`.
    pub absorb_for: Dur,
    /// Severity of a group in ERR. Default `critical`.
    pub err_severity: Severity,
    /// Severity of a group in STOP. Default `critical`.
    pub stop_severity: Severity,
    /// Severity of a group in STALL. Default `critical`.
    pub stall_severity: Severity,
    /// Severity of a group in REWIND. Default `warning`.
    pub rewind_severity: Severity,
}

impl Default for LagConfig {
    fn default() -> Self {
        LagConfig {
            window: 10,
            stop_after: Dur::secs(300),
            stall_after: Dur::secs(300),
            rewind_for: Dur::secs(300),
            stall_commit_intervals: 2,
            caught_up_lag: 0,
            err_consume_ratio: 0.5,
            warn_consume_ratio: 0.9,
            absorb_for: Dur::secs(600),
            err_severity: Severity::Critical,
            stop_severity: Severity::Critical,
            stall_severity: Severity::Critical,
            rewind_severity: Severity::Warning,
        }
    }
}

impl LagConfig {
    /// The severity of a group in `status` (`warning` for WARN and OK).
    pub fn severity(&self, status: super::LagStatus) -> Severity {
        use super::LagStatus::*;
        match status {
            Ok | Warn => Severity::Warning,
            Err => self.err_severity,
            Stop => self.stop_severity,
            Stall => self.stall_severity,
            Rewind => self.rewind_severity,
        }
    }

    /// Checks ranges. `path` is the table's key path (usually `rules.lag`).
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        if !(2..=1000).contains(&self.window) {
            problems.push(
                format!("{path}.window"),
                format!("must be between 2 and 1000, found {}", self.window),
            );
        }
        if self.rewind_for.0.is_zero() {
            problems.push(format!("{path}.rewind_for"), "must be longer than 0s");
        }
        if self.stall_commit_intervals > 100 {
            problems.push(
                format!("{path}.stall_commit_intervals"),
                format!(
                    "must be between 0 (off) and 100, found {}",
                    self.stall_commit_intervals
                ),
            );
        }
        if self.caught_up_lag < 0 {
            problems.push(
                format!("{path}.caught_up_lag"),
                format!("must be ≥ 0, found {}", self.caught_up_lag),
            );
        }
        if !(self.err_consume_ratio > 0.0 && self.err_consume_ratio <= 1.0) {
            problems.push(
                format!("{path}.err_consume_ratio"),
                format!(
                    "must be a fraction in (0, 1], found {}",
                    self.err_consume_ratio
                ),
            );
        }
        if !(self.warn_consume_ratio >= self.err_consume_ratio && self.warn_consume_ratio <= 1.0) {
            problems.push(
                format!("{path}.warn_consume_ratio"),
                format!(
                    "must be a fraction in [err_consume_ratio ({}), 1], found {}",
                    self.err_consume_ratio, self.warn_consume_ratio
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_gives_defaults() {
        let c: RulesConfig = toml::from_str("").unwrap();
        assert_eq!(c, RulesConfig::default());
        let mut p = Problems::default();
        c.validate("rules", &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn keys_parse_with_durations_and_severities() {
        let c: RulesConfig = toml::from_str(
            r#"
            disabled = ["leader_imbalance"]
            under_replicated_for = "30s"
            [lag]
            window = 5
            stop_after = "2m"
            err_severity = "warning"
            "#,
        )
        .unwrap();
        assert!(!c.enabled(FindingKind::LeaderImbalance));
        assert!(c.enabled(FindingKind::BrokerDown));
        assert_eq!(
            c.for_duration(FindingKind::UnderReplicated),
            std::time::Duration::from_secs(30)
        );
        assert_eq!(c.lag.window, 5);
        assert_eq!(c.lag.err_severity, Severity::Warning);
    }

    #[test]
    fn disabled_rules_are_finding_kinds_and_an_unknown_name_says_which() {
        let c: RulesConfig = toml::from_str("disabled = [\"quorum_lag\"]").unwrap();
        assert_eq!(c.disabled, [FindingKind::QuorumLag]);
        let text = "[[clusters]]\nname = \"a\"\nbootstrap = [\"k:9092\"]\n[rules]\ndisabled = [\"broker_down\", \"nope\"]\n";
        let p = crate::config::parse(text, "c.toml")
            .unwrap_err()
            .to_string();
        assert!(p.contains("rules.disabled[1]"), "{p}");
        assert!(
            p.contains("unknown value \"nope\"; expected one of cluster_unreachable, broker_down,"),
            "{p}"
        );
    }

    #[test]
    fn unknown_key_is_rejected() {
        let e = toml::from_str::<RulesConfig>("under_replicated_fro = \"1s\"").unwrap_err();
        assert!(e.to_string().contains("under_replicated_fro"), "{e}");
    }

    #[test]
    fn validate_lists_every_problem_with_its_path() {
        let mut c = RulesConfig {
            controller_changes: 0,
            leader_imbalance_broker_percent: -1.0,
            ..Default::default()
        };
        c.lag.window = 1;
        c.lag.err_consume_ratio = 0.0;
        let mut p = Problems::default();
        c.validate("rules", &mut p);
        let paths: Vec<&str> = p.0.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "rules.controller_changes",
                "rules.leader_imbalance_broker_percent",
                "rules.lag.window",
                "rules.lag.err_consume_ratio"
            ]
        );
    }
}
