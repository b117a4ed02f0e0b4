from lib import *
x = topic(name="pay", partitions=24, rate=600.0, seasonality=0.1, noise=0.1)
for n, ci, hr in [("pay-e-5s", "5s", 1.2), ("pay-e-1m", "60s", 1.25), ("pay-e-5m", "5m", 1.3)]:
    x += group(name=n, topics=["pay"], commit_interval=ci, headroom=hr, members=4, offset_reset="earliest")
write("s48_partitions_add_earliest_tight_groups_8b_4h", A01, """
Hunt 17, s48 (4h). a01's cluster + "pay" (24 p, 600 msg/s, near its small daily peak at 12:00-16:00) read by three
groups with offset_reset = earliest and tight headroom (1.2 / 1.25 / 1.3, commits 5 s / 60 s / 5 min). pay is
doubled to 48 partitions at 1h and again to 96 at 2h30m. With earliest, each group reads the new partitions from
offset 0 at its next metadata refresh (0-5 min of their data to catch up on at 0.2-0.3x spare speed: up to
~25 min to drain).
EXPECTATION (written before running): NOTHING (a routine scale-out; the lag on the new partitions is worked off
steadily, never more than ~5-10 min behind).""", x,
ev("1h", "partitions_add", topic="pay", partitions=48) + ev("150m", "partitions_add", topic="pay", partitions=96))
