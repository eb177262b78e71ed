"""DockerNat.setup (masquerade + publish in one transaction; one exchange on a fresh host) and
the optimistic first transaction of masquerade/publish, checked with `nft -j` in the namespace."""
from __future__ import annotations

import shutil
from typing import Any

import pytest

from pynetlink.errors import ExistsError, InvalidArgument
from pynetlink.nft import DockerNat, Nftables, Publish
from pynetlink.transport import NetlinkSocket, NetNS

from .test_live import nft_map, nft_rules

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]


def count_transfers(nft: Nftables, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per transfer on the Nftables' socket: its message count (a transaction
    encoded whole, sent by ``exchange``: -1)."""
    calls: list[int] = []
    sock = nft.sock
    orig, orig_exchange = NetlinkSocket.transact, NetlinkSocket.exchange

    def counted(items: Any, **kw: Any) -> Any:
        calls.append(len(items))
        return orig(sock, items, **kw)

    def counted_exchange(batch: bytearray, send: Any) -> Any:
        calls.append(-1)
        return orig_exchange(sock, batch, send)

    monkeypatch.setattr(sock, "transact", counted)
    monkeypatch.setattr(sock, "exchange", counted_exchange)
    return calls


def masquerades(ns: NetNS) -> list[dict[str, Any]]:
    return [r for r in nft_rules(ns) if any("masquerade" in e for e in r["expr"])]


def test_setup_on_a_fresh_host_is_one_exchange(netns: NetNS, monkeypatch: pytest.MonkeyPatch) -> None:
    with Nftables(netns) as nft:
        calls = count_transfers(nft, monkeypatch)
        pubs = [Publish(8000 + i, f"172.17.0.{2 + i}", 80) for i in range(50)]
        assert DockerNat(nft, table="pnl").setup(masquerade=[("172.17.0.0/16", "br0"), ("172.17.0.0/16", "br0")],
                                                 publish=pubs) is True
        assert len(calls) == 1
        (masq,) = masquerades(netns)                                   # given twice, made once
        assert {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": "br0"}} in masq["expr"]
        elems = nft_map(netns, "published_v4")["elem"]
        assert len(elems) == 50
        assert [{"concat": ["tcp", 8049]}, {"concat": ["172.17.0.51", 80]}] in elems
        assert len([r for r in nft_rules(netns) if r["chain"] == "PREROUTING"]) == 2


def test_masquerade_and_publish_of_a_fresh_instance_need_no_read(netns: NetNS,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with Nftables(netns) as nft:
        calls = count_transfers(nft, monkeypatch)
        nat = DockerNat(nft, table="pnl")
        assert nat.masquerade("172.17.0.0/16", "br0") is True
        nat.publish((8080, "172.17.0.2", 80))
        assert len(calls) == 2
        # a second instance on the existing table: the optimistic create is refused (EEXIST,
        # nothing changed), then it reads and finds the rule in place
        again = DockerNat(nft, table="pnl")
        assert again.masquerade("172.17.0.0/16", "br0") is False
        assert len(masquerades(netns)) == 1
        assert again.setup(masquerade=[("172.17.0.0/16", "br0"), ("172.18.0.0/16", "br1")],
                           publish=[(8081, "172.17.0.3", 81)]) is True
        assert len(masquerades(netns)) == 2
        assert sorted(p.host_port for p in again.published()) == [8080, 8081]


def test_setup_refusals_change_nothing(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        DockerNat(nft, table="pnl").setup(masquerade=[("172.17.0.0/16", "br0")], publish=[(8080, "172.17.0.2", 80)])
        gen = nft.generation()
        with pytest.raises(ExistsError, match="tcp/8080 is already published"):
            DockerNat(nft, table="pnl").setup(masquerade=[("172.18.0.0/16", "br1")],
                                              publish=[(9000, "172.17.0.5", 80), (8080, "172.17.0.9", 80)])
        with pytest.raises(InvalidArgument, match="172.17.0.300"):
            DockerNat(nft, table="pnl").setup(masquerade=[("172.18.0.0/16", "br1")],
                                              publish=[(9000, "172.17.0.300", 80)])
        with pytest.raises(InvalidArgument, match="bridge-name-too-long"):
            DockerNat(nft, table="pnl").setup(masquerade=[("172.18.0.0/16", "bridge-name-too-long")])
        with pytest.raises(InvalidArgument, match="port"):
            DockerNat(nft, table="pnl").setup(publish=[(0, "172.17.0.5", 80)])
        assert nft.generation() == gen
        assert len(masquerades(netns)) == 1
        assert [p.host_port for p in DockerNat(nft, table="pnl").published()] == [8080]
