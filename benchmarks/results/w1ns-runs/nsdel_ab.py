"""NS deletion A/B: C floor (w1 nsdel), pynetlink main, pynetlink branch; 200 namespaces made
by the floor's nsadd (untimed), deleted timed; rotating order; wall and CPU (user+sys)."""
import json, os, subprocess, sys, time, statistics as st
W1 = sys.argv[1]; REPS = int(sys.argv[2]); N = 200
PY = {"main": "/work/wt/w1ns-base/.venv/bin/python", "branch": "/work/wt/w1ns-snap/.venv/bin/python"}
DEL = r'''
import os, sys, time, resource
from pynetlink import NetNS
p, n = sys.argv[1], int(sys.argv[2])
ns = [NetNS.named(f"{p}{i}") for i in range(n)]
r0 = resource.getrusage(resource.RUSAGE_SELF); t = time.perf_counter()
for x in ns: x.delete()
w = time.perf_counter() - t; r1 = resource.getrusage(resource.RUSAGE_SELF)
print(f'{{"wall": {w}, "user": {r1.ru_utime - r0.ru_utime}, "sys": {r1.ru_stime - r0.ru_stime}}}')
'''
res = {k: [] for k in ("floor", "main", "branch")}
order = list(res)
try:
    for r in range(REPS):
        for k in order[r % 3:] + order[:r % 3]:
            p = f"pnlb-{os.getpid()}-d{r}{k[0]}-"
            subprocess.run([W1, "nsadd", p, str(N)], check=True, capture_output=True)
            time.sleep(0.5)
            if k == "floor":
                out = json.loads(subprocess.run([W1, "nsdel", p, str(N)], check=True, capture_output=True).stdout)["run"]
            else:
                out = json.loads(subprocess.run([PY[k], "-c", DEL, p, str(N)], check=True, capture_output=True).stdout)
            res[k].append(out)
            time.sleep(1.0)
finally:
    subprocess.run(f"for f in /run/netns/pnlb-{os.getpid()}-*; do [ -e \"$f\" ] && ip netns del $(basename $f); done", shell=True)
json.dump(res, open("/tmp/w1ns/nsdel_ab.json", "w"))
for k in ("main", "branch"):
    wr = [a["wall"] / b["wall"] for a, b in zip(res[k], res["floor"])]
    cr = [(a["user"] + a["sys"]) / max(1e-9, b["user"] + b["sys"]) for a, b in zip(res[k], res["floor"])]
    print(f"{k}: wall x floor {min(wr):.2f}/{st.median(wr):.2f}/{max(wr):.2f}  cpu x floor {min(cr):.2f}/{st.median(cr):.2f}/{max(cr):.2f}  "
          f"wall ms med {st.median(a['wall'] for a in res[k])*1e3:.2f} (floor {st.median(a['wall'] for a in res['floor'])*1e3:.2f})")
