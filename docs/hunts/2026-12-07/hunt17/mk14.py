from lib import *
PAY = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1)
write("s47_new_group_hung_before_first_commit_forever_8b_12h", A01, """
Hunt 17, s47 (12h; written after s16/s26/s46: W1). a01's cluster + "pay" (24 p, 600 msg/s). "pay-new" (latest)
starts at 1h and hangs 2 s later, for good (members stay); "pay-new-empty" (latest) starts at 1h and crashes 2 s
later, for good (Empty). 11 hours, ~24 M messages each unread.
EXPECTATION (written before running): a STALL and a STOP (or warnings) within minutes; checking whether anything
(lag rule, lag anomaly, reminders) ever says something in 11 h.""",
PAY + group(name="pay-new", topics=["pay"], exists=False, headroom=2.0, members=3) + group(name="pay-new-empty", topics=["pay"], exists=False, headroom=2.0, members=3),
ev("1h", "group_create", group="pay-new") + ev("3602s", "consumer_stall", group="pay-new")
 + ev("1h", "group_create", group="pay-new-empty") + ev("3602s", "consumer_stop", group="pay-new-empty"))
