"""Bad input at the entry points of pynetlink.networks and pynetlink.nft: exception type,
the words of its message, and nothing changed (namespaces, nftables, state directory)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from pynetlink import InvalidArgument, NotSupportedError
from pynetlink.networks import Networks, OptionError
from pynetlink.networks.errors import NotFound
from pynetlink.nft import Chain, DockerNat, Ip, Map, Meta, Nftables, Publish, Rule, Set, Table, Tcp

from ..conftest import kernel_features
from .conftest import Ctx, check_row


def nets(c: Ctx) -> Networks:
    return Networks(c.ns, state_dir=c.state)


def nft(c: Ctx) -> Nftables:
    return Nftables(c.ns)


Row = tuple[str, Callable[[Ctx], Any], type, str]
ROWS: list[Row] = [
    # -- Networks(...)
    ("host a file", lambda c: Networks("/etc/hostname", state_dir=c.state), InvalidArgument,
     "not a network namespace"),
    ("host missing", lambda c: Networks("pnl-no-such-ns", state_dir=c.state), NotFound, "pnl-no-such-ns"),
    # -- create
    ("name with space", lambda c: nets(c).create("bad name"), OptionError, "name"),
    ("name NUL", lambda c: nets(c).create("n\0"), OptionError, "name"),
    ("driver", lambda c: nets(c).create("n9", driver="nosuch"), OptionError, "-d nosuch"),
    ("-o mtu text", lambda c: nets(c).create("n9", options={"mtu": "abc"}), OptionError, "-o mtu"),
    ("-o mtu unicode digits", lambda c: nets(c).create("n9", options={"mtu": "١٥٠٠"}), OptionError, "-o mtu"),
    ("-o bridge_name NUL", lambda c: nets(c).create("n9", options={"bridge_name": "br\0x"}), OptionError,
     "-o bridge_name NUL"),
    ("-o bridge_name nbsp", lambda c: nets(c).create("n9", options={"bridge_name": "brà"}), OptionError,
     "-o bridge_name"),
    ("-o bridge_name long", lambda c: nets(c).create("n9", options={"bridge_name": "b" * 16}), OptionError,
     "-o bridge_name 1-15"),
    ("-o unknown", lambda c: nets(c).create("n9", options={"colour": "red"}), OptionError, "-o colour"),
    ("-o masquerade", lambda c: nets(c).create("n9", options={"masquerade": "perhaps"}), OptionError,
     "-o masquerade"),
    ("--subnet /33", lambda c: nets(c).create("n9", subnet="172.16.10.0/33"), OptionError, "--subnet"),
    ("--subnet host bits", lambda c: nets(c).create("n9", subnet="172.16.10.1/24"), OptionError,
     "--subnet host bits"),
    ("--gateway prefix", lambda c: nets(c).create("n9", subnet="172.16.10.0/24", gateway="172.16.10.1/24"),
     OptionError, "--gateway prefix"),
    ("--gateway outside", lambda c: nets(c).create("n9", subnet="172.16.10.0/24", gateway="172.16.11.1"),
     OptionError, "--gateway outside"),
    ("--ip-range outside", lambda c: nets(c).create("n9", subnet="172.16.10.0/24", ip_range="172.16.0.0/16"),
     OptionError, "--ip-range"),
    ("--aux-address", lambda c: nets(c).create("n9", subnet="172.16.10.0/24", aux_addresses=["x"]),
     OptionError, "--aux-address"),
    ("overlapping subnet", lambda c: nets(c).create("n9", subnet="172.16.9.0/25"), Exception, "172.16.9.0"),
    ("same name other options", lambda c: nets(c).create("net0", subnet="172.16.10.0/24"), FileExistsError,
     "net0 exists"),
    ("macvlan no parent", lambda c: nets(c).create("n9", driver="macvlan"), OptionError, "-o parent"),
    ("macvlan parent NUL", lambda c: nets(c).create("n9", driver="macvlan", options={"parent": "br0\0"}),
     OptionError, "-o parent NUL"),
    ("macvlan VLAN id", lambda c: nets(c).create("n9", driver="macvlan", options={"parent": "br0.5000"}),
     OptionError, "-o parent 5000"),
    ("macvlan mode", lambda c: nets(c).create("n9", driver="macvlan", options={"parent": "br0",
                                                                               "macvlan_mode": "x"}),
     OptionError, "-o macvlan_mode"),
    ("-o enable_icc", lambda c: nets(c).create("n9", options={"com.docker.network.bridge.enable_icc": "no!"}),
     OptionError, "-o enable_icc"),
    ("-o host_binding_ipv4 v6", lambda c: nets(c).create("n9", options={"host_binding_ipv4": "::1"}),
     OptionError, "-o host_binding_ipv4 IPv4"),
    ("--label no key", lambda c: nets(c).create("n9", labels=["=v"]), OptionError, "--label"),
    ("--internal text", lambda c: nets(c).create("n9", internal="yes please"),  # type: ignore[arg-type]
     OptionError, "--internal"),
    ("--ipv6 off, v6 subnet", lambda c: nets(c).create("n9", subnet="fd00:9::/64", ipv6=False), OptionError,
     "--ipv6"),
    # -- connect / disconnect / remove
    ("connect unknown network", lambda c: nets(c).connect("nosuchnet", c.other), NotFound, "nosuchnet"),
    ("connect missing namespace", lambda c: nets(c).connect("net0", "pnl-no-such-ns"), NotFound,
     "pnl-no-such-ns"),
    ("connect a file", lambda c: nets(c).connect("net0", "/etc/hostname"), InvalidArgument,
     "/etc/hostname is not a network namespace"),
    ("connect relative path", lambda c: nets(c).connect("net0", "../x/y"), InvalidArgument, "absolute"),
    ("--ip text", lambda c: nets(c).connect("net0", c.other, ip="172.16.9.300"), OptionError, "--ip"),
    ("--ip outside", lambda c: nets(c).connect("net0", c.other, ip="172.16.10.5"), OptionError,
     "--ip outside"),
    ("--ip gateway", lambda c: nets(c).connect("net0", c.other, ip="172.16.9.1"), OptionError,
     "--ip gateway"),
    ("--ifname slash", lambda c: nets(c).connect("net0", c.other, ifname="a/b"), OptionError, "ifname"),
    ("--ifname NUL", lambda c: nets(c).connect("net0", c.other, ifname="eth\0"), OptionError, "ifname NUL"),
    ("--publish port", lambda c: nets(c).connect("net0", c.other, publish=["99999:80"]), OptionError,
     "--publish"),
    ("--publish proto", lambda c: nets(c).connect("net0", c.other, publish=["8080:80/sctp"]), OptionError,
     "--publish sctp"),
    ("--publish v6 host, v4 network", lambda c: nets(c).connect("net0", c.other, publish=["[::1]:8080:80"]),
     OptionError, "--publish IPv6"),
    ("disconnect not connected", lambda c: nets(c).disconnect("net0", c.other), NotFound, "net0"),
    ("remove unknown", lambda c: nets(c).remove("nosuchnet"), NotFound, "nosuchnet"),
    ("get unknown", lambda c: nets(c).get("nosuchnet"), NotFound, "nosuchnet"),
    # -- nftables objects
    ("Table name", lambda c: Table("bad name!"), InvalidArgument, "table name"),
    ("Table family", lambda c: Table("t", "bridge"), InvalidArgument, "family"),
    ("Chain name NUL", lambda c: Chain("c\0"), InvalidArgument, "chain name"),
    ("Chain hook", lambda c: Chain("c", "nat", "nosuchhook"), InvalidArgument, "hook"),
    ("Chain priority", lambda c: Chain("c", "nat", "prerouting", 1 << 40), InvalidArgument, "priority"),
    ("Chain policy", lambda c: Chain("c", "filter", "input", 0, "maybe"), InvalidArgument, "policy"),
    ("Rule iifname NUL", lambda c: Rule([Meta.iifname == "eth0\0"], []), InvalidArgument,
     "interface name NUL"),
    ("Rule iifname wildcard inside", lambda c: Rule([Meta.iifname == "e*h"], []), InvalidArgument, "'*'"),
    ("Rule oifname long", lambda c: Rule([Meta.oifname != "x" * 16], []), InvalidArgument, "interface name"),
    ("Rule port 0", lambda c: Rule([Tcp.dport(0)], []), InvalidArgument, "port"),
    ("Rule port 70000", lambda c: Rule([Tcp.dport(70000)], []), InvalidArgument, "port"),
    ("Rule saddr /40", lambda c: Rule([Ip.saddr("172.16.0.0/40")], []), InvalidArgument, "prefix"),
    ("Set element", lambda c: Set("s", "ipv4_addr", ["1.2.3"]), InvalidArgument, "1.2.3"),
    ("Set type", lambda c: Set("s", "nosuchtype"), InvalidArgument, "nosuchtype"),
    ("Map value", lambda c: Map("m", "inet_service", "ipv4_addr", {80: "x"}), InvalidArgument, "x"),
    ("delete_rule handle", lambda c: nft(c).delete_rule("t", "c", -1), InvalidArgument, "handle"),
    ("apply a non-table", lambda c: nft(c).apply("t"), InvalidArgument, "Table"),
    ("DockerNat table name", lambda c: DockerNat(nft(c), table="bad name!"), InvalidArgument, "table name"),
    ("DockerNat family", lambda c: DockerNat(nft(c), family="arp"), InvalidArgument, "family"),
    ("Publish port", lambda c: DockerNat(nft(c)).publish(Publish(0, "172.16.9.2", 80)), InvalidArgument,
     "port"),
    ("Publish address", lambda c: DockerNat(nft(c)).publish(Publish(8080, "172.16.9", 80)), InvalidArgument,
     "172.16.9"),
    ("Publish twice", lambda c: DockerNat(nft(c)).publish((8080, "172.16.9.2", 80), (8080, "172.16.9.3", 80)),
     InvalidArgument, "twice"),
    ("masquerade subnet", lambda c: DockerNat(nft(c)).masquerade("172.16.9.0/33", "br0"), InvalidArgument,
     "172.16.9.0/33"),
    ("masquerade bridge NUL", lambda c: DockerNat(nft(c)).masquerade("172.16.9.0/24", "br\0"), InvalidArgument,
     "interface name"),
    ("Nftables timeout", lambda c: Nftables(c.ns, timeout=0), InvalidArgument, "timeout"),
    ("Nftables on a file", lambda c: Nftables("/etc/hostname"), InvalidArgument, "not a network namespace"),
]


@pytest.mark.root
@pytest.mark.parametrize("name,call,exc,words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(ctx: Ctx, name: str, call: Callable[[Ctx], Any], exc: type, words: str) -> None:
    check_row(ctx, call, exc, words)


@pytest.mark.root
def test_a_driver_the_kernel_lacks_fails_at_create(ctx: Ctx) -> None:
    """An ipvlan network on a kernel without ipvlan: refused by create (not at the first
    connect), saying so and pointing at `pynetlink check`; no record is left."""
    if not kernel_features().get("ipvlan"):
        pytest.skip("this kernel has ipvlan (the VM tier's does): nothing to refuse")
    check_row(ctx, lambda c: nets(c).create("n9", driver="ipvlan", options={"parent": "br0"}),
              NotSupportedError, "n9 ipvlan link kind `pynetlink check`")


@pytest.mark.root
def test_host_port_already_published(ctx: Ctx) -> None:
    """A second container asking for a host port another one has: the error names the port
    and who has it; nothing changed."""
    n = nets(ctx)
    n.connect("net0", ctx.other, publish=["8080:80"])
    try:
        from pynetlink import NetNS
        third = NetNS.create(ctx.other.name + "x")
        try:
            check_row(ctx, lambda c: nets(c).connect("net0", third, publish=["8080:80"]), FileExistsError,
                      "host port tcp/8080 is already published 172.16.9.2:80")
        finally:
            third.delete()
    finally:
        n.disconnect("net0", ctx.other)
