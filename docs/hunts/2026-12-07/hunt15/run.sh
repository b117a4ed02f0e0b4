#!/bin/sh
# usage: ./run.sh NAME DURATION [WARMUP]   (from this folder; one soak at a time)
# notifications in out/NAME.txt; the debug log (ISRWATCH_LOG=debug, colour stripped, gzip) in out/NAME.debug.log.gz
n=$1; d=$2; w=${3:-10m}; bin=${BIN:-/tmp/s/w5-bin}
start=$(date +%s)
ISRWATCH_LOG=debug $bin soak --scenario $n.toml --warm-up $w --duration $d > out/$n.txt 2> out/$n.debug.raw
rc=$?
sed 's/\x1b\[[0-9;]*m//g' out/$n.debug.raw | gzip > out/$n.debug.log.gz; rm -f out/$n.debug.raw
echo "rc=$rc $n $d $(( $(date +%s) - start ))s" | tee -a runlog.txt
