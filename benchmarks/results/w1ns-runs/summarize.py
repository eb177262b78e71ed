"""Per-repetition ratios to the C floor of the same repetition, pooled over the runs of each side."""
import json, sys, glob, statistics as st, collections
tag = sys.argv[1]
pool = collections.defaultdict(list)
for f in sorted(glob.glob(f"/tmp/w1ns/res/{tag}-*.json")):
    side = "main" if "-base-" in f else "branch"
    d = json.load(open(f))
    for c in d["cases"]:
        fl = c["impls"].get("C floor")
        if not fl: continue
        for name, r in c["impls"].items():
            if name == "C floor": continue
            for k, (a, b) in enumerate(zip(r["runs"], fl["runs"])):
                pool[(c["case"], name, side, "wall")].append(a["wall"] / b["wall"])
                pool[(c["case"], name, side, "cpu")].append((a["user"] + a["sys"]) / max(1e-9, b["user"] + b["sys"]))
                pool[(c["case"], name, side, "cpu_ms")].append((a["user"] + a["sys"]) * 1e3)
                pool[(c["case"], name, side, "user_ms")].append(a["user"] * 1e3)
            for k, (a, b) in enumerate(zip(r.get("teardown", []), fl.get("teardown", []))):
                pool[(c["case"], name, side, "td_wall")].append(a["wall"] / b["wall"])
                pool[(c["case"], name, side, "td_cpu")].append((a["user"] + a["sys"]) / max(1e-9, b["user"] + b["sys"]))
print(f"| case | impl | side | n | wall × floor min/med/max | CPU × floor min/med/max | user ms med | teardown calls × floor min/med/max |")
print("|---|---|---|---|---|---|---|---|")
keys = sorted({k[:3] for k in pool})
for case, name, side in keys:
    def f(m, scale=1):
        xs = pool.get((case, name, side, m))
        return "—" if not xs else f"{min(xs):.2f} / {st.median(xs):.2f} / {max(xs):.2f}"
    u = pool.get((case, name, side, "user_ms"))
    print(f"| {case} | {name} | {side} | {len(pool[(case, name, side, 'wall')])} | {f('wall')} | {f('cpu')} | {st.median(u):.1f} | {f('td_wall')} |")
