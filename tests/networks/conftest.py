"""Topologies for the scenarios, all inside namespaces the test creates (and deletes).

- ``outside``: host H with an uplink veth to O (203.0.113.1 <-> .254), H's default via O (S1).
- ``lan``: a switch L (bridge ``sw``), router R at 172.16.0.254, hosts H1 (172.16.0.1) and
  H2 (172.16.0.2) whose ``eth0`` plug into L (S2, S3).
- ``trunk``: host H whose ``eth0`` is a trunk to router R with VLANs 30 and 40 holding
  192.168.1.1 and 192.168.2.1 (S4).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Bridge, Handle, NetNS, Veth, Vlan
from pynetlink.networks import Networks

MakeNS = Callable[..., NetNS]


def plug(a: NetNS, a_if: str, b: NetNS, b_if: str, *, master: str | None = None,
         addr: str | None = None) -> None:
    """A veth between namespaces a and b (``master`` in b), both ends up; ``addr`` on a's end.
    Returns once both ends are operationally up with their IPv6 link-local address, so the
    kernel changes nothing more on its own afterwards (snapshots stay comparable)."""
    with Handle(b) as hb:
        hb.links.create(Veth(b_if, peer=a_if, peer_netns=a, master=master, up=True))
    with Handle(a) as ha:
        ha.links.set("lo", up=True)
        ha.links.set(a_if, up=True)
        if addr:
            ha.addresses.add(a_if, addr)
    wait_link_local(a, a_if)
    wait_link_local(b, b_if)


def wait_link_local(ns: NetNS, ifname: str, timeout: float = 10.0) -> None:
    """Until ``ifname`` is operationally up and has its fe80:: address."""
    import time
    deadline = time.monotonic() + timeout
    with Handle(ns) as h:
        while time.monotonic() < deadline:
            view = h.links.get(ifname)
            if view.operstate == "up" and any(
                    a.address.startswith("fe80:") for a in h.addresses.dump(ifname, family=6)):
                return
            time.sleep(0.05)
    raise TimeoutError(f"{ifname} in {ns.name} did not settle")


def quiet(ns: NetNS) -> NetNS:
    """No IPv6 duplicate address detection: addresses and their routes settle at once, so
    before/after snapshots of the namespace compare equal."""
    for key in ("net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"):
        ns.set_sysctl(key, 0)
    return ns


@pytest.fixture
def mk(make_netns: MakeNS) -> MakeNS:
    """make_netns, with the namespace made quiet (see ``quiet``)."""
    return lambda tag="ns": quiet(make_netns(tag))


@dataclass
class Topology:
    ns: dict[str, NetNS]
    nets: dict[str, Networks]
    make: MakeNS
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> NetNS:
        try:
            return self.ns[name]
        except KeyError:
            raise AttributeError(name) from None

    def container(self, tag: str = "c") -> NetNS:
        return self.make(tag)


def wire(a: NetNS, a_if: str, a_addr: str, b: NetNS, b_if: str, b_addr: str,
         b_via: str | None = None) -> None:
    """Two namespaces joined by a veth with an address on each end (lo up in both), and
    optionally a default route in b."""
    plug(a, a_if, b, b_if, addr=a_addr)
    with Handle(b) as h:
        h.links.set("lo", up=True)
        h.addresses.add(b_if, b_addr)
        if b_via:
            h.routes.add("default", via=b_via)


@pytest.fixture
def outside(mk: MakeNS, tmp_path: Path) -> Iterator[Topology]:
    H, O = mk("H"), mk("O")
    wire(O, "eth0", "203.0.113.254/24", H, "uplink", "203.0.113.1/24", b_via="203.0.113.254")
    yield Topology({"H": H, "O": O}, {"H": Networks(H, state_dir=tmp_path / "H")}, mk)


@pytest.fixture
def lan(mk: MakeNS, tmp_path: Path) -> Iterator[Topology]:
    L, R, H1, H2 = (mk(t) for t in ("L", "R", "H1", "H2"))
    with Handle(L) as hl:
        hl.links.set("lo", up=True)
        hl.links.create(Bridge("sw", up=True))
    plug(R, "eth0", L, "p-r", master="sw", addr="172.16.0.254/24")
    plug(H1, "eth0", L, "p-h1", master="sw", addr="172.16.0.1/24")
    plug(H2, "eth0", L, "p-h2", master="sw", addr="172.16.0.2/24")
    shared = tmp_path / "ipam"          # one address space for the LAN, as a cluster store gives
    yield Topology({"L": L, "R": R, "H1": H1, "H2": H2},
                   {"H1": Networks(H1, state_dir=tmp_path / "H1", ipam_dir=shared),
                    "H2": Networks(H2, state_dir=tmp_path / "H2", ipam_dir=shared)}, mk)


@pytest.fixture
def trunk(mk: MakeNS, tmp_path: Path) -> Iterator[Topology]:
    H, R = mk("H"), mk("R")
    plug(R, "eth0", H, "eth0")
    with Handle(R) as hr:
        for vid, gw in ((30, "192.168.1.1/24"), (40, "192.168.2.1/24")):
            hr.links.create(Vlan(f"eth0.{vid}", parent="eth0", id=vid, up=True))
            hr.addresses.add(f"eth0.{vid}", gw)
    with Handle(H) as h:
        h.links.set("lo", up=True)
    yield Topology({"H": H, "R": R}, {"H": Networks(H, state_dir=tmp_path / "H")}, mk)
