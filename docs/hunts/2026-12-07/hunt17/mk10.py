from lib import *
x = ""
for i, (rate, parts) in enumerate([(600.0, 24), (200.0, 12), (1500.0, 32), (80.0, 8)]):
    n = f"tight{i}"
    x += topic(name=n, partitions=parts, rate=rate, seasonality=0.25, noise=0.1)
    for j, (ci, hr) in enumerate([("1s", 1.35), ("5s", 1.4), ("30s", 1.45), ("2m", 1.5), ("5m", 1.6)]):
        x += group(name=f"{n}-g{j}", topics=[n], commit_interval=ci, headroom=hr, members=4)
e = ""
plan = [("2h", "tight0", 48), ("5h", "tight1", 24), ("8h", "tight2", 64), ("11h", "tight3", 16), ("14h", "tight0", 96),
        ("17h", "tight1", 48), ("20h", "tight2", 128), ("23h", "tight3", 32)]
for at, t, p in plan:
    e += ev(at, "partitions_add", topic=t, partitions=p)
write("s36_partition_doublings_on_tight_groups_through_a_day_8b_26h", A01, """
Hunt 17, s36 (26h). a01's cluster (start 12:00, the peak) + four busy topics with a daily cycle of 0.25 (peak 1.25x)
each read by five groups with headroom 1.35-1.6 (just above the peak) committing every 1 s, 5 s, 30 s, 2 min, 5 min.
Every 3 h one of them doubles its partitions (8 increases over the day, at the peak, the evening, the trough, the
morning). Simulator seed 1736.
EXPECTATION (written before running): NOTHING: each increase leaves the new partitions unread for up to 5 min plus
a commit interval, which tight groups then work off in minutes.""", x, e, seed=1736)

e = ev("1h", "consumer_stall", group="svc-3") + ev("80m", "group_delete", group="svc-3") \
  + ev("2h", "consumer_stop", group="svc-1") + ev("140m", "group_delete", group="svc-1")
write("s37_group_deleted_while_stall_or_stop_open_8b_4h", A01, """
Hunt 17, s37 (4h). a01's cluster. svc-3 hangs at 1h (STALL expected in a minute) and is never fixed; at 1h20m the
operator deletes the group (kafka-consumer-groups --delete; the simulator allows it with members). svc-1 is scaled
to zero at 2h (STOP expected) and its group deleted at 2h20m (the application was retired).
EXPECTATION (written before running): each incident raised, then resolved at the deletion (the group is gone:
nothing left to watch); the resolve should say the group was deleted rather than imply it caught up - the
title-only output here cannot tell; DOUBTFUL at most if not.""", "", e)
