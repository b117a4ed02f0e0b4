#!/bin/sh
# usage: ./summ.sh NAME: the notifications, then each (kind, severity, subject) finding run from the debug log
sed 1,2d out/$1.txt
zcat out/$1.debug.log.gz | grep "finding at" | sed 's/.*finding at=\([0-9]*\)s kind="\([a-z_]*\)" severity=\([A-Za-z]*\) subject=\(.*\) why=.*/\1|\2 \3 \4/' | sort -t'|' -k2,2 -s | awk -F'|' '{k=$2; if(k!=prev || $1-last>15){ if(prev!="") print "  finding " first"-"last, prev; first=$1; prev=k} last=$1} END{if(prev!="") print "  finding " first"-"last, prev}'
