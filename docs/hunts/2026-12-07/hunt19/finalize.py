#!/usr/bin/env python3
"""Write results.csv (file,mutation,rc,wall_s,failures) from /tmp/h19/results.csv and each OUT.txt,
plus the n/a list; copy failing runs' mutated TOML and OUT.txt into failing/."""
import csv, re, os, shutil
D = "/work/main/docs/hunts/2026-12-07/hunt19"
rows = []
os.makedirs(f"{D}/failing", exist_ok=True)
for line in open("/tmp/h19/results.csv"):
    label, mut, rc, wall = line.strip().split(",")
    p = f"/tmp/h19/out/{label}__{mut}.txt"
    t = open(p, errors="replace").read() if os.path.exists(p) else ""
    m = re.search(r"closed-world check: (\d+) failed", t)
    n = m.group(1) if m else ("0" if "closed-world check: passed" in t else "?")
    name = ("long/" + label[5:] if label.startswith("long_") else label) + ".toml"
    rows.append((name, mut, rc, wall, n))
    if rc != "0":
        shutil.copy(f"/tmp/h19/mut/{label}__{mut}.toml", f"{D}/failing/")
        shutil.copy(p, f"{D}/failing/")
with open(f"{D}/results.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["file", "mutation", "rc", "wall_s", "failures"]); w.writerows(rows)
shutil.copy("/tmp/h19/na.txt", f"{D}/not_applicable.txt")
print(len(rows), "rows;", sum(1 for r in rows if r[2] != "0"), "failing")
