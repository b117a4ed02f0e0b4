#!/usr/bin/env python3
"""Rebuild results.csv with the judge's failure count from each OUT.txt."""
import csv, re, os
rows = []
for line in open("/tmp/h18/results.csv"):
    label, mut, rc, wall, _ = line.strip().split(",")
    d = "base" if mut == "base" else f"out/{mut}"
    p = f"/tmp/h18/{d}/{label}__{mut}.txt"
    n = ""
    if os.path.exists(p):
        t = open(p).read()
        m = re.search(r"closed-world check: (\d+) failed", t)
        n = m.group(1) if m else ("0" if "closed-world check: passed" in t else "?")
    name = label.replace("long_", "long/", 1) if label.startswith("long_") else label
    rows.append((name + ".toml", mut, rc, wall, n))
with open("/work/main/docs/hunts/2026-12-07/hunt18/results.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["file", "mutation", "rc", "wall_s", "failures"]); w.writerows(rows)
print(len(rows), "rows;", sum(1 for r in rows if r[2] != "0"), "failing")
