from lib import *
x = topic(name="newapp", partitions=24, rate=180.0, seasonality=0.47, noise=0.3, exists=False) \
  + group(name="newapp-svc", topics=["newapp"], exists=False, headroom=1.8, members=4) \
  + group(name="newapp-backfill", topics=["newapp"], exists=False, offset_reset="earliest", headroom=2.0, commit_interval="2m", members=2) \
  + topic(name="newcdc", partitions=6, rate=8.0, seasonality=0.3, noise=0.7, replication_factor=2, min_insync_replicas=1, exists=False) \
  + group(name="newcdc-sink", topics=["newcdc"], exists=False, commit_interval="5m", headroom=3.0, members=1)
e = ev("1h", "partitions_add", topic="orders-16", partitions=48) + ev("2h", "partitions_add", topic="clicks-5", partitions=96) \
  + ev("3h", "topic_delete", topic="scratch-2") + ev("10805s", "topic_create", topic="scratch-2") \
  + ev("4h", "partitions_add", topic="cdc-54", partitions=12) \
  + ev("5h", "topic_create", topic="newapp") + ev("5h2m", "group_create", group="newapp-svc") + ev("7h", "group_create", group="newapp-backfill") \
  + ev("6h", "topic_delete", topic="rare-3") + ev("8h", "partitions_add", topic="logs-0", partitions=128) \
  + ev("10h", "topic_delete", topic="orders-18") + ev("36030s", "topic_create", topic="orders-18") \
  + ev("12h", "consumer_stop", group="svc-0") + ev("12h1m", "group_delete", group="svc-0") + ev("12h2m", "group_create", group="svc-0") \
  + ev("14h", "topic_create", topic="newcdc") + ev("14h5m", "group_create", group="newcdc-sink") \
  + ev("18h", "partitions_add", topic="scratch-3", partitions=16) + ev("20h", "topic_delete", topic="idle-3") \
  + ev("22h", "partitions_add", topic="newapp", partitions=48)
write("s10_operator_day_tight_12b_zk_24h", A02, """
Hunt 17, s10 (24h). hunt 16's a02 (12 ZK brokers, start 20:00 UTC, TIGHT consumers 0.25-0.6 above peak, 2/5-min
checkpointers, RF-2 CDC and RF-1 scratch topics; 48 h quiet in hunt 16) + a day of operator work: partition
increases on orders-16 (svc-2, tight), clicks-5 (stream-app-2), cdc-54 (5-min checkpointer), logs-0 (svc-1, sink),
scratch-3 (RF 1, svc-0), newapp (22h); truncations of scratch-2 (RF 1, sink-0 + 5-min checkpoint-2; gap 5 s) and
orders-18 (svc-3, gap 30 s); a new topic "newapp" (5h) with its service and a 2-min-committing backfill from
earliest 2 h later; a new RF-2 CDC topic with a 5-min-committing sink (14h); rare-3 and idle-3 deleted; svc-0's
group deleted and re-created (12h).
EXPECTATION (written before running): NOTHING for the whole day.""", x, e)

x = topic(name="newt", partitions=16, rate=90.0, seasonality=0.5, noise=0.4, exists=False) \
  + group(name="newt-backfill", topics=["newt"], exists=False, offset_reset="earliest", headroom=2.0, commit_interval="60s", members=2)
e = ""
for h in range(1, 24, 2):
    e += ev(f"{h}h", "topic_delete", topic="scratch-2") + ev(f"{h*3600+4}s", "topic_create", topic="scratch-2")
e += ev("3h", "partitions_add", topic="cdc-4", partitions=12) + ev("5h", "topic_create", topic="newt") + ev("9h", "group_create", group="newt-backfill") \
  + ev("9h30m", "partitions_add", topic="clicks-1", partitions=96) + ev("15h", "topic_delete", topic="rare-5") \
  + ev("16h", "partitions_add", topic="newt", partitions=32)
write("s11_kraft_10b_hourly_truncates_and_growth_24h", A03, """
Hunt 17, s11 (24h). hunt 16's a03 (10 KRaft brokers, start 00:00 UTC, tight, RF-1 scratch) + scratch-2 (RF 1,
sink-1 with 60-s commits) truncated (delete, create 4 s later) every 2 h all day; cdc-4 6->12 partitions at 3h
(sink-0, 60 s); a new topic "newt" at 5h with a backfill from earliest 4 h later, grown 16->32 at 16h; clicks-1
48->96 at 9h30m (svc-3); rare-5 deleted at 15h.
EXPECTATION (written before running): NOTHING for the whole day.""", x, e)
