# Hunt 12: writes the scenario files (headers hold the expectations, written before the runs).
import textwrap
def ev(at, action, **kw):
    s = f'[[events]]\nat = "{at}"\naction = "{action}"\n'
    for k, v in kw.items():
        s += f'{k} = {v!r}\n'.replace("'", '"') if isinstance(v, str) else f'{k} = {v}\n'
    return s + "\n"
def cluster(seed, extra="", topics=None, groups=None, kraft=None):
    s = f"[cluster]\nbrokers = 3\nseed = {seed}\nmin_insync_replicas = 2\n{extra}\n"
    s += topics if topics is not None else '[[cluster.topics]]\nname = "orders"\npartitions = 6\nrate = 50.0\n\n'
    s += groups if groups is not None else '[[cluster.groups]]\nname = "billing"\ntopics = ["orders"]\nheadroom = 3.0\n\n'
    return s
def write(name, header, body):
    with open(name + ".toml", "w") as f:
        f.write("\n".join("# " + l if l else "#" for l in textwrap.dedent(header).strip().splitlines()) + "\n" + body)
BILL = '[[cluster.groups]]\nname = "billing"\ntopics = ["orders"]\nheadroom = 3.0\n\n'
def grp(name, ci=None, headroom=2.0, topic="orders"):
    s = f'[[cluster.groups]]\nname = "{name}"\ntopics = ["{topic}"]\nheadroom = {headroom}\n'
    if ci: s += f'commit_interval = "{ci}"\n'
    return s + "\n"
FLAT = '[[cluster.topics]]\nname = "orders"\npartitions = 6\nrate = 50.0\nseasonality = 0.0\n\n'

# ---------------- consumer lag ----------------
write("l01_checkpoint_hang_after_2h", """
Hunt 12, l01. "checkpoint" commits every 30 min (headroom 2), alone with billing on orders (50/s, flat).
At 2h (watched 2h10m: cadence learnt from >= 3 gaps of ~30 min) it hangs (consumer_stall: members stay,
commits stop) for 2 h, then recovers. Times are scenario times (+10 min warm-up).
EXPECTATION (written before running): at most the known start-up STALL (hunt 7) in the first 40 min.
STALL for checkpoint by 2 x its cadence (~60 min) after its last commit before the hang, i.e. by ~3h
(soak ~11400 s), critical; the recovery (4h) de-escalates/resolves; nothing firing at the end (6h).
Nothing for billing.""", cluster(1201, topics=FLAT, groups=BILL + grp("checkpoint", "30m")) +
    ev("2h", "consumer_stall", group="checkpoint", duration="2h"))

write("l02_checkpoint_hang_first_hour", """
Hunt 12, l02 (variant of l01, written with it). Same 30-min committer, but it hangs at 35m (watched 45 min:
its first commit seen at most 30 min after the first poll, one gap at most: the cadence is still learnt).
Hang lasts 2 h.
EXPECTATION (written before running): STALL by ~60 min after its last commit (2 x max(stall_after,
first gap <= 30 min)), i.e. by ~35m + 60m = 95m scenario (soak ~6300 s) at the latest; resolved/de-escalated
after the recovery at 2h35m; nothing at the end (5h).""", cluster(1202, topics=FLAT, groups=BILL + grp("checkpoint", "30m")) +
    ev("35m", "consumer_stall", group="checkpoint", duration="2h"))

write("l03_hung_at_start_then_hangs_again_30m", """
Hunt 12, l03. w0 (the monitor starts with the fault under way). A 30-min committer is hung from the start
(consumer_stall at 0 for 2 h: lag from the first poll), restarted at 2h, commits every 30 min, and hangs
again at 2h40m (its last commit ~2h30m) for good.
EXPECTATION (written before running): STALL ~5 min after the start (no commit seen: fixed stall_after);
resolved/de-escalated after the 2h recovery (WARN "moving again" while it works off 2 h of backlog is fine);
the second hang STALL by ~1 h after its last commit (2 x a 30-min cadence), i.e. by ~3h35m (soak ~12900 s).
Firing at the end (8h) is right (it is still hung).""", cluster(1203, topics=FLAT, groups=BILL + grp("checkpoint", "30m")) +
    ev("0s", "consumer_stall", group="checkpoint", duration="2h") + ev("2h40m", "consumer_stall", group="checkpoint"))

write("l03b_hung_at_start_then_hangs_again_5s", """
Hunt 12, l03b (control of l03, written with it). The same with a 5-s committer (default commit_interval).
EXPECTATION (written before running): STALL ~5 min after the start, resolved/de-escalated after 2h; the
second hang (2h40m) STALL within a few minutes (cadence of 5 s learnt in seconds).
Firing at the end (5h).""", cluster(1203, topics=FLAT, groups=BILL + grp("checkpoint")) +
    ev("0s", "consumer_stall", group="checkpoint", duration="2h") + ev("2h40m", "consumer_stall", group="checkpoint"))

def cron(stops):
    return "".join(ev(f"{a}m", "consumer_stop", group="hourly-export", duration=f"{d}m") if d else ev(f"{a}m", "consumer_stop", group="hourly-export") for a, d in stops)
CRONG = BILL + grp("hourly-export", headroom=20.0)
normal = [(6 + 60 * k, 54) for k in range(14)]
miss = [(6, 54), (66, 54), (126, 54), (186, 54), (246, 54), (306, 114), (426, 54), (486, 54), (546, 114), (666, 54), (726, 54)]
write("l04_cron_misses_two_runs", """
Hunt 12, l04. hunt11 t06's hourly job (runs :00-:06, exits, headroom 20, 5-s commits while it runs). It
misses the run due at 360m (empty 306m-420m, 114 min) and, after two good runs, the run due at 600m (empty
546m-660m). Then two more runs.
EXPECTATION (written before running): at most one early STOP (first exits, before 2 spells are known).
Each missed run is a real fault: STOP for each, by ~2 x 54 min = 108 min after the exit (306m+108m = 414m,
soak ~25440 s; 546m+108 = 654m, soak ~39840 s), resolved when it runs again. Nothing at the end (13h).""",
    cluster(1204, groups=CRONG) + cron(miss))

write("l04b_cron_misses_one_run_control", """
Hunt 12, l04b (control of l04, written with it). Only the first missed run (306m-420m), then normal runs.
EXPECTATION (written before running): STOP ~414m (soak ~25440 s), resolved at 420m; nothing else after the
start.""", cluster(1204, groups=CRONG) + cron([(6, 54), (66, 54), (126, 54), (186, 54), (246, 54), (306, 114), (426, 54), (486, 54), (546, 54), (606, 54), (666, 54), (726, 54)]))

write("l05_cron_stops_for_good", """
Hunt 12, l05. The hourly job runs 5 times normally, then exits at 306m and never comes back.
EXPECTATION (written before running): STOP (critical) by ~2 x 54 min after the exit (~414m, soak ~25440 s);
firing at the end (9h). Lateness noted: the missed run (due 360m) is told ~54 min after it was due.""",
    cluster(1205, groups=CRONG) + cron([(6, 54), (66, 54), (126, 54), (186, 54), (246, 54), (306, None)]))

drift = []; a = 6; d = 54
for k in range(10):
    drift.append((a, d)); a += 6 + d; d += 5
write("l06_cron_runs_drift_later", """
Hunt 12, l06. The hourly job's empty spell grows by 5 min each run (54, 59, 64, ... 99 min): a run that
starts later and later (a slowing upstream), but it always comes back.
EXPECTATION (written before running): at most one early STOP; after that nothing (each spell < 2 x the
longest before it). Nothing at the end.""", cluster(1206, groups=CRONG) + cron(drift))

crash = [(20 + 30 * k, 8) for k in range(10)]
write("l07_crash_loop_continuous", """
Hunt 12, l07. "stream" is a continuous consumer (5-s commits, headroom 3) that crash-loops: from 20m it
dies every 30 min and is back after 8 min (consumer_stop 8m, recover), 10 times.
EXPECTATION (written before running): a real fault each time (8 min without consumers, lag piling up).
STOP 5 min into each spell (stop_after), or one incident that becomes flapping; it must not go silent
after a couple of crashes. Nothing at the end (6h).""",
    cluster(1207, groups=BILL + grp("stream", headroom=3.0)) + "".join(ev(f"{a}m", "consumer_stop", group="stream", duration=f"{d}m") for a, d in crash))

write("l07b_outages_growing", """
Hunt 12, l07b (variant of l07, written with it). Continuous consumer "stream" with 4 real outages (members
gone: crash, the operator restarts it): 10 min at 20m, 30 min at 60m, 70 min at 2h, 3h at 4h.
EXPECTATION (written before running): STOP ~5 min into each outage (soak ~1500, ~4500, ~8100, ~15300 s),
each resolved/de-escalated after its recovery. Nothing at the end (8h).""",
    cluster(1207, groups=BILL + grp("stream", headroom=3.0)) + ev("20m", "consumer_stop", group="stream", duration="10m")
    + ev("60m", "consumer_stop", group="stream", duration="30m") + ev("2h", "consumer_stop", group="stream", duration="70m")
    + ev("4h", "consumer_stop", group="stream", duration="3h"))

write("l07c_single_outage_control", """
Hunt 12, l07c (control of l07b). Only the 70-min outage at 2h.
EXPECTATION (written before running): STOP ~2h05m (soak ~8100 s), resolved after 3h10m.""",
    cluster(1207, groups=BILL + grp("stream", headroom=3.0)) + ev("2h", "consumer_stop", group="stream", duration="70m"))

BURSTY = '[[cluster.topics]]\nname = "clicks"\npartitions = 3\nrate = 0.5\nseasonality = 0.0\nburst_every = "20m"\nburst_length = "2m"\nburst_factor = 40.0\n\n'
write("l08_stall_bursty_quiet_topic", """
Hunt 12, l08. "clicks" is a quiet topic (0.5 msg/s over 3 partitions, bursts of x40 for 2 min about every
20 min). "reader" (5-s commits, headroom 2) is caught up; lag-free polls are common. At 2h it hangs (stall)
for 1h.
EXPECTATION (written before running): nothing before 2h; STALL within ~5-10 min after lag first appears on
the hung offsets (quiet: a message every few seconds), i.e. by ~2h15m (soak ~8700 s); resolved/de-escalated
after 3h. Nothing at the end (5h).""",
    cluster(1208, topics=FLAT + BURSTY, groups=BILL + grp("reader", topic="clicks")) + ev("2h", "consumer_stall", group="reader", duration="1h"))

write("l08b_stall_bursty_checkpoint", """
Hunt 12, l08b (variant of l08, written with it). The same quiet bursty topic, read by a 12-min committer
(cadence from gaps whose lag began mid-gap: the new lag_began rule); hang at 2h for 2h.
EXPECTATION (written before running): nothing before 2h (a STALL in the first 30 min is the known start-up
one); STALL by ~2 x 12 min after lag appears on the hung offsets (~2h30m at most, soak ~9600 s); resolved or
de-escalated after 4h. Nothing at the end (6h).""",
    cluster(1208, topics=FLAT + BURSTY, groups=BILL + grp("reader", "12m", topic="clicks")) + ev("2h", "consumer_stall", group="reader", duration="2h"))

write("l09_slowdown_30m_commits", """
Hunt 12, l09. "checkpoint" (30-min commits, headroom 2, flat traffic 50/s) slows at 1h to factor 0.45
(0.9 of production: it falls 6 min further behind per hour) for good.
EXPECTATION (written before running): rule 7 "falling further behind" WARN once its backlog at a commit is
>= absorb_for (10 min: ~100 min after the slowdown) and 4 sampled commit steps rose: by ~1h + 3h = 4h
(soak ~15000 s). Firing at the end (10h).""",
    cluster(1209, topics=FLAT, groups=BILL + grp("checkpoint", "30m")) + ev("1h", "consumer_slowdown", group="checkpoint", factor=0.45))

write("l09b_slowdown_5s_commits_control", """
Hunt 12, l09b (control of l09). The same slowdown for a 5-s committer.
EXPECTATION (written before running): WARN by ~2h-2h30m (soak ~8000-9600 s); firing at the end (10h).""",
    cluster(1209, topics=FLAT, groups=BILL + grp("checkpoint")) + ev("1h", "consumer_slowdown", group="checkpoint", factor=0.45))

# ---------------- quorum ----------------
def allvoters(at, d):
    return "".join(ev(at, "voter_down", broker=b, duration=d) for b in (1, 2, 3))
for nm, d in (("q01_all_voters_1m", "1m"), ("q01b_all_voters_3m", "3m"), ("q01c_all_voters_10m", "10m")):
    write(nm, f"""
Hunt 12, {nm[:4].rstrip('_')}. KRaft 3 brokers (combined mode). At 20m every voter stops ({d}): no quorum leader,
brokers keep serving data.
EXPECTATION (written before running): "No active controller" (critical) about 2 polls (+ pending) after
20m (soak ~1830-1900 s){' - for 1 min it may be just raised or not at all; either is acceptable' if d == '1m' else ''},
resolved within ~1-2 min of the return; nothing else (no partition/consumer findings). Nothing at the
end (60m).""", cluster(1210, topics=FLAT) + allvoters("20m", d))

write("q02_failover_storm", """
Hunt 12, q02. controller_failover every 20 s for 4 min from 20m (12 moves).
EXPECTATION (written before running): at most "controller unstable" (one incident), no "No active
controller", nothing for partitions/consumers, resolved by the end (60m).""",
    cluster(1211, topics=FLAT) + "".join(ev(f"{1200 + 20 * k}s", "controller_failover") for k in range(12)))

write("q03_leader_voter_stopped", """
Hunt 12, q03. The quorum leader's voter (broker 1, the initial controller) stops at 20m for 10 min: the
others elect a new leader.
EXPECTATION (written before running): "Metadata quorum voter behind: voter 1" (quorum_lag) within ~1-2
min, resolved after 30m; no "No active controller".""", cluster(1212, topics=FLAT) + ev("20m", "voter_down", broker=1, duration="10m"))

write("q04_unresponsive_broker_quorum_fine", """
Hunt 12, q04. Broker 1 unresponsive to clients (network_partition mode unresponsive: connects, answers
nothing; replication continues) 20m-40m; the quorum is fine. Then broker 2 the same 50m-70m.
EXPECTATION (written before running): "Broker 1 unreachable" (and later broker 2) incidents; no "No active
controller" at any time; nothing at the end (90m).""",
    cluster(1213, topics=FLAT) + ev("20m", "network_partition", broker=1, mode="unresponsive", duration="20m") + ev("50m", "network_partition", broker=2, mode="unresponsive", duration="20m"))

write("q05_broker_down_plus_voters_stopped", """
Hunt 12, q05. Broker 3 down 20m-50m; at 25m the voters of brokers 1 and 2 stop for 10 min (no quorum
leader: 3's voter is down with it).
EXPECTATION (written before running): "Broker 3 is down" ~20m; "No active controller" ~25m+30-60 s,
resolved ~35m+1-2 min; broker 3 back after 50m. Nothing at the end (70m).""",
    cluster(1214, topics=FLAT) + ev("20m", "broker_down", broker=3, duration="30m") + ev("25m", "voter_down", broker=1, duration="10m") + ev("25m", "voter_down", broker=2, duration="10m"))

write("q06_voters_stopped_plus_unresponsive", """
Hunt 12, q06. Broker 1 unresponsive (network_partition unresponsive) 20m-50m; at 25m every voter stops
for 10 min.
EXPECTATION (written before running): "Broker 1 unreachable" ~20m; "No active controller" ~25m+30-60 s,
resolved ~35m+1-2 min; nothing at the end (70m).""",
    cluster(1215, topics=FLAT) + ev("20m", "network_partition", broker=1, mode="unresponsive", duration="30m") + allvoters("25m", "10m"))

# ---------------- disk ----------------
def fill(at, b, r, d=None):
    return ev(at, "disk_fill", broker=b, mib_per_sec=r, **({"duration": d} if d else {}))
write("d01_fill_pause_10m", """
Hunt 12, d01. Broker 2 fills at 80 MiB/s (27.5 %/h) from 20m; at 80m (~67 %) the writer pauses 10 min
(0.001 MiB/s), resumes at 90m at 80 MiB/s, freed at 125m (~83 %).
EXPECTATION (written before running): "filling up" at ~42m (50 %, soak ~3180 s); ONE incident through the
10-min pause (the fill is the same incident: the 1.5x forecast hold exists for a wavering pace) - a resolve
and a new firing within 15 min would be noise; resolved at the free (soak ~8100 s).""",
    cluster(1216, topics=FLAT) + fill("20m", 2, 80.0) + fill("80m", 2, 0.001) + fill("90m", 2, 80.0) + ev("125m", "disk_free", broker=2))

write("d01b_fill_pause_3m_control", """
Hunt 12, d01b (control of d01). The pause is 3 min (80m-83m).
EXPECTATION (written before running): one incident from ~42m to the free at 125m.""",
    cluster(1216, topics=FLAT) + fill("20m", 2, 80.0) + fill("80m", 2, 0.001) + fill("83m", 2, 80.0) + ev("125m", "disk_free", broker=2))

write("d02_slow_steady_fill_5h", """
Hunt 12, d02. Broker 2 fills at 29 MiB/s (10 %/h) from 20m: 50 % at 80m (full in 5 h then), 85 % at 4h50m,
95 % at 5h50m; freed at 6h.
EXPECTATION (written before running): "filling up" at ~80m (soak ~5400 s) and kept to the free (no
resolve, no flapping); critical near 95 % (~5h50m, soak ~21600 s); resolved at the free (~6h). Nothing at
the end (7h).""", cluster(1217, topics=FLAT) + fill("20m", 2, 29.0) + ev("6h", "disk_free", broker=2))

stairs = ""
t = 20
while t < 300:
    stairs += fill(f"{t}m", 2, 120.0) + fill(f"{t + 8}m", 2, 0.001)
    t += 14
write("d03_stair_fill", """
Hunt 12, d03. Broker 2 fills in batches: 120 MiB/s for 8 min, then flat for 6 min, repeated from 20m
(average 69 MiB/s, 23.5 %/h: a real fill, full in ~2 h from 50 %); freed at 130m (~84 %).
EXPECTATION (written before running): one "filling up" incident from ~50 % (~47m, soak ~3400 s) to the
free at 130m (soak ~8400 s): the batches are one fill. Not resolved/raised at every flat step.""",
    cluster(1218, topics=FLAT) + stairs.split('[[events]]\nat = "130m"')[0] + ev("130m", "disk_free", broker=2) if False else
    cluster(1218, topics=FLAT) + "".join(fill(f"{t}m", 2, 120.0) + fill(f"{t + 8}m", 2, 0.001) for t in range(20, 130, 14)) + ev("130m", "disk_free", broker=2))

write("d04_fill_free_sawtooth", """
Hunt 12, d04. Rerun of hunt11 d04 (same file content, seed 1104): fill at 200 MiB/s for 42 min (40 -> 88 %),
freed; 4 cycles, every 60 min from 20m.
EXPECTATION (written before running): as in hunt 11: <= 1 firing per cycle (or one flapping incident), no
critical, nothing at the end (5h).""",
    cluster(1104, topics='[[cluster.topics]]\nname = "orders"\npartitions = 6\nrate = 80.0\n\n[[cluster.topics]]\nname = "events"\npartitions = 3\nrate = 20.0\n\n', groups=BILL + '[[cluster.groups]]\nname = "audit"\ntopics = ["events"]\n\n')
    + "".join(fill(f"{a}m", 2, 200.0, "42m") for a in (20, 80, 140, 200)))

# ---------------- second round (written after the first round ran, before their own runs) ----------------
BURSTY2 = BURSTY.replace("rate = 0.5", "rate = 0.5")
write("l08c_stall_bursty_quiet_topic_caught_up", """
Hunt 12, l08c (variant of l08, written after l08 ran, before its own run: in l08 the reader could not keep
up with the bursts - capacity is headroom x the configured rate - so it was not a caught-up consumer).
Headroom 100 (50 msg/s > the x40 bursts of 20 msg/s): caught up, lag-free polls common. Stall at 2h for 1h.
EXPECTATION (written before running): nothing before 2h; STALL within ~5-10 min after lag first appears on
the hung offsets (by ~2h15m, soak ~8700 s); resolved/de-escalated after 3h. Nothing at the end (5h).""",
    cluster(1208, topics=FLAT + BURSTY, groups=BILL + grp("reader", topic="clicks", headroom=100.0)) + ev("2h", "consumer_stall", group="reader", duration="1h"))
write("l08d_stall_bursty_checkpoint_caught_up", """
Hunt 12, l08d (variant of l08b, written after l08b ran, before its own run): 12-min committer, headroom 100
(keeps up with the bursts), quiet bursty topic; hang at 2h for 2h.
EXPECTATION (written before running): nothing before 2h but the known start-up STALL (first 20 min);
STALL by ~2 x 12 min after lag appears on the hung offsets (soak ~9600 s at the latest); resolved or
de-escalated after 4h. Nothing at the end (6h).""",
    cluster(1208, topics=FLAT + BURSTY, groups=BILL + grp("reader", "12m", topic="clicks", headroom=100.0)) + ev("2h", "consumer_stall", group="reader", duration="2h"))
write("l03c_hung_at_start_fast_catch_up_30m", """
Hunt 12, l03c (variant of l03, written after l03 ran, before its own run: in l03 the second hang came while
the 'moving again' WARN was still open). w0; 30-min committer with headroom 10 (works off 2 h of backlog in
~15 min) hung from the start for 2 h, restarted at 2h, hangs again for good at 2h40m (last commit ~2h30m).
EXPECTATION (written before running): STALL ~5 min after the start; WARN/resolve after 2h; the second hang
STALL by ~1 h after its last commit (~3h30m, soak ~12600 s). Firing at the end (8h).""",
    cluster(1213, topics=FLAT, groups=BILL + grp("checkpoint", "30m", headroom=10.0)) + ev("0s", "consumer_stall", group="checkpoint", duration="2h") + ev("2h40m", "consumer_stall", group="checkpoint"))
write("l04c_cron_missed_once_then_stops_for_good", """
Hunt 12, l04c (variant of l04, written after l04 ran, before its own run). The hourly job misses the run
due at 360m (empty 306m-420m), runs at 420m and 480m, then exits at 546m and never comes back.
EXPECTATION (written before running): STOP ~414m (resolved 420m); STOP for the final stop by ~108 min after
546m (654m, soak ~39840 s); firing at the end (14h).""",
    cluster(1204, groups=CRONG) + cron([(6, 54), (66, 54), (126, 54), (186, 54), (246, 54), (306, 114), (426, 54), (486, 54), (546, None)]))
write("q07_leader_and_one_voter_stopped", """
Hunt 12, q07 (written after q01-q03 ran, before its own run). Voters 1 (the leader) and 2 stop at 20m for
10 min: voter 3 alone has no majority, so no leader can be elected (KIP-595).
EXPECTATION (written before running): "No active controller" ~30 s after 20m (soak ~1830 s), resolved ~30m
(soak ~2400 s); nothing else firing at the end (60m).""",
    cluster(1217, topics=FLAT) + ev("20m", "voter_down", broker=1, duration="10m") + ev("20m", "voter_down", broker=2, duration="10m"))
write("q07b_two_followers_stopped", """
Hunt 12, q07b (variant of q07, written with it). Voters 2 and 3 (followers) stop at 20m for 10 min: the
leader (1) lost its majority; real Kafka's leader resigns after the check-quorum timeout (no leader).
EXPECTATION (written before running): a critical incident within ~1 min: "No active controller" or
"Metadata quorum degraded" (majority lost); resolved ~30m; nothing at the end (60m).""",
    cluster(1217, topics=FLAT) + ev("20m", "voter_down", broker=2, duration="10m") + ev("20m", "voter_down", broker=3, duration="10m"))
