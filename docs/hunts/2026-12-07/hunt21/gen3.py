#!/usr/bin/env python3
"""Fault hunt 21, round 3: W1 with other broker ids; W2 on the shipped two_brokers_down with catch-up 180 s, seed 2."""
import os, sys
os.environ["H21_OUT"] = "/tmp/h21/mut3"
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "h21lib.py")).read())
UMI = ("under_min_isr", "two replicas out at once", {})
UR = ("under_replicated", "a partitioned broker's partitions are under-replicated (shipped network_partition)", {})
for a, b in ((3, 1), (1, 2)):
    for k in (15, 65, 180):
        variant(f"R1_bd{a}_part{b}_k{k}", f"broker_down({a})+network_partition({b})", C3, 60, 30,
                dict(action="broker_down", broker=a), 60, k, dict(action="network_partition", broker=b, mode="brokers"), 90, extra_allow=[UMI, UR])
with open("/tmp/h21/index4.tsv", "w") as f:
    for r in rows: f.write(f"{r[0]}\t{OUT}/{r[0]}.toml\n")
with open("/tmp/h21/variants.tsv", "a") as f:
    for r in rows: f.write("\t".join(r) + "\n")
