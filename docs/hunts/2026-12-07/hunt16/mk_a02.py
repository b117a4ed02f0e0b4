from make import *
write("a02_healthy_untuned_12b_zk_seed1602_48h", TIGHT.format(title="Hunt 16, a02 (48h).", seed=1602, scale=1.0, brokers=12,
      era="ZooKeeper era (kraft = false)", start=20), seed=1602, brokers=12, kraft=False, start_hour=20.0, tight=True, rf_mix=True)
write("a03_healthy_untuned_10b_kraft_seed1603_48h", TIGHT.format(title="Hunt 16, a03 (48h).", seed=1603, scale=1.3, brokers=10,
      era="KRaft (Kafka 4)", start=0), seed=1603, brokers=10, kraft=True, start_hour=0.0, tight=True, rf_mix=True, scale=1.3)
