#!/bin/bash
# usage: run.sh LISTFILE  (lines: label<TAB>mutation<TAB>path)
# serial runner; starts no soak at/after 14:24 UTC, kills any soak at 14:27 UTC.
# appends to /tmp/h19/results.csv : label,mutation,rc,wall_s
while IFS=$'\t' read -r label mut path; do
  now=$(date -u +%H%M); if [ "$now" -ge 1424 ]; then echo "deadline, stop" >&2; break; fi
  [ -f /tmp/h19/STOP ] && break
  out="/tmp/h19/out/${label}__${mut}"
  s=$(date +%s.%N)
  left=$(( $(date -u -d '14:27' +%s) - $(date -u +%s) ))
  timeout -s KILL $left /tmp/s/w4-bin soak --scenario "$path" --warm-up 10m --judge > "$out.txt" 2> "$out.err" < /dev/null
  rc=$?
  e=$(date +%s.%N)
  w=$(python3 -c "print(round($e-$s,1))")
  echo "$label,$mut,$rc,$w" >> /tmp/h19/results.csv
done < "$1"
