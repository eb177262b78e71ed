import sys, tempfile, time, os
from pathlib import Path
from benchmarks.common import PREFIX, cleanup
from benchmarks.impl.base import Case, Ctx, BRIDGE, GATEWAY, ctr_ip, veth_name
from benchmarks.impl import pynetlink_impl as PI
from benchmarks.run import run_setup
from pynetlink import Bridge, NetNS, Veth, Handle
from pynetlink.transport import NetlinkSocket, NetNS as TNetNS
from pynetlink.codec.specs.rtnl import RTNL
n = int(sys.argv[1]); reps = int(sys.argv[2])
CH = 64
tt = time.thread_time
def api(ctx, acc):
    host = Handle(ctx.host)
    host.links.create(Bridge(BRIDGE), up=True)
    host.addresses.add(BRIDGE, f"{GATEWAY}/16")
    ctrs = []
    for base in range(0, n, CH):
        t0 = tt()
        made = NetNS.create_with_handles([ctx.ctr(i) for i in range(base, min(n, base + CH))])
        t1 = tt()
        ctrs += [c for c, _ in made]
        with host.batch() as b:
            for i, (c, _) in enumerate(made, base):
                b.links.create(Veth(veth_name(i), peer="eth0", peer_netns=c, master=BRIDGE, up=True))
        t2 = tt()
        for i, (_, h) in enumerate(made, base):
            with h, h.batch() as b:
                b.links.set("lo", up=True)
                b.links.set("eth0", up=True)
                b.addresses.add("eth0", f"{ctr_ip(i)}/16")
                b.routes.add("default", via=GATEWAY)
        t3 = tt()
        acc[0] += t1 - t0; acc[1] += t2 - t1; acc[2] += t3 - t2
    for c in ctrs: c.delete()
    host.links.delete(BRIDGE); host.close()

def codec(ctx, acc):
    host = NetlinkSocket(0, RTNL, TNetNS.open(ctx.host))
    host.transact([(PI.P_BRIDGE, (0, 0, 0, 1, 1, BRIDGE.encode(), b"bridge"))]).check()
    reply = host.request(PI.P_GETLINK, (0, 0, 0, 0, 0, BRIDGE.encode()))
    m = reply.results[0].messages[0]
    br = PI._IFI.unpack(reply.rows.header(m, 16))[2]
    gw = PI._ip(GATEWAY)
    host.request(PI.P_ADDR, (2, 16, 0, 0, br, gw, gw))
    route = (2, 0, 0, 0, 254, 3, 0, 1, 0)
    ctrs = []
    for base in range(0, n, CH):
        t0 = tt()
        made = TNetNS.create_many_with([ctx.ctr(i) for i in range(base, min(n, base + CH))], PI._open_route, PI._close)
        socks = [NetlinkSocket(0, RTNL, c, sock=raw) for c, raw in made]
        t1 = tt()
        ctrs += [c for c, _ in made]
        fds = [os.open(c.path, os.O_RDONLY | os.O_CLOEXEC) for c, _ in made]
        host.transact([(PI.P_VETH, PI.veth_values(i, br, fd)) for i, fd in enumerate(fds, base)]).check()
        for fd in fds: os.close(fd)
        t2 = tt()
        for i, s in enumerate(socks, base):
            a = PI._ip(ctr_ip(i))
            with s:
                s.transact([(PI.P_LINKUP, (0, 0, 1, 1, 1)), (PI.P_LINKUP, (0, 0, 2, 1, 1)),
                            (PI.P_ADDR, (2, 16, 0, 0, 2, a, a)), (PI.P_ROUTE, (*route, gw))]).check()
        t3 = tt()
        acc[0] += t1 - t0; acc[1] += t2 - t1; acc[2] += t3 - t2
    for c in ctrs: c.delete()
    host.request(PI.P_DELLINK, (0, 0, 0, 0, 0, BRIDGE.encode())); host.close()

res = {"api": [], "codec": []}
case = Case("W1", n)
try:
    for r in range(reps):
        for name, fn in (("api", api), ("codec", codec)) if r % 2 == 0 else (("codec", codec), ("api", api)):
            ctx = Ctx(host=run_setup(case, f"q{r}{name[0]}"), ctr_prefix=f"{PREFIX}q{r}{name[0]}-c", tmp=Path("/tmp"), bins={})
            acc = [0.0, 0.0, 0.0]
            fn(ctx, acc)
            res[name].append(acc)
            cleanup()
finally:
    cleanup()
import statistics as st
for name, rs in res.items():
    print(name, " ".join(f"{st.median(x[k] for x in rs)*1e6/n:7.1f}" for k in range(3)), "us/ctr (ns+sock, veth, ctr batch) main-thread CPU")
