from lib import *
import random
for seed in (1733, 1734):
    r = random.Random(seed)
    topics = [f"orders-{i}" for i in range(21)] + [f"clicks-{i}" for i in range(11)] + [f"events-{i}" for i in range(12)] + [f"batch-{i}" for i in range(14)] + [f"cdc-{i}" for i in range(58)]
    pick = r.sample(topics, 30)
    e = ev("1h", "broker_down", broker=2, duration="90s")
    t = 3600 + 120  # 30 s after broker 2 is back: leaders not yet preferred
    for i, tp in enumerate(pick):
        gap = r.randint(1, 14)
        e += ev(f"{t}s", "topic_delete", topic=tp) + ev(f"{t+gap}s", "topic_create", topic=tp)
        t += r.choice([7, 15, 20, 45, 60, 90])
    write(f"s3{3 if seed==1733 else 4}_30_truncates_after_broker_bounce_seed{seed}_8b_3h", A01, f"""
Hunt 17, s33 (3h; simulator seed {seed}). a01's cluster. Broker 2 bounces at 1h (down 90 s; leaders move off it,
their epochs go up; the preferred election every 5 min moves them back later). From 30 s after its return, 30
topics drawn at random (orders, clicks, events, batch, cdc) are truncated one after another (delete, create 1-14 s
later, 7-90 s apart), some before the preferred election, so some old leaders are not the preferred ones and new
placements may repeat the old replica lists.
EXPECTATION (written before running): ONE broker_down for broker 2 (resolved after its return) and NOTHING else:
no unclean election, no REWIND, no consumer lag, no produce-rate anomaly for the 30 truncations.""", "", e, seed=seed)
