# helper used to write the d* files (base cluster of d01-d08)
base='[cluster]
brokers = 3
seed = SEED
min_insync_replicas = 2

[[cluster.topics]]
name = "orders"
partitions = 6
rate = 80.0

[[cluster.topics]]
name = "events"
partitions = 3
rate = 20.0

[[cluster.groups]]
name = "billing"
topics = ["orders"]
headroom = 3.0

[[cluster.groups]]
name = "audit"
topics = ["events"]
'
mk(){ printf '%s\n' "$2" > $1.toml; printf '%s\n' "$base" | sed "s/SEED/${3:-1101}/" >> $1.toml; printf '%s\n' "$4" >> $1.toml; }
