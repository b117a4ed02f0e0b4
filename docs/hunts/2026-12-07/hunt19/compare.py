#!/usr/bin/env python3
"""Compare notifications of each mutated run with its baseline (/tmp/s/cw-w4/NAME.out),
digits normalised; a firing time shift counts above 60 s."""
import re, sys, glob, os
def notes(path):
    out = []
    for line in open(path, errors="replace"):
        m = re.match(r"\s*\[\s*([\d.]+)s\]\s+(\w+)\s+(.*)$", line)
        if m:
            out.append((float(m.group(1)), m.group(2), m.group(3)))
    return out
norm = lambda s: re.sub(r"\d+", "N", s)
done = {"__".join(l.split(",")[:2]) for l in open("/tmp/h19/results.csv")}
for f in sorted(glob.glob("/tmp/h19/out/*.txt")):
    b = os.path.basename(f)[:-4]
    if b not in done: continue
    label, m = b.rsplit("__", 1)
    if sys.argv[1:] and m not in sys.argv[1:]: continue
    base = label[5:] if label.startswith("long_") else label
    bp = f"/tmp/s/cw-w4/{base}.out"
    if not os.path.exists(bp): print("no baseline", b); continue
    bk, xk = {}, {}
    for t, k, s in notes(bp): bk.setdefault((k, norm(s)), []).append(t)
    for t, k, s in notes(f): xk.setdefault((k, norm(s)), []).append(t)
    diffs = []
    for key in sorted(set(bk) | set(xk)):
        tb, tx = bk.get(key, []), xk.get(key, [])
        if len(tb) != len(tx):
            diffs.append(f"    count {key[0]} {key[1][:100]}: base {tb} mut {tx}")
        else:
            sh = [round(a - c) for a, c in zip(tx, tb) if abs(a - c) > 60]
            if sh:
                diffs.append(f"    shift {key[0]} {key[1][:100]}: base {tb} mut {tx}")
    if diffs:
        print(f"{m} {label}"); print("\n".join(diffs))
