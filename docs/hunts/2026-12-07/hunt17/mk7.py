from lib import *
PAY = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1)
write("s26_new_group_crashes_before_first_commit_8b_4h", A01, """
Hunt 17, s26 (4h; written after s16 gave nothing). a01's cluster + "pay" (24 p, 600 msg/s). A new application
"pay-new" (latest) starts at 1h and crashes 2 s later, before its first commit; its pods crash-loop, the group is
Empty (consumer_stop) for 1 h, then it starts properly. A second one, "pay-new2" (earliest), starts at 2h and
crashes 1 s later for 1 h.
EXPECTATION (written before running): ideally one consumer_lag (STOP or at least a warning) per group within
~5-10 min: an application that never consumed anything of a busy topic. Nothing at all = the same blind spot as
s16.""",
PAY + group(name="pay-new", topics=["pay"], exists=False, headroom=2.0, members=3)
 + group(name="pay-new2", topics=["pay"], exists=False, offset_reset="earliest", headroom=3.0, members=3),
ev("1h", "group_create", group="pay-new") + ev("3602s", "consumer_stop", group="pay-new", duration="1h")
 + ev("2h", "group_create", group="pay-new2") + ev("7201s", "consumer_stop", group="pay-new2", duration="1h"))

write("s29_truncate_while_reader_hung_or_empty_8b_4h", A01, """
Hunt 17, s29 (4h). a01's cluster. svc-3 (orders-13) hangs at 1h (members stay) for 1 h; STALL expected within a
minute. At 1h15m, while it is hung, orders-13 is truncated (delete, create 5 s later): Kafka deletes svc-3's
offsets; the new log fills at ~250 msg/s and svc-3, still hung, commits nothing on it. svc-1 (orders-2) is
scaled to zero at 2h for 1 h (STOP expected); orders-2 is truncated at 2h15m while it is Empty.
EXPECTATION (written before running): svc-3's STALL stays open until it recovers at 2h (it is still hung and the
new log piles up unread), then resolves once caught up; svc-1's STOP likewise stays open until 3h. A "resolved"
at the truncation while the consumer is still hung/Empty is WRONG (resolved while the fault lasts).""", "",
ev("1h", "consumer_stall", group="svc-3", duration="1h") + ev("75m", "topic_delete", topic="orders-13") + ev("4505s", "topic_create", topic="orders-13")
 + ev("2h", "consumer_stop", group="svc-1", duration="1h") + ev("135m", "topic_delete", topic="orders-2") + ev("8105s", "topic_create", topic="orders-2"))

x = topic(name="newpay", partitions=24, rate=600.0, seasonality=0.3, noise=0.2, exists=False) + group(name="newpay-svc", topics=["newpay"], exists=False) \
  + topic(name="newcron", partitions=12, rate=40.0, seasonality=0.2, noise=0.5, exists=False) + group(name="newcron-svc", topics=["newcron"], exists=False)
write("s31_producers_stop_minutes_after_create_8b_4h", A01, """
Hunt 17, s31 (4h). a01's cluster; "newpay" (24 p, 600 msg/s) created at 1h, its reader 30 s later; its producers
stop 5 min after creation (the new service's producer crashes) for 1 h. "newcron" (12 p, 40 msg/s) created at 2h30m,
stops 10 min later for 1 h.
EXPECTATION (written before running): one produce-stop incident per topic within ~5-15 min of its stop (a topic
that was written at 600 msg/s and now gets nothing), resolved at return. A young series without a baseline may
be judged too short to score: then nothing, and I would call that a missed fault (a rate going to exactly zero
needs no seasonality).""", x,
ev("1h", "topic_create", topic="newpay") + ev("3630s", "group_create", group="newpay-svc") + ev("65m", "traffic_stop", topic="newpay", duration="1h")
 + ev("150m", "topic_create", topic="newcron") + ev("9030s", "group_create", group="newcron-svc") + ev("160m", "traffic_stop", topic="newcron", duration="1h"))

write("s28_rf1_offline_topic_deleted_while_broker_down_12b_zk_4h", A02, """
Hunt 17, s28 (4h). a02's cluster (12 ZK brokers, RF-1 "scratch" topics). Broker 4 dies at 1h for 30 min: its
partitions are under-replicated and its RF-1 scratch partitions OFFLINE. At 1h10m the operator deletes scratch-2
and scratch-3 (scratch data: easier to drop than wait; their readers sink-0 / svc-0 stay subscribed) and
re-creates scratch-3 at 1h12m (placed on the 11 live brokers).
EXPECTATION (written before running): exactly ONE incident naming broker 4 (offline partitions counted in it,
fewer after the deletion), resolved after its return; nothing for the deleted/re-created scratch topics or
their readers.""", "",
ev("1h", "broker_down", broker=4, duration="30m") + ev("70m", "topic_delete", topic="scratch-2") + ev("70m", "topic_delete", topic="scratch-3")
 + ev("72m", "topic_create", topic="scratch-3"))

write("s32_real_rewind_minutes_after_truncate_8b_4h", A01, """
Hunt 17, s32 (4h). a01's cluster; orders-13 truncated (delete, create 5 s later) at 1h. 3 min after the
re-creation its reader svc-3 is rewound to the log start (an operator's mistaken reset-offsets --to-earliest,
replaying 3 min of the new log) - real, if small. Control: svc-0 (orders-9, untouched) rewound to log start at 2h
(days of data replayed).
EXPECTATION (written before running): svc-0: ONE REWIND within a minute. svc-3: ideally one REWIND too (a rewind
is a rewind); silence there is at most doubtful (3 minutes of data replayed) - the point is whether the 5-min
"new log" excuse hides it.""", "",
ev("1h", "topic_delete", topic="orders-13") + ev("3605s", "topic_create", topic="orders-13") + ev("3785s", "consumer_rewind", group="svc-3", duration="30s")
 + ev("2h", "consumer_rewind", group="svc-0", duration="30s"))
