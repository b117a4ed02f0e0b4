#!/bin/bash
# usage: run.sh NAME CONFIG [files...]   (default: all 51 scenario files)
# Runs each scenario through the frozen binary with CONFIG in two serial
# queues (at most 2 soak processes): queue A the slow, timeout-bound files,
# queue B the rest. Records "name rc wall_s" in rc.txt.
NAME=$1; CFG=$2; shift 2
BIN=/tmp/s/h22-bin
S=/work/main/tests/scenarios
OUT=/tmp/h22/runs/$NAME; mkdir -p $OUT; rm -f $OUT/rc.txt
if [ $# -eq 0 ]; then set -- $S/*.toml $S/long/*.toml; fi
SLOW="clients_cut_from_broker cluster_restart broker_unreachable broker_dropping_clients"
one(){ f=$1; n=$(basename $f .toml); t0=$(date +%s)
  if [ "$(date -u +%H%M)" -ge 2055 ]; then echo "$n skipped-deadline" >> $OUT/rc.txt; return; fi
  $BIN soak --scenario $f --warm-up 10m --judge -c $CFG > $OUT/$n.out 2>$OUT/$n.err; rc=$?
  echo "$n $rc $(( $(date +%s)-t0 ))" >> $OUT/rc.txt; }
A=(); B=()
for f in "$@"; do n=$(basename $f .toml); case " $SLOW " in *" $n "*) A+=($f);; *) B+=($f);; esac; done
( for f in "${A[@]}"; do one $f; done ) &
( for f in "${B[@]}"; do one $f; done ) &
wait
echo "$NAME: $(awk '$2==0' $OUT/rc.txt | wc -l) pass, $(awk '$2==1' $OUT/rc.txt | wc -l) fail, $(awk '$2!=0 && $2!=1' $OUT/rc.txt | wc -l) other"
