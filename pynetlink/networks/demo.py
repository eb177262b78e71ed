"""Scenario S1, built and proven with real packets in throwaway namespaces (``pynetlink demo``).

Everything lives in namespaces named ``pnldemo-<pid>-*`` that the demo creates and always
deletes (also on Ctrl-C and SIGTERM); the caller's own namespace is never touched.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import tempfile
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Callable, Iterator

from ..api.handle import Handle
from ..rtnl.kinds.veth import Veth
from ..transport import NetNS, run_in
from .manager import Attach, Networks

Say = Callable[[str], None]
TIMEOUT = 3.0


@dataclass
class DemoResult:
    """What the demo built and measured (times in milliseconds)."""

    containers: list[dict[str, Any]] = field(default_factory=list)
    proofs: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p["ok"] for p in self.proofs) and not self.leftovers

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "containers": self.containers, "proofs": self.proofs,
                "timings_ms": self.timings, "leftovers": self.leftovers}


def _tcp(client: NetNS, server: NetNS, connect_to: str, port: int, listen_port: int) -> str:
    """One TCP exchange; returns the source address the server saw."""
    def listen() -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", listen_port))
        s.listen(1)
        s.settimeout(TIMEOUT)
        return s
    lst = run_in(server.path, listen)
    try:
        c = run_in(client.path, lambda: socket.create_connection((connect_to, port), timeout=TIMEOUT))
        with c:
            conn, peer = lst.accept()
            with conn:
                c.sendall(b"hello")
                if conn.recv(5) != b"hello":
                    raise OSError("payload lost")
        return str(peer[0])
    finally:
        lst.close()


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM (and SIGHUP) become KeyboardInterrupt, so cleanup runs."""
    def raise_(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)
    old = {s: signal.signal(s, raise_) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_demo(containers: int = 3, say: Say = print, pause: float = 0.0) -> DemoResult:
    """Build S1 (docker0, ``containers`` containers, masquerade, port 8080 -> C1:80), prove it
    with packets, tear it all down; returns what was measured. ``pause`` seconds are left
    before the teardown to look around (``ip -n pnldemo-...-host link``)."""
    if containers < 2:
        raise ValueError("the demo needs at least 2 containers")
    prefix = f"pnldemo-{os.getpid()}-"
    made: list[NetNS] = []
    res = DemoResult()

    def ns(tag: str) -> NetNS:
        n = NetNS.create(prefix + tag)
        made.append(n)
        return n

    t0 = time.perf_counter()
    with _signals_raise(), tempfile.TemporaryDirectory(prefix="pnldemo-") as state:
        try:
            _build_and_prove(ns, containers, state, say, res, pause)
        finally:
            t = time.perf_counter()
            for n in reversed(made):
                with contextlib.suppress(FileNotFoundError):
                    n.delete()
            _ms(res, "delete namespaces", t)
            res.leftovers = [n for n in NetNS.list() if n.startswith(prefix)]
    _ms(res, "total", t0)
    return res


def _ms(res: DemoResult, what: str, t: float) -> None:
    res.timings[what] = round((time.perf_counter() - t) * 1000, 2)


def _build_and_prove(ns: Callable[[str], NetNS], n: int, state: str, say: Say,
                     res: DemoResult, pause: float) -> None:
    t = time.perf_counter()
    host, out = ns("host"), ns("outside")
    ctrs = [ns(f"c{i + 1}") for i in range(n)]
    _ms(res, f"create {n + 2} namespaces", t)
    say(f"namespaces: host {host.name}, outside {out.name}, {n} containers")
    with Handle(host) as h:
        h.links.create(Veth("uplink", peer="eth0", peer_netns=out), up=True)
        h.links.set("lo", up=True)
        h.addresses.add("uplink", "203.0.113.1/24")
        h.routes.add("default", via="203.0.113.254")
    with Handle(out) as o:
        o.links.set("lo", up=True)
        o.links.set("eth0", up=True)
        o.addresses.add("eth0", "203.0.113.254/24")
    say("uplink: host 203.0.113.1/24 <-> outside 203.0.113.254/24, host default via outside")

    nets = Networks(host, state_dir=state)
    t = time.perf_counter()
    nets.create("bridge", subnet="172.17.0.0/24", options={"bridge_name": "docker0"})
    _ms(res, "create network (bridge, address, forwarding, masquerade)", t)
    say("network bridge: docker0 172.17.0.1/24, ip_forward=1, masquerade 172.17.0.0/24 !docker0")
    t = time.perf_counter()
    eps = nets.connect_many("bridge", [Attach(ctrs[0], publish=["8080:80"]),
                                       *(Attach(c) for c in ctrs[1:])])
    _ms(res, f"connect {n} containers (one batch)", t)
    for c, e in zip(ctrs, eps):
        res.containers.append({"netns": c.name, "ifname": e.ifname, "ip": e.ip, "mac": e.mac,
                               "host_veth": e.host_ifname, "publish": list(e.publish)})
        say(f"  {c.name}: {e.ifname} {e.addresses[0]} mac {e.mac} via {e.host_ifname}"
            + (f", publishes {', '.join(e.publish)}" if e.publish else ""))

    def prove(what: str, fn: Callable[[], str], expect: str) -> None:
        t = time.perf_counter()
        try:
            got = fn()
            ok = got == expect
        except OSError as exc:
            got, ok = f"failed: {exc}", False
        ms = round((time.perf_counter() - t) * 1000, 2)
        res.proofs.append({"proof": what, "ok": ok, "seen": got, "expected": expect, "ms": ms})
        say(f"  [{'ok' if ok else 'FAIL'}] {what}: saw {got} ({ms} ms)")

    say("proofs (real TCP packets):")
    c1, c2 = ctrs[0], ctrs[1]
    ip1, ip2 = str(eps[0].ip), str(eps[1].ip)
    prove(f"c1 -> c2 over docker0 ({ip1} -> {ip2}:7000)",
          lambda: _tcp(c1, c2, ip2, 7000, 7000), ip1)
    prove("c1 -> outside 203.0.113.254:7001 is masqueraded to the host's 203.0.113.1",
          lambda: _tcp(c1, out, "203.0.113.254", 7001, 7001), "203.0.113.1")
    prove(f"outside -> 203.0.113.1:8080 reaches c1 {ip1}:80 (published port, DNAT)",
          lambda: _tcp(out, c1, "203.0.113.1", 8080, 80), "203.0.113.254")
    if pause > 0:
        say(f"pausing {pause:g} s: look around with `ip -n {host.name} link` "
            f"or `pynetlink -n {host.name} nat show` (Ctrl-C ends it)")
        time.sleep(pause)
    t = time.perf_counter()
    nets.remove("bridge", force=True)
    _ms(res, "remove network (and disconnect all)", t)
    with Handle(host) as h:
        left = sorted(v.name for v in h.links.dump())
    say(f"removed network: host links now {', '.join(left)}")
