"""Kernel replies captured in the VM tier (tools/capture-vm-vectors): ipvlan, 802.1Q/802.1ad
VLANs, dummy and a VLAN-filtering bridge, links this machine's kernel cannot make.

The decoder must read what iproute2 read from the same bytes (`ip -j -d link show`, stored
beside them). No root needed.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from pynetlink._native import lib
from pynetlink.codec import Program, decode, encode
from pynetlink.codec.rows import Rows
from pynetlink.codec.specs.rtnl import LINK, LINKINFO, RTNL

DATA = json.loads((Path(__file__).parent / "data" / "vm_vectors.json").read_text())
VECTORS = DATA["vectors"]
REPLIES = [v for v in VECTORS if v["direction"] == "reply"]
IPVLAN_MODES = {lib.IPVLAN_MODE_L2: "l2", lib.IPVLAN_MODE_L3: "l3", lib.IPVLAN_MODE_L3S: "l3s"}
VLAN_FLAGS = {lib.VLAN_FLAG_REORDER_HDR: "REORDER_HDR", lib.VLAN_FLAG_GVRP: "GVRP",
              lib.VLAN_FLAG_LOOSE_BINDING: "LOOSE_BINDING", lib.VLAN_FLAG_MVRP: "MVRP"}
PROTOCOLS = {0x8100: "802.1Q", 0x88A8: "802.1ad"}


def links_of(exchange: str) -> tuple[Rows, list[int]]:
    data = b"".join(bytes.fromhex(v["hex"]) for v in REPLIES if v["exchange"] == exchange)
    rows = decode(data, RTNL)
    return rows, [m for m in rows.messages() if rows.type(m) == lib.RTM_NEWLINK]


def read_link(rows: Rows, m: int, names: dict[int, str]) -> dict[str, Any]:
    """What the decoder says about one link, in `ip -j -d`'s vocabulary."""
    index = struct.unpack_from("=i", rows.header(m, 16), 4)[0]
    out: dict[str, Any] = {"ifindex": index, "ifname": rows.get_str(m, LINK["ifname"]),
                           "mtu": rows.get_u(m, LINK["mtu"])}
    link = rows.get_u(m, LINK["link"])
    if link is not None and link != index:
        out["link"] = names[link]
    master = rows.get_u(m, LINK["master"])
    if master:
        out["master"] = names[master]
    mac = rows.find(m, LINK["address"])
    out["address"] = rows.mac(mac)
    info = rows.find(m, LINK["linkinfo"])
    if info < 0:
        return out
    kind = rows.get_str(info, LINKINFO["kind"])
    li: dict[str, Any] = {"info_kind": kind}
    data = rows.find(info, LINKINFO["data"])
    if data >= 0:
        li["info_data"] = rows.tree(data)
    out["linkinfo"] = li
    return out


@pytest.mark.parametrize("exchange", sorted({v["exchange"] for v in REPLIES}))
def test_every_link_reads_as_iproute2_reads_it(exchange: str) -> None:
    rows, msgs = links_of(exchange)
    truth = next(v["truth_ip_j_d_link_show"] for v in REPLIES
                 if v["exchange"] == exchange and v.get("truth_ip_j_d_link_show"))
    names = {t["ifindex"]: t["ifname"] for t in truth}
    assert len(msgs) == len(truth)
    for m, want in zip(msgs, truth):
        got = read_link(rows, m, names)
        for key in ("ifindex", "ifname", "mtu", "link", "master", "address"):
            assert got.get(key) == want.get(key), (want["ifname"], key)
        if "linkinfo" not in want:
            continue
        kind = want["linkinfo"]["info_kind"]
        assert got["linkinfo"]["info_kind"] == kind
        data, wdata = got["linkinfo"].get("info_data", {}), want["linkinfo"].get("info_data", {})
        if kind == "ipvlan":
            assert IPVLAN_MODES[data["mode"]] == wdata["mode"]
            flag = {0: "bridge", lib.IPVLAN_F_PRIVATE: "private", lib.IPVLAN_F_VEPA: "vepa"}[data["flags"]]
            assert wdata.get(flag) is True
        elif kind == "vlan":
            assert data["id"] == wdata["id"]
            assert PROTOCOLS[data["protocol"]] == wdata["protocol"]
            flags, _mask = struct.unpack("=II", data["flags"])
            assert sorted(n for bit, n in VLAN_FLAGS.items() if flags & bit) == sorted(wdata["flags"])
            for key, wkey in (("ingress-qos", "ingress_qos"), ("egress-qos", "egress_qos")):
                maps = data.get(key, {}).get("mapping", [])
                maps = maps if isinstance(maps, list) else [maps]
                pairs = [dict(zip(("from", "to"), struct.unpack("=II", b))) for b in maps]
                assert pairs == wdata.get(wkey, [])
        elif kind == "bridge":
            assert data["vlan-filtering"] == wdata["vlan_filtering"]
            assert PROTOCOLS[data["vlan-protocol"]] == wdata["vlan_protocol"]
            assert data["forward-delay"] == wdata["forward_delay"]


def test_the_corpus_covers_what_the_dev_kernel_lacks() -> None:
    kinds: set[tuple[str, Any]] = set()
    for exchange in {v["exchange"] for v in REPLIES}:
        rows, msgs = links_of(exchange)
        for m in msgs:
            info = rows.find(m, LINK["linkinfo"])
            if info < 0:
                continue
            kind = rows.get_str(info, LINKINFO["kind"])
            data = rows.find(info, LINKINFO["data"])
            tree = rows.tree(data) if data >= 0 else {}
            if kind == "ipvlan":
                kinds.add(("ipvlan", (tree["mode"], tree["flags"])))
            elif kind == "vlan":
                kinds.add(("vlan", tree["protocol"]))
            else:
                kinds.add((str(kind), tree.get("vlan-filtering")))
    assert {k for k in kinds if k[0] == "ipvlan"} == {("ipvlan", (m, f)) for m in range(3) for f in (0, 1, 2)}
    assert {("vlan", 0x8100), ("vlan", 0x88A8), ("dummy", None), ("bridge", 1)} <= kinds


def test_the_encoder_reproduces_the_dump_requests() -> None:
    prog = (Program("dump links", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
            .fixed("ifinfomsg", "BxHiII").int(LINK["ext-mask"], "ext_mask").compile())
    for v in (v for v in VECTORS if v["direction"] == "request"):
        seq = v["messages"][0]["seq"]
        enc = encode([(prog, (0, 0, 0, 0, 0, lib.RTEXT_FILTER_VF))], seq)
        assert enc.tobytes().hex() == v["hex"]
