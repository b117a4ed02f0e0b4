#!/usr/bin/env python3
"""Fault hunt 21, round 2: targeted variants after round 1.
 T1/T3: broker_down(2)+broker_down(3) with a catch-up LONGER than the 2-min recovery hold (180/240 s)
 T2: broker_down(2)+log_dir_failure(3) with catch-up 180 s
 T4: second seed (seed = 2) of the WRONG candidates
 T5: the reassignment at rate 200 with settle 60m (was it still moving?)"""
import os, sys
os.environ["H21_OUT"] = "/tmp/h21/mut2"
sys.argv = sys.argv[:1]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "h21lib.py")).read())
UMI = ("under_min_isr", "two replicas of every partition out at once: under min ISR is real (held by one incident or its own)", {})
AMI = ("at_min_isr", "a broker restart too short to be seen down, then its catch-up: at min ISR is real", {})
URB3 = ("under_replicated", "a broker restart too short to be seen down, then its catch-up", {"broker": 3})
C3s2 = C3.replace("seed = 1", "seed = 2")
tA, DA = 30, 60
for cu in (180, 240):
    for k in (-20, -10, 15, 50, 55, 60, 65, 70, 80, 105, 180):
        variant(f"T1_bd2_bd3_c{cu}_L_k{k}", "broker_down(2)+broker_down(3) long catch-up", C3, cu, tA,
                dict(action="broker_down", broker=2), DA, k, dict(action="broker_down", broker=3), 60, extra_allow=[UMI])
for k in (50, 55, 60, 65, 70, 80):
    variant(f"T3_bd2_bd3_c180_S_k{k}", "broker_down(2)+10-s restart of 3, long catch-up", C3, 180, tA,
            dict(action="broker_down", broker=2), DA, k, dict(action="broker_down", broker=3), 10, extra_allow=[UMI, AMI, URB3])
for DB, tag in ((90, "L"), (300, "XL")):
    for k in (-20, 15, 50, 55, 60, 65, 70, 80, 105):
        variant(f"T2_bd2_logdir3_c180_{tag}_k{k}", "broker_down(2)+log_dir_failure(3) long catch-up", C3, 180, tA,
                dict(action="broker_down", broker=2), DA, k, dict(action="log_dir_failure", broker=3), DB, extra_allow=[UMI])
UR = ("under_replicated", "a partitioned broker's partitions are under-replicated (shipped network_partition)", {})
for k in (-20, 15, 65, 105, 180):
    variant(f"T4_P3_seed2_L_k{k}", "broker_down(2)+network_partition(3), seed 2", C3s2, 60, tA,
            dict(action="broker_down", broker=2), DA, k, dict(action="network_partition", broker=3, mode="brokers"), 90, extra_allow=[UMI, UR])
for k in (-20, 65):
    variant(f"T4_T1_seed2_c180_k{k}", "broker_down(2)+broker_down(3) long catch-up, seed 2", C3s2, 180, tA,
            dict(action="broker_down", broker=2), DA, k, dict(action="broker_down", broker=3), 60, extra_allow=[UMI])
for k in (55, 65):
    variant(f"T4_T2_seed2_c180_k{k}", "broker_down(2)+log_dir_failure(3) long catch-up, seed 2", C3s2, 180, tA,
            dict(action="broker_down", broker=2), DA, k, dict(action="log_dir_failure", broker=3), 90, extra_allow=[UMI])
C4s = C4.replace('settle = "15m"', 'settle = "60m"')
for k in (-20, 60):
    variant(f"T5_cs3_reassign_XL_settle60m_k{k}", "controlled_shutdown(3)+reassign rate 200, settle 60m", C4s, 60, tA,
            dict(action="controlled_shutdown", broker=3), DA, k, dict(action="reassign", topic="orders", replicas=[2, 3, 4], rate=200.0), None,
            extra_allow=[("reassignment_in_progress", "planned work, info after 5 minutes", {})])
with open("/tmp/h21/index2.tsv", "w") as f:
    for r in rows: f.write(f"{r[0]}\t{OUT}/{r[0]}.toml\n")
with open("/tmp/h21/variants.tsv", "a") as f:
    for r in rows: f.write("\t".join(r) + "\n")
print(len(rows))
