#!/usr/bin/env python3
"""Fault hunt 21: the variant table (markdown) with expectation, outcome and verdict.
Reads variants.tsv, results_raw.csv, out/*.txt and the flags of check.py (flags.txt)."""
import re, subprocess
flags = {}
for l in open("/tmp/h21/flags.txt"):
    lab, *f = l.split(); flags[lab] = " ".join(f)
rc = {l.split(",")[0]: l.split(",")[1] for l in open("/tmp/h21/results_raw.csv")}
def verdict(lab, r, fl, jf):
    if lab.startswith("P3_") and "innocent" in fl: return "WRONG W1" + (" (judge passes)" if r == "0" else "")
    if lab.startswith("R1_") and ("innocent" in fl or r == "1"): return "WRONG W1 (other broker ids)" + (" (judge passes)" if r == "0" else "")
    if lab.startswith("T4_P3") and "innocent" in fl: return "WRONG W1 (seed 2)" + (" (judge passes)" if r == "0" else "")
    if "back-while-catching" in fl or (lab.startswith(("T1_", "T2_", "T3_", "T4_T")) and r == "1"):
        return "WRONG W2" + (" (judge passes)" if r == "0" else "")
    if r == "1" and ("reassign_XL" in lab): return "EXPECTATION E1 (settle too short for the copy)"
    if r == "1" and lab.startswith("P7_"): return "EXPECTATION E2 (no lag to report: topic idle)"
    if r == "1" and lab.startswith("P9_") and "_S_" in lab: return "EXPECTATION E3 (catch-up after an unseen restart)"
    if r == "1" and lab.startswith("P3_"): return "WRONG W1"
    return "ok" if r == "0" else "?"
print("| label | pair | B start (A+k s) | B dur s | catch-up s | expected (closed world) | rc | notifications (soak s) | flags | verdict |")
print("|---|---|---|---|---|---|---|---|---|---|")
for l in open("/tmp/h21/variants.tsv"):
    lab, pair, k, db, cu, exp = l.rstrip("\n").split("\t")
    r = rc.get(lab, "not run")
    try: txt = open(f"/tmp/h21/out/{lab}.txt").read()
    except FileNotFoundError: txt = ""
    notes = []
    for m in re.finditer(r"\[\s*([\d.]+)s\] (\w+)\s+(.*)", txt):
        t = m.group(3).replace(" on soak", "").replace(" of soak", "")
        t = re.sub(r"partitions ", "p ", t).replace("under-replicated", "UR").replace("under min ISR", "UMI")
        notes.append(f"{float(m.group(1)):.0f} {m.group(2)} {t}")
    jf = [x.strip() for x in txt.splitlines() if x.startswith("  ") and ("line " in x or "unexpected" in x or "never resolved" in x)]
    fl = flags.get(lab, "")
    print(f"| {lab} | {pair} | {k} | {db} | {cu} | {exp} | {r} | {'; '.join(notes).replace('|','/')} | {fl} | {verdict(lab, r, fl, jf)} |")
