#!/usr/bin/env python3
"""Fault hunt 20, batch 2: more fault classes (same columns as gen.py)."""
S = "/work/main/tests/scenarios"
rows = []
def add(file, label, durs, cls, rb, sb):
    rows.append((label, f"{S}/{file}.toml", durs, cls, rb, sb))
# unclean_election: broker 1 (the whole ISR) crashes 150s; unclean_election_hold 5m, recovery hold 2m
for D in [10, 30, 60, 120, 270, 300, 330, 600, 3600]:
    add("unclean_election", f"unclean_election__D{D}", f"crash={D}s", "once", 30, 160)
# last_isr_offline: broker 1 (last ISR) down at 40s (640, between polls 630/645); broker 2 down 20s-120s
for D in [5, 10, 20, 40, 60, 80, 100, 300, 3600]:
    c = "none,none,once" if D <= 5 else "once"
    add("last_isr_offline", f"last_isr_offline__D{D}", f"last={D}s", c, 30, 160)
# quorum_leader_voter_down: the quorum leader's voter stops
for D in [10, 20, 30, 45, 60, 66, 90, 120, 600, 3600]:
    c = "none" if D <= 30 else ("maybe" if D < 90 else "once")
    add("quorum_leader_voter_down", f"quorum_leader_voter_down__D{D}", f"stop={D}s", c, 75, 35)
# broker_unreachable: clients cut (broker 2) / unresponsive listener (broker 3), broker_unreachable_for 30s
for D in [20, 33, 45, 600]:
    c = "none" if D <= 27 else ("maybe" if D <= 45 else "once")
    add("broker_unreachable", f"broker_unreachable__cutD{D}", f"cut={D}s", f"{c},once", 75, 60)
    add("broker_unreachable", f"broker_unreachable__hangD{D}", f"hang={D}s", f"once,{c}", 75, 60)
# disk_filling: half full after ~2621 s of filling (then a warning), 95 % (critical) after ~14418 s
for D in [1800, 2400, 2580, 2700, 3000, 4200, 7200, 10800, 14400, 15000]:
    c = "none" if D <= 2580 else ("maybe" if D <= 2700 else "once")
    add("long/disk_filling", f"long_disk_filling__D{D}", f"fill={D}s", c, 2800, 240)
# consumer stall/stop long, with a settle long enough for the 4x catch-up (harness check of the D3600 failures)
for f, ev in [("consumer_stall", "stall"), ("consumer_stop", "stop")]:
    for D in [1200, 1800, 2400, 3600]:
        add(f, f"{f}__D{D}_settle40m", f"settle=2400s,{ev}={D}s", "once", 45, 60 + D // 2)
for r in rows:
    print("\t".join(map(str, r)))
