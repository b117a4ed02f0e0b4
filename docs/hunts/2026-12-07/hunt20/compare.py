#!/usr/bin/env python3
"""Fault hunt 20: check each finished run against its variant's expectation.
Beyond the judge (which checks kinds, counts, unexplained, unresolved and
resolve-before-named-recovery but NOT the raised_within/resolved_within
deadlines), this checks, in soak seconds (scenario time + 600):
  - nothing notified before the first swept fault starts
  - class none: nothing notified at all
  - class once: first raise <= fault start + raise budget; last resolve <=
    recovery + resolve budget (recovery = the swept event's end)
  - any 'flapping' notification (one fault must not flap)
  - more than one 'firing' line
Writes /tmp/h20/results.csv and prints the flagged runs."""
import re, csv, sys
sys.path.insert(0, "/tmp/h20")
from mutate import secs
W = 600.0
rows = {l.split("\t")[0]: l.rstrip("\n").split("\t") for l in open("/tmp/h20/variants.tsv")}
raw = [l.strip().split(",") for l in open("/tmp/h20/results_raw.csv")]
def notes(path):
    out = []
    for line in open(path, errors="replace"):
        m = re.match(r"\s*\[\s*([\d.]+)s\]\s+(\w+)\s+(.*)$", line)
        if m: out.append((float(m.group(1)), m.group(2), m.group(3)))
    return out
def toml_events(path):
    import tomllib
    t = tomllib.load(open(path, "rb"))
    return {e.get("id"): e for e in t.get("events", [])}
res = []
for label, rc, wall in raw:
    if rc == "SKIP": continue
    _, src, durs, cls, rb, sb = rows[label]
    import os
    mp = f"/tmp/h20/mut/{label}.toml"
    if not os.path.exists(mp): mp = f"/tmp/h20/mut2/{label}.toml"
    if not os.path.exists(mp): mp = f"/tmp/h20/mut3/{label}.toml"
    if not os.path.exists(mp): mp = f"/tmp/h20/mut4/{label}.toml"
    for d in ("mut6", "mut7", "mut8", "mut9", "mut10"):
        if not os.path.exists(mp): mp = f"/tmp/h20/{d}/{label}.toml"
    evs = toml_events(mp)
    durs = dict(x.split("=", 1) for x in durs.split(","))
    swept = [k for k, v in durs.items() if k != "settle" and not v.startswith("rate:")]
    starts = [secs(evs[k]["at"]) + W for k in durs if k in evs]
    ends = [secs(evs[k]["at"]) + W + secs(durs[k]) for k in swept]
    t0 = min(starts); tend = max(ends) if ends else None
    n = notes(f"/tmp/h20/out/{label}.txt")
    jf = [l.strip() for l in open(f"/tmp/h20/out/{label}.txt") if l.startswith("  ") and ("line " in l or "unexpected" in l or "never resolved" in l or "still firing" in l)]
    flags = []
    faults = [k for k in evs if k and not str(k).startswith("rec_") and evs[k]["action"] not in ("broker_up","recover_follower","heal_partition","consumer_recover","log_dir_recover","voter_recover","traffic_normal","leader_rebalance","disk_free")]
    multi = len([e for e in evs.values() if e["action"] not in ("broker_up","recover_follower","heal_partition","consumer_recover","log_dir_recover","voter_recover","traffic_normal","leader_rebalance","disk_free")]) > 1
    if any(t < t0 for t, _, _ in n) and not multi: flags.append("before-fault")
    c0 = cls.split(",")
    fire = [t for t, k, _ in n if k in ("firing", "flapping", "escalated")]
    if all(c == "none" for c in c0) and n: flags.append("none-but-notified")
    if multi: pass
    elif "once" in c0 and "once" == c0[0] and len(c0) == 1 or (len(c0) > 1 and all(c == "once" for c in c0)):
        if not fire: flags.append("once-not-raised")
        elif min(fire) - t0 > float(rb): flags.append(f"late-raise:{min(fire)-t0:.0f}")
        res_t = [t for t, k, _ in n if k == "resolved"]
        if tend is not None and res_t and max(res_t) - tend > float(sb): flags.append(f"late-resolve:{max(res_t)-tend:.0f}")
    if any(k == "flapping" for _, k, _ in n): flags.append("flapping")
    nf = sum(1 for _, k, _ in n if k == "firing")
    if nf > 1 and not multi: flags.append(f"firing×{nf}")
    first = f"{min(fire)-t0:.0f}" if fire else ""
    lastres = [t for t, k, _ in n if k == "resolved"]
    lr = f"{max(lastres)-tend:.0f}" if (lastres and tend is not None) else ""
    res.append([label, durs and ";".join(f"{k}={v}" for k, v in durs.items()), cls, rc, wall, len(jf), first, lr, nf, " ".join(flags)])
with open("/tmp/h20/results.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["label", "durations", "class", "rc", "wall_s", "judge_failures", "raise_after_fault_s", "last_resolve_after_recovery_s", "firing_lines", "flags"])
    w.writerows(res)
for r in res:
    if r[3] != "0" or r[9]:
        print(" | ".join(map(str, r)))
print(f"{len(res)} runs, {sum(1 for r in res if r[3]=='1')} judge failures, {sum(1 for r in res if r[9])} flagged")
