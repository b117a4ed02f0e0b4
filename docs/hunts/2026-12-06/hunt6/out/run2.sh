#!/bin/sh
cd /work/main/docs/hunts/2026-12-06/hunt6
while read f d; do
  echo "== $f $d $(date +%T)" >&2
  /tmp/s/isrwatch-spells soak --scenario $f.toml --warm-up 10m --duration $d > out/$f.txt 2>out/$f.err
done <<LIST
h05c_stall_alone_control 45m
h08_outage_vs_consumer_fault 90m
h13_hung_coordinator_6min 35m
h14_all_listeners_hung 30m
LIST
echo done >&2
