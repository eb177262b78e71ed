"""The S1 topology for the NAT traffic tests, built with pynetlink's public API (Handle,
Bridge, Veth, addresses, routes): host H with bridge docker0, container C1 behind it,
outside O on the uplink. Nothing here runs `ip`; everything lives in test namespaces.

IPv4: docker0 172.17.0.1/24, C1 172.17.0.2 (default via H); uplink 203.0.113.1/24, O 203.0.113.254.
IPv6 (``ipv6=True``, DAD off in every namespace): docker0 2001:db8:1::1/64, C1 2001:db8:1::2;
uplink 2001:db8:2::1/64, O 2001:db8:2::254. O has no route to either container subnet.
"""
from __future__ import annotations

from typing import Callable

from pynetlink import Bridge, Handle, Veth
from pynetlink.transport import NetNS

V4 = {"docker0": "172.17.0.1/24", "c1": "172.17.0.2/24", "uplink": "203.0.113.1/24", "o": "203.0.113.254/24"}
V6 = {"docker0": "2001:db8:1::1/64", "c1": "2001:db8:1::2/64", "uplink": "2001:db8:2::1/64",
      "o": "2001:db8:2::254/64"}


def _no_dad(ns: NetNS) -> None:
    for conf in ("all", "default"):
        ns.set_sysctl(f"net.ipv6.conf.{conf}.accept_dad", 0)


def build_s1(make_netns: Callable[[str], NetNS], *, ipv6: bool = False) -> dict[str, NetNS]:
    """The namespaces h, c1 and o, wired and addressed (IPv6 too with ``ipv6``)."""
    h, c1, o = make_netns("h"), make_netns("c1"), make_netns("o")
    if ipv6:
        for ns in (h, c1, o):
            _no_dad(ns)
    six = {"flags": ("nodad",)}
    with Handle(h) as H, Handle(c1) as C1, Handle(o) as O:
        H.links.create(Bridge("docker0", up=True))
        H.links.create(Veth("vh1", peer="eth0", peer_netns=c1, master="docker0", up=True))
        H.links.create(Veth("uplink", peer="eth0", peer_netns=o, up=True))
        H.addresses.add("docker0", V4["docker0"])
        H.addresses.add("uplink", V4["uplink"])
        if ipv6:
            H.addresses.add("docker0", V6["docker0"], **six)
            H.addresses.add("uplink", V6["uplink"], **six)
        for node, name in ((C1, "c1"), (O, "o")):
            node.links.set("lo", up=True)
            node.links.set("eth0", up=True)
            node.addresses.add("eth0", V4[name])
            if ipv6:
                node.addresses.add("eth0", V6[name], **six)
        C1.routes.add("default", via="172.17.0.1")
        H.routes.add("default", via="203.0.113.254")
        if ipv6:
            C1.routes.add("default", via="2001:db8:1::1", family=6)
            H.routes.add("default", via="2001:db8:2::254", family=6)
    return {"h": h, "c1": c1, "o": o}
