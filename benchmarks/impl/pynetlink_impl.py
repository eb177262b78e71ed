"""pynetlink one layer down: the codec and transport used directly ("pynetlink codec").

Request programs compiled once, one ``transact`` per batch, ``NetNS`` for namespaces (W1: per
chunk of containers, ``NetNS.create_many_with`` opens each container's socket on the helper
thread that made its namespace): what the object API (impl/pynetlink_api.py, the "pynetlink"
row) costs without its own layer.
Also the source of W3's encode workload (``P_VETH``, ``veth_values``).
"""
from __future__ import annotations

import _socket
import os
import socket
import struct
from typing import Any

from pynetlink._native import lib
from pynetlink.codec import Program, columns
from pynetlink.codec.rows import NONE, Pluck
from pynetlink.codec.specs.rtnl import ADDR, LINK, LINKINFO, ROUTE, RTNL
from pynetlink.transport import NetlinkSocket, NetNS
from pynetlink.transport.socket import open_raw

from .base import (BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, Case, Ctx, Impl, ctr_ip, route_dst,
                   veth_name)

API = "codec+transport"
CHUNK = 64          # containers per step, as the C floor (benchmarks/cfloor/nl.h)
REQ, ACK = lib.NLM_F_REQUEST, lib.NLM_F_ACK
NEW = REQ | ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
IFF_UP = 1
IFI = "BxHiII"                     # family, type, index, flags, change
AF_INET, AF_UNSPEC = socket.AF_INET, socket.AF_UNSPEC
_IFI = struct.Struct("=" + IFI)
_IFA = struct.Struct("=BBBBI")
_RTM = struct.Struct("=BBBBBBBBI")

P_BRIDGE = (Program("create bridge", lib.RTM_NEWLINK, NEW).fixed("ifinfomsg", IFI)
            .string(LINK["ifname"], "name").nest(LINK["linkinfo"], "linkinfo")
            .string(LINKINFO["kind"], "kind").end().compile())
P_GETLINK = (Program("get link", lib.RTM_GETLINK, REQ | ACK, reply=True).fixed("ifinfomsg", IFI)
             .string(LINK["ifname"], "name").compile())
P_DELLINK = (Program("delete link", lib.RTM_DELLINK, REQ | ACK).fixed("ifinfomsg", IFI)
             .string(LINK["ifname"], "name").compile())
P_VETH = (Program("create veth", lib.RTM_NEWLINK, NEW).fixed("ifinfomsg", IFI)
          .string(LINK["ifname"], "name").int(LINK["master"], "master")
          .nest(LINK["linkinfo"], "linkinfo").string(LINKINFO["kind"], "kind")
          .nest(LINKINFO["data"], "data").nest(1, "peer").fixed("peer", IFI)
          .string(LINK["ifname"], "peer_name").int(LINK["net-ns-fd"], "peer_netns")
          .end().end().end().compile())
P_LINKUP = Program("set link", lib.RTM_NEWLINK, REQ | ACK).fixed("ifinfomsg", IFI).compile()
P_ADDR = (Program("add address", lib.RTM_NEWADDR, NEW).fixed("ifaddrmsg", "BBBBI")
          .bytes(ADDR["local"], "local", 4).bytes(ADDR["address"], "address", 4).compile())
P_ROUTE = (Program("add route", lib.RTM_NEWROUTE, NEW).fixed("rtmsg", "BBBBBBBBI")
           .bytes(ROUTE["gateway"], "gateway", 4).compile())
P_ROUTE_DST = (Program("add route", lib.RTM_NEWROUTE, NEW).fixed("rtmsg", "BBBBBBBBI")
               .bytes(ROUTE["dst"], "dst", 4).bytes(ROUTE["gateway"], "gateway", 4).compile())
P_DUMP = {
    "W2-links": (Program("dump links", lib.RTM_GETLINK, REQ | lib.NLM_F_DUMP, dump=True)
                 .fixed("ifinfomsg", IFI).compile(), (AF_UNSPEC, 0, 0, 0, 0)),
    "W2-addrs": (Program("dump addresses", lib.RTM_GETADDR, REQ | lib.NLM_F_DUMP, dump=True)
                 .fixed("ifaddrmsg", "BBBBI").compile(), (AF_INET, 0, 0, 0, 0)),
    "W2-routes": (Program("dump routes", lib.RTM_GETROUTE, REQ | lib.NLM_F_DUMP, dump=True)
                  .fixed("rtmsg", "BBBBBBBBI").compile(), (AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)),
}
RT_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1


def _ip(a: str) -> bytes:
    return socket.inet_aton(a)


def veth_values(i: int, master: int, netns_fd: int) -> tuple[Any, ...]:
    """W1's host message: veth<i> up on the bridge, peer eth0 (ifindex 2) in the container."""
    return (AF_UNSPEC, 0, 0, IFF_UP, IFF_UP, veth_name(i).encode(), master, b"veth",
            AF_UNSPEC, 0, 2, 0, 0, b"eth0", netns_fd)


# what the readers pluck (offsets into the fixed headers), then text slots
_LINK_COLS = Pluck(int(lib.RTM_NEWLINK), _IFI.size, (
    ("hdrs", 4, 4), ("hdr", 8, 4), ("span", LINK["ifname"]), ("u", LINK["mtu"]),          # 1 index, 2 flags, 3 name, 4 mtu
    ("u", LINK["master"]), ("u", LINK["operstate"]), ("span", LINK["address"]),          # 5 master, 6 operstate, 7 mac
    ("span", LINK["linkinfo"], LINKINFO["kind"])))                                        # 8 kind
_ADDR_COLS = Pluck(int(lib.RTM_NEWADDR), _IFA.size, (
    ("hdr", 0, 1), ("hdr", 1, 1), ("hdr", 3, 1), ("hdr", 4, 4),                           # 1 family, 2 plen, 3 scope, 4 index
    ("span", ADDR["local"]), ("span", ADDR["label"]), ("span", ADDR["address"])))          # 5 local, 6 label, 7 address
_ROUTE_COLS = Pluck(int(lib.RTM_NEWROUTE), _RTM.size, (
    ("hdr", 0, 1), ("hdr", 1, 1), ("hdr", 5, 1), ("hdr", 6, 1), ("hdr", 7, 1),            # 1 family, 2 dst_len, 3 proto, 4 scope, 5 type
    ("span", ROUTE["dst"]), ("span", ROUTE["gateway"]), ("u", ROUTE["oif"]),             # 6 dst, 7 gateway, 8 oif
    ("u", ROUTE["table"]), ("hdr", 4, 1)))                                               # 9 table, 10 rtm_table


def _opt(t: Any, slot: int, col: int, mode: int = columns.STR) -> list[str | None]:
    """A text column with None where the attribute is absent."""
    return [x if x or c != NONE else None for x, c in zip(columns.text(t, slot, col, mode), t[col])]


def read_links(rows: Any) -> int:
    """Every link's main fields, as a user reading objects would: by columns (one pluck,
    each text column in one more C call), one record of eight fields per link."""
    t = columns.table(rows, _LINK_COLS, 3)
    ints = columns.ints
    n = 0
    for _link in zip(ints(t, 1, True), ints(t, 2), _opt(t, 9, 3), ints(t, 4), ints(t, 5), ints(t, 6),
                     _opt(t, 10, 7, columns.HEX), _opt(t, 11, 8)):
        n += 1
    return n


def read_addrs(rows: Any) -> int:
    t = columns.table(rows, _ADDR_COLS, 2)
    ints = columns.ints
    n = 0
    for _addr in zip(ints(t, 1), ints(t, 2), ints(t, 3), ints(t, 4), _opt(t, 8, 5, columns.IP),
                     _opt(t, 9, 6), ints(t, 7)):
        n += 1
    return n


def read_routes(rows: Any) -> int:
    t = columns.table(rows, _ROUTE_COLS, 2)
    ints = columns.ints
    n = 0
    tables = [h if a is None else a for a, h in zip(ints(t, 9), ints(t, 10))]
    for _route in zip(ints(t, 1), ints(t, 2), ints(t, 3), ints(t, 4), ints(t, 5), _opt(t, 11, 6, columns.IP),
                      _opt(t, 12, 7, columns.IP), ints(t, 8), tables):
        n += 1
    return n


READERS = {"W2-links": read_links, "W2-addrs": read_addrs, "W2-routes": read_routes}


class Pynetlink(Impl):
    name = "pynetlink codec"
    workloads = frozenset({"W1", "NS", "W2-links", "W2-addrs", "W2-routes", "W5"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        if case.workload != "NS":
            ctx.state["sock"] = NetlinkSocket(0, RTNL, NetNS.open(ctx.host))

    def close(self, ctx: Ctx) -> None:
        s = ctx.state.pop("sock", None)
        if s is not None:
            s.close()

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any] | None:
        w = case.workload
        if w == "NS":
            ctx.state["ns"] = NetNS.create_many([ctx.ctr(i) for i in range(case.n)])
            return None
        host: NetlinkSocket = ctx.state["sock"]
        if w == "W1":
            self._attach(host, ctx, case.n)
            return {"layer": API}
        if w == "W5":
            gw = _ip(ROUTE_GW)
            items = [(P_ROUTE_DST, (AF_INET, 32, 0, 0, ROUTE_TABLE, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
                                    RTN_UNICAST, 0, _ip(route_dst(i)), gw)) for i in range(case.n)]
            host.transact(items, labels=("add route", "")).check()
            return {"layer": API}
        prog, values = P_DUMP[w]
        rows = host.dump(prog, values).rows
        return {"count": READERS[w](rows), "layer": API}

    def _attach(self, host: NetlinkSocket, ctx: Ctx, n: int) -> None:
        host.transact([(P_BRIDGE, (AF_UNSPEC, 0, 0, IFF_UP, IFF_UP, BRIDGE.encode(), b"bridge"))]).check()
        reply = host.request(P_GETLINK, (AF_UNSPEC, 0, 0, 0, 0, BRIDGE.encode()))
        m = reply.results[0].messages[0]
        br = _IFI.unpack(reply.rows.header(m, 16))[2]
        gw = _ip(GATEWAY)
        host.request(P_ADDR, (AF_INET, 16, 0, 0, br, gw, gw))
        route = (AF_INET, 0, 0, 0, RT_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
        ctx.state["ns"] = ctrs = []
        for base in range(0, n, CHUNK):
            made = NetNS.create_many_with([ctx.ctr(i) for i in range(base, min(n, base + CHUNK))],
                                          _open_route, _close)
            ctrs += [c for c, _ in made]
            fds = [os.open(c.path, os.O_RDONLY | os.O_CLOEXEC) for c, _ in made]
            try:
                host.transact([(P_VETH, veth_values(i, br, fd)) for i, fd in enumerate(fds, base)]).check()
            finally:
                for fd in fds:
                    os.close(fd)
            for i, (c, raw) in enumerate(made, base):
                a = _ip(ctr_ip(i))
                with NetlinkSocket(0, RTNL, c, sock=raw) as s:
                    s.transact([(P_LINKUP, (AF_UNSPEC, 0, 1, IFF_UP, IFF_UP)),
                                (P_LINKUP, (AF_UNSPEC, 0, 2, IFF_UP, IFF_UP)),
                                (P_ADDR, (AF_INET, 16, 0, 0, 2, a, a)),
                                (P_ROUTE, (*route, gw))]).check()

    def teardown(self, case: Case, ctx: Ctx) -> None:
        NetNS.delete_many(ctx.state.pop("ns"))
        if case.workload == "W1":
            ctx.state["sock"].request(P_DELLINK, (AF_UNSPEC, 0, 0, 0, 0, BRIDGE.encode()))


def _open_route(_: NetNS) -> _socket.socket:
    return open_raw(0)


def _close(sock: _socket.socket) -> None:
    sock.close()
