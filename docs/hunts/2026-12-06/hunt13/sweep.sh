#!/bin/sh
# usage: sweep.sh FILE WARMUP   (from this folder): one of the shipped scenario files, judged closed-world
# (--judge) after WARMUP of a healthy cluster instead of the usual 10 min. Output in out/sweepWARMUP/NAME.txt.
f=$1; w=$2; n=$(basename $f .toml); d=out/sweep$w; mkdir -p $d
start=$(date +%s)
/tmp/s/hunt13-bin soak --scenario $f --warm-up $w --judge > $d/$n.txt 2> $d/$n.err
rc=$?
echo "rc=$rc $n $(( $(date +%s) - start ))s"
# Invocation: ls /work/main/tests/scenarios/*.toml /work/main/tests/scenarios/long/*.toml | sed 's/$/ 81h/' | xargs -P 2 -L 1 ./sweep.sh
