"""NAT proven with real TCP between namespaces (scenario S1): masquerade, publish, unpublish."""
from __future__ import annotations

import socket
from typing import Callable

import pytest

from pynetlink.nft import (Chain, DockerNat, Drop, Ip, Meta, Nftables, Publish, Rule, Set, Table, Tcp,
                           set_forwarding)
from pynetlink.transport import NetNS, run_in

from .topo import build_s1

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat", "bridge")]
TIMEOUT = 3.0


def listener(ns: NetNS, port: int, family: int = socket.AF_INET) -> socket.socket:
    """A TCP listener inside ``ns`` (IPv4, or IPv6 only with AF_INET6)."""
    def make() -> socket.socket:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("0.0.0.0" if family == socket.AF_INET else "::", port))
        s.listen(4)
        s.settimeout(TIMEOUT)
        return s
    return run_in(ns.path, make)


def connect(ns: NetNS, addr: str, port: int, timeout: float = TIMEOUT) -> socket.socket:
    """A TCP connection opened from inside ``ns`` (raises OSError if nothing answers)."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = run_in(ns.path, lambda: socket.socket(family, socket.SOCK_STREAM))
    s.settimeout(timeout)
    try:
        s.connect((addr, port))
    except BaseException:
        s.close()
        raise
    return s


def peer_seen(server: socket.socket, client_ns: NetNS, addr: str, port: int) -> str:
    """Connect to addr:port from client_ns; the source address the server's accept() saw."""
    with connect(client_ns, addr, port) as c:
        conn, addr_info = server.accept()
        peer = addr_info[0]
        with conn:
            c.sendall(b"ping")
            assert conn.recv(4) == b"ping"
        return str(peer)


@pytest.fixture
def s1(make_netns: Callable[..., NetNS]) -> dict[str, NetNS]:
    return build_s1(make_netns)


def test_masquerade_publish_unpublish(s1: dict[str, NetNS]) -> None:
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft:
        nat = DockerNat(nft)
        # without masquerade O cannot answer 172.17.0.2 (it has no route back)
        with listener(o, 9000) as srv:
            with pytest.raises(OSError):
                connect(c1, "203.0.113.254", 9000).close()
            nat.masquerade("172.17.0.0/24", "docker0")
            assert peer_seen(srv, c1, "203.0.113.254", 9000) == "203.0.113.1"
        # publish host port 8080 to C1:80 (docker run -p 8080:80)
        with listener(c1, 80) as web:
            with pytest.raises(OSError):
                connect(o, "203.0.113.1", 8080).close()
            nat.publish(Publish(8080, "172.17.0.2", 80))
            assert peer_seen(web, o, "203.0.113.1", 8080) == "203.0.113.254"
            assert nat.unpublish(8080) == 1                       # one map element
            with pytest.raises(OSError):
                connect(o, "203.0.113.1", 8080).close()
        nat.teardown()


def test_host_own_connections_follow_local(s1: dict[str, NetNS]) -> None:
    """OUTPUT: the host reaches a published port on its own address (``local``), not a remote one."""
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft, listener(c1, 80) as web, listener(o, 8080) as outside:
        nat = DockerNat(nft)
        nat.publish((8080, "172.17.0.2", 80))
        assert peer_seen(web, h, "203.0.113.1", 8080) == "203.0.113.1"     # source chosen before DNAT
        # a remote 8080 stays remote (only local destinations are published in OUTPUT)
        assert peer_seen(outside, h, "203.0.113.254", 8080) == "203.0.113.1"
        nat.publish((8081, "172.17.0.2", 80), local=False)
        assert peer_seen(web, o, "203.0.113.1", 8081) == "203.0.113.254"
        assert refused(h, "203.0.113.1", 8081)                            # not for the host itself
        assert nat.unpublish(8081) == 1
        nat.publish((8081, "172.17.0.2", 80))                             # now with local
        assert peer_seen(web, h, "203.0.113.1", 8081) == "203.0.113.1"


def test_published_port_redirects_only_connections_to_the_host(s1: dict[str, NetNS]) -> None:
    """A container reaching some remote host's port 8080 gets that host, not the container
    published on the host's 8080 (Docker: only local destinations jump to DNAT)."""
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft, listener(c1, 80) as web, listener(o, 8080) as remote:
        nat = DockerNat(nft)
        nat.masquerade("172.17.0.0/24", "docker0")
        nat.publish((8080, "172.17.0.2", 80))
        assert peer_seen(remote, c1, "203.0.113.254", 8080) == "203.0.113.1"   # O itself, masqueraded
        assert peer_seen(web, o, "203.0.113.1", 8080) == "203.0.113.254"       # the host's 8080: C1
        nat.teardown()


def test_failed_publish_leaves_traffic_as_before(s1: dict[str, NetNS]) -> None:
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft, listener(c1, 80) as web:
        nat = DockerNat(nft)
        nat.publish((8080, "172.17.0.2", 80))
        tx = nft.transaction()
        tx.delete_table(nat.table)                      # would unpublish everything...
        tx.delete_rule(nat.table, "PREROUTING", 999999)  # ...but this member fails
        with pytest.raises(FileNotFoundError):
            tx.commit()
        assert peer_seen(web, o, "203.0.113.1", 8080) == "203.0.113.254"


def refused(ns: NetNS, addr: str, port: int) -> bool:
    """True if a connection from ``ns`` fails (dropped or unanswered within a second)."""
    try:
        connect(ns, addr, port, timeout=1.0).close()
    except OSError:
        return True
    return False


@pytest.fixture
def s1_v6(make_netns: Callable[..., NetNS]) -> dict[str, NetNS]:
    return build_s1(make_netns, ipv6=True)


def test_inet_table_masquerades_and_publishes_ipv4_and_ipv6(s1_v6: dict[str, NetNS]) -> None:
    h, c1, o = s1_v6["h"], s1_v6["c1"], s1_v6["o"]
    set_forwarding(h, ipv6=True)
    with Nftables(h) as nft:
        nat = DockerNat(nft, family="inet")
        with listener(o, 9000, socket.AF_INET6) as srv6, listener(o, 9000) as srv4:
            assert refused(c1, "2001:db8:2::254", 9000)              # O has no route back
            nat.masquerade("2001:db8:1::/64", "docker0")
            nat.masquerade("172.17.0.0/24", "docker0")
            assert peer_seen(srv6, c1, "2001:db8:2::254", 9000) == "2001:db8:2::1"
            assert peer_seen(srv4, c1, "203.0.113.254", 9000) == "203.0.113.1"
        with listener(c1, 80, socket.AF_INET6) as web6, listener(c1, 80) as web4:
            assert refused(o, "2001:db8:2::1", 8080)
            nat.publish(Publish(8080, "2001:db8:1::2", 80), Publish(8080, "172.17.0.2", 80))
            assert peer_seen(web6, o, "2001:db8:2::1", 8080) == "2001:db8:2::254"
            assert peer_seen(web4, o, "203.0.113.1", 8080) == "203.0.113.254"
            assert nat.unpublish(8080) == 2                          # the v4 and the v6 element
            assert refused(o, "2001:db8:2::1", 8080) and refused(o, "203.0.113.1", 8080)
        nat.teardown()


def test_ip6_table_dnat_by_host_address(s1_v6: dict[str, NetNS]) -> None:
    h, c1, o = s1_v6["h"], s1_v6["c1"], s1_v6["o"]
    set_forwarding(h, ipv6=True)
    with Nftables(h) as nft, listener(c1, 80, socket.AF_INET6) as web:
        nat = DockerNat(nft, table="pnl6", family="ip6")
        nat.publish(Publish(8443, "2001:db8:1::2", 80, host_addr="2001:db8:2::1"))
        assert peer_seen(web, o, "2001:db8:2::1", 8443) == "2001:db8:2::254"
        assert nat.unpublish(8443, host_addr="2001:db8:2::1") == 1
        assert refused(o, "2001:db8:2::1", 8443)


def test_set_lookups_filter_real_traffic(s1: dict[str, NetNS]) -> None:
    """``in_set`` / ``not_in_set`` with element changes in transactions, on forwarded TCP."""
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    blocked = Set("blocked", ("ipv4_addr", "inet_service"))
    allowed = Set("allowed", "ipv4_addr", {"172.17.0.2"})
    with Nftables(h) as nft, listener(o, 9000) as srv:
        DockerNat(nft).masquerade("172.17.0.0/24", "docker0")
        nft.apply(Table("filter", "ip", [Chain("forward", "filter", "forward", 0, rules=[
            Rule([(Ip.daddr & Tcp.dport).in_set("blocked")], [Drop()]),
            Rule([Meta.iifname("docker0"), Ip.saddr.not_in_set("allowed")], [Drop()])])], [blocked, allowed]))
        assert peer_seen(srv, c1, "203.0.113.254", 9000) == "203.0.113.1"
        nft.add_elements("filter", blocked, [("203.0.113.254", 9000)])
        assert refused(c1, "203.0.113.254", 9000)
        with nft.transaction() as tx:                                  # unblock, and disallow C1: one change
            tx.delete_elements("filter", blocked, [("203.0.113.254", 9000)])
            tx.delete_elements("filter", allowed, ["172.17.0.2"])
        assert refused(c1, "203.0.113.254", 9000)
        nft.add_elements("filter", allowed, ["172.17.0.2"])
        assert peer_seen(srv, c1, "203.0.113.254", 9000) == "203.0.113.1"


def test_bulk_dnat_rules_publish_real_ports(s1: dict[str, NetNS]) -> None:
    """``add_dnat_rules``: 100 ports in one transaction (one template filled per rule); the
    first, a middle and the last one reach C1, a port not in the list does not."""
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft, listener(c1, 80) as web, listener(c1, 81) as web81:
        with nft.transaction() as tx:
            tx.add_table(Table("bulk", "ip", [Chain("pre", "nat", "prerouting", -100)]))
            tx.add_dnat_rules("bulk", "pre", [(8000 + i, "172.17.0.2", 80 + i % 2) for i in range(100)])
        assert peer_seen(web, o, "203.0.113.1", 8000) == "203.0.113.254"
        assert peer_seen(web81, o, "203.0.113.1", 8051) == "203.0.113.254"
        assert peer_seen(web81, o, "203.0.113.1", 8099) == "203.0.113.254"
        assert refused(o, "203.0.113.1", 8100)
        nft.delete_table("bulk")
        assert refused(o, "203.0.113.1", 8000)


def test_docker_nat_tuple_form_publishes_real_ports(s1: dict[str, NetNS]) -> None:
    """DockerNat.setup with plain tuples (checked as columns, no Publish each): traffic flows."""
    h, c1, o = s1["h"], s1["c1"], s1["o"]
    set_forwarding(h)
    with Nftables(h) as nft, listener(c1, 80) as web, listener(o, 9000) as srv:
        nat = DockerNat(nft)
        nat.setup(masquerade=[("172.17.0.0/24", "docker0")],
                  publish=[(8000 + i, "172.17.0.2", 80) for i in range(100)])
        assert peer_seen(web, o, "203.0.113.1", 8099) == "203.0.113.254"
        assert peer_seen(srv, c1, "203.0.113.254", 9000) == "203.0.113.1"
        nat.teardown()
