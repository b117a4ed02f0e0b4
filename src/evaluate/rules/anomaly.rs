//! Anomaly scores of the watched series, and the `anomaly` findings held
//! while a series stays out of its expected range.

use std::collections::{BTreeSet, HashSet};

use super::memory::*;
use super::RuleEvaluator;
use crate::detect::family::Family;
use crate::evaluate::lag::elapsed;
use crate::evaluate::scorer::Series;
use crate::finding::{AnomalyScore, Finding, FindingKind, Label, Metric, Severity, Subject};
use crate::snapshot::{BrokerId, ClusterSnapshot, GroupInfo, IsrChangeKind, Time};

/// How far above its family's smallest effect the whole range expected of
/// a series must lie for a fall below that effect to be a stop by itself.
const STOP_RANGE_FACTOR: f64 = 5.0;

/// A stop judged on the range expected, not on the detector's memory: a
/// series whose fault is a fall to zero (a topic's producers) falls below
/// its family's smallest effect (1 message/s) while the detector expected
/// it well above that. A detector that once saw the topic stop (its lowest
/// value is 0, its rarity histogram holds the drop) finds a second stop
/// nothing new, yet producers stopping again is the same fault as the
/// first time: only a topic's first stop was raised.
fn stopped_from_range(s: &AnomalyScore, family: Family) -> bool {
    family.fault_is_a_fall()
        && s.observed < family.min_effect()
        && s.expected_low >= STOP_RANGE_FACTOR * family.min_effect()
}

/// A fingerprint of the cluster's partitions and their preferred leaders
/// (the first assigned replica), whatever the order of the topics.
fn preferred_layout(snap: &ClusterSnapshot) -> u64 {
    use std::hash::{Hash, Hasher};
    snap.topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (&t.name, p)))
        .map(|(name, p)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (name, p.partition, p.replicas.first()).hash(&mut h);
            h.finish()
        })
        .fold(0u64, u64::wrapping_add)
}

impl RuleEvaluator {
    /// Feeds every series to the scorer; returns all scores, each with its
    /// series.
    pub(super) fn score_series(
        &mut self,
        snap: &ClusterSnapshot,
        groups: Option<&[&GroupInfo]>,
    ) -> Vec<(AnomalyScore, Series)> {
        let t = snap.taken_at.timestamp();
        let c = snap.counts();
        let shrinks = snap
            .isr_changes
            .iter()
            .filter(|x| x.kind == IsrChangeKind::Shrink)
            .count();
        let mut points: Vec<(Series, f64)> = vec![
            (Series::UnderReplicated, c.under_replicated as f64),
            (Series::UnderMinIsr, c.under_min_isr as f64),
            (Series::Offline, c.offline as f64),
            (Series::IsrShrinks, shrinks as f64),
            (Series::PollDuration, snap.poll_duration.as_secs_f64()),
        ];

        // Groups: total lag and its growth per second.
        if let Some(groups) = groups {
            let names: HashSet<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            let gone: Vec<String> = self
                .prev_group_lag
                .keys()
                .filter(|k| !names.contains(k.as_str()))
                .cloned()
                .collect();
            for g in gone {
                self.scorer.forget(&Series::GroupLag(g.clone()).name());
                self.scorer
                    .forget(&Series::GroupLagGrowth(g.clone()).name());
                self.prev_group_lag.remove(&g);
            }
            for g in groups {
                let lag = g.total_lag();
                points.push((Series::GroupLag(g.name.clone()), lag as f64));
                if let Some((t0, l0)) = self.prev_group_lag.get(&g.name) {
                    let dt = (snap.taken_at - *t0).as_seconds_f64();
                    if dt > 0.0 {
                        points.push((
                            Series::GroupLagGrowth(g.name.clone()),
                            (lag - l0) as f64 / dt,
                        ));
                    }
                }
                self.prev_group_lag
                    .insert(g.name.clone(), (snap.taken_at, lag));
            }
        }

        // Topics: produce rate from end-offset deltas.
        let names: HashSet<&str> = snap.topics.iter().map(|t| t.name.as_str()).collect();
        let gone: Vec<String> = self
            .prev_topic_end
            .keys()
            .filter(|k| !names.contains(k.as_str()))
            .cloned()
            .collect();
        for topic in gone {
            let series = Series::ProduceRate(topic.clone());
            let name = series.name();
            // A topic deleted while its fall is raised: its producers are
            // gone with it (an application retired), and a topic created
            // again under the name starts afresh.
            if let Some(h) = self.held_anomalies.remove(&name).filter(|h| h.raised) {
                self.deleted_while_raised.push((series, h.alert));
            }
            self.stopped_hours.remove(&name);
            self.usual_rates.remove(&name);
            self.scorer.forget(&name);
            self.prev_topic_end.remove(&topic);
        }
        // Like with like: a point only when the same partitions' end
        // offsets are known at both polls (by id, not by count) and none
        // moved back. Unscaled: producers route around a leader they cannot
        // reach, so the readable partitions carry the topic's traffic, and a
        // real stop still shows as all of them standing still. A change of
        // the set read (a leader clients cannot reach, a fetch that failed
        // for some partitions, a partition added) skips the poll that sees
        // it, in and out: the rate of one set compared with another's is
        // neither the topic's rate nor a change of it. A partition whose
        // leader moved keeps its log, so its offsets carry on; one whose end
        // moved back (log truncated after an unclean election, topic
        // recreated) tells nothing of what was written to it meanwhile, and
        // subtracted would hide the other partitions' traffic.
        for topic in &snap.topics {
            let mut ends: Vec<(i32, i64)> = topic
                .partitions
                .iter()
                .filter_map(|p| Some((p.partition, p.high_watermark?)))
                .collect();
            ends.sort_unstable_by_key(|(p, _)| *p); // already sorted in a poll's snapshot
            if ends.is_empty() {
                continue; // offsets not fetched this poll: keep the previous point
            }
            if let Some((t0, before)) = self.prev_topic_end.get(&topic.name) {
                let dt = (snap.taken_at - *t0).as_seconds_f64();
                let same = before.len() == ends.len()
                    && before
                        .iter()
                        .zip(&ends)
                        .all(|(b, e)| b.0 == e.0 && b.1 <= e.1);
                if same && dt > 0.0 {
                    let appended: i64 = before.iter().zip(&ends).map(|(b, e)| e.1 - b.1).sum();
                    points.push((
                        Series::ProduceRate(topic.name.clone()),
                        appended as f64 / dt,
                    ));
                }
            }
            self.prev_topic_end
                .insert(topic.name.clone(), (snap.taken_at, ends));
        }

        // Brokers: share of online partitions led.
        let online = c.total - c.offline;
        let live: BTreeSet<BrokerId> = snap.brokers.iter().map(|b| b.id).collect();
        let gone: Vec<BrokerId> = self
            .scored_brokers
            .iter()
            .copied()
            .filter(|b| !live.contains(b) && !snap.missing_brokers.contains(b))
            .collect();
        for b in gone {
            self.scorer.forget(&Series::LeaderShare(b).name());
            self.scored_brokers.remove(&b);
        }
        // A new layout of preferred leaders (a topic created, deleted or
        // grown, a reassignment) moves every broker's share by design:
        // each share is learnt afresh. Deleting one topic of a 6-broker
        // cluster moved two brokers' shares from 0.17 to 0.11, an
        // anomaly warning for 15 minutes (hunt 18).
        let layout = preferred_layout(snap);
        if self.leader_layout.is_some_and(|l| l != layout) {
            for b in &self.scored_brokers {
                self.scorer.forget(&Series::LeaderShare(*b).name());
            }
        }
        self.leader_layout = Some(layout);
        if online > 0 {
            for (b, led) in snap.leader_counts() {
                if !live.contains(&b) {
                    continue;
                }
                self.scored_brokers.insert(b);
                points.push((Series::LeaderShare(b), led as f64 / online as f64));
            }
        }

        points
            .into_iter()
            .filter_map(|(series, v)| self.scorer.score(&series.name(), t, v).map(|s| (s, series)))
            .collect()
    }

    /// Whether an anomaly of `series` is a fall to be held through a
    /// replication disturbance rather than dropped with it: a produce rate
    /// below its range (or a fall already held). Producers wait a few polls
    /// for new leaders, which the disturbance explains; but producers that
    /// stopped before it, or stay stopped after it, are a fault of their
    /// own (a crash that takes a broker and the producers with it, a stop
    /// that a later broker fault must not resolve).
    pub(super) fn fall_outlasting_replication(&self, s: &AnomalyScore, series: &Series) -> bool {
        Family::of_series(series).fault_is_a_fall()
            && match self.held_anomalies.get(&s.series) {
                Some(h) => h.alert.observed < h.alert.expected_low,
                None => s.observed < s.expected_low,
            }
    }

    /// The anomaly this score is part of, if any: an alert (score at the
    /// threshold), or a held alert whose series is still outside the range
    /// expected before it (see [`HeldAnomaly`]).
    pub(super) fn anomaly_event(
        &mut self,
        s: &AnomalyScore,
        series: &Series,
        now: Time,
    ) -> Option<AnomalyScore> {
        let family = Family::of_series(series);
        // A held stop whose series moves again: what follows is its return
        // (which may itself score, against a detector that learnt the
        // silence).
        if let Some(h) = self.held_anomalies.get_mut(&s.series) {
            if h.stopped && h.stop_below.is_some_and(|b| s.observed >= b) {
                self.resumed.insert(s.series.clone(), now);
                h.stopped = false;
                h.stop_below = None;
                // Its return, not a fall held below the usual rate: the
                // first poll back may hold a second of traffic.
                h.fall = false;
            }
        }
        // A produce rate's usual level at this hour (the hours of a held
        // fall are not its usual); a held fall below it stays held.
        if family.fault_is_a_fall() {
            let t = now.timestamp();
            let held = self.held_anomalies.get(&s.series).is_some_and(|h| h.fall);
            let usual = match self.usual_rates.get_mut(&s.series) {
                Some(u) => u,
                None => self.usual_rates.entry(s.series.clone()).or_default(),
            };
            usual.record(t, s.observed, held);
            let usual = usual.at(t);
            // Unknown at this hour (the first day, or after a restart:
            // the hourly rates are not saved), the last verdict stands.
            if let (Some(h), Some(u)) = (
                self.held_anomalies.get_mut(&s.series).filter(|h| h.fall),
                usual,
            ) {
                h.below_usual = s.observed < USUAL_SHARE * u;
            }
        }
        // A series still out where a held alert left it is that alert going
        // on, whatever it scores now: a detector that has learnt a long
        // stop may score the silence again on another signal (its calm),
        // against a range that now holds zero; taken as a new alert, that
        // range let the stop resolve while producers were still stopped.
        let continues = self
            .held_anomalies
            .get(&s.series)
            .is_some_and(|h| h.alive(now) && h.outside(s.observed));
        // A fall told that is over (the rate back in the range expected
        // before it): its return is no news (see `RESUME_GRACE`), whatever
        // the detector, having learnt the low level, scores it.
        if !continues
            && self
                .held_anomalies
                .get(&s.series)
                .is_some_and(|h| h.fall && h.raised && !h.outside(s.observed))
        {
            self.resumed.insert(s.series.clone(), now);
        }
        let threshold = self.scorer.threshold();
        let scored = s.score >= threshold;
        let mut stopped = stopped_from_range(s, family);
        if family.fault_is_a_fall() {
            let t = now.timestamp();
            let below = s.observed < family.min_effect();
            let hours = match self.stopped_hours.get_mut(&s.series) {
                Some(h) => h,
                None => self.stopped_hours.entry(s.series.clone()).or_default(),
            };
            let moved_again = hours.record(t, below);
            let usual = hours.usual_at(t);
            stopped &= !usual;
            // Its habitual return is no news either (see `RESUME_GRACE`).
            if moved_again && usual {
                self.resumed.insert(s.series.clone(), now);
            }
            // A habitual stop that outlasts its hours: raised as a stop
            // from then on, against the line it fell below (the range the
            // detector expects now holds the silence).
            if hours.overran(t) && !continues && !self.held_anomalies.contains_key(&s.series) {
                let since = hours
                    .since()
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
                let alert = AnomalyScore {
                    score: threshold,
                    expected_low: family.min_effect(),
                    expected_high: s.expected_high.max(family.min_effect()),
                    since,
                    explanation: format!(
                        "observed {:.4}, stopped since {} UTC, past the hours it is usually quiet",
                        s.observed,
                        since.map_or_else(String::new, |t| t.format("%H:%M").to_string())
                    ),
                    ..s.clone()
                };
                self.held_anomalies.insert(
                    s.series.clone(),
                    HeldAnomaly::new(alert.clone(), now, Some(family.min_effect()), false),
                );
                return Some(alert);
            }
        }
        if (scored || stopped) && !continues {
            // Traffic resuming after a stop, with or without a backlog.
            let resuming = self
                .resumed
                .get(&s.series)
                .is_some_and(|at| elapsed(*at, now) <= RESUME_GRACE);
            // While it resumes, the series' level is the return's, whatever
            // it scores: the first poll may hold a second of traffic (1.4
            // messages/s of a topic's 100), a low point scored inside the
            // range (hunt 13, W2). Falling silent again is still a stop.
            if resuming && (s.observed > s.expected_high || s.observed >= family.min_effect()) {
                return None;
            }
            let falling = s.observed < s.expected_low;
            let stop_below = (family.fault_is_a_fall() && falling).then(|| family.min_effect());
            let alert = if scored {
                s.clone()
            } else {
                AnomalyScore {
                    score: threshold,
                    explanation: format!(
                        "{}; stopped: below {} where the range expected lies wholly above {}",
                        s.explanation,
                        family.min_effect(),
                        STOP_RANGE_FACTOR * family.min_effect()
                    ),
                    ..s.clone()
                }
            };
            self.held_anomalies.insert(
                s.series.clone(),
                HeldAnomaly::new(alert.clone(), now, stop_below, !scored),
            );
            return scored.then_some(alert);
        }
        let h = self.held_anomalies.get_mut(&s.series)?;
        // Held while the series stays out on the side it left by (a dip
        // after a spike is not a fall that continues it, which incident
        // grouping would file under another key: falling produce rates).
        let outside = h.outside(s.observed);
        h.stopped |= h.stop_below.is_some_and(|b| s.observed < b);
        h.last = now;
        if !outside || !h.alive(now) {
            // A fall told whose hold ended below the range: what follows
            // is its return, as above.
            if h.fall && h.raised {
                self.resumed.insert(s.series.clone(), now);
            }
            self.held_anomalies.remove(&s.series);
            return None;
        }
        if h.from_range && elapsed(h.at, now) < STOP_CONFIRM {
            return None;
        }
        let since = h.alert.since.unwrap_or(h.at);
        Some(AnomalyScore {
            observed: s.observed,
            since: Some(since),
            explanation: format!(
                "observed {:.4}, still outside the range {:.4}..{:.4} expected before it became unusual at {}",
                s.observed,
                h.alert.expected_low,
                h.alert.expected_high,
                since.format("%H:%M:%S")
            ),
            ..h.alert.clone()
        })
    }

    pub(super) fn anomaly_finding(
        &self,
        snap: &ClusterSnapshot,
        score: &AnomalyScore,
        series: &Series,
    ) -> Finding {
        let mut f = self
            .finding(
                FindingKind::Anomaly,
                Severity::Warning,
                Subject::Series {
                    series: score.series.clone(),
                },
                snap.taken_at,
            )
            .with_label(Label::Series, series.family())
            .with_metric(Metric::Score, score.score)
            .with_metric(Metric::Observed, score.observed)
            .with_metric(Metric::ExpectedLow, score.expected_low)
            .with_metric(Metric::ExpectedHigh, score.expected_high);
        // `score.since` (when the series became unusual, for the text) is
        // not the finding's `since`: an alert holds from its first poll at
        // the threshold (kept by `admit`), so the pending delay measures how
        // long the alert lasted, not how long the series has looked odd.
        f.anomaly = Some(score.clone());
        match series {
            Series::GroupLag(g) | Series::GroupLagGrowth(g) => {
                f.with_label(Label::Group, g.clone())
            }
            Series::ProduceRate(t) => f.with_label(Label::Topic, t.clone()),
            Series::LeaderShare(b) => f
                .with_label(Label::Broker, b.to_string())
                .with_brokers([*b]),
            Series::UnderReplicated
            | Series::UnderMinIsr
            | Series::Offline
            | Series::IsrShrinks
            | Series::PollDuration => f,
        }
    }
}
