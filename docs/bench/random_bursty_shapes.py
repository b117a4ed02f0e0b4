#!/usr/bin/env python3
"""Writes the twelve random healthy cluster shapes with batch topics of
docs/benchmarks.md ("Untuned bursty clusters"), for `isrwatch soak`:

    python3 docs/bench/random_bursty_shapes.py OUT_DIR
    for f in OUT_DIR/h*.toml; do isrwatch soak --scenario $f --duration 48h; done

Nothing is tuned to them: the draw (seed 4242) was made once, before the
changes it measured.
"""
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
r = random.Random(4242)
for i in range(12):
    seed = 100 + i
    every = r.choice(["15m", "45m", "3h", "12h", "24h"])
    factor = r.choice([3.0, 5.0, 8.0])
    length = r.choice(["30s", "2m", "10m"])
    noise = r.choice([0.05, 0.1, 0.3])
    rate = r.choice([5.0, 30.0, 200.0])
    with open(os.path.join(out, f"h{i:02d}.toml"), "w") as f:
        f.write(f'''# every={every} factor={factor} length={length} noise={noise} rate={rate}
[cluster]
brokers = 3
seed = {seed}
start_hour = {r.choice([0.0, 6.0, 12.0, 18.0])}
[[cluster.topics]]
name = "steady"
partitions = 6
rate = {rate*3}
noise = {noise}
[[cluster.topics]]
name = "job"
count = 3
partitions = 3
rate = {rate}
noise = {noise}
burst_every = "{every}"
burst_length = "{length}"
burst_factor = {factor}
[[cluster.groups]]
name = "app"
topics = ["steady"]
[[cluster.groups]]
name = "jobrunner"
topics = ["job-0", "job-1"]
headroom = {r.choice([1.5, 3.0, 10.0])}
''')
