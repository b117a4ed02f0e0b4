from mk_f import write, ev
A01 = "a01_healthy_8b_seed1601_24h"; A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"; A03 = "a03_healthy_untuned_10b_kraft_seed1603_48h"
# r01: controlled roll of a03's 10 KRaft brokers, 90 s each, 6 min apart, from 2h; election after the last
evs = "".join(ev(f"{120 + 6*k}m", "controlled_shutdown", broker=k + 1, duration="90s") for k in range(10))
evs += ev("182m", "leader_rebalance")
write("r01_controlled_roll_10b_kraft_6h", A03, """
Hunt 16, r01 (6h). Routine at scale: a03's cluster (10 KRaft brokers, 2,703 partitions incl. RF-1 and RF-2
topics, 62 groups) rolled by an operator: controlled shutdown of brokers 1..10 in turn, each down 90 s, one every
6 min from 2h (soak 7800, 8160, ..., 11040; each back 90 s later), a preferred leader election at 3h02m (soak
11520) after the last; automatic rebalance stays on (every 5 min). Each broker's voter stops with it (combined
mode): the active controller moves at least once. RF-1 "scratch" topics on the restarting broker are offline
for its 90 s (that is what RF 1 means; an operator who rolls accepts it).
EXPECTATION (written before running): what an operator wants is nothing, or an informational note per broker.
The product's documented choice (tests/scenarios/controlled_shutdown.toml) is to tell a controlled shutdown as
broker_down; so I accept at most ONE incident per broker (10), each raised at its shutdown and resolved within
~3 min of its return, none still open when the next one goes down ~4.5 min later, and nothing else: no URP /
under-min-ISR incident naming another broker, no consumer_lag for the groups whose coordinator moves (every
broker coordinates some), no leader_imbalance, no controller_unstable (one or two controller moves in an hour),
no quorum finding of its own, no anomaly, nothing firing at the end. Verdict against the ideal (no page for a
planned, controlled restart) recorded as doubtful, not WRONG, given the documented choice.""", evs)
# r02: ZK-era hard roll (kill and restart, as a config-push automation does), 12 brokers, auto rebalance off
evs = "".join(ev(f"{120 + 5*k}m", "broker_down", broker=k + 1, duration="60s") for k in range(12))
evs += ev("185m", "leader_rebalance")
write("r02_restart_roll_12b_zk_no_autorebalance_6h", A02, """
Hunt 16, r02 (6h). a02's cluster (12 brokers, ZooKeeper era, 2,124 partitions incl. RF-1/RF-2 topics, 62
groups, untuned consumers) with auto.leader.rebalance.enable = false. Automation restarts brokers 1..12 in turn,
not controlled (kill, systemd restarts it 60 s later), one every 5 min from 2h (soak 7800, 8100, ..., 11100),
and the operator runs a preferred leader election at 3h05m (soak 11700), 5 min after the last restart.
Leadership drifts during the hour: each restarted broker loses its leaderships and gets none back until the
election, so by the end brokers 1..11 lead nothing and broker 12 ... the imbalance is real and lasts ~1 h.
EXPECTATION (written before running): one broker_down per broker (12), each resolved within ~3 min of its
return; RF-1 partitions offline for 60 s folded into their broker's incident; at most ONE leader_imbalance
(not a page: a warning or info), raised after 10 min and resolved after the election (~11700-12000); no
controller_unstable (the ZK controller moves when broker 1 restarts, maybe once more), no consumer_lag
(coordinators move; a checkpoint sink committing every 5 min must not be paged because its coordinator
restarted), no anomaly, nothing firing at the end.""", evs, cluster_extra="auto_leader_rebalance = false\n")
# r03: a rebalancer (Cruise Control style) moves 12 topics, each to a new replica set, one every 60 s
import itertools
evs = ""
for i in range(12):
    tgt = [(i % 8) + 1, ((i + 3) % 8) + 1, ((i + 6) % 8) + 1]
    evs += ev(f"{120 + i}m", "reassign", topic=f"orders-{i}", replicas=tgt, rate=2000.0)
write("r03_rebalancer_moves_12_topics_8b_6h", A01, """
Hunt 16, r03 (6h). a01's cluster (8 brokers); a rebalancer moves 12 of the 21 "orders" topics (24 partitions
each, 288 partitions) to new replica sets, one topic a minute from 2h (soak 7800 ... 8460), copy rate 2,000
msg/s per added replica (each partition has ~1 h of a ~10 msg/s partition = a few minutes to copy at most, 7-d
retention: the initial segment). Added replicas do not count as under-replicated (KIP-455); removed ones leave
after the added ones join; leadership moves off removed brokers and the preferred leader changes.
EXPECTATION (written before running): ONE informational reassignment_in_progress ("partition reassignment: N
partitions moving"), raised within ~5 min, resolved when finished (within ~15-30 min); no URP / under-min-ISR /
follower_lag, no leader_imbalance (the automatic preferred election follows the new preferred leaders within 5
min), no consumer_lag, no anomaly, no "stuck" escalation (every move progresses), nothing at the end.""", evs)
