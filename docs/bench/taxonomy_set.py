#!/usr/bin/env python3
"""Writes a generic anomaly set in NAB's layout, for a second out-of-sample
figure of the detector (docs/detector.md, "A set nobody tuned to"):

    python3 docs/bench/taxonomy_set.py SEED OUT_DIR [NAB_DIR]
    isrwatch bench nab --nab-dir OUT_DIR

Faults follow the taxonomy of Lai et al. 2021 ("Revisiting time series
outlier detection"): point-global (a spike, a dip), point-contextual (a
value inside the range, wrong for its neighbours), shapelet (a stretch
gone flat), seasonal (another cycle for a while), trend (a slow drift),
plus a level shift and a variance burst; on five base signals (a daily
sine, a square wave, noise, a wandering AR(0.995) walk, Poisson counts with
a daily cycle) and one file per base without a fault: 45 files of 4,000
points at 5 minutes, one window of 10 % of the file centred on the fault,
as NAB labels. Seed 20261204 is the development set, 777 the test set;
both were drawn once, before any change they measure. NAB_DIR (default
../shared/nab) gives nabscore.py.
"""
import datetime
import json
import math
import os
import random
import shutil
import sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 20261204)
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
N = 4000
STEP = 300
t0 = datetime.datetime(2026, 1, 1)
PER = 288  # one day at 5 min

def base(kind, rnd):
    amp = rnd.uniform(5, 50); lvl = rnd.uniform(20, 200); sd = amp * rnd.uniform(0.02, 0.2)
    ph = rnd.uniform(0, 2 * math.pi)
    xs = []
    rw = 0.0
    for i in range(N):
        if kind == "sine":
            v = lvl + amp * math.sin(2 * math.pi * i / PER + ph) + rnd.gauss(0, sd)
        elif kind == "square":
            v = lvl + (amp if (i // (PER // 2)) % 2 == 0 else 0) + rnd.gauss(0, sd * 0.3)
        elif kind == "noisy":
            v = lvl + rnd.gauss(0, amp * 0.3)
        elif kind == "walk":
            rw = 0.995 * rw + rnd.gauss(0, sd)
            v = lvl + rw
        elif kind == "counts":
            lam = max(0.5, (lvl / 10) * (1 + 0.5 * math.sin(2 * math.pi * i / PER + ph)))
            # Poisson by inversion (small lam) / normal approx (large)
            v = max(0.0, round(rnd.gauss(lam, math.sqrt(lam))))
        xs.append(v)
    return xs, amp, sd

def inject(xs, kind, amp, sd, at, rnd):
    xs = xs[:]
    n = len(xs)
    spread = (max(xs[:at]) - min(xs[:at])) or 1.0
    if kind == "global_spike":
        xs[at] = max(xs[:at]) + spread * rnd.uniform(0.5, 1.5)
    elif kind == "global_dip":
        xs[at] = min(xs[:at]) - spread * rnd.uniform(0.5, 1.5)
    elif kind == "contextual":  # a value inside the range, wrong for its context
        loc = sum(xs[at - 10:at]) / 10
        mid = (max(xs[:at]) + min(xs[:at])) / 2
        xs[at] = mid + (mid - loc) * 0.9 if abs(mid - loc) > spread * 0.25 else loc + spread * 0.6 * rnd.choice([-1, 1])
    elif kind == "shapelet":  # a stretch with another shape: flat at its level
        L = rnd.randint(50, 150); v = xs[at]
        for i in range(at, min(n, at + L)):
            xs[i] = v + rnd.gauss(0, sd * 0.05)
    elif kind == "seasonal":  # the cycle runs at another frequency for a while
        L = rnd.randint(150, 300); lvl = sum(xs[:at]) / at
        for i in range(at, min(n, at + L)):
            xs[i] = lvl + (xs[i] - lvl) * 0.2 + spread * 0.4 * math.sin(2 * math.pi * (i - at) / (PER / 6))
    elif kind == "trend":  # a slow drift away
        slope = spread * rnd.uniform(0.5, 1.0) / 300
        for i in range(at, n):
            xs[i] += slope * min(i - at, 600)
    elif kind == "shift":
        d = spread * rnd.uniform(0.4, 0.8) * rnd.choice([-1, 1])
        for i in range(at, n):
            xs[i] += d
    elif kind == "variance":
        L = rnd.randint(100, 300); lvl = sum(xs[at - 50:at]) / 50
        for i in range(at, min(n, at + L)):
            xs[i] += rnd.gauss(0, spread * 0.3)
    return xs

bases = ["sine", "square", "noisy", "walk", "counts"]
faults = ["global_spike", "global_dip", "contextual", "shapelet", "seasonal", "trend", "shift", "variance"]
windows = {}
os.makedirs(f"{OUT}/data/taxo", exist_ok=True)
names = []
for b in bases:
    for f in faults + ["none"]:
        xs, amp, sd = base(b, random.Random(random.randrange(1 << 30)))
        at = random.randint(int(N * 0.3), int(N * 0.8))
        if f != "none":
            xs = inject(xs, f, amp, sd, at, random.Random(random.randrange(1 << 30)))
        rel = f"taxo/{b}_{f}.csv"
        names.append(rel)
        with open(f"{OUT}/data/{rel}", "w") as fh:
            fh.write("timestamp,value\n")
            for i, v in enumerate(xs):
                fh.write(f"{(t0 + datetime.timedelta(seconds=STEP * i)).strftime('%Y-%m-%d %H:%M:%S')},{v:.4f}\n")
        w = []
        if f != "none":
            half = int(N * 0.1) // 2
            ts = lambda i: (t0 + datetime.timedelta(seconds=STEP * max(0, min(N - 1, i)))).strftime('%Y-%m-%d %H:%M:%S.000000')
            w = [[ts(at - half), ts(at + half)]]
        windows[rel] = w
os.makedirs(f"{OUT}/labels", exist_ok=True)
with open(f"{OUT}/labels/combined_windows.json", "w") as fh:
    json.dump(windows, fh, indent=1)
with open(f"{OUT}/split-dev.txt", "w") as fh:
    fh.write("\n".join(names) + "\n")
nab = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/nab")
shutil.copy(os.path.join(nab, "nabscore.py"), OUT)
print(len(names), "files in", OUT)
