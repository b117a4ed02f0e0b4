//! Time scaling of a whole configuration: `isrwatch demo --speed N` runs
//! the simulated cluster N times faster than its scenario is written, so
//! the daemon watching it must run its clock N times faster too, or a
//! 50-second fault would be over long before a 30-second pending delay.
//!
//! [`Config::time_scaled`] multiplies every time constant of the poll
//! cycle, the rules and the incident lifecycle by one factor. Each section
//! is taken apart field by field (no `..`), so adding a field to one of
//! them does not compile until it is scaled or kept here on purpose; a
//! test also checks that every [`Dur`] of the scaled sections changes.
//!
//! Kept as they are: deadlines of real network calls (`[http]`,
//! `[[notifiers]]`, `[llm]`), the Alertmanager `resolve_timeout` (read by
//! Alertmanager's own clock), `[daemon] shutdown_timeout`, silences and
//! maintenance windows (wall-clock calendars), and everything counted
//! rather than timed (lag `window`, flap threshold, cooldown points).

use std::time::Duration;

use super::{ClusterConfig, Config, Dur, SidecarConfig};
use crate::evaluate::{LagConfig, RulesConfig};
use crate::incident::IncidentConfig;

/// A time-scaling factor: simulated seconds become `factor` seconds.
#[derive(Debug, Clone, Copy)]
struct Scale(f64);

impl Scale {
    /// `d × factor`. Zero stays zero (it means "at once" or "never"); any
    /// other duration stays at least 1 ms so that it keeps its meaning;
    /// an overflow saturates.
    fn dur(self, d: Dur) -> Dur {
        if d.0.is_zero() {
            return d;
        }
        let scaled =
            Duration::try_from_secs_f64(d.0.as_secs_f64() * self.0).unwrap_or(Duration::MAX);
        Dur(scaled.max(Duration::from_millis(1)))
    }
}

impl Config {
    /// This configuration with its time constants multiplied by `factor`
    /// (`1.0 / speed` for a scenario run `speed` times faster): the poll
    /// cycle of every cluster (interval, timeouts, config refresh, lag
    /// history), every duration in `[rules]` and `[rules.lag]`, and the
    /// incident lifecycle in `[incidents]` (pending delays, resolve hold,
    /// reminders, flap window and quiet time, retention). What is kept is
    /// listed in the module documentation.
    ///
    /// The error names the factor when it is not a positive finite number.
    pub fn time_scaled(&self, factor: f64) -> Result<Config, String> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(format!(
                "the time scale factor must be a positive number, found {factor}"
            ));
        }
        let s = Scale(factor);
        let Config {
            clusters,
            http,
            rules,
            anomaly,
            incidents,
            notifiers,
            llm,
            daemon,
        } = self;
        Ok(Config {
            clusters: clusters.iter().map(|c| scale_cluster(s, c)).collect(),
            rules: scale_rules(s, rules),
            incidents: scale_incidents(s, incidents),
            // Network deadlines, the detector (counted in points), the
            // process: kept.
            http: http.clone(),
            anomaly: anomaly.clone(),
            notifiers: notifiers.clone(),
            llm: llm.clone(),
            daemon: daemon.clone(),
        })
    }
}

/// The whole poll cycle scales, so `request_timeout ≤ poll_timeout ≤
/// poll_interval ≤ lag_history` still hold.
fn scale_cluster(s: Scale, c: &ClusterConfig) -> ClusterConfig {
    let ClusterConfig {
        name,
        bootstrap,
        poll_interval,
        poll_timeout,
        request_timeout,
        config_refresh,
        min_insync_replicas,
        lag_history,
        forget_broker_after,
        topics,
        groups,
        direct_requests,
        properties,
        sidecar,
    } = c;
    ClusterConfig {
        name: name.clone(),
        bootstrap: bootstrap.clone(),
        poll_interval: s.dur(*poll_interval),
        poll_timeout: s.dur(*poll_timeout),
        request_timeout: s.dur(*request_timeout),
        config_refresh: s.dur(*config_refresh),
        min_insync_replicas: *min_insync_replicas,
        lag_history: s.dur(*lag_history),
        forget_broker_after: s.dur(*forget_broker_after),
        topics: topics.clone(),
        groups: groups.clone(),
        direct_requests: *direct_requests,
        properties: properties.clone(),
        sidecar: sidecar.as_ref().map(|sc| {
            let SidecarConfig {
                url,
                broker,
                scope_to_broker,
                timeout,
            } = sc;
            SidecarConfig {
                url: url.clone(),
                broker: *broker,
                scope_to_broker: *scope_to_broker,
                timeout: s.dur(*timeout),
            }
        }),
    }
}

fn scale_rules(s: Scale, r: &RulesConfig) -> RulesConfig {
    let RulesConfig {
        disabled,
        cluster_unreachable_for,
        broker_down_for,
        broker_unreachable_for,
        broker_unreachable_spells,
        broker_unreachable_window,
        no_controller_for,
        controller_changes,
        controller_window,
        quorum_lag_for,
        quorum_lag_offsets,
        partition_offline_for,
        under_min_isr_for,
        at_min_isr_for,
        at_min_isr_when_fully_replicated,
        under_replicated_for,
        unclean_election_hold,
        unread_data_deleted_hold,
        isr_churn_threshold,
        isr_churn_window,
        leader_imbalance_broker_percent,
        leader_imbalance_cluster_percent,
        leader_imbalance_for,
        reassignment_stuck_after,
        disk_used_percent,
        disk_used_critical_percent,
        disk_full_within,
        disk_space_for,
        follower_lag_threshold,
        follower_lag_for,
        consumer_lag_for,
        lag,
    } = r;
    RulesConfig {
        disabled: disabled.clone(),
        cluster_unreachable_for: s.dur(*cluster_unreachable_for),
        broker_down_for: s.dur(*broker_down_for),
        broker_unreachable_for: s.dur(*broker_unreachable_for),
        broker_unreachable_spells: *broker_unreachable_spells,
        broker_unreachable_window: s.dur(*broker_unreachable_window),
        no_controller_for: s.dur(*no_controller_for),
        controller_changes: *controller_changes,
        controller_window: s.dur(*controller_window),
        quorum_lag_for: s.dur(*quorum_lag_for),
        quorum_lag_offsets: *quorum_lag_offsets,
        partition_offline_for: s.dur(*partition_offline_for),
        under_min_isr_for: s.dur(*under_min_isr_for),
        at_min_isr_for: s.dur(*at_min_isr_for),
        at_min_isr_when_fully_replicated: *at_min_isr_when_fully_replicated,
        under_replicated_for: s.dur(*under_replicated_for),
        unclean_election_hold: s.dur(*unclean_election_hold),
        unread_data_deleted_hold: s.dur(*unread_data_deleted_hold),
        isr_churn_threshold: *isr_churn_threshold,
        isr_churn_window: s.dur(*isr_churn_window),
        leader_imbalance_broker_percent: *leader_imbalance_broker_percent,
        leader_imbalance_cluster_percent: *leader_imbalance_cluster_percent,
        leader_imbalance_for: s.dur(*leader_imbalance_for),
        reassignment_stuck_after: s.dur(*reassignment_stuck_after),
        disk_used_percent: *disk_used_percent,
        disk_used_critical_percent: *disk_used_critical_percent,
        disk_full_within: s.dur(*disk_full_within),
        disk_space_for: s.dur(*disk_space_for),
        follower_lag_threshold: *follower_lag_threshold,
        follower_lag_for: s.dur(*follower_lag_for),
        consumer_lag_for: s.dur(*consumer_lag_for),
        lag: scale_lag(s, lag),
    }
}

fn scale_lag(s: Scale, l: &LagConfig) -> LagConfig {
    let LagConfig {
        window,
        stop_after,
        stall_after,
        rewind_for,
        stall_commit_intervals,
        caught_up_lag,
        err_consume_ratio,
        warn_consume_ratio,
        absorb_for,
        err_severity,
        stop_severity,
        stall_severity,
        rewind_severity,
    } = l;
    LagConfig {
        window: *window,
        stop_after: s.dur(*stop_after),
        stall_after: s.dur(*stall_after),
        rewind_for: s.dur(*rewind_for),
        stall_commit_intervals: *stall_commit_intervals,
        caught_up_lag: *caught_up_lag,
        err_consume_ratio: *err_consume_ratio,
        warn_consume_ratio: *warn_consume_ratio,
        absorb_for: s.dur(*absorb_for),
        err_severity: *err_severity,
        stop_severity: *stop_severity,
        stall_severity: *stall_severity,
        rewind_severity: *rewind_severity,
    }
}

fn scale_incidents(s: Scale, i: &IncidentConfig) -> IncidentConfig {
    let IncidentConfig {
        for_critical,
        for_warning,
        for_info,
        for_kind,
        resolve_after,
        renotify_interval,
        flap_window,
        flap_threshold,
        flap_quiet,
        retain_resolved,
        max_resolved,
        max_listed,
        silences,
        maintenance,
        broker_recovery_hold,
        de_escalate_after,
    } = i;
    IncidentConfig {
        for_critical: s.dur(*for_critical),
        for_warning: s.dur(*for_warning),
        for_info: s.dur(*for_info),
        for_kind: for_kind.iter().map(|(k, d)| (*k, s.dur(*d))).collect(),
        resolve_after: s.dur(*resolve_after),
        renotify_interval: s.dur(*renotify_interval),
        flap_window: s.dur(*flap_window),
        flap_threshold: *flap_threshold,
        flap_quiet: s.dur(*flap_quiet),
        retain_resolved: s.dur(*retain_resolved),
        max_resolved: *max_resolved,
        max_listed: *max_listed,
        broker_recovery_hold: s.dur(*broker_recovery_hold),
        de_escalate_after: s.dur(*de_escalate_after),
        // Calendars: a silence or a maintenance window is wall-clock time.
        silences: silences.clone(),
        maintenance: maintenance.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingKind;

    /// Every `Dur(...)` in a value's `Debug` text, in order.
    fn durs(debug: &str) -> Vec<&str> {
        debug
            .split("Dur(")
            .skip(1)
            .map(|rest| rest.split(')').next().unwrap_or(""))
            .collect()
    }

    /// The example configuration with no zero duration (a zero stays
    /// zero, so it could not show whether its field was scaled) and a
    /// per-kind pending delay.
    fn every_duration_set() -> Config {
        let text = super::super::example().replace("\"0s\"", "\"7s\"");
        let mut c = super::super::parse(&text, "example").expect("example parses");
        c.incidents
            .for_kind
            .insert(FindingKind::UnderReplicated, Dur::secs(120));
        c
    }

    #[test]
    fn every_duration_of_the_scaled_sections_is_scaled() {
        let c = every_duration_set();
        let half = c.time_scaled(0.5).unwrap();
        for (section, before, after) in [
            (
                "clusters",
                format!("{:?}", c.clusters),
                format!("{:?}", half.clusters),
            ),
            (
                "rules",
                format!("{:?}", c.rules),
                format!("{:?}", half.rules),
            ),
            (
                "incidents",
                format!("{:?}", c.incidents),
                format!("{:?}", half.incidents),
            ),
        ] {
            let (b, a) = (durs(&before), durs(&after));
            assert!(!b.is_empty(), "{section}: no duration found in {before}");
            assert_eq!(b.len(), a.len(), "{section}");
            for (x, y) in b.iter().zip(&a) {
                assert_ne!(*x, "0ns", "{section}: a zero duration in the test config");
                assert_ne!(x, y, "{section}: a duration was not scaled: {before}");
            }
        }
        assert_eq!(half.rules.lag.stall_after, Dur::secs(150));
        assert_eq!(half.incidents.for_warning, Dur::secs(15));
        assert_eq!(
            half.clusters[0].poll_interval,
            Dur(Duration::from_millis(7500))
        );
        assert_eq!(
            half.incidents.for_kind[&FindingKind::UnderReplicated],
            Dur::secs(60)
        );
        assert!(half.validate().is_empty(), "{}", half.validate());
    }

    #[test]
    fn network_deadlines_and_counts_are_kept() {
        let c = every_duration_set();
        let fast = c.time_scaled(1.0 / 30.0).unwrap();
        assert_eq!(fast.http, c.http);
        assert_eq!(fast.anomaly, c.anomaly);
        assert_eq!(fast.notifiers, c.notifiers);
        assert_eq!(fast.llm, c.llm);
        assert_eq!(fast.daemon, c.daemon);
        assert_eq!(fast.rules.lag.window, c.rules.lag.window);
        assert_eq!(fast.incidents.flap_threshold, c.incidents.flap_threshold);
        assert_eq!(fast.rules.lag.stop_after, Dur::secs(10));
    }

    #[test]
    fn zero_stays_zero_and_a_bad_factor_is_an_error() {
        let c = Config::default();
        let fast = c.time_scaled(1e-9).unwrap();
        assert_eq!(fast.incidents.for_critical, Dur::secs(0));
        assert_eq!(fast.incidents.for_warning, Dur::millis(1));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = c.time_scaled(bad).unwrap_err();
            assert!(e.contains("time scale factor"), "{e}");
        }
        let slow = c.time_scaled(f64::MAX).unwrap();
        assert_eq!(slow.incidents.flap_window, Dur(Duration::MAX));
    }
}
