#!/usr/bin/env python3
"""Writes the large-cluster part of hunt 16's scenario files: a varied, untuned cluster.
cluster(seed, ...) returns [cluster], topics and groups; each file adds its header and events."""
import random

def cluster(seed, brokers=8, first=1, kraft=True, start_hour=12.0, scale=1.0, extra="", tight=False, rf_mix=False):
    r = random.Random(seed)
    out = [f"[cluster]\nbrokers = {brokers}\nfirst_broker_id = {first}\nseed = {seed}\n"
           f"min_insync_replicas = 2\nkraft = {'true' if kraft else 'false'}\nstart_hour = {start_hour}\n"
           f"cluster_id = \"prod-{seed}\"\n{extra}"]
    topics = []  # (name, partitions, rate, seasonality, kind)
    def t(name, count, parts, rate, seas, noise, kind, **kw):
        s = f"\n[[cluster.topics]]\nname = \"{name}\"\ncount = {count}\npartitions = {parts}\nrate = {rate}\nseasonality = {seas}\nnoise = {noise}\n"
        for k, v in kw.items():
            s += f"{k} = {v!r}\n".replace("'", '"')
        out.append(s)
        for i in range(count):
            topics.append((f"{name}-{i}", parts, rate, seas, kind))
    n = lambda x: max(1, int(round(x * scale)))
    # streaming topics with a daily cycle
    t("orders", n(r.randint(15, 25)), r.choice([12, 24, 32]), round(r.uniform(80, 300), 1), round(r.uniform(0.4, 0.7), 2), round(r.uniform(0.2, 0.4), 2), "stream")
    t("clicks", n(r.randint(6, 12)), 48, round(r.uniform(800, 2000), 1), round(r.uniform(0.6, 0.85), 2), round(r.uniform(0.3, 0.5), 2), "stream")
    t("logs", n(r.randint(3, 6)), 64, round(r.uniform(2000, 4000), 1), 0.5, 0.2, "stream")
    # change-data-capture: many small topics, low rate, noisy
    if rf_mix:
        t("cdc", n(r.randint(40, 80)), 6, round(r.uniform(1, 8), 2), 0.3, round(r.uniform(0.5, 0.9), 2), "cdc", replication_factor=2, min_insync_replicas=1)
        t("scratch", n(r.randint(5, 10)), 8, round(r.uniform(5, 20), 1), 0.4, 0.5, "stream", replication_factor=1, min_insync_replicas=1)
    else:
        t("cdc", n(r.randint(40, 80)), 6, round(r.uniform(1, 8), 2), 0.3, round(r.uniform(0.5, 0.9), 2), "cdc")
    # batch-loaded topics: a load of several minutes about once an hour
    t("batch", n(r.randint(10, 18)), 12, round(r.uniform(10, 40), 1), 0.2, 0.5, "batch",
      burst_every="1h", burst_length=r.choice(["3m", "5m", "8m"]), burst_factor=round(r.uniform(4, 6), 1))
    # bursty topics: short spikes several times an hour
    t("events", n(r.randint(8, 15)), 16, round(r.uniform(40, 120), 1), 0.5, 0.6, "bursty",
      burst_every="15m", burst_length="30s", burst_factor=round(r.uniform(3, 8), 1))
    # idle and rare topics
    t("idle", n(r.randint(20, 40)), 3, 0.0, 0.0, 0.0, "idle")
    t("rare", n(r.randint(15, 25)), 4, 0.02, 0.0, 1.0, "rare")
    by = lambda k: [x for x in topics if x[4] == k]
    m = (lambda: r.uniform(0.25, 0.6)) if tight else (lambda: r.uniform(0.8, 2.0))
    groups = []
    def g(name, tl, commit, headroom, **kw):
        s = f"\n[[cluster.groups]]\nname = \"{name}\"\ntopics = {[x[0] for x in tl]!r}\ncommit_interval = \"{commit}\"\nheadroom = {headroom}\n".replace("'", '"')
        for k, v in kw.items():
            s += f"{k} = {v!r}\n".replace("'", '"')
        out.append(s); groups.append(name)
    # streaming consumers, 1-s commits (Streams apps), 5-s (default clients), 1-min committers
    for i, tp in enumerate(r.sample(by("stream"), min(14, len(by("stream"))))):
        g(f"stream-app-{i}", [tp], "1s", round(1 + tp[3] + m(), 2), members=r.randint(2, 12), initial_lag=r.choice([10, 100, 5000]))
    for i, tp in enumerate(r.sample(by("stream"), min(12, len(by("stream"))))):
        g(f"svc-{i}", [tp], "5s", round(1 + tp[3] + m(), 2), members=r.randint(1, 6))
    for i in range(8):
        tl = r.sample(by("stream") + by("cdc"), 2)
        g(f"sink-{i}", tl, "60s", round(1 + max(x[3] for x in tl) + r.uniform(1.0, 2.0), 1), members=r.randint(1, 4))
    if tight:
        for i in range(4):
            tl = r.sample(by("stream") + by("cdc"), 2)
            g(f"checkpoint-{i}", tl, r.choice(["2m", "5m"]), round(1 + max(x[3] for x in tl) + m(), 2), members=r.randint(1, 4))
    for i in range(4):
        tl = r.sample(by("cdc"), r.randint(3, 8))
        g(f"cdc-sink-{i}", tl, r.choice(["10s", "30s"]), 3.0, members=2)
    for i in range(6):
        tl = r.sample(by("batch"), r.randint(1, 3))
        g(f"loader-{i}", tl, "10s", round(r.uniform(2.5, 3.5), 1), members=r.randint(2, 8))
    for i in range(4):
        g(f"alerts-{i}", r.sample(by("bursty"), r.randint(1, 3)), "5s", round(r.uniform(3, 5), 1), members=2)
    for i in range(6):
        g(f"idle-reader-{i}", r.sample(by("idle"), r.randint(1, 4)), "5s", 2.0, members=1, initial_lag=0)
    for i in range(4):
        g(f"rare-reader-{i}", r.sample(by("rare"), r.randint(1, 3)), "30s", 2.0, members=1, initial_lag=0)
    parts = sum(x[1] for x in topics)
    return "".join(out), dict(topics=len(topics), partitions=parts, groups=len(groups), names=groups, topic_list=topics)

if __name__ == "__main__":
    import sys
    body, info = cluster(int(sys.argv[1]))
    print(info["topics"], info["partitions"], info["groups"])
