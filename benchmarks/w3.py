"""W3, the codec without a kernel: what one message costs to encode and to decode.

Encode: a batch of 1,000 veth-create messages, W1's host message (name, master, up; peer
eth0 with its ifindex, created in a namespace given by fd). Decode: a real 1,000-link dump
captured once (data/links1000.bin.gz, see capture.py), into rows, and into objects whose
main fields are read. Shared by the pytest-benchmark micro-benchmarks and the runner.
"""
from __future__ import annotations

import gzip
import time
from functools import lru_cache
from typing import Any, Callable

from .common import HERE

N = 1000
FIXTURE = HERE / "data" / "links1000.bin.gz"


@lru_cache(maxsize=1)
def links_dump() -> bytes:
    return gzip.decompress(FIXTURE.read_bytes())


# -- pynetlink ------------------------------------------------------------------------------
def pynetlink_encode() -> Callable[[], Any]:
    from pynetlink.codec import encode

    from .impl.pynetlink_impl import P_VETH, veth_values
    items = [(P_VETH, veth_values(i, 2, 100 + i)) for i in range(N)]
    return lambda: encode(items, 1)


def pynetlink_encode_values() -> Callable[[], Any]:
    """Encoding including building the values per message (what a batch of specs costs)."""
    from pynetlink.codec import encode

    from .impl.pynetlink_impl import P_VETH, veth_values
    return lambda: encode([(P_VETH, veth_values(i, 2, 100 + i)) for i in range(N)], 1)


def pynetlink_decode_rows() -> Callable[[], Any]:
    from pynetlink.codec import decode
    from pynetlink.codec.specs.rtnl import RTNL
    data = links_dump()
    return lambda: decode(data, RTNL)


def pynetlink_decode_read() -> Callable[[], Any]:
    from pynetlink.codec import decode
    from pynetlink.codec.specs.rtnl import RTNL

    from .impl.pynetlink_impl import _LINK_COLS, read_links
    data = links_dump()
    # decoded in one pass into the columns the reader plucks (no row table): what a reader
    # of fixed fields asks the codec for (``decode(data, family, pluck)``)
    return lambda: read_links(decode(data, RTNL, _LINK_COLS))


def pynetlink_decode_views() -> Callable[[], Any]:
    """The dump as the API's ``links.dump()`` parses it (one view per link, read from the
    dump's table in C), the W2 API reader's fields read."""
    from pynetlink.codec import decode
    from pynetlink.codec.specs.rtnl import RTNL
    from pynetlink.rtnl.link import PLUCK
    from pynetlink.rtnl.links import views_of

    from .impl.pynetlink_api import read_links
    data = links_dump()

    def run() -> int:
        rows = decode(data, RTNL, PLUCK)            # as links.dump() decodes its replies
        return read_links(views_of(rows, rows.data_messages()))
    return run


# -- pyroute2 -------------------------------------------------------------------------------
def pyroute2_encode() -> Callable[[], Any]:
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    def run() -> bytes:
        out = bytearray()
        for i in range(N):
            m = ifinfmsg()
            m["family"] = 0
            m["flags"] = 1
            m["change"] = 1
            m["attrs"] = [["IFLA_IFNAME", f"veth{i:07x}"], ["IFLA_MASTER", 2],
                          ["IFLA_LINKINFO", {"attrs": [
                              ["IFLA_INFO_KIND", "veth"],
                              ["IFLA_INFO_DATA", {"attrs": [["VETH_INFO_PEER", {
                                  "index": 2, "attrs": [["IFLA_IFNAME", "eth0"],
                                                        ["IFLA_NET_NS_FD", 100 + i]]}]]}]]}]]
            m["header"]["type"] = 16
            m["header"]["flags"] = 0x605
            m["header"]["sequence_number"] = i + 1
            m.encode()
            out += m.data
        return bytes(out)
    return run


def pyroute2_decode_read() -> Callable[[], Any]:
    from pyroute2.netlink.rtnl.marshal import MarshalRtnl

    from .impl.pyroute2_impl import read_links
    data = links_dump()
    marshal = MarshalRtnl()
    return lambda: read_links(list(marshal.parse(data)))


# -- timing for the runner ------------------------------------------------------------------
def per_message_ns(fn: Callable[[], Any], messages: int = N, budget: float = 1.0,
                   max_iter: int = 200) -> dict[str, float]:
    """Median, min and max ns per message over repeated calls (bounded by ``budget`` seconds)."""
    fn()                                           # warm caches, compile programs
    times: list[float] = []
    t_end = time.perf_counter() + budget
    while len(times) < 3 or (time.perf_counter() < t_end and len(times) < max_iter):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / messages)
    times.sort()
    return {"median": times[len(times) // 2], "min": times[0], "max": times[-1], "iterations": len(times)}


CASES: dict[str, dict[str, Callable[[], Callable[[], Any]]]] = {
    "pynetlink": {"encode": pynetlink_encode, "encode (values built per call)": pynetlink_encode_values,
                  "decode (rows)": pynetlink_decode_rows,
                  "decode + read fields": pynetlink_decode_read,
                  "decode + views, fields read": pynetlink_decode_views},
    "pyroute2": {"encode (values built per call)": pyroute2_encode,
                 "decode + read fields": pyroute2_decode_read},
}
