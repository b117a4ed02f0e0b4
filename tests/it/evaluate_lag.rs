//! Consumer group lag status: every status with the commit history that
//! produces it, including Burrow's known false alarms.

use isrwatch::config::Dur;
use isrwatch::evaluate::{LagConfig, LagStatus, LagTracker};
use isrwatch::snapshot::{GroupInfo, GroupPartition, Time};

use crate::support::t;

/// One group, one partition per (committed, end) pair.
fn group(name: &str, members: u32, parts: &[(Option<i64>, i64)]) -> GroupInfo {
    GroupInfo {
        name: name.into(),
        state: if members > 0 { "Stable" } else { "Empty" }.into(),
        protocol_type: "consumer".into(),
        members,
        partitions: parts
            .iter()
            .enumerate()
            .map(|(i, (c, e))| GroupPartition {
                topic: "orders".into(),
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

/// The ratio rules alone, judged at once (`absorb_for = 0s`, as Burrow
/// does); the tests of `absorb_for` use [`absorbing_tracker`].
fn tracker() -> LagTracker {
    LagTracker::new(LagConfig {
        window: 5,
        absorb_for: Dur::secs(0),
        ..Default::default()
    })
}

/// With the shipped `absorb_for` (10 minutes).
fn absorbing_tracker() -> LagTracker {
    LagTracker::new(LagConfig {
        window: 5,
        ..Default::default()
    })
}

/// Feeds one partition's history, one poll every 15 s; returns the last status.
fn run(members: u32, history: &[(i64, i64)]) -> isrwatch::evaluate::GroupLagStatus {
    let mut tr = tracker();
    let mut last = None;
    for (i, (c, e)) in history.iter().enumerate() {
        let s = tr.update(&[group("g", members, &[(Some(*c), *e)])], t(i as i64 * 15));
        last = Some(s.into_iter().next().unwrap());
    }
    last.unwrap()
}

#[test]
fn caught_up_consumer_is_ok() {
    let h: Vec<(i64, i64)> = (0..10).map(|i| (i * 100, i * 100)).collect();
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
    assert_eq!(s.total_lag, 0);
}

#[test]
fn idle_topic_with_caught_up_consumer_is_ok_not_stop() {
    // Burrow's false STOP: nothing new to consume for an hour, offset still.
    let mut tr = tracker();
    for members in [0, 3] {
        for i in 0..240 {
            let s = tr.update(&[group("g", members, &[(Some(500), 500)])], t(i * 15));
            assert_eq!(s[0].status, LagStatus::Ok, "{}", s[0].reason);
        }
    }
}

#[test]
fn stopped_consumer_without_members_is_stop_after_threshold() {
    let mut tr = tracker();
    // Committed stays at 100 while producers keep appending; no members.
    let mut status = Vec::new();
    for i in 0..=24 {
        let s = tr.update(&[group("g", 0, &[(Some(100), 150 + i)])], t(i * 15));
        status.push(s[0].status);
    }
    // 5 minutes is 20 polls: STOP only strictly after that.
    assert!(
        status[..=20].iter().all(|s| *s != LagStatus::Stop),
        "{status:?}"
    );
    assert_eq!(status[21], LagStatus::Stop);
}

#[test]
fn stop_needs_lag() {
    // Offset unchanged for an hour, but lag is 0 all along: OK.
    let mut tr = tracker();
    tr.update(&[group("g", 0, &[(Some(100), 100)])], t(0));
    let s = tr.update(&[group("g", 0, &[(Some(100), 100)])], t(3600));
    assert_eq!(s[0].status, LagStatus::Ok);
}

#[test]
fn active_group_not_moving_is_stall() {
    let mut tr = tracker();
    let mut last = None;
    for i in 0..=30 {
        let s = tr.update(&[group("g", 4, &[(Some(100), 150 + i * 10)])], t(i * 15));
        last = Some(s[0].clone());
    }
    let s = last.unwrap();
    assert_eq!(s.status, LagStatus::Stall, "{}", s.reason);
    assert!(s.reason.contains("orders-0"), "{}", s.reason);
    assert!(s.reason.contains("4 member(s)"), "{}", s.reason);
}

#[test]
fn offset_going_back_is_rewind() {
    let s = run(
        1,
        &[(100, 200), (150, 220), (180, 240), (20, 260), (40, 280)],
    );
    assert_eq!(s.status, LagStatus::Rewind, "{}", s.reason);
    assert!(s.reason.contains("from 180 to 20"), "{}", s.reason);
}

#[test]
fn rewind_lasts_rewind_for_however_fast_the_polls() {
    // One poll a second: the rewind leaves a window of 5 after 5 s, but is
    // reported for `rewind_for` (here 60 s), longer than a 30 s pending delay.
    let mut tr = LagTracker::new(LagConfig {
        window: 5,
        rewind_for: Dur::secs(60),
        ..Default::default()
    });
    let mut status_at = |sec: i64, committed: i64| {
        let end = 1_000 + sec * 20;
        let s = tr.update(&[group("g", 1, &[(Some(committed), end)])], t(sec));
        s.into_iter().next().unwrap()
    };
    status_at(0, 900);
    let s = status_at(1, 500);
    assert_eq!(s.status, LagStatus::Rewind, "{}", s.reason);
    assert!(s.reason.contains("from 900 to 500"), "{}", s.reason);
    for sec in 2..60 {
        let s = status_at(sec, 500 + sec * 20);
        assert_eq!(s.status, LagStatus::Rewind, "at {sec} s: {}", s.reason);
    }
    let s = status_at(61, 500 + 61 * 20);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
}

#[test]
fn rewound_and_caught_up_is_ok() {
    let s = run(1, &[(100, 200), (10, 200), (200, 200)]);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
}

#[test]
fn slow_but_progressing_consumer_is_warn_not_err() {
    // Burrow's false ERR: the consumer moves 80 per poll while 100 arrive.
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 80, 1100 + i * 100)).collect();
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Warn, "{}", s.reason);
    assert!(s.reason.contains("grew from 100 to 180"), "{}", s.reason);
}

#[test]
fn consumer_far_slower_than_producers_is_err() {
    // 10 consumed per poll while 100 arrive: < half of the production.
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 10, 1100 + i * 100)).collect();
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Err, "{}", s.reason);
    assert!(
        s.reason
            .contains("advanced 40 while producers appended 400"),
        "{}",
        s.reason
    );
}

#[test]
fn err_boundary_is_the_configured_ratio() {
    // Exactly half: not below the ratio, so WARN.
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 50, 1100 + i * 100)).collect();
    assert_eq!(run(2, &h).status, LagStatus::Warn);
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 49, 1100 + i * 100)).collect();
    assert_eq!(run(2, &h).status, LagStatus::Err);
}

#[test]
fn warn_boundary_is_the_configured_ratio() {
    // The consumer advanced 90 of every 100 appended: not below 0.9, OK.
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 90, 1100 + i * 100)).collect();
    assert_eq!(run(2, &h).status, LagStatus::Ok);
    let h: Vec<(i64, i64)> = (0..5).map(|i| (1000 + i * 89, 1100 + i * 100)).collect();
    assert_eq!(run(2, &h).status, LagStatus::Warn);
}

#[test]
fn lag_wobbling_by_equal_steps_is_not_warn() {
    // Keeping up: the lag stays at 5 and rises once to 6. It "never
    // decreased" and ended higher (Burrow's WARN), but grew by 1 of the
    // 400 messages appended.
    let h = [(95, 100), (195, 200), (295, 300), (395, 400), (494, 500)];
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
}

#[test]
fn a_group_that_commits_every_few_minutes_is_not_err_between_commits() {
    // A stream job committing at its checkpoints, every 5 minutes: between
    // two commits its lag grows by the whole production. That is judged on
    // its commit cadence (STALL), not as a consumer falling behind.
    let h: Vec<(i64, i64)> = (0..6).map(|i| (1000, 1100 + i * 100)).collect();
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
}

/// A healthy consumer as the simulator and real clients make one: it keeps
/// up with twice the production, commits every 5 s, and is polled every
/// 15 s, so each poll sees the few messages appended since its latest
/// commit. Production follows a day's season with noise, a few messages a
/// second, so the lag is a small integer that often repeats.
fn healthy_day(cfg: LagConfig) -> Vec<String> {
    let mut tr = LagTracker::new(cfg);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut uniform = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut produced, mut committed) = (0.0f64, 0i64);
    let mut alarms = Vec::new();
    for sec in 0..86_400i64 {
        let season = 1.0 + 0.8 * (sec as f64 / 86_400.0 * std::f64::consts::TAU).sin();
        produced += 2.0 * season * (0.7 + 0.6 * uniform());
        if sec % 5 == 3 {
            committed = produced as i64;
        }
        if sec % 15 == 0 {
            let s = tr.update(
                &[group("g", 2, &[(Some(committed), produced as i64)])],
                t(sec),
            );
            let s = s.into_iter().next().unwrap();
            if s.status != LagStatus::Ok {
                alarms.push(format!("{sec} s: {:?} {}", s.status, s.reason));
            }
        }
    }
    alarms
}

#[test]
fn a_healthy_consumer_is_ok_all_day() {
    let alarms = healthy_day(LagConfig::default());
    assert!(
        alarms.is_empty(),
        "{} alarms: {:#?}",
        alarms.len(),
        &alarms[..alarms.len().min(5)]
    );
    // Burrow's rule (any growth in a window that never decreased, judged
    // at once) on the same day: the false WARNs this test guards against.
    let burrow = healthy_day(LagConfig {
        warn_consume_ratio: 1.0,
        absorb_for: Dur::secs(0),
        ..Default::default()
    });
    assert!(
        !burrow.is_empty(),
        "the day no longer exercises the WARN rule"
    );
}

#[test]
fn growth_needs_a_full_window() {
    let h: Vec<(i64, i64)> = (0..4).map(|i| (1000 + i * 10, 1100 + i * 100)).collect();
    assert_eq!(run(2, &h).status, LagStatus::Ok);
}

#[test]
fn lag_that_dips_once_is_not_growing() {
    let s = run(
        2,
        &[(0, 100), (80, 200), (200, 290), (260, 400), (330, 500)],
    );
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
}

#[test]
fn never_committed_partition_is_reported_not_counted() {
    let mut tr = tracker();
    let s = tr.update(&[group("g", 1, &[(Some(10), 10), (None, 5000)])], t(0));
    let g = &s[0];
    assert_eq!(g.status, LagStatus::Ok);
    assert_eq!(g.total_lag, 0);
    assert_eq!(g.partitions[1].lag, None);
    assert!(
        g.reason.contains("never committed (orders-1)"),
        "{}",
        g.reason
    );
    assert_eq!(tr.tracked_partitions(), 1);
}

#[test]
fn group_status_is_the_worst_partition() {
    let mut tr = tracker();
    let mut s = Vec::new();
    for i in 0..=21 {
        // p0 healthy, p1 stopped with lag
        s = tr.update(
            &[group("g", 0, &[(Some(i * 10), i * 10), (Some(7), 50 + i)])],
            t(i * 15),
        );
    }
    assert_eq!(s[0].partitions[0].status, LagStatus::Ok);
    assert_eq!(s[0].partitions[1].status, LagStatus::Stop);
    assert_eq!(s[0].status, LagStatus::Stop);
    assert!(
        s[0].reason
            .starts_with("group \"g\": STOP on 1 partition(s): orders-1 has lag 64"),
        "{}",
        s[0].reason
    );
}

#[test]
fn deleted_group_is_forgotten() {
    let mut tr = tracker();
    tr.update(
        &[
            group("a", 1, &[(Some(1), 5)]),
            group("b", 1, &[(Some(1), 5)]),
        ],
        t(0),
    );
    assert_eq!(tr.tracked_groups(), 2);
    let s = tr.update(&[group("a", 1, &[(Some(1), 5)])], t(15));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].group, "a");
    assert_eq!(tr.tracked_groups(), 1);
    // A Dead group counts as gone too.
    let mut dead = group("a", 0, &[(Some(1), 5)]);
    dead.state = "Dead".into();
    assert!(tr.update(&[dead], t(30)).is_empty());
    assert_eq!(tr.tracked_groups(), 0);
    assert_eq!(tr.tracked_partitions(), 0);
}

#[test]
fn partitions_the_group_no_longer_reports_are_forgotten() {
    let mut tr = tracker();
    tr.update(
        &[group("g", 1, &[(Some(1), 5), (Some(1), 5), (Some(1), 5)])],
        t(0),
    );
    assert_eq!(tr.tracked_partitions(), 3);
    tr.update(&[group("g", 1, &[(Some(1), 5)])], t(15));
    assert_eq!(tr.tracked_partitions(), 1);
}

#[test]
fn observe_keeps_absent_groups() {
    let mut tr = tracker();
    tr.update(
        &[
            group("a", 1, &[(Some(1), 5)]),
            group("b", 1, &[(Some(1), 5)]),
        ],
        t(0),
    );
    let s = tr.observe(&[group("a", 1, &[(Some(2), 5)])], t(15));
    assert_eq!(s.len(), 1);
    assert_eq!(tr.tracked_groups(), 2);
}

#[test]
fn results_are_sorted_by_group_name() {
    let mut tr = tracker();
    let s = tr.update(
        &[
            group("b", 1, &[(Some(1), 1)]),
            group("a", 1, &[(Some(1), 1)]),
        ],
        t(0),
    );
    let names: Vec<&str> = s.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn a_rewind_does_not_hide_a_stalled_partition() {
    // Partition 0 stalls for 6 minutes; partition 1 rewinds meanwhile.
    // REWIND is a warning and STALL critical: the group is STALL.
    let mut tr = tracker();
    tr.update(
        &[group("g", 2, &[(Some(100), 500), (Some(900), 1_000)])],
        t(0),
    );
    let s = tr.update(
        &[group("g", 2, &[(Some(100), 900), (Some(300), 1_400)])],
        t(360),
    );
    let s = s.into_iter().next().unwrap();
    assert_eq!(s.partitions[1].status, LagStatus::Rewind);
    assert_eq!(s.partitions[0].status, LagStatus::Stall);
    assert_eq!(s.status, LagStatus::Stall, "{}", s.reason);
}

#[test]
fn a_failed_offset_fetch_keeps_the_windows() {
    // A rewind, then one poll whose offsets fetch failed (the poller then
    // reports the assigned partitions without committed offsets), then a
    // normal poll: the REWIND goes on and the stall clock is not restarted.
    let mut tr = tracker();
    tr.update(&[group("g", 1, &[(Some(900), 1_000)])], t(0));
    tr.update(&[group("g", 1, &[(Some(500), 1_020)])], t(15));
    let mut failed = group("g", 1, &[(None, 0)]);
    failed.partitions[0].end_offset = None;
    failed.partitions[0].lag = None;
    failed.error = Some("COORDINATOR_NOT_AVAILABLE".into());
    let s = tr.update(&[failed], t(30)).into_iter().next().unwrap();
    assert_eq!(s.status, LagStatus::Rewind, "{}", s.reason);
    assert!(
        s.reason.contains("COORDINATOR_NOT_AVAILABLE"),
        "{}",
        s.reason
    );
    assert_eq!(tr.tracked_partitions(), 1);
    let s = tr.update(&[group("g", 1, &[(Some(500), 1_060)])], t(45));
    assert_eq!(s[0].status, LagStatus::Rewind, "{}", s[0].reason);
    // Unchanged since t=15 (not since the failed poll): STALL after 5 min.
    let s = tr.update(&[group("g", 1, &[(Some(500), 1_400)])], t(330));
    assert_eq!(s[0].status, LagStatus::Stall, "{}", s[0].reason);
}

#[test]
fn a_failed_describe_with_offsets_still_updates() {
    // The describe failed but the offsets came: they are used.
    let mut tr = tracker();
    tr.update(&[group("g", 1, &[(Some(900), 1_000)])], t(0));
    let mut g = group("g", 1, &[(Some(500), 1_020)]);
    g.error = Some("describe: COORDINATOR_LOAD_IN_PROGRESS".into());
    let s = tr.update(&[g], t(15));
    assert_eq!(s[0].status, LagStatus::Rewind, "{}", s[0].reason);
    assert!(s[0].reason.contains("from 900 to 500"), "{}", s[0].reason);
}

// ------------------------------------------------ learnt commit cadence

fn at_ms(ms: i64) -> Time {
    chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap()
}

/// A consumer group on one partition, in milliseconds: producers have
/// appended `end(t)` messages by `t`; the consumer keeps up and commits its
/// position every `commit_ms` (at 0, `commit_ms`, ...) until `fault`
/// (`(when, members after)`: a stall keeps its member, a stop has none),
/// after which its committed offset stays. Polled every `poll_ms` from
/// `phase_ms` until `until_ms`; returns each poll's (time, status, reason).
struct Consumer<'a> {
    end: &'a dyn Fn(i64) -> i64,
    commit_ms: i64,
    fault: Option<(i64, u32)>,
}

impl Consumer<'_> {
    fn committed(&self, t: i64) -> i64 {
        let last_slot = match self.fault {
            Some((f, _)) if f < t => f,
            _ => t,
        } / self.commit_ms
            * self.commit_ms;
        (self.end)(last_slot)
    }

    fn polls(&self, poll_ms: i64, phase_ms: i64, until_ms: i64) -> Vec<(i64, LagStatus, String)> {
        self.polls_with(
            LagTracker::new(LagConfig::default()),
            poll_ms,
            phase_ms,
            until_ms,
        )
        .0
    }

    /// [`Consumer::polls`] by `tr`, from `from_ms`; gives `tr` back.
    fn polls_with(
        &self,
        mut tr: LagTracker,
        poll_ms: i64,
        from_ms: i64,
        until_ms: i64,
    ) -> (Vec<(i64, LagStatus, String)>, LagTracker) {
        let mut out = Vec::new();
        let mut t = from_ms;
        while t <= until_ms {
            let members = match self.fault {
                Some((f, m)) if f < t => m,
                _ => 1,
            };
            let g = group("g", members, &[(Some(self.committed(t)), (self.end)(t))]);
            let s = tr.update(&[g], at_ms(t)).remove(0);
            out.push((t, s.status, s.reason));
            t += poll_ms;
        }
        (out, tr)
    }

    /// [`Consumer::polls`], the monitor stopping after its poll at
    /// `down_ms` and polling again from `up_ms`: with what it had learnt
    /// (saved and read back as the daemon does) when `remember`, afresh
    /// otherwise.
    fn polls_restarted(
        &self,
        down_ms: i64,
        up_ms: i64,
        remember: bool,
        until_ms: i64,
    ) -> Vec<(i64, LagStatus, String)> {
        let fresh = LagTracker::new(LagConfig::default());
        let (mut out, before) = self.polls_with(fresh, 15_000, 7_000, down_ms);
        let (after, _) = self.polls_with(restarted(&before, remember), 15_000, up_ms, until_ms);
        out.extend(after);
        out
    }

    /// The first commit slot after the fault: the first commit it misses.
    fn first_missed_commit(&self) -> i64 {
        let (f, _) = self.fault.expect("a fault");
        (f / self.commit_ms + 1) * self.commit_ms
    }
}

/// A tracker as the daemon has it after a restart: with `before`'s memory
/// written to JSON and read back when `remember`, else new.
fn restarted(before: &LagTracker, remember: bool) -> LagTracker {
    let mut tr = LagTracker::new(LagConfig::default());
    if remember {
        let json = serde_json::to_string(&before.memory()).expect("memory encodes");
        tr.restore(serde_json::from_str(&json).expect("memory decodes"));
    }
    tr
}

/// Asserts that every poll's status is OK.
fn assert_always_ok(polls: &[(i64, LagStatus, String)]) {
    for (t, s, reason) in polls {
        assert_eq!(*s, LagStatus::Ok, "at {t} ms: {reason}");
    }
}

/// Ten messages a second, all along.
fn steady(t: i64) -> i64 {
    t / 100
}

/// Asserts that the group is OK until its first missed commit and `want`
/// within two commit intervals after it; returns how many commit
/// intervals after the first missed commit it was flagged.
fn flagged_within_two_intervals(poll_ms: i64, commit_ms: i64, want: LagStatus) -> f64 {
    let members_after = if want == LagStatus::Stop { 0 } else { 1 };
    // The fault comes 40% into a commit interval, after 10 minutes of
    // healthy commits.
    let fault = 600_000 + commit_ms * 2 / 5;
    let c = Consumer {
        end: &steady,
        commit_ms,
        fault: Some((fault, members_after)),
    };
    let missed = c.first_missed_commit();
    let polls = c.polls(poll_ms, poll_ms * 3 / 10, missed + 4 * commit_ms);
    for (t, s, reason) in &polls {
        if *t < missed {
            assert_eq!(
                *s,
                LagStatus::Ok,
                "at {t} ms, before the missed commit: {reason}"
            );
        }
    }
    let (t, _, reason) = polls
        .iter()
        .find(|(_, s, _)| *s == want)
        .unwrap_or_else(|| panic!("never {want:?}: {:?}", polls.last()));
    assert!(
        *t <= missed + 2 * commit_ms,
        "{want:?} at {t} ms, first missed commit at {missed} ms, commit interval {commit_ms} ms: {reason}"
    );
    assert!(reason.contains("commit intervals of about"), "{reason}");
    (t - missed) as f64 / commit_ms as f64
}

#[test]
fn stall_is_flagged_within_two_commit_intervals_at_1s_and_15s_polls() {
    let fast = flagged_within_two_intervals(1_000, 5_000, LagStatus::Stall);
    let slow = flagged_within_two_intervals(15_000, 30_000, LagStatus::Stall);
    eprintln!("STALL after the first missed commit: {fast:.2} (1 s polls, 5 s commits), {slow:.2} (15 s polls, 30 s commits) commit intervals");
}

#[test]
fn stop_is_flagged_within_two_commit_intervals_at_1s_and_15s_polls() {
    let fast = flagged_within_two_intervals(1_000, 5_000, LagStatus::Stop);
    let slow = flagged_within_two_intervals(15_000, 30_000, LagStatus::Stop);
    eprintln!("STOP after the first missed commit: {fast:.2} (1 s polls, 5 s commits), {slow:.2} (15 s polls, 30 s commits) commit intervals");
}

#[test]
fn a_slow_commit_cadence_is_not_flagged_between_commits() {
    // Commits every 60 s, polls every 15 s: the lag saw-tooth climbs for a
    // minute before each commit, for an hour. Then it stalls: flagged.
    let c = Consumer {
        end: &steady,
        commit_ms: 60_000,
        fault: None,
    };
    assert_always_ok(&c.polls(15_000, 7_000, 3_600_000));
    flagged_within_two_intervals(15_000, 60_000, LagStatus::Stall);
}

#[test]
fn a_learnt_cadence_longer_than_stall_after_replaces_it() {
    // A stream job committing at its 10-minute checkpoints, polled every
    // 15 s: until three gaps are learnt, `stall_after` (5 min) flags it
    // between commits (nothing else to go by); from then on never, and a
    // real stall is still flagged within two of its commit intervals.
    let c = Consumer {
        end: &steady,
        commit_ms: 600_000,
        fault: Some((7_200_000, 1)),
    };
    let polls = c.polls(15_000, 7_000, 9_000_000);
    let learnt = 4 * 600_000;
    let missed = c.first_missed_commit();
    assert_always_ok(
        &polls
            .iter()
            .filter(|(t, _, _)| (learnt..missed).contains(t))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let (t, _, reason) = polls
        .iter()
        .find(|(t, s, _)| *t >= missed && *s == LagStatus::Stall)
        .expect("the stall is flagged");
    assert!(
        *t > missed && *t <= missed + 2 * 600_000,
        "STALL at {t} ms: {reason}"
    );
}

/// The statuses of `polls` from `from_ms` on that are not OK.
fn flagged_from(polls: &[(i64, LagStatus, String)], from_ms: i64) -> Vec<(i64, LagStatus, String)> {
    polls
        .iter()
        .filter(|(t, s, _)| *t >= from_ms && *s != LagStatus::Ok)
        .cloned()
        .collect()
}

#[test]
fn a_job_committing_every_half_hour_is_not_stall_after_its_first_commit_seen() {
    // The monitor starts between two of its commits: the first STALL,
    // before any commit is seen, cannot be told from a hang (5 minutes of
    // lag on an unchanged offset). After the first commit, the half hour
    // it waited counts as a gap it takes: it was STALL again 10 minutes
    // later (hunt 11, t05).
    let c = Consumer {
        end: &steady,
        commit_ms: 1_800_000,
        fault: None,
    };
    let polls = c.polls(15_000, 7_000, 4 * 3_600_000);
    let flagged = flagged_from(&polls, 1_800_000);
    assert!(flagged.is_empty(), "{:?}", flagged.first());
}

#[test]
fn a_scheduled_job_that_dies_with_its_backlog_unread_is_stop() {
    // An hourly job starts at the top of every hour, reads 200 messages a
    // second (producers append 10) until caught up, about 3 minutes, and
    // exits. The run of hour 5 dies after a minute, most of its backlog
    // unread: not between runs but a crash (hunt 13, W5: a daily job was
    // never raised).
    let mut tr = LagTracker::new(LagConfig::default());
    let (mut committed, mut running) = (0i64, false);
    let mut polls = Vec::new();
    for k in 0..9 * 240 {
        let secs = k * 15 + 7;
        let end = secs * 10;
        let (hour, into) = (secs / 3600, secs % 3600);
        if into < 15 {
            running = true;
        }
        if running {
            committed = (committed + 200 * 15).min(end - 10);
            if committed == end - 10 || (hour == 5 && into >= 60) {
                running = false;
            }
        }
        let g = group("job", u32::from(running), &[(Some(committed), end)]);
        polls.push((secs, tr.update(&[g], t(secs)).remove(0).status));
    }
    let crash = 5 * 3600 + 67;
    assert!(
        stops_from(&polls, 3 * 3600).iter().all(|s| *s > crash),
        "{:?}",
        stops_from(&polls, 3 * 3600)
    );
    let stops = stops_from(&polls, crash);
    assert!(
        !stops.is_empty() && stops[0] <= crash + 330,
        "the crash is STOP within stop_after: {stops:?}"
    );
}

#[test]
fn a_restart_of_the_monitor_keeps_a_scheduled_jobs_schedule() {
    // The hourly job, watched for 4 hours, the monitor restarted 20
    // minutes into a wait: afresh its next two exits were STOP; with
    // what it had learnt, none, and a missed run is still STOP.
    let at = 4 * 3600 + 1200;
    let remembered = job_restarted(3600, 360, 24, &[], 9, Some((at, true)));
    assert!(
        stops_from(&remembered, at).is_empty(),
        "{:?}",
        stops_from(&remembered, at)
    );
    let fresh = job_restarted(3600, 360, 24, &[], 9, Some((at, false)));
    assert!(
        !stops_from(&fresh, at).is_empty(),
        "the test no longer shows the restart's STOP"
    );
    let missing = job_restarted(3600, 360, 6, &[], 9, Some((at, true)));
    let exit = 5 * 3600 + 360;
    let stops = stops_from(&missing, at);
    assert!(
        stops.len() == 1 && stops[0] > exit && stops[0] <= exit + 2 * 3240 + 30,
        "{stops:?}"
    );
}

#[test]
fn a_restart_of_the_monitor_does_not_page_a_half_hour_committer_and_keeps_a_hang_under_way() {
    // Every restart of the daemon (a deploy, the pod of a sidecar) paged
    // a job committing every 30 minutes as STALL about 5 minutes in:
    // nothing seen since the start tells it from a hang. Restarted 10
    // minutes into an interval (down for a minute), with what it had
    // learnt: never flagged.
    let c = Consumer {
        end: &steady,
        commit_ms: 1_800_000,
        fault: None,
    };
    let (down, up) = (3 * 3_600_000 + 600_000, 3 * 3_600_000 + 660_000);
    let polls = c.polls_restarted(down, up, true, 6 * 3_600_000);
    let flagged = flagged_from(&polls, 1_800_000);
    assert!(flagged.is_empty(), "{:?}", flagged.first());
    // Afresh (as before), the restart is a STALL.
    let polls = c.polls_restarted(down, up, false, 6 * 3_600_000);
    assert!(
        flagged_from(&polls, up)
            .iter()
            .any(|(_, s, _)| *s == LagStatus::Stall),
        "the test no longer shows the restart's STALL"
    );
    // Hung 5 minutes before the restart: STALL two of its intervals
    // after its last commit, as without a restart, not two intervals
    // after the restart.
    let c = Consumer {
        end: &steady,
        commit_ms: 1_800_000,
        fault: Some((3 * 3_600_000 + 300_000, 1)),
    };
    let polls = c.polls_restarted(down, up, true, 6 * 3_600_000);
    let missed = c.first_missed_commit();
    let (t, _, reason) = polls
        .iter()
        .find(|(t, s, _)| *t >= up && *s == LagStatus::Stall)
        .expect("the hang is flagged");
    assert!(
        *t > missed && *t <= missed + 1_800_000 + 60_000,
        "STALL at {t} ms (missed commit at {missed}): {reason}"
    );
}

#[test]
fn a_job_committing_every_12_minutes_on_a_quiet_topic_is_not_stall_between_commits() {
    // One message every 4 minutes, commits every 12 minutes: after each
    // commit the lag is 0 until the next message arrives, so no gap has
    // lag throughout. The spans with lag before each commit (up to 12
    // minutes) are what the group takes; with `stall_after` alone it was
    // STALL between its commits (hunt 11, t05e).
    let quiet = |t: i64| t / 240_000;
    let c = Consumer {
        end: &quiet,
        commit_ms: 720_000,
        fault: None,
    };
    let polls = c.polls(15_000, 7_000, 6 * 3_600_000);
    let flagged = flagged_from(&polls, 1_440_000);
    assert!(flagged.is_empty(), "{:?}", flagged.first());
    // It still hangs: flagged within two of its intervals of lag.
    let c = Consumer {
        end: &quiet,
        commit_ms: 720_000,
        fault: Some((4 * 3_600_000, 1)),
    };
    let polls = c.polls(15_000, 7_000, 6 * 3_600_000);
    let missed = c.first_missed_commit();
    let (t, _, reason) = polls
        .iter()
        .find(|(t, s, _)| *t >= missed && *s == LagStatus::Stall)
        .expect("the hang is flagged");
    assert!(*t <= missed + 2 * 720_000, "STALL at {t} ms: {reason}");
}

/// Arrival times of messages on a trickle topic, 20 to 60 s apart
/// (uniform, from a small LCG seeded by `seed`), up to `until_ms`.
fn trickle_arrivals(seed: u64, until_ms: i64) -> Vec<i64> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    let mut arrivals = Vec::new();
    let mut t = 0;
    while t < until_ms {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        t += 20_000 + ((x >> 33) % 1_000) as i64 * 40;
        arrivals.push(t);
    }
    arrivals
}

#[test]
fn a_trickle_consumer_polled_every_five_seconds_is_not_stall_between_its_commits() {
    // A message every 20 to 60 s, commits every 30 s, polls every 5 s:
    // most polls show no lag, so each gap the group takes is counted from
    // when its lag began, how long a message waited for the commit (from
    // nothing to 30 s). Their mean is about half the interval: a cadence
    // of about 13 s made an ordinary 30-s wait STALL, a critical page on
    // a healthy cluster (3 of these 40 runs; hunt 22, W4).
    for seed in 0..40 {
        let arrivals = trickle_arrivals(seed, 2 * 3_600_000);
        let end = |t: i64| arrivals.partition_point(|a| *a <= t) as i64;
        let phase = (seed as i64 * 1_300) % 5_000;
        let c = Consumer {
            end: &end,
            commit_ms: 30_000,
            fault: None,
        };
        let polls = c.polls(5_000, phase, 2 * 3_600_000);
        let flagged = flagged_from(&polls, 600_000);
        assert!(flagged.is_empty(), "seed {seed}: {:?}", flagged.first());
        // It still hangs: flagged within a few of its intervals.
        let c = Consumer {
            end: &end,
            commit_ms: 30_000,
            fault: Some((3_600_000, 1)),
        };
        let polls = c.polls(5_000, phase, 2 * 3_600_000);
        let missed = c.first_missed_commit();
        let (t, _, reason) = polls
            .iter()
            .find(|(t, s, _)| *t >= missed && *s == LagStatus::Stall)
            .expect("the hang is flagged");
        assert!(
            *t <= missed + 240_000,
            "seed {seed}: STALL at {t} ms: {reason}"
        );
    }
}

#[test]
fn a_consumer_whose_messages_arrive_in_step_with_its_commits_is_not_stall_when_they_drift() {
    // A message every 30.4 s, commits every 30 s, polls every 5 s: each
    // message waits about as long as the one before (10 s for many
    // commits in a row), then the arrivals drift past a commit and one
    // waits a whole interval. Learnt from the waits alone, the cadence
    // was 10 s and that wait was STALL, critical (hunt 22, W4, in the
    // simulator's `idle_topic` at 5-s polls).
    let end = |t: i64| t / 30_400;
    let c = Consumer {
        end: &end,
        commit_ms: 30_000,
        fault: None,
    };
    for phase in [0, 1_000, 2_500, 4_000] {
        let polls = c.polls(5_000, phase, 3 * 3_600_000);
        let flagged = flagged_from(&polls, 600_000);
        assert!(flagged.is_empty(), "phase {phase}: {:?}", flagged.first());
    }
    let c = Consumer {
        end: &end,
        commit_ms: 30_000,
        fault: Some((3_600_000, 1)),
    };
    let polls = c.polls(5_000, 2_000, 2 * 3_600_000);
    let missed = c.first_missed_commit();
    let (t, _, reason) = polls
        .iter()
        .find(|(t, s, _)| *t >= missed && *s == LagStatus::Stall)
        .expect("the hang is flagged");
    assert!(*t <= missed + 180_000, "STALL at {t} ms: {reason}");
}

#[test]
fn a_caught_up_job_committing_every_half_hour_is_not_falling_behind_in_a_ramp() {
    // Producers ramp from 10 to 40 messages a second over 8 hours; the
    // job reads everything and commits every 30 minutes. Its lag at each
    // commit (the seconds between the commit and the poll) rises with the
    // produce rate alone, and before each commit it is up to 30 minutes
    // behind: neither is falling further behind (hunt 11, W3).
    let span = 8.0 * 3_600_000.0;
    let ramp = move |t: i64| {
        let secs = t as f64 / 1000.0;
        (10.0 * secs + 15.0 * secs * secs / (span / 1000.0)) as i64
    };
    let c = Consumer {
        end: &ramp,
        commit_ms: 1_800_000,
        fault: None,
    };
    let polls = c.polls(15_000, 7_000, 8 * 3_600_000);
    let flagged = flagged_from(&polls, 1_800_000);
    assert!(flagged.is_empty(), "{:?}", flagged.first());
}

/// A job that runs `run_secs` at the start of every `every_secs` (one
/// member, committing what it read every 15 s), then exits (no member)
/// until the next run; producers append 10 messages a second. It misses
/// the runs `missed` (their indices) and every run from `runs` on.
/// Returns each poll's (seconds, status).
fn job(
    every_secs: i64,
    run_secs: i64,
    runs: i64,
    missed: &[i64],
    hours: i64,
) -> Vec<(i64, LagStatus)> {
    job_restarted(every_secs, run_secs, runs, missed, hours, None)
}

/// [`job`], the monitor restarted (see [`restarted`]) at the first poll
/// from `restart`'s seconds on.
fn job_restarted(
    every_secs: i64,
    run_secs: i64,
    runs: i64,
    missed: &[i64],
    hours: i64,
    mut restart: Option<(i64, bool)>,
) -> Vec<(i64, LagStatus)> {
    let mut tr = LagTracker::new(LagConfig::default());
    let mut committed = 0;
    let mut out = Vec::new();
    for k in 0..hours * 240 {
        let secs = k * 15 + 7;
        if let Some((_, remember)) = restart.filter(|(at, _)| secs >= *at) {
            tr = restarted(&tr, remember);
            restart = None;
        }
        let end = secs * 10;
        let n = secs / every_secs;
        let running = n < runs && !missed.contains(&n) && secs % every_secs < run_secs;
        if running {
            committed = end - 10;
        }
        let g = group("job", u32::from(running), &[(Some(committed), end)]);
        let st = tr.update(&[g], t(secs)).remove(0);
        out.push((secs, st.status));
    }
    out
}

/// The hourly job of [`job`]: 6 minutes at the top of every hour.
fn hourly_job(runs: i64, hours: i64) -> Vec<(i64, LagStatus)> {
    job(3600, 360, runs, &[], hours)
}

/// Polls after `from` at which a STOP began.
fn stops_from(polls: &[(i64, LagStatus)], from: i64) -> Vec<i64> {
    polls
        .windows(2)
        .filter(|w| w[0].0 >= from && w[1].1 == LagStatus::Stop && w[0].1 != LagStatus::Stop)
        .map(|w| w[1].0)
        .collect()
}

#[test]
fn a_scheduled_job_between_its_runs_is_stop_only_when_it_misses_one() {
    // Every exit was STOP `stop_after` later: ten critical pages in
    // eleven hours for a job running exactly on schedule (hunt 11, W4).
    // Once it has come back by itself twice, an empty spell is STOP only
    // past twice the longest one.
    let polls = hourly_job(24, 10);
    let stops = polls
        .windows(2)
        .filter(|w| w[1].1 == LagStatus::Stop && w[0].1 != LagStatus::Stop)
        .count();
    assert!(stops <= 2, "{stops} STOP episodes");
    assert!(
        polls
            .iter()
            .filter(|(secs, _)| *secs > 3 * 3600)
            .all(|(_, s)| *s == LagStatus::Ok),
        "after its first runs, never flagged"
    );
    // It misses the run of hour 6: STOP within twice its 54-minute spell.
    let polls = hourly_job(6, 9);
    let exit = 5 * 3600 + 360;
    let (at, _) = polls
        .iter()
        .find(|(secs, s)| *secs > exit && *s == LagStatus::Stop)
        .expect("the missed run is STOP");
    assert!(
        (exit + 3600..=exit + 2 * 3240 + 30).contains(at),
        "STOP {} s after its last exit",
        at - exit
    );
}

/// What is learnt as a schedule must not hide faults (hunt 12, W1): a
/// job missing two runs hours apart is STOP at each, not only at the first
/// (a missed run is not learnt as a usual spell); a consumer that crashes
/// for 8 minutes every 30 (it runs longer than it is down) is STOP at
/// every crash.
#[test]
fn missed_runs_and_crashes_are_not_learnt_as_a_schedule() {
    let polls = job(3600, 360, 24, &[4, 7], 10);
    let stops = stops_from(&polls, 3 * 3600);
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert!(
        stops[0] > 3 * 3600 + 360 && stops[0] < 5 * 3600 + 360,
        "{stops:?}"
    );
    assert!(
        stops[1] > 6 * 3600 + 360 && stops[1] < 8 * 3600 + 360,
        "{stops:?}"
    );
    // Down for 8 minutes every 30: every crash after the first hour.
    let polls = job(1800, 1320, 24, &[], 6);
    let stops = stops_from(&polls, 3600);
    assert_eq!(stops.len(), 10, "{stops:?}");
}

/// A consumer committing every 30 minutes, hung when the monitor starts,
/// restarted after two hours, hung again 40 minutes later: the second
/// hang is STALL within about an hour of its last commit. The first hang
/// is not a commit interval: was, the second was STALL after 4 hours
/// (hunt 12, W2).
#[test]
fn a_consumer_hung_before_the_monitor_started_does_not_teach_its_hang_as_a_gap() {
    let mut tr = LagTracker::new(LagConfig::default());
    let end = |secs: i64| secs * 10;
    let mut stall_after_second = None;
    for k in 0..6 * 240 {
        let secs = k * 15 + 7;
        let committed = if secs < 7200 {
            0
        } else {
            // Caught up at the restart, then a commit every 30 minutes
            // until it hangs at 2 h 40 min.
            let last = (secs.min(9600) - 7200) / 1800 * 1800 + 7200;
            end(last)
        };
        let g = group("g", 1, &[(Some(committed), end(secs))]);
        let st = tr.update(&[g], t(secs)).remove(0);
        if secs > 9600 && st.status == LagStatus::Stall {
            stall_after_second.get_or_insert(secs);
        }
    }
    // Its last commit at 2 h 30 min; two intervals plus a poll or two.
    let at = stall_after_second.expect("the second hang is STALL");
    assert!(at <= 9000 + 2 * 1800 + 60, "STALL at {at} s");
}

/// The monitor starts five minutes before a 30-minute committer's next
/// commit: the lag it saw before that commit is five minutes, but the
/// commit covers half an hour of production, which is the gap it takes.
/// With the five minutes as its gap it was STALL before its next commit
/// (hunt 12, W3).
#[test]
fn a_monitor_started_late_in_an_interval_learns_the_whole_gap() {
    let c = Consumer {
        end: &steady,
        commit_ms: 1_800_000,
        fault: None,
    };
    let polls = c.polls(15_000, 1_500_000, 5 * 3_600_000);
    let flagged = flagged_from(&polls, 1_800_000);
    assert!(flagged.is_empty(), "{:?}", flagged.first());
}

#[test]
fn an_idle_caught_up_group_is_never_flagged() {
    // Two minutes of traffic (cadence learnt), then none for an hour: the
    // consumer caught up at its next commit and has nothing to commit.
    let idle_after = |t: i64| t.min(120_000) / 100;
    let c = Consumer {
        end: &idle_after,
        commit_ms: 5_000,
        fault: None,
    };
    assert_always_ok(&c.polls(1_000, 300, 3_720_000));
}

#[test]
fn a_bursty_producer_is_not_flagged() {
    // Two minutes of traffic, then a burst of 500 messages every 5 minutes:
    // after a quiet spell the lag appears at once, long after the last
    // commit; the consumer commits it at its next commit slot.
    // (The bursts come half-way between two commit slots.)
    let bursts = |t: i64| t.min(120_000) / 100 + 500 * ((t - 122_500).max(0) / 300_000);
    let c = Consumer {
        end: &bursts,
        commit_ms: 5_000,
        fault: None,
    };
    let polls = c.polls(1_000, 300, 3_720_000);
    assert!(polls.iter().any(|(_, _, r)| r.contains("(total lag 500)")));
    assert_always_ok(&polls);
}

#[test]
fn without_a_learnt_cadence_the_old_times_apply() {
    // Off: the stall is only STALL after `stall_after` (5 min).
    let mut tr = LagTracker::new(LagConfig {
        stall_commit_intervals: 0,
        ..Default::default()
    });
    let c = Consumer {
        end: &steady,
        commit_ms: 5_000,
        fault: Some((600_000, 1)),
    };
    let mut first_stall = None;
    for sec in 0..1_000 {
        let t = sec * 1_000;
        let g = group("g", 1, &[(Some(c.committed(t)), steady(t))]);
        let s = tr.update(&[g], at_ms(t)).remove(0);
        if s.status == LagStatus::Stall && first_stall.is_none() {
            first_stall = Some(t);
        }
    }
    // The last commit (at 600 s) left no lag; the next poll showed some,
    // which can have come right after the poll at 600 s.
    assert_eq!(
        first_stall,
        Some(901_000),
        "5 min after the lag can have come"
    );
}

#[test]
fn jittery_polls_and_commits_are_not_flagged() {
    // Commits every 5 s ± 1 s, polls every 1 s ± 0.4 s, for an hour.
    let mut seed: u64 = 42;
    let mut jitter = |max_ms: i64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((seed >> 33) % (2 * max_ms as u64 + 1)) as i64 - max_ms
    };
    let commits: Vec<i64> = (1..800).map(|k| k * 5_000 + jitter(1_000)).collect();
    let mut tr = LagTracker::new(LagConfig::default());
    for j in 1..3_600 {
        let t = j * 1_000 + jitter(400);
        let last = commits.iter().rfind(|c| **c <= t).copied();
        let g = group("g", 1, &[(Some(last.map_or(0, steady)), steady(t))]);
        let s = tr.update(&[g], at_ms(t)).remove(0);
        assert_eq!(s.status, LagStatus::Ok, "at {t} ms: {}", s.reason);
    }
}

#[test]
fn a_group_committing_about_once_a_poll_is_not_flagged() {
    // Commits every 1.1 s, polls every 1 s: most polls see one commit, one
    // in ten sees none (a gap of two polls), for an hour.
    let c = Consumer {
        end: &steady,
        commit_ms: 1_100,
        fault: None,
    };
    assert_always_ok(&c.polls(1_000, 300, 3_600_000));
}

#[test]
fn polls_drifting_past_a_commit_every_poll_are_not_flagged() {
    // Commits every 1 s, polls every 1.02 s (the poll takes a little
    // longer than its interval on a big cluster): about once a minute two
    // polls in a row see the same offset, two poll intervals after the poll
    // before it, i.e. two commit intervals. Not late. A real stall still is.
    let c = Consumer {
        end: &steady,
        commit_ms: 1_000,
        fault: None,
    };
    assert_always_ok(&c.polls(1_020, 300, 3_600_000));
    let stalled = Consumer {
        end: &steady,
        commit_ms: 1_000,
        fault: Some((600_000, 1)),
    };
    let polls = stalled.polls(1_020, 300, 700_000);
    let missed = stalled.first_missed_commit();
    assert_always_ok(
        &polls
            .iter()
            .filter(|(t, _, _)| *t < missed)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let (t, _, reason) = polls
        .iter()
        .find(|(_, s, _)| *s == LagStatus::Stall)
        .expect("the stall is flagged");
    assert!(*t <= missed + 3 * 1_020, "STALL at {t} ms: {reason}");
}

/// Burrow's first rule: a consumer caught up at some point of the window is
/// working off a burst, not falling behind. Here it was caught up (lag 0)
/// for three polls, then a burst appends 300 per poll while it reads 200:
/// the lag never decreased over the window, but that is a burst, OK; once
/// the whole window has lag, it is WARN.
#[test]
fn a_burst_on_a_caught_up_consumer_is_not_warn_until_the_window_is_all_lag() {
    let mut h: Vec<(i64, i64)> = (0..3).map(|i| (i * 10, i * 10)).collect();
    for k in 1..=2 {
        h.push((20 + k * 200, 20 + k * 300));
    }
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Ok, "{}", s.reason);
    for k in 3..=5 {
        h.push((20 + k * 200, 20 + k * 300));
    }
    let s = run(2, &h);
    assert_eq!(s.status, LagStatus::Warn, "{}", s.reason);
}

/// A consumer that keeps up with 100 messages per poll (15 s) for 20 polls,
/// then meets `burst` polls at `factor` times the traffic while it consumes
/// `capacity` per poll (its lag grows), then the usual traffic again.
/// Returns every poll's status.
fn burst(factor: i64, burst: usize, capacity: i64) -> Vec<(LagStatus, String)> {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1000i64);
    let mut out = Vec::new();
    for i in 0..(20 + burst + 3 * burst + 20) {
        let bursting = (20..20 + burst).contains(&i);
        e += if bursting { 100 * factor } else { 100 };
        // Keeping up before the burst (its lag wobbles by a commit); at
        // capacity while behind.
        c = (c + capacity).min(e - if i % 2 == 0 { 0 } else { 30 });
        let s = tr.update(&[group("g", 2, &[(Some(c), e)])], t(i as i64 * 15));
        let s = s.into_iter().next().unwrap();
        out.push((s.status, s.reason));
    }
    out
}

/// Burrow raises every batch job: lag grows while producers send five
/// times the usual traffic, although the consumer works at twice its
/// usual pace. Within `absorb_for` that is a consumer working through a
/// burst, not one falling behind.
#[test]
fn a_consumer_working_through_a_burst_at_its_usual_pace_is_ok() {
    // 4 minutes at 5x, the consumer at 2x: lag grows at every poll.
    let polls = burst(5, 16, 200);
    for (i, (status, reason)) in polls.iter().enumerate() {
        assert_eq!(*status, LagStatus::Ok, "poll {i}: {reason}");
    }
}

/// The same consumer, slower than its usual pace while producers send as
/// usual: ERR at once (the window), as before.
#[test]
fn a_consumer_slower_than_its_usual_pace_is_err_at_once() {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1000i64);
    let mut last = None;
    for i in 0..30 {
        e += 100;
        let pace = if i < 20 { 100 } else { 20 };
        c = (c + pace).min(e);
        last = tr
            .update(&[group("g", 2, &[(Some(c), e)])], t(i * 15))
            .into_iter()
            .next();
    }
    let s = last.unwrap();
    assert_eq!(s.status, LagStatus::Err, "{}", s.reason);
}

/// Producers outpacing a consumer at full pace until it is `absorb_for`
/// (10 minutes) behind them: a warning (its capacity falls short), not
/// ERR, and OK again once the lag falls. Here it falls 9 s further behind
/// at every poll (it reads at 200 a poll what was appended at 500 a
/// poll), so 10 minutes behind after about 67 polls of the load.
#[test]
fn a_burst_that_leaves_the_consumer_absorb_for_behind_is_a_warning() {
    let polls = burst(5, 100, 200);
    let during: Vec<&LagStatus> = polls[20..120].iter().map(|(s, _)| s).collect();
    assert!(during.iter().all(|s| **s != LagStatus::Err), "{polls:?}");
    let first = polls.iter().position(|(s, _)| *s != LagStatus::Ok).unwrap();
    assert!((84..=88).contains(&first), "{first}: {:?}", polls[first]);
    assert_eq!(polls[first].0, LagStatus::Warn, "{:?}", polls[first]);
    assert!(
        polls[first].1.contains("producers outpace it") && polls[first].1.contains("behind"),
        "{}",
        polls[first].1
    );
    assert_eq!(polls[119].0, LagStatus::Warn, "{:?}", polls[119]);
    // After the load its lag falls, but it stays raised until the lag is
    // back to a tenth of its peak (about 270 polls after the load).
    let released = 120
        + polls[120..]
            .iter()
            .position(|(s, _)| *s == LagStatus::Ok)
            .unwrap();
    assert!(
        (380..=400).contains(&released),
        "{released}: {:?}",
        polls[released]
    );
    assert!(
        polls[120..released]
            .iter()
            .all(|(s, r)| *s == LagStatus::Warn && r.contains("not caught up")),
        "{:?}",
        &polls[120..released]
    );
    assert!(polls[released..].iter().all(|(s, _)| *s == LagStatus::Ok));
}

/// A consumer at 40 % of steady traffic for 40 minutes, then at 125 %:
/// 24 minutes behind when it recovers, it works its lag off slowly (a
/// quarter of the traffic a poll). Raised while it fell behind, it stays
/// raised while it is half of `absorb_for` (5 minutes) or more behind the
/// producers in time (the poller's time lag), and is resolved once it is
/// less (about 76 minutes after it recovered), before its lag is back to a tenth of its
/// peak (about 86 minutes).
#[test]
fn a_recovered_consumer_is_resolved_once_less_than_half_absorb_for_behind() {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1000i64);
    let mut statuses = Vec::new();
    for i in 0..700i64 {
        e += 100;
        let capacity = match i {
            40..200 => 40,
            _ => 125,
        };
        c = (c + capacity).min(e);
        let mut g = group("g", 2, &[(Some(c), e)]);
        // Steady traffic: the time lag is the lag at 100 a poll.
        g.partitions[0].lag_seconds = Some((e - c) as f64 / 100.0 * 15.0);
        let s = tr.update(&[g], t(i * 15));
        statuses.push(s.into_iter().next().unwrap().status);
    }
    let (_, released) = raised_once(&statuses);
    assert!(
        (500..=510).contains(&released),
        "released at poll {released}"
    );
    assert!(statuses[released..].iter().all(|s| *s == LagStatus::Ok));
}

/// The poll at which `statuses` left OK, which must happen exactly once,
/// and the poll at which they were OK again.
fn raised_once(statuses: &[LagStatus]) -> (usize, usize) {
    let raised: Vec<usize> = (1..statuses.len())
        .filter(|&i| statuses[i - 1] == LagStatus::Ok && statuses[i] != LagStatus::Ok)
        .collect();
    assert_eq!(raised.len(), 1, "{raised:?}: {statuses:?}");
    let released = raised[0]
        + statuses[raised[0]..]
            .iter()
            .position(|s| *s == LagStatus::Ok)
            .expect("OK again");
    (raised[0], released)
}

/// A consumer of a bursty topic (five times the traffic for 5 minutes of
/// every 30) slows to 1.2 times the base traffic for 90 minutes: it no
/// longer works a load off before the next, and its lag piles up. Between
/// two loads its lag shrinks, so it is not "growing over the whole
/// window": released at each lull, it was raised anew at the next load
/// (three critical pages in 90 minutes while 20-60 minutes behind
/// throughout). One incident: raised once, held until its lag is back to
/// a tenth of its peak after it recovers.
#[test]
fn a_slowed_consumer_of_a_bursty_topic_is_raised_once_until_worked_off() {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1000i64);
    let mut statuses = Vec::new();
    for i in 0..1200i64 {
        // 100 a poll, 500 for 20 polls of every 120.
        e += if i % 120 < 20 { 500 } else { 100 };
        let capacity = if (400..760).contains(&i) { 120 } else { 400 };
        c = (c + capacity).min(e);
        let s = tr.update(&[group("g", 2, &[(Some(c), e)])], t(i * 15));
        statuses.push(s.into_iter().next().unwrap().status);
    }
    let (raised, released) = raised_once(&statuses);
    // At the first load after it slowed (it still keeps up in the lull).
    assert!((480..500).contains(&raised), "{raised}");
    assert!(
        released > 760,
        "released at {released}, before the consumer recovered"
    );
    assert_eq!(statuses.last(), Some(&LagStatus::Ok));
}

/// A batch consumer whose capacity is below a load's rate, at the end of
/// a 15-minute load: 9 minutes behind the producers, worked off within
/// the hour. Its lag grew for longer than `absorb_for`, but it is doing
/// its job; until 2026-12-04 the first load of every batch topic was a
/// warning (40 of them in 12 simulated healthy clusters over 48 h).
#[test]
fn a_first_load_that_leaves_the_consumer_minutes_behind_is_not_a_warning() {
    let seen = loads(&[60]);
    let raised: Vec<_> = seen[0]
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s != LagStatus::Ok)
        .collect();
    assert!(raised.is_empty(), "{raised:#?}");
}

/// A consumer hovering at the ERR ratio is not escalated and
/// de-escalated at every poll: once ERR it stays ERR until it advances by
/// clearly more than half of what was produced.
#[test]
fn err_is_left_only_clearly_above_the_ratio() {
    let mut tr = tracker();
    let (mut c, mut e) = (1000i64, 1100i64);
    let mut statuses = Vec::new();
    // 40 per 100 appended (ERR), then 55 (between the ratio and the ratio
    // plus ERR_HYSTERESIS), then 70 (clearly better: WARN).
    for (i, pace) in [40; 6]
        .into_iter()
        .chain([55; 6])
        .chain([70; 6])
        .enumerate()
    {
        e += 100;
        c += pace;
        let s = tr.update(&[group("g", 2, &[(Some(c), e)])], t(i as i64 * 15));
        statuses.push(s.into_iter().next().unwrap().status);
    }
    assert_eq!(statuses[5], LagStatus::Err, "{statuses:?}");
    assert_eq!(statuses[11], LagStatus::Err, "still hovering: {statuses:?}");
    assert_eq!(statuses[17], LagStatus::Warn, "{statuses:?}");
}

/// The monitor starts in the middle of a batch load: no usual pace is
/// known yet, so growing lag is not judged before `absorb_for`; if it
/// keeps growing that long, the ratio rules apply as usual.
#[test]
fn growth_seen_from_the_first_poll_waits_for_absorb_for() {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1100i64);
    let mut statuses = Vec::new();
    for i in 0..50 {
        e += 100;
        c += 40;
        let s = tr.update(&[group("g", 2, &[(Some(c), e)])], t(i * 15));
        statuses.push(s.into_iter().next().unwrap().status);
    }
    // 10 minutes = 40 polls.
    assert!(
        statuses[..40].iter().all(|s| *s == LagStatus::Ok),
        "{statuses:?}"
    );
    assert_eq!(statuses[49], LagStatus::Err, "{statuses:?}");
}

/// A batch consumer, caught up between loads (lag 1: the messages since its
/// latest commit), goes at its full pace through each load. The window
/// that sees a load begin also holds the polls before it, where the
/// consumer consumed everything there was: its pace there is the
/// producers', not a sign that it slowed. Judged over the whole window,
/// the second load looked like a consumer at a third of its usual pace and
/// was ERR (critical) at once (a helper's 40-group cluster, day two).
#[test]
fn a_load_that_begins_while_caught_up_is_not_a_slower_consumer() {
    let mut tr = absorbing_tracker();
    let (mut end, mut committed) = (1_000i64, 999i64);
    let mut statuses = Vec::new();
    let mut poll = |tr: &mut LagTracker, i: i64, produce: i64, capacity: i64| {
        end += produce;
        committed = (committed + capacity).min(end - 1);
        let s = tr.update(&[group("g", 1, &[(Some(committed), end)])], t(i * 15));
        s.into_iter().next().unwrap()
    };
    let mut i = 0;
    for load in 0..3 {
        for _ in 0..40 {
            poll(&mut tr, i, 12, 100); // quiet: 0.8/s, caught up
            i += 1;
        }
        for k in 0..12 {
            // A load at 250 per poll for 3 minutes; the consumer takes 100.
            let s = poll(&mut tr, i, 250, 100);
            if load > 0 {
                statuses.push((load, k, s.status, s.reason));
            }
            i += 1;
        }
    }
    let bad: Vec<_> = statuses
        .iter()
        .filter(|(_, _, st, _)| *st != LagStatus::Ok)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// A batch consumer keeping up with 100 messages per poll (15 s), then one
/// load per entry of `loads` (that many polls at five times the traffic,
/// the consumer at 200 per poll: its lag grows by 300 a poll, and it
/// falls 9 s further behind the producers), each followed by quiet polls
/// (three per poll of load: enough to work the lag off).
/// Returns, per load, the statuses from its first poll until the lag is
/// worked off.
fn loads(loads: &[usize]) -> Vec<Vec<(LagStatus, String)>> {
    let mut tr = absorbing_tracker();
    let (mut c, mut e) = (1000i64, 1000i64);
    let mut i = 0i64;
    let mut poll = |tr: &mut LagTracker, produce: i64| {
        e += produce;
        // A commit's worth of lag at every other poll, as in `burst`.
        c = (c + 200).min(e - if i % 2 == 0 { 0 } else { 30 });
        let s = tr.update(&[group("g", 2, &[(Some(c), e)])], t(i * 15));
        i += 1;
        let s = s.into_iter().next().unwrap();
        (s.status, s.reason)
    };
    for _ in 0..20 {
        poll(&mut tr, 100);
    }
    let mut out = Vec::new();
    for &polls in loads {
        let mut statuses: Vec<_> = (0..polls).map(|_| poll(&mut tr, 500)).collect();
        statuses.extend((0..3 * polls + 20).map(|_| poll(&mut tr, 100)));
        out.push(statuses);
    }
    out
}

/// Burrow raises every batch load, and until 2026-12-04 isrwatch raised
/// every one that outlasted `absorb_for` (15 warnings in 48 h on a
/// healthy cluster loading a topic every 45 minutes). A consumer that
/// worked off a load lately has shown it handles that load: the same load
/// again is OK; one half again longer (or deeper) than any it worked off
/// in the last day is a warning, as the first one was.
#[test]
fn a_load_like_one_worked_off_lately_is_not_a_warning() {
    // 25 minutes of load (100 polls), twice; then one of 50 minutes.
    let seen = loads(&[100, 100, 200]);
    let warned = |statuses: &[(LagStatus, String)]| {
        statuses
            .iter()
            .position(|(s, _)| *s != LagStatus::Ok)
            .map(|p| (p, statuses[p].clone()))
    };
    // The first: a warning once the consumer is 10 minutes behind (about
    // 67 polls into the load), never ERR; OK again once worked off.
    let (at, (status, reason)) = warned(&seen[0]).expect("the first load is raised");
    assert!((64..=68).contains(&at), "{at}: {reason}");
    assert_eq!(status, LagStatus::Warn, "{reason}");
    assert!(seen[0].iter().all(|(s, _)| *s != LagStatus::Err));
    assert_eq!(seen[0].last().unwrap().0, LagStatus::Ok);
    // The same load again: OK from start to end.
    assert_eq!(warned(&seen[1]), None);
    // Twice as long: a warning once it has grown half again longer than
    // the longest worked off (37.5 minutes: 150 polls; or its lag half again
    // deeper, at the same poll here).
    let (at, (status, reason)) = warned(&seen[2]).expect("a longer load is raised");
    assert!((148..=152).contains(&at), "{at}: {reason}");
    assert_eq!(status, LagStatus::Warn, "{reason}");
    assert!(reason.contains("producers outpace it"), "{reason}");
}

/// A consumer at 70 % of the production that commits every 60 s, polled
/// every 15 s: between two commits its lag rises for three polls, at the
/// commit it falls. Judged over polls, the lag "decreased" at every
/// commit, so it never "grew over the whole window" and the consumer was
/// never raised (3 h in the simulator, lag growing 300 messages/s).
/// Judged over commits, as Burrow's window is, it is WARN (70 % of the
/// production: slow but progressing; ERR is below half).
#[test]
fn a_slow_consumer_that_commits_every_minute_is_raised() {
    let mut tr = absorbing_tracker();
    let (mut position, mut committed, mut end) = (1_000.0f64, 1_000i64, 1_000i64);
    let mut last = None;
    for i in 0..120i64 {
        end += 1_500; // 100 messages/s
        position = (position + 1_050.0).min(end as f64); // 70 of them
        if i % 4 == 0 {
            committed = position as i64;
        }
        let s = tr.update(&[group("g", 1, &[(Some(committed), end)])], t(i * 15));
        last = s.into_iter().next();
    }
    let s = last.unwrap();
    assert_eq!(s.status, LagStatus::Warn, "{}", s.reason);
}

#[test]
fn a_one_message_hang_under_way_stays_owed_across_a_restart() {
    // A consumer committing at every poll, caught up, hangs just before
    // the last message of the day arrives: lag 1, the end offset moved
    // after its commit, so an unread message, not a transaction marker.
    // The monitor restarts 30 s later. Read back, the partition still
    // owes a commit: the end offset at the first poll after the restart
    // is not "the end at the commit" (hunt 14's W1 fix made it a marker,
    // and the hang was OK for good).
    let poll = |tr: &mut LagTracker, t: i64| {
        let (committed, end) = if t <= 600_000 {
            (t / 15_000 * 10, t / 15_000 * 10)
        } else {
            (400, 401)
        };
        tr.update(&[group("g", 1, &[(Some(committed), end)])], at_ms(t))
            .remove(0)
    };
    let mut before = LagTracker::new(LagConfig::default());
    for t in (15_000..=630_000).step_by(15_000) {
        assert_eq!(poll(&mut before, t).status, LagStatus::Ok, "at {t} ms");
    }
    let mut after = restarted(&before, true);
    let stall = (645_000..=1_200_000)
        .step_by(15_000)
        .find(|&t| poll(&mut after, t).status == LagStatus::Stall)
        .expect("the hang was never STALL after the restart");
    assert!(stall <= 600_000 + 330_000, "STALL at {stall} ms");
}
