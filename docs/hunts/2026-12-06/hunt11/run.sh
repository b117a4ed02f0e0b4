#!/bin/sh
# usage: run.sh NAME DURATION [WARMUP] [SUFFIX] [SCENARIO]
# raw notifications in out/NAME.txt, stderr in out/NAME.err; with DEBUG=1 the debug log (colour stripped) in out/NAME.debug.log
n=$1; d=$2; w=${3:-10m}; s=${4:-}; f=${5:-$n.toml}
if [ -n "$DEBUG" ]; then
  ISRWATCH_LOG=debug /tmp/s/hunt11-bin soak --scenario $f --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.debug.raw
  sed 's/\x1b\[[0-9;]*m//g' out/$n$s.debug.raw > out/$n$s.debug.log; rm -f out/$n$s.debug.raw
else
  /tmp/s/hunt11-bin soak --scenario $f --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.err
fi
echo "rc=$? $n$s"

# Commands used (from this folder; DEBUG=1 for the ones with a debug log in out/):
#   ./run.sh d01_fill_during_roll 100m
#   ./run.sh d02_two_brokers_fill 150m
#   DEBUG=1 ./run.sh d03_fill_stops_at_82 5h
#   ./run.sh d03b_fill_stops_at_86 6h
#   ./run.sh d03c_fill_slows_at_81_seed2203 6h
#   ./run.sh d03d_fill_stops_at_78_control 4h
#   ./run.sh d04_fill_free_sawtooth 5h
#   ./run.sh d05_fill_at_start 90m 0s
#   ./run.sh d06_fill_to_full 100m
#   DEBUG=1 ./run.sh d07_full_disk_while_other_down 90m
#   ./run.sh d07b_second_down_returns_first_no_disk 90m
#   ./run.sh d08_disk_then_logdir_failure 150m
#   ./run.sh d09_one_off_disk_jump 3h
#   ./run.sh k01_controlled_roll_with_ple 90m
#   ./run.sh k02_add_broker_then_decommission 90m
#   ./run.sh k03_quick_restart_controller_node 70m
#   ./run.sh k04_controller_node_restart_with_ple 80m
#   DEBUG=1 ./run.sh k05_fast_roll_slow_catch_up 60m
#   ./run.sh t01_seasonal_bursty_mixed_26h 26h
#   ./run.sh t01b_seasonal_bursty_mixed_fixed_26h 26h
#   ./run.sh t02_busy_day_start_warmup0 8h 0s
#   ./run.sh t02b_busy_day_start_warmup0_fixed 8h 0s
#   ./run.sh t03_steady_growth_22h 22h
#   ./run.sh t04_quiet_night_14h 14h
#   ./run.sh t04b_quiet_night_fixed_14h 14h
#   DEBUG=1 ./run.sh t05_batch_commit_30m_alone 14h
#   ./run.sh t05b_batch_commit_15m_alone 14h
#   ./run.sh t05c_batch_commit_30m_flat 14h
#   ./run.sh t05d_batch_commit_20m_morning 10h
#   DEBUG=1 ./run.sh t05e_batch_commit_12m_deep_seasons 24h
#   DEBUG=1 ./run.sh t06_hourly_cron_consumer 11h
#   ./run.sh t06b_two_hourly_etl_seed2120 13h
