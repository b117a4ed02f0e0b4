from lib import *
x = group(name="replay-svc5", topics=["orders-0"], offset_reset="earliest", headroom=3.3, members=4, commit_interval="5s")
e = ev("1h", "consumer_stop", group="svc-5") + ev("1h2m", "group_delete", group="svc-5") + ev("1h3m", "group_create", group="svc-5") \
  + ev("2h", "consumer_stop", group="replay-svc5") + ev("2h1m", "group_delete", group="replay-svc5") + ev("2h2m", "group_create", group="replay-svc5") \
  + ev("3h", "consumer_stop", group="sink-4") + ev("3h", "group_delete", group="sink-4") + ev("3h", "group_create", group="sink-4") \
  + ev("4h", "group_delete", group="idle-reader-3") + ev("4h", "group_create", group="idle-reader-3")
write("s08_groups_deleted_and_recreated_8b_6h", A01, """
Hunt 17, s08 (6h). a01's cluster; offset resets done the blunt way (stop the app, delete the group, start it
again): svc-5 (orders-0, latest) stopped 1h, deleted 1h2m, started 1h3m; a replay group "replay-svc5" (earliest,
orders-0: 7-d retention, a backlog) stopped 2h, deleted 2h1m, started 2h2m (replays the whole retained log, headroom
3.3); sink-4 (60-s commits, clicks-2 + cdc-11) stopped, deleted and started in the same second at 3h;
idle-reader-3 (idle topic) deleted and created at 4h (Kafka would refuse while it has members; the simulator allows).
EXPECTATION (written before running): NOTHING: 2-3 min Empty is below the 5-min STOP; a re-created group's offsets
starting fresh is not a REWIND (latest) and a deliberate replay (earliest) is catching up, not lagging; at most an
info. A critical REWIND for replay-svc5 would be a false alarm (operator intent), doubtful at least.""", x, e)

x = topic(name="firehose", partitions=48, rate=8000.0, seasonality=0.3, noise=0.2, exists=False)
x += topic(name="spiky", partitions=16, rate=50.0, seasonality=0.3, noise=0.5, burst_every="10m", burst_length="40s", burst_factor=10.0, exists=False)
x += topic(name="trickle", partitions=4, rate=0.01, seasonality=0.0, noise=1.0, exists=False)
x += topic(name="silent", partitions=3, rate=0.0, seasonality=0.0, noise=0.0, exists=False)
x += group(name="firehose-etl", topics=["firehose"], headroom=2.0, members=12, commit_interval="5s", exists=False)
x += group(name="firehose-arch", topics=["firehose"], headroom=1.5, members=6, commit_interval="60s", offset_reset="earliest", exists=False)
x += group(name="spiky-alerts", topics=["spiky"], headroom=3.0, members=2, exists=False)
x += group(name="trickle-reader", topics=["trickle"], headroom=2.0, members=1, commit_interval="30s", exists=False)
x += group(name="silent-reader", topics=["silent"], headroom=2.0, members=1, exists=False)
e = ev("1h", "group_create", group="firehose-etl") + ev("1h2m", "topic_create", topic="firehose") + ev("1h10m", "group_create", group="firehose-arch") \
  + ev("1h30m", "topic_create", topic="spiky") + ev("1h30m5s", "group_create", group="spiky-alerts") \
  + ev("2h", "topic_create", topic="trickle") + ev("2h", "group_create", group="trickle-reader") \
  + ev("2h30m", "topic_create", topic="silent") + ev("2h31m", "group_create", group="silent-reader")
write("s09_new_topics_firehose_bursty_trickle_silent_8b_6h", A01, """
Hunt 17, s09 (6h). a01's cluster + topics created and at once produced to: "firehose" (48 p, 8,000 msg/s; its ETL
group is deployed 2 min BEFORE the topic exists, its archiver starts at earliest 8 min after), "spiky" (50 msg/s
with 10x bursts for 40 s every ~10 min, reader 5 s after creation), "trickle" (0.01 msg/s over 4 partitions,
reader with 30-s commits), "silent" (no producer yet, reader).
EXPECTATION (written before running): NOTHING: a creation is not a traffic spike; the first bursts of a young topic
are not anomalies worth paging (hunt 16 a01's own bursty topics are quiet); no STALL for the trickle/silent readers;
no lag for the group that subscribed before the topic existed.""", x, e)
