from lib import *
e = ev("1h", "topic_delete", topic="cdc-48") + ev("1h20m", "topic_delete", topic="rare-18") \
  + ev("1h40m", "topic_delete", topic="idle-1") + ev("2h", "topic_delete", topic="orders-9") \
  + ev("2h30m", "topic_delete", topic="batch-5") + ev("3h", "topic_delete", topic="events-8")
write("s04_retired_topics_deleted_readers_stay_subscribed_8b_6h", A01, """
Hunt 17, s04 (6h). a01's cluster; the operator deletes retired topics while their readers stay subscribed
(deploys that drop the subscription come later): cdc-48 at 1h (sink-3 still reads orders-20 too), rare-18 at
1h20m (rare-reader-1's only topic), idle-1 at 1h40m (idle-reader-1/3/4), orders-9 at 2h (svc-0's only topic,
~250 msg/s, a busy one), batch-5 at 2h30m (loader-1's only topic), events-8 at 3h (alerts-2 also reads events-1).
Kafka deletes the groups' committed offsets on them; members stay.
EXPECTATION (written before running): NOTHING: a deleted topic is not a produce stop (no anomaly "produce rate
fell" for orders-9), no consumer_lag/STALL for groups whose topic vanished, no partition_offline, no REWIND.""",
"", e)

e = ""
for at, t, gap in [("1h", "orders-13", "3s"), ("1h30m", "logs-4", "1s"), ("2h", "clicks-9", "20s"),
                   ("2h30m", "events-8", "2m"), ("3h", "batch-10", "10m"), ("3h30m", "cdc-4", "40s"),
                   ("4h", "orders-13", "5s"), ("4h10m", "rare-10", "16s")]:
    e += ev(at, "topic_delete", topic=t)
    # at + gap
    def add(a, g):
        import re
        def s(d):
            return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"(\d+)([hms])", d))
        return f"{s(a) + s(g)}s"
    e += ev(add(at, gap), "topic_create", topic=t)
write("s05_truncate_by_delete_recreate_within_and_across_polls_8b_6h", A01, """
Hunt 17, s05 (6h). a01's cluster; "truncation" of topics by delete + create, as operators do: orders-13 (svc-3,
busy) gap 3 s at 1h and again gap 5 s at 4h; logs-4 (3,600 msg/s, stream-app-12 and svc-10) gap 1 s; clicks-9
(svc-4, sink-7 60-s commits) gap 20 s (more than one 15-s poll); events-8 (alerts-2) gap 2 min; batch-10
(loader-0, loader-3) gap 10 min; cdc-4 (cdc-sink-0, 10-s commits) gap 40 s; rare-10 (rare-reader-0/2, 30-s
commits) gap 16 s. Offsets start at 0 again, new placement; the readers stay subscribed.
EXPECTATION (written before running): NOTHING: no unclean election, no REWIND (offsets fell to 0 because the
topic is new), no consumer_lag, no produce-rate anomaly for the gap, no partition_offline for the gap.""", "", e)

x = topic(name="sessions", partitions=6, rate=120.0, seasonality=0.4, noise=0.3)
x += group(name="sessions-svc", topics=["sessions"], commit_interval="5s", headroom=2.5, members=3)
x += group(name="sessions-sink", topics=["sessions"], commit_interval="60s", headroom=3.0, members=2)
e = ev("5m", "partitions_add", topic="sessions", partitions=12) \
  + ev("1h", "topic_delete", topic="sessions") + ev("3605s", "topic_create", topic="sessions") \
  + ev("2h", "topic_delete", topic="sessions") + ev("7204s", "topic_create", topic="sessions") + ev("7206s", "partitions_add", topic="sessions", partitions=24) \
  + ev("3h", "topic_delete", topic="sessions") + ev("3h1m", "topic_create", topic="sessions")
write("s06_recreate_with_different_partition_count_8b_6h", A01, """
Hunt 17, s06 (6h). a01's cluster + topic "sessions" (declared 6 partitions, 120 msg/s), read by sessions-svc
(5-s commits) and sessions-sink (60-s). At 5m it grows to 12 partitions. At 1h it is deleted and created again 5 s
later: the README says topic_create makes the declared topic, so 6 partitions (partitions 6-11 are gone, as when
an operator re-creates it smaller). At 2h deleted and re-created with 24 partitions (create + partitions_add 2 s
later, i.e. a re-creation with a larger count). At 3h deleted and re-created 60 s later (6 again).
EXPECTATION (written before running): NOTHING: vanished partitions 6-23 are not offline nor lagging, offsets back
at 0 are not a rewind or an unclean election.""", x, e)

e = ev("1h", "topic_delete", topic="rare-18") + ev("1h5m", "consumer_stop", group="rare-reader-1") \
  + ev("2h", "consumer_stop", group="svc-0") + ev("2h2m", "topic_delete", topic="orders-9") \
  + ev("3h", "topic_delete", topic="orders-2") + ev("3h", "consumer_stop", group="svc-1") \
  + ev("4h", "topic_delete", topic="batch-5") + ev("4h30m", "consumer_stop", group="loader-1") \
  + ev("4h35m", "group_delete", group="loader-1")
write("s07_retire_topic_and_its_app_8b_6h", A01, """
Hunt 17, s07 (6h). a01's cluster; an operator retires applications with their topics, in the orders people use:
rare-18 deleted at 1h, its only reader rare-reader-1 stopped (Empty) 5 min later; svc-0 stopped at 2h, its only
topic orders-9 (~250 msg/s) deleted 2 min later (before any 5-min STOP could be due); orders-2 deleted and svc-1
stopped in the same second at 3h; batch-5 deleted at 4h, loader-1 stopped 30 min later and its group deleted 5 min
after that.
EXPECTATION (written before running): NOTHING: an Empty group whose topics are gone has nothing to read (lag 0 /
no offsets); no STOP, no produce-rate anomaly for the deleted topics.""", "", e)
