"""MasqueradeSets (nft/masqsets.py): masquerade of bridge networks as set elements. What it
does to packets (rewritten leaving by another interface, not leaving by its own bridge), its
ensure/idempotence, and that adding a network is one transaction with no read, checked with
``nft -j`` and real TCP between namespaces (``ip`` builds the topology, an independent harness)."""
from __future__ import annotations

import shutil
import subprocess
from typing import Any, Callable

import pytest

from pynetlink.errors import ExistsError
from pynetlink.nft import Nftables
from pynetlink.nft.masqsets import MasqueradeSets
from pynetlink.transport import NetNS

from ..networks.traffic import masquerading, tcp
from .test_nat_setup import count_transfers

pytestmark = [pytest.mark.root, pytest.mark.kernel("netns", "veth", "bridge", "nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]
MakeNS = Callable[..., NetNS]


def _ip(ns: NetNS, *cmds: str) -> None:
    subprocess.run(["ip", "-n", str(ns.name), "-batch", "-"], input="\n".join(cmds) + "\n",
                   check=True, capture_output=True, text=True)


def _veth(a: NetNS, a_name: str, b: NetNS, b_name: str) -> None:
    _ip(a, f"link add {a_name} type veth peer name {b_name} netns {b.name}")


@pytest.fixture
def routed(make_netns: MakeNS) -> dict[str, NetNS]:
    """R routes between a bridge ``brA`` (X1 in 10.1.0.0/24, X2 in 10.2.0.0/24, both on it)
    and ``out`` (Y, 198.51.100.0/24; routes back to both). IPv6 off everywhere (not the subject)."""
    ns = {k: make_netns(f"mq{k.lower()}") for k in ("R", "X1", "X2", "Y")}
    for n in ns.values():
        n.set_sysctl("net.ipv6.conf.all.disable_ipv6", "1")
        n.set_sysctl("net.ipv6.conf.default.disable_ipv6", "1")
    R = ns["R"]
    _veth(R, "p1", ns["X1"], "eth0")
    _veth(R, "p2", ns["X2"], "eth0")
    _veth(R, "out", ns["Y"], "eth0")
    _ip(R, "link add brA type bridge", "link set p1 master brA", "link set p2 master brA",
        "link set brA up", "link set p1 up", "link set p2 up", "link set out up",
        "addr add 10.1.0.1/24 dev brA", "addr add 10.2.0.1/24 dev brA", "addr add 198.51.100.1/24 dev out")
    R.set_sysctl("net.ipv4.ip_forward", "1")
    for k, addr, gw in (("X1", "10.1.0.2/24", "10.1.0.1"), ("X2", "10.2.0.2/24", "10.2.0.1"),
                        ("Y", "198.51.100.2/24", "198.51.100.1")):
        _ip(ns[k], "link set lo up", "link set eth0 up", f"addr add {addr} dev eth0",
            f"route add default via {gw}")
    return ns


def test_masquerades_leaving_by_another_interface_only(routed: dict[str, NetNS]) -> None:
    R, X1, X2, Y = routed["R"], routed["X1"], routed["X2"], routed["Y"]
    assert tcp(X1, Y, "198.51.100.2", 7501) == "10.1.0.2"            # no NAT yet
    with Nftables(R) as nft:
        MasqueradeSets(nft).add([("10.1.0.0/24", "brA")])
    assert masquerading(R) == ["10.1.0.0/24 !brA"]
    assert tcp(X1, Y, "198.51.100.2", 7502) == "198.51.100.1"        # out by `out`: rewritten
    assert tcp(X1, X2, "10.2.0.2", 7503) == "10.1.0.2"               # routed back out brA: not
    assert tcp(X2, Y, "198.51.100.2", 7504) == "10.2.0.2"            # another subnet: not
    with Nftables(R) as nft:
        MasqueradeSets(nft).remove([("10.1.0.0/24", "brA")])
    assert masquerading(R) == []
    assert tcp(X1, Y, "198.51.100.2", 7505) == "10.1.0.2"


def _table(ns: NetNS) -> Any:
    out = subprocess.run(["ip", "netns", "exec", str(ns.name), "nft", "-j", "list", "table", "inet", "pynetlink"],
                         check=True, capture_output=True, text=True).stdout
    return out


def test_add_is_one_transaction_and_an_ensure(netns: NetNS, monkeypatch: pytest.MonkeyPatch) -> None:
    with Nftables(netns) as nft:
        calls = count_transfers(nft, monkeypatch)
        m = MasqueradeSets(nft)
        m.add([("172.18.0.0/16", "br-a"), ("fd00:1::/64", "br-a")])
        m.add([("172.19.0.0/24", "br-b")])
        assert len(calls) == 2                        # no read, one transaction each
        assert calls[1] == 4                          # begin, two elements, end: no structure again
        m.add([("172.18.0.0/16", "br-a")])            # there already: no error, no duplicate
        other = MasqueradeSets(nft)                   # a new instance rewrites its chain, same rules
        other.add([("172.19.0.0/24", "br-b")])
        assert masquerading(netns) == ["172.18.0.0/16 !br-a", "172.19.0.0/24 !br-b", "fd00:1::/64 !br-a"]
        listed = _table(netns)
        assert listed.count('"masquerade"') == 2      # the chain's rules, once (v4, v6)
        gen = nft.generation()
        with pytest.raises(ExistsError):              # overlapping subnets are refused, nothing changes
            m.add([("172.18.5.0/24", "br-c")])
        assert nft.generation() == gen and _table(netns) == listed


def test_remove_tolerates_what_is_missing(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        m = MasqueradeSets(nft)
        m.remove([("172.18.0.0/16", "br-a")])         # no table: nothing to do
        m.add([("172.18.0.0/16", "br-a"), ("172.19.0.0/24", "br-b")])
        m.remove([("172.18.0.0/16", "br-a"), ("172.20.0.0/24", "br-x")])     # one of them unknown
        assert masquerading(netns) == ["172.19.0.0/24 !br-b"]
        m.remove([("172.18.0.0/16", "br-a")])
        assert masquerading(netns) == ["172.19.0.0/24 !br-b"]
        nft.delete_table("pynetlink", family="inet")  # the table deleted behind its back
        m.add([("172.21.0.0/24", "br-c")])            # made again, whole
        assert masquerading(netns) == ["172.21.0.0/24 !br-c"]
