from make import *
write("a09_healthy_untuned_10b_kraft_seed1643_24h", TIGHT.format(title="Hunt 16, a09 (24h): a03's recipe, another seed (written after a01-a08 were queued).", seed=1643, scale=1.0, brokers=10,
      era="KRaft (Kafka 4)", start=0), seed=1643, brokers=10, kraft=True, start_hour=0.0, tight=True, rf_mix=True)
write("a10_healthy_8b_seed1651_start18_48h", HEALTHY.format(title="Hunt 16, a10 (48h): a01's recipe, seed 1651, starting at 18:00 UTC (written after a01-a09 ran quiet).", seed=1651, brokers=8), seed=1651, brokers=8, start_hour=18.0)
