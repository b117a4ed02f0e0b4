#!/bin/bash
# one.sh MUT FILE: one judged soak of FILE under /tmp/h22/cfg/MUT.toml
# (waits while /tmp/h22/pause exists, so a diagnostic rerun can take a slot)
m=$1; f=$2; n=$(basename $f .toml); OUT=/tmp/h22/runs/$m
while [ -e /tmp/h22/pause ]; do sleep 1; done
t0=$(date +%s)
if [ "$(date -u +%H%M)" -ge 2055 ]; then echo "$n skipped-deadline" >> $OUT/rc.txt; exit 0; fi
/tmp/s/h22-bin soak --scenario $f --warm-up 10m --judge -c /tmp/h22/cfg/$m.toml > $OUT/$n.out 2>$OUT/$n.err; rc=$?
echo "$n $rc $(( $(date +%s)-t0 ))" >> $OUT/rc.txt
