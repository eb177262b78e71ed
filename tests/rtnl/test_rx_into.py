"""A large dump received straight into the bytes it keeps (``Transfer.run_into``, sized from
the spec's last replies): the same replies, byte for byte, as through the socket's area and
a copy; a guess that was too small grows (what was received copied). Against the kernel: links made in the test's own
namespace (ip -batch as set-up)."""
from __future__ import annotations

import subprocess
from typing import Any

import pytest

from pynetlink import Handle
from pynetlink.codec.columns import _cview
from pynetlink.rtnl.link import PLUCK

pytestmark = pytest.mark.skipif(_cview is None, reason="a build without the C views")


def _messages_bytes(rows: Any) -> int:
    """The bytes of the messages a decoded buffer holds, as their headers say (aligned)."""
    total = 0
    for m in rows.messages():
        total += (rows.len[m] + 3) & ~3
    return total


def _unsequenced(rows: Any) -> bytes:
    """The buffer with every message's sequence number cleared (each dump has its own)."""
    out = bytearray(rows.data)
    for m in rows.messages():
        o = rows.off[m]
        out[o + 8:o + 12] = bytes(4)
    return bytes(out)


@pytest.mark.root
@pytest.mark.kernel("veth")
def test_large_dump_into_its_bytes_equals_the_copy(h: Handle, netns: Any) -> None:
    lines = [f"link add rx{i} mtu {1300 + i} type veth peer name ry{i}" for i in range(200)]
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines), text=True,
                   check=True, capture_output=True)
    sock, calls = h._sock, []
    real = type(sock._area).run_into

    def spy(self: Any, *a: Any, **kw: Any) -> bytes:
        calls.append(kw["cap"])
        return real(self, *a, **kw)

    saved = PLUCK.last_size
    try:
        PLUCK.last_size = 0                         # first: the area and a copy
        type(sock._area).run_into = spy             # type: ignore[method-assign]
        copied = h.links.dump()
        assert calls == [] and PLUCK.last_size > sock._area.base_cap
        size = PLUCK.last_size
        into = h.links.dump()                       # then: straight into its bytes
        assert calls == [size + size // 8 + 65536] and PLUCK.last_size == size
        PLUCK.last_size = sock._area.base_cap + 1   # a guess too small: grown while received
        grown = h.links.dump()
        assert len(calls) == 2 and calls[1] < size
    finally:
        type(sock._area).run_into = real            # type: ignore[method-assign]
        PLUCK.last_size = saved
    for views in (into, grown):
        data = views[0]._rows.data
        assert type(data) is bytes and len(data) == size == _messages_bytes(views[0]._rows)
        assert _unsequenced(views[0]._rows) == _unsequenced(copied[0]._rows)
        assert [v.to_dict() for v in views] == [v.to_dict() for v in copied]
    assert {v.name: v.mtu for v in into if v.name.startswith("rx")} == {f"rx{i}": 1300 + i for i in range(200)}
