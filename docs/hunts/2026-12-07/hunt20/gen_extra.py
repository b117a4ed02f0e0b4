#!/usr/bin/env python3
"""Fault hunt 20: the variants made outside gen.py/gen2.py (run in this order
during the hunt; collected here so they can be regenerated).
Writes mutN/<label>.toml + mutN/index.tsv and appends to variants.tsv."""
import sys, tomllib, os
sys.path.insert(0, "/tmp/h20")
from mutate import mutate
S = "/work/main/tests/scenarios"   # NB: broker_flapping.toml was read at 15:55, before its uncommitted edit (settle = "17m")

def w(d, lab, t, srcname, durs, cls, rb, sb):
    tomllib.loads(t)
    os.makedirs(f"/tmp/h20/{d}", exist_ok=True)
    open(f"/tmp/h20/{d}/{lab}.toml", "w").write(t)
    open(f"/tmp/h20/{d}/index.tsv", "a").write(f"{lab}\t/tmp/h20/{d}/{lab}.toml\n")
    open("/tmp/h20/variants.tsv", "a").write(f"{lab}\t{srcname}\t{durs}\t{cls}\t{rb}\t{sb}\n")

def flapping(src):
    # three 20 s outages of broker 2 at 30 s, 50+G s, 70+2G s (G = the up time between them)
    for G in [10, 25, 40, 60, 80, 100, 120, 130, 135, 140, 145, 150, 160, 240, 600]:
        t = src.replace('at = "90s"', '@@2').replace('at = "150s"', '@@3')
        t = t.replace('@@2', f'at = "{50+G}s"').replace('@@3', f'at = "{70+2*G}s"')
        w("mut2", f"broker_flapping__gap{G}", t, f"{S}/broker_flapping.toml", "flap1=20s", "once", 20, 170)
        # (the hunt's first gap100 file replaced both "150s" lines: invalid, rerun as gap100b)

def unclean_fixexp():
    for D in [330, 600, 3600]:
        t = mutate(open(f"{S}/unclean_election.toml").read(), {"crash": f"{D}s"}, ["once"])
        t = t.replace('[[expect]]\nrecovery = "rec_crash"\nkind = "unclean_election"', '[[expect]]\nkind = "unclean_election"')
        w("mut3", f"unclean_election__D{D}_fixexp", t, f"{S}/unclean_election.toml", f"crash={D}s", "once", 30, 160)

def two_brokers_and_offphase():
    src = open(f"{S}/two_brokers_down.toml").read()
    for D in [10, 20, 60, 110, 120, 130, 240]:
        w("mut3", f"two_brokers_down__b2fixed300_b3D{D}", mutate(src, {"b2": "300s", "b3": f"{D}s"}, ["once"]), f"{S}/two_brokers_down.toml", f"b2=300s,b3={D}s", "once", 20, 170)
    src = open(f"{S}/broker_down.toml").read().replace('at = "30s"', 'at = "37s"')
    for D in [5, 8, 9, 10, 20]:
        cls = "none" if D <= 8 else "once"
        w("mut3", f"broker_down__at37_D{D}", mutate(src, {"down": f"{D}s"}, [cls]), f"{S}/broker_down.toml", f"down={D}s", cls, 20, 160)

def rebalance():
    src = open(f"{S}/consumer_stall.toml").read().replace('action = "consumer_stall"', 'action = "consumer_rebalance"')
    for D in [10, 30, 60, 90, 120, 300, 600, 3600]:
        cls = "none" if D <= 10 else ("maybe" if D <= 60 else "once")
        w("mut4", f"consumer_rebalance_on_stall__D{D}", mutate(src, {"stall": f"{D}s"}, [cls]), f"{S}/consumer_stall.toml (action consumer_rebalance)", f"stall={D}s", cls, 45, 60 + D // 3)

def recovery_overlap():
    src = open(f"{S}/fault_during_recovery.toml").read()
    for D in [10, 30, 55, 60, 65, 70, 120, 300]:
        w("mut6", f"fault_during_recovery__b2D{D}", mutate(src, {"b2": f"{D}s"}, ["once"]), f"{S}/fault_during_recovery.toml", f"b2={D}s", "once", 20, 170)
    for D in [2, 5, 10, 12, 15, 20, 30, 120, 600]:
        cls = "once,maybe" if D <= 5 else "once"   # D10 was classed "once" (its outage also falls between polls: see README)
        w("mut6", f"fault_during_recovery__b3D{D}", mutate(src, {"b3": f"{D}s"}, cls.split(",")), f"{S}/fault_during_recovery.toml", f"b3={D}s", cls, 20, 170)
    src = open(f"{S}/slow_follower_then_down.toml").read()
    for D in [10, 30, 60, 90, 120, 300, 600]:
        w("mut6", f"slow_follower_then_down__downD{D}", mutate(src, {"down": f"{D}s"}, ["once"]), f"{S}/slow_follower_then_down.toml", f"down={D}s", "once", 20, 170)
    src = open(f"{S}/rolling_restart.toml").read()
    for b1, b2 in [(55, 5), (60, 3), (60, 5), (60, 8), (60, 15), (30, 5)]:
        cls = "once,maybe,once" if b2 < 10 else "once"
        w("mut8", f"rolling_restart__b1D{b1}_b2D{b2}", mutate(src, {"b1": f"{b1}s", "b2": f"{b2}s"}, cls.split(",")), f"{S}/rolling_restart.toml", f"b1={b1}s,b2={b2}s", cls, 20, 170)
    for D in [5, 10, 20, 45, 55]:
        cls = "once" if D >= 10 else "maybe"
        w("mut8", f"rolling_restart__allD{D}", mutate(src, {"b1": f"{D}s", "b2": f"{D}s", "b3": f"{D}s"}, [cls]), f"{S}/rolling_restart.toml", f"b1={D}s,b2={D}s,b3={D}s", cls, 20, 170)

# seed reruns: the same file with `seed = 77` in [cluster] (sed 's/^seed = 1$/seed = 77/'):
#   broker_flapping__gap{25,40,120,135,145}_seed77, fault_during_recovery__b3D{5,10}_seed77,
#   rolling_restart__b1D60_b2D5_seed77
# W1 scope probe (mut10/fault_during_recovery__b3slow_probe.toml): fault_during_recovery.toml with broker 3's
# outage replaced by `slow_follower` at 65 s, delay 90 s, duration 120 s, and its expectation by under_replicated broker 3.
