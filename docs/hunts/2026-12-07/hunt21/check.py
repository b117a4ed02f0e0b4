#!/usr/bin/env python3
"""Fault hunt 21: flags beyond the judge, in soak seconds (scenario + 600).
 back-while-down      : "Broker N is back" resolved while N is down (between broker_down/controlled_shutdown and broker_up)
 back-while-catching  : "Broker N is back" resolved before N's broker_up + broker_catch_up (it is still out of every ISR)
 logdir-back-early    : a failed-log-dir incident of N resolved before its log_dir_recover + catch-up
 innocent-broker      : a "Replication trouble on broker N" incident where N had no fault event at all
usage: check.py INDEX.tsv..."""
import re, sys, tomllib
from collections import defaultdict
W = 600.0
def secs(s):
    return sum(float(n) * {"ms": .001, "s": 1, "m": 60, "h": 3600}[u] for n, u in re.findall(r"([\d.]+)(ms|s|m|h)", s))
for idx in sys.argv[1:]:
    for line in open(idx):
        label, path = line.split()
        try: txt = open(f"/tmp/h21/out/{label}.txt").read()
        except FileNotFoundError: continue
        t = tomllib.load(open(path, "rb"))
        cu = secs(t["cluster"].get("broker_catch_up", "5s"))
        downs, ups, faulted = defaultdict(list), defaultdict(list), set()
        for e in t.get("events", []):
            at = secs(e["at"]) + W; a = e["action"]; b = e.get("broker")
            if b: faulted.add(b)
            if a in ("broker_down", "controlled_shutdown"):
                downs[b].append(at)
                if "duration" in e: ups[b].append(at + secs(e["duration"]))
            if a == "broker_up": ups[b].append(at)
            if a == "reassign": faulted.update(e["replicas"])
        flags = []
        for m in re.finditer(r"\[\s*([\d.]+)s\] (\w+)\s+(.*)", txt):
            T, kind, title = float(m.group(1)), m.group(2), m.group(3)
            mb = re.match(r"Broker (\d+) is back on", title)
            if kind == "resolved" and mb:
                b = int(mb.group(1))
                for d in downs[b]:
                    u = min([x for x in ups[b] if x >= d] or [1e9])
                    if d <= T < u: flags.append(f"back-while-down:b{b}@{T:.0f}(down {d:.0f}-{u:.0f})")
                    elif u <= T < u + cu: flags.append(f"back-while-catching:b{b}@{T:.0f}(up {u:.0f}, caught up {u+cu:.0f})")
            mr = re.match(r"Replication trouble on broker (\d+)", title)
            if kind == "firing" and mr and int(mr.group(1)) not in faulted:
                flags.append(f"innocent-broker:b{mr.group(1)}@{T:.0f}")
        if flags: print(label, " ".join(flags))
