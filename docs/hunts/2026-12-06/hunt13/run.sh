#!/bin/sh
# usage: run.sh NAME DURATION [WARMUP] [SUFFIX]   (from this folder; BIN=... for another binary; DEBUG=1 for a debug log)
# notifications in out/NAME[SUFFIX].txt (stderr, info level, in out/NAME[SUFFIX].err);
# with DEBUG=1 the debug log (ISRWATCH_LOG=debug, colour stripped, gzip) in out/NAME[SUFFIX].debug.log.gz
n=$1; d=$2; w=${3:-10m}; s=${4:-}; bin=${BIN:-/tmp/s/hunt13-bin}
start=$(date +%s)
if [ -n "$DEBUG" ]; then
  ISRWATCH_LOG=debug $bin soak --scenario $n.toml --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.debug.raw
  rc=$?
  sed 's/\x1b\[[0-9;]*m//g' out/$n$s.debug.raw | gzip > out/$n$s.debug.log.gz; rm -f out/$n$s.debug.raw
else
  $bin soak --scenario $n.toml --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.err
  rc=$?
fi
echo "rc=$rc $n$s $d $(( $(date +%s) - start ))s"

# Invocations: xargs -P 2 -L 1 ./run.sh < jobs.txt (first round), then jobs2.txt (variants, written after
# the first round), each line "NAME DURATION [WARMUP] [SUFFIX]".
# Rounds as run: jobs.txt without DEBUG (-P 2); jobs2.txt with DEBUG=1 (-P 2; the three ".dbg" lines rerun
# first-round files for their debug log); jobs3.txt and jobs4.txt with DEBUG=1 (-P 1 each, side by side);
# jobs5.txt with DEBUG=1 (-P 2); then alone, with DEBUG=1:
#   ./run.sh m10_day1_outage_and_replay_then_normal_day2 4d      (runlog6.txt)
#   ./run.sh m05d_daily_job_crashes_mid_run_day3 5d              (runlog7.txt)
# The sweep: see sweep.sh; plus, without --judge:
#   /tmp/s/hunt13-bin soak --scenario /work/main/tests/scenarios/healthy_seasonal_bursty.toml --warm-up 10m --duration 4d
