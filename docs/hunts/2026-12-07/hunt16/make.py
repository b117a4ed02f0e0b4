#!/usr/bin/env python3
"""Writes hunt 16's files. Each file = header (expectation, written before its run) + gen.cluster(...) + events."""
import sys
from gen import cluster

def write(name, header, events="", **kw):
    body, info = cluster(**kw)
    head = "".join("# " + l + "\n" if l else "#\n" for l in header.strip("\n").split("\n"))
    stats = f"# Shape (gen.py): {info['topics']} topics, {info['partitions']} partitions, {info['groups']} groups.\n"
    open(name + ".toml", "w").write(head + stats + body + events)
    return info

HEALTHY = """{title}
Healthy, untuned, varied cluster written by gen.py (seed {seed}): {brokers} brokers, streaming topics with a daily
cycle (seasonality 0.4-0.85, noise), ~60 CDC topics of 1-8 msg/s, hourly batch loads (3-8 min at 4-6x), bursty topics
(30-s spikes of 3-8x about every 15 min), idle topics (rate 0) and rare ones (0.02 msg/s); 58 groups: Streams apps
committing every 1 s, services every 5 s, sinks every 60 s, CDC sinks 10-30 s, batch loaders (headroom 2.5-3.5 against
4-6x loads: lag grows during each load and is worked off in minutes), alerting consumers on the bursty topics,
idle-topic and rare-topic readers. Every consumer's headroom exceeds its topic's daily peak (1 + seasonality).
EXPECTATION (written before running): nothing at all for the whole run. In particular no consumer_lag for the
loaders during batch loads or for 60-s committers, no STALL/STOP for idle- or rare-topic readers, no anomaly for
the daily cycle, the night trough or the bursts (a young batch topic's first load may be told as an unusual
produce rate, as tests/scenarios/long/batch_jobs_absorbed.toml allows; I would count that as noise: a healthy
cluster of 15 batch topics should not say 15 things on its first hour), no leader_imbalance from the periodic
preferred elections, no isr_churn, no controller/quorum findings."""

TIGHT = """{title}
Healthy but UNTUNED variant of a01's shape (gen.py seed {seed}, tight=True, rf_mix=True, scale {scale}): {brokers} brokers,
{era}, start at {start:02d}:00 UTC. Differences from a01: every consumer's headroom is only 0.25-0.6 above its topic's
daily peak (1 + seasonality), so at the peak hour with noise some consumers barely keep up and their lag breathes with
the noise; Streams apps start 10, 100 or 5,000 messages per partition behind and work it off slowly; four
checkpointing sinks commit every 2 or 5 minutes; CDC topics are RF 2 with min ISR 1, a few "scratch" topics RF 1
(min ISR 1): at min ISR by design, never under it.
EXPECTATION (written before running): nothing at all for the whole run: no consumer_lag (lag that breathes at the
peak and drains every evening is not a consumer falling behind; 5,000 worked off slowly is catching up, not
lagging), no STALL for the 2- and 5-min committers after the first few minutes of learning (at most one start-up
STALL per checkpoint sink, resolved, is the known start-up behaviour; I count it), no at_min_isr / under_min_isr
for RF-2 / RF-1 topics, no anomaly on the daily cycle, the quiet nights or the bursts, no controller findings."""
