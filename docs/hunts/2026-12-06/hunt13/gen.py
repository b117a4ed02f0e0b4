#!/usr/bin/env python3
"""Writes hunt 13's scenario files (multi-day life of a cluster). Run from this folder.

Every header's EXPECTATION was written before the file was run. Soak seconds = scenario seconds + 600
(the 10-min warm-up) unless said otherwise. Files written after the first round say so in their header.
"""

BASE_CLUSTER = """[cluster]
brokers = 3
seed = {seed}
min_insync_replicas = 2
start_hour = {start_hour}
"""


def topic(name, partitions, rate, seasonality=0.3, noise=0.1, extra=""):
    return f"""
[[cluster.topics]]
name = "{name}"
partitions = {partitions}
rate = {rate}
seasonality = {seasonality}
noise = {noise}
{extra}"""


def group(name, topics, headroom=3.0, commit="5s", extra=""):
    ts = ", ".join(f'"{t}"' for t in topics)
    return f"""
[[cluster.groups]]
name = "{name}"
topics = [{ts}]
headroom = {headroom}
commit_interval = "{commit}"
{extra}"""


def event(at, action, **kw):
    s = f"\n[[events]]\nat = \"{at}\"\naction = \"{action}\"\n"
    for k, v in kw.items():
        if isinstance(v, str):
            s += f'{k} = "{v}"\n'
        elif isinstance(v, list):
            s += f"{k} = [{', '.join(str(x) for x in v)}]\n"
        else:
            s += f"{k} = {v}\n"
    return s


def hm(seconds):
    seconds = int(seconds)
    h, r = divmod(seconds, 3600)
    m, s = divmod(r, 60)
    out = f"{h}h"
    if m:
        out += f"{m}m"
    if s:
        out += f"{s}s"
    return out


def header(text):
    return "".join("# " + line + "\n" if line else "#\n" for line in text.strip("\n").split("\n"))


files = {}

# ---------------------------------------------------------------- m01 quiet nights
files["m01_quiet_nights_4d"] = header("""
Hunt 13, m01. Quiet nights for 4 days: every topic has seasonality 1.0 (rate x (1 + sin): twice the base at
12:00 UTC, zero at 00:00, below 5 % of base for ~2.5 h around midnight), noise 0.1. Consumers keep up at
the peak (headroom 3 > 2 x 1.1). One low-rate topic (audit, 3 msg/s: under 1 msg/s for ~3 h each night)
and a 60-s committer. Start 12:00 UTC. No event: the run is 4 days (--duration 4d).
EXPECTATION (written before running): nothing notified at all, in particular no "Produce rate fell" at
night or in the evening decline, no "rate rose"/anomaly at each morning ramp, no consumer lag at night.
At most one "rate fell"/anomaly on the first night (the detector has not seen a night yet) would be
debatable; anything on nights 2-4 is wrong; anything firing at the end is wrong.
""") + BASE_CLUSTER.format(seed=1301, start_hour=12.0) + topic("orders", 6, 100.0, 1.0) + topic(
    "events", 3, 20.0, 1.0) + topic("audit", 1, 3.0, 1.0) + group("billing", ["orders"]) + group(
    "fraud", ["orders"], commit="60s") + group("audit-reader", ["events", "audit"])

# ---------------------------------------------------------------- m02 weekend drop
files["m02_weekend_drop_8d"] = header("""
Hunt 13, m02. A weekend: start Monday 00:00 UTC (start_hour 0), seasonality 0.5, noise 0.2; 5 normal days,
then Saturday 00:00 (5d) to Monday 00:00 (7d) every topic at 15 % of its rate (traffic_spike factor 0.15),
then normal again; run 8 days (Tuesday 00:00). Consumers keep up everywhere (headroom 3).
Soak times: Saturday 00:00 = 432600, Monday 00:00 = 605400.
EXPECTATION (written before running): no page (critical) at any time. A drop to 15 % at Saturday midnight
may be told once as a warning/info "Produce rate fell" (debatable: a real weekend is news the first time
the detector sees it, but a page would be wrong); it must not be re-raised or flap during the weekend
beyond reminders, must resolve once by Monday morning at the latest, and Monday's return to normal must
not be raised as a jump/new high (the same rates were seen all week). No consumer lag at any time.
""") + BASE_CLUSTER.format(seed=1302, start_hour=0.0) + topic("orders", 6, 100.0, 0.5, 0.2) + topic(
    "events", 3, 20.0, 0.5, 0.2) + group("billing", ["orders"]) + group("audit", ["events"], commit="30s") + event(
    "5d", "traffic_spike", factor=0.15, duration="2d")


# ---------------------------------------------------------------- m03 growth
def growth(name, seed, per_day, days, headroom, expectation):
    s = header(expectation) + BASE_CLUSTER.format(seed=seed, start_hour=6.0) + topic(
        "orders", 6, 80.0, 0.3, 0.1) + topic("events", 3, 20.0, 0.3, 0.1) + group(
        "billing", ["orders"], headroom=headroom) + group("audit", ["events"], headroom=headroom)
    steps = days * 6  # every 4 h
    for k in range(1, steps + 1):
        f = per_day ** (k / 6.0)
        s += event(hm(k * 4 * 3600), "traffic_spike", factor=round(f, 4))
    return s


files["m03_growth_5pct_a_day_6d"] = growth("m03", 1303, 1.05, 6, 3.0, """
Hunt 13, m03. Slow organic growth: every topic's rate x1.05 per day, in steps every 4 h (factor 1.05^(k/6),
about +0.8 % per step), for 6 days (x1.34 at the end); seasonality 0.3, noise 0.1; start 06:00 UTC.
Consumers keep up (headroom 3 > 1.34 x 1.3 x 1.1). Run 6 days.
EXPECTATION (written before running): nothing notified; in particular no anomaly "new high"/"rising" at
each daily peak on days 2-6 (the records creep up by 5 % a day, well inside the noise of 10 %), no lag.
""")

files["m03b_growth_20pct_a_day_5d"] = growth("m03b", 1313, 1.20, 5, 4.5, """
Hunt 13, m03b. Fast growth (a product launch): x1.20 per day in 4-h steps for 5 days (x2.49 at the end);
otherwise as m03; consumers keep up (headroom 4.5 > 2.49 x 1.3 x 1.1 = 3.6). Run 5 days.
EXPECTATION (written before running): at most one anomaly incident per topic for the growth (README:
"a drift or a shift that keeps setting new records is one anomaly"), info/warning, resolved; not one per
day, no page, no lag. Nothing at all would also be acceptable.
""")

# ---------------------------------------------------------------- m04 long partial faults
files["m04_slow_follower_60h"] = header("""
Hunt 13, m04. A long-standing partial fault: broker 3's followers fetch 120 s behind (slow_follower,
above replica.lag.time.max 30 s) from 1h to 61h (2.5 days), then recover; run 66h. Otherwise healthy,
seasonality 0.3. Soak: fault at 4200, recovery at 220200.
EXPECTATION (written before running): one incident about broker 3 falling behind / partitions
under-replicated, raised within ~1 min (by ~4260), reminders every 4 h (renotify_interval) and nothing
else while it lasts (no second incident, no flapping, no anomaly of ISR/leader series, no produce-rate
fall), resolved once within a few minutes after 220200, nothing after, nothing firing at the end.
""") + BASE_CLUSTER.format(seed=1304, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + group("billing", ["orders"]) + group("audit", ["events"]) + event(
    "1h", "slow_follower", broker=3, delay="120s", duration="60h")

files["m04b_broker_down_50h"] = header("""
Hunt 13, m04b. A broker dead for two days (waiting for hardware): broker 2 down from 1h to 51h, then back;
run 56h. Soak: down at 4200, up at 184200.
EXPECTATION (written before running): one critical incident "Broker 2 is down" at ~4200, reminders every
4 h, nothing else (the partitions under-replicated, leader shares, produce rates are part of it), back at
184200: the same incident says back/catching up and resolves once ~2-7 min later (catch-up 5 s, hold 2 min,
preferred election within 5 min); no anomaly after the return (leader shares, partition counts back to
what they were 2 days ago), nothing firing at the end.
""") + BASE_CLUSTER.format(seed=1314, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + group("billing", ["orders"]) + group("audit", ["events"]) + event(
    "1h", "broker_down", broker=2, duration="50h")

# ---------------------------------------------------------------- m05 daily job
def daily(name, seed, runs, expectation, stop_for_good_after=None):
    """runs: list of (start_seconds, length_seconds) of the daily job's runs after the first (which is
    running at start and exits at 30m)."""
    s = header(expectation) + BASE_CLUSTER.format(seed=seed, start_hour=12.0) + topic(
        "orders", 6, 100.0) + topic("exports", 3, 20.0) + group("billing", ["orders"]) + group(
        "nightly-export", ["exports"], headroom=200.0)
    s += event("30m", "consumer_stop", group="nightly-export")
    for start, length in runs:
        s += event(hm(start), "consumer_recover", group="nightly-export")
        s += event(hm(start + length), "consumer_stop", group="nightly-export")
    return s


H = 3600
normal_runs = [(14 * H + d * 24 * H, 30 * 60) for d in range(5)]  # 02:00 UTC daily, 30 min

files["m05_daily_job_5d"] = daily("m05", 1305, normal_runs, """
Hunt 13, m05. A daily batch consumer (nightly-export, headroom 200: a day's backlog of exports read in
~7 min) that runs at 02:00 UTC for 30 minutes and leaves (consumer_stop / consumer_recover); it is running
when watching starts (12:00) and leaves at 30m; runs at 14h, 38h, 62h, 86h, 110h (scenario time); run 5d.
Soak: exits at 2400, then 53400+86400k; runs start 51000+86400k.
EXPECTATION (written before running): by design (README) at most STOP after the first two exits (2700,
~53700; hunt 12's D1), each resolved when the next run comes; from the third exit on nothing at all.
Nothing firing at the end (the job is between runs, on schedule).
(Correction after the run: the exits are at soak 52800+86400k, not 53400+86400k; the expectation stands.)
""")

missed = [r for i, r in enumerate(normal_runs) if i != 2]
files["m05b_daily_job_misses_day3"] = daily("m05b", 1305, missed, """
Hunt 13, m05b. As m05, but the run due at 62h (soak 223800, 02:00 on day 3) does not happen; the job runs
again at 86h (soak 310200).
EXPECTATION (written before running): STOP for the missed run within about an hour of when it was due
(by ~227400; an on-call wants to know the morning's export did not run), resolved at the next run 310200.
The design (twice the longest spell, 2 x 23.5 h after the exit at soak 139200 = 308400) would raise it
~23 h late, 20 min before the next run: that would be late for an operator.
""")

long_run = [(s, (60 * 60 if i == 2 else l)) for i, (s, l) in enumerate(normal_runs)]
files["m05c_daily_job_runs_twice_as_long"] = daily("m05c", 1305, long_run, """
Hunt 13, m05c. As m05, but the day-3 run (62h) stays 60 min instead of 30 (a slow day: it still reads its
backlog, then idles caught up until it leaves).
EXPECTATION (written before running): as m05: nothing after the first two early STOPs; the longer run
must not make the next spell (23 h) look like a missed run or change anything on days 4-5.
""")

# ---------------------------------------------------------------- m06 faults on day 3 vs day 0
def faults(name, seed, t0, expectation):
    s = header(expectation) + BASE_CLUSTER.format(seed=seed, start_hour=12.0) + topic(
        "orders", 6, 100.0) + topic("events", 3, 20.0) + topic("clicks", 6, 200.0, 0.5, 0.3) + group(
        "billing", ["orders"]) + group("audit", ["events"], commit="10s") + group("clicks-etl", ["clicks"], headroom=3.0)
    s += event(hm(t0 + 20 * 60), "broker_down", broker=2, duration="15m")
    s += event(hm(t0 + 80 * 60), "consumer_stall", group="billing", duration="30m")
    s += event(hm(t0 + 140 * 60), "traffic_stop", topic="events", duration="30m")
    s += event(hm(t0 + 200 * 60), "consumer_stop", group="audit", duration="20m")
    s += event(hm(t0 + 260 * 60), "consumer_slowdown", group="clicks-etl", factor=0.3, duration="40m")
    s += event(hm(t0 + 330 * 60), "traffic_spike", topic="orders", factor=10.0, duration="60s")
    return s


files["m06_faults_day0_control"] = faults("m06", 1306, 0, """
Hunt 13, m06 (control for m06b). A healthy cluster, faults in the first hours (12:00 UTC on): broker 2 down
20m-35m, billing stalled 80m-110m, producers of events stop 140m-170m, audit stopped 200m-220m, clicks-etl
slowed to 0.3 260m-300m, orders x10 for 60 s at 330m. Run 7h. Soak = scenario + 600.
EXPECTATION (written before running): broker down raised at once (1800); STALL ~5 min after 5400;
"Produce rate fell" within ~2-3 min of 9000; STOP ~5 min after 12600; ERR/WARN for clicks-etl within a few
minutes of 16200; the x10 spike NOT raised (series younger than a day: documented). Each resolved.
""")

files["m06b_faults_day3"] = faults("m06b", 1306, 72 * 3600, """
Hunt 13, m06b. The same faults at the same times of day, 3 days later (after 72h of a healthy cluster):
broker 2 down 72h20m-72h35m, etc. Run 80h. Soak = scenario + 600 (fault 1 at 261600).
EXPECTATION (written before running): every fault raised as quickly after its event as in m06 (same
delays within a poll or two), each resolved as in m06; the x10 spike (at 77h30m) raised now as an anomaly
of orders (older than a day, as long/traffic_spike.toml); nothing during the 3 healthy days.
""")

# ---------------------------------------------------------------- m07 nightly producer stop
def nightly(name, seed, nights, expectation):
    s = header(expectation) + BASE_CLUSTER.format(seed=seed, start_hour=12.0) + topic(
        "orders", 6, 100.0) + topic("ingest", 3, 40.0) + group("billing", ["orders"]) + group(
        "ingest-reader", ["ingest"])
    for start, length in nights:
        s += event(hm(start), "traffic_stop", topic="ingest", duration=hm(length))
    return s


nights = [(13 * H + d * 24 * H, 4 * H) for d in range(5)]  # 01:00-05:00 UTC
files["m07_nightly_producer_stop_5d"] = nightly("m07", 1307, nights, """
Hunt 13, m07. ingest's producers stop every night 01:00-05:00 UTC (13h+24h k, 4 h) for 5 nights; its
reader keeps up. Start 12:00; run 5d.
EXPECTATION (written before running): as README: "Produce rate fell" raised on the first two nights only
(soak ~47400 and ~133800, each resolved ~05:00), nothing on nights 3-5; the 05:00 return never raised as
a jump; no consumer lag for ingest-reader (caught up on a silent topic).
""")

nights_b = [(s, (8 * H if i == 3 else l)) for i, (s, l) in enumerate(nights)]
files["m07b_nightly_stop_not_back_day4"] = nightly("m07b", 1307, nights_b, """
Hunt 13, m07b. As m07, but on night 4 (85h, 01:00) the producers do not come back at 05:00: silent until
09:00 (8 h).
EXPECTATION (written before running): nights 3 and 5 silent as in m07; night 4: "Produce rate fell" once
the silence outlasts the habit, i.e. within ~30-40 min after 05:00 (soak 321000: by ~323400), resolved at
09:00 (soak 335400).
""")

# ================================================================ second round (written after the first
# round's results; each header says so)

files["m02b_weekday_drop_15pct_6h_day3"] = header("""
Hunt 13, m02b (written after m02's result: its fall was resolved as "Produce rates are back" 15 min into
the weekend, and Monday's return was raised). Control: the same drop to 15 % (all topics) as a real partial
outage on a weekday, day 3 at 12:00 UTC (72h) for 6 h; otherwise as m02 (start Monday 00:00). Run 4d.
Soak: drop at 259800, back at 281400.
(Correction after the run: with start_hour 0, 72h is Thursday 00:00 UTC, not 12:00: the drop is at night,
06:00 back. The expectation is unchanged by it.)
EXPECTATION (written before running): "Produce rate fell" within a few minutes of 259800, held while the
rates stay at 15 % (6 h), resolved once at 281400; the return to normal not raised as a jump.
""") + BASE_CLUSTER.format(seed=1302, start_hour=0.0) + topic("orders", 6, 100.0, 0.5, 0.2) + topic(
    "events", 3, 20.0, 0.5, 0.2) + group("billing", ["orders"]) + group("audit", ["events"], commit="30s") + event(
    "72h", "traffic_spike", factor=0.15, duration="6h")

ramp = ""
for at, f in [("4d18h", 0.6), ("4d21h", 0.3), ("5d", 0.15), ("7d6h", 0.3), ("7d7h", 0.6), ("7d8h", 1.0)]:
    ramp += event(at, "traffic_spike", factor=f)
files["m02c_weekend_gradual_8d"] = header("""
Hunt 13, m02c (written after m02's result). A gentler weekend: Friday 18:00 x0.6, 21:00 x0.3, Saturday
00:00 x0.15 until Monday 06:00, then x0.3, 07:00 x0.6, 08:00 x1.0; otherwise as m02. Run 8d.
Soak: Fri 18:00 = 410400, Sat 00:00 = 432600, Mon 06:00 = 627000, Mon 08:00 = 634200.
EXPECTATION (written before running): at most one warning "Produce rate fell" on Friday evening/Saturday;
nothing on Monday morning (the rates go back to what they were all week, in steps).
""") + BASE_CLUSTER.format(seed=1302, start_hour=0.0) + topic("orders", 6, 100.0, 0.5, 0.2) + topic(
    "events", 3, 20.0, 0.5, 0.2) + group("billing", ["orders"]) + group("audit", ["events"], commit="30s") + ramp

nights_c = [(s, (16 * H if i == 3 else l)) for i, (s, l) in enumerate(nights)]
files["m07c_nightly_stop_not_back_until_17h"] = nightly("m07c", 1307, nights_c, """
Hunt 13, m07c (written after m07b's result: nothing raised for a 4-h silence past the habit). As m07, but on
night 4 (85h, 01:00) the producers stay stopped until 17:00 (16 h: the whole working day).
Soak: 05:00 = 321000, 17:00 = 364200.
EXPECTATION (written before running): "Produce rate fell" for ingest soon after 05:00-05:30 (by ~323400),
resolved at 364200.
""")

nights_d = [(s, l) for i, (s, l) in enumerate(nights) if i != 3] + [(85 * H + 3 * H, 6 * H)]
nights_d.sort()
files["m07d_nightly_stop_late_night4"] = nightly("m07d", 1307, nights_d, """
Hunt 13, m07d (written after m07b's result). As m07, but on night 4 the stop begins at 04:00 instead of 01:00
and lasts until 10:00 (6 h, 5 h of it outside the habit 01:00-05:00). Soak: 04:00 = 317400, 05:00 = 321000,
10:00 = 339000.
EXPECTATION (written before running): at 04:00 the habit covers it (nothing); once past ~05:30 it is not
usual: "Produce rate fell" by ~323400, resolved at 339000.
""")

files["m06c_stop_day1_events"] = faults("m06c", 1306, 24 * 3600, """
Hunt 13, m06c (written after m06b's result: the day-3 producer stop's return was raised as "Unusual produce
rate" at the poll the fall resolved). The same faults one day in (t0 = 24h), to see from what age the return
is raised. Run 32h. Soak: events stop at 24h140m = 95400 + 600 = 96000, back at 97800.\n(Correction after the run: 24h140m = 94800, so soak 95400 and 97200; the expectation is unchanged.)
EXPECTATION (written before running): as m06 for each fault; the x10 spike at 24h330m (soak 107400) raised;
the producers' return at 97800 NOT raised (README: "the producers' return is not raised as a jump").
""")

# ================================================================ third round (written after the second
# round's results; each header says so)

files["m01b_quiet_nights_checkpointers_4d"] = header("""
Hunt 13, m01b (written after the first round; a new shape, not a variant of a result). Quiet nights as m01
(seasonality 1.0) with checkpointing consumers: one committing every 30 min, one every 12 min, one every
5 min, headroom 3 (they keep up; lag at a commit is up to one interval of production). Run 4d.
EXPECTATION (written before running): at most the known start-up STALL of a 30-min committer (hunt 12 W3,
left open) in the first hour; nothing at night, nothing on days 2-4, nothing firing at the end.
""") + BASE_CLUSTER.format(seed=1311, start_hour=12.0) + topic("orders", 6, 100.0, 1.0) + topic(
    "events", 3, 20.0, 1.0) + group("warehouse-30m", ["orders"], commit="30m") + group(
    "lake-12m", ["orders", "events"], commit="12m") + group("search-5m", ["events"], commit="5m")

files["m06d_stop_3h_day3"] = header("""
Hunt 13, m06d (written after m06b/m06c's results: the return from a 30-min producer stop was raised as
"Unusual produce rate" on days 1 and 3). Control for the length: events' producers stop for 3 h on day 3
at 14:20 (72h140m to 75h140m); otherwise as m06 without the other faults. Run 80h.
Soak: stop at 268200, back at 279000.
EXPECTATION (written before running): "Produce rate fell" ~268245, held 3 h, resolved at 279000; the
return NOT raised (README).
""") + BASE_CLUSTER.format(seed=1306, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + topic("clicks", 6, 200.0, 0.5, 0.3) + group("billing", ["orders"]) + group(
    "audit", ["events"], commit="10s") + group("clicks-etl", ["clicks"], headroom=3.0) + event(
    "72h140m", "traffic_stop", topic="events", duration="3h")

files["m08_disk_slow_fill_3d"] = header("""
Hunt 13, m08 (written after the first round; a new shape). A volume filling slowly for days: broker 1's log
dir gains 2.5 MiB/s net from 1h (40 % -> 85 % at ~53.4h, 95 % at ~65h, full at ~71h); the data is deleted
at 67h (disk_free). Run 70h. Soak = scenario + 600: 85 % ~ 192800, 95 % ~ 234600, free at 241800.
EXPECTATION (written before running): one disk_space incident for broker 1: warning "nearly full" at 85 %
(or "filling up" earlier, only once the pace fills it within 6 h: ~94 %), critical at 95 %, reminders every
4 h meanwhile, resolved once at the free; nothing else.
""") + BASE_CLUSTER.format(seed=1318, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + group("billing", ["orders"]) + group("audit", ["events"]) + event(
    "1h", "disk_fill", broker=1, mib_per_sec=2.5) + event("67h", "disk_free", broker=1)

files["m06e_night_stall_night1_vs_night4"] = header("""
Hunt 13, m06e (written after the second round; a new shape). Quiet nights (seasonality 1.0, start 12:00) and
a consumer that hangs at night: billing (5-s commits) stalls at 00:30 of night 1 (12h30m) for 3 h; fraud
(same topic, 5-s commits) stalls at 00:30 of night 4 (84h30m) for 3 h. At 00:30 the topic takes ~1 msg/s
(of 100), ~3 msg/s at 01:00, so lag is above 0 within a second or two. Run 90h.
Soak: billing stall at 45600, back 56400; fraud stall at 304800, back 315600.
EXPECTATION (written before running): each raised STALL about 5 min (stall_after) after its hang, i.e.
~45900 and ~305100 (night 4 no later than night 1), each resolved after its recovery; nothing else.
""") + BASE_CLUSTER.format(seed=1316, start_hour=12.0) + topic("orders", 6, 100.0, 1.0) + topic(
    "events", 3, 20.0, 1.0) + group("billing", ["orders"]) + group("fraud", ["orders"]) + group(
    "audit", ["events"]) + event("12h30m", "consumer_stall", group="billing", duration="3h") + event(
    "84h30m", "consumer_stall", group="fraud", duration="3h")

files["m09_reassign_3_days_of_data"] = header("""
Hunt 13, m09 (written after the second round; a new shape). A reassignment of a topic holding 3 days of
data: 4 brokers, orders (6 partitions, RF 3 on 1-3) moved at 72h to replicas [4, 1, 2], copying 100 msg/s
per partition (about 4.3 M messages each: ~12 h); retention 7 d. Run 90h. Soak: start 259800, copied
~303000.
EXPECTATION (written before running): one info incident "reassignment in progress" (for_info 5 min, ~260100)
with its progress, never "stuck" (it progresses every poll), no under-replicated/at-min-ISR page for the
added replica still copying, no disk or anomaly noise; resolved once the copy finishes (~303000).
""") + BASE_CLUSTER.format(seed=1319, start_hour=12.0).replace("brokers = 3", "brokers = 4") + topic(
    "orders", 6, 100.0, extra='replicas = [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]]') + topic(
    "events", 3, 20.0, extra='replicas = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]') + group("billing", ["orders"]) + group(
    "audit", ["events"]) + event("72h", "reassign", topic="orders", replicas=[4, 1, 2], rate=100.0)

files["m06f_stops_10m_30m_60m_day3"] = header("""
Hunt 13, m06f (written after m06b/m06c/m06d's results: a 30-min stop's return raised, a 3-h stop's not).
Three topics' producers stop on day 3, each alone: events 10 min at 72h20m, orders 30 min at 73h20m, logs
60 min at 74h40m (start 12:00; seasonality 0.3). Run 78h. Soak: events 261000-261600, orders 264600-266400,
logs 269400-273000.
EXPECTATION (written before running): each stop raised "Produce rate fell" within ~1 min, resolved at its
return; no return raised as "Unusual produce rate" (README).
""") + BASE_CLUSTER.format(seed=1326, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + topic("logs", 3, 50.0) + group("billing", ["orders"]) + group(
    "audit", ["events"]) + group("shipper", ["logs"]) + event(
    "72h20m", "traffic_stop", topic="events", duration="10m") + event(
    "73h20m", "traffic_stop", topic="orders", duration="30m") + event(
    "74h40m", "traffic_stop", topic="logs", duration="60m")

files["m02d_drop_to_half_6h_day3_noon"] = header("""
Hunt 13, m02d (written after m02b's result: a fall to 15 % resolved after 15 min). Half the producers
fail: every topic at 50 % for 6 h from day 3 12:00 UTC (start 12:00, so 72h is noon); seasonality 0.3,
noise 0.1. Run 80h. Soak: drop 259800, back 281400.
EXPECTATION (written before running): "Produce rate fell" within minutes, held 6 h, resolved once at
281400; the return not raised.
""") + BASE_CLUSTER.format(seed=1322, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + group("billing", ["orders"]) + group("audit", ["events"], commit="30s") + event(
    "72h", "traffic_spike", factor=0.5, duration="6h")

files["m10_day1_outage_and_replay_then_normal_day2"] = header("""
Hunt 13, m10 (written after the second round; a new shape). Faults on day 1 that the daily profile may
learn as "normal at that hour": events' producers stop 14:00-16:00 on day 1 (26h-28h); orders takes a
replay at x5 for 2 h at 14:00-16:00 on day 1 too (consumers have headroom 8: they keep up). Day 2 and day
3 are healthy at those hours. Start 12:00; run 4d. Soak: day 1 14:00 = 94200, 16:00 = 101400; day 2 14:00
= 180600; day 3 14:00 = 267000.
EXPECTATION (written before running): day 1: "Produce rate fell" for events (~94245) held until 101400,
the orders x5 replay raised as an unusual rate (the series is older than a day), both resolved; on days 2
and 3 around 14:00-16:00 nothing (normal traffic must not look high/low against a profile that learnt
the day-1 faults); no consumer lag.
""") + BASE_CLUSTER.format(seed=1310, start_hour=12.0) + topic("orders", 6, 100.0) + topic(
    "events", 3, 20.0) + group("billing", ["orders"], headroom=8.0) + group("audit", ["events"]) + event(
    "26h", "traffic_stop", topic="events", duration="2h") + event(
    "26h", "traffic_spike", topic="orders", factor=5.0, duration="2h")

crash_runs = [(st, (3 * 60 if i == 2 else l)) for i, (st, l) in enumerate(normal_runs)]
files["m05d_daily_job_crashes_mid_run_day3"] = daily("m05d", 1305, crash_runs, """
Hunt 13, m05d (written after m05b's result). As m05, but the day-3 run (62h, soak 223800) dies after 3 min
(consumer_stop at 62h3m, soak 223980), with more than half of the day's backlog (~23 h of exports at ~7 min
to read it all) unread; the next run at 86h (soak 310200) reads everything.
EXPECTATION (written before running): the group left with hours of lag and no members: STOP (or at least a
warning) within minutes of 223980 (a scheduled job leaves after reading everything; one that leaves with its
backlog is a crash), resolved at the next run or when caught up.
""")

for name, text in files.items():
    with open(f"{name}.toml", "w") as fh:
        fh.write(text)
    print(name)
