//! Consumer group lag status over a sliding window of observations, in
//! Burrow's vocabulary, without Burrow's known false alarms.
//!
//! Per (group, topic, partition) the [`LagTracker`] keeps the last
//! `window` *commits*, as Burrow does: each poll that saw a new committed
//! offset, with that poll's end offset (so the lag at it) and time. A
//! poll without a new commit adds nothing to the window (between two
//! commits a consumer's lag rises whatever its pace, and judged over polls
//! a consumer committing every minute "decreased" its lag at every
//! commit); the latest poll gives the current lag. It also remembers
//! since when the committed offset has had its current value.
//!
//! A partition's status is decided in this order (first match wins):
//!
//! 1. **never committed** (`committed: None`): reported as OK with no lag;
//!    not counted as lag, named in the group's reason; WARN when members
//!    held it, messages were appended to it and nothing was committed for
//!    `stall_commit_intervals` × `stall_after` ([`Uncommitted`]: a new
//!    application hung before its first commit). STALL at once when the
//!    partition was STALL as its committed offset went away (its topic
//!    deleted and created again under hung members) and members still hold
//!    it with nothing committed.
//! 2. **OK** when the latest lag is at most `caught_up_lag`: a caught-up
//!    consumer on an idle topic is OK however long its offset stays still
//!    (Burrow reports STOP there); also at one more, when that lag was
//!    there at the poll that first saw the committed offset and nothing
//!    was produced since (a transaction's commit marker:
//!    [`PartitionTrack::only_a_marker_left`]).
//! 3. **STALL** when the group has members and the partition has had lag
//!    with the same committed offset for longer than `stall_after` (counted
//!    from the poll before the first one that showed lag on that offset, so messages
//!    arriving on an idle partition long after its last commit are not a
//!    stall; while the cadence is learnt, possibly longer: below) or,
//!    once the group's own commit cadence is learnt (below),
//!    when it is overdue by that cadence instead (so a group that commits
//!    every 10 minutes is not STALL 5 minutes after each commit): the
//!    consumer is alive but not moving.
//! 4. **STOP** likewise when the group has no members, after `stop_after`
//!    or when overdue by its cadence, whichever comes first; but a group
//!    that came back by itself from its spells without members (a
//!    scheduled job between runs, [`EmptySpells`]: spells longer than the
//!    runs before them) only once the spell lasts twice the longest of
//!    them.
//! 5. **REWIND** for `rewind_for` after the committed offset went down
//!    between two polls (a time, not a number of observations, so a fast
//!    poll interval does not cut it shorter than the incident pending delay).
//! 6. With a full window in which the consumer committed (its committed
//!    offset advanced: one that did not is judged by rules 3-4 on its
//!    commit cadence, so a job that commits every few minutes is not ERR
//!    between two commits), the lag was above `caught_up_lag` at every
//!    observation (Burrow's first rule: a consumer caught up within the
//!    window is absorbing a burst), never decreased and ended higher than
//!    it started ("lag grew over the whole window"):
//!    **ERR** when the consumer advanced by less than `err_consume_ratio`
//!    (default one half) of what producers appended over the same window,
//!    i.e. its time lag grows by at least half a second per second and it
//!    would fall behind even if producers slowed down by that fraction;
//!    **WARN** when it advanced by less than `warn_consume_ratio` (default
//!    0.9): slow but progressing (Burrow reports ERR there). A consumer
//!    keeping up whose small lag wobbles by equal steps ("never
//!    decreased" counts ties) grows by far less than a tenth of the
//!    production and stays OK.
//!    But a consumer that kept at least [`USUAL_PACE_SHARE`] of its *usual
//!    pace* over the window (what it consumed per second before the lag
//!    began to grow, over about `6 × absorb_for`; in the window, only the
//!    polls where it left part of its lag count: where it consumed all
//!    there was, as when a load begins while it is caught up, it went at
//!    the producers' pace) fell behind because
//!    producers sent more, not because it slowed: a batch job, a replay.
//!    It is **OK** ("working through a burst") until the lag has grown
//!    for `absorb_for` (10 minutes) *and* the consumer is `absorb_for`
//!    behind the producers in time (the poller's lag in seconds, or the
//!    lag at the window's production rate while the poller's offset
//!    history is younger than the lag), then **WARN** ("producers outpace
//!    it": its capacity falls short), never ERR. Burrow raises every such
//!    burst; on a healthy cluster with batch topics that was dozens of
//!    critical pages a day, and a warning at every first load (a
//!    consumer at 70 % of a 15-minute load is 4.5 minutes behind at its
//!    end and works it off within the hour). And it stays **OK** past
//!    `absorb_for` while
//!    the load is like one it worked off in the last day or two (its lag
//!    back to a tenth of its peak): lag and growth time within
//!    [`DRAINED_MARGIN`] (half again) of the largest such load. A batch
//!    consumer falling behind at every load and catching up after it is
//!    doing its job (a topic loaded every 45 minutes for 10 gave 15
//!    warnings in 48 h); the first such load, one deeper or longer, or lag
//!    piling up from load to load because it is never worked off, is
//!    still a warning. Until its usual pace is known (a tenth of
//!    `absorb_for` of polls before the growth: the monitor just started,
//!    perhaps in the middle of a load) a burst cannot be told from a
//!    slowdown, so growth is judged once it has lasted `absorb_for`.
//! 7. **WARN** ("falling further behind") when the consumer is slightly
//!    slower than its producers: its lag, at commits sampled every half
//!    `absorb_for` (the last [`CREEP_SAMPLES`]), rose at every step and is
//!    no lower at its latest commit (nor than at the one before), and it
//!    is `absorb_for` or more behind the producers in time, now and at its
//!    latest commit (that commit's lag at the window's production rate: a
//!    job that commits every half hour is half an hour behind before each
//!    commit, and its lag at commits rises with the produce rate alone),
//!    and it rose by at least four times what chance moves it over the
//!    samples ([`CREEP_NOISE_MULTIPLE`], [`Steps::noise`]: the spread of
//!    the steps, of what was produced at each and of the lag's own, times
//!    the square root of their number; a consumer exactly as fast as its
//!    producers walks its lag by their noise; steps are counted in
//!    messages, so a group whose commits come irregularly needs a larger
//!    creep), once [`STEP_MEMORY`] steps have shown that noise; unless the
//!    lag is
//!    within [`DRAINED_MARGIN`] of a load it worked off lately. A consumer
//!    at 93.5 % of the production never loses a tenth of it over one
//!    window (rule 6), yet falls four minutes further behind every hour.
//! 8. **OK** otherwise; but a partition WARN or ERR at the last poll
//!    **keeps that status** until it has recovered: its lag back to a
//!    tenth of its peak (the load under way is worked off), or the
//!    consumer less than half of `absorb_for` behind the producers in
//!    time and no further behind than at the last poll nor than `window`
//!    polls ago (or when raised, if sooner). A consumer no longer
//!    falling further behind, raised while it did, is the same incident
//!    until then. A slowed consumer of a
//!    bursty topic works off part of its lag between two loads; released
//!    at the first lull, it was raised anew at the next (three critical
//!    pages in 90 minutes, 20-60 minutes behind throughout), and a
//!    consumer hours behind after a spike was OK as soon as its lag
//!    began to fall. Likewise a partition in STALL, STOP or REWIND at the
//!    last poll that would now be OK is **WARN** ("moving again after it
//!    stood still", "working through what it went back to") while it has
//!    not recovered and is at least half of `absorb_for` behind (the
//!    poller's time lag, or the lag at the window's production rate): a
//!    group that stood still for an hour, or replays an hour of its log,
//!    was resolved as soon as it moved or its REWIND report ended, an
//!    hour behind. A STALL or STOP (critical by default) becomes a
//!    warning then, the same incident.
//!
//! **Commit cadence.** Per group the tracker learns how often the group
//! commits: the time between two polls in which some committed offset
//! changed, counted only when the group had lag at every poll in between
//! (so a caught-up consumer on an idle or bursty topic, which has nothing
//! to commit, gives no sample) or when the two polls follow each other
//! (no poll lies between them: a group committing at every poll is busy,
//! whether or not its commits land just before the polls). It keeps the
//! last [`CADENCE_GAPS`] such gaps and trusts them from
//! [`CADENCE_MIN_GAPS`] on. The cadence `C` is
//! their mean, but at least half the longest, so that 2 `C` is never
//! shorter than a gap the group recently took: the commit saw-tooth, the
//! polls' aliasing of the commit instants (gaps of one or two polls when
//! the group commits about once a poll) and a jittery committer do not
//! make a healthy group look late. A gap that counts from when the lag
//! began (a poll without lag lies between the two commits, below) is a
//! *wait*: how long work waited for the commit, anywhere between nothing
//! and a whole commit interval, so `C` is at least the longest wait; and
//! the time from the commit before, which spans one interval or more, is
//! an upper bound of the interval: `C` is at least the shortest such span
//! of the recent gaps, up to `stall_after`. Messages arriving in step with
//! the commits wait about as long each time: a group committing every 30
//! s on a topic that got a message about every 30 s learnt a cadence of
//! 10 s from its waits (every one 10 s at 5-s polls), and was STALL,
//! critical, when the arrivals drifted and one message waited a whole
//! interval (hunt 22, W4). The spans are not saved across a restart (a
//! wait read back spans itself). A partition is *overdue* when it has
//! had lag with the same
//! committed offset for longer than `stall_commit_intervals` × `C`
//! (default 2), counted from the poll before the first one that showed
//! lag on that offset (the earliest the commit, or lag that just arrived
//! on an idle partition, can have come; not the last commit before a
//! quiet spell), and never at that first poll. `C` is at least one poll
//! interval (two advances are never seen in one poll), and a partition is
//! only overdue once two polls after the first one still showed its offset
//! (a group committing about once a poll, whose commit just slipped past
//! one poll, is not late). Until the
//! cadence is learnt, a group that has committed since it was first seen
//! and had lag at every poll after its last commit, or took some gap
//! already, is STALL after
//! `stall_commit_intervals` × the longer of `stall_after` and the longest
//! gap seen so far (so a job committing every 6 minutes is not STALL
//! between its first commits after the daemon starts); the first commit
//! seen gives such a gap: the longer of the lag seen before it and what it
//! covers (how far it moved the offsets, at the production rate seen
//! before it), at most six times `stall_after`;
//! any other group,
//! and every group when `stall_commit_intervals = 0`, after
//! `stall_after`. STOP waits `stop_after` until the cadence is learnt. A
//! rewind is not a commit for the cadence. A rebalance (the group's state
//! `PreparingRebalance` and the like, [`is_rebalancing`]) pauses a group's
//! consumption: a partition that owes a commit across one is STALL, while
//! it lasts, after the longer of `stall_after` and its cadence, and once
//! it is over after its cadence counted from the rebalance's last poll; the
//! gap is not learnt.
//!
//! A group's status is its most severe partition status (by the configured
//! `*_severity`, then in [`LagStatus`]'s order, Burrow's), with one sentence
//! naming the partitions and numbers.
//! A group absent from the snapshot (deleted, or state `Dead`) is
//! forgotten: no status, its state dropped. A group whose offsets could not
//! be read this poll (`error` set, no committed offset) keeps its windows
//! and is judged again from them, as of the poll's time.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Commit gaps kept per group to learn its cadence.
pub const CADENCE_GAPS: usize = 8;
/// Commit gaps needed before the cadence is trusted.
pub const CADENCE_MIN_GAPS: usize = 3;
/// The first gap (what the first commit seen covers) counts up to this
/// many times `stall_after` while the cadence is learnt.
const FIRST_GAP_STALLS: u32 = 6;
/// A partition in ERR leaves it (for WARN) only once the consumer advances
/// by at least `err_consume_ratio` plus this share of what was produced:
/// a consumer hovering at the ratio flipped between ERR and WARN at every
/// poll, and each flip was a notification (9 escalations and 9
/// de-escalations in one 40-minute slowdown).
pub const ERR_HYSTERESIS: f64 = 0.1;
/// A consumer consuming at least this share of its usual pace keeps it
/// (see `absorb_for`): the commit saw-tooth moves a window's pace by a few
/// percent either way.
pub const USUAL_PACE_SHARE: f64 = 0.9;
/// A load within half again the largest one a partition's consumer
/// worked off in the last day or two (its lag and how long it grew) is
/// one it is known to handle (see [`Drained`]).
pub const DRAINED_MARGIN: f64 = 1.5;
/// A load is worked off once the lag is back to a tenth of its peak (or to
/// `caught_up_lag`): a consumer that commits periodically seldom shows a
/// lag of exactly zero at a poll.
const DRAINED_SHARE: f64 = 0.1;
/// A consumer raised as WARN or ERR is released once this share of
/// `absorb_for` or less behind the producers (see `judge_held`): raised
/// at `absorb_for` behind, one whose time lag swings a few minutes either
/// side of it with each commit was released and raised again at every
/// commit.
const RELEASE_BEHIND_SHARE: f64 = 0.5;
/// Coarse samples of a partition's commits kept to see a slow creep (see
/// [`creeping`]): one per half `absorb_for`, so five span two
/// `absorb_for` (20 minutes by default) in four steps.
pub const CREEP_SAMPLES: usize = 5;
/// How many times the chance movement of the lag over its samples
/// ([`Steps::noise`]) a creep must rise by. The rule is judged at every
/// step of every partition: at 3, a consumer exactly as fast as noisy
/// producers, an hour behind, was raised within a day in 19 of 40
/// simulated days; at 4, in none, and a 2 % creep is raised about an
/// hour in (5: the same, later).
const CREEP_NOISE_MULTIPLE: f64 = 4.0;
/// Steps the producers' noise per step is remembered over: an hour at
/// the default `absorb_for` (a step is half of it), longer for a group
/// committing less often (a step ends at a commit).
const STEP_MEMORY: f32 = 12.0;
const DAY_MS: i64 = 86_400_000;
/// [`PartitionTrack::end_at_commit`] when the end offset at the commit was
/// not seen (unknown at that poll, or the commit restored from before a
/// restart): no marker can be told from an unread message then.
const END_NOT_SEEN: i64 = i64::MIN;

use super::config::LagConfig;
use super::evaluation::{EvaluatorMemory, GroupMemory, PartitionMemory};
use super::{GroupLagStatus, LagStatus, PartitionLagStatus};
use crate::snapshot::{GroupInfo, GroupPartition, Time};

/// One distinct observation of a partition's committed and end offsets.
/// 24 bytes: a 2,000-group cluster holds some 200,000 windows of
/// `window` of these, so the lag is derived and the time kept in
/// milliseconds rather than stored as a 12-byte `DateTime`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Observation {
    committed: i64,
    end: i64,
    /// Unix time in milliseconds.
    at_ms: i64,
}

impl Observation {
    /// `max(end - committed, 0)`, as the poller computes lag.
    fn lag(&self) -> i64 {
        (self.end - self.committed).max(0)
    }
}

/// The window of one (group, topic, partition).
#[derive(Debug, Clone)]
struct PartitionTrack {
    /// The partition id (the topic is the key of [`Windows`]).
    partition: i32,
    /// The last `window` polls that saw a new committed offset, each with
    /// the end offset of that poll: the window holds commits, as Burrow's
    /// does. Polls between two commits add nothing: a consumer committing
    /// every 60 s, polled every 15 s, shows a saw-tooth there (the lag
    /// rises for three polls and falls at the commit) that hid a consumer
    /// at 70 % of the production from "lag grew over the whole window".
    observations: VecDeque<Observation>,
    /// The latest poll's offsets (the current lag).
    latest: Option<Observation>,
    /// The latest committed offset seen (also when the end offset was unknown).
    committed: i64,
    /// First time the current committed offset was seen.
    committed_since: Time,
    /// The end offset at the poll that first saw the current committed
    /// offset ([`END_NOT_SEEN`] when that poll had none, or the partition
    /// was restored); see [`PartitionTrack::only_a_marker_left`].
    end_at_commit: i64,
    /// The latest rewind: (committed before, committed after, when).
    rewound: Option<(i64, i64, Time)>,
    /// Since when the consumer has owed a commit on the current committed
    /// offset (`None` while caught up).
    owing: Option<Owing>,
    /// The consumer's usual pace, from the polls before the current
    /// growth of its lag (see [`Pace`]).
    pace: Pace,
    /// What it consumed during the current growth (folded into `pace` when
    /// the lag next decreases).
    run: Pace,
    /// Unix milliseconds of the observation since which the lag has not
    /// decreased (the start of the current growth).
    growing_since_ms: i64,
    /// The partition's status at the last poll: ERR is left only clearly
    /// above the ratio (see [`ERR_HYSTERESIS`]), and WARN or ERR is held
    /// until the consumer has recovered (see [`judge_held`]).
    was: LagStatus,
    /// The poller's time lag at the last poll, in seconds (see
    /// [`judge_held`]).
    was_behind: Option<f32>,
    /// The poller's time lag at each of the last `window` polls since the
    /// partition was last OK (empty while it is OK), oldest first: a held
    /// WARN is released by time only when the consumer is no further
    /// behind than at the oldest of them.
    held_behind: VecDeque<f32>,
    /// The load under way: since the lag last rose from worked off
    /// (`None` while there is none).
    load: Option<Load>,
    /// The largest loads worked off lately.
    drained: Drained,
    /// The lag at commits sampled at most once per half `absorb_for`:
    /// over a stretch long enough that the commit saw-tooth and the
    /// producers' noise no longer hide a consumer slightly slower than the
    /// producers (see [`creeping`]).
    steps: Steps,
}

impl PartitionTrack {
    /// A partition first seen at `now` with `committed` and `end`.
    fn new(
        config: &LagConfig,
        partition: i32,
        committed: i64,
        end: Option<i64>,
        now: Time,
    ) -> Self {
        PartitionTrack {
            partition,
            observations: VecDeque::with_capacity(config.window),
            latest: None,
            committed,
            committed_since: now,
            end_at_commit: end.unwrap_or(END_NOT_SEEN),
            rewound: None,
            owing: None,
            pace: Pace::default(),
            run: Pace::default(),
            growing_since_ms: now.timestamp_millis(),
            was: LagStatus::Ok,
            was_behind: None,
            held_behind: VecDeque::new(),
            load: None,
            drained: Drained::default(),
            steps: Steps::default(),
        }
    }

    /// The lag left is one offset more than `caught_up_lag`, and it was
    /// there when this committed offset was first seen, nothing produced
    /// since: a transactional producer's commit marker, which a
    /// read_committed consumer cannot read, so its committed offset stays
    /// one short of the end while the producers pause (hunt 14, W1: a
    /// caught-up consumer was STALL through every pause of its producers,
    /// Burrow's known false alarm). A consumer that hangs with exactly one
    /// message unread and no message after it is missed; the next message
    /// makes it owe a commit as usual.
    fn only_a_marker_left(&self, config: &LagConfig, obs: Observation) -> bool {
        obs.lag() <= config.caught_up_lag.saturating_add(1) && self.end_at_commit == obs.end
    }
}

/// The lag at the last [`CREEP_SAMPLES`] commits sampled at least half
/// `absorb_for` apart, oldest first, and what was produced between each
/// two. Inline (88 bytes, no heap): a 2,000-group cluster holds some
/// 200,000 of them.
#[derive(Debug, Clone, Copy, Default)]
struct Steps {
    lags: [i64; CREEP_SAMPLES],
    /// `produced[k]`: messages appended between samples `k - 1` and `k`
    /// (`produced[0]` unused).
    produced: [u32; CREEP_SAMPLES],
    len: u8,
    /// Unix milliseconds of the newest sample.
    last_ms: i64,
    /// The end offset at the newest sample.
    last_end: i64,
    /// Exponentially weighted mean and variance of what was produced per
    /// step, over about [`STEP_MEMORY`] steps: four steps alone often
    /// understate the producers' noise.
    produced_mean: f32,
    produced_var: f32,
    /// Steps taken into those (saturating): until [`STEP_MEMORY`] the
    /// noise is not known and nothing is called a creep.
    remembered: u8,
}

impl Steps {
    /// Samples `obs` when the newest sample is at least `step_ms` old.
    fn sample(&mut self, obs: Observation, step_ms: i64) {
        if self.len > 0 && obs.at_ms - self.last_ms < step_ms {
            return;
        }
        if usize::from(self.len) == CREEP_SAMPLES {
            self.lags.rotate_left(1);
            self.produced.rotate_left(1);
            self.len -= 1;
        }
        let k = usize::from(self.len);
        self.lags[k] = obs.lag();
        self.produced[k] = 0;
        if k > 0 {
            self.produced[k] = u32::try_from((obs.end - self.last_end).max(0)).unwrap_or(u32::MAX);
            let x = self.produced[k] as f32;
            if self.remembered == 0 {
                self.produced_mean = x;
            }
            let a = 1.0 / STEP_MEMORY;
            let d = x - self.produced_mean;
            self.produced_mean += a * d;
            self.produced_var = (1.0 - a) * (self.produced_var + a * d * d);
            self.remembered = self.remembered.saturating_add(1);
        }
        self.len += 1;
        self.last_ms = obs.at_ms;
        self.last_end = obs.end;
    }

    /// How far the lag moves over the samples by chance, in messages: the
    /// spread of the steps (what was produced at each, over these samples
    /// and over the last [`STEP_MEMORY`] steps, and how the lag moved at
    /// each: the largest) times the square root of their number.
    /// A consumer exactly as fast as its producers walks its lag up and
    /// down by the producers' noise; one slower climbs by more. Infinite
    /// until [`STEP_MEMORY`] steps are known (four alone often understate
    /// the noise: a creep is a slow fault, an hour's wait costs little).
    fn noise(&self) -> f64 {
        let n = usize::from(self.len);
        if n < 3 || f32::from(self.remembered) < STEP_MEMORY {
            return f64::INFINITY;
        }
        // The sample standard deviation of `n - 1` steps.
        let spread = |step: &dyn Fn(usize) -> f64| {
            let mean = (1..n).map(step).sum::<f64>() / (n - 1) as f64;
            ((1..n).map(|k| (step(k) - mean).powi(2)).sum::<f64>() / (n - 2) as f64).sqrt()
        };
        let produced = spread(&|k| f64::from(self.produced[k]));
        let moved = spread(&|k| (self.lags[k] - self.lags[k - 1]) as f64);
        let remembered = f64::from(self.produced_var).sqrt();
        produced.max(moved).max(remembered) * ((n - 1) as f64).sqrt()
    }

    /// Forgets the samples, keeping what is known of the producers' noise
    /// (a rewind: the lag before it is another story than the replay's).
    fn restart(&mut self) {
        *self = Steps {
            produced_mean: self.produced_mean,
            produced_var: self.produced_var,
            remembered: self.remembered,
            ..Steps::default()
        };
    }

    /// The samples, oldest first.
    fn lags(&self) -> &[i64] {
        &self.lags[..usize::from(self.len)]
    }
}

/// A stretch of lag, from its first rise until it is back to a tenth of
/// its peak.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Load {
    /// The largest lag seen in it.
    peak: i64,
    /// Its longest run of lag growth (see `growing_since_ms`), in ms.
    growth_ms: i64,
}

impl Load {
    fn max(self, other: Load) -> Load {
        Load {
            peak: self.peak.max(other.peak),
            growth_ms: self.growth_ms.max(other.growth_ms),
        }
    }
}

/// The largest loads a partition's consumer worked off, by day: a batch
/// consumer that falls behind at every load and then catches up is doing
/// its job, and a load like one it worked off before is not news. Two
/// day-long buckets, so the memory is one to two days (a daily job is
/// remembered until it runs again) and bounded.
#[derive(Debug, Clone, Copy, Default)]
struct Drained {
    /// Start of the current bucket, unix ms.
    day_start_ms: i64,
    this_day: Option<Load>,
    last_day: Option<Load>,
}

impl Drained {
    fn record(&mut self, load: Load, now_ms: i64) {
        let age = now_ms - self.day_start_ms;
        if age >= DAY_MS {
            self.last_day = if age < 2 * DAY_MS {
                self.this_day
            } else {
                None
            };
            self.this_day = None;
            self.day_start_ms = now_ms;
        }
        self.this_day = Some(self.this_day.map_or(load, |l| l.max(load)));
    }

    /// The largest load worked off in the last one to two days.
    fn largest(&self, now_ms: i64) -> Option<Load> {
        let age = now_ms - self.day_start_ms;
        let (this, last) = if age >= 2 * DAY_MS {
            (None, None)
        } else if age >= DAY_MS {
            (self.this_day, None)
        } else {
            (self.this_day, self.last_day)
        };
        match (this, last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A consumer's pace: messages it consumed and seconds watched, both
/// fading with a time constant of `6 × absorb_for` (an hour by default),
/// so their ratio is its consumption rate over about that long, commit
/// saw-tooth and all.
#[derive(Debug, Clone, Copy, Default)]
struct Pace {
    consumed: f64,
    secs: f64,
}

impl Pace {
    /// Adds `consumed` messages over `secs` seconds.
    fn add(&mut self, consumed: f64, secs: f64, absorb_for: Duration) {
        let tau = 6.0 * absorb_for.as_secs_f64();
        let keep = if tau > 0.0 { (-secs / tau).exp() } else { 0.0 };
        self.consumed = self.consumed * keep + consumed;
        self.secs = self.secs * keep + secs;
    }

    /// Messages per second, once watched for a tenth of `absorb_for` (a
    /// minute by default: a few polls; the window itself is longer).
    fn rate(&self, absorb_for: Duration) -> Option<f64> {
        (self.secs > 0.0 && self.secs >= absorb_for.as_secs_f64() / 10.0)
            .then(|| self.consumed / self.secs)
    }
}

/// A commit owed on one partition: lag with an unchanged committed offset.
#[derive(Debug, Clone, Copy)]
struct Owing {
    /// The poll before the first one that showed lag on this offset: the
    /// earliest the commit (or the lag) can have come.
    since: Time,
    /// That first poll. Nothing is overdue at it.
    first_seen: Time,
    /// Polls since `first_seen` that still showed it. Overdue by the
    /// group's cadence needs two: when the group commits about once a poll,
    /// one poll that just missed a commit (the two clocks drifting past
    /// each other) spans two poll intervals from `since`, i.e. two commit
    /// intervals, without anything being late.
    later_polls: u32,
}

/// Per-group state: the partitions it committed on and its commit cadence.
#[derive(Debug, Clone, Default)]
struct GroupTrack {
    partitions: Windows,
    /// Partitions its members were seen assigned with nothing committed on
    /// them: since when, and their end offset then (see [`Uncommitted`]).
    uncommitted: HashMap<(String, i32), Uncommitted>,
    cadence: Cadence,
    /// The latest poll that read the group's offsets.
    read_at: Option<Time>,
    /// Its spells without members (see [`EmptySpells`]).
    empty: EmptySpells,
}

/// A partition a group's members hold with nothing committed on it. A new
/// application whose consumer hangs before its first commit (a deadlock at
/// start, a poison first message) commits nothing, so no lag is ever
/// measured: five such groups, hung an hour, and two hung 11 hours behind
/// 24 million messages each, were never raised (hunt 17, W1). Members
/// holding it, messages appended to it since it was first seen so, and
/// nothing committed for `stall_commit_intervals` × `stall_after` (the
/// deadline of a group whose cadence is not known yet): WARN, a warning
/// rather than a STALL page, since a sink connector commits only at each
/// file it writes and some applications keep their offsets outside Kafka
/// (exclude those groups). A consumer starting at the log end commits at
/// its first auto-commit (5 s by default), and one on an idle partition has
/// nothing to commit. Not saved across restarts: the wait starts again.
///
/// A partition that was STALL when its committed offset went away keeps
/// its STALL while members hold it and nothing is committed (`stalled`):
/// Kafka deletes a group's offsets with their topic, so a topic deleted
/// and created again under hung members (a routine "truncate") resolved
/// the STALL while the new log filled, unread (hunt 17, W2). Absent from
/// the group's report for at most [`REPLACED_GRACE`] (a poll between the
/// delete and the create), it stays STALL; a topic deleted for good
/// resolves it then. With nothing appended to it for `stall_after`, it
/// is no longer STALL: nothing to read (a consumer that commits only what
/// it processed commits nothing on an idle log).
#[derive(Debug, Clone, Copy)]
struct Uncommitted {
    since: Time,
    /// The latest poll that reported it.
    seen: Time,
    /// The end offset when first seen held (`None`: not seen since its
    /// committed offset went away).
    end: Option<i64>,
    stalled: bool,
}

/// How long a STALL partition missing from its group's report (its topic
/// deleted) stays STALL, waiting for the topic to be created again: a
/// delete and a create run by one script, or by hand in one go.
const REPLACED_GRACE: Duration = Duration::from_secs(60);

/// Whether a group state (Kafka's name, as DescribeGroups and
/// ConsumerGroupDescribe give it) is one of a rebalance: the classic
/// protocol's `PreparingRebalance` and `CompletingRebalance` (eager
/// assignors stop every member's consumption until it completes), KIP-848's
/// `Assigning` and `Reconciling` (partitions moving between members).
pub fn is_rebalancing(state: &str) -> bool {
    [
        "PreparingRebalance",
        "CompletingRebalance",
        "Assigning",
        "Reconciling",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(state))
}

/// Empty spells a group came back from by itself kept per group.
const EMPTY_SPELLS: usize = 4;
/// Spells needed before a group counts as one that runs on a schedule.
const EMPTY_SPELLS_MIN: usize = 2;

/// A group's spells without members that ended with members again: a
/// scheduled job (a cron export, an hourly ETL) runs briefly, reads
/// everything, exits, and starts again at its next run. Once it has come
/// back by itself [`EMPTY_SPELLS_MIN`] times, an empty spell is STOP only
/// when it lasts twice the longest of them (a missed run), not
/// `stop_after` after each exit: an hourly job was paged STOP after every
/// run, 10 critical pages in 11 hours (hunt 11, W4). Only a spell longer
/// than the run before it counts (a job waits longer than it runs; a
/// consumer that crashes now and then, or keeps crashing, runs longer than
/// it is down), and never a spell past twice the usual (a missed run, or
/// an outage): learnt, each outage lengthened the silence before the next
/// was raised (hunt 12, W1). A group never seen to come back, and the
/// first exits after the monitor starts, keep `stop_after`.
#[derive(Debug, Clone, Default)]
struct EmptySpells {
    /// Since when the group has had no members, if it has none now.
    since: Option<Time>,
    /// Since when it has had members (or was first seen with them), if it
    /// has some now.
    running_since: Option<Time>,
    /// How long its last run lasted (a lower bound for the first one).
    last_run: Option<Duration>,
    /// The latest spells it came back from, in milliseconds.
    spells_ms: VecDeque<u64>,
    /// Its lag and the sum of its committed offsets at the first poll of
    /// the current run, and at the latest poll with members (what it left
    /// when it exited, and how far it had read).
    run_start: Option<(i64, i64)>,
    running: (i64, i64),
    /// Whether the current spell began with the run's work done: the lag
    /// it left at its last poll with members was at most a tenth of its
    /// work (the larger of the lag it started with and what it read). A
    /// job that exits with its backlog
    /// unread crashed: it is not between runs, and its spell is not learnt
    /// (hunt 13, W5: a daily job dying 3 minutes into its run, 60 % of the
    /// day's exports unread, was never raised).
    finished: bool,
}

impl EmptySpells {
    /// Records one poll's member count, the group's total lag and the sum
    /// of its committed offsets.
    fn observe(&mut self, members: u32, lag: i64, committed: i64, now: Time) {
        if members > 0 {
            self.run_start.get_or_insert((lag, committed));
            self.running = (lag, committed);
        }
        match (members, self.since) {
            (0, None) => {
                self.since = Some(now);
                self.last_run = self.running_since.take().map(|r| elapsed(r, now));
                let (lag0, read0) = self.run_start.take().unwrap_or(self.running);
                let (left, read) = self.running;
                let work = lag0.max(read - read0);
                self.finished = left <= work / 10;
            }
            (0, Some(_)) => {}
            (_, Some(since)) => {
                let spell = elapsed(since, now);
                let longer_than_run = self.last_run.is_some_and(|r| spell > r);
                if self.finished && longer_than_run && !self.past_usual(spell) {
                    if self.spells_ms.len() >= EMPTY_SPELLS {
                        self.spells_ms.pop_front();
                    }
                    self.spells_ms.push_back(spell.as_millis() as u64);
                }
                self.since = None;
                self.running_since = Some(now);
            }
            (_, None) => {
                self.running_since.get_or_insert(now);
            }
        }
    }

    /// Whether `spell` is past twice the usual one (once one is known).
    fn past_usual(&self, spell: Duration) -> bool {
        let longest = self.spells_ms.iter().max().copied().unwrap_or(0);
        self.spells_ms.len() >= EMPTY_SPELLS_MIN && spell >= Duration::from_millis(longest) * 2
    }

    /// Whether the group is empty now, within twice its longest spell
    /// (once it has come back from enough of them).
    fn between_runs(&self, now: Time) -> bool {
        let Some(since) = self.since else {
            return false;
        };
        self.finished
            && self.spells_ms.len() >= EMPTY_SPELLS_MIN
            && !self.past_usual(elapsed(since, now))
    }
}

/// A group's windows, by topic, each topic's sorted by partition id.
/// Nested rather than one map keyed by (topic, partition): a 2,000-group
/// cluster holds some 200,000 windows, and that map spent about 170 bytes
/// on each beside its ~590 (a copy of the topic name per partition, and a
/// hash table's spare buckets of whole windows); a vector fitted to the
/// topic's partitions spends next to nothing.
#[derive(Debug, Clone, Default)]
struct Windows {
    topics: HashMap<String, Vec<PartitionTrack>>,
}

impl Windows {
    fn len(&self) -> usize {
        self.topics.values().map(Vec::len).sum()
    }

    fn is_empty(&self) -> bool {
        self.topics.values().all(Vec::is_empty)
    }

    fn get(&self, topic: &str, partition: i32) -> Option<&PartitionTrack> {
        let v = self.topics.get(topic)?;
        let i = v.binary_search_by_key(&partition, |t| t.partition).ok()?;
        Some(&v[i])
    }

    fn get_mut(&mut self, topic: &str, partition: i32) -> Option<&mut PartitionTrack> {
        let v = self.topics.get_mut(topic)?;
        let i = v.binary_search_by_key(&partition, |t| t.partition).ok()?;
        Some(&mut v[i])
    }

    /// The window of (`topic`, `partition`), made by `make` if there is none.
    fn get_or_insert_with(
        &mut self,
        topic: &str,
        partition: i32,
        make: impl FnOnce() -> PartitionTrack,
    ) -> &mut PartitionTrack {
        if !self.topics.contains_key(topic) {
            self.topics.insert(topic.to_string(), Vec::new());
        }
        let v = self.topics.get_mut(topic).expect("inserted above");
        let i = match v.binary_search_by_key(&partition, |t| t.partition) {
            Ok(i) => i,
            Err(i) => {
                v.insert(i, make());
                i
            }
        };
        &mut v[i]
    }

    /// Keeps the windows for which `keep(topic, partition)` holds.
    fn retain(&mut self, mut keep: impl FnMut(&str, i32) -> bool) {
        self.topics.retain(|topic, v| {
            v.retain(|t| keep(topic, t.partition));
            !v.is_empty()
        });
    }

    /// Every window with its topic, in no particular order of topics.
    fn iter(&self) -> impl Iterator<Item = (&str, &PartitionTrack)> {
        self.topics
            .iter()
            .flat_map(|(topic, v)| v.iter().map(move |t| (topic.as_str(), t)))
    }

    /// Gives back what the vectors grew beyond their windows (new
    /// partitions are inserted one at a time, and a vector doubles).
    fn fit(&mut self) {
        for v in self.topics.values_mut() {
            if v.capacity() > v.len() {
                v.shrink_to_fit();
            }
        }
    }
}

/// What the tracker learnt of a group's commit cadence (see the module
/// documentation): bounded, [`CADENCE_GAPS`] gaps at most.
#[derive(Debug, Clone, Default)]
struct Cadence {
    /// The latest poll in which some committed offset changed.
    last_commit: Option<Time>,
    /// Whether the group had lag at every poll after `last_commit`.
    lagging_throughout: bool,
    /// Whether some poll between the last two commits showed no lag: a
    /// group that catches up between its commits, not a job that commits
    /// at checkpoints with lag in between.
    caught_up_between: bool,
    /// The latest gaps between commits.
    gaps: VecDeque<Gap>,
    /// Since when (the poll before the first one that showed it) the group
    /// has had lag at every poll, if it has now.
    lag_began: Option<Time>,
    /// The gap before the first commit seen, used only while the cadence
    /// is learnt (at most [`FIRST_GAP_STALLS`] × `stall_after`): the
    /// longer of the time the monitor saw lag before it and what the
    /// commit covered (how far the offsets moved, at the production rate
    /// seen before it). Without it, a job committing every 30 minutes was
    /// STALL again 10 minutes after its first commit seen (hunt 11, W2).
    /// The time seen is cut short when the monitor starts late in an
    /// interval, and what a commit covers is short after a restart; the
    /// bound keeps the whole hang of a consumer hung before the monitor
    /// started from setting the deadline of its next one (hunt 12, W2, W3).
    first_gap_ms: Option<u64>,
    /// The latest poll that saw the group rebalancing ([`is_rebalancing`]).
    /// Seen since the last commit, the gap that ends at the next commit is
    /// a rebalance's pause, not its commit interval (a 60-s rebalance
    /// learnt as a gap made the next hang wait 75 s instead of 30, hunt 14,
    /// s01).
    rebalance_seen: Option<Time>,
}

/// One gap between two commits of a group (see [`Cadence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    ms: u64,
    /// Counted from when the lag began, not from the commit before (a
    /// poll without lag lies between them): a wait, at most one interval.
    wait: bool,
    /// From the commit before: one interval or more (`ms` when not a wait).
    span_ms: u64,
}

impl Cadence {
    /// Records one poll: whether some committed offset changed and whether
    /// some partition had lag.
    /// `previous_read` is the poll before this one that read the group's
    /// offsets; `rebalancing`: the group's state at this poll is one of
    /// a rebalance ([`is_rebalancing`]).
    fn observe(
        &mut self,
        committed: bool,
        covers: Option<Duration>,
        lagging: bool,
        previous_read: Option<Time>,
        rebalancing: bool,
        now: Time,
    ) {
        if rebalancing {
            self.rebalance_seen = Some(self.rebalance_seen.map_or(now, |seen| seen.max(now)));
        }
        if !committed {
            self.lagging_throughout &= lagging;
            if !lagging {
                self.lag_began = None;
            } else if self.lag_began.is_none() {
                self.lag_began = Some(previous_read.unwrap_or(now));
            }
            return;
        }
        // Commits seen at two polls in a row: no poll lies between them to
        // show whether the group had lag, and none is needed, since a group
        // that committed at both polls was not idle in between. Without
        // this, a busy group caught up at every poll (its commits land just
        // before the polls) never learnt its cadence, and a hang was STALL
        // after `stall_after` instead of two of its intervals: 5 minutes or
        // 30 s for the same group, depending on the phase of its commits
        // against the polls (hunt 7, h03).
        let back_to_back = self.last_commit == previous_read;
        // A rebalance since the last commit (or now: members commit as
        // their partitions are revoked) is no commit interval.
        let rebalanced = self
            .rebalance_seen
            .is_some_and(|seen| self.last_commit.is_none_or(|last| seen >= last));
        // A gap with a poll without lag in it (nothing produced since the
        // commit before: lag is the end offset minus an unchanged
        // committed offset) counts from when the lag began: how long the
        // group let work wait before committing, which is what a STALL
        // deadline measures. A job committing every 12 minutes on a quiet
        // topic learnt nothing from such gaps and was STALL after
        // `stall_after` between its commits (hunt 11, W2); a caught-up
        // consumer of a bursty topic, idle between loads, gives the short
        // spans it takes while a load lasts, not the idle hour.
        let gap = match (self.last_commit, self.lag_began) {
            (Some(_), _) if rebalanced => None,
            (Some(last), _) if self.lagging_throughout || back_to_back => {
                Some((elapsed(last, now), false, elapsed(last, now)))
            }
            (Some(last), Some(began)) => Some((elapsed(began, now), true, elapsed(last, now))),
            (None, Some(began)) => {
                let waited = elapsed(began, now);
                self.first_gap_ms = Some(waited.max(covers.unwrap_or_default()).as_millis() as u64);
                None
            }
            _ => None,
        };
        if let Some((gap, wait, span)) = gap {
            if self.gaps.len() >= CADENCE_GAPS {
                self.gaps.pop_front();
            }
            self.gaps.push_back(Gap {
                ms: gap.as_millis() as u64,
                wait,
                span_ms: span.as_millis() as u64,
            });
        }
        self.lag_began = None;
        self.caught_up_between = self.last_commit.is_some() && !self.lagging_throughout;
        self.last_commit = Some(now);
        // The commit poll's own lag does not count: a poll that lands just
        // after a commit sees lag 0 whatever the group's pace (a job that
        // commits every 15 minutes, its commits in the polls' phase, was
        // "caught up between its commits" after every one and STALL 5
        // minutes later: three pages and a flapping in its first 40
        // minutes, hunt 7's seed sweep of hunt 5's h12).
        self.lagging_throughout = true;
    }

    /// How long a partition of this group may owe a commit, as of now.
    fn deadline(&self, config: &LagConfig) -> Deadline {
        let n = config.stall_commit_intervals;
        if n == 0 {
            return Deadline::Fixed;
        }
        match self.interval(config.stall_after.0) {
            Some(c) => Deadline::Cadence(c * n),
            // No commit seen since the group was first seen (it may have
            // been hung before), or a poll without lag since the last one
            // (a group caught up between its commits never gives a gap, so
            // it would be learning for good): `stall_after`, as without a
            // cadence.
            // So does a group that was caught up at some poll between its
            // last two commits: one that hangs shows lag throughout from
            // then on, but it has shown it is no checkpointing job, whose
            // intervals have lag throughout (hunt 6, h05c: a busy group
            // caught up at every poll was raised after 10 minutes).
            // Once some gap is known (the first one a lower bound), it
            // stands even so: a poll without lag between two commits
            // means nothing was produced since the first (lag is the end
            // offset minus an unchanged committed offset), which a job
            // committing every 12 minutes on a quiet topic shows at half
            // its polls; with `stall_after` alone it was STALL between
            // its commits, three critical pages in 23 minutes (hunt 11,
            // W2).
            None if self.last_commit.is_none()
                || ((!self.lagging_throughout || self.caught_up_between)
                    && self.gaps.is_empty()
                    && self.first_gap_ms.is_none()) =>
            {
                Deadline::Fixed
            }
            None => {
                // The first gap at most [`FIRST_GAP_STALLS`] × `stall_after`:
                // the first commit of a consumer hung before the monitor
                // started covers its whole hang, and as a gap it made the
                // next hang wait twice that (hunt 12, W2).
                let first_cap = (config.stall_after.0 * FIRST_GAP_STALLS).as_millis() as u64;
                let longest = self
                    .gaps
                    .iter()
                    .map(|g| g.ms)
                    .chain(self.first_gap_ms.map(|g| g.min(first_cap)))
                    .max()
                    .unwrap_or(0);
                let longest = Duration::from_millis(longest);
                Deadline::Learning(config.stall_after.0.max(longest) * n)
            }
        }
    }

    /// The group's commit interval, once [`CADENCE_MIN_GAPS`] gaps are
    /// known: their mean, but at least half the longest, so that twice it
    /// always covers every recent gap, at least the longest wait (a wait
    /// is part of one interval) and at least the shortest span from one
    /// commit to the next, up to `stall_after` (a span covers one interval
    /// or more; when the topic was idle between two commits, much more).
    fn interval(&self, stall_after: Duration) -> Option<Duration> {
        let n = self.gaps.len() as u64;
        if n < CADENCE_MIN_GAPS as u64 {
            return None;
        }
        let mean = self.gaps.iter().map(|g| g.ms).sum::<u64>() / n;
        let longest = self.gaps.iter().map(|g| g.ms).max().unwrap_or(0);
        let longest_wait = self
            .gaps
            .iter()
            .filter(|g| g.wait)
            .map(|g| g.ms)
            .max()
            .unwrap_or(0);
        let shortest_span = self.gaps.iter().map(|g| g.span_ms).min().unwrap_or(0);
        let span = shortest_span.min(stall_after.as_millis() as u64);
        Some(Duration::from_millis(
            mean.max(longest.div_ceil(2)).max(longest_wait).max(span),
        ))
    }
}

/// How long a partition may owe a commit (have lag with an unchanged
/// committed offset) before it is STALL or STOP, from its group's commit
/// cadence ([`Cadence::deadline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// The cadence is learnt: `stall_commit_intervals` times it. It alone
    /// decides STALL; STOP takes the sooner of it and `stop_after`.
    Cadence(Duration),
    /// Not learnt yet (fewer than [`CADENCE_MIN_GAPS`] gaps), but the
    /// group has committed since it was first seen and had lag at every
    /// poll since its last commit (the next commit gives a gap):
    /// `stall_commit_intervals` times the longer of `stall_after` and the
    /// longest gap seen so far, for STALL; `stop_after` for STOP. With
    /// `stall_after` alone, stream jobs that commit at checkpoints every
    /// 6-15 minutes were STALL between two healthy commits until their
    /// cadence was learnt: 7 critical pages and 3 flapping in the first
    /// hour of watching, and again after every restart of the daemon. A
    /// consumer with lag throughout that hangs before its cadence is learnt
    /// (between its first commits seen) is raised after twice
    /// `stall_after` (10 minutes by default).
    Learning(Duration),
    /// `stall_commit_intervals = 0`, no commit seen since the group was
    /// first seen (a consumer already hung when the daemon starts), a poll
    /// without lag since the last commit or between the two before, the
    /// group's offsets unknown this poll, or a rebalance under way while
    /// the partition owes a commit and its cadence is shorter than
    /// `stall_after`: `stall_after` and `stop_after`.
    Fixed,
}

/// Keeps the commit windows of every group of one cluster and turns each
/// snapshot's groups into [`GroupLagStatus`]es.
#[derive(Debug, Clone)]
pub struct LagTracker {
    config: LagConfig,
    groups: HashMap<String, GroupTrack>,
}

/// See [`LagTracker::last_commit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastCommit {
    pub committed: i64,
    pub since: Time,
    pub end: Option<i64>,
    /// Messages per second.
    pub pace: Option<f64>,
}

/// A partition's status with the detail used in the group's reason.
struct Judged {
    status: PartitionLagStatus,
    detail: String,
    never_committed: bool,
}

impl LagTracker {
    /// An empty tracker.
    pub fn new(config: LagConfig) -> Self {
        LagTracker {
            config,
            groups: HashMap::new(),
        }
    }

    /// What is worth keeping across a restart ([`EvaluatorMemory`]): each
    /// group's commit gaps and spells without members, and, for each
    /// partition owing a commit, its committed offset and since when.
    /// The windows, paces and loads are not kept: they describe the
    /// minutes before the shutdown, not the group.
    pub fn memory(&self) -> EvaluatorMemory {
        let groups = self
            .groups
            .iter()
            .map(|(name, t)| {
                // Only partitions owing a commit: one that is not starts
                // afresh at its next poll exactly as it would go on.
                let mut partitions: Vec<PartitionMemory> = t
                    .partitions
                    .iter()
                    .filter(|(_, e)| e.owing.is_some())
                    .map(|(topic, e)| PartitionMemory {
                        topic: topic.to_string(),
                        partition: e.partition,
                        committed: e.committed,
                        committed_since: e.committed_since,
                        owing_since: e.owing.map(|o| o.since),
                        owing_first_seen: e.owing.map(|o| o.first_seen),
                        owing_later_polls: e.owing.map_or(0, |o| o.later_polls),
                    })
                    .collect();
                partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
                let memory = GroupMemory {
                    gaps_ms: t.cadence.gaps.iter().map(|g| g.ms).collect(),
                    gap_waits: t.cadence.gaps.iter().map(|g| g.wait).collect(),
                    first_gap_ms: t.cadence.first_gap_ms,
                    empty_spells_ms: t.empty.spells_ms.iter().copied().collect(),
                    last_run_ms: t.empty.last_run.map(|d| d.as_millis() as u64),
                    empty_since: t.empty.since,
                    exit_finished: t.empty.finished,
                    running_since: t.empty.running_since,
                    partitions,
                };
                (name.clone(), memory)
            })
            .collect();
        EvaluatorMemory {
            groups,
            ..EvaluatorMemory::default()
        }
    }

    /// Puts back what [`LagTracker::memory`] gave (before the first poll;
    /// groups already tracked keep their state). A group's cadence counts
    /// from its next commit as before, but the first commit after the
    /// restart gives no gap (it may span the time the daemon was down);
    /// a partition whose committed offset is unchanged at the first poll
    /// keeps owing from before the restart, so a hang under way is raised
    /// on time, and one that ended meanwhile is forgotten.
    pub fn restore(&mut self, memory: EvaluatorMemory) {
        for (name, m) in memory.groups {
            if self.groups.contains_key(&name) {
                continue;
            }
            let mut track = GroupTrack::default();
            // Saved before waits were told apart: every gap whole.
            let mut waits = m.gap_waits.into_iter();
            let gaps: Vec<Gap> = m
                .gaps_ms
                .into_iter()
                .map(|ms| Gap {
                    ms,
                    wait: waits.next().unwrap_or(false),
                    span_ms: ms,
                })
                .collect();
            let keep = gaps.len().saturating_sub(CADENCE_GAPS);
            track.cadence.gaps = gaps.into_iter().skip(keep).collect();
            track.cadence.first_gap_ms = m.first_gap_ms;
            let keep = m.empty_spells_ms.len().saturating_sub(EMPTY_SPELLS);
            track.empty.spells_ms = m.empty_spells_ms.into_iter().skip(keep).collect();
            track.empty.last_run = m.last_run_ms.map(Duration::from_millis);
            track.empty.since = m.empty_since;
            track.empty.finished = m.exit_finished;
            track.empty.running_since = m.running_since.filter(|_| m.empty_since.is_none());
            for p in m.partitions {
                let entry = track
                    .partitions
                    .get_or_insert_with(&p.topic, p.partition, || {
                        // The end at its commit is not known: a partition
                        // owing a commit has unread messages, whatever the
                        // end offset at the first poll after the restart.
                        PartitionTrack::new(
                            &self.config,
                            p.partition,
                            p.committed,
                            None,
                            p.committed_since,
                        )
                    });
                entry.owing = p.owing_since.map(|since| Owing {
                    since,
                    first_seen: p.owing_first_seen.unwrap_or(since).max(since),
                    later_polls: p.owing_later_polls,
                });
            }
            track.partitions.fit();
            self.groups.insert(name, track);
        }
    }

    /// What the tracker knows of a group's partition before this poll's
    /// [`LagTracker::update`]: its latest committed offset, since when,
    /// the end offset at the latest poll, and how fast it consumes (the
    /// faster of its usual pace and its pace in the current growth, in
    /// messages per second, once watched long enough).
    pub fn last_commit(&self, group: &str, topic: &str, partition: i32) -> Option<LastCommit> {
        let track = self.groups.get(group)?.partitions.get(topic, partition)?;
        let absorb = self.config.absorb_for.0;
        let pace = match (track.pace.rate(absorb), track.run.rate(absorb)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Some(LastCommit {
            committed: track.committed,
            since: track.committed_since,
            end: track.latest.map(|o| o.end),
            pace,
        })
    }

    /// Number of groups with state.
    pub fn tracked_groups(&self) -> usize {
        self.groups.len()
    }

    /// Number of (group, partition) windows held.
    pub fn tracked_partitions(&self) -> usize {
        self.groups.values().map(|g| g.partitions.len()).sum()
    }

    /// Records one snapshot's groups and returns every group's status,
    /// sorted by group name. Groups and partitions not in `groups` are
    /// forgotten.
    pub fn update(&mut self, groups: &[GroupInfo], now: Time) -> Vec<GroupLagStatus> {
        self.run(groups, now, true)
    }

    /// Like [`LagTracker::update`], but keeps the state of groups absent
    /// from `groups`: for a snapshot whose group listing failed.
    pub fn observe(&mut self, groups: &[GroupInfo], now: Time) -> Vec<GroupLagStatus> {
        self.run(groups, now, false)
    }

    fn run(&mut self, groups: &[GroupInfo], now: Time, forget: bool) -> Vec<GroupLagStatus> {
        let live: Vec<&GroupInfo> = groups
            .iter()
            .filter(|g| !g.state.eq_ignore_ascii_case("dead"))
            .collect();
        if forget {
            let names: std::collections::HashSet<&str> =
                live.iter().map(|g| g.name.as_str()).collect();
            self.groups.retain(|name, _| names.contains(name.as_str()));
        }
        let mut out: Vec<GroupLagStatus> = live
            .iter()
            .map(|g| {
                let track = self.groups.entry(g.name.clone()).or_default();
                update_group(&self.config, track, g, now)
            })
            .collect();
        out.sort_by(|a, b| a.group.cmp(&b.group));
        out
    }
}

fn update_group(
    config: &LagConfig,
    track: &mut GroupTrack,
    group: &GroupInfo,
    now: Time,
) -> GroupLagStatus {
    // Its offsets could not be read this poll (an error and no committed
    // offset at all; a failed describe alone still brings offsets): keep
    // what is known and judge it again as of `now`, rather than forgetting
    // every window (which would end a REWIND and restart the STALL clock on
    // one failed fetch).
    let offsets_unknown = group.partitions.iter().all(|p| p.committed.is_none());
    if let (Some(error), true, false) = (&group.error, offsets_unknown, track.partitions.is_empty())
    {
        let mut judged: Vec<Judged> = track
            .partitions
            .iter()
            .map(|(topic, entry)| {
                let partition = entry.partition;
                // Offsets unknown: too little to call a commit overdue.
                let (status, detail) = judge_held(
                    config,
                    entry,
                    group.members,
                    Deadline::Fixed,
                    None,
                    false,
                    now,
                );
                Judged {
                    status: PartitionLagStatus {
                        topic: topic.to_string(),
                        partition,
                        status,
                        lag: entry.latest.map(|o| o.lag()),
                        lag_seconds: None,
                    },
                    detail: format!("{topic}-{partition} {detail} (last known: {error})"),
                    never_committed: false,
                }
            })
            .collect();
        judged.sort_by(|a, b| {
            (&a.status.topic, a.status.partition).cmp(&(&b.status.topic, b.status.partition))
        });
        judged.extend(carried_stalls(track, group.members, now, |_, _| true));
        return group_status(config, group, judged);
    }
    // Forget partitions the group no longer reports or never committed;
    // those STALL then carry it (see [`Uncommitted`]).
    let current: std::collections::HashSet<(&str, i32)> = group
        .partitions
        .iter()
        .filter(|p| p.committed.is_some())
        .map(|p| (p.topic.as_str(), p.partition))
        .collect();
    let lost_stalled: Vec<(String, i32)> = track
        .partitions
        .iter()
        .filter(|(t, e)| e.was == LagStatus::Stall && !current.contains(&(t, e.partition)))
        .map(|(t, e)| (t.to_string(), e.partition))
        .collect();
    track
        .partitions
        .retain(|topic, partition| current.contains(&(topic, partition)));
    // Partitions held with nothing committed: since when (see
    // [`Uncommitted`]); forgotten once committed, unassigned or unheld. A
    // carried STALL survives a rebalance (deleting a topic makes polling
    // members rejoin) and an unknown end offset (a new log's leader not
    // elected yet) or a failed describe (members unknown, reported 0), not
    // the members' leaving.
    let present = group.members > 0 || group.error.is_some();
    let held = group.members > 0 && !is_rebalancing(&group.state);
    let reported: HashMap<(&str, i32), &GroupPartition> = group
        .partitions
        .iter()
        .map(|p| ((p.topic.as_str(), p.partition), p))
        .collect();
    track
        .uncommitted
        .retain(|(t, p), u| match reported.get(&(t.as_str(), *p)) {
            Some(rp) if rp.committed.is_some() => false,
            Some(_) if u.stalled => present,
            Some(rp) => held && rp.end_offset.is_some(),
            None => u.stalled && present && elapsed(u.seen, now) <= REPLACED_GRACE,
        });
    for (topic, partition) in lost_stalled.into_iter().filter(|_| present) {
        track.uncommitted.insert(
            (topic, partition),
            Uncommitted {
                since: now,
                seen: now,
                end: None,
                stalled: true,
            },
        );
    }
    for p in group.partitions.iter().filter(|p| p.committed.is_none()) {
        match track.uncommitted.get_mut(&(p.topic.clone(), p.partition)) {
            Some(u) => {
                u.seen = now;
                u.end = u.end.or(p.end_offset);
            }
            None => {
                if let (true, Some(end)) = (held, p.end_offset) {
                    track.uncommitted.insert(
                        (p.topic.clone(), p.partition),
                        Uncommitted {
                            since: now,
                            seen: now,
                            end: Some(end),
                            stalled: false,
                        },
                    );
                }
            }
        }
    }
    let mut committed = false;
    let (mut consumed, mut per_sec) = (0.0, 0.0);
    let read_before = track.read_at.replace(now);
    let previous_read = read_before.unwrap_or(now);
    for p in &group.partitions {
        let (changed, advance) = record_partition(config, track, p, previous_read, now);
        committed |= changed;
        if let Some(a) = advance {
            consumed += a.consumed;
            per_sec += a.produced_per_sec;
        }
    }
    // What the commits of this poll cover, in time: a job that commits
    // every 30 minutes moves its offsets by 30 minutes of production.
    let covers = (committed && per_sec > 0.0)
        .then(|| Duration::from_secs_f64((consumed / per_sec).min(7.0 * 86_400.0)));
    track.partitions.fit();
    let lagging = track.partitions.iter().any(|(_, e)| e.owing.is_some());
    let rebalancing = is_rebalancing(&group.state);
    track
        .cadence
        .observe(committed, covers, lagging, read_before, rebalancing, now);
    let deadline = track.cadence.deadline(config);
    let committed_sum = group.partitions.iter().filter_map(|p| p.committed).sum();
    track
        .empty
        .observe(group.members, group.total_lag(), committed_sum, now);
    let between_runs = track.empty.between_runs(now);
    let mut judged: Vec<Judged> = group
        .partitions
        .iter()
        .map(|p| judge_partition(config, track, p, group.members, deadline, between_runs, now))
        .collect();
    // STALL partitions whose topic left the report (deleted) in the grace
    // before it is created again (see [`Uncommitted`]).
    judged.extend(carried_stalls(track, group.members, now, |t, p| {
        !reported.contains_key(&(t, p))
    }));
    for j in &judged {
        if let Some(entry) = track
            .partitions
            .get_mut(&j.status.topic, j.status.partition)
        {
            entry.was = j.status.status;
            entry.was_behind = j.status.lag_seconds.map(|s| s as f32);
            match (j.status.status, entry.was_behind) {
                (LagStatus::Ok, _) => entry.held_behind = VecDeque::new(),
                (_, Some(b)) => {
                    if entry.held_behind.len() >= config.window.max(1) {
                        entry.held_behind.pop_front();
                    }
                    entry.held_behind.push_back(b);
                }
                (_, None) => {}
            }
        }
    }
    group_status(config, group, judged)
}

/// The group's status from its partitions' judgements.
fn group_status(config: &LagConfig, group: &GroupInfo, judged: Vec<Judged>) -> GroupLagStatus {
    // The most severe partition status; among equally severe ones, the
    // latest in Burrow's order. So a partition in REWIND (a warning by
    // default) does not hide another one in STALL, STOP or ERR.
    let status = judged
        .iter()
        .map(|j| j.status.status)
        .max_by_key(|s| (config.severity(*s), *s))
        .unwrap_or(LagStatus::Ok);
    let reason = reason(group, status, &judged);
    GroupLagStatus {
        group: group.name.clone(),
        status,
        reason,
        total_lag: group.total_lag(),
        max_lag_seconds: group.max_lag_seconds(),
        partitions: judged.into_iter().map(|j| j.status).collect(),
    }
}

/// Records one partition's offsets; true when its committed offset moved
/// forward.
/// `previous_read`: the poll before, which saw neither this commit nor
/// this lag.
fn record_partition(
    config: &LagConfig,
    track: &mut GroupTrack,
    p: &GroupPartition,
    previous_read: Time,
    now: Time,
) -> (bool, Option<Advance>) {
    let Some(committed) = p.committed else {
        return (false, None);
    };
    let mut changed = false;
    let mut advance = None;
    let entry = track
        .partitions
        .get_or_insert_with(&p.topic, p.partition, || {
            PartitionTrack::new(config, p.partition, committed, p.end_offset, now)
        });
    if committed < entry.committed {
        entry.rewound = Some((entry.committed, committed, now));
        // The lag before the rewind is another story than the replay's
        // (the producers' noise is not).
        entry.steps.restart();
    }
    if entry.committed != committed {
        // A commit, for the cadence, is a move forward: a rewind (an
        // operator's reset) says nothing of how often the group commits.
        changed = committed > entry.committed;
        entry.committed = committed;
        entry.committed_since = now;
        entry.end_at_commit = p.end_offset.unwrap_or(END_NOT_SEEN);
        entry.owing = None;
    }
    if let Some(end) = p.end_offset {
        let obs = Observation {
            committed,
            end,
            at_ms: now.timestamp_millis(),
        };
        entry.latest = Some(obs);
        let last = entry.observations.back().copied();
        if last.is_none_or(|l| l.committed != committed) {
            if let Some(l) = last.filter(|l| obs.at_ms > l.at_ms) {
                let secs = (obs.at_ms - l.at_ms) as f64 / 1000.0;
                let consumed = (committed - l.committed).max(0) as f64;
                if changed {
                    advance = Some(Advance {
                        consumed,
                        produced_per_sec: (obs.end - l.end).max(0) as f64 / secs,
                    });
                }
                let absorb_for = config.absorb_for.0;
                if obs.lag() < l.lag() || obs.lag() <= config.caught_up_lag {
                    // The growth (if any) is over: what the consumer did
                    // meanwhile is part of its usual pace now.
                    let run = std::mem::take(&mut entry.run);
                    entry.pace.add(run.consumed, run.secs, absorb_for);
                    entry.pace.add(consumed, secs, absorb_for);
                    entry.growing_since_ms = obs.at_ms;
                } else {
                    entry.run.add(consumed, secs, absorb_for);
                }
            }
            track_load(config, entry, obs);
            let step_ms = (config.absorb_for.0 / 2).as_millis() as i64;
            if step_ms > 0 {
                entry.steps.sample(obs, step_ms);
            }
            if entry.observations.len() >= config.window {
                entry.observations.pop_front();
            }
            entry.observations.push_back(obs);
        }
        entry.owing = if obs.lag() > config.caught_up_lag && !entry.only_a_marker_left(config, obs)
        {
            Some(match entry.owing {
                Some(o) => Owing {
                    later_polls: o.later_polls + 1,
                    ..o
                },
                None => Owing {
                    since: previous_read,
                    first_seen: now,
                    later_polls: 0,
                },
            })
        } else {
            None
        };
    }
    (changed, advance)
}

/// How far a partition's committed offset moved at a commit, and how fast
/// producers appended since the commit before it (or since the partition
/// was first seen).
#[derive(Debug, Clone, Copy)]
struct Advance {
    consumed: f64,
    produced_per_sec: f64,
}

/// Follows the load under way: its peak and longest growth while the lag
/// stands, recorded as worked off once the lag is back to a tenth of its
/// peak.
fn track_load(config: &LagConfig, entry: &mut PartitionTrack, obs: Observation) {
    let lag = obs.lag();
    match entry.load.as_mut() {
        Some(load)
            if lag <= config.caught_up_lag || (lag as f64) <= DRAINED_SHARE * load.peak as f64 =>
        {
            let load = *load;
            entry.load = None;
            entry.drained.record(load, obs.at_ms);
        }
        Some(load) => {
            load.peak = load.peak.max(lag);
            load.growth_ms = load.growth_ms.max(obs.at_ms - entry.growing_since_ms);
        }
        None if lag > config.caught_up_lag => {
            entry.load = Some(Load {
                peak: lag,
                growth_ms: (obs.at_ms - entry.growing_since_ms).max(0),
            });
        }
        None => {}
    }
}

/// A consumer slightly slower than its producers (rule 7 of the module
/// documentation): WARN text when the lag at its commits rose at every
/// step of half `absorb_for` over the last two `absorb_for`, and is still
/// no lower at its latest commit than at the last step and the commit
/// before (every sample is a commit: the consumer moved), and it is now
/// `absorb_for` or more behind the producers. A consumer at 93.5 % of the
/// production never lost a tenth of it over one window, so rule 6 never
/// saw it, while it fell 4 minutes further behind every hour for six
/// hours. Over a window of
/// commits the producers' noise and the commit saw-tooth hide such a
/// creep; over steps of five minutes it is hundreds of messages each.
/// `None` also for a lag like one it worked off lately (a daily peak it
/// always catches up with).
/// `behind`: [`behind_secs`], as [`judge`] took it.
fn creeping(
    config: &LagConfig,
    t: &PartitionTrack,
    behind: Option<f64>,
    now_ms: i64,
) -> Option<String> {
    // Every sample is a commit (the consumer moved between two of them),
    // and the samples restart at a rewind.
    let lags = t.steps.lags();
    let (&first, &last, newest) = (lags.first()?, lags.last()?, t.observations.back()?);
    let before = t.observations.iter().rev().nth(1)?;
    let rising = lags.len() >= CREEP_SAMPLES
        && lags.windows(2).all(|w| w[1] > w[0])
        && newest.lag() >= last
        // Still growing: a lag that just began to fall (a load ended) is
        // the other rules' to judge.
        && newest.lag() >= before.lag();
    if !rising {
        return None;
    }
    // By more than the producers' noise explains: a consumer keeping pace
    // an hour behind walks its lag by it, and rises at four steps in a row
    // about one time in sixteen (hunt 14, W2: 16 more messages in 20
    // minutes, against 12,000 produced, was "falling further behind").
    if ((newest.lag() - first) as f64) < CREEP_NOISE_MULTIPLE * t.steps.noise() {
        return None;
    }
    // Behind now, and behind at its latest commit (that commit's lag at
    // the window's production rate): a job committing every half hour is
    // half an hour behind before each commit and seconds behind at it,
    // and lag at commits that rises only because producers send more
    // (a morning ramp) is not falling behind (hunt 11, W3).
    let behind = behind?;
    let at_commit = newest.lag() as f64 / window_rate(t)?;
    let absorb = config.absorb_for.0.as_secs_f64();
    if behind < absorb || at_commit < absorb {
        return None;
    }
    let known = t
        .drained
        .largest(now_ms)
        .is_some_and(|l| (newest.lag() as f64) <= DRAINED_MARGIN * l.peak as f64);
    if known {
        return None;
    }
    Some(format!(
        "falling further behind: lag rose at each of {} commits sampled at least {} apart (from {} to {}), {} behind the producers",
        lags.len(),
        human(config.absorb_for.0 / 2),
        first,
        newest.lag(),
        human(seconds(behind.min(at_commit))),
    ))
}

/// How far behind the producers the consumer is, in seconds: the
/// poller's time lag, or, while its offset history is younger than the
/// lag, the latest lag at the window's production rate (`None` when
/// nothing was produced over the window).
fn behind_secs(t: &PartitionTrack, time_lag: Option<f64>) -> Option<f64> {
    time_lag.or_else(|| Some(t.latest?.lag() as f64 / window_rate(t)?))
}

/// What producers appended per second over the window of commits (`None`
/// when nothing was).
fn window_rate(t: &PartitionTrack) -> Option<f64> {
    let (first, last) = (t.observations.front()?, t.observations.back()?);
    let secs = (last.at_ms - first.at_ms) as f64 / 1000.0;
    let produced = (last.end - first.end).max(0);
    (produced > 0 && secs > 0.0).then(|| produced as f64 / secs)
}

/// One partition's status, from its window as [`record_partition`] left it.
fn judge_partition(
    config: &LagConfig,
    track: &GroupTrack,
    p: &GroupPartition,
    members: u32,
    deadline: Deadline,
    between_runs: bool,
    now: Time,
) -> Judged {
    let name = format!("{}-{}", p.topic, p.partition);
    let mut status = PartitionLagStatus {
        topic: p.topic.clone(),
        partition: p.partition,
        status: LagStatus::Ok,
        lag: None,
        lag_seconds: p.lag_seconds,
    };
    if p.committed.is_none() {
        let held = track.uncommitted.get(&(p.topic.clone(), p.partition));
        let appended = |u: &Uncommitted| Some(p.end_offset? - u.end?);
        if let Some(u) = held.filter(|u| {
            u.stalled
                && (appended(u).is_some_and(|a| a > config.caught_up_lag)
                    || elapsed(u.since, now) <= config.stall_after.0)
        }) {
            status.status = LagStatus::Stall;
            return Judged {
                status,
                detail: stalled_replaced_detail(&name, u, p.end_offset, members, now),
                never_committed: false,
            };
        }
        let limit = config.stall_after.0 * config.stall_commit_intervals.max(1);
        let stalled = held
            .filter(|u| elapsed(u.since, now) > limit)
            .and_then(|u| Some((u, appended(u)?)))
            .filter(|(_, appended)| *appended > config.caught_up_lag);
        if let Some((u, appended)) = stalled {
            // A warning, not a STALL page: some healthy consumers commit
            // late by design (a sink connector committing at each file it
            // writes) or keep their offsets outside Kafka.
            status.status = LagStatus::Warn;
            return Judged {
                status,
                detail: format!(
                    "{name} nothing committed since its {members} member(s) were seen holding it {} ago, while {appended} messages were appended",
                    human(elapsed(u.since, now))
                ),
                never_committed: false,
            };
        }
        return Judged {
            status,
            detail: format!("{name} never committed"),
            never_committed: true,
        };
    }
    let entry = track.partitions.get(&p.topic, p.partition);
    let Some((entry, latest)) = entry.and_then(|e| Some((e, e.latest?))) else {
        return Judged {
            status,
            detail: format!("{name} end offset unknown"),
            never_committed: false,
        };
    };
    status.lag = Some(latest.lag());
    // A rebalance seen while this partition owes a commit: its group
    // stopped consuming to move partitions between members (a deploy's
    // rolling restart, a member joining or leaving), which its own commit
    // cadence does not measure. A rolling deploy's 30-90 s rebalances were
    // STALL (critical) 30 s into each (hunt 14, W3), while a hang keeps its
    // members and its state `Stable`. While the rebalance lasts, the
    // longer of `stall_after` and the cadence counts (a rebalance that
    // does not complete is STALL after that); once it is over, the
    // cadence counts from its last poll (a new version that hangs at once
    // is raised as fast as any hang).
    let deadline = match (deadline, entry.owing, track.cadence.rebalance_seen) {
        (Deadline::Cadence(limit), Some(o), Some(seen)) if seen >= o.since => {
            if seen < now {
                Deadline::Cadence(limit + elapsed(o.since, seen))
            } else if limit < config.stall_after.0 {
                Deadline::Fixed
            } else {
                deadline
            }
        }
        _ => deadline,
    };
    let (s, detail) = judge_held(
        config,
        entry,
        members,
        deadline,
        p.lag_seconds,
        between_runs,
        now,
    );
    status.status = s;
    Judged {
        status,
        detail: format!("{name} {detail}"),
        never_committed: false,
    }
}

/// The carried STALLs (see [`Uncommitted`]) of the partitions `pick`
/// selects, by topic and partition.
fn carried_stalls(
    track: &GroupTrack,
    members: u32,
    now: Time,
    pick: impl Fn(&str, i32) -> bool,
) -> Vec<Judged> {
    let mut carried: Vec<_> = track
        .uncommitted
        .iter()
        .filter(|((t, p), u)| u.stalled && pick(t, *p))
        .collect();
    carried.sort_by(|a, b| a.0.cmp(b.0));
    carried
        .into_iter()
        .map(|((topic, partition), u)| Judged {
            status: PartitionLagStatus {
                topic: topic.clone(),
                partition: *partition,
                status: LagStatus::Stall,
                lag: None,
                lag_seconds: None,
            },
            detail: stalled_replaced_detail(&format!("{topic}-{partition}"), u, None, members, now),
            never_committed: false,
        })
        .collect()
}

/// Why a partition is still STALL though its committed offset is gone
/// (see [`Uncommitted`]); `end`: its end offset now, when reported.
fn stalled_replaced_detail(
    name: &str,
    u: &Uncommitted,
    end: Option<i64>,
    members: u32,
    now: Time,
) -> String {
    let ago = human(elapsed(u.since, now));
    match (end, u.end) {
        (None, _) => format!(
            "{name} was STALL when the group's committed offset went away {ago} ago (its topic deleted?); its {members} member(s) are still there"
        ),
        (Some(end), first) => format!(
            "{name} was STALL when the group's committed offset went away {ago} ago (its topic deleted and created again?): nothing committed since by its {members} member(s), {} messages appended",
            (end - first.unwrap_or(end)).max(0)
        ),
    }
}

/// [`judge`], with a WARN or ERR held while the consumer has not
/// recovered, and a STALL, STOP or REWIND followed by a WARN until then
/// (a consumer that stood still for two hours, or replays from the start
/// of its log, is hours behind when it moves again or its REWIND report
/// ends: resolved then, its incident said all was well for the hour it
/// took to catch up). A consumer no longer falling further behind in messages
/// (its lag shrinking in a lull between two loads, or growing at its
/// usual pace again) but raised while it fell behind is the same incident
/// until its lag is back to a tenth of its peak, or it is less than half
/// of `absorb_for` behind the producers in time (the poller's time lag)
/// and no further behind than at the last poll nor than `window` polls ago
/// (or when raised, if sooner). A consumer of a bursty
/// topic, slowed, works off part of its lag between two loads: released
/// at the first lull, it was raised anew at the next load (three
/// critical pages in 90 minutes while 20-60 minutes behind throughout);
/// in such a lull its lag shrinks while it falls further behind in time,
/// reading the dense part of a load.
fn judge_held(
    config: &LagConfig,
    t: &PartitionTrack,
    members: u32,
    deadline: Deadline,
    time_lag: Option<f64>,
    between_runs: bool,
    now: Time,
) -> (LagStatus, String) {
    let judged = judge(config, t, members, deadline, time_lag, between_runs, now);
    let (
        LagStatus::Ok,
        LagStatus::Warn | LagStatus::Err | LagStatus::Stall | LagStatus::Stop | LagStatus::Rewind,
        Some(load),
        Some(latest),
    ) = (judged.0, t.was, t.load, t.latest)
    else {
        return judged;
    };
    let (status, state, stood_still) = match t.was {
        LagStatus::Stall | LagStatus::Stop => {
            (LagStatus::Warn, "moving again after it stood still", true)
        }
        LagStatus::Rewind => (
            LagStatus::Warn,
            "working through what it went back to",
            true,
        ),
        was => (was, "no longer falling further behind", false),
    };
    let release_secs = RELEASE_BEHIND_SHARE * config.absorb_for.0.as_secs_f64();
    // No further behind than at the last poll, nor than `window` polls
    // ago (or when raised): a consumer falling a few seconds further
    // behind each minute is less behind than at the poll before about
    // every other poll, with the producers' noise, and was released two
    // minutes after its raise and raised again (hunt 16, W2).
    let no_further = |b: f64| {
        t.was_behind.is_none_or(|w| b <= f64::from(w))
            && t.held_behind.front().is_none_or(|&w| b <= f64::from(w))
    };
    let recovered = latest.lag() <= config.caught_up_lag
        || t.only_a_marker_left(config, latest)
        || time_lag.is_some_and(|b| b < release_secs && no_further(b))
        // Moving again after a STALL, STOP or REWIND: held only while far
        // behind, also where only the window's production rate can say so.
        || (stood_still && behind_secs(t, time_lag).is_none_or(|b| b < release_secs));
    if recovered {
        return judged;
    }
    let behind = time_lag
        .map(|b| format!(", {} behind the producers", human(seconds(b))))
        .unwrap_or_default();
    (
        status,
        format!(
            "{state} but not caught up: lag {} (peak {}{behind}), held until back to a tenth of its peak or less than {} behind",
            latest.lag(),
            load.peak,
            human(config.absorb_for.0.mul_f64(RELEASE_BEHIND_SHARE))
        ),
    )
}

/// Applies the ordered rules of the module documentation to one window.
///
/// `deadline`: how long a partition may owe a commit before it is STALL
/// or STOP, from its group's commit cadence.
/// `time_lag`: the poller's lag in seconds (how long ago the first unread
/// message was appended), when its offset history reaches back that far.
/// `between_runs`: the group is empty within its usual spell between runs
/// ([`EmptySpells`]): not STOP.
fn judge(
    config: &LagConfig,
    t: &PartitionTrack,
    members: u32,
    deadline: Deadline,
    time_lag: Option<f64>,
    between_runs: bool,
    now: Time,
) -> (LagStatus, String) {
    let obs = &t.observations;
    let (first, last, now_seen) = match (obs.front(), obs.back(), t.latest) {
        (Some(f), Some(l), Some(n)) => (*f, *l, n),
        _ => return (LagStatus::Ok, "no observation".into()),
    };
    if now_seen.lag() <= config.caught_up_lag {
        return (LagStatus::Ok, format!("caught up (lag {})", now_seen.lag()));
    }
    if t.only_a_marker_left(config, now_seen) {
        return (
            LagStatus::Ok,
            format!(
                "caught up (lag {}: nothing produced since its commit, a transaction marker)",
                now_seen.lag()
            ),
        );
    }
    let still = elapsed(t.committed_since, now);
    // How long the consumer has owed a commit (lag with this offset), from
    // the second poll that showed it on.
    let (owing, later_polls) = match t.owing {
        Some(o) if o.first_seen < now => (elapsed(o.since, now), o.later_polls),
        _ => (Duration::ZERO, 0),
    };
    let overdue = match deadline {
        Deadline::Cadence(limit) => Some(limit).filter(|_| owing > limit && later_polls >= 2),
        _ => None,
    };
    // A group with members that commits less often than `stall_after`
    // (a stream job at its checkpoints) would be STALL between two healthy
    // commits: once its cadence is learnt, the cadence alone decides, and
    // while it is learnt the longest gap seen so far counts (see
    // [`Deadline::Learning`]). A group without members cannot commit, so
    // STOP takes the sooner of `stop_after` and the learnt cadence.
    let late = if members > 0 {
        match deadline {
            Deadline::Cadence(_) => overdue.is_some(),
            Deadline::Learning(limit) => owing > limit,
            Deadline::Fixed => owing > config.stall_after.0,
        }
    } else if between_runs {
        // A scheduled job between two runs: its lag waits for the next.
        false
    } else {
        owing > config.stop_after.0 || overdue.is_some()
    };
    if late {
        let cadence = overdue
            .map(|limit| {
                format!(
                    " ({} of its commit intervals of about {})",
                    config.stall_commit_intervals,
                    human_ms(limit / config.stall_commit_intervals.max(1))
                )
            })
            .unwrap_or_default();
        let unchanged = format!(
            "has lag {} with committed offset {} unchanged for {}{cadence}",
            now_seen.lag(),
            now_seen.committed,
            human(still),
        );
        return if members > 0 {
            (
                LagStatus::Stall,
                format!("{unchanged} although the group has {members} member(s)"),
            )
        } else {
            (LagStatus::Stop, format!("{unchanged} and no group member"))
        };
    }
    if let Some((from, to, at)) = t.rewound {
        let ago = elapsed(at, now);
        if ago < config.rewind_for.0 {
            return (
                LagStatus::Rewind,
                format!(
                    "committed offset went back from {from} to {to} {} ago (lag now {})",
                    human(ago),
                    now_seen.lag()
                ),
            );
        }
    }
    let grew = obs.len() >= config.window
        && obs
            .iter()
            .zip(obs.iter().skip(1))
            .all(|(a, b)| b.lag() >= a.lag())
        && last.lag() > first.lag()
        && last.committed > first.committed
        // Burrow's first rule: a consumer caught up at any point of the
        // window is absorbing a burst, not falling behind.
        && obs.iter().all(|o| o.lag() > config.caught_up_lag);
    let consumed = (last.committed - first.committed).max(0);
    let produced = (last.end - first.end).max(0);
    let behind = behind_secs(t, time_lag);
    let absorb_secs = config.absorb_for.0.as_secs_f64();
    if grew && (consumed as f64) < config.warn_consume_ratio * produced as f64 {
        let span_ms = (last.at_ms - first.at_ms).max(0);
        let span = human(Duration::from_millis(span_ms as u64));
        // A consumer at its usual pace or faster: producers sent more than
        // usual (a batch job, a replay) and it is working through it. Not
        // news until the growth has lasted `absorb_for` (Burrow raises every
        // batch job), and then a warning: its capacity, not the consumer,
        // is what falls short.
        let growing = Duration::from_millis((last.at_ms - t.growing_since_ms).max(0) as u64);
        let pace = busy_pace(obs);
        let keeps = |usual: f64| pace.is_none_or(|p| p >= USUAL_PACE_SHARE * usual);
        let pace_text = |usual: f64| match pace {
            Some(p) => format!("{p:.1}/s, usual {usual:.1}/s"),
            None => format!("all there was at every poll, usual {usual:.1}/s"),
        };
        let usual = t.pace.rate(config.absorb_for.0);
        if config.absorb_for.0.is_zero() {
            // Judged at once, as Burrow does.
        } else if growing < config.absorb_for.0 {
            match usual {
                Some(usual) if keeps(usual) => {
                    return (
                        LagStatus::Ok,
                        format!(
                            "working through a burst: lag grew from {} to {} over {} while the consumer kept its usual pace ({})",
                            first.lag(), last.lag(), span, pace_text(usual)
                        ),
                    );
                }
                // Watched too briefly to know its usual pace (the monitor
                // just started, maybe in the middle of a batch load): a
                // burst and a slowdown look the same until `absorb_for`.
                None => {
                    return (
                        LagStatus::Ok,
                        format!(
                            "lag grew from {} to {} over {}; its usual pace is not known yet",
                            first.lag(),
                            last.lag(),
                            span
                        ),
                    );
                }
                Some(_) => {}
            }
        } else if let Some(usual) = usual.filter(|&u| keeps(u)) {
            // A load like one it worked off lately: what this consumer
            // does at every batch, not news.
            if let Some(known) = t.drained.largest(last.at_ms).filter(|l| {
                (last.lag() as f64) <= DRAINED_MARGIN * l.peak as f64
                    && growing.as_millis() as f64 <= DRAINED_MARGIN * l.growth_ms as f64
            }) {
                return (
                    LagStatus::Ok,
                    format!(
                        "working through a load like those it worked off lately: lag grew for {} to {} at its usual pace ({}); the largest it worked off in the last day reached {} after growing for {}",
                        human(growing),
                        last.lag(),
                        pace_text(usual),
                        known.peak,
                        human(Duration::from_millis(known.growth_ms.max(0) as u64)),
                    ),
                );
            }
            // A batch consumer a few minutes behind at the end of a long
            // load is doing its job (a first load of each batch topic was
            // a warning on a healthy cluster); one left `absorb_for`
            // behind is not.
            if let Some(behind) = behind.filter(|&b| b < absorb_secs) {
                return (
                    LagStatus::Ok,
                    format!(
                        "working through a load: lag grew for {} to {} at its usual pace ({}), {} behind the producers",
                        human(growing),
                        last.lag(),
                        pace_text(usual),
                        human(seconds(behind))
                    ),
                );
            }
            let behind = behind
                .map(|b| format!(", {} behind", human(seconds(b))))
                .unwrap_or_default();
            return (
                LagStatus::Warn,
                format!(
                    "lag has grown for {} (to {}{behind}) although the consumer keeps its usual pace ({}): producers outpace it",
                    human(growing), last.lag(), pace_text(usual)
                ),
            );
        }
        // Once ERR, it stays ERR until the consumer does clearly better
        // than the ERR ratio, so a consumer hovering at it is not
        // escalated and de-escalated at every poll.
        let err_ratio = config.err_consume_ratio
            + if t.was == LagStatus::Err {
                ERR_HYSTERESIS
            } else {
                0.0
            };
        if (consumed as f64) < err_ratio * produced as f64 {
            return (
                LagStatus::Err,
                format!(
                    "lag grew from {} to {} over {}; the consumer advanced {} while producers appended {}",
                    first.lag(), last.lag(), span, consumed, produced
                ),
            );
        }
        return (
            LagStatus::Warn,
            format!(
                "lag grew from {} to {} over {} while the consumer advanced {} of {} appended",
                first.lag(),
                last.lag(),
                span,
                consumed,
                produced
            ),
        );
    }
    if let Some(text) = creeping(config, t, behind, now.timestamp_millis()) {
        return (LagStatus::Warn, text);
    }
    (
        LagStatus::Ok,
        format!("keeping up (lag {})", now_seen.lag()),
    )
}

/// The consumer's own pace over the window, in messages per second: only
/// the polls where it left part of the lag it started from count. Where
/// it consumed everything there was (it was caught up when a burst
/// began), it went at the producers' pace, not its own, and that is no
/// sign of a slower consumer. `None` when it consumed all there was at
/// every poll.
fn busy_pace(obs: &VecDeque<Observation>) -> Option<f64> {
    let (mut consumed, mut ms) = (0i64, 0i64);
    for (a, b) in obs.iter().zip(obs.iter().skip(1)) {
        let c = (b.committed - a.committed).max(0);
        if c < a.lag() {
            consumed += c;
            ms += (b.at_ms - a.at_ms).max(0);
        }
    }
    (ms > 0).then(|| consumed as f64 / (ms as f64 / 1000.0))
}

/// One sentence naming the partitions behind the group's status.
fn reason(group: &GroupInfo, status: LagStatus, judged: &[Judged]) -> String {
    const SHOWN: usize = 3;
    let never: Vec<&str> = judged
        .iter()
        .filter(|j| j.never_committed)
        .map(|j| j.detail.as_str())
        .collect();
    let committed = judged.len() - never.len();
    let mut s = if status == LagStatus::Ok {
        if committed == 0 {
            format!("group {:?}: OK, no committed offsets", group.name)
        } else {
            format!(
                "group {:?}: OK, {} committed partition(s) caught up or keeping up (total lag {})",
                group.name,
                committed,
                group.total_lag()
            )
        }
    } else {
        let worst: Vec<&str> = judged
            .iter()
            .filter(|j| j.status.status == status)
            .map(|j| j.detail.as_str())
            .collect();
        let mut s = format!(
            "group {:?}: {} on {} partition(s): {}",
            group.name,
            status.as_str(),
            worst.len(),
            worst
                .iter()
                .take(SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join("; ")
        );
        if worst.len() > SHOWN {
            s.push_str(&format!("; and {} more", worst.len() - SHOWN));
        }
        if is_rebalancing(&group.state) {
            s.push_str(&format!(
                "; the group is rebalancing (state {}): partitions being moved wait until it completes",
                group.state
            ));
        }
        s
    };
    if !never.is_empty() {
        s.push_str(&format!(
            "; {} partition(s) never committed ({}{})",
            never.len(),
            never
                .iter()
                .take(SHOWN)
                .map(|d| d.trim_end_matches(" never committed"))
                .collect::<Vec<_>>()
                .join(", "),
            if never.len() > SHOWN { ", ..." } else { "" }
        ));
    }
    s.push('.');
    s
}

/// `now - since`, zero when `since` is in the future.
/// A count of seconds from outside (the poller's time lag, an estimate)
/// as a `Duration`: negative or NaN is none, too large is the largest.
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX)
}

pub(crate) fn elapsed(since: Time, now: Time) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

/// A duration in whole seconds, written like `6m 0s`.
fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// A duration in whole milliseconds, written like `5s` or `1s 500ms`.
fn human_ms(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Time {
        chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn group(members: u32, parts: &[(Option<i64>, i64)]) -> GroupInfo {
        GroupInfo {
            name: "g".into(),
            state: "Stable".into(),
            members,
            partitions: parts
                .iter()
                .enumerate()
                .map(|(i, (c, e))| GroupPartition {
                    topic: "t".into(),
                    partition: i as i32,
                    committed: *c,
                    end_offset: Some(*e),
                    lag: c.map(|c| (e - c).max(0)),
                    lag_seconds: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn cfg() -> LagConfig {
        LagConfig {
            window: 3,
            ..Default::default()
        }
    }

    /// A stream job that commits at checkpoints every 6 minutes, watched
    /// from its first poll: never STALL while its cadence is learnt (it was
    /// STALL 5 minutes after each of its first commits). Hung after its
    /// first commit seen, it is STALL after twice `stall_after`; hung
    /// once the cadence is learnt, after two of its intervals; hung before
    /// any commit is seen, after `stall_after`.
    #[test]
    fn a_stream_job_committing_every_six_minutes_is_not_stall_while_its_cadence_is_learnt() {
        // (status at each poll, every 15 s, of a job producing 10 msg/s
        // that commits every 6 minutes from 307 s on, between two polls,
        // until `hang_at` seconds)
        let run = |hang_at: i64, polls: i64| -> Vec<LagStatus> {
            let mut tr = LagTracker::new(LagConfig::default());
            (0..polls)
                .map(|i| {
                    let now = i * 15;
                    let end = 100_000 + now * 10;
                    let until = now.min(hang_at);
                    let last = if until < 307 {
                        0
                    } else {
                        (until - 307) / 360 * 360 + 307
                    };
                    let committed = 100_000 + last * 10;
                    tr.update(&[group(2, &[(Some(committed), end)])], t(now))[0].status
                })
                .collect()
        };
        let healthy = run(i64::MAX, 8 * 60 * 4);
        assert!(healthy.iter().all(|s| *s == LagStatus::Ok), "{healthy:?}");
        let first_stall = |v: &[LagStatus]| v.iter().position(|s| *s == LagStatus::Stall);
        // Hung after the first commit seen (307 s, owed from the poll at
        // 300 s): not before 300 + 600 s.
        let hung = run(400, 120);
        let at = first_stall(&hung).expect("raised") as i64 * 15;
        assert!((900..=960).contains(&at), "STALL at {at} s");
        // Hung after three gaps (learnt: 2 x 6 min after its last commit,
        // 1747 s, owed from the poll at 1740 s).
        let hung = run(1800, 240);
        let at = first_stall(&hung).expect("raised") as i64 * 15;
        assert!((1740 + 720..=1740 + 750).contains(&at), "STALL at {at} s");
        // Hung before any commit is seen: `stall_after`, as before.
        let hung = run(0, 60);
        let at = first_stall(&hung).expect("raised") as i64 * 15;
        assert!((300..=330).contains(&at), "STALL at {at} s");
    }

    /// A consumer of a quiet topic, caught up at most polls between its
    /// commits, never gives a commit gap: hung, it is STALL after
    /// `stall_after`, not after the learning deadline (which it would
    /// otherwise keep for good).
    #[test]
    fn a_group_caught_up_between_commits_is_stall_after_stall_after() {
        // 1 message every 30 s.
        let at = stall_of_a_group_committing_the_end_until_600_s(|now| 1_000 + now / 30);
        assert!((900..=960).contains(&at), "STALL at {at} s");
    }

    /// When a group polled every 15 s with the default config, committing
    /// the end offset `end(now)` at each poll until 600 s and nothing
    /// after, is first STALL.
    fn stall_of_a_group_committing_the_end_until_600_s(end: impl Fn(i64) -> i64) -> i64 {
        let mut tr = LagTracker::new(LagConfig::default());
        (0..120)
            .map(|i| i * 15)
            .find(|&now| {
                let committed = end(now.min(600));
                let g = group(2, &[(Some(committed), end(now))]);
                tr.update(&[g], t(now))[0].status == LagStatus::Stall
            })
            .expect("raised")
    }

    /// A group caught up at every poll (it commits what it read before
    /// each poll) hangs: it committed at every poll, so its cadence is one
    /// poll, learnt although no poll showed lag, and STALL comes after two
    /// of its intervals and two more polls, as for a group whose commits
    /// land between the polls (hunt 7, h03: 5 minutes or 30 s for the same
    /// group, by the phase of its commits; hunt 6, h05c: after twice
    /// `stall_after` before that).
    #[test]
    fn a_group_caught_up_at_every_poll_that_hangs_is_stall_after_two_polls_of_owing() {
        // 7 messages a second.
        let at = stall_of_a_group_committing_the_end_until_600_s(|now| 1_000 + now * 7);
        assert_eq!(at, 645, "STALL at {at} s");
        // The same group with its commits a second before each poll
        // (lag at every poll): a poll sooner, since the poll after its
        // last commit already owed it.
        let mut tr = LagTracker::new(LagConfig::default());
        let at = (0..120)
            .map(|i| i * 15)
            .find(|&now| {
                let committed = 1_000 + (now.min(600) - 1).max(0) * 7;
                let g = group(2, &[(Some(committed), 1_000 + now * 7)]);
                tr.update(&[g], t(now))[0].status == LagStatus::Stall
            })
            .expect("raised");
        assert_eq!(at, 630, "STALL at {at} s");
    }

    /// A group committing a second before each poll (7 messages a
    /// second), polled every 15 s, whose state and committed offset at
    /// `now` are `at(now)`: each poll's status.
    fn statuses(at: impl Fn(i64) -> (&'static str, i64), until: i64) -> Vec<(i64, GroupLagStatus)> {
        let mut tr = LagTracker::new(LagConfig::default());
        (0..=until / 15)
            .map(|i| {
                let now = i * 15;
                let (state, committed) = at(now);
                let mut g = group(3, &[(Some(committed), 1_000 + now * 7)]);
                g.state = state.into();
                (now, tr.update(&[g], t(now)).remove(0))
            })
            .collect()
    }

    #[test]
    fn a_rolling_deploys_rebalances_are_not_stall_and_a_hang_after_them_is_raised_as_soon() {
        // Three 75-s rebalances (members commit on revoke, then consume
        // nothing), then a hang at 1200 s with the group `Stable`.
        let pauses = [300, 555, 810];
        let run = statuses(
            |now| match pauses.iter().find(|&&p| (p..p + 75).contains(&now)) {
                Some(&p) => ("PreparingRebalance", 1_000 + p * 7),
                None => ("Stable", 1_000 + (now.min(1_200) - 1) * 7),
            },
            1_500,
        );
        let stall: Vec<i64> = run
            .iter()
            .filter(|(_, s)| s.status == LagStatus::Stall)
            .map(|(now, _)| *now)
            .collect();
        assert_eq!(stall.first(), Some(&1_230), "{stall:?}");
        assert!(
            run.iter()
                .all(|(now, s)| *now >= 1_230 || s.status == LagStatus::Ok),
            "{:?}",
            run.iter().find(|(_, s)| s.status != LagStatus::Ok)
        );
        // The same hang with the group `Stable` throughout: a 75-s pause
        // without a rebalance is a hang (STALL 30 s in, as at 1230).
        let run = statuses(
            |now| {
                let read = if (300..375).contains(&now) {
                    299
                } else {
                    now - 1
                };
                ("Stable", 1_000 + read * 7)
            },
            400,
        );
        let stall = run.iter().find(|(_, s)| s.status == LagStatus::Stall);
        assert_eq!(stall.map(|(now, _)| *now), Some(330));
    }

    #[test]
    fn a_hang_as_a_rebalance_ends_is_raised_by_the_cadence_from_the_rebalance() {
        // A 60-s rebalance from 300 s; the new version never commits.
        let run = statuses(
            |now| match now {
                ..300 => ("Stable", 1_000 + (now - 1) * 7),
                300..360 => ("PreparingRebalance", 1_000 + 300 * 7),
                _ => ("Stable", 1_000 + 300 * 7),
            },
            900,
        );
        let stall = run.iter().find(|(_, s)| s.status == LagStatus::Stall);
        assert_eq!(
            stall.map(|(now, _)| *now),
            Some(390),
            "{:?}",
            stall.map(|(_, s)| &s.reason)
        );
    }

    #[test]
    fn a_rebalance_does_not_shorten_a_slow_committers_deadline() {
        // Commits every 30 minutes (lag throughout), a 45-s rebalance 10
        // minutes after the commit at 7200 s: nothing until the next commit.
        let mut tr = LagTracker::new(LagConfig::default());
        for now in (0..=10_800).step_by(15) {
            let mut g = group(
                2,
                &[(Some(100_000 + now / 1_800 * 1_800 * 10), 100_000 + now * 10)],
            );
            if (7_800..7_845).contains(&now) {
                g.state = "PreparingRebalance".into();
            }
            let s = tr.update(&[g], t(now)).remove(0);
            if now >= 5_400 {
                assert_eq!(s.status, LagStatus::Ok, "at {now}: {}", s.reason);
            }
        }
    }

    #[test]
    fn a_rebalance_that_does_not_complete_is_stall_after_stall_after_and_says_so() {
        let run = statuses(
            |now| match now {
                ..300 => ("Stable", 1_000 + (now - 1) * 7),
                _ => ("PreparingRebalance", 1_000 + 300 * 7),
            },
            900,
        );
        let (at, s) = run
            .iter()
            .find(|(_, s)| s.status == LagStatus::Stall)
            .expect("raised");
        assert_eq!(*at, 615, "{}", s.reason);
        assert!(
            s.reason
                .contains("the group is rebalancing (state PreparingRebalance)"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn duplicate_observations_do_not_fill_the_window() {
        let mut tr = LagTracker::new(cfg());
        for i in 0..10 {
            tr.update(&[group(1, &[(Some(5), 5)])], t(i * 15));
        }
        let w = &tr.groups["g"].partitions.get("t", 0).unwrap();
        assert_eq!(w.observations.len(), 1);
        assert_eq!(w.committed_since, t(0));
    }

    #[test]
    fn committed_moves_count_even_without_end_offset() {
        let mut tr = LagTracker::new(cfg());
        tr.update(&[group(1, &[(Some(5), 50)])], t(0));
        let mut g = group(1, &[(Some(9), 0)]);
        g.partitions[0].end_offset = None;
        g.partitions[0].lag = None;
        let s = tr.update(&[g], t(200));
        assert_eq!(s[0].partitions[0].lag, Some(45), "last known lag");
        let w = &tr.groups["g"].partitions.get("t", 0).unwrap();
        assert_eq!(w.committed_since, t(200));
        assert_eq!(w.observations.len(), 1);
    }

    #[test]
    fn window_is_bounded() {
        let mut tr = LagTracker::new(cfg());
        for i in 0..100 {
            tr.update(&[group(1, &[(Some(i), i + 1)])], t(i * 15));
        }
        let w = &tr.groups["g"].partitions.get("t", 0).unwrap();
        assert_eq!(w.observations.len(), 3);
    }

    /// A new application's consumer hangs before its first commit: its
    /// members hold the partitions, messages keep coming, nothing is ever
    /// committed. WARN once that lasted `stall_commit_intervals` ×
    /// `stall_after` (10 min by default); not on an idle partition, not
    /// without members, and not for a consumer that commits.
    #[test]
    fn a_group_hung_before_its_first_commit_is_warned() {
        let run = |members: u32, produced_per_poll: i64, commits: bool| {
            let mut tr = LagTracker::new(LagConfig::default());
            (0..=44)
                .map(|i| {
                    let end = 1_000 + produced_per_poll * i;
                    let c = (commits && i > 0).then_some(end - 1);
                    tr.update(&[group(members, &[(c, end), (None, 5)])], t(i * 15))[0].clone()
                })
                .collect::<Vec<_>>()
        };
        let hung = run(2, 100, false);
        let first = hung
            .iter()
            .position(|s| s.status == LagStatus::Warn)
            .unwrap();
        assert_eq!(first, 41, "just past 10 minutes: {:?}", hung[first]);
        assert!(
            hung[first]
                .reason
                .contains("nothing committed since its 2 member(s)")
                && hung[first]
                    .reason
                    .contains("10m 15s ago, while 4100 messages"),
            "{}",
            hung[first].reason
        );
        for (what, statuses) in [
            ("idle", run(2, 0, false)),
            ("no members", run(0, 100, false)),
            ("commits", run(2, 100, true)),
        ] {
            assert!(
                statuses.iter().all(|s| s.status == LagStatus::Ok),
                "{what}: {:?}",
                statuses.iter().find(|s| s.status != LagStatus::Ok)
            );
        }
    }

    /// A topic deleted and created again under a hung group (Kafka deletes
    /// the group's offsets with it): the STALL stays while the members hold
    /// the new log and commit nothing, also through a poll that saw the
    /// topic gone; it ends at the first commit, or, the topic deleted for
    /// good, once the grace is over (hunt 17, W2).
    #[test]
    fn a_stall_outlives_its_topic_deleted_and_created_again_until_a_commit() {
        // (committed, end) of the one partition at poll `i` (every 15 s):
        // hung at 100 from the start, 10 msg/s; the topic replaced at poll
        // `gone`, absent from the report for `absent` polls; `commit`: the
        // first poll committing on the new log.
        let run = |gone: i64, absent: i64, commit: Option<i64>, polls: i64| {
            let mut tr = LagTracker::new(LagConfig::default());
            (0..polls)
                .map(|i| {
                    let g = if i < gone {
                        group(2, &[(Some(100), 100 + 150 * i)])
                    } else if i < gone + absent {
                        group(2, &[])
                    } else {
                        let end = 150 * (i - gone - absent);
                        let c = commit.filter(|&c| i >= c).map(|_| end);
                        group(2, &[(c, end)])
                    };
                    tr.update(&[g], t(i * 15))[0].clone()
                })
                .collect::<Vec<_>>()
        };
        let stall = |s: &[GroupLagStatus], from: usize, to: usize| {
            s[from..to].iter().all(|s| s.status == LagStatus::Stall)
        };
        // STALL by 5 minutes of the hang; the topic replaced at poll 30.
        let within = run(30, 0, None, 90);
        assert!(
            stall(&within, 22, 90),
            "{:?}",
            within.iter().map(|s| s.status).collect::<Vec<_>>()
        );
        assert!(
            within[40]
                .reason
                .contains("was STALL when the group's committed offset went away 2m 30s ago")
                && within[40].reason.contains("1500 messages appended"),
            "{}",
            within[40].reason
        );
        // Gone for two polls (30 s) between the delete and the create.
        let across = run(30, 2, None, 90);
        assert!(stall(&across, 22, 90));
        // The consumer back: its first commit on the new log ends it.
        let back = run(30, 0, Some(50), 60);
        assert!(stall(&back, 22, 50));
        assert!(back[50..].iter().all(|s| s.status == LagStatus::Ok));
        // Deleted for good: STALL for the grace (60 s), then nothing to read.
        let deleted = run(30, 60, None, 60);
        assert!(stall(&deleted, 22, 35));
        assert!(deleted[35..].iter().all(|s| s.status == LagStatus::Ok));
    }

    /// The carried STALL through what comes with a truncation in Kafka: the
    /// group rebalancing (polling members rejoin when their topic goes), a
    /// new log whose end offset is not known yet, a poll whose offsets
    /// could not be read; and its end when nothing is appended to the new
    /// log (nothing to read).
    #[test]
    fn a_carried_stall_survives_a_rebalance_and_a_failed_poll_and_ends_on_an_idle_log() {
        // Partition t-0 hung at 100 (10 msg/s), u-0 caught up and idle; t
        // replaced at poll 30; `rate`: messages per poll on the new log.
        let run = |rate: i64, polls: i64| {
            let mut tr = LagTracker::new(LagConfig::default());
            (0..polls)
                .map(|i| {
                    let mut g = if i < 30 {
                        group(2, &[(Some(100), 100 + 150 * i)])
                    } else {
                        group(2, &[(None, rate * (i - 30))])
                    };
                    g.partitions.push(GroupPartition {
                        topic: "u".into(),
                        partition: 0,
                        committed: Some(7),
                        end_offset: Some(7),
                        lag: Some(0),
                        lag_seconds: None,
                    });
                    match i {
                        30 | 31 => g.state = "PreparingRebalance".into(),
                        32 => g.partitions[0].end_offset = None,
                        33 => {
                            // OffsetFetch failed: no offsets, no members.
                            g.members = 0;
                            g.error = Some("NOT_COORDINATOR".into());
                            g.partitions = vec![GroupPartition {
                                topic: "u".into(),
                                partition: 0,
                                end_offset: Some(7),
                                ..Default::default()
                            }];
                        }
                        _ => {}
                    }
                    tr.update(&[g], t(i * 15))[0].status
                })
                .collect::<Vec<_>>()
        };
        let busy = run(150, 80);
        assert!(
            busy[22..].iter().all(|s| *s == LagStatus::Stall),
            "{busy:?}"
        );
        // Idle new log: STALL for `stall_after` (5 min), then nothing to read.
        let idle = run(0, 80);
        assert!(
            idle[22..50].iter().all(|s| *s == LagStatus::Stall),
            "{idle:?}"
        );
        assert!(idle[51..].iter().all(|s| *s == LagStatus::Ok), "{idle:?}");
    }

    #[test]
    fn reason_names_partition_and_numbers() {
        let mut tr = LagTracker::new(cfg());
        tr.update(&[group(0, &[(Some(10), 50), (None, 7)])], t(0));
        let s = tr.update(&[group(0, &[(Some(10), 60), (None, 7)])], t(400));
        assert_eq!(s[0].status, LagStatus::Stop);
        assert!(s[0].reason.contains("t-0"), "{}", s[0].reason);
        assert!(s[0].reason.contains("lag 50"), "{}", s[0].reason);
        assert!(s[0].reason.contains("6m 40s"), "{}", s[0].reason);
        assert!(
            s[0].reason.contains("never committed (t-1)"),
            "{}",
            s[0].reason
        );
        assert_eq!(s[0].partitions[1].lag, None);
    }

    /// A read_committed consumer of a transactional topic commits one
    /// short of the end (the commit marker): while its producers pause,
    /// it is caught up, not STALL (hunt 14, W1). A message after the pause
    /// that it does not read is owed as usual.
    #[test]
    fn a_transaction_marker_left_is_caught_up() {
        let mut tr = LagTracker::new(LagConfig::default());
        let mut end = 0;
        let mut worst = LagStatus::Ok;
        for i in 1..=600i64 {
            // 150 messages and one marker per poll for an hour, then a
            // two-hour pause of the producers.
            if i <= 240 {
                end += 151;
            }
            let s = tr.update(&[group(3, &[(Some(end - 1), end)])], t(i * 15));
            worst = worst.max(s[0].status);
        }
        assert_eq!(worst, LagStatus::Ok);
        // A message arrives and the consumer does not read it: a hang.
        let mut raised = None;
        for i in 601..=640i64 {
            let s = tr.update(&[group(3, &[(Some(end - 1), end + 1)])], t(i * 15));
            if s[0].status == LagStatus::Stall && raised.is_none() {
                raised = Some((i - 600) * 15);
            }
        }
        let after = raised.expect("a message left unread was never STALL");
        assert!(after <= 330, "STALL {after}s after the message");
    }

    /// A transactional consumer raised for falling behind, then caught up
    /// to the last marker as its producers pause, has recovered: not held
    /// as "not caught up: lag 1" (a guard: here the load worked off also
    /// releases it; `judge_held` counts the marker as caught up too).
    #[test]
    fn a_consumer_raised_then_caught_up_to_a_marker_is_released() {
        let mut tr = LagTracker::new(LagConfig::default());
        let (mut end, mut pos) = (0i64, 0i64);
        let mut raised = false;
        let mut last = LagStatus::Ok;
        for i in 1..=400i64 {
            if i <= 200 {
                end += 151;
            }
            pos = (pos + if i <= 120 { 60 } else { 600 }).min(end - 1);
            let s = tr.update(&[group(3, &[(Some(pos), end)])], t(i * 15));
            raised |= s[0].status >= LagStatus::Warn;
            last = s[0].status;
        }
        assert!(raised, "the test no longer raises the slow consumer");
        assert_eq!(last, LagStatus::Ok);
    }

    /// Deterministic noise in [-1, 1).
    fn wobble(state: &mut u64) -> f64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Producers at 10 msg/s ± `noise` per poll, a consumer at
    /// `consumed` of their mean rate starting `behind` messages behind:
    /// the first poll (seconds) raised "falling further behind" in a day.
    fn first_creep(noise: f64, consumed: f64, behind: f64) -> Option<i64> {
        let mut tr = LagTracker::new(LagConfig::default());
        let (mut end, mut pos, mut seed) = (behind, 0.0f64, 99u64);
        for i in 1..=5_760i64 {
            end += 150.0 * (1.0 + noise * wobble(&mut seed));
            pos = (pos + 150.0 * consumed).min(end);
            let s = tr.update(&[group(3, &[(Some(pos as i64), end as i64)])], t(i * 15));
            if s[0].reason.contains("falling further behind") {
                return Some(i * 15);
            }
        }
        None
    }

    /// A consumer exactly as fast as its producers, an hour behind, walks
    /// its lag up and down by their noise: not "falling further behind"
    /// (hunt 14, W2: raised after 5 h on 16 more messages in 20 minutes).
    /// One at 98 % of a steadier production is.
    #[test]
    fn a_steady_consumer_far_behind_is_not_creeping_on_noise() {
        for noise in [0.1, 0.3] {
            assert_eq!(first_creep(noise, 1.0, 36_000.0), None, "noise {noise}");
        }
        let at = first_creep(0.05, 0.98, 6_000.0).expect("a 2 % creep never raised");
        assert!(at < 4 * 3_600, "2 % creep raised at {at}s");
    }

    /// A consumer at 93.5 % of the production loses too little per window
    /// for rule 6, but falls steadily behind: WARN once `absorb_for`
    /// behind, held until the lag is worked off. One that commits every 4
    /// minutes and keeps up (its lag at polls a saw-tooth 4 minutes high)
    /// is never raised.
    #[test]
    fn a_consumer_slightly_slower_than_its_producers_is_raised_once_far_behind() {
        let mut tr = LagTracker::new(LagConfig::default());
        let (mut end, mut pos) = (0.0f64, 0.0f64);
        let mut first_warn = None;
        for i in 1..=1200i64 {
            // 100 msg/s produced; 93.5 msg/s consumed for 4 h, then 110.
            end += 1500.0;
            pos = (pos + if i <= 960 { 1402.5 } else { 1650.0 }).min(end);
            let s = tr.update(&[group(1, &[(Some(pos as i64), end as i64)])], t(i * 15));
            if i <= 960 && s[0].status == LagStatus::Warn && first_warn.is_none() {
                assert!(
                    s[0].reason.contains("falling further behind"),
                    "{}",
                    s[0].reason
                );
                first_warn = Some(i * 15);
            }
            if first_warn.is_some() && pos < end - 0.1 * 6.5 * 14_400.0 {
                assert_eq!(
                    s[0].status,
                    LagStatus::Warn,
                    "held at {}s: {}",
                    i * 15,
                    s[0].reason
                );
            }
        }
        // 10 minutes behind (lag 60,000) after 9,231 s; within a step.
        let at = first_warn.expect("never raised");
        assert!((9_231..=9_231 + 300 + 15).contains(&at), "raised at {at}s");
        let s = tr.update(&[group(1, &[(Some(end as i64), end as i64)])], t(1201 * 15));
        assert_eq!(s[0].status, LagStatus::Ok, "{}", s[0].reason);

        let mut tr = LagTracker::new(LagConfig::default());
        let mut committed = 0;
        for i in 1..=2000i64 {
            let end = i * 1500;
            if i % 16 == 0 {
                committed = end - 100;
            }
            let s = tr.update(&[group(1, &[(Some(committed), end)])], t(i * 15));
            assert_eq!(
                s[0].status,
                LagStatus::Ok,
                "at {}s: {}",
                i * 15,
                s[0].reason
            );
        }
    }

    /// A consumer slowed to 80 % is raised (WARN) and stays raised while it
    /// keeps falling behind, though the producers' noise makes its time lag
    /// smaller than at the poll before at every other poll (hunt 16, W2:
    /// released two minutes after the raise, raised again); back to its
    /// pace and caught up, it is released.
    #[test]
    fn a_raised_consumer_falling_further_behind_is_not_released_by_a_noisy_poll() {
        let mut tr = LagTracker::new(LagConfig::default());
        let (mut end, mut pos) = (0i64, 0i64);
        let mut raised = None;
        for i in 1..=400i64 {
            // 100 msg/s on average; from 40 min on, alternately 2000 and
            // 1000 a poll after 15 steady polls.
            let slowed = i > 160;
            end += match i {
                ..=175 => 1_500,
                _ if i % 2 == 0 => 2_000,
                _ => 1_000,
            };
            pos = if i > 320 {
                end
            } else if slowed {
                pos + 1_200
            } else {
                end - 50
            };
            let behind = (end - pos) as f64 / 100.0 + if i % 2 == 0 { 4.0 } else { -4.0 };
            let g = GroupInfo {
                partitions: vec![GroupPartition {
                    topic: "t".into(),
                    partition: 0,
                    committed: Some(pos),
                    end_offset: Some(end),
                    lag: Some(end - pos),
                    lag_seconds: Some(behind.max(0.0)),
                }],
                ..group(2, &[])
            };
            let s = tr.update(&[g], t(i * 15)).remove(0);
            if s.status != LagStatus::Ok && raised.is_none() {
                raised = Some(i);
            }
            if raised.is_some() && i <= 320 {
                assert_ne!(
                    s.status,
                    LagStatus::Ok,
                    "released at poll {i}: {}",
                    s.reason
                );
            }
            if i > 330 {
                assert_eq!(s.status, LagStatus::Ok, "poll {i}: {}", s.reason);
            }
        }
        assert!(raised.is_some_and(|i| i < 200), "{raised:?}");
    }

    /// A group that stood still for two hours, or went back to the start
    /// of its log, is hours behind when it moves again or when its REWIND
    /// report ends: it stays raised, as a WARN, until its lag is back to a
    /// tenth of its peak, and is OK from then on.
    #[test]
    fn a_consumer_far_behind_after_a_stop_or_a_rewind_stays_raised_until_it_has_caught_up() {
        for rewind in [false, true] {
            let mut tr = LagTracker::new(LagConfig::default());
            let (mut end, mut pos) = (0i64, 0i64);
            let mut seen = Vec::new();
            for i in 1..=2000i64 {
                end += 1500;
                // Caught up for an hour; then stopped for two (or sent
                // back to offset 0); then at twice the production.
                let stopped = !rewind && (240..720).contains(&i);
                let members = if stopped { 0 } else { 1 };
                if rewind && i == 240 {
                    pos = 0;
                } else if !stopped {
                    pos = (pos + if i < 240 { 1500 } else { 3000 }).min(end);
                }
                let s = tr.update(&[group(members, &[(Some(pos), end)])], t(i * 15));
                let status = s[0].status;
                if seen.last() != Some(&status) {
                    seen.push(status);
                }
                if status == LagStatus::Warn {
                    assert!(s[0].reason.contains("but not caught up"), "{}", s[0].reason);
                }
            }
            let first = if rewind {
                LagStatus::Rewind
            } else {
                LagStatus::Stop
            };
            assert_eq!(
                seen,
                [LagStatus::Ok, first, LagStatus::Warn, LagStatus::Ok],
                "rewind {rewind}"
            );
        }
    }

    /// A load worked off is remembered for one to two days: a daily job's
    /// load until it runs again, a load from three days ago no longer.
    #[test]
    fn worked_off_loads_are_remembered_for_a_day_or_two() {
        let hour = 3_600_000;
        let big = Load {
            peak: 9_000,
            growth_ms: 20 * 60_000,
        };
        let small = Load {
            peak: 1_000,
            growth_ms: 5 * 60_000,
        };
        let mut d = Drained::default();
        d.record(small, 10 * DAY_MS);
        d.record(big, 10 * DAY_MS + 2 * hour);
        assert_eq!(d.largest(10 * DAY_MS + 3 * hour), Some(big));
        // The next day's load: the largest of both.
        d.record(
            Load {
                peak: 2_000,
                growth_ms: 30 * 60_000,
            },
            11 * DAY_MS + hour,
        );
        assert_eq!(
            d.largest(11 * DAY_MS + 2 * hour),
            Some(Load {
                peak: 9_000,
                growth_ms: 30 * 60_000
            })
        );
        // A day and an hour after it: that load still counts (a daily
        // job's next run), the ones of the day before no longer.
        assert_eq!(
            d.largest(12 * DAY_MS + 2 * hour).map(|l| l.peak),
            Some(2_000)
        );
        // Nothing worked off for two days: nothing known.
        assert_eq!(d.largest(13 * DAY_MS + 2 * hour), None);
    }
}
