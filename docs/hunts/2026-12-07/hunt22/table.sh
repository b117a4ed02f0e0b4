#!/bin/bash
# table.sh: the results table (mutation x pass/fail/not run) from the .out files
echo "| mutation | run | pass | fail | not run | failing files |"
echo "|---|---|---|---|---|---|"
for m in base P30 P60 P5 URP1m BD30 H30s H10m FT0 FT2 FQ5m FW5m RN30m LI2m DE0; do d=/tmp/h22/runs/$m
 p=$(grep -l 'check: passed' $d/*.out 2>/dev/null | wc -l); f=$(grep -l 'check: [0-9]* failed' $d/*.out 2>/dev/null | wc -l)
 list=$(grep -l 'check: [0-9]* failed' $d/*.out 2>/dev/null | xargs -rn1 basename | sed 's/.out//' | tr '\n' ' ')
 echo "| $m | $((p+f)) | $p | $f | $((51-p-f)) | $list |"; done
