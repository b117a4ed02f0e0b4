from lib import *
x = topic(name="newt", partitions=24, rate=400.0, seasonality=0.3, noise=0.2, exists=False) + group(name="newt-svc", topics=["newt"], exists=False, headroom=2.0, members=4)
write("s39_consumer_slow_from_birth_on_new_topic_8b_5h", A01, """
Hunt 17, s39 (5h). a01's cluster; "newt" (24 p, 400 msg/s) created at 1h with its service 30 s later; 60 s after
that the service is slowed to 0.3x (an N+1 query in the new code path: 0.6x the produce rate) for 2 h: it
falls behind from its first minutes and never was caught up for long.
EXPECTATION (written before running): ONE consumer_lag (WARN, maybe ERR) within ~30-60 min of the slowdown,
held until it has caught up after 3h; not missed because the group is young.""", x,
ev("1h", "topic_create", topic="newt") + ev("3630s", "group_create", group="newt-svc") + ev("3690s", "consumer_slowdown", group="newt-svc", factor=0.3, duration="2h"))

write("s41_partitions_add_while_slow_consumer_warned_8b_6h", A01, """
Hunt 17, s41 (6h). a01's cluster; svc-9 (clicks-1, 48 p; hunt 16 f15c raised its 0.5x slowdown once, at ~150 s)
is slowed to 0.4x at 1h for 2 h; at 1h40m, while its WARN is open, the operator doubles clicks-1 to 96 partitions
(hoping to scale out). The group takes the new partitions within 5 min; with latest what was produced to them
before is skipped.
EXPECTATION (written before running): ONE consumer_lag incident for svc-9 from ~1h+2-5 min until it has caught
up after 3h: not resolved and raised again around the increase.""", "",
ev("1h", "consumer_slowdown", group="svc-9", factor=0.4, duration="2h") + ev("100m", "partitions_add", topic="clicks-1", partitions=96))

write("s43_topic_deleted_during_its_throttled_reassignment_8b_4h", A01, """
Hunt 17, s43 (4h). a01's cluster; logs-1 (64 p, 3,600 msg/s) is moved to brokers [8, 7, 6] with a 60 msg/s copy
throttle at 1h (a long reassignment, info incident as in hunt 16 r06); at 1h30m the operator gives up and deletes
logs-1 (its data was to be dropped anyway), and creates it again at 1h31m.
EXPECTATION (written before running): ONE info "Partition reassignment" incident, resolved ("finished") soon after
the deletion; nothing else (no stuck reassignment, no URP, no unclean election, no lag for its readers).""", "",
ev("1h", "reassign", topic="logs-1", replicas=[8, 7, 6], rate=60.0) + ev("90m", "topic_delete", topic="logs-1") + ev("91m", "topic_create", topic="logs-1"))

x = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1) + group(name="pay-svc", topics=["pay"], commit_interval="5s", headroom=1.4, members=6) \
  + group(name="pay-ckpt", topics=["pay"], commit_interval="60s", headroom=1.5, members=2)
write("s44_rebalance_after_partitions_add_8b_4h", A01, """
Hunt 17, s44 (4h). a01's cluster + "pay" (24 p, 600 msg/s) read by pay-svc (5-s commits, headroom 1.4) and
pay-ckpt (60-s commits). At 1h pay grows to 48 partitions and each group goes through the eager rebalance a
metadata change causes: pay-svc 2 min later for 45 s, pay-ckpt 4 min later for 60 s (consumer_rebalance).
EXPECTATION (written before running): NOTHING (hunt 14 W3's fix: rebalances under a minute are not a STALL).""", x,
ev("1h", "partitions_add", topic="pay", partitions=48) + ev("62m", "consumer_rebalance", group="pay-svc", duration="45s")
 + ev("64m", "consumer_rebalance", group="pay-ckpt", duration="60s"))
