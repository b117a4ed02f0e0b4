#!/bin/bash
# Fault hunt 21 runner: one variant per call. usage: run.sh LABEL PATH
# Starts no soak at/after 17:22 UTC; any soak is killed at 17:27 UTC.
# Appends label,rc,wall_s to /tmp/h21/results_raw.csv; outputs in /tmp/h21/out/
BIN=/tmp/s/w26c-bin
label=$1; path=$2
[ "$(date -u +%H%M)" -ge 1722 ] && exit 0
[ -f /tmp/h21/STOP ] && exit 0
grep -q "^$label," /tmp/h21/results_raw.csv 2>/dev/null && exit 0
out="/tmp/h21/out/$label"
left=$(( $(date -u -d '17:27' +%s) - $(date -u +%s) ))
s=$(date +%s.%N)
timeout -s KILL $left $BIN soak --scenario "$path" --warm-up 10m --judge > "$out.txt" 2> "$out.err" < /dev/null
rc=$?
w=$(python3 -c "print(round($(date +%s.%N)-$s,1))")
echo "$label,$rc,$w" >> /tmp/h21/results_raw.csv
