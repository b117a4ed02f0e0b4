#!/usr/bin/env python3
"""Trims out/*.debug.log.gz over ~200 KB: (1) per-partition finding lines (subject=Partition) are replaced by one
count line per kind and severity; (2) if still too big, only lines within 60 s of a notification, the first 20 minutes
and every half hour are kept. The first line of a trimmed log says what was removed."""
import gzip, os, re, sys, collections
LIMIT = 200_000
for f in sorted(os.listdir("out")):
    if not f.endswith(".debug.log.gz"): continue
    p = "out/" + f
    if os.path.getsize(p) <= LIMIT: continue
    lines = gzip.open(p, "rt").read().splitlines()
    part = collections.Counter()
    kept = []
    for l in lines:
        m = re.search(r'kind="([a-z_]+)" severity=(\w+) subject=Partition', l)
        if m: part[m.groups()] += 1
        else: kept.append(l)
    note = ["TRIMMED by trim.py: removed per-partition finding lines: " + ", ".join(f"{k}/{s} x{n}" for (k, s), n in sorted(part.items()))]
    data = "\n".join(note + kept) + "\n"
    if len(gzip.compress(data.encode())) > LIMIT:
        name = f[:-len(".debug.log.gz")]
        times = [float(x) for x in re.findall(r"\[\s*([0-9.]+)s\]", open(f"out/{name}.txt").read())]
        def keep(l):
            m = re.search(r" at=(\d+)s", l)
            if not m: return True
            t = int(m.group(1))
            return t <= 1200 or t % 1800 == 0 or any(abs(t - x) <= 60 for x in times)
        k2 = [l for l in kept if keep(l)]
        note.append(f"TRIMMED further: kept lines of the first 20 min, every 30 min and within 60 s of a notification ({len(k2)} of {len(kept)})")
        data = "\n".join(note + k2) + "\n"
    open(p, "wb").write(gzip.compress(data.encode()))
    print(f, os.path.getsize(p))
