"""start_with_current: the existing objects, then the changes, with no gap and no duplicate,
also while another process keeps changing the namespace during the first dump."""
from __future__ import annotations

import subprocess
from typing import Any

from pynetlink.events import Events

from .helpers import Consumer, assert_converges, ip


def test_current_then_changes_without_gap_or_duplicate(netns: Any) -> None:
    ip(netns, "link", "add", "br0", "type", "bridge")
    ip(netns, "link", "set", "br0", "up")
    lines = [f"address add 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(3000)]
    lines += [f"address del 172.16.{i // 250}.{i % 250 + 1}/32 dev br0" for i in range(0, 3000, 2)]
    lines += [f"link add v{i} type veth peer name w{i}" for i in range(30)]
    proc = subprocess.Popen(["ip", "-n", netns.name, "-batch", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    proc.stdin.write("\n".join(lines) + "\n")
    proc.stdin.flush()
    ev = Events(["link", "address"], netns=netns, start_with_current=True)   # while it runs
    c = Consumer()                      # asserts: no "new" of a known key, no unknown changed/deleted
    origins: list[str] = []
    with ev:
        proc.stdin.close()
        while proc.poll() is None:
            e = ev.get(0.05)
            if e is not None:
                c.apply(e)
                origins.append(e.origin)
        assert proc.returncode == 0
        for e in ev.iter(0.5):
            c.apply(e)
            origins.append(e.origin)
        seen: list[Any] = []
        assert_converges(ev, c, netns, ("link", "address"), netns.name, seen=seen)
        origins += [e.origin for e in seen]
    first_change = next((i for i, o in enumerate(origins) if o != "current"), len(origins))
    assert "current" not in origins[first_change:], "the current state comes first, in one piece"
    assert ev.resyncs == 0
    assert len([k for k in c.of("address", netns.name) if k[0] == 4]) == 1500


def test_without_current_only_changes_are_reported(netns: Any) -> None:
    ip(netns, "link", "add", "br0", "type", "bridge")
    with Events(["link"], netns=netns) as ev:
        assert ev.sync(5)
        assert {v.name for v in ev.state("link").values()} == {"lo", "br0"}
        assert ev.get(0.2) is None                     # the loaded state is not reported
        ip(netns, "link", "set", "br0", "mtu", "1280")
        e = ev.get(2)
        assert e is not None and e.action == "changed" and e.changes["mtu"] == (1500, 1280)
