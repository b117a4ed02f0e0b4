from lib import *
write("s18_slow_follower_right_after_topic_create_8b_4h", A01, """
Hunt 17, s18 (4h). a01's cluster; a new topic "newt" (24 p, 500 msg/s, reader 30 s later) is created at 1h; 2 min
later broker 4's fetchers fall 120 s behind for 30 min (its ~580 follower replicas, newt's included, leave ISRs).
EXPECTATION (written before running): exactly ONE warning naming broker 4 (as hunt 16's f02), raised within ~1-2
min, resolved after recovery; newt inside it, nothing separate for newt.""",
topic(name="newt", partitions=24, rate=500.0, exists=False) + group(name="newt-svc", topics=["newt"], exists=False, members=4),
ev("1h", "topic_create", topic="newt") + ev("3630s", "group_create", group="newt-svc") + ev("62m", "slow_follower", broker=4, delay="120s", duration="30m"))

write("s20_topic_deleted_while_consumer_stall_open_8b_4h", A01, """
Hunt 17, s20 (4h). a01's cluster. svc-0 (orders-9 only, ~250 msg/s) hangs at 1h; STALL expected within minutes.
At 1h20m, while it is hung, the operator deletes orders-9 (the retirement it was hung on, or a re-platforming):
nothing is left to read. sink-3 (cdc-48 + orders-20, 60-s commits) hangs at 2h; cdc-48 is deleted at 2h20m, but it
stays hung on orders-20 until it recovers at 3h.
EXPECTATION (written before running): TWO consumer_lag incidents: svc-0 STALL raised ~1h+2m, RESOLVED within a
few minutes of the deletion (nothing to consume: not a stalled consumer any more), with text that does not claim a
lag it no longer has; sink-3 STALL raised ~2h+3m, STILL firing after cdc-48's deletion (orders-20), resolved after
recovery at 3h and catch-up.""", "",
ev("1h", "consumer_stall", group="svc-0") + ev("1h20m", "topic_delete", topic="orders-9")
 + ev("2h", "consumer_stall", group="sink-3", duration="1h") + ev("2h20m", "topic_delete", topic="cdc-48"))

write("s21_topic_deleted_while_produce_stop_open_8b_4h", A01, """
Hunt 17, s21 (4h). a01's cluster. orders-2's producers stop at 1h (hunt 16's f04 raised this in ~45 s); at
1h30m, while the stop is open, the operator deletes orders-2 (the producing app was retired, its topic follows).
Its reader svc-1 stays subscribed.
EXPECTATION (written before running): ONE produce-rate incident raised within ~1-15 min, RESOLVED within a few
minutes of the deletion (the topic no longer exists: nothing to watch), not left firing and not reminded;
nothing for svc-1.""", "",
ev("1h", "traffic_stop", topic="orders-2") + ev("90m", "topic_delete", topic="orders-2"))

x = group(name="backfill-logs", topics=["logs-2"], offset_reset="earliest", headroom=3.0, members=8, commit_interval="5s", exists=False)
write("s22_new_backfill_group_hangs_midway_8b_4h", A01, """
Hunt 17, s22 (4h). a01's cluster; a backfill group (earliest on logs-2, 64 p, 3,600 msg/s, headroom 3) starts at
1h and hangs 20 min later, mid-backlog, for 40 min, then recovers.
EXPECTATION (written before running): ONE consumer_lag incident, STALL within a few minutes of the hang (at 1h20m),
resolved once caught up; nothing for its first 20 min of catching up.""", x,
ev("1h", "group_create", group="backfill-logs") + ev("80m", "consumer_stall", group="backfill-logs", duration="40m"))

write("s23_consumer_stall_after_truncate_8b_4h", A01, """
Hunt 17, s23 (4h). a01's cluster; orders-13 truncated (delete + create 5 s later) at 1h; its reader svc-3 hangs
5 min after the re-creation, for 30 min.
EXPECTATION (written before running): ONE consumer_lag STALL within a few minutes of the hang, resolved after
recovery; nothing for the truncation itself.""", "",
ev("1h", "topic_delete", topic="orders-13") + ev("3605s", "topic_create", topic="orders-13") + ev("3905s", "consumer_stall", group="svc-3", duration="30m"))

write("s24_broker_down_across_a_truncate_8b_4h", A01, """
Hunt 17, s24 (4h). a01's cluster; broker 6 dies at 1h for 20 min; during that, orders-13 and clicks-9 are truncated
(delete + create 5 s later, at 1h5m and 1h10m: new partitions on the 7 live brokers), logs-4 deleted at 1h15m and
created again at 1h25m after broker 6 is back.
EXPECTATION (written before running): exactly ONE broker_down incident for broker 6, its URP count dropping as
topics are re-created off it; resolved after its return; nothing about the truncations.""", "",
ev("1h", "broker_down", broker=6, duration="20m") + ev("65m", "topic_delete", topic="orders-13") + ev("3905s", "topic_create", topic="orders-13")
 + ev("70m", "topic_delete", topic="clicks-9") + ev("4205s", "topic_create", topic="clicks-9")
 + ev("75m", "topic_delete", topic="logs-4") + ev("85m", "topic_create", topic="logs-4"))

x = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1) + group(name="pay-svc", topics=["pay"], commit_interval="5s", headroom=1.4, members=6)
write("s25_group_scaled_to_zero_right_after_partitions_add_8b_4h", A01, """
Hunt 17, s25 (4h). a01's cluster + "pay" (24 p, 600 msg/s) read by pay-svc. At 1h pay grows to 48 partitions and
10 s later pay-svc is scaled to zero (Empty) for 40 min (a deploy that went wrong), then back.
EXPECTATION (written before running): ONE consumer_lag STOP within ~5-6 min of the stop, resolved after it is back
and caught up. The new partitions (nothing ever committed on them, with latest: what was produced to them while
Empty is skipped) must not make it invisible.""", x,
ev("1h", "partitions_add", topic="pay", partitions=48) + ev("3610s", "consumer_stop", group="pay-svc", duration="40m"))
