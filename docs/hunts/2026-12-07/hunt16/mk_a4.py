from make import *
write("a08_healthy_untuned_12b_zk_seed1632_48h", TIGHT.format(title="Hunt 16, a08 (48h): a02's recipe, another seed (written after a01-a07 ran).", seed=1632, scale=1.0, brokers=12,
      era="ZooKeeper era (kraft = false)", start=20), seed=1632, brokers=12, kraft=False, start_hour=20.0, tight=True, rf_mix=True)
