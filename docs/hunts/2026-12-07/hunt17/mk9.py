from lib import *
# ---------------- healthy operator days (expect nothing) ----------------
x = ""; e = ""
kinds = [  # name, partitions, rate, extra
 ("app-feed", 48, 2000.0, dict(seasonality=0.5, noise=0.3)),
 ("app-audit", 6, 5.0, dict(seasonality=0.3, noise=0.5)),
 ("app-spiky", 16, 60.0, dict(seasonality=0.4, noise=0.5, burst_every="15m", burst_length="45s", burst_factor=8.0)),
 ("app-trickle", 4, 0.02, dict(seasonality=0.0, noise=1.0)),
 ("app-silent", 3, 0.0, dict(seasonality=0.0, noise=0.0)),
 ("app-orders", 24, 300.0, dict(seasonality=0.6, noise=0.35)),
 ("app-hourly", 12, 30.0, dict(seasonality=0.2, noise=0.5, burst_every="1h", burst_length="4m", burst_factor=5.0)),
 ("app-cdc", 6, 1.5, dict(seasonality=0.3, noise=0.7)),
 ("app-logs", 32, 1500.0, dict(seasonality=0.5, noise=0.2)),
 ("app-metrics", 12, 400.0, dict(seasonality=0.1, noise=0.1)),
 ("app-tight", 24, 250.0, dict(seasonality=0.1, noise=0.1)),
 ("app-rare2", 2, 0.05, dict(seasonality=0.0, noise=1.0)),
]
for i, (n, p, r, kw) in enumerate(kinds):
    x += topic(name=n, partitions=p, rate=r, exists=False, **kw)
    reset = "earliest" if i % 2 else "latest"
    ci = ["1s", "5s", "60s", "30s", "5s", "10s"][i % 6]
    hr = 1.3 if n == "app-tight" else 2.5
    x += group(name=n + "-reader", topics=[n], offset_reset=reset, commit_interval=ci, headroom=hr, members=3, exists=False)
    h = i * 100 + 25   # minutes: 40m .. ~20h
    e += ev(f"{h}m", "topic_create", topic=n)
    if i == 3:   # app deployed BEFORE its topic exists (auto-create off, created a few minutes later)
        e = e.replace(f'at = "{h}m"\naction = "topic_create"', f'at = "{h+4}m"\naction = "topic_create"')
        e += ev(f"{h}m", "group_create", group=n + "-reader")
    else:
        e += ev(f"{h + 1 + i % 4}m", "group_create", group=n + "-reader")

write("s35_operator_day_12_new_topics_kraft_10b_start0_24h", A03, """
Hunt 17, s35 (24h). s01's operator day (the same 12 new topics and applications, every ~100 min from 25m; half
the readers from earliest; app-trickle's reader deployed 4 min before its topic) on hunt 16's a03 (10 KRaft brokers,
tight consumers, start 00:00 UTC: the creations fall on the night trough, the morning ramp and the peak), simulator
seed 1735.
EXPECTATION (written before running): NOTHING at all.""", x, e, seed=1735)
