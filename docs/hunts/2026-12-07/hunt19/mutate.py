#!/usr/bin/env python3
"""Fault hunt 19: apply one knob mutation to a shipped scenario file.

Line-based (set_key/sections taken from hunt18/mutate.py): rewrites or inserts
single `key = value` lines; every output is re-read with tomllib.

usage: mutate.py MUTATION IN.toml OUT.toml   -> exit 0 written, 3 not applicable
mutations: K1 (replica_lag_time_max 10s), K1b (60s), K2 (leader_rebalance_interval
300s), K2b (auto_leader_rebalance false), K3 (broker_catch_up 2m), K4 (partitions x4),
K5 (members 1), K5b (members 8), K6 (headroom 1.3 where unset), K7 (noise 0.4),
K7b (seasonality 0.0), K8 (unclean_leader_election true)
"""
import re
import sys
import tomllib

class NotApplicable(Exception):
    pass


def sections(lines):
    """Yield (index, section) where section is '' (top), 'cluster',
    'cluster.topics', 'cluster.groups', 'events', 'expect', 'allow'."""
    sec = ""
    for i, line in enumerate(lines):
        m = re.match(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?", line)
        if m:
            sec = m.group(1)
        yield i, sec, bool(m)


KEY_RE = r"^(\s*{key}\s*=\s*)([^#\n]*?)(\s*(#.*)?)$"


def set_key(lines, section, key, fn, insert_value=None, every=True):
    """Rewrite `key` in every table of `section` with fn(old_value_text).
    When a table lacks the key and insert_value is given, insert it after
    the header. Returns number of changes."""
    out = []
    changed = 0
    # group lines by table instance
    tables = []  # (header_index, [line indices])
    cur = None
    for i, sec, is_header in sections(lines):
        if is_header:
            cur = [i, sec, []]
            tables.append(cur)
        elif cur is None:
            pass
        else:
            cur[2].append(i)
    new = list(lines)
    inserts = {}
    for hdr, sec, idxs in tables:
        if sec != section:
            continue
        found = False
        for i in idxs:
            m = re.match(KEY_RE.format(key=re.escape(key)), new[i])
            if m:
                found = True
                nv = fn(m.group(2).strip())
                if nv is not None:
                    new[i] = f"{m.group(1)}{nv}{m.group(3)}"
                    changed += 1
        if not found and insert_value is not None:
            inserts[hdr] = f"{key} = {insert_value}"
            changed += 1
    res = []
    for i, line in enumerate(new):
        res.append(line)
        if i in inserts:
            res.append(inserts[i])
    lines[:] = res
    return changed


def shift_ints(text, d):
    return re.sub(r"-?\d+", lambda m: str(int(m.group(0)) + d), text)



def dur_s(v):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", v)
    return float(m.group(1)) * {"ms": .001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def mutate(mut, src):
    data = tomllib.loads(src)
    cl = data["cluster"]
    lines = src.split("\n")
    topics = cl.get("topics", [])
    groups = cl.get("groups", [])
    events = data.get("events", [])
    expects = data.get("expect", []) + data.get("allow", [])
    def cluster_key(key, val, default, same):
        cur = cl.get(key, default)
        if same(cur):
            raise NotApplicable(f"{key} already {cur!r}")
        set_key(lines, "cluster", key, lambda v: val, insert_value=val)
    if mut in ("K1", "K1b"):
        s = "10s" if mut == "K1" else "60s"
        cluster_key("replica_lag_time_max", f'"{s}"', "30s", lambda c: dur_s(c) == dur_s(s))
    elif mut == "K2":
        cluster_key("leader_rebalance_interval", '"300s"', "300s", lambda c: dur_s(c) == 300)
    elif mut == "K2b":
        cluster_key("auto_leader_rebalance", "false", True, lambda c: c is False)
    elif mut == "K3":
        cluster_key("broker_catch_up", '"2m"', "5s", lambda c: dur_s(c) == 120)
    elif mut == "K8":
        cluster_key("unclean_leader_election", "true", False, lambda c: c is True)
    elif mut == "K4":
        acts = {e["action"] for e in events}
        bad = acts & {"reassign", "partitions_add"}
        if bad:
            raise NotApplicable("events " + ",".join(sorted(bad)))
        if any("partition" in e for e in events + expects):
            raise NotApplicable("names a partition")
        set_key(lines, "cluster.topics", "partitions", lambda v: str(int(v) * 4))
        def rep(v):
            inner = v.strip()[1:-1].strip()
            return "[" + ", ".join([inner] * 4) + "]"
        set_key(lines, "cluster.topics", "replicas", rep)
    elif mut in ("K5", "K5b"):
        n = 1 if mut == "K5" else 8
        if not groups:
            raise NotApplicable("no groups")
        if all(g.get("members", 2) == n for g in groups):
            raise NotApplicable(f"members already {n}")
        set_key(lines, "cluster.groups", "members", lambda v: str(n), insert_value=str(n))
    elif mut == "K6":
        if not any("headroom" not in g for g in groups):
            raise NotApplicable("every group sets headroom" if groups else "no groups")
        set_key(lines, "cluster.groups", "headroom", lambda v: None, insert_value="1.3")
    elif mut in ("K7", "K7b"):
        key, val, dflt = ("noise", 0.4, 0.1) if mut == "K7" else ("seasonality", 0.0, 0.3)
        if all(t.get(key, dflt) == val for t in topics):
            raise NotApplicable(f"{key} already {val}")
        set_key(lines, "cluster.topics", key, lambda v: repr(val), insert_value=repr(val))
    else:
        raise SystemExit("unknown mutation " + mut)
    out = "\n".join(lines)
    new = tomllib.loads(out)
    if mut == "K4":
        for t0, t1 in zip(topics, new["cluster"]["topics"]):
            assert t1["partitions"] == 4 * t0["partitions"]
            if "replicas" in t0:
                assert len(t1["replicas"]) == t1["partitions"], t1["name"]
    if mut == "K6":
        assert all(g.get("headroom") == 1.3 for g0, g in zip(groups, new["cluster"]["groups"]) if "headroom" not in g0)
    return out


def main():
    mut, inp, outp = sys.argv[1:4]
    src = open(inp).read()
    try:
        out = mutate(mut, src)
    except NotApplicable as e:
        print(f"n/a {mut} {inp.split('tests/scenarios/')[-1]}: {e}")
        sys.exit(3)
    hdr = f"# hunt19 mutation {mut} of {inp.split('tests/scenarios/')[-1]}\n"
    open(outp, "w").write(hdr + out)


if __name__ == "__main__":
    main()
