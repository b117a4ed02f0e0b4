#!/bin/bash
# usage: ./run.sh NAME DURATION   (one soak at a time)
# WARMUP (default 10m) overrides --warm-up; ISRWATCH_LOG=debug; notifications (stdout) -> out/NAME.txt; debug log (colour stripped) -> out/NAME.debug.log.gz
cd "$(dirname "$0")"
N=$1; D=$2
s=$(date +%s)
ISRWATCH_LOG=${LOGLEVEL:-debug} /tmp/s/base23-bin soak --scenario "$N.toml" --warm-up ${WARMUP:-10m} --duration "$D" >"out/$N.txt" 2> >(sed 's/\x1b\[[0-9;]*m//g' | gzip -c >"out/$N.debug.log.gz")
rc=$?
e=$(date +%s)
echo "$N D=$D rc=$rc wall=$((e-s))s $(date -u +%H:%M)" >>runlog.txt
echo "$N D=$D rc=$rc wall=$((e-s))s"
