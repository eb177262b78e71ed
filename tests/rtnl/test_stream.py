"""Handle.stream: a dump yielded one receive buffer at a time, the same views as the list."""
from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from pynetlink import Handle, InvalidArgument, NotFoundError, Route
from pynetlink.rtnl import addresses, links, routes

from .conftest import wire

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]
N = 3000           # ~180 KB of replies: several receive buffers


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def many(h: Handle, netns: Any) -> Handle:
    wire(h, netns)
    lines = [f"route add 172.16.{i >> 8}.{i & 255}/32 via 198.51.100.2 table 100" for i in range(N)]
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines) + "\n",
                   check=True, capture_output=True, text=True)
    return h


def test_stream_yields_what_the_list_dump_has(many: Handle) -> None:
    listed = [(r.dst, r.via, r.table) for r in many.routes.dump(table=100)]
    streamed = [(r.dst, r.via, r.table) for r in many.stream(routes.dump(table=100))]
    assert len(streamed) == N
    assert streamed == listed
    every = [r.table for r in many.stream(routes.dump(table=None, family="ipv4"))]
    assert every.count(100) == N and 254 in every and 255 in every       # main and local too
    names = {v.name for v in many.stream(links.dump())}
    assert {"lo", "eth0", "eth0p"} <= names
    assert {a.address for a in many.stream(addresses.dump(link="eth0", family="ipv4"))} == {"198.51.100.1"}


def test_stopping_early_closes_the_streams_socket(many: Handle) -> None:
    before = fds()
    it = many.stream(routes.dump(table=100))
    assert next(it).table == 100
    assert fds() == before + 1
    it.close()
    assert fds() == before
    assert len(many.routes.dump(table=100)) == N           # the Handle's own socket is untouched


def test_stream_errors(h: Handle) -> None:
    with pytest.raises(InvalidArgument, match="is not a dump"):
        list(h.stream(routes.delete(Route("172.16.0.1/32"))))
    with pytest.raises((InvalidArgument, NotFoundError), match="nosuch"):
        list(h.stream(addresses.dump(link="nosuch")))
