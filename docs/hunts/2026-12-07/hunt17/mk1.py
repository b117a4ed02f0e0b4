from lib import *
# ---------------- healthy operator days (expect nothing) ----------------
x = ""; e = ""
kinds = [  # name, partitions, rate, extra
 ("app-feed", 48, 2000.0, dict(seasonality=0.5, noise=0.3)),
 ("app-audit", 6, 5.0, dict(seasonality=0.3, noise=0.5)),
 ("app-spiky", 16, 60.0, dict(seasonality=0.4, noise=0.5, burst_every="15m", burst_length="45s", burst_factor=8.0)),
 ("app-trickle", 4, 0.02, dict(seasonality=0.0, noise=1.0)),
 ("app-silent", 3, 0.0, dict(seasonality=0.0, noise=0.0)),
 ("app-orders", 24, 300.0, dict(seasonality=0.6, noise=0.35)),
 ("app-hourly", 12, 30.0, dict(seasonality=0.2, noise=0.5, burst_every="1h", burst_length="4m", burst_factor=5.0)),
 ("app-cdc", 6, 1.5, dict(seasonality=0.3, noise=0.7)),
 ("app-logs", 32, 1500.0, dict(seasonality=0.5, noise=0.2)),
 ("app-metrics", 12, 400.0, dict(seasonality=0.1, noise=0.1)),
 ("app-tight", 24, 250.0, dict(seasonality=0.1, noise=0.1)),
 ("app-rare2", 2, 0.05, dict(seasonality=0.0, noise=1.0)),
]
for i, (n, p, r, kw) in enumerate(kinds):
    x += topic(name=n, partitions=p, rate=r, exists=False, **kw)
    reset = "earliest" if i % 2 else "latest"
    ci = ["1s", "5s", "60s", "30s", "5s", "10s"][i % 6]
    hr = 1.3 if n == "app-tight" else 2.5
    x += group(name=n + "-reader", topics=[n], offset_reset=reset, commit_interval=ci, headroom=hr, members=3, exists=False)
    h = i * 105 + 40   # minutes: 40m .. ~20h
    e += ev(f"{h}m", "topic_create", topic=n)
    if i == 3:   # app deployed BEFORE its topic exists (auto-create off, created a few minutes later)
        e = e.replace(f'at = "{h}m"\naction = "topic_create"', f'at = "{h+4}m"\naction = "topic_create"')
        e += ev(f"{h}m", "group_create", group=n + "-reader")
    else:
        e += ev(f"{h + 1 + i % 4}m", "group_create", group=n + "-reader")
write("s01_operator_day_12_new_topics_and_apps_8b_24h", A01, """
Hunt 17, s01 (24h). a01's quiet cluster (hunt 16: 24 h, nothing) + an operator day: 12 new topics created
through the day (every ~105 min from 40m): a 2,000 msg/s 48-partition feed, a bursty one (8x for 45 s every
~15 min), an almost idle one (0.02 msg/s), a silent one (rate 0), a tight one (reader headroom 1.3, peak 1.1),
hourly batch, CDC-like, logs; each with a new application (group) started 1-4 min after the topic (every second
one with offset_reset = earliest, which on a new topic is only a few minutes of data), commit intervals 1 s to
60 s; app-trickle's reader is deployed 4 min BEFORE its topic is created.
EXPECTATION (written before running): NOTHING at all: no consumer_lag for the new groups (nothing committed
until their first interval, earliest = a small backlog worked off in seconds), no STALL/STOP for the readers of
the idle/trickle topic, no anomaly for a new topic's produce rate (from nothing to 2,000 msg/s is a creation,
not a spike), no partition/replication findings for the new partitions.""", x, e)

x = topic(name="pay", partitions=24, rate=600.0, seasonality=0.05, noise=0.05)
x += topic(name="ledger", partitions=12, rate=200.0, seasonality=0.05, noise=0.05)
for n, ci, hr in [("pay-tight-115", "1s", 1.15), ("pay-tight-13", "5s", 1.3), ("pay-ckpt-30s", "30s", 1.3),
                  ("pay-ckpt-2m", "2m", 1.5), ("pay-ckpt-5m", "5m", 1.5)]:
    x += group(name=n, topics=["pay"], commit_interval=ci, headroom=hr, members=4)
for n, ci, hr in [("ledger-tight", "5s", 1.2), ("ledger-ckpt-5m", "5m", 1.3), ("ledger-ckpt-1m", "60s", 1.1)]:
    x += group(name=n, topics=["ledger"], commit_interval=ci, headroom=hr, members=3)
e = ev("1h", "partitions_add", topic="pay", partitions=48) + ev("2h", "partitions_add", topic="ledger", partitions=36) \
  + ev("3h", "partitions_add", topic="pay", partitions=64) + ev("3h30m", "partitions_add", topic="orders-13", partitions=48) \
  + ev("4h", "partitions_add", topic="clicks-9", partitions=96)
write("s02_partition_increases_tight_and_slow_committers_8b_6h", A01, """
Hunt 17, s02 (6h). a01's cluster + two busy flat topics read by TIGHT consumers: "pay" (24 partitions, 600 msg/s,
seasonality 0.05) read by groups of headroom 1.15 and 1.3 (1-s and 5-s commits) and by checkpointing groups
committing every 30 s, 2 min, 5 min; "ledger" (12 p, 200 msg/s) by headroom 1.2 (5 s), 1.3 (5 min), 1.1 (60 s).
Partition increases: pay 24->48 at 1h, ledger 12->36 at 2h, pay 48->64 at 3h, orders-13 24->48 at 3h30m (svc-3),
clicks-9 48->96 at 4h (svc-4, sink-7 with 60-s commits). Each group takes the new partitions at its next metadata
refresh (0-5 min), nothing committed on them till then, then its next commit.
EXPECTATION (written before running): NOTHING. The new partitions' unconsumed messages (up to 5 min + one commit
interval, at most ~10 min for the 5-min committers) are a rebalance's ordinary lag: no consumer_lag, no STALL on
partitions without a committed offset, no anomaly for the per-partition rate halving.""", x, e)

x = group(name="backfill-logs", topics=["logs-2"], offset_reset="earliest", headroom=3.0, members=8, commit_interval="5s", exists=False)
x += group(name="backfill-orders", topics=["orders-5"], offset_reset="earliest", headroom=1.6, members=4, commit_interval="5s", exists=False)
x += group(name="backfill-cdc", topics=["cdc-3", "cdc-4", "cdc-5"], offset_reset="earliest", headroom=4.0, members=2, commit_interval="30s", exists=False)
x += group(name="replay-events", topics=["events-3"], offset_reset="earliest", headroom=3.0, members=2, commit_interval="60s", exists=False)
e = ev("1h", "group_create", group="backfill-logs") + ev("1h30m", "group_create", group="backfill-orders") \
  + ev("2h", "group_create", group="backfill-cdc") + ev("2h10m", "group_create", group="replay-events")
write("s03_backfill_groups_earliest_on_retained_topics_8b_6h", A01, """
Hunt 17, s03 (6h). a01's cluster (7-d retention everywhere; the log present at start is one segment written just
before time 0) + four new groups started at the EARLIEST offset: a backfill of logs-2 (64 p, 3,600 msg/s,
headroom 3), of orders-5 (headroom 1.6: slow to catch up), of three CDC topics, a replay of events-3 (60-s commits).
EXPECTATION (written before running): NOTHING paged. A backfill working off its backlog steadily is catching
up, not lagging (the same as hunt 16's a02 initial 5,000 lags); at most an info. If isrwatch pages a WARN/STALL
for a group that has never been caught up and is draining, that is WRONG (an operator started it on purpose).""", x, e)
