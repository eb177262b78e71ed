"""The C floor of W4 (benchmarks/cfloor/w4.c) sends the messages pynetlink sends for the same
work, member for member (sequence numbers and where the one ack is asked aside): the
benchmark compares like with like. Both shapes: one DNAT rule per port (``add_dnat_rules``)
and DockerNat's map (``DockerNat.setup`` on a host without its table)."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchmarks.common import build_cfloor
from benchmarks.impl.base import BRIDGE, SUBNET
from benchmarks.impl.nft_impl import TABLE, publications
from pynetlink.nft import Chain, DockerNat, Ip, Masquerade, Meta, Nftables, Rule, Table
from pynetlink.transport import NetNS
from pynetlink.transport import socket as nlsocket

from .test_live import nft_rules

HDR = struct.Struct("=IHHII")
ACK = 4


def members(batch: bytes) -> list[bytes]:
    """The messages of a batch with sequence number, port id and NLM_F_ACK zeroed."""
    out, at = [], 0
    while at + HDR.size <= len(batch):
        length, kind, flags, _, _ = HDR.unpack_from(batch, at)
        assert length >= HDR.size and at + length <= len(batch)
        out.append(HDR.pack(length, kind, flags & ~ACK, 0, 0) + batch[at + HDR.size:at + length])
        at += (length + 3) & ~3
    return out


def transfers(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every batch sent from now on, as bytes (encoded and sent by the socket, or already
    encoded and sent through ``NetlinkSocket.exchange``)."""
    got: list[bytes] = []
    transfer = nlsocket.NetlinkSocket._transfer

    def grab(self: Any, enc: Any, atomic: bool, chunk: int, *more: Any) -> bytes:
        got.append(enc.tobytes())
        return transfer(self, enc, atomic, chunk, *more)
    def grab_batch(self: Any, batch: bytearray, send: Any) -> Any:
        try:
            return exchange(self, batch, send)
        finally:
            got.append(bytes(batch))        # (numbered by send)
    monkeypatch.setattr(nlsocket.NetlinkSocket, "_transfer", grab)
    exchange = nlsocket.NetlinkSocket.exchange
    monkeypatch.setattr(nlsocket.NetlinkSocket, "exchange", grab_batch)
    return got


def sent(monkeypatch: pytest.MonkeyPatch, nft: Nftables, work: Any) -> bytes:
    """The bytes of the one transfer ``work`` makes."""
    got = transfers(monkeypatch)
    work(nft)
    monkeypatch.undo()
    assert len(got) == 1, "one transaction"
    return got[0]


def rules(nft: Nftables) -> None:
    with nft.transaction() as tx:
        tx.add_table(Table(TABLE, "ip", [
            Chain("postrouting", "nat", "postrouting", 100, rules=[
                Rule([Ip.saddr(SUBNET), Meta.oifname != BRIDGE], [Masquerade()])]),
            Chain("prerouting", "nat", "prerouting", -100)]))
        tx.add_dnat_rules(TABLE, "prerouting", publications(200))


def docker_map(nft: Nftables) -> None:
    DockerNat(nft, table=TABLE).setup(masquerade=[(SUBNET, BRIDGE)], publish=publications(200))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="the C floor needs gcc")
@pytest.mark.parametrize("shape,work", [("rules", rules), ("map", docker_map)], ids=["rules", "map"])
def test_the_floor_sends_what_pynetlink_sends(netns: NetNS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              shape: str, work: Any) -> None:
    w4 = build_cfloor(tmp_path / "bin")["w4"]
    subprocess.run([str(w4), "/dev/null", shape, "200", "endack", str(tmp_path / "floor.bin")], check=True)
    floor = (tmp_path / "floor.bin").read_bytes()
    with Nftables(netns) as nft:
        mine = sent(monkeypatch, nft, work)
        listed = nft_rules(netns)
    assert members(mine) == members(floor)
    assert len(members(mine)) == (206 if shape == "rules" else 16)
    assert len([r for r in listed if r["chain"] in ("prerouting", "PREROUTING")]) == (200 if shape == "rules" else 2)
