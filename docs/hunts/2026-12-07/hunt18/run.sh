#!/bin/bash
# usage: run.sh LISTFILE  (lines: label<TAB>mutation<TAB>path<TAB>outdir)
# appends to /tmp/h18/results.csv : file,mutation,rc,wall_s,failures
while IFS=$'\t' read -r label mut path outdir; do
  now=$(date -u +%H%M); if [ "$now" -ge 1405 ]; then echo "deadline, stop" >&2; break; fi
  mkdir -p "$outdir"
  out="$outdir/${label}__${mut}"
  s=$(date +%s.%N)
  timeout 900 /tmp/s/base25-bin soak --scenario "$path" --warm-up 10m --judge > "$out.txt" 2> "$out.err" < /dev/null
  rc=$?
  e=$(date +%s.%N)
  w=$(python3 -c "print(round($e-$s,1))")
  nf=$(grep -cE '^\s*(FAIL|fail|- )' "$out.txt")
  echo "$label,$mut,$rc,$w,$nf" >> /tmp/h18/results.csv
done < "$1"
