from mk_f import write
A01 = "a01_healthy_8b_seed1601_24h"
extra = """
[[cluster.topics]]
name = "cron"
count = 20
partitions = 6
rate = 0.01
seasonality = 0.0
noise = 0.5
burst_every = "30m"
burst_length = "2m"
burst_factor = 2000.0
"""
for i in range(10):
    extra += f'\n[[cluster.groups]]\nname = "cron-reader-{i}"\ntopics = ["cron-{2*i}", "cron-{2*i+1}"]\ncommit_interval = "10s"\nheadroom = 40.0\nmembers = 1\ninitial_lag = 0\n'
write("a06_healthy_with_20_cron_topics_8b_24h", A01, """
Hunt 16, a06 (24h, written after f01-f09 ran). a01's cluster (quiet for 24 h) plus 20 topics written only by cron-
style jobs: a 2-minute write of ~20 msg/s (rate 0.01 x burst factor 2,000) at random, on average every 30 min
(exponential gaps, seeded: some gaps are a few minutes, some 1.5-2 h); between runs ~0.01 msg/s (one message per
~10 min per topic). 10 readers, each of 2 such topics, commit every 10 s; the simulator sizes a consumer on max(rate, 1 msg/s) x
headroom, so headroom 40 = 6.7 msg/s per partition, twice a write's 3.3: they keep up with every write.
EXPECTATION (written before running): no "Produce rate fell"/"rose" for the cron topics (their
irregular gaps and 2-min writes are their nature, learnt within the first hours; at most one "unusual produce rate"
per topic in the first hour, as the shipped batch_jobs_absorbed allows, would be doubtful noise), nothing for the
other topics; no consumer_lag for the cron readers (caught up within seconds of each write; idle in between).""", extra)
