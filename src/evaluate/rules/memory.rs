//! What the evaluator remembers between snapshots, one type per rule that
//! needs it, and how much of it there is ([`StateSize`]).

use std::collections::{BTreeSet, HashSet, VecDeque};

use crate::evaluate::evaluation::{HeldMemory, StopHoursMemory};
use crate::evaluate::scorer::Series;
use crate::finding::{AnomalyScore, Finding};
use crate::snapshot::{BrokerId, ClusterSnapshot, IsrChangeKind, Time};

/// Most ISR changes remembered per replica: enough to count every change
/// beyond one leave-and-rejoin up to any sensible threshold.
pub(super) const MAX_CHANGES_PER_REPLICA: usize = 64;

/// One replica: a broker's copy of one partition.
pub(super) type ReplicaKey = (BrokerId, String, i32);

/// ISR changes of one replica within the churn window, oldest first.
#[derive(Debug, Clone, Default)]
pub(super) struct ReplicaChanges {
    pub(super) at: VecDeque<(Time, IsrChangeKind)>,
}

/// The longest an anomaly alert is held after its score fell back while the
/// series stays out of the range expected before it (a new normal ends it).
pub(super) const ANOMALY_HOLD_MAX: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A fall of a produce rate is held, past [`ANOMALY_HOLD_MAX`], while the
/// rate stays below this share of its usual rate at that hour of the day
/// ([`UsualRate`]): most producers down is the fault it was raised for,
/// whether or not the last few stopped.
pub(super) const USUAL_SHARE: f64 = 0.75;

/// The longest a fall is held below its usual rate: what it holds to was
/// learnt before the fall (the hours of a held fall teach it nothing), so
/// a rate that moved for good would be held for ever.
pub(super) const FALL_HOLD_MAX: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

/// A produce rate's usual level by hour of the day (UTC): the mean of each
/// hour, from the latest day it was seen without a held fall. 120 bytes
/// per series. A fall to 15 % of every producer (most of them down) was
/// told "Produce rates are back" 15 minutes in, and their real return
/// raised as a jump (hunt 13, W1): the detector learns a new level within
/// minutes, and the range it expected before the fall is that hour's, not
/// the night's or the next day's.
#[derive(Debug, Clone)]
pub(super) struct UsualRate {
    /// Mean per hour of the day; NaN where none is known.
    hours: [f32; 24],
    /// The hour being summed (Unix hours), its sum and points, and whether
    /// no fall was held in it.
    hour: i64,
    sum: f64,
    points: u32,
    clean: bool,
}

impl Default for UsualRate {
    fn default() -> Self {
        UsualRate {
            hours: [f32::NAN; 24],
            hour: i64::MIN,
            sum: 0.0,
            points: 0,
            clean: true,
        }
    }
}

impl UsualRate {
    /// Adds the rate seen at `t` (Unix seconds); `held` when a fall of the
    /// series is held then (that hour is not its usual).
    pub(super) fn record(&mut self, t: i64, rate: f64, held: bool) {
        let hour = t.div_euclid(3600);
        if hour != self.hour {
            if self.points > 0 && self.clean {
                self.hours[self.hour.rem_euclid(24) as usize] =
                    (self.sum / self.points as f64) as f32;
            }
            self.hour = hour;
            self.sum = 0.0;
            self.points = 0;
            self.clean = true;
        }
        if rate.is_finite() {
            self.sum += rate;
            self.points += 1;
        }
        self.clean &= !held;
    }

    /// The usual rate at `t`'s hour of the day, if one is known.
    pub(super) fn at(&self, t: i64) -> Option<f64> {
        let v = self.hours[t.div_euclid(3600).rem_euclid(24) as usize];
        v.is_finite().then_some(v as f64)
    }
}

/// After a held stop ends with the series moving again, a rise of that
/// series is not news for this long: producers resuming after a long stop
/// (often with a backlog to send) look like a jump to a detector that has
/// learnt the silence. Longer than the detector's cooldown at the shipped
/// poll interval (30 polls of 15 s), which keeps the rest of the same
/// return quiet.
pub(super) const RESUME_GRACE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// How long producers of a topic whose partitions all have a live leader
/// and enough in-sync replicas wait for a fault: the new leaders' election
/// and their clients' metadata refresh (seconds; a crash is noticed by the
/// controller within its session timeout). A fall of their produce rate
/// held longer than this is not the fault's, however long the fault
/// lasts.
pub(super) const LEADER_WAIT: std::time::Duration = std::time::Duration::from_secs(2 * 60);

/// How long a stop seen from the range expected alone (the detector did
/// not score it: it saw the topic stop before, or is cooling down after
/// another alert of it) must last to be told: a minute's gap while
/// producers restart in a deploy, right after a burst, is not news; a
/// topic whose producers stay stopped is.
pub(super) const STOP_CONFIRM: std::time::Duration = std::time::Duration::from_secs(2 * 60);

/// When a series whose fault is a fall to zero (a topic's producers) was
/// stopped, below its family's smallest effect, by half hour of the day
/// (UTC) over today and the two days before: 48 bytes per series. A topic
/// whose producers stop every night (a shop quiet outside office hours,
/// a nightly batch source) was raised "Produce rate fell" every night, with
/// a reminder, for as long as it was watched: the stop judged from the
/// range expected ([`STOP_CONFIRM`]) takes the fast baseline's range, which
/// knows nothing of the time of day. A stop in the same or a neighbouring
/// half hour of the day as a stop on each of the last two days is its
/// habit, not news. A half hour counts as stopped once a stop in it lasted
/// [`STOP_CONFIRM`] (a deploy's gap is not a habit that hides an outage an
/// hour later). The neighbours do not wrap around midnight.
/// One day is not enough: producers that stop again a day after an outage,
/// at the same hour, are the same fault again.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StoppedHours {
    /// Days since the epoch of `days[0]`.
    day: i64,
    /// Bit k: stopped in the k-th half hour of the day for
    /// [`STOP_CONFIRM`] or more; today, yesterday, the day before.
    days: [u64; 3],
    /// Unix seconds since which the series has been stopped.
    since: Option<i64>,
    /// Whether the current stop began in its usual quiet hours (not
    /// raised then; raised if it outlasts them, see
    /// [`StoppedHours::overran`]).
    habitual: bool,
}

impl From<&StoppedHours> for StopHoursMemory {
    fn from(h: &StoppedHours) -> Self {
        StopHoursMemory {
            day: h.day,
            days: h.days,
            since: h.since,
            habitual: h.habitual,
        }
    }
}

impl From<StopHoursMemory> for StoppedHours {
    fn from(m: StopHoursMemory) -> Self {
        StoppedHours {
            day: m.day,
            days: m.days,
            since: m.since,
            habitual: m.habitual,
        }
    }
}

impl StoppedHours {
    const HALF_HOUR: i64 = 1800;

    /// Records whether the series is stopped at `t` (Unix seconds); true
    /// when it moves again after a stop.
    pub(super) fn record(&mut self, t: i64, stopped: bool) -> bool {
        let moved_again = self.since.is_some() && !stopped;
        self.since = if stopped {
            self.since.or(Some(t))
        } else {
            None
        };
        let confirmed = self
            .since
            .is_some_and(|s| t - s >= STOP_CONFIRM.as_secs() as i64);
        let day = t.div_euclid(86_400);
        if day > self.day {
            let shift = (day - self.day).min(3) as usize;
            self.days.rotate_right(shift);
            self.days[..shift].fill(0);
            self.day = day;
        }
        if confirmed && day == self.day {
            self.days[0] |= 1 << (t.rem_euclid(86_400) / Self::HALF_HOUR);
        }
        if self.since == Some(t) {
            self.habitual = self.usual_at(t);
        }
        moved_again
    }

    /// Unix seconds since which it has been stopped, if it is.
    pub(super) fn since(&self) -> Option<i64> {
        self.since
    }

    /// Whether a stop that began in its usual quiet hours has outlasted
    /// them at `t` (by [`STOP_CONFIRM`] at least): producers quiet every
    /// night from 01:00 to 05:00 and still silent at 09:00, or at 17:00,
    /// were never raised (hunt 13, W3): the stop was no news when it began,
    /// and the detector, having learnt the silence, expected it.
    pub(super) fn overran(&self, t: i64) -> bool {
        self.habitual
            && !self.usual_at(t)
            && self
                .since
                .is_some_and(|s| t - s >= STOP_CONFIRM.as_secs() as i64)
    }

    /// Whether the series was stopped in the same or a neighbouring half
    /// hour of `t`'s day on each of the two days before `t`'s (as recorded
    /// up to `t`).
    pub(super) fn usual_at(&self, t: i64) -> bool {
        if t.div_euclid(86_400) != self.day {
            return false;
        }
        let k = t.rem_euclid(86_400) / Self::HALF_HOUR;
        let near: u64 = [k - 1, k, k + 1]
            .iter()
            .filter(|j| (0..48).contains(*j))
            .fold(0, |m, j| m | 1u64 << j);
        self.days[1] & near != 0 && self.days[2] & near != 0
    }
}

/// One broker's recent spells of failed probes while it stayed in the
/// metadata (`broker_unreachable`): when each began, within
/// `broker_unreachable_window`, and the last error. A broker that leaves
/// the metadata starts over: its outage is `broker_down`'s to tell.
#[derive(Debug, Clone, Default)]
pub(super) struct UnreachableSpells {
    pub(super) began: VecDeque<Time>,
    pub(super) error: Option<String>,
}

/// An anomaly alert of one series, held while the series has not come back
/// into the range the detector expected when it alerted. The detector
/// scores the first points of an event (then adapts and cools down); the
/// event itself lasts as long as the series stays outside that range, and
/// that is what incidents need to judge it by their pending delay.
///
/// A fall of a series whose fault is a fall to zero (a topic's producers
/// stopping) is held for as long as the series stays stopped (below its
/// family's smallest effect), however long that is: resolving a stop an
/// operator has not fixed, then raising the producers' return as a jump,
/// is the wrong way round. So is a fall that is not a stop, while the rate
/// stays below [`USUAL_SHARE`] of its usual rate at that hour (up to
/// [`FALL_HOLD_MAX`]). Every other anomaly is held at most
/// [`ANOMALY_HOLD_MAX`] (a new normal ends it).
#[derive(Debug, Clone)]
pub(super) struct HeldAnomaly {
    pub(super) alert: AnomalyScore,
    pub(super) at: Time,
    /// The last poll that held it (a held series that is no longer scored,
    /// its topic deleted, is dropped after [`ANOMALY_HOLD_MAX`]).
    pub(super) last: Time,
    /// For a fall of a series whose fault is a fall to zero: the value
    /// below which the series counts as stopped (its family's minimum
    /// effect).
    pub(super) stop_below: Option<f64>,
    /// Whether the series has been stopped while held.
    pub(super) stopped: bool,
    /// Whether it has been raised as a finding (a fall that began while
    /// replication was disturbed is held unraised until the disturbance
    /// ends; see `RuleEvaluator::fall_outlasting_replication`).
    pub(super) raised: bool,
    /// A stop seen from the range expected alone, not scored by the
    /// detector: told only once it lasted [`STOP_CONFIRM`].
    pub(super) from_range: bool,
    /// A fall of a series whose fault is a fall to zero (a produce rate),
    /// and whether it was, at the last poll, below [`USUAL_SHARE`] of the
    /// series' usual rate at that hour: held so, up to [`FALL_HOLD_MAX`].
    pub(super) fall: bool,
    pub(super) below_usual: bool,
}

impl From<&HeldAnomaly> for HeldMemory {
    fn from(h: &HeldAnomaly) -> Self {
        HeldMemory {
            alert: h.alert.clone(),
            at: h.at,
            last: h.last,
            stop_below: h.stop_below,
            stopped: h.stopped,
            raised: h.raised,
            from_range: h.from_range,
            fall: h.fall,
            below_usual: h.below_usual,
        }
    }
}

impl From<HeldMemory> for HeldAnomaly {
    fn from(m: HeldMemory) -> Self {
        HeldAnomaly {
            alert: m.alert,
            at: m.at,
            last: m.last,
            stop_below: m.stop_below,
            stopped: m.stopped,
            raised: m.raised,
            from_range: m.from_range,
            fall: m.fall,
            below_usual: m.below_usual,
        }
    }
}

impl HeldAnomaly {
    /// A hold of `alert` from `now`, stopped when its value lies below
    /// `stop_below`.
    pub(super) fn new(
        alert: AnomalyScore,
        now: Time,
        stop_below: Option<f64>,
        from_range: bool,
    ) -> Self {
        HeldAnomaly {
            stopped: stop_below.is_some_and(|b| alert.observed < b),
            alert,
            at: now,
            last: now,
            fall: stop_below.is_some(),
            below_usual: false,
            stop_below,
            raised: false,
            from_range,
        }
    }

    /// Whether it is still held at `now` by its age alone: stopped, a fall
    /// still below its usual rate (up to [`FALL_HOLD_MAX`]), or younger
    /// than [`ANOMALY_HOLD_MAX`].
    pub(super) fn alive(&self, now: Time) -> bool {
        use crate::evaluate::lag::elapsed;
        let age = elapsed(self.at, now);
        elapsed(self.last, now) <= ANOMALY_HOLD_MAX
            && (self.stopped
                || (self.fall && self.below_usual && age <= FALL_HOLD_MAX)
                || age <= ANOMALY_HOLD_MAX)
    }

    /// Whether `observed` is still out on the side the alert left by: a
    /// spike that ends in a dip below the range is over (the dip is scored
    /// on its own), not a fall that continues it.
    pub(super) fn outside(&self, observed: f64) -> bool {
        if self.alert.observed < self.alert.expected_low {
            observed < self.alert.expected_low
        } else {
            observed > self.alert.expected_high
        }
    }
}

/// How much state the evaluator holds, for tests and self-monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSize {
    /// (kind, subject) pairs whose `since` is remembered.
    pub subjects: usize,
    /// Groups with a lag window.
    pub lag_groups: usize,
    /// (group, partition) lag windows.
    pub lag_partitions: usize,
    /// Groups whose previous total lag is kept (for `group_lag_growth`).
    pub group_series: usize,
    /// Topics whose previous end offsets are kept (for `produce_rate`).
    pub topic_series: usize,
    /// Brokers whose `leader_share` is scored.
    pub broker_series: usize,
    /// ISR changes kept over all replicas (for `isr_churn`).
    pub churn_points: usize,
    /// Controller changes kept in the window.
    pub controller_changes: usize,
    /// Partitions whose previous leader, ISR and high watermark are kept
    /// (for `unclean_election`).
    pub partitions: usize,
    /// Unclean elections still reported or explaining a REWIND.
    pub unclean_elections: usize,
    /// Groups seen with members (for `unread_data_deleted`), and those
    /// whose unread data was deleted lately.
    pub alive_groups: usize,
    pub groups_deleted_unread: usize,
    /// Starts of spells without an answer kept over all brokers (for the
    /// intermittent `broker_unreachable`: those within the window).
    pub unreachable_spells: usize,
}

/// One partition as the previous poll saw it, for `unclean_election`.
#[derive(Debug, Clone)]
pub(super) struct LastPartition {
    pub(super) partition: i32,
    pub(super) leader: Option<BrokerId>,
    pub(super) epoch: Option<i32>,
    pub(super) replicas: Vec<BrokerId>,
    pub(super) isr: Vec<BrokerId>,
    /// The last high watermark fetched (kept when a poll could not fetch it).
    pub(super) high_watermark: Option<i64>,
}

/// An unclean election seen on one partition between two polls.
#[derive(Debug, Clone)]
pub(super) struct UncleanElection {
    pub(super) at: Time,
    pub(super) old_leader: Option<BrokerId>,
    pub(super) new_leader: Option<BrokerId>,
    /// The new leader was not in the ISR the previous poll saw.
    pub(super) outside_isr: bool,
    /// (old, new) high watermark, when it moved backwards.
    pub(super) truncated: Option<(i64, i64)>,
    /// The high watermark before the election, while the new leader's is
    /// not known yet (its offsets could not be fetched at that poll).
    pub(super) awaiting: Option<i64>,
}

/// What `unread_data_deleted` holds of one consumer group.
#[derive(Debug, Clone)]
pub(super) struct DeletedUnread {
    /// The first poll of this episode.
    pub(super) since: Time,
    /// At the last poll that read the group: each partition whose
    /// committed offset was below its log start while it did not move.
    pub(super) behind: Vec<Behind>,
    /// Partitions whose committed offset moved past deleted data, kept
    /// `unread_data_deleted_hold`.
    pub(super) skipped: Vec<Skipped>,
}

impl DeletedUnread {
    /// An episode beginning at `since`, with nothing in it yet.
    pub(super) fn new(since: Time) -> Self {
        DeletedUnread {
            since,
            behind: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// A partition whose committed offset is below its log start.
#[derive(Debug, Clone)]
pub(super) struct Behind {
    pub(super) topic: String,
    pub(super) partition: i32,
    pub(super) committed: i64,
    /// The log start − the committed offset.
    pub(super) deleted: i64,
}

/// A committed offset that moved from below the log start to or past it
/// between two polls.
#[derive(Debug, Clone)]
pub(super) struct Skipped {
    pub(super) topic: String,
    pub(super) partition: i32,
    /// Messages deleted from where its committed offset stood: the
    /// standing gap at the last poll that saw it below the log start, or
    /// for a moving group the log start (at most the end seen at its last
    /// commit's poll) − that commit.
    pub(super) deleted: i64,
    pub(super) at: Time,
}

/// The reassignment under way, for its progress and ETA.
#[derive(Debug, Clone)]
pub(super) struct ReassignmentProgress {
    pub(super) started: Time,
    /// The most partitions seen reassigning at once since it started.
    pub(super) peak: usize,
    /// At the previous poll: partitions reassigning and added replicas not
    /// yet in their ISR.
    pub(super) partitions: usize,
    pub(super) pending: usize,
    /// Offsets the added replicas had left to copy, and when (when known).
    pub(super) offsets_left: Option<(Time, i64)>,
    /// The last poll that showed progress (or new work).
    pub(super) progressed: Time,
    /// The topics reassigning at the previous poll.
    pub(super) topics: BTreeSet<String>,
}

/// What a replication event (a broker down or back, replicas catching up,
/// leaders moving away and back) touches in one snapshot. Anomalies it
/// explains belong to the fault the rules name (one broker down = one
/// incident), while it lasts and for one poll after (the poll that sees
/// leaders moved back).
#[derive(Debug, Clone, Default)]
pub(super) struct ReplicationEvent {
    /// A broker missing, ISR changes since the previous poll, or a
    /// partition offline, under-replicated, being reassigned, led by another
    /// replica than its preferred one or with a replica on a missing broker:
    /// the replication series (`Series::explained_by_replication`) are
    /// explained.
    pub(super) any: bool,
    /// Topics with a partition offline, under-replicated or with a replica
    /// on a missing broker, or led by a broker clients cannot reach
    /// (`unreachable_brokers`): their produce rate is disturbed too
    /// (producers wait for the new leader, or route around the one they
    /// cannot reach, then catch up). Not leadership off the preferred
    /// replica alone: a cluster that runs so for days would never have its
    /// traffic watched.
    pub(super) topics: HashSet<String>,
    /// Of `topics`, those producers cannot write to in full: a partition
    /// offline or under its min ISR (writes with `acks=all` are refused),
    /// or led by a broker clients cannot reach. A topic that is only
    /// under-replicated takes writes once its new leaders are known
    /// ([`LEADER_WAIT`]).
    pub(super) held_up: HashSet<String>,
}

impl ReplicationEvent {
    /// One walk over the partitions.
    pub(super) fn of(snap: &ClusterSnapshot) -> Self {
        let mut any = !snap.missing_brokers.is_empty() || !snap.isr_changes.is_empty();
        let mut topics = HashSet::new();
        let mut held_up = HashSet::new();
        let cut = &snap.unreachable_brokers;
        for t in &snap.topics {
            for p in &t.partitions {
                let st = &p.state;
                if st.offline || st.under_min_isr {
                    held_up.insert(t.name.clone());
                }
                if st.offline || st.under_replicated || st.replica_on_missing_broker {
                    topics.insert(t.name.clone());
                    any = true;
                }
                // A reassignment moves replicas and leaders by plan.
                any |= st.leader_not_preferred || st.reassigning;
                // Clients cut from a leader: the topic's traffic is
                // disturbed, replication is not (that broker's own finding,
                // `broker_unreachable`, tells).
                if p.leader.is_some_and(|l| cut.contains(&l)) {
                    topics.insert(t.name.clone());
                    held_up.insert(t.name.clone());
                }
            }
        }
        ReplicationEvent {
            any,
            topics,
            held_up,
        }
    }

    /// Whether this event or `before` keeps the producers of `series`'s
    /// topic from writing (see `held_up`).
    pub(super) fn holds_up(&self, before: &Self, series: &Series) -> bool {
        series
            .topic()
            .is_some_and(|t| self.held_up.contains(t) || before.held_up.contains(t))
    }

    /// Whether this event or `before` explains the anomaly of `series`.
    pub(super) fn explains(&self, before: &Self, series: &Series) -> bool {
        let topic = series
            .topic()
            .is_some_and(|t| self.topics.contains(t) || before.topics.contains(t));
        topic || ((self.any || before.any) && series.explained_by_replication())
    }
}

#[cfg(test)]
mod stopped_hours_tests {
    use super::StoppedHours;

    const DAY: i64 = 86_400;
    const HOUR: i64 = 3_600;

    /// Polls every 15 s for `days` days of a topic stopped from 22:00 to
    /// 06:00 every night; whether each night's stop was usual at 22:30.
    fn nights(days: i64) -> Vec<bool> {
        let mut h = StoppedHours::default();
        let mut usual = Vec::new();
        for t in (0..days * DAY).step_by(15) {
            let hour = t.rem_euclid(DAY) / HOUR;
            h.record(t, !(6..22).contains(&hour));
            if t.rem_euclid(DAY) == 22 * HOUR + 1_800 {
                usual.push(h.usual_at(t));
            }
        }
        usual
    }

    #[test]
    fn a_stop_is_usual_once_seen_at_that_hour_on_each_of_the_last_two_days() {
        // Raised on the first two nights, the habit from the third on.
        assert_eq!(nights(5), [false, false, true, true, true]);
    }

    #[test]
    fn a_habitual_stop_that_outlasts_its_hours_has_overrun() {
        // Stopped 01:00-05:00 every night; on the fourth night not back
        // until 09:00 (hunt 13, W3: never raised).
        let mut h = StoppedHours::default();
        let mut overran_at = None;
        for t in (0..4 * DAY).step_by(15) {
            let (day, s) = (t / DAY, t.rem_euclid(DAY));
            let until = if day == 3 { 9 * HOUR } else { 5 * HOUR };
            h.record(t, (HOUR..until).contains(&s));
            assert!(!h.overran(t) || day == 3, "overran on night {day} at {s}");
            if h.overran(t) && overran_at.is_none() {
                overran_at = Some(s);
            }
        }
        // Its usual hours end with the half hour after 05:00's.
        assert_eq!(overran_at, Some(5 * HOUR + 1_800));
    }

    #[test]
    fn a_stop_seen_once_yesterday_or_at_another_hour_is_not_usual() {
        let mut h = StoppedHours::default();
        // Stopped 14:00-14:20 on day 1, and 09:00 on days 0 and 1.
        for t in (0..3 * DAY).step_by(15) {
            let s = t.rem_euclid(DAY);
            let stopped = (t / DAY == 1 && (14 * HOUR..14 * HOUR + 1_200).contains(&s))
                || (t / DAY < 2 && (9 * HOUR..9 * HOUR + 600).contains(&s));
            h.record(t, stopped);
        }
        let today = 2 * DAY;
        assert!(!h.usual_at(today + 14 * HOUR + 300), "seen one day only");
        assert!(
            h.usual_at(today + 9 * HOUR + 900),
            "seen both days, within half an hour"
        );
        assert!(!h.usual_at(today + 11 * HOUR), "another hour");
        // Days without a point forget what they knew.
        h.record(today + 3 * DAY, false);
        assert!(!h.usual_at(today + 3 * DAY + 9 * HOUR));
    }

    #[test]
    fn a_blip_is_not_a_habit_and_midnight_does_not_wrap() {
        let mut h = StoppedHours::default();
        // A 15-s blip at 09:00 and a 10-min stop at 23:50, days 0 and 1.
        for t in (0..3 * DAY).step_by(15) {
            let s = t.rem_euclid(DAY);
            let stopped = t / DAY < 2 && (s == 9 * HOUR || s >= 23 * HOUR + 3_000);
            h.record(t, stopped);
        }
        let today = 2 * DAY;
        assert!(!h.usual_at(today + 9 * HOUR + 60), "a blip");
        assert!(h.usual_at(today + 23 * HOUR + 3_300), "the late stop");
        assert!(
            !h.usual_at(today + 300),
            "00:05 is not 23:50 of the same day"
        );
    }

    #[test]
    fn moving_again_after_a_stop_is_told_once() {
        let mut h = StoppedHours::default();
        assert!(!h.record(0, true));
        assert!(!h.record(15, true));
        assert!(h.record(30, false));
        assert!(!h.record(45, false));
    }
}

// --- disk_space (`disk.rs`) ---

/// The pace a volume fills at is taken over this long: long enough that
/// retention's deletions (every 5 minutes by default) average out.
const PACE_WINDOW_MS: i64 = 30 * 60 * 1000;
/// A pace needs points at least this far apart.
const PACE_MIN_SPAN_MS: i64 = 10 * 60 * 1000;
/// Points kept per directory: at most one a minute.
const PACE_STEP_MS: i64 = 60 * 1000;
/// What the rule remembers of one log directory.
#[derive(Debug, Clone, Default)]
pub(super) struct DiskHistory {
    /// (unix ms, usable bytes), oldest first, at most one a minute over the
    /// last [`PACE_WINDOW_MS`].
    points: VecDeque<(i64, i64)>,
    /// The last finding made for it: reported again while the broker
    /// cannot tell (down, not answering, the directory failed), so a disk
    /// that filled up is not "resolved" by the outage it caused.
    pub(super) raised: Option<Finding>,
    /// Whether that finding stands on the level (at or above the warning
    /// line, then held down to its hysteresis) rather than the forecast
    /// alone, which has its own hold (`disk.rs`).
    pub(super) by_level: bool,
}

/// The most recent stretch whose pace is also taken (`hours_to_full`): a
/// one-off write followed by a flat or nearly flat volume is not filling
/// up, though the half-hour average still says so.
const PACE_RECENT_MS: i64 = 5 * 60 * 1000;

impl DiskHistory {
    pub(super) fn record(&mut self, at_ms: i64, usable: i64) {
        if self
            .points
            .back()
            .is_none_or(|(t, _)| at_ms - t >= PACE_STEP_MS)
        {
            self.points.push_back((at_ms, usable));
        }
        while self
            .points
            .front()
            .is_some_and(|(t, _)| at_ms - t > PACE_WINDOW_MS)
        {
            self.points.pop_front();
        }
    }

    /// Hours until full at the pace since the oldest point kept, when the
    /// volume is filling and the points span [`PACE_MIN_SPAN_MS`]; and at
    /// the pace of the last [`PACE_RECENT_MS`] (infinite when it did not
    /// grow then).
    pub(super) fn hours_to_full(&self, at_ms: i64, usable: i64) -> Option<(f64, f64)> {
        let &(t0, u0) = self.points.front()?;
        let span = at_ms - t0;
        if span < PACE_MIN_SPAN_MS || u0 <= usable {
            return None;
        }
        let hours = |t: i64, u: i64| {
            let bytes_per_ms = (u - usable) as f64 / (at_ms - t) as f64;
            if bytes_per_ms > 0.0 {
                usable.max(0) as f64 / bytes_per_ms / 3_600_000.0
            } else {
                f64::INFINITY
            }
        };
        let recent = self
            .points
            .iter()
            .rev()
            .find(|(t, _)| at_ms - t >= PACE_RECENT_MS)
            .map_or(f64::INFINITY, |&(t, u)| hours(t, u));
        Some((hours(t0, u0), recent))
    }
}
