"""Overflow: a tiny receive buffer and thousands of changes by another process. The stream
must notice the loss (ENOBUFS), re-dump, and report the difference, so that a consumer that
applies every event ends with exactly the kernel's state."""
from __future__ import annotations

import subprocess
from typing import Any

from pynetlink.events import Events

from .helpers import Consumer, assert_converges, ip

KINDS = ("link", "address", "route")


def _changes(n: int) -> list[str]:
    """n address additions on br0, every third one removed again, plus veth pairs made,
    brought up and some deleted: links, addresses and routes all change."""
    lines = [f"address add 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(n)]
    lines += [f"address del 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(0, n, 3)]
    for i in range(40):
        lines += [f"link add va{i} type veth peer name vb{i}", f"link set va{i} up",
                  f"address add 192.168.{i}.1/24 dev va{i}"]
    lines += [f"link del va{i}" for i in range(0, 40, 2)]
    lines += [f"address add 2001:db8::{i:x}/128 dev br0 nodad" for i in range(1, 300)]
    return lines


def _consume(ev: Events, c: Consumer, quiet: float = 1.0) -> None:
    for e in ev.iter(quiet):
        c.apply(e)


def _tiny(ns: Any, rcvbuf: int) -> Events:
    """A bridge to change, and a stream with a tiny receive buffer (no SO_RCVBUFFORCE)."""
    ip(ns, "link", "add", "br0", "type", "bridge")
    ip(ns, "link", "set", "br0", "up")
    return Events(KINDS, netns=ns, start_with_current=True, rcvbuf=rcvbuf, force_rcvbuf=False)


def test_overflow_is_repaired_by_a_redump(netns: Any) -> None:
    with _tiny(netns, 4096) as ev:
        c = Consumer()
        _consume(ev, c, 0.5)
        assert c.of("link", netns.name), "the current links came first"
        before = ev.resyncs
        subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(_changes(3000)) + "\n",
                       check=True, capture_output=True, text=True)   # nobody reads meanwhile
        _consume(ev, c)
        assert ev.resyncs > before, "the kernel must have dropped notifications (ENOBUFS)"
        assert_converges(ev, c, netns, KINDS, netns.name)
        assert len(c.of("address", netns.name)) > 2000


def test_overflow_while_reading_concurrently(netns: Any) -> None:
    with _tiny(netns, 2048) as ev:
        c = Consumer()
        _consume(ev, c, 0.3)
        proc = subprocess.Popen(["ip", "-n", netns.name, "-batch", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stdin is not None
        proc.stdin.write("\n".join(_changes(2000)) + "\n")
        proc.stdin.close()
        while proc.poll() is None:
            e = ev.get(0.05)
            if e is not None:
                c.apply(e)
        assert proc.returncode == 0
        _consume(ev, c)
        assert_converges(ev, c, netns, KINDS, netns.name)
        assert ev.resyncs >= 1
