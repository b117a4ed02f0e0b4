#!/bin/sh
# usage: run.sh NAME DURATION [WARMUP] [SUFFIX]   (from this folder; BIN=... to use another binary)
# notifications in out/NAME[SUFFIX].txt; the debug log (ISRWATCH_LOG=debug, colour stripped, gzip) in out/NAME[SUFFIX].debug.log.gz
n=$1; d=$2; w=${3:-10m}; s=${4:-}; bin=${BIN:-/tmp/s/hunt12-bin}
ISRWATCH_LOG=debug $bin soak --scenario $n.toml --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.debug.raw
rc=$?
sed 's/\x1b\[[0-9;]*m//g' out/$n$s.debug.raw | gzip > out/$n$s.debug.log.gz; rm -f out/$n$s.debug.raw
echo "rc=$rc $n$s"

# Invocations (xargs -P 2 -L 1 ./run.sh < jobs.txt; then jobs2.txt), each line "NAME DURATION [WARMUP]":
#   see jobs.txt (first round) and jobs2.txt (variants and regressions, written after the first round ran)
# Comparisons with hunt 11's binary (before b62153a):
#   BIN=/tmp/s/hunt11-bin ./run.sh d01_fill_pause_10m 3h 10m .hunt11bin
#   BIN=/tmp/s/hunt11-bin ./run.sh d03_stair_fill 3h 10m .hunt11bin
