#!/bin/bash
# usage: queue.sh MUT[:skip1,skip2] ...: every scenario file under each
# mutation (minus the skipped file names), one shared queue with 2 workers
# (at most 2 soak processes); slow files first in each mutation.
# Results: /tmp/h22/runs/MUT/{NAME.out,NAME.err,rc.txt}.
S=/work/main/tests/scenarios
SLOW="clients_cut_from_broker cluster_restart broker_unreachable broker_dropping_clients"
for spec in "$@"; do
  m=${spec%%:*}; skip=" $(echo ${spec#*:} | tr , ' ') "; [ "$spec" = "$m" ] && skip=" "
  mkdir -p /tmp/h22/runs/$m; rm -f /tmp/h22/runs/$m/rc.txt
  for n in $SLOW; do case "$skip" in *" $n "*) echo "$n skipped-not-applicable" >> /tmp/h22/runs/$m/rc.txt; continue;; esac
    f=$(ls $S/$n.toml $S/long/$n.toml 2>/dev/null); echo "$m $f"; done
  for f in $S/*.toml $S/long/*.toml; do n=$(basename $f .toml); case " $SLOW " in *" $n "*) ;; *) echo "$m $f";; esac; done
done | xargs -P2 -L1 /tmp/h22/one.sh
