#!/usr/bin/env python3
"""Fault hunt 20: sweep the DURATION of one fault of a shipped scenario.

Block-based: the file is split at table headers. For each swept event the
`duration = ...` line is removed and an explicit recovery event
(id = "rec_<event id>", at = fault at + D) is appended, so the judge's rule 5
(no resolve while the fault lasts) applies through a *named* recovery. A file
whose recovery is already a separate event gets that event's `at` moved.
Expectations tied to the swept fault are rewritten by class:
  none  -> the [[expect]] is removed, nothing allowed: the fault must raise nothing
  maybe -> the [[expect]] becomes an [[allow]] of the same kind and subject
  once  -> the [[expect]] stays, with recovery = the (named) recovery event
Every output is re-read with tomllib.

usage: mutate.py VARIANTS.tsv OUTDIR   (writes OUTDIR/<label>.toml and OUTDIR/index.tsv)
VARIANTS.tsv lines: label<TAB>src path<TAB>evid=D[,evid=D]<TAB>class[,class per expect index]
Reassignment variants use evid=rate:R (the reassign's copy rate).
"""
import re, sys, tomllib

RECOVERY = {
    "broker_down": "broker_up", "controlled_shutdown": "broker_up",
    "slow_follower": "recover_follower", "network_partition": "heal_partition",
    "consumer_stall": "consumer_recover", "consumer_stop": "consumer_recover",
    "consumer_slowdown": "consumer_recover", "consumer_rebalance": "consumer_recover",
    "log_dir_failure": "log_dir_recover", "voter_lag": "voter_recover",
    "voter_down": "voter_recover", "traffic_stop": "traffic_normal",
    "traffic_spike": "traffic_normal", "leader_imbalance": "leader_rebalance", "disk_fill": "disk_free",
}
SUBJ = {"broker_up": ["broker"], "recover_follower": ["broker"], "heal_partition": ["broker"],
        "consumer_recover": ["group"], "log_dir_recover": ["broker"], "voter_recover": ["broker"],
        "traffic_normal": ["topic"], "leader_rebalance": [], "disk_free": ["broker"]}


def secs(s):
    total = 0.0
    for n, u in re.findall(r"([\d.]+)(ms|s|m|h|d)", s):
        total += float(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[u]
    return total


def fmt(x):
    return f"{int(x)}s" if x == int(x) else f"{int(x*1000)}ms"


def blocks(text):
    out, cur = [], {"hdr": None, "lines": []}
    for line in text.splitlines():
        m = re.match(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?\s*(#.*)?$", line)
        if m:
            out.append(cur)
            cur = {"hdr": m.group(1), "lines": [line]}
        else:
            cur["lines"].append(line)
    out.append(cur)
    return out


def get(b, key):
    for l in b["lines"]:
        m = re.match(rf"^\s*{key}\s*=\s*(.*?)\s*(#.*)?$", l)
        if m:
            return m.group(1)
    return None


def drop(b, key):
    b["lines"] = [l for l in b["lines"] if not re.match(rf"^\s*{key}\s*=", l)]


def setk(b, key, val):
    for i, l in enumerate(b["lines"]):
        if re.match(rf"^\s*{key}\s*=", l):
            b["lines"][i] = f"{key} = {val}"
            return
    # insert after header
    b["lines"].insert(1, f"{key} = {val}")


def unq(v):
    return v.strip().strip('"') if v else v


def mutate(text, durs, classes):
    bl = blocks(text)
    events = [b for b in bl if b["hdr"] == "events"]
    first_id = unq(get(events[0], "id")) if events else None
    appended = []
    rec_of = {}
    for evid, val in durs.items():
        if evid == "settle":
            top = bl[0]
            drop(top, "settle")
            top["lines"].insert(0, f'settle = "{val}"')
            continue
        ev = next(b for b in events if unq(get(b, "id")) == evid)
        if val.startswith("rate:"):
            setk(ev, "rate", val[5:])
            continue
        D = secs(val)
        at = secs(unq(get(ev, "at")))
        action = unq(get(ev, "action"))
        sep = [b for b in events if unq(get(b, "action")) == RECOVERY.get(action)
               and all(get(b, k) == get(ev, k) for k in SUBJ[RECOVERY[action]])
               and secs(unq(get(b, "at"))) > at and get(ev, "duration") is None]
        if sep:
            setk(sep[0], "at", f'"{fmt(at + D)}"')
            rec_of[evid] = unq(get(sep[0], "id"))
            continue
        drop(ev, "duration")
        rid = f"rec_{evid}"
        rec = {"hdr": "events", "lines": ["[[events]]", f'id = "{rid}"', f'at = "{fmt(at + D)}"',
                                          f'action = "{RECOVERY[action]}"']}
        for k in SUBJ[RECOVERY[action]]:
            if get(ev, k) is not None:
                rec["lines"].append(f"{k} = {get(ev, k)}")
        rec["lines"].append("")
        appended.append(rec)
        rec_of[evid] = rid
    out = []
    ei = 0
    for b in bl:
        if b["hdr"] == "expect":
            after = unq(get(b, "after")) or first_id
            cls = classes[min(ei, len(classes) - 1)]
            ei += 1
            if after in durs:
                if cls == "none":
                    continue
                if cls == "maybe":
                    nb = {"hdr": "allow", "lines": ["[[allow]]", f"kind = {get(b, 'kind')}"]}
                    for k in ("broker", "group", "topic"):
                        if get(b, k) is not None:
                            nb["lines"].append(f"{k} = {get(b, k)}")
                    nb["lines"].append('reason = "hunt20: fault duration near its threshold, raising is optional"')
                    nb["lines"].append("")
                    out.append(nb)
                    continue
                if after in rec_of and get(b, "recovery") is None:
                    setk(b, "recovery", f'"{rec_of[after]}"')
        out.append(b)
    out += appended
    return "\n".join(l for b in out for l in b["lines"]) + "\n"


def main():
    vfile, outdir = sys.argv[1], sys.argv[2]
    idx = open(f"{outdir}/index.tsv", "a")
    for line in open(vfile):
        if not line.strip() or line.startswith("#"):
            continue
        label, src, d, cls = line.rstrip("\n").split("\t")[:4]
        durs = dict(x.split("=", 1) for x in d.split(","))
        durs = dict(sorted(durs.items(), key=lambda kv: kv[0] != "settle"))
        text = mutate(open(src).read(), durs, cls.split(","))
        tomllib.loads(text)
        p = f"{outdir}/{label}.toml"
        open(p, "w").write(text)
        idx.write(f"{label}\t{p}\n")


if __name__ == "__main__":
    main()
