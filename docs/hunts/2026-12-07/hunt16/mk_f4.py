from mk_f import write, ev
A01 = "a01_healthy_8b_seed1601_24h"
write("f11_cdc_sink_of_8_topics_hangs_2h_8b_8h", A01, """
Hunt 16, f11 (8h, written after f01-f07 ran as expected). a01's cluster; "cdc-sink-1" (reads 8 CDC topics, 48
partitions of ~0.29 msg/s each, i.e. ~14 msg/s in all; commits every 30 s; 2 members) hangs at 2h (soak 7800,
14:10 UTC): members stay, offsets stop. Back after 2 h (soak 15000); its 2-h backlog (~100,000 messages) is worked
off at 3x in about an hour.
EXPECTATION (written before running): ONE consumer_lag incident for cdc-sink-1, STALL within ~2-5 min of the hang
(a 30-s committer whose committed offsets stop while every partition receives a message every ~3.5 s: after 2 min
each partition has ~30 unread), resolved after it caught up (~17000-19000). Nothing for the other groups reading
the same topics (cdc-sink-0/2/3, sink-1/2), nothing else.""",
ev("2h", "consumer_stall", group="cdc-sink-1", duration="2h"))
write("f12_rare_topic_reader_hangs_6h_8b_10h", A01, """
Hunt 16, f12 (10h, written after f01-f07 ran as expected). a01's cluster; "rare-reader-0" (reads rare-10, rare-13,
rare-15: 4 partitions each, 0.02 msg/s per topic, noise 1.0: one message every ~50 s per topic, ~200 s per
partition; commits every 30 s; 1 member; an alerting consumer of a rare-event topic) hangs at 2h (soak 7800)
for 6 h (back at soak 29400).
EXPECTATION (written before running): ONE consumer_lag incident (STALL) for rare-reader-0, raised within ~1 h
(after an hour each partition holds ~18 unread messages while the group, with members, committed nothing: that is
a hung consumer, and for an alerting consumer an hour is already late); resolved once it reads again (~29400-
30000). Raised later than 1 h: doubtful; never raised in 6 h: WRONG. Nothing else.""",
ev("2h", "consumer_stall", group="rare-reader-0", duration="6h"))
