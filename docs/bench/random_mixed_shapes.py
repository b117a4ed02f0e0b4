#!/usr/bin/env python3
"""Twelve more cluster shapes for `isrwatch soak`, drawn once (seed 5151)
before any run (docs/benchmarks.md, fifth session of 2026-12-04): KRaft
or not, 3-9 brokers, seasonality, long loads (20 min - 3 h) at 1.5-4x,
consumers with 1.2-4x headroom over the *base* rate (so at a strong
seasonal peak some really fall behind), commits every 1-60 s, an almost
idle topic:

    python3 docs/bench/random_mixed_shapes.py OUT_DIR
    for f in OUT_DIR/f*.toml; do isrwatch soak --scenario $f --duration 48h; done
"""
import os, random, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
r = random.Random(5151)
for i in range(12):
    kraft = r.choice(["true", "false"])
    brokers = r.choice([3, 5, 9])
    seas = r.choice([0.0, 0.3, 0.8])
    noise = r.choice([0.05, 0.1, 0.3])
    rate = r.choice([2.0, 50.0, 1000.0])
    every = r.choice(["2h", "6h", "24h"])
    length = r.choice(["20m", "1h", "3h"])
    factor = r.choice([1.5, 2.0, 4.0])
    head = r.choice([1.2, 2.0, 4.0])
    commit = r.choice(["1s", "5s", "60s"])
    members = r.choice([1, 3, 6])
    with open(os.path.join(out, f"f{i:02d}.toml"), "w") as f:
        f.write(f'''# kraft={kraft} brokers={brokers} seasonality={seas} noise={noise} rate={rate} every={every} length={length} factor={factor} headroom={head} commit={commit} members={members}
[cluster]
brokers = {brokers}
kraft = {kraft}
seed = {500 + i}
start_hour = {r.choice([0.0, 9.0, 17.0, 22.0])}
auto_leader_rebalance = {r.choice(["true", "false"])}
[[cluster.topics]]
name = "web"
partitions = {r.choice([6, 12, 24])}
rate = {rate}
seasonality = {seas}
noise = {noise}
[[cluster.topics]]
name = "etl"
count = 2
partitions = 6
rate = {rate / 4}
seasonality = {seas}
noise = {noise}
burst_every = "{every}"
burst_length = "{length}"
burst_factor = {factor}
[[cluster.topics]]
name = "audit"
partitions = 3
rate = 0.05
[[cluster.groups]]
name = "web-consumers"
topics = ["web"]
members = {members}
commit_interval = "{commit}"
headroom = {r.choice([1.5, 3.0])}
[[cluster.groups]]
name = "etl-loader"
topics = ["etl-0", "etl-1"]
members = {members}
commit_interval = "{commit}"
headroom = {head}
[[cluster.groups]]
name = "auditor"
topics = ["audit"]
commit_interval = "60s"
''')
