"""The S1 topology for the NAT traffic tests, built with raw rtnetlink programs.

pynetlink's own link/address API is being written in parallel; until it lands these few
requests (the brief's last resort, tests only) build: host H with bridge docker0, container
C1 behind it, outside O on 203.0.113.0/24. Nothing here runs `ip`.
"""
from __future__ import annotations

import os
import socket
from typing import Any, Callable

from pynetlink._native import lib
from pynetlink.codec import Program
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.transport import NetlinkSocket, NetNS, run_in

REQ_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK
CREATE = REQ_ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
IFI = "BxHiII"
BRIDGE = (Program("create bridge", lib.RTM_NEWLINK, CREATE).fixed("ifinfomsg", IFI)
          .string(lib.IFLA_IFNAME, "name").nest(lib.IFLA_LINKINFO, "linkinfo")
          .string(lib.IFLA_INFO_KIND, "kind").end().compile())
VETH = (Program("create veth", lib.RTM_NEWLINK, CREATE).fixed("ifinfomsg", IFI)
        .string(lib.IFLA_IFNAME, "name").nest(lib.IFLA_LINKINFO, "linkinfo")
        .string(lib.IFLA_INFO_KIND, "kind").nest(lib.IFLA_INFO_DATA, "data")
        .nest(lib.VETH_INFO_PEER, "peer").fixed("peer", IFI).string(lib.IFLA_IFNAME, "peer_name")
        .int(lib.IFLA_NET_NS_FD, "netns_fd").end().end().end().compile())
UP = (Program("set up", lib.RTM_NEWLINK, REQ_ACK).fixed("ifinfomsg", IFI)
      .string(lib.IFLA_IFNAME, "name").compile())
MASTER = (Program("set master", lib.RTM_NEWLINK, REQ_ACK).fixed("ifinfomsg", IFI)
          .string(lib.IFLA_IFNAME, "name").int(lib.IFLA_MASTER, "master").compile())
ADDR = (Program("add address", lib.RTM_NEWADDR, CREATE).fixed("ifaddrmsg", "BBBBI")
        .bytes(lib.IFA_LOCAL, "local", 4).bytes(lib.IFA_ADDRESS, "address", 4).compile())
ROUTE = (Program("add route", lib.RTM_NEWROUTE, CREATE).fixed("rtmsg", "BBBBBBBBI")
         .bytes(lib.RTA_GATEWAY, "gateway", 4).compile())


class Node:
    """One namespace with an rtnetlink socket."""

    def __init__(self, ns: NetNS) -> None:
        self.ns = ns
        self.sock = NetlinkSocket(0, RTNL, ns)

    def do(self, prog: Any, values: tuple[Any, ...], what: str) -> None:
        self.sock.request(prog, values, (prog.name, what))

    def index(self, name: str) -> int:
        return run_in(self.ns.path, lambda: socket.if_nametoindex(name))

    def bridge(self, name: str) -> None:
        self.do(BRIDGE, (0, 0, 0, 0, 0, name.encode(), b"bridge"), name)

    def veth(self, name: str, peer: str, peer_ns: NetNS) -> None:
        fd = os.open(peer_ns.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.do(VETH, (0, 0, 0, 0, 0, name.encode(), b"veth", 0, 0, 0, 0, 0, peer.encode(), fd), name)
        finally:
            os.close(fd)

    def up(self, name: str) -> None:
        self.do(UP, (0, 0, 0, 1, 1, name.encode()), name)

    def master(self, name: str, master: str) -> None:
        self.do(MASTER, (0, 0, 0, 0, 0, name.encode(), self.index(master)), name)

    def addr(self, name: str, cidr: str) -> None:
        ip, plen = cidr.split("/")
        raw = socket.inet_aton(ip)
        self.do(ADDR, (socket.AF_INET, int(plen), 0, 0, self.index(name), raw, raw), f"{cidr} on {name}")

    def default_route(self, gateway: str) -> None:
        self.do(ROUTE, (socket.AF_INET, 0, 0, 0, 254, 3, 0, 1, 0, socket.inet_aton(gateway)), gateway)

    def close(self) -> None:
        self.sock.close()


def build_s1(make_netns: Callable[[str], NetNS]) -> dict[str, NetNS]:
    """H (docker0 172.17.0.1/24, uplink 203.0.113.1/24), C1 (172.17.0.2), O (203.0.113.254)."""
    h, c1, o = make_netns("h"), make_netns("c1"), make_netns("o")
    H, C1, O = Node(h), Node(c1), Node(o)
    try:
        H.bridge("docker0")
        H.addr("docker0", "172.17.0.1/24")
        H.up("docker0")
        H.veth("vh1", "eth0", c1)
        H.master("vh1", "docker0")
        H.up("vh1")
        H.veth("uplink", "eth0", o)
        H.addr("uplink", "203.0.113.1/24")
        H.up("uplink")
        for node, cidr, gw in ((C1, "172.17.0.2/24", "172.17.0.1"), (O, "203.0.113.254/24", None)):
            node.up("lo")
            node.addr("eth0", cidr)
            node.up("eth0")
            if gw:
                node.default_route(gw)
        H.default_route("203.0.113.254")
    finally:
        for n in (H, C1, O):
            n.close()
    return {"h": h, "c1": c1, "o": o}
