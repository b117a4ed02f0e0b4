#!/usr/bin/env python3
"""Fault hunt 20: the variant table. Prints label, src, durations, classes,
raise budget (s after the fault), resolve budget (s after the recovery),
the class rule in words.  Soak times = scenario times + 600 s (warm-up)."""
S = "/work/main/tests/scenarios"
rows = []
def add(file, label, durs, cls, rb, sb):
    rows.append((label, f"{S}/{file}.toml", durs, cls, rb, sb))

# broker_down: critical, broker_down_for 0s; catch-up 5s + recovery hold 2m; fault at 630 = a poll
for D in [5,10,14,15,16,30,60,108,120,132,240,264,540,600,660,1200,3600,16200]:
    c = "maybe" if D < 15 else "once"
    add("broker_down", f"broker_down__D{D}", f"down={D}s", c, 20, 5+120+35)
for D in [5,10,20,30,60,108,132,300,540,660,3600]:
    c = "maybe" if D < 15 else "once"
    add("controlled_shutdown", f"controlled_shutdown__D{D}", f"stop={D}s", c, 20, 15+120+35)
# slow_follower: leaves ISR 30s after (replica_lag_time_max), warning pending 30s (for_warning)
for D in [10,20,27,33,45,54,60,66,75,90,120,240,600,3600]:
    c = "none" if D <= 54 else ("maybe" if D < 75 else "once")
    add("slow_follower", f"slow_follower__D{D}", f"slow={D}s", c, 95, 45)
# network_partition brokers: ISR shrink after 30s, under_min_isr critical 0s
for D in [10,20,27,33,40,45,60,90,120,300,600,3600]:
    c = "none" if D < 30 else ("maybe" if D <= 40 else "once")
    add("network_partition", f"network_partition__D{D}", f"cut={D}s", c, 55, 45)
# consumer_stall / stop: learnt commit cadence 5s x stall_commit_intervals 2; stall/stop_after 5m (learning only)
for f in ["consumer_stall", "consumer_stop"]:
    ev = "stall" if f == "consumer_stall" else "stop"
    for D in [5,10,15,20,25,30,45,60,120,270,330,600,660,3600]:
        c = "none" if D <= 10 else ("maybe" if D <= 30 else "once")
        add(f, f"{f}__D{D}", f"{ev}={D}s", c, 45, 60 + D // 3)
# consumer_slowdown factor 0.15 (ERR after ~135 s at baseline)
for D in [30,60,90,120,135,150,180,240,300,540,600,660,1200,3600]:
    c = "maybe" if D <= 135 else "once"
    add("consumer_slowdown", f"consumer_slowdown__D{D}", f"slow={D}s", c, 150, 60 + D // 6)
# log_dir_failure: critical at the first poll (630)
for D in [5,8,10,15,20,30,60,120,300,600,660,3600]:
    c = "none" if D < 10 else ("maybe" if D == 10 else "once")
    add("log_dir_failure", f"log_dir_failure__D{D}", f"disk={D}s", c, 20, 45)
# two_brokers_down: b3 lasts D, b2 D+10 (both end together)
for D in [5,10,15,30,60,120,600,3600]:
    c = "once,maybe,maybe" if D < 10 else "once"
    add("two_brokers_down", f"two_brokers_down__D{D}", f"b2={D+10}s,b3={D}s", c, 20, 15+120+35)
# producers_stop: anomaly detector (baseline raise 45 s after the stop)
for D in [15,30,45,60,90,120,240,300,450,600,900,1800,2700,3600]:
    c = "maybe" if D <= 60 else "once"
    add("producers_stop", f"producers_stop__D{D}", f"stop={D}s", c, 75, 120)
# reassignment: duration set through the copy rate (~790k messages to copy; baseline 1500/s ~ 530 s); for_info 5m
for D, r in [(150,5277),(270,2936),(330,2404),(600,1327),(1620,498),(1980,409),(3600,229)]:
    c = "none" if D < 300 else ("maybe" if D <= 330 else "once")
    add("reassignment", f"reassignment__D{D}", f"move=rate:{r}.0,settle={D+720}s", c, 330, 0)
# quorum_voter_lag: quorum_lag_for 30s; sweep the voter_lag, then the voter_down
for D in [10,20,27,33,40,45,54,60,66,90,120,600,3600]:
    c = "none" if D <= 27 else ("maybe" if D < 60 else "once")
    add("quorum_voter_lag", f"quorum_voter_lag__lagD{D}", f"lag={D}s", f"{c},once", 75, 35)
for D in [10,20,30,45,60,66,90,120,600,3600]:
    c = "none" if D <= 30 else ("maybe" if D < 90 else "once")
    add("quorum_voter_lag", f"quorum_voter_lag__downD{D}", f"stop={D}s", f"once,{c}", 75, 35)
# leader_imbalance: leader_imbalance_for 10m, auto rebalance off
for D in [60,300,540,600,615,630,660,720,1200,3600,16200]:
    c = "none" if D <= 540 else ("maybe" if D <= 630 else "once")
    add("leader_imbalance", f"leader_imbalance__D{D}", f"skew={D}s", c, 640, 60)
# clients_cut_from_broker: broker_unreachable_for 30s
for D in [10,20,27,33,45,60,120,600,3600]:
    c = "none" if D <= 27 else ("maybe" if D <= 45 else "once")
    add("clients_cut_from_broker", f"clients_cut_from_broker__D{D}", f"cut={D}s", c, 75, 60)
for r in rows:
    print("\t".join(map(str, r)))
