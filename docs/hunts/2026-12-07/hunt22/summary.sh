#!/bin/bash
# summary.sh MUT...: pass/fail counts from the .out files
for m in "$@"; do d=/tmp/h22/runs/$m; [ -d $d ] || continue
 p=$(grep -l 'check: passed' $d/*.out 2>/dev/null | wc -l); f=$(grep -l 'check: [0-9]* failed' $d/*.out 2>/dev/null | wc -l)
 echo "$m: pass $p fail $f  [$(grep -l 'check: [0-9]* failed' $d/*.out 2>/dev/null | xargs -n1 basename 2>/dev/null | sed 's/.out//' | tr '\n' ' ')]"; done
