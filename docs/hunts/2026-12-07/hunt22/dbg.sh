#!/bin/bash
# dbg.sh CFGNAME SCENARIO-PATH TAG: a debug rerun taking one of the 2 slots
touch /tmp/h22/pause
while [ $(pgrep -c -f '^/tmp/s/h22-bin soak') -ge 2 ]; do sleep 1; done
c=/tmp/h22/cfg/$1.toml; [ "$1" = base ] && c=/tmp/h22/base.toml
ISRWATCH_LOG=isrwatch=debug /tmp/s/h22-bin soak --scenario $2 --warm-up 10m --judge -c $c > /tmp/h22/dbg/$3.out 2> /tmp/h22/dbg/$3.err.raw
rm -f /tmp/h22/pause
sed 's/\x1b\[[0-9;]*m//g' /tmp/h22/dbg/$3.err.raw > /tmp/h22/dbg/$3.err; rm /tmp/h22/dbg/$3.err.raw
