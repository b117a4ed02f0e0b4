#!/usr/bin/env python3
"""Fault hunt 20: results.csv -> variants_table.md (one row per run: the swept
durations, the class written before the run, the notifications at soak
seconds, the judge's verdict, and the verdict of the hunt)."""
import csv, re
verdict = {}
for l in open("/tmp/h20/verdicts.tsv"):
    if l.strip() and not l.startswith("#"):
        k, v = l.rstrip("\n").split("\t", 1); verdict[k] = v
rows = list(csv.DictReader(open("/tmp/h20/results.csv")))
out = ["| run | swept | class | notifications (soak s) | judge | verdict |", "|---|---|---|---|---|---|"]
for r in rows:
    lab = r["label"]
    notes = []
    for line in open(f"/tmp/h20/out/{lab}.txt", errors="replace"):
        m = re.match(r"\s*\[\s*([\d.]+)s\]\s+(\w+)\s+(.*)$", line)
        if m:
            notes.append(f"{m.group(2)} {float(m.group(1)):.0f}")
    j = "pass" if r["rc"] == "0" else f"FAIL({r['judge_failures']})"
    v = next((verdict[k] for k in verdict if re.fullmatch(k, lab)), "ok" if r["rc"] == "0" else "?")
    out.append(f"| {lab} | {r['durations']} | {r['class']} | {', '.join(notes) or '—'} | {j} | {v} |")
open("/tmp/h20/variants_table.md", "w").write("\n".join(out) + "\n")
print(len(rows))
