import re
from mk_f import body, ev
A01 = "a01_healthy_8b_seed1601_24h"; A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"
# r04: a01's body on 9 brokers, broker 9 new and empty: every topic entry gets explicit round-robin replica
# lists over brokers 1-8 (Kafka's default placement with start index 0 for each entry)
shape, b = body(A01)
b = b.replace("brokers = 8\n", "brokers = 9\n", 1)
def add_replicas(m):
    block = m.group(0)
    parts = int(re.search(r"partitions = (\d+)", block).group(1))
    lists = [[(p + k) % 8 + 1 for k in range(3)] for p in range(parts)]
    return block + "replicas = " + str(lists) + "\n"
b = re.sub(r"\[\[cluster\.topics\]\]\n(?:[a-z_]+ = [^\n]*\n)+", add_replicas, b)
evs = ""
# expansion: 10 orders topics and 2 logs topics: every partition whose replica list contains broker ((i % 8) + 1)
# has that replica moved to broker 9: per partition events would be many; instead move whole topics to lists that
# include broker 9, rotating the other two (as kafka-reassign-partitions --generate would for a few topics)
for i in range(8):
    tgt = [9, (i % 8) + 1, ((i + 4) % 8) + 1]
    evs += ev(f"{120 + 2*i}m", "reassign", topic=f"orders-{i}", replicas=tgt, rate=2000.0)
header = """
Hunt 16, r04 (6h, written after r01-r03 ran). Cluster expansion: a01's topics and groups on 9 brokers, where
broker 9 is new: every topic has explicit round-robin replica lists over brokers 1-8 (Kafka's placement at
creation), so broker 9 hosts nothing and leads nothing for the first 2 h of the run. From 2h (soak 7800) the
operator moves 8 "orders" topics (24 partitions each, 192 partitions) one every 2 min onto [9, i, i+4] (broker 9
preferred leader of all of them), copy rate 2,000 msg/s. Automatic preferred election (every 5 min) then makes
broker 9 lead those 192 partitions.
EXPECTATION (written before running): for the empty broker 9 during the first 2 h: nothing (a broker with no
replicas is not imbalanced, not down, not lagging). Then ONE informational reassignment incident, raised within
~5 min, finished within ~20-30 min; no URP / min-ISR, no leader_imbalance (the new preferred leaders are elected
within 5 min), no consumer_lag, no anomaly; nothing firing at the end."""
head = "".join("# " + l + "\n" if l else "#\n" for l in header.strip("\n").split("\n"))
open("r04_expansion_empty_broker9_gets_8_topics_9b_6h.toml", "w").write(head + shape + " except: brokers = 9, explicit replica lists over 1-8.\n" + b + "\n" + evs)
