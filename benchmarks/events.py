"""Event throughput: notifications decoded and delivered as typed objects, per second.

One run records real notifications once: ``ip -batch`` adds N IPv4 addresses to a bridge
in a throwaway namespace and deletes them again (2N RTM_NEWADDR/RTM_DELADDR), received by a
subscriber with a large buffer, kept as the buffers a receive loop gets. Then, on the same
bytes, in the same run:

* pynetlink: the event engine (``pynetlink.events.engine.Engine``, what ``Events`` runs per
  socket): one C decode per buffer, typed ``AddressView`` events with new/deleted and the
  stream's state kept (by the C engine, ``pynetlink.events._engine``); each event's address,
  prefix length, link and action are read;
* pynetlink's Python engine: the same with the C engine off (``Engine.native = False``: the
  Python bulk path), for a before/after in the same run;
* pyroute2: ``MarshalRtnl.parse`` on each buffer, what ``AsyncIPRoute.get()`` runs per
  datagram in its async monitor, reading the same fields from each message;
* iproute2: ``ip -j monitor file F`` (the messages written back to back, as ``rtmon`` saves
  them, ten copies) printing every event to /dev/null (iproute2 6.1 prints text even with
  ``-j``); its process start-up, measured on an empty file, is subtracted, the time divided
  by ten.

A second workload, reported apart ("mixed"): notifications of every kind the C engine
takes, recorded the same way: ``ip -batch`` creates and deletes bridges, adds and deletes
IPv4 addresses (with their local routes), IPv4 and IPv6 routes and IPv4 and IPv6
permanent neighbours, subscribed to links, addresses, routes and neighbours. pynetlink
watches the four kinds with one engine (re-dumps a link's deletion asks for are not
replayed: the recording holds no dump replies), reading each event's key fields (an
address's address, prefix length and link; a link's index and name; a route's dst, table
and metric; a neighbour's ip and link) and its action; pyroute2 reads the same fields of
each message; ``ip -j monitor file`` prints them. Rates are per recorded message (pynetlink
reports fewer events than messages: deletions of what it never saw, bridge-port messages).
The mixed recording's messages of each kind are also replayed alone ("per_kind": each
buffer's messages of that kind, in their order), for a cost per kind.

``--baseline DIR``: another checkout's pynetlink (built in place: its codec and event
engine) replays the same recorded buffers in a child process in every repetition,
between the others, with the same consumer code (``REPLAY``), for a before/after in the
same run.

``--inner K``: pynetlink's replays (C engine, Python engine, baseline) of the address
workload are timed as the mean of K replays back to back in each repetition (each with a
fresh engine), which narrows the spread of these ~10 ms runs on a loaded machine; 1 (the
default) is the old method. Those of the other workloads are always the mean of as many
replays as last 30 ms (at least K): shorter runs are mostly the noise of subtracting the
heap's collection.

Every repetition runs the replays one after the other (alternating). Each is timed
in CPU time (user + system: this process for pynetlink and pyroute2, ``wait4()`` of the
child for ``ip``), which other load on the machine disturbs far less than wall-clock time
(also recorded); the best of each, the median and the worst are reported, and the ratios
of every repetition (pyroute2 / pynetlink and ip / pynetlink) with their spread.

Then a live run: each consumer subscribed in the namespace while ``ip -batch`` makes the same
changes, timed from its first to its last event (pynetlink ``Events`` async and pyroute2
``AsyncIPRoute`` on one event loop each, in separate processes; these are paced by how
fast the kernel and ``ip`` make the changes).

    python -m benchmarks.events [-n 10000] [--mixed 1500] [--reps 5] [--inner 1]
                                [--baseline DIR] [--json FILE] [--no-live]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from pynetlink._native import lib
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.events.engine import Engine
from pynetlink.events.kinds import AddressKind
from pynetlink.transport import NetNS
from pynetlink.transport.subscribe import Subscriber


IP_COPIES = 10


def changes(n: int) -> str:
    adds = [f"address add 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(n)]
    dels = [f"address del 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(n)]
    return "\n".join(adds + dels) + "\n"


def _namespace() -> NetNS:
    ns = NetNS.create(f"pnlb-{os.getpid()}-events")
    subprocess.run(["ip", "-n", ns.name or "", "link", "add", "br0", "type", "bridge"], check=True)
    subprocess.run(["ip", "-n", ns.name or "", "link", "set", "br0", "up"], check=True)
    return ns


def record(ns: NetNS, n: int) -> list[bytes]:
    """The buffers a receive loop gets for 2n address notifications."""
    sub = Subscriber(0, [int(lib.RTNLGRP_IPV4_IFADDR)], ns, rcvbuf=256 << 20)
    try:
        subprocess.run(["ip", "-n", ns.name or "", "-batch", "-"], input=changes(n), text=True, check=True)
        chunks, got = [], 0
        while got < 2 * n:
            data, overflow = sub.receive()
            assert not overflow, "the recording overflowed: raise rcvbuf"
            if data:
                chunks.append(data)
                got += _count(data)
        return chunks
    finally:
        sub.close()


def mixed_changes(n: int) -> str:
    def ip4(net: int, i: int) -> str:
        return f"172.{net}.{i // 250}.{i % 250 + 1}"
    adds, dels = [], []
    for i in range(n):
        adds += [f"link add mx{i} type bridge", f"address add {ip4(16, i)}/32 dev br0",
                 f"route add {ip4(20, i)}/32 dev br0", f"route add 2001:db8:1::{i + 1:x}/128 dev br0",
                 f"neigh add {ip4(21, i)} lladdr 02:00:00:00:00:01 dev br0 nud permanent",
                 f"neigh add 2001:db8:2::{i + 1:x} lladdr 02:00:00:00:00:02 dev br0 nud permanent"]
        dels += [f"link del mx{i}", f"address del {ip4(16, i)}/32 dev br0",
                 f"route del {ip4(20, i)}/32 dev br0", f"route del 2001:db8:1::{i + 1:x}/128 dev br0",
                 f"neigh del {ip4(21, i)} dev br0", f"neigh del 2001:db8:2::{i + 1:x} dev br0"]
    return "\n".join(adds + dels) + "\n"


MIXED_GROUPS = ("RTNLGRP_LINK", "RTNLGRP_IPV4_IFADDR", "RTNLGRP_IPV6_IFADDR", "RTNLGRP_IPV4_ROUTE",
                "RTNLGRP_IPV6_ROUTE", "RTNLGRP_NEIGH")


def record_mixed(ns: NetNS, n: int) -> list[bytes]:
    """The buffers a receive loop gets for the changes of ``mixed_changes(n)`` (until the
    stream has been quiet for a second)."""
    # an address kept on br0: deleting its last IPv4 address would flush its IPv4 routes
    subprocess.run(["ip", "-n", ns.name or "", "address", "replace", "203.0.113.1/24", "dev", "br0"], check=True)
    sub = Subscriber(0, [int(getattr(lib, g)) for g in MIXED_GROUPS], ns, rcvbuf=256 << 20)
    try:
        subprocess.run(["ip", "-n", ns.name or "", "-batch", "-"], input=mixed_changes(n), text=True, check=True)
        chunks = []
        while select.select([sub], [], [], 1.0)[0]:
            data, overflow = sub.receive()
            assert not overflow, "the recording overflowed: raise rcvbuf"
            if data:
                chunks.append(data)
        return chunks
    finally:
        sub.close()


KIND_TYPES = {"link": (16, 17), "address": (20, 21), "route": (24, 25), "neighbour": (28, 29)}


def split_kinds(chunks: list[bytes]) -> dict[str, list[bytes]]:
    """The mixed recording's messages of each kind, per buffer (in their order)."""
    out: dict[str, list[bytes]] = {}
    for kind, types in KIND_TYPES.items():
        bufs = []
        for data in chunks:
            o, parts = 0, []
            while o + 16 <= len(data):
                ln = int.from_bytes(data[o:o + 4], "little")
                if ln < 16:
                    break
                if int.from_bytes(data[o + 4:o + 6], "little") in types:
                    parts.append(data[o:o + ((ln + 3) & ~3)])
                o += (ln + 3) & ~3
            if parts:
                bufs.append(b"".join(parts))
        out[kind] = bufs
    return out


def _count(data: bytes) -> int:
    n, o = 0, 0
    while o + 16 <= len(data):
        ln = int.from_bytes(data[o:o + 4], "little")
        o += (ln + 3) & ~3
        n += 1
    return n


# -- consumers of the recorded buffers --------------------------------------------------------------
# pynetlink's consumers, as source: run here and, with --baseline, by another checkout's
# pynetlink in a child process (the same code on both sides)
REPLAY = r'''
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.events.engine import Engine
from pynetlink.events.kinds import AddressKind, LinkKind, NeighbourKind, RouteKind


import gc, time


def timed(fn):
    """Wall-clock and CPU (user + system, this process) seconds of ``fn()`` and of collecting
    the garbage it left, and its result. Each consumer starts from a collected heap and pays
    for its own garbage only (pyroute2's messages hold reference cycles: uncollected, the
    next consumer's run would pay for freeing them); the cost of a full collection of the
    clean heap (the rest of the process) is subtracted."""
    gc.collect()
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    gc.collect()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    gc.collect()                        # a full collection of the clean heap: not the consumer's
    return wall - (time.perf_counter() - t), cpu - (time.process_time() - c), out


class ReplayEngine(Engine):
    def _queue_resync(self, name):      # the recording holds no dump replies
        pass


def pynetlink_replay(chunks, native=True, inner=1):
    for _ in range(inner):
        eng = Engine([AddressKind()], RTNL, 0, lambda items: 0, load=False)
        eng.native = native
        n = 0
        for data in chunks:
            for e in eng.feed(data):
                v = e.view
                v.address, v.prefixlen, v.link, e.action
                n += 1
    return n


def mixed_replay(chunks, native=True, inner=1):
    for _ in range(inner):
        eng = ReplayEngine([LinkKind(), AddressKind(), RouteKind(), NeighbourKind()], RTNL, 0,
                           lambda items: 0, load=False)
        eng.native = native
        n = 0
        for data in chunks:
            for e in eng.feed(data):
                k, v = e.kind, e.view
                if k == "address":
                    v.address, v.prefixlen, v.link
                elif k == "route":
                    v.dst, v.table, v.metric
                elif k == "link":
                    v.index, v.name
                else:
                    v.ip, v.link
                e.action
                n += 1
    return n
'''
_replay: dict[str, Any] = {}
exec(REPLAY, _replay)
pynetlink_replay: Callable[..., int] = _replay["pynetlink_replay"]
mixed_replay: Callable[..., int] = _replay["mixed_replay"]
timed: Callable[[Callable[[], Any]], tuple[float, float, Any]] = _replay["timed"]

_BASELINE = r"""
import json, pickle, sys
exec(open(sys.argv[1]).read())
with open(sys.argv[2], "rb") as f:
    workloads = pickle.load(f)
inners, out = json.loads(sys.argv[3]), {}
for name, chunks in workloads.items():
    fn, inner = pynetlink_replay if name == "address" else mixed_replay, inners[name]
    wall, cpu, n = timed(lambda: fn(chunks, True, inner))
    out[name] = [wall / inner, cpu / inner, n]
print(json.dumps(out))
"""


def baseline_run(tree: str, replay: str, workloads: str, inner: dict[str, int]) -> dict[str, list[float]]:
    """Another checkout's pynetlink replaying the recorded workloads (a child process):
    per workload [wall, CPU seconds per replay, events]."""
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", _BASELINE, replay, workloads, json.dumps(inner)], cwd=tree, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def pyroute2_mixed_replay(chunks: list[bytes]) -> int:
    from pyroute2.netlink.rtnl.marshal import MarshalRtnl
    m = MarshalRtnl()
    n = 0
    for data in chunks:
        for msg in m.parse(data):
            ev = msg["event"]
            if ev in ("RTM_NEWADDR", "RTM_DELADDR"):
                msg.get_attr("IFA_LOCAL"), msg["prefixlen"], msg["index"]
            elif ev in ("RTM_NEWROUTE", "RTM_DELROUTE"):
                msg.get_attr("RTA_DST"), msg["dst_len"], msg.get_attr("RTA_TABLE"), msg.get_attr("RTA_PRIORITY")
            elif ev in ("RTM_NEWLINK", "RTM_DELLINK"):
                msg["index"], msg.get_attr("IFLA_IFNAME")
            else:
                msg.get_attr("NDA_DST"), msg["ifindex"]
            n += 1
    return n


def pyroute2_replay(chunks: list[bytes]) -> int:
    from pyroute2.netlink.rtnl.marshal import MarshalRtnl
    m = MarshalRtnl()
    n = 0
    for data in chunks:
        for msg in m.parse(data):
            msg.get_attr("IFA_LOCAL"), msg["prefixlen"], msg["index"], msg["event"]
            n += 1
    return n


def _ip_run(path: str) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one ``ip -j monitor file`` run."""
    t = time.perf_counter()
    proc = subprocess.Popen(["ip", "-j", "monitor", "file", path], stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.returncode
    return wall, ru.ru_utime + ru.ru_stime


def iproute2_replay(path: str, empty: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds ``ip -j monitor file`` needs for the events (its start-up,
    the least of three runs on an empty file, subtracted)."""
    starts = [_ip_run(empty) for _ in range(3)]
    wall, cpu = _ip_run(path)
    return wall - min(w for w, _ in starts), cpu - min(c for _, c in starts)


def spread(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)
    return {"min": s[0], "median": s[len(s) // 2], "max": s[-1]}


def stages(chunks: list[bytes], events: int, reps: int) -> dict[str, float]:
    """Where pynetlink's time per event goes (CPU ns per event, best of ``reps``): each stage
    of ``Engine.feed`` run alone over every buffer (the C engine, then the Python engine's
    bulk path), the consumer's reads, and the whole replay with the cyclic garbage collector
    off (the difference is its share)."""
    from pynetlink.codec.rows import decode
    from pynetlink.rtnl import addresses
    kind = AddressKind()

    def best(fn: Callable[[], Any]) -> float:
        out = []
        for _ in range(reps):
            gc.collect()
            c = time.process_time()
            fn()
            out.append(time.process_time() - c)
        return min(out) * 1e9 / events

    rows = [decode(c, RTNL) for c in chunks]
    tables = [addresses.table(r, kind._ANY) for r in rows]
    views = [addresses.views(r, t) for r, t in zip(rows, tables)]
    batches = [kind.batch(r) for r in rows]
    eng = Engine([kind], RTNL, 0, lambda items: 0, load=False)
    evs = [e for c in chunks for e in eng.feed(c)]

    def native() -> None:
        state: dict[Any, Any] = {}
        out: list[Any] = []
        for c in chunks:
            assert kind.native(c, state, None, out)

    def apply() -> None:
        e = Engine([kind], RTNL, 0, lambda items: 0, load=False)
        out: list[Any] = []
        for b in batches:
            assert b is not None
            e._bulk(e._bulk_kinds[b[0][0]], *b, out)

    def read() -> None:
        for e in evs:
            v = e.view
            v.address, v.prefixlen, v.link, e.action

    out = {"C engine: framing, keys, views, state, actions, Event tuples": best(native),
           "decode (C row table: the Python engine; the C engine's views when a field other than "
           "family/address/prefixlen/link is read)": best(lambda: [decode(c, RTNL) for c in chunks]),
           "Python engine: pluck + columns + address text (C, bulk copies)": best(lambda: [addresses.table(r, kind._ANY) for r in rows]),
           "Python engine: views (one AddressView each)": best(lambda: [addresses.views(r, t) for r, t in zip(rows, tables)]),
           "Python engine: keys (bulk)": best(lambda: [kind._keys(t, v) for t, v in zip(tables, views)]),
           "Python engine: state + events (bulk)": best(apply),
           "consumer: e.view, 3 view fields, e.action": best(read),
           "whole replay": best(lambda: pynetlink_replay(chunks))}
    gc.disable()
    try:
        out["whole replay, garbage collector off"] = best(lambda: pynetlink_replay(chunks))
    finally:
        gc.enable()
    return out


# -- live -------------------------------------------------------------------------------------------
_LIVE = r"""
import asyncio, sys, time
which, ns, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
async def pynetlink():
    from pynetlink.events import Events
    async with Events(["address"], netns=ns, rcvbuf=256 << 20) as ev:
        assert await ev.async_sync(10)
        print("ready", flush=True)
        n, t0 = 0, None
        async for e in ev:
            if e.view.family != 4:
                continue
            t0 = t0 or time.perf_counter()
            e.view.address, e.view.prefixlen, e.view.link, e.action
            n += 1
            if n == total:
                return n, time.perf_counter() - t0, ev.resyncs
async def pyroute2():
    from pyroute2 import AsyncIPRoute
    from pyroute2.netlink.rtnl import RTMGRP_IPV4_IFADDR
    async with AsyncIPRoute(netns=ns) as ipr:
        await ipr.bind(groups=RTMGRP_IPV4_IFADDR, rcvbuf=256 << 20)
        print("ready", flush=True)
        n, t0 = 0, None
        while True:                     # get() ends when a datagram holds no message of its seq
            async for msg in ipr.get():
                if msg["event"] not in ("RTM_NEWADDR", "RTM_DELADDR"):
                    continue
                t0 = t0 or time.perf_counter()
                msg.get_attr("IFA_LOCAL"), msg["prefixlen"], msg["index"], msg["event"]
                n += 1
                if n == total:
                    return n, time.perf_counter() - t0, 0
P = {"n": 0, "t0": None, "t1": None}
try:
    n, secs, resyncs = asyncio.run(asyncio.wait_for(globals()[which](), 60))
except Exception as exc:        # overflowed or stalled: report what arrived
    print(f"{which}: {exc!r}", file=sys.stderr)
    n, secs, resyncs = -1, 0.0, 0
print(n, secs, resyncs, flush=True)
"""


def live_ip(ns: NetNS, n: int) -> tuple[int, float, int]:
    """``ip -j monitor address`` reading the same changes (2 lines per event, to a pipe)."""
    proc = subprocess.Popen(["ip", "-j", "-n", ns.name or "", "monitor", "address"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        time.sleep(0.3)                 # ip monitor says nothing when it has subscribed
        subprocess.run(["ip", "-n", ns.name or "", "-batch", "-"], input=changes(n), text=True, check=True)
        got, t0, t1, fd, tail = 0, 0.0, 0.0, proc.stdout.fileno(), b""
        while got < 2 * n:              # stop at the last event, or after 3 s of silence (ENOBUFS)
            ready, _, _ = select.select([fd], [], [], 3.0)
            chunk = os.read(fd, 1 << 20) if ready else b""
            if not chunk:
                break
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            k = sum(1 for x in lines if b" inet " in x)
            if k:
                t0 = t0 or time.perf_counter()
                t1 = time.perf_counter()
                got += k
        return got, t1 - t0, 0
    finally:
        proc.kill()
        proc.wait()


def live(which: str, ns: NetNS, n: int) -> tuple[int, float, int]:
    if which == "ip -j monitor":
        return live_ip(ns, n)
    proc = subprocess.Popen([sys.executable, "-c", _LIVE, which, ns.name or "", str(2 * n)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    subprocess.run(["ip", "-n", ns.name or "", "-batch", "-"], input=changes(n), text=True, check=True)
    out, _ = proc.communicate(timeout=150)
    got, secs, resyncs = out.split()
    return int(got), float(secs), int(resyncs)


def _replays(res: dict[str, Any], events: int, cpu: dict[str, list[float]], wall: dict[str, list[float]],
             labels: dict[str, str]) -> None:
    """Summaries and per-repetition ratios (to pynetlink) of one workload's runs."""
    res["replay_runs"] = {"wall": wall, "cpu": cpu}
    res["replay"] = {}
    for name, label in labels.items():
        if cpu.get(name):
            res["replay"][label] = {"cpu_s": spread(cpu[name]), "wall_s": spread(wall[name]),
                                    "events_per_s": events / min(cpu[name]), "seconds": min(cpu[name])}
    res["ratios"] = {
        f"{clock} {peer}/pynetlink": spread([p / q for p, q in zip(runs[peer], runs["pynetlink"])])
        for clock, runs in (("cpu", cpu), ("wall", wall)) for peer in labels if peer != "pynetlink" and runs.get(peer)}
    if cpu.get("baseline"):
        res["ratios"]["cpu pyroute2/baseline"] = spread([p / q for p, q in zip(cpu["pyroute2"], cpu["baseline"])])


def _print(title: str, res: dict[str, Any], events: int, reps: int) -> None:
    print(f"{title}: {events} messages in {res['buffers']} buffers ({res['bytes']} bytes); CPU time, "
          f"best (median, worst) of {reps} alternating repetitions")
    if "delivered" in res:
        print(f"  (pynetlink delivers {res['delivered']} events of them)")
    for name, r in res["replay"].items():
        c = r["cpu_s"]
        print(f"  replay  {name:28} {r['events_per_s']:>12,.0f} /s  ({c['min'] * 1e6 / events:.3f} / "
              f"{c['median'] * 1e6 / events:.3f} / {c['max'] * 1e6 / events:.3f} us per message)")
    for key, sp in res["ratios"].items():
        print(f"  {key:32} min {sp['min']:.2f}x  median {sp['median']:.2f}x  max {sp['max']:.2f}x")


LABELS = {"pynetlink": "pynetlink", "python-engine": "pynetlink, Python engine", "baseline": "baseline (--baseline)",
          "pyroute2": "pyroute2", "ip": "ip -j monitor"}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10000, help="addresses added then deleted (2n events)")
    ap.add_argument("--mixed", type=int, default=1500, help="rounds of the mixed workload (0: none)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--inner", type=int, default=1, help="pynetlink replays per timing (their mean)")
    ap.add_argument("--baseline", default=None, help="another checkout, built in place, replayed alike")
    ap.add_argument("--json", default=None)
    ap.add_argument("--no-live", action="store_true")
    args = ap.parse_args(argv)
    ns = _namespace()
    try:
        work: dict[str, list[bytes]] = {"address": record(ns, args.n)}
        if args.mixed:
            work["mixed"] = record_mixed(ns, args.mixed)
            work.update({f"kind:{k}": c for k, c in split_kinds(work["mixed"]).items()})
        count = {w: sum(_count(c) for c in chunks) for w, chunks in work.items()}
        events = count["address"]
        res: dict[str, Any] = {"events": events, "buffers": len(work["address"]),
                               "bytes": sum(map(len, work["address"])), "inner": args.inner,
                               "baseline": args.baseline}
        if "mixed" in work:
            res["mixed"] = {"events": count["mixed"], "buffers": len(work["mixed"]),
                            "bytes": sum(map(len, work["mixed"])), "delivered": mixed_replay(work["mixed"])}
        replay_fn = {w: pynetlink_replay if w == "address" else mixed_replay for w in work}
        # pynetlink's replays of the other workloads last 30 ms at least (their mean): a
        # short run's time is mostly the noise of subtracting the heap's collection
        inner = {w: args.inner if w == "address" else
                 max(args.inner, min(50, int(0.03 / max(timed(lambda: replay_fn[w](c))[1], 1e-4)) + 1))
                 for w, c in work.items()}
        res["inner_per_workload"] = inner
        pyroute2_fn = {w: pyroute2_replay if w == "address" else pyroute2_mixed_replay for w in work}
        with tempfile.TemporaryDirectory() as tmp:
            empty = os.path.join(tmp, "empty.bin")
            open(empty, "wb").close()
            files = {}
            for w, chunks in work.items():
                files[w] = os.path.join(tmp, f"{w}.bin")
                with open(files[w], "wb") as f:           # 10 copies: ip's start-up becomes small
                    f.writelines(chunks * IP_COPIES)
            replay_src, pickled = os.path.join(tmp, "replay.py"), os.path.join(tmp, "work.pickle")
            with open(replay_src, "w") as f:
                f.write(REPLAY)
            with open(pickled, "wb") as f:
                import pickle
                pickle.dump(work, f)
            wall = {w: {n: [] for n in LABELS} for w in work}     # type: dict[str, dict[str, list[float]]]
            cpu = {w: {n: [] for n in LABELS} for w in work}      # type: dict[str, dict[str, list[float]]]
            for _ in range(args.reps):          # alternating: every repetition runs every consumer
                if args.baseline:
                    for w, (bw, bc, _n) in baseline_run(args.baseline, replay_src, pickled, inner).items():
                        wall[w]["baseline"].append(bw)
                        cpu[w]["baseline"].append(bc)
                for w, chunks in work.items():
                    k_w, fn = inner[w], replay_fn[w]
                    for name, run in (("pynetlink", lambda: fn(chunks, True, k_w)),
                                      ("python-engine", lambda: fn(chunks, False, k_w)),
                                      ("pyroute2", lambda: pyroute2_fn[w](chunks))):
                        wt, c, got = timed(run)
                        k = 1 if name == "pyroute2" else k_w
                        assert name == "pyroute2" or w != "address" or got == events, (name, got, events)
                        wall[w][name].append(wt / k)
                        cpu[w][name].append(c / k)
                    wt, c = iproute2_replay(files[w], empty)
                    wall[w]["ip"].append(wt / IP_COPIES)
                    cpu[w]["ip"].append(c / IP_COPIES)
        _replays(res, events, cpu["address"], wall["address"], LABELS)
        if "mixed" in work:
            _replays(res["mixed"], count["mixed"], cpu["mixed"], wall["mixed"], LABELS)
            res["per_kind"] = {}
            for w in work:
                if w.startswith("kind:"):
                    r = res["per_kind"][w[5:]] = {"events": count[w], "buffers": len(work[w]),
                                                 "bytes": sum(map(len, work[w])), "delivered": mixed_replay(work[w])}
                    _replays(r, count[w], cpu[w], wall[w], LABELS)
        res["stages_ns_per_event"] = stages(work["address"], events, args.reps)
        if not args.no_live:
            res["live"] = {}
            for which in ("pynetlink", "pyroute2", "ip -j monitor"):
                runs = [live(which, ns, args.n) for _ in range(3)]
                done = [r for r in runs if r[1] > 0] or runs     # a run that failed reports (-1, 0)
                got_n, secs, resyncs = min(done, key=lambda r: r[1])
                res["live"][which] = {"events": got_n, "seconds": secs,
                                      "events_per_s": got_n / secs if secs > 0 else None,
                                      "resyncs": resyncs, "runs": runs}
    finally:
        ns.delete()
    _print("address events", res, events, args.reps)
    if "mixed" in res:
        _print("mixed events (links, addresses, routes, neighbours)", res["mixed"], count["mixed"], args.reps)
        for k, r in res["per_kind"].items():
            _print(f"  the mixed recording's {k} messages alone", r, r["events"], args.reps)
    print("  pynetlink, CPU ns per address event by stage (each alone, best of the repetitions):")
    for name, ns_ in res["stages_ns_per_event"].items():
        print(f"    {name[:70]:70} {ns_:7.0f}")
    for name, r in res.get("live", {}).items():
        print(f"  live    {name:14} {r['events']} events in {r['seconds'] * 1000:.0f} ms (first to last)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    main()
