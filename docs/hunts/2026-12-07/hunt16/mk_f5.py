from mk_f import write, ev
A01 = "a01_healthy_8b_seed1601_24h"; A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"
evs = "".join(ev(f"{7200 + 180*k}s", "slow_follower", broker=7, delay="60s", duration="70s") for k in range(20))
write("f13_broker7_gc_spiral_hiccups_every_3m_1h_8b_6h", A01, """
Hunt 16, f13 (6h, written after f01-f09 and h01 ran). a01's cluster; broker 7 goes into a GC death spiral for an
hour: from 2h (soak 7800) every 3 min its replica fetchers stall 60 s for 70 s (20 times, the last at soak
11220, over at 11290): each time its ~570 follower replicas leave their ISRs for ~40 s and rejoin. h01 showed one
such hiccup is notified as a warning and resolved 15 s later; here it repeats 20 times: a real fault of broker 7.
EXPECTATION (written before running): ONE incident naming broker 7 (replication trouble / isr_churn / flapping,
warning), raised within ~10 min (by the third hiccup, soak ~8200, flap damping or isr_churn), KEPT OPEN through
the hour (not 20 firing/resolved pairs), resolved some 15 min after the last hiccup (~12200). At most two
incidents if isr_churn is told apart from the ISR shrinks (both naming broker 7). Nothing for other brokers,
nothing for consumers.""", evs)
evs = "".join(ev(f"{120 + 7*k}m", "controlled_shutdown", broker=k + 1, duration="60s") for k in range(12))
write("r05_controlled_roll_slow_catch_up_12b_zk_6h", A02, """
Hunt 16, r05 (6h, written after r01-r04 ran). a02's cluster (12 brokers, ZooKeeper era) with a realistic
catch-up for big brokers: broker_catch_up = 4m (log recovery and fetching ~180 partitions' worth of minutes),
rolled the way careful operators do: controlled shutdown of brokers 1..12, each down 60 s, the next one 7 min after
the previous went down (i.e. ~2 min after the previous is back in sync, as a URP=0 gate would do), from 2h (soak
7800, 7800+420k). Automatic preferred election on (5 min).
EXPECTATION (written before running): at most ONE incident per broker (documented choice, see r01), each open
through its own catch-up (URP until ~5 min after it went down) and resolved within ~2-3 min after it is back in
sync, i.e. before or just after the next broker goes down; never an incident naming two brokers, no under min ISR
(the previous broker is back in sync before the next goes), no consumer_lag, no leader_imbalance, nothing at the
end.""", evs, cluster_extra='broker_catch_up = "4m"\n')
