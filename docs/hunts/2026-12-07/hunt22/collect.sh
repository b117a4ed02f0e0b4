#!/bin/bash
# collect.sh MUT...: copy each failing run's OUT (stdout) into hunt22/failing/MUT__FILE.out
H=/work/main/docs/hunts/2026-12-07/hunt22/failing
for m in "$@"; do for f in $(grep -l 'check: [0-9]* failed' /tmp/h22/runs/$m/*.out 2>/dev/null); do cp $f $H/${m}__$(basename $f); done; done
