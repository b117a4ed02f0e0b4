from lib import *
x = group(name="clicks-enricher", topics=["clicks-1"], exists=False, headroom=2.0, members=6, commit_interval="1s") \
  + group(name="orders-audit", topics=["orders-6", "orders-7"], exists=False, offset_reset="earliest", headroom=3.0, members=2, commit_interval="30s")
write("s46_new_groups_hang_before_first_commit_kraft_10b_4h", A03, """
Hunt 17, s46 (4h; written after s16/s26, a control on another cluster). hunt 16's a03 (10 KRaft brokers, start
00:00), simulator seed 1746. A new "clicks-enricher" (latest, 1-s commits) on clicks-1 (48 p, ~1,700 msg/s at
the peak) starts at 1h and hangs 3 s later for 1 h; a new "orders-audit" (earliest, 30-s commits) on orders-6 and
orders-7 starts at 2h and hangs 10 s later (before its first 30-s commit) for 1 h.
EXPECTATION (written before running): one consumer_lag STALL per group within ~5 min; nothing = s16's blind spot.""", x,
ev("1h", "group_create", group="clicks-enricher") + ev("3603s", "consumer_stall", group="clicks-enricher", duration="1h")
 + ev("2h", "group_create", group="orders-audit") + ev("7210s", "consumer_stall", group="orders-audit", duration="1h"), seed=1746)
