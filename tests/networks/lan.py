"""S2 and S3 share their proofs: two hosts on one LAN with a router, containers on each."""
from __future__ import annotations

from typing import Any, Callable

from pynetlink.networks import Endpoint
from pynetlink.transport import NetNS

from .conftest import Topology
from .traffic import assert_unchanged, ip_j, link, snapshot, tcp, settled

LAN: dict[str, Any] = dict(subnet="172.16.0.0/24", gateway="172.16.0.254", ip_range="172.16.0.0/24",
                           aux_addresses={"host1": "172.16.0.1", "host2": "172.16.0.2"})
RESERVED = {"172.16.0.0", "172.16.0.1", "172.16.0.2", "172.16.0.254", "172.16.0.255"}


def lan_scenario(lan: Topology, driver: str, options: dict[str, str],
                 extra: Callable[[NetNS, NetNS], None] | None = None) -> tuple[Endpoint, Endpoint]:
    """Build net01 on H1 and H2, connect web01/web02 and two automatic ones, prove (``extra``
    adds proofs on web01, web02), remove, and compare the hosts with their state before."""
    n1, n2 = lan.nets["H1"], lan.nets["H2"]
    before = {h: settled(lan.ns[h]) for h in ("H1", "H2")}
    for n in (n1, n2):
        n.create("net01", driver=driver, options={"parent": "eth0", **options}, **LAN)
    web01, web02, a1, a2 = (lan.container(t) for t in ("web01", "web02", "a1", "a2"))
    e1 = n1.connect("net01", web01, ip="172.16.0.3")
    e2 = n2.connect("net01", web02, ip="172.16.0.4")
    (x1,) = n1.connect_many("net01", [a1])
    (x2,) = n2.connect_many("net01", [a2])
    ips = [e.ip for e in (e1, e2, x1, x2)]
    assert len(set(ips)) == 4 and not RESERVED & set(ips)           # never gateway, aux, net, bcast
    for c in (web01, web02, a1):
        assert [r["gateway"] for r in ip_j(c, "route", "show", "default")] == ["172.16.0.254"]
    R, H2 = lan.R, lan.H2
    assert tcp(web01, web02, "172.16.0.4", 7010) == "172.16.0.3"     # across hosts
    assert tcp(web02, web01, "172.16.0.3", 7011) == "172.16.0.4"
    assert tcp(web01, R, "172.16.0.254", 7012) == "172.16.0.3"        # each <-> R
    assert tcp(R, web02, "172.16.0.4", 7013) == "172.16.0.254"
    assert tcp(a1, web02, "172.16.0.4", 7014) == x1.ip
    assert tcp(web01, H2, "172.16.0.2", 7015) == "172.16.0.3"         # a container <-> the other host
    # one L2 segment: R learnt each container's own MAC by ARP, directly
    neigh = {n["dst"]: n.get("lladdr") for n in ip_j(R, "neigh", "show")}
    for c, e in ((web01, e1), (web02, e2)):
        assert neigh[e.ip or ""] == link(c, "eth0")["address"]
    if extra is not None:
        extra(web01, web02)
    for n in (n1, n2):
        n.remove("net01", force=True)
    assert_unchanged(before, {h: snapshot(lan.ns[h]) for h in ("H1", "H2")})
    return e1, e2
