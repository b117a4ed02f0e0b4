#!/bin/sh
# usage: run.sh NAME DURATION [WARMUP] [SUFFIX] [SCENARIO]
n=$1; d=$2; w=${3:-10m}; s=${4:-}; f=${5:-$n.toml}
/tmp/s/hunt10-bin soak --scenario $f --warm-up $w --duration $d > out/$n$s.txt 2> out/$n$s.err
echo "rc=$? $n$s"
