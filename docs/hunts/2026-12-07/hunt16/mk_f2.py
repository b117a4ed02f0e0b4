from mk_f import write, ev
A01 = "a01_healthy_8b_seed1601_24h"; A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"; A03 = "a03_healthy_untuned_10b_kraft_seed1603_48h"
write("f07_kraft_broker1_down_30m_night_rf1_10b_6h", A03, """
Hunt 16, f07 (6h, written after f01-f04 ran as expected). a03's cluster (10 KRaft brokers, start 00:00 UTC,
2,703 partitions incl. 13 RF-1 "scratch" topics of 8 partitions and RF-2/min-ISR-1 CDC topics; quiet for 48 h).
Broker 1 (combined mode: its voter goes with it; likely the active controller at start) dies at 2h (soak 7800,
02:10 UTC) and is back after 30 min (soak 9600). Its RF-1 scratch partitions (~10) are offline for 30 min, so
their readers (stream-app-7/8/12, svc-7, sink-1/2, checkpoint-2) cannot read them and their producers fail on them;
its RF-2 CDC partitions drop to ISR 1 (= min ISR 1); its RF-3 ones to 2 (= min ISR 2).
EXPECTATION (written before running): exactly ONE incident, critical, naming broker 1, saying partitions are
offline (~10) and under-replicated (~800), raised at once (by ~7830), resolved a few minutes after its return
(by ~9900). The controller moving is part of it or silent (one move), not a quorum incident of its own. The
scratch topics' produce rates fall by ~1/8 (their partitions on broker 1): not an anomaly of their own (the
offline partitions are the broker's story); no STALL/STOP for the readers of the scratch topics (their offline
partitions are unreadable; the broker incident covers them); nothing else.""",
ev("2h", "broker_down", broker=1, duration="30m"))
write("f08_zk_log_dir_failure_broker5_30m_12b_6h", A02, """
Hunt 16, f08 (6h, written after f01-f04 ran as expected). a02's cluster (12 brokers, ZooKeeper era, start 20:00,
2,124 partitions incl. 7 RF-1 scratch topics, RF-2/min-1 CDC; quiet for 48 h). Broker 5's log directory fails at
2h (soak 7800, 22:10 UTC) and is back after 30 min (soak 9600): its replicas go offline (listed as offline
replicas), leave the ISRs, leaderships move; its RF-1 partitions (~5) are offline; the broker stays up (in metadata).
EXPECTATION (written before running): exactly ONE incident, critical (offline partitions), naming broker 5 and
its failed log directory, raised within ~1 min (by ~7860), resolved a few minutes after the directory is back
(by ~9900). No separate incidents per topic, no consumer_lag for the scratch topics' readers, no anomaly, no
leader_imbalance after the recovery (auto rebalance on), nothing else.""",
ev("2h", "log_dir_failure", broker=5, duration="30m"))
write("f09_low_rate_cdc_topic_stops_3h_8b_8h", A01, """
Hunt 16, f09 (8h, written after f01-f04 ran as expected). a01's cluster; the producer of one of 58 CDC topics,
"cdc-26" (6 partitions, 1.7 msg/s in all, noise 0.71, seasonality 0.3: a Debezium connector of a quiet table),
stops at 2h (soak 7800) for 3 h (back at soak 18600). Its readers sink-1 (60-s commits), cdc-sink-1 and
cdc-sink-3 (30-s commits) are caught up and stay so.
EXPECTATION (written before running): ONE "produce rate fell/stopped" for cdc-26, raised within ~15-45 min
(a 1.7 msg/s noisy topic needs some minutes of silence to be sure: at 0.28 msg/s per partition a 5-min silence
per partition is already unusual), resolved at the producer's return (~18600-19500). No STALL/STOP for its three
sinks, nothing for the other 57 CDC topics, nothing else. Silence for 3 h would be a miss (WRONG).""",
ev("2h", "traffic_stop", topic="cdc-26", duration="3h"))
