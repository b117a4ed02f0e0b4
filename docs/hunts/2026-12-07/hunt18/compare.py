#!/usr/bin/env python3
"""Compare notifications of each mutated run with its baseline (digits normalised)."""
import re, sys, glob, os
def notes(path):
    out = []
    for line in open(path):
        m = re.match(r"\s*\[\s*([\d.]+)s\]\s+(\w+)\s+(.*)$", line)
        if m:
            out.append((float(m.group(1)), m.group(2), m.group(3)))
    return out
norm = lambda s: re.sub(r"\d+", "N", s)
muts = sys.argv[1:] or sorted(os.listdir("out"))
for m in muts:
    for f in sorted(glob.glob(f"out/{m}/*__{m}.txt")):
        l = os.path.basename(f)[: -len(f"__{m}.txt")]
        b = notes(f"base/{l}__base.txt")
        x = notes(f)
        bk = {}
        for t, k, s in b: bk.setdefault((k, norm(s)), []).append(t)
        xk = {}
        for t, k, s in x: xk.setdefault((k, norm(s)), []).append(t)
        diffs = []
        for key in sorted(set(bk) | set(xk)):
            tb, tx = bk.get(key, []), xk.get(key, [])
            if len(tb) != len(tx):
                diffs.append(f"    count {key[0]} {key[1][:90]}: base {tb} mut {tx}")
            else:
                sh = [round(a - c) for a, c in zip(tx, tb) if abs(a - c) > 60]
                if sh and key[0] == "firing":
                    diffs.append(f"    shift {key[0]} {key[1][:90]}: base {tb} mut {tx}")
        if diffs:
            print(f"{m} {l}"); print("\n".join(diffs))
