from mk_f import write, ev
A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"
write("f10_broker9_down_5h_hardware_12b_zk_10h", A02, """
Hunt 16, f10 (10h, written after r01-r03 ran). a02's cluster (12 brokers, ZooKeeper era, start 20:00 UTC; 7 RF-1
scratch topics, RF-2/min-1 CDC topics, untuned consumers incl. 2/5-min checkpoint sinks). Broker 9 fails at 2h
(soak 7800, 22:10 UTC; a dead motherboard) and is back after 5 h (soak 25800, 03:10 UTC) with a replacement
part. Its ~5 RF-1 scratch partitions are offline for 5 h: their readers cannot progress on them, their producers
fail on them (the topics' rates fall by ~1/8); its RF-2 CDC partitions run on one replica (at min ISR 1).
EXPECTATION (written before running): ONE critical incident naming broker 9 ("down, N under-replicated, ~5
offline"), raised at once, with its reminders (every 4 h by the shipped settings), resolved a few minutes after
its return (~26100). Nothing else for 5 h: the readers of the offline RF-1 partitions not paged as STALL/STOP of
their own (the offline partitions are the broker's story; a group whose other partitions move on is not hung), the
scratch topics' reduced produce rates not an anomaly of their own, no leader_imbalance after the return (auto
rebalance on), no consumer_lag after the return (the readers work off 5 h of the offline partitions' backlog:
~5 h x ~1.25 msg/s per partition: a few thousand messages, minutes).""",
ev("2h", "broker_down", broker=9, duration="5h"))
