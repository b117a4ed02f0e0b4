from make import *
write("a04_healthy_8b_seed1611_24h", HEALTHY.format(title="Hunt 16, a04 (24h): a01's recipe, another seed (written after a01..a03 ran quiet; gen.py by then also draws Streams apps' initial lag of 10/100/5,000).", seed=1611, brokers=8), seed=1611, brokers=8)
write("a05_healthy_untuned_12b_kraft_seed1621_x1.5_24h", TIGHT.format(title="Hunt 16, a05 (24h): a03's recipe at 1.5x the topics, another seed (written after a01..a03 ran quiet).", seed=1621, scale=1.5, brokers=12,
      era="KRaft (Kafka 4)", start=6), seed=1621, brokers=12, kraft=True, start_hour=6.0, tight=True, rf_mix=True, scale=1.5)
