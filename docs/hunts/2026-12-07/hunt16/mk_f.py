"""Fault and routine files built on the exact body of a01/a02/a03 (their [cluster], topics and groups, verified or
being verified quiet), with the header (expectation, written before the run) and events added."""
import re
def body(src):
    t = open(src + ".toml").read()
    i = t.index("[cluster]")
    shape = [l for l in t[:i].split("\n") if l.startswith("# Shape")][0]
    return shape + "\n# Body: the cluster of " + src + ".toml, unchanged" , t[i:]
def write(name, src, header, events, cluster_extra=""):
    shape, b = body(src)
    if cluster_extra:
        b = b.replace("[cluster]\n", "[cluster]\n" + cluster_extra, 1)
        shape += " except: " + cluster_extra.strip().replace("\n", "; ")
    head = "".join("# " + l + "\n" if l else "#\n" for l in header.strip("\n").split("\n"))
    open(name + ".toml", "w").write(head + shape + ".\n" + b + "\n" + events)
def ev(at, action, **kw):
    s = f'\n[[events]]\nat = "{at}"\naction = "{action}"\n'
    for k, v in kw.items():
        s += f"{k} = {v!r}\n".replace("'", '"')
    return s

A01 = "a01_healthy_8b_seed1601_24h"
write("f01_broker5_down_20m_8b_6h", A01, """
Hunt 16, f01 (6h). One real fault in a01's cluster (8 brokers, 2,297 partitions, 58 groups, quiet for 24 h):
broker 5 dies (hard, broker_down) at 2h (soak 7800) and comes back after 20 min (soak 9000).
EXPECTATION (written before running): exactly ONE incident, naming broker 5 ("Broker 5 is down", with its
~860 URP; RF 3 / min ISR 2: at min ISR, none under it, none offline), raised within ~30 s (by ~7830), resolved a
few minutes after its return (catch-up 5 s; by ~9300). Nothing else: not one incident per partition or topic, no
consumer_lag for the groups whose coordinator was broker 5 (the coordinator moves), no anomaly, no
leader_imbalance after its return (automatic preferred election every 5 min), no controller_unstable (the
controller may move once if broker 5 led the quorum).""",
ev("2h", "broker_down", broker=5, duration="20m"))
write("f02_broker3_slow_follower_30m_8b_6h", A01, """
Hunt 16, f02 (6h). a01's cluster; broker 3's replica fetchers fall 120 s behind (slow_follower, a slow disk or a
saturated NIC) at 2h (soak 7800) for 30 min (recovers at soak 9600). Its follower replicas (~575) leave their
ISRs after replica.lag.time.max (30 s); partitions it leads keep their followers.
EXPECTATION (written before running): exactly ONE incident naming broker 3 (replication trouble / follower lag
on broker 3, a warning: the partitions are at min ISR 2, not under), raised within ~1-2 min (by ~7920),
resolved shortly after it recovers (by ~9900). Not one incident per leader broker of the shrunk ISRs (the leaders
are brokers 1, 2, 4-8: they are not at fault), no isr_churn beside it, nothing for consumers, no anomaly.""",
ev("2h", "slow_follower", broker=3, delay="120s", duration="30m"))
write("f03_one_group_of_58_stalls_1h_6h", A01, """
Hunt 16, f03 (6h). a01's cluster; among 58 groups, "svc-3" (reads orders-13, 24 partitions, commits every 5 s,
headroom 3.3) hangs at 3h (soak 11400, 15:10 UTC, near the daily peak): members stay, offsets stop. It recovers
after 1 h (soak 15000) and works off a ~1-h backlog at ~1.6x the produce rate: ~35-45 min.
EXPECTATION (written before running): exactly ONE consumer_lag incident for svc-3: STALL within ~1-3 min of the
hang (by ~11600), possibly de-escalated to WARN while it works the backlog off, resolved when caught up (~17000-
17800). Nothing for the other 57 groups, no anomaly for orders-13 (its producers are fine), nothing else.""",
ev("3h", "consumer_stall", group="svc-3", duration="1h"))
write("f04_one_topic_of_173_stops_1h_6h", A01, """
Hunt 16, f04 (6h). a01's cluster; among 173 topics, the producers of "orders-2" (24 partitions, ~250 msg/s
at a 0.65 daily cycle) stop at 3h (soak 11400) for 1 h (back at soak 15000). Its one reader, svc-1, is caught
up and stays so (nothing to read).
EXPECTATION (written before running): exactly ONE incident for orders-2 ("Produce rate fell/stopped", the
anomaly or produce-stop rule), raised within ~5-15 min (by ~12300), resolved at or soon after the producers'
return (~15000-15900); its return not raised as a spike. No STALL/STOP for svc-1 (a caught-up consumer of a
silent topic), nothing for the other 172 topics, nothing else.""",
ev("3h", "traffic_stop", topic="orders-2", duration="1h"))
write("f05_broker4_cut_from_brokers_15m_8b_6h", A01, """
Hunt 16, f05 (6h). a01's cluster; broker 4 is cut from the other brokers (network_partition mode "brokers": a
switch port / ACL mistake; clients still reach it) at 2h (soak 7800) for 15 min (healed at soak 8700). The
~287 partitions it leads shrink to ISR {4} (under min ISR 2: acks=all producers fail), and it leaves the ISRs of
the ~575 partitions it follows (at min ISR).
EXPECTATION (written before running): exactly ONE incident, critical, naming broker 4 (replication trouble /
partitions under min ISR, subject broker 4), raised within ~1 min (by ~7860), resolved a few minutes after the
heal (by ~9000). Not a separate incident per topic or per other broker; no consumer lag (the simulator's
consumers keep reading), no anomaly, no leader_imbalance.""",
ev("2h", "network_partition", broker=4, mode="brokers", duration="15m"))
write("f06_broker6_unresponsive_15m_8b_6h", A01, """
Hunt 16, f06 (6h). a01's cluster; broker 6's client listener hangs (network_partition mode "unresponsive":
clients connect, no request is answered; replication continues) at 2h (soak 7800) for 15 min (soak 8700). The
monitor cannot ask broker 6 anything: not the offsets of the partitions it leads, not the groups it coordinates.
EXPECTATION (written before running): exactly ONE incident naming broker 6 (broker_unreachable), raised within
~1-2 min (by ~7920), resolved soon after (by ~9000). No consumer_lag (STALL/STOP) for the groups coordinated by
broker 6 (their offsets cannot be read: unknown, not stalled), no anomaly for the topics it leads (their end
offsets are unknown, not zero), nothing else.""",
ev("2h", "network_partition", broker=6, mode="unresponsive", duration="15m"))
