#!/bin/bash
# usage: ./run.sh NAME DURATION   (one soak at a time). Notifications -> out/NAME.txt, info log -> out/NAME.log.gz
cd "$(dirname "$0")"
N=$1; D=$2
s=$(date +%s)
ISRWATCH_LOG=${LOGLEVEL:-info} /tmp/s/hunt17/isrwatch soak --scenario "$N.toml" --warm-up ${WARMUP:-10m} --duration "$D" >"out/$N.txt" 2> >(sed 's/\x1b\[[0-9;]*m//g' | gzip -c >"out/$N.log.gz")
rc=$?
e=$(date +%s)
echo "$N D=$D rc=$rc wall=$((e-s))s $(date -u +%H:%M)" >>runlog.txt
echo "$N D=$D rc=$rc wall=$((e-s))s"
grep -E '^\s*\[' "out/$N.txt" | head -40; grep -E 'firing at the end|notifications:' "out/$N.txt"
