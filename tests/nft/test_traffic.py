"""NAT proven with real TCP between namespaces (scenario S1): masquerade, publish, unpublish."""
from __future__ import annotations

import shutil
import socket
from typing import Callable

import pytest

from pynetlink.nft import DockerNat, Nftables, Publish, set_forwarding
from pynetlink.transport import NetNS, run_in

from .topo import build_s1

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat", "bridge")]
TIMEOUT = 3.0


def listener(ns: NetNS, port: int) -> socket.socket:
    def make() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(4)
        s.settimeout(TIMEOUT)
        return s
    return run_in(ns.path, make)


def connect(ns: NetNS, addr: str, port: int) -> socket.socket:
    """A TCP connection opened from inside ``ns`` (raises OSError if nothing answers)."""
    s = run_in(ns.path, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, port))
    except BaseException:
        s.close()
        raise
    return s


def peer_seen(server: socket.socket, client_ns: NetNS, addr: str, port: int) -> str:
    """Connect to addr:port from client_ns; the source address the server's accept() saw."""
    with connect(client_ns, addr, port) as c:
        conn, (peer, _) = server.accept()
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
