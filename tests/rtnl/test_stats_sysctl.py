"""Link statistics (LinkView.stats, IFLA_STATS64) and h.sysctl, against `ip -j -s link` and
`sysctl` run inside the namespace."""
from __future__ import annotations

import socket
import subprocess
from typing import Any

import pytest

from pynetlink import Handle, Veth
from pynetlink.errors import DecodeError, InvalidArgument
from pynetlink.events import wait_link
from pynetlink.rtnl.stats import LinkStats

from ..conftest import ip_json


def ns_sysctl(ns: Any, key: str) -> str:
    return subprocess.run(["ip", "netns", "exec", ns.name, "sysctl", "-n", key], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.root
def test_link_stats_match_ip(netns: Any) -> None:
    with Handle(netns) as h:
        # no IPv6 on the wire: its router solicitations and MLD reports would add packets
        # between our read and ip's
        h.sysctl.set("net.ipv6.conf.default.disable_ipv6", 1)
        h.links.create(Veth("sa", peer="sb", up=True))
        h.links.set("sb", up=True)
        # frames sent before carrier meet the noop qdisc and are dropped uncounted
        wait_link("sa", netns=netns, up=True, carrier=True, timeout=10)
        raw = netns.run(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
        with raw:
            raw.bind(("sa", 0))
            for _ in range(5):                   # broadcast frames of an unused ethertype
                raw.send(b"\xff" * 6 + bytes.fromhex("020000000001") + b"\x88\xb5" + bytes(100))
        view = h.links.get("sa")
        oracle = ip_json(netns.name, "-s", "link", "show", "dev", "sa")[0]["stats64"]  # type: ignore[index]
        s = view.stats
        assert isinstance(s, LinkStats)
        assert s.tx_packets == oracle["tx"]["packets"] >= 5
        assert s.tx_bytes == oracle["tx"]["bytes"] >= 5 * 114
        assert (s.rx_packets, s.rx_bytes, s.rx_errors, s.tx_dropped) == (
            oracle["rx"]["packets"], oracle["rx"]["bytes"], oracle["rx"]["errors"], oracle["tx"]["dropped"])
        peer = {v.name: v.stats for v in h.links.dump()}["sb"]
        assert peer is not None and peer.rx_packets == s.tx_packets
        assert "stats" not in view.to_dict() and view.stats.to_dict()["tx_packets"] == s.tx_packets  # type: ignore[union-attr]


def test_stats_decode_checks_length() -> None:
    assert LinkStats.from_bytes(bytes(8 * 23)).rx_nohandler == 0
    assert LinkStats.from_bytes((1).to_bytes(8, "little") + bytes(8 * 30)).rx_packets == 1
    for n in (0, 7, 8 * 22, 8 * 23 + 3):
        with pytest.raises(DecodeError):
            LinkStats.from_bytes(bytes(n))


@pytest.mark.root
def test_sysctl_typed_and_per_namespace(netns: Any) -> None:
    with Handle(netns) as h:
        h.links.create(Veth("sy0", peer="sy1"))
        assert h.sysctl.get("net.ipv4.ip_forward") == 0
        h.sysctl.set("net.ipv4.ip_forward", True)
        assert h.sysctl.get("net.ipv4.ip_forward") == 1 and ns_sysctl(netns, "net.ipv4.ip_forward") == "1"
        h.sysctl.set("net.ipv4.ip_local_port_range", (20000, 30000))
        assert h.sysctl.get("net.ipv4.ip_local_port_range") == (20000, 30000)
        assert ns_sysctl(netns, "net.ipv4.ip_local_port_range").split() == ["20000", "30000"]
        h.sysctl.set("net.ipv6.conf.sy0.disable_ipv6", 1)
        assert ns_sysctl(netns, "net.ipv6.conf.sy0.disable_ipv6") == "1"
        assert h.sysctl.get("net.ipv6.conf.sy1.disable_ipv6") == 0
        assert isinstance(h.sysctl.get("net.ipv4.tcp_congestion_control"), str)
    # the caller's namespace was not touched: a Handle there reads its own value
    assert Handle().sysctl.get("net.ipv4.ip_local_port_range") != (20000, 30000)


@pytest.mark.root
def test_sysctl_bad_keys_and_values(netns: Any) -> None:
    with Handle(netns) as h:
        for key in ("kernel.hostname", "net/../../etc/passwd", "net.ipv4..ip_forward", "net.ipv4.nope",
                    "net.ipv4.conf", "net.ipv4.ip forward", "", 5):
            with pytest.raises(InvalidArgument, match="sysctl"):
                h.sysctl.get(key)  # type: ignore[arg-type]
        for value in ("abc", "1\n2", None, 1.5, [1, "x"]):
            with pytest.raises(InvalidArgument, match="net.ipv4.ip_forward"):
                h.sysctl.set("net.ipv4.ip_forward", value)  # type: ignore[arg-type]
        assert ns_sysctl(netns, "net.ipv4.ip_forward") == "0"
