#!/bin/bash
# Fault hunt 20 serial runner. usage: run.sh INDEX.tsv (label<TAB>toml path)
# Starts no soak at/after 17:20 UTC; kills any soak at 17:25 UTC (timeout).
# Appends label,rc,wall_s to /tmp/h20/results_raw.csv; outputs in /tmp/h20/out/
BIN=/tmp/s/base26-bin
while IFS=$'\t' read -r label path; do
  [ "$(date -u +%H%M)" -ge 1720 ] && { echo "deadline, stop" >&2; break; }
  [ -f /tmp/h20/STOP ] && break
  grep -q "^$label," /tmp/h20/results_raw.csv 2>/dev/null && continue
  out="/tmp/h20/out/$label"
  left=$(( $(date -u -d '17:25' +%s) - $(date -u +%s) ))
  s=$(date +%s.%N)
  timeout -s KILL $left $BIN soak --scenario "$path" --warm-up 10m --judge > "$out.txt" 2> "$out.err" < /dev/null
  rc=$?
  w=$(python3 -c "print(round($(date +%s.%N)-$s,1))")
  echo "$label,$rc,$w" >> /tmp/h20/results_raw.csv
done < "$1"
