from lib import *
PAY = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1)
PAYG = group(name="pay-svc", topics=["pay"], commit_interval="5s", headroom=1.4, members=6)
# 12/13: stall around partitions_add
write("s12_stall_30s_after_partitions_add_before_takeup_8b_4h", A01, """
Hunt 17, s12 (4h). a01's cluster + "pay" (24 p, 600 msg/s) read by pay-svc (5-s commits, headroom 1.4). At 1h pay
grows to 48 partitions; 30 s later (before the group's metadata refresh: it has nothing committed on 24-47)
pay-svc hangs (consumer_stall) for 30 min, then recovers and works off ~30 min of backlog.
EXPECTATION (written before running): exactly ONE consumer_lag incident for pay-svc, STALL within ~1-3 min of the
hang (the old 24 partitions' offsets stop while their log ends move), covering the new partitions (nothing read on
them) too; resolved once caught up. Nothing else.""",
PAY + PAYG, ev("1h", "partitions_add", topic="pay", partitions=48) + ev("3630s", "consumer_stall", group="pay-svc", id="hang", duration="30m")
 + expect(kind="consumer_lag", group="pay-svc", after="hang", raised_within="3m"))
write("s13_stall_10m_after_partitions_add_after_takeup_8b_4h", A01, """
Hunt 17, s13 (4h). As s12 but pay-svc hangs 10 min after the increase (it took the new partitions by then).
EXPECTATION (written before running): exactly ONE consumer_lag STALL within ~1-3 min, resolved once caught up.""",
PAY + PAYG, ev("1h", "partitions_add", topic="pay", partitions=48) + ev("70m", "consumer_stall", group="pay-svc", id="hang", duration="30m"))
write("s14_broker_down_during_partitions_add_and_create_8b_4h", A01, """
Hunt 17, s14 (4h). a01's cluster; broker 3 dies at 1h (20 min); 30 s later orders-5 grows 24->48 partitions
(new ones placed on live brokers), 60 s later a new topic "newt" (12 p, 300 msg/s, reader newt-svc created 30 s
after) is created while broker 3 is down; broker 3 returns at 1h20m.
EXPECTATION (written before running): exactly ONE incident naming broker 3 ("Broker 3 is down", ~860 URP), raised
within ~30 s, resolved a few minutes after its return. Nothing for the new partitions/topic (placed on live brokers:
fully replicated), no leader_imbalance, no lag for svc readers.""",
topic(name="newt", partitions=12, rate=300.0, exists=False) + group(name="newt-svc", topics=["newt"], exists=False, members=3),
ev("1h", "broker_down", broker=3, id="down", duration="20m") + ev("3630s", "partitions_add", topic="orders-5", partitions=48)
 + ev("3660s", "topic_create", topic="newt") + ev("3690s", "group_create", group="newt-svc"))
write("s15_broker_down_right_after_topic_create_8b_4h", A01, """
Hunt 17, s15 (4h). a01's cluster; at 1h a new topic "newt" (12 p, 300 msg/s, RF 3; reader newt-svc 20 s later) is
created; 60 s after creation broker 5 dies for 15 min (it holds ~4-5 of newt's leaders and ~9 replicas).
EXPECTATION (written before running): exactly ONE incident naming broker 5, raised within ~30 s, resolved after
its return; the new topic's partitions counted in it, nothing separate for newt (its first minute is no baseline
for an anomaly), nothing for newt-svc.""",
topic(name="newt", partitions=12, rate=300.0, exists=False) + group(name="newt-svc", topics=["newt"], exists=False, members=3),
ev("1h", "topic_create", topic="newt") + ev("3620s", "group_create", group="newt-svc") + ev("3660s", "broker_down", broker=5, duration="15m"))
write("s16_new_groups_hang_before_first_commit_8b_4h", A01, """
Hunt 17, s16 (4h). a01's cluster + "pay" (24 p, 600 msg/s). Two new applications start and hang at once, before
their first commit (a deserialisation bug on the first record, a stuck init): "pay-new" (latest) at 1h, hung 2 s
later for 1 h; "pay-backfill" (earliest: a backlog) at 2h, hung 1 s later for 1 h. Members stay, nothing
is ever committed until they recover.
EXPECTATION (written before running): TWO consumer_lag incidents (one per group), each STALL (or at least WARN)
within ~5 min of its hang: members present, no progress, the log end moving. A hang that is invisible because there
is no committed offset would be a missed fault (WRONG). Each resolved after it recovers and catches up.""",
PAY + group(name="pay-new", topics=["pay"], exists=False, headroom=2.0, members=3)
 + group(name="pay-backfill", topics=["pay"], exists=False, offset_reset="earliest", headroom=3.0, members=3),
ev("1h", "group_create", group="pay-new") + ev("3602s", "consumer_stall", group="pay-new", duration="1h")
 + ev("2h", "group_create", group="pay-backfill") + ev("7201s", "consumer_stall", group="pay-backfill", duration="1h"))
write("s17_producers_stop_on_new_topics_8b_6h", A01, """
Hunt 17, s17 (6h). a01's cluster + two topics created at 1h: "newpay" (24 p, 600 msg/s, reader created 1 min
later) whose producers stop 30 min after creation for 1 h, and "newlogs" (32 p, 2,000 msg/s, reader) whose
producers stop 2 h after creation (3h) for 1 h.
EXPECTATION (written before running): TWO produce-stop incidents (one per topic), raised within ~5-15 min, resolved
at the producers' return; a young topic with 30 min of history going to zero is still a stop. Nothing for the
(caught-up) readers.""",
topic(name="newpay", partitions=24, rate=600.0, seasonality=0.3, noise=0.2, exists=False) + topic(name="newlogs", partitions=32, rate=2000.0, seasonality=0.3, noise=0.2, exists=False)
 + group(name="newpay-svc", topics=["newpay"], exists=False) + group(name="newlogs-svc", topics=["newlogs"], exists=False),
ev("1h", "topic_create", topic="newpay") + ev("1h", "topic_create", topic="newlogs") + ev("1h1m", "group_create", group="newpay-svc")
 + ev("1h1m", "group_create", group="newlogs-svc") + ev("1h30m", "traffic_stop", topic="newpay", duration="1h") + ev("3h", "traffic_stop", topic="newlogs", duration="1h"))
