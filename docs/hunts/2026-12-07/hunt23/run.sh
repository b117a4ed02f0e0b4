#!/bin/bash
# Runs every k*.toml (or the files given) judged, 2 at a time; outputs in /tmp/h23/runs/.
cd "$(dirname "$0")"; mkdir -p /tmp/h23/runs
one() { f=$1; n=${f%.toml}; /tmp/s/h23-bin soak --scenario "$f" --warm-up 10m --judge > /tmp/h23/runs/$n.out 2> /tmp/h23/runs/$n.err; echo "$n rc=$?"; }
export -f one
ls ${@:-k*.toml} | xargs -P2 -I{} bash -c 'one {}'
