"""Hunt 17 helpers: scenario = a hunt16 healthy body (unchanged) + extra topics/groups + lifecycle events."""
H16 = "../hunt16/"
A01 = "a01_healthy_8b_seed1601_24h"
A02 = "a02_healthy_untuned_12b_zk_seed1602_48h"
A03 = "a03_healthy_untuned_10b_kraft_seed1603_48h"
def body(src, seed=None):
    t = open(H16 + src + ".toml").read()
    i = t.index("[cluster]")
    shape = [l for l in t[:i].split("\n") if l.startswith("# Shape")][0]
    b = t[i:]
    if seed is not None:
        import re
        b = re.sub(r"^seed = \d+", f"seed = {seed}", b, count=1, flags=re.M)
        shape += f" (simulator seed changed to {seed})"
    return shape + "\n# Body: the cluster of ../hunt16/" + src + ".toml" , b
def tbl(_kind, **kw):
    s = f"\n[[{_kind}]]\n"
    for k, v in kw.items():
        if isinstance(v, bool): v = "true" if v else "false"
        elif isinstance(v, str): v = '"' + v + '"'
        elif isinstance(v, list): v = "[" + ", ".join(('"'+x+'"') if isinstance(x, str) else str(x) for x in v) + "]"
        s += f"{k} = {v}\n"
    return s
def topic(**kw): return tbl("cluster.topics", **kw)
def group(**kw): return tbl("cluster.groups", **kw)
def ev(at, action, **kw): return tbl("events", at=at, action=action, **kw)
def expect(**kw): return tbl("expect", **kw)
def write(name, src, header, extra="", events="", seed=None):
    shape, b = body(src, seed)
    head = "".join("# " + l + "\n" if l else "#\n" for l in header.strip("\n").split("\n"))
    open(name + ".toml", "w").write(head + shape + ", plus the topics/groups/events below.\n" + b.rstrip("\n") + "\n\n# ---- hunt 17 additions ----\n" + extra + events)
