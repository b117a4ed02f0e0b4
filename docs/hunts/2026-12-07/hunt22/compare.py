#!/usr/bin/env python3
"""compare.py RUN [FILE...]: each file's notifications under RUN against the baseline run.
Prints failures (judge lines) and the notification lines side by side when they differ."""
import re, sys, os
R='/tmp/h22/runs'
def notes(path):
    out=[];fails=[]
    if not os.path.exists(path): return None,None
    for l in open(path):
        m=re.match(r'\s+\[\s*([\d.]+)s\] (\S+)\s+(.*)',l)
        if m: out.append((float(m.group(1)),m.group(2),m.group(3).strip()))
        elif l.startswith('  ') and ('line ' in l or 'unexpected' in l or 'incident' in l or 'never' in l): fails.append(l.rstrip())
    return out,fails
run=sys.argv[1]
import glob
rc={}
for p in glob.glob(f'{R}/{run}/*.out'):
    n=os.path.basename(p)[:-4]; t=open(p).read()
    rc[n]='0' if 'check: passed' in t else ('1' if 'check:' in t else 'incomplete')
files=sys.argv[2:] or sorted(rc)
for n in files:
    b,_=notes(f'{R}/base/{n}.out'); m,f=notes(f'{R}/{run}/{n}.out')
    if m is None: print(f'== {n}: no output'); continue
    sig=lambda L:[(r,re.sub(r'\d+ partitions?','N partitions',t)) for _,r,t in L]
    same = sig(b)==sig(m)
    shift = max([abs(x[0]-y[0]) for x,y in zip(b,m)] or [0]) if same else None
    if rc[n]=='0' and same:
        if shift and shift>0: print(f'== {n}: pass, same notifications, max shift {shift:.0f}s')
        continue
    print(f'== {n}: rc={rc[n]} {"same sequence" if same else "DIFFERENT"}')
    for x in f: print('   JUDGE', x.strip())
    print('   base:'); [print(f'     [{t:7.0f}] {r:12} {ti}') for t,r,ti in b]
    print(f'   {run}:'); [print(f'     [{t:7.0f}] {r:12} {ti}') for t,r,ti in m]
