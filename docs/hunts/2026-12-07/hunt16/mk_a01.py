from make import *
write("a01_healthy_8b_seed1601_24h", HEALTHY.format(title="Hunt 16, a01 (24h).", seed=1601, brokers=8), seed=1601, brokers=8)
