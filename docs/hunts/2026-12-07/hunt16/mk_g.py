from mk_f import write, ev
A01 = "a01_healthy_8b_seed1601_24h"; A03 = "a03_healthy_untuned_10b_kraft_seed1603_48h"
write("g01_cluster_wide_surge_x1.5_90m_8b_8h", A01, """
Hunt 16, g01 (8h, written after f01-f05 ran as expected). a01's cluster; a busy afternoon: every producer of
every one of the 173 topics sends 1.5x its usual rate for 90 min from 3h (soak 11400, 15:10 UTC, just after the
daily peak; traffic_spike without topic, factor 1.5), then normal (soak 16800). At 15:10 the daily cycle is at
~1 + 0.7 x seasonality: orders 1.46, clicks 1.45, logs 1.35; x1.5 = 2.0-2.2 times the base rate, below every
consumer's headroom (lowest 2.5), so every consumer keeps up; lag grows a little more during batch loads and
bursts and drains as before.
EXPECTATION (written before running): ideally nothing (a 50 % surge on a busy afternoon that every consumer
absorbs is not actionable); acceptable: ONE informational/warning produce-rate incident for the cluster (or a
few topics), resolved after the surge. WRONG: one incident per topic (tens), any consumer_lag, any page.""",
ev("3h", "traffic_spike", factor=1.5, duration="90m"))
write("k01_kraft_two_controller_failovers_10b_6h", A03, """
Hunt 16, k01 (6h, written after f01-f05 ran as expected). a03's cluster (10 KRaft brokers); the active controller
moves twice, 90 min apart (controller_failover at 2h and 3h30m, soak 7800 and 13200: an operator restarting the
controller process, or a quorum leader re-election after a GC pause). No broker goes down.
EXPECTATION (written before running): nothing (two moves in 90 min are far from controller_unstable's 3 in 10
min; no broker is missing; nothing else changes).""",
ev("2h", "controller_failover") + ev("210m", "controller_failover"))
