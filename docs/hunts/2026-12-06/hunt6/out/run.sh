#!/bin/sh
# runs one soak at a time
cd /work/main/docs/hunts/2026-12-06/hunt6
while read f d; do
  echo "== $f $d $(date +%T)" >&2
  /tmp/s/isrwatch-spells soak --scenario $f.toml --warm-up 10m --duration $d > out/$f.txt 2>out/$f.err
done <<LIST
h03a_hung_broker 25m
h04_controller_cut 25m
h05_two_unrelated_faults 45m
h09_two_slow_followers 40m
h06_logdir_quiet_night 65m
h10_voter_down_hour 80m
h01_reassign_target_dies 100m
h02_roll_during_reassign 130m
h08_outage_vs_consumer_fault 70m
h11_group_deleted_recreated 75m
h12_stop_nearly_idle 3h15m
h07_traffic_ramp_3x 5h
h03b_gc_pauses 60m
LIST
echo done >&2
