#!/usr/bin/env python3
"""Fault hunt 18: apply one parameter mutation to a shipped scenario file.

Line-based (no TOML writer is installed): tracks the current table header and
rewrites or inserts single `key = value` lines, so comments and layout stay.
Every mutated file is re-read with tomllib to check it is still valid TOML.

usage: mutate.py MUTATION IN.toml OUT.toml   -> exit 0 written, 3 not applicable
mutations: kraft, hour2, hour20, fbid0, brokers3, rate02, rate5, commit30,
           minisr2, seed101, seed202
"""
import re
import sys
import tomllib

KRAFT_ONLY_ACTIONS = {"voter_lag", "voter_down", "decommission"}
KRAFT_ONLY_KINDS = {"quorum_lag", "quorum_degraded"}


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


def mutate(mut, src):
    data = tomllib.loads(src)
    cl = data["cluster"]
    lines = src.split("\n")
    topics = cl.get("topics", [])
    groups = cl.get("groups", [])
    events = data.get("events", [])
    expects = data.get("expect", [])
    if mut == "kraft":
        acts = {e["action"] for e in events}
        kinds = {e["kind"] for e in expects} | {a["kind"] for a in data.get("allow", [])}
        if acts & KRAFT_ONLY_ACTIONS or kinds & KRAFT_ONLY_KINDS:
            raise NotApplicable("needs KRaft: " + ",".join(sorted((acts & KRAFT_ONLY_ACTIONS) | (kinds & KRAFT_ONLY_KINDS))))
        newv = "false" if cl.get("kraft", True) else "true"
        set_key(lines, "cluster", "kraft", lambda v: newv, insert_value=newv)
    elif mut in ("hour2", "hour20"):
        h = "2.0" if mut == "hour2" else "20.0"
        set_key(lines, "cluster", "start_hour", lambda v: h, insert_value=h)
    elif mut == "fbid0":
        if "first_broker_id" in cl:
            raise NotApplicable("sets first_broker_id")
        set_key(lines, "cluster", "first_broker_id", lambda v: "0", insert_value="0")
        set_key(lines, "cluster.topics", "replicas", lambda v: shift_ints(v, -1))
        for k in ("broker", "to", "replicas"):
            set_key(lines, "events", k, lambda v: shift_ints(v, -1))
        set_key(lines, "expect", "broker", lambda v: shift_ints(v, -1))
        set_key(lines, "allow", "broker", lambda v: shift_ints(v, -1))
    elif mut == "brokers3":
        set_key(lines, "cluster", "brokers", lambda v: str(int(v) + 3))
    elif mut in ("rate02", "rate5"):
        f = 0.2 if mut == "rate02" else 5.0
        # every topic gets an explicit rate (default 10.0)
        set_key(lines, "cluster.topics", "rate",
                lambda v: repr(round(float(v) * f, 6)), insert_value=repr(10.0 * f))
    elif mut == "commit30":
        if not groups:
            raise NotApplicable("no groups")
        set_key(lines, "cluster.groups", "commit_interval", lambda v: '"30s"', insert_value='"30s"')
    elif mut == "minisr2":
        if cl.get("min_insync_replicas", 1) != 1:
            raise NotApplicable("min_insync_replicas already %s" % cl["min_insync_replicas"])
        rfs = [len(t["replicas"][0]) if "replicas" in t else t.get("replication_factor", 3) for t in topics]
        if any(rf < 3 for rf in rfs):
            raise NotApplicable("a topic has RF < 3")
        set_key(lines, "cluster", "min_insync_replicas", lambda v: "2", insert_value="2")
    elif mut in ("seed101", "seed202"):
        d = 101 if mut == "seed101" else 202
        set_key(lines, "cluster", "seed", lambda v: str(int(v) + d), insert_value=str(d))
    else:
        raise SystemExit("unknown mutation " + mut)
    out = "\n".join(lines)
    new = tomllib.loads(out)  # still valid TOML
    # sanity: fbid0 keeps the same number of broker references
    if mut == "fbid0":
        assert new["cluster"]["first_broker_id"] == 0
    return out


def main():
    mut, inp, outp = sys.argv[1:4]
    src = open(inp).read()
    try:
        out = mutate(mut, src)
    except NotApplicable as e:
        print(f"n/a {mut} {inp}: {e}")
        sys.exit(3)
    hdr = f"# hunt18 mutation {mut} of {inp.split('tests/scenarios/')[-1]}\n"
    open(outp, "w").write(hdr + out)


if __name__ == "__main__":
    main()
