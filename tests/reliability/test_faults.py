"""SIGKILL and SIGINT at every step of network create, connect, connect_many, disconnect
and remove (the fault points of pynetlink.transport.faults: each netlink transfer, state
write and namespace entry). After each: a SIGINT'd create or connect rolled back or
completed, never half-done; a re-run of the call converges to the state the call makes;
and remove leaves the namespaces (``ip -j``, ``nft -j``), the forwarding sysctl and the
state directory as they were before."""
from __future__ import annotations

import os
import signal
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest

from pynetlink.networks import NotFound
from pynetlink.transport import NetNS, faults
from pynetlink.transport.signals import Terminated, sigterm_raises

from ..networks.traffic import nft_j
from .conftest import Host, ipj, state_files

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
SUBNET = "172.23.0.0/24"
Call = Callable[[Host, NetNS, NetNS], Any]

CALLS: dict[str, Call] = {
    "create": lambda h, a, b: h.nets.create("n", subnet=SUBNET),
    "connect": lambda h, a, b: h.nets.connect("n", a, publish=["8080:80"]),
    "connect_many": lambda h, a, b: h.nets.connect_many("n", [a, b]),
    "disconnect": lambda h, a, b: h.nets.disconnect("n", a),
    "remove": lambda h, a, b: h.nets.remove("n", force=True),
}
BEFORE = {"create": [], "connect": ["create"], "connect_many": ["create"],
          "disconnect": ["create", "connect"], "remove": ["create", "connect"]}


def in_child(fn: Callable[[], object], plan: str | None, log: Path | None = None) -> int:
    """``fn`` in a forked child with the fault ``plan`` armed; its wait status."""
    pid = os.fork()
    if pid == 0:                                   # pragma: no cover (the child)
        code = 1
        try:
            faults.arm(plan, str(log) if log else None)
            fn()
            code = 0
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def world(h: Host, a: NetNS, b: NetNS) -> dict[str, Any]:
    """What the operations may change, read by independent tools and from disk."""
    def links(ns: NetNS) -> list[tuple[str, str]]:
        return sorted((l["ifname"], l.get("linkinfo", {}).get("info_kind", ""))
                      for l in ipj(ns, "-d", "link", "show"))

    def addrs(ns: NetNS) -> list[tuple[str, str]]:
        return sorted((x["ifname"], i["local"]) for x in ipj(ns, "addr", "show")
                      for i in x.get("addr_info", []) if x["ifname"] != "lo")
    return {"links": [links(ns) for ns in (h.ns, a, b)], "addrs": [addrs(ns) for ns in (h.ns, a, b)],
            "nft": [x for x in nft_j(h.ns) if "metainfo" not in x],
            "forwarding": h.ns.sysctl("net.ipv4.ip_forward"), "files": state_files(h.state)}


def done(op: str, h: Host, a: NetNS, b: NetNS) -> None:
    """The state ``op`` makes, as the record and the kernel show it."""
    if op == "remove":
        assert h.nets.list() == []
        return
    net = h.nets.get("n")
    assert net.state == "ready" and net.bridge
    assert any(l["ifname"] == net.bridge for l in ipj(h.ns, "link", "show"))
    want = {"create": [], "connect": [a], "connect_many": [a, b], "disconnect": []}[op]
    assert sorted(e.netns for e in net.endpoints) == sorted(ns.path for ns in want)
    assert all(e.state == "connected" for e in net.endpoints)
    for ns in (a, b):
        has = [l["ifname"] for l in ipj(ns, "link", "show")]
        assert ("eth0" in has) == (ns in want), (op, ns, has)


def consistent_after_ctrl_c(op: str, h: Host, a: NetNS, b: NetNS, before: dict[str, Any]) -> None:
    """A create or connect that Ctrl-C interrupted rolled back entirely (or had finished)."""
    try:
        done(op, h, a, b)
        return
    except (AssertionError, NotFound):
        pass
    if BEFORE[op]:                                 # as it was before the call
        done(BEFORE[op][-1], h, a, b)
    else:
        assert world(h, a, b) == before


def rerun(op: str, h: Host, a: NetNS, b: NetNS) -> None:
    """The same call again (create with exist_ok: a finished create is not an error then)."""
    if op == "create":
        h.nets.create("n", subnet=SUBNET, exist_ok=True)
        return
    try:
        CALLS[op](h, a, b)
    except NotFound:                 # disconnect / remove: the killed run had finished it
        assert op in ("disconnect", "remove"), op


def inject(h: Host, op: str, modes: tuple[str, ...], tmp_path: Path) -> None:
    """For every step k of ``op`` and every mode: prepare, run ``op`` in a child with the
    fault at k, check, re-run, check, clean up, check nothing is left."""
    a, b = h.container(), h.container()
    before = world(h, a, b)

    def prepare() -> None:
        for prior in BEFORE[op]:
            CALLS[prior](h, a, b)

    def call() -> None:
        CALLS[op](h, a, b)

    prepare()
    log = tmp_path / "steps"
    assert in_child(call, None, log) == 0
    steps = log.read_text().splitlines()
    assert len(steps) >= 10, steps
    h.nets.remove("n", force=True) if op != "remove" else None
    assert world(h, a, b) == before
    for k in range(1, len(steps) + 1):
        for mode in modes:
            where = f"{mode} at step {k}/{len(steps)} ({steps[k - 1]})"
            prepare()
            if mode == "term-raises":          # a daemon that turns SIGTERM into Terminated
                status = in_child(lambda: _terminable(call), f"term@{k}")
            elif mode == "int-twice":          # Ctrl-C, and again two steps later (rollback)
                status = in_child(call, f"int@{k},{k + 2}")
            else:
                status = in_child(call, f"{mode}@{k}")
            if mode in ("kill", "term"):
                sig = signal.SIGKILL if mode == "kill" else signal.SIGTERM
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig, where
            else:
                assert os.WEXITSTATUS(status) in (0, 130, 143), where
                if op in ("create", "connect", "connect_many"):
                    consistent_after_ctrl_c(op, h, a, b, before)
            rerun(op, h, a, b)
            done(op, h, a, b)
            if op != "remove":
                h.nets.remove("n", force=True)
            assert world(h, a, b) == before, where


def _terminable(call: Callable[[], None]) -> None:
    try:
        with sigterm_raises():
            call()
    except Terminated:
        raise KeyboardInterrupt from None      # the child's "interrupted" status


@pytest.mark.parametrize("op", list(CALLS))
def test_kill_and_ctrl_c_at_every_step(host: Host, op: str, tmp_path: Path) -> None:
    inject(host, op, ("kill", "int"), tmp_path)


def test_second_ctrl_c_during_the_rollback_of_connect_many(host: Host, tmp_path: Path) -> None:
    """A second Ctrl-C two steps after the first (inside the rollback, which runs steps of
    its own) does not cut the rollback short."""
    inject(host, "connect_many", ("int-twice",), tmp_path)


def test_sigterm_at_every_step_of_connect_many(host: Host, tmp_path: Path) -> None:
    """SIGTERM with its default action kills, but never inside a step (the process dies
    at the step's end); with ``sigterm_raises()`` it rolls back like Ctrl-C."""
    inject(host, "connect_many", ("term", "term-raises"), tmp_path)
