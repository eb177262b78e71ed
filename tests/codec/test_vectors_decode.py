"""The real vectors (iproute2, nft, the kernel) decode to their annotated structure.

Two sources of truth, both from shared/vectors:
* vectors.json: per message nlmsg type/flags/seq, errno, extack text/offset and the
  top-level attribute names;
* decoded.md: attribute-by-attribute decodes (offset, nla_len, nla_type, name, flags, value)
  of the key vectors, with their bytes (some of them are not in vectors.json).
"""
from __future__ import annotations

import re
import struct
from typing import Any

import pytest

from pynetlink._native import lib
from pynetlink.codec.rows import R_CONT, Rows, decode
from pynetlink.codec.schema import S32, SCALARS, STR
from pynetlink.codec.specs.rtnl import ADDR, EXTACK, LINK, LINKINFO, ROUTE, RTNL

from ._vectors import (NFT_MISSING, annotated, attr_name, family_for,
                       load_vectors, msg_errno, names_match, nft_family, real_messages, vector_params)


R_NESTED = lib.PNL_R_NESTED


def _decode(entry: dict[str, Any]) -> Rows:
    fam = family_for(entry)
    assert fam is not None
    return decode(bytes.fromhex(entry["hex"]), fam)


def _extack_set(rows: Rows, m: int):  # the set of an error/done message's TLVs
    s = rows.set[m]
    return rows.family.set_list[s] if s != lib.PNL_NO_SET else None


@pytest.mark.parametrize("entry", vector_params())
def test_vector_messages(entry: dict[str, Any]) -> None:
    rows = _decode(entry)
    want = real_messages(entry)
    msgs = list(rows.messages())
    assert rows.n_msgs == len(want) == len(msgs)
    for m, vm in zip(msgs, want):
        what = f"{entry['id']} message @{vm['offset']} ({vm['type_name']})"
        assert rows.off[m] == vm["offset"], what
        assert rows.len[m] == vm["len"], what
        assert rows.type(m) == vm["type"], what
        assert rows.msg_flags(m) == vm["flags"], what
        assert rows.msg_seq(m) == vm["seq"], what
        assert struct.unpack_from("=I", rows.data, rows.off[m] + 12)[0] == vm["pid"], what
        assert not rows.flags(m) & (lib.PNL_R_BADLEN | lib.PNL_R_UNKNOWN) or vm["len"] <= 20, what
        if "errno" in vm:
            assert rows.type(m) == lib.NLMSG_ERROR
            assert msg_errno(rows, m) == vm["errno"], what
        if "done_status" in vm:
            assert rows.type(m) == lib.NLMSG_DONE
            assert msg_errno(rows, m) == vm["done_status"], what
        if rows.type(m) in (lib.NLMSG_ERROR, lib.NLMSG_DONE):
            aset = _extack_set(rows, m)
            assert aset is not None
            text = rows.get_str(m, aset["msg"])
            assert text == vm.get("extack_msg"), what
            assert rows.get_u(m, aset["offs"]) == vm.get("extack_offs"), what
            if vm["type"] == lib.NLMSG_ERROR and not vm["flags"] & lib.NLM_F_ACK_TLVS:
                assert not list(rows.children(m)), what
            continue
        kids = list(rows.children(m))
        assert len(kids) == len(vm.get("attrs", [])), what
        for c, name in zip(kids, vm.get("attrs", [])):
            assert names_match(rows, c, name), (what, attr_name(rows, c), name)


@pytest.mark.parametrize("entry", vector_params())
def test_vector_rows_consistent(entry: dict[str, Any]) -> None:
    """Every row lies inside its parent, subtrees nest properly, children tile their parent."""
    rows = _decode(entry)
    data = rows.data
    for i in range(rows.count):
        p = rows.parent[i]
        assert i < rows.end[i] <= rows.count
        if p < 0:
            assert rows.flags(i) & lib.PNL_R_MSG
            assert rows.off[i] + rows.len[i] <= len(data)
            continue
        assert p < i and rows.end[i] <= rows.end[p]
        po, pl = rows.off[p], rows.len[p]
        assert po <= rows.off[i] and rows.off[i] + rows.len[i] <= po + pl
        nla_len, nla_type = struct.unpack_from("=HH", data, rows.off[i] - 4)
        assert nla_len == rows.len[i] + 4
        assert nla_type & 0x3FFF == rows.type(i)
        assert bool(nla_type & 0x8000) == bool(rows.flags(i) & R_NESTED)


def _annotated_params() -> list[Any]:
    out = []
    for vid, a in annotated().items():
        marks = []
        if a["family"] == "nfnetlink" and nft_family() is None:
            marks.append(pytest.mark.skip(reason=NFT_MISSING))
        out.append(pytest.param(a, id=vid, marks=marks))
    return out


_VALUE = re.compile(r'^\s*(?:\[[^\]]*\])?\s*(str|u8|u16|u32|u64|be16|be32|be64|sbe32|s32): (".*"|-?0x[0-9a-f]+|-?\d+)\b')


@pytest.mark.parametrize("ann", _annotated_params())
def test_decoded_md(ann: dict[str, Any]) -> None:
    """Each attribute line of decoded.md is a row at that offset, with that length, type,
    name, NLA_F_NESTED bit and value (where our schema reads the value)."""
    fam = RTNL if ann["family"] == "rtnetlink" else nft_family()
    assert fam is not None
    rows = decode(ann["bytes"], fam)
    assert [(rows.off[m], rows.len[m], rows.type(m)) for m in rows.messages()] == \
        [(o, n, t) for o, n, t, _ in ann["messages"]]
    by_off = {rows.off[i]: i for i in range(rows.count) if rows.parent[i] >= 0}
    stack: list[tuple[int, int | None]] = []        # (indent, our row or None)
    checked = 0
    for indent, off, nla_len, nla_type, name, rest in ann["attrs"]:
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else None
        expect = not stack or (parent is not None and rows.flags(parent) & R_CONT)
        row = by_off.get(off + 4)
        if expect:
            assert row is not None, f"{name} @{off:#x} not decoded"
            assert rows.len[row] == nla_len - 4 and rows.type(row) == nla_type, name
            if parent is not None:
                assert rows.parent[row] == parent, name
            ours = attr_name(rows, row)
            if ours:
                assert names_match(rows, row, name), (ours, name)
            assert bool(rows.flags(row) & R_NESTED) == ("NLA_F_NESTED" in rest), name
            if ours and (v := _VALUE.match(rest)):
                a = fam.set_list[rows.set[rows.parent[row]]].by_type[nla_type]
                kind, text = v.groups()
                if kind == "str" and a.kind == STR:
                    assert rows.str(row) == text[1:-1], name
                elif kind != "str" and a.kind in SCALARS:
                    got = rows.s(row) if a.kind == S32 else rows.u(row)
                    assert got == int(text, 0), name
            checked += 1
        stack.append((indent, row if expect else None))
    assert checked or not ann["attrs"]


# -- targeted decodes -------------------------------------------------------------------------
def _vec(vid: str) -> dict[str, Any]:
    for e in load_vectors():
        if e["id"] == vid:
            return e
    a = annotated().get(vid)
    if a is None:
        pytest.skip(f"vector {vid} not in this corpus")
    return {"id": vid, "family": a["family"], "hex": a["bytes"].hex()}


def test_veth_peer_nest() -> None:
    """VETH_INFO_PEER: a struct ifinfomsg, then IFLA_* (IFLA_NET_NS_FD, IFLA_IFNAME "eth0")."""
    rows = _decode(_vec("link.add.veth_peer_netns#2.req"))
    (m,) = rows.messages()
    assert rows.type(m) == lib.RTM_NEWLINK
    assert rows.header(m, 16) == bytes(16)
    assert rows.get_str(m, LINK["ifname"]) == "veth2"
    li = rows.find(m, LINK["linkinfo"])
    assert rows.get_str(li, LINKINFO["kind"]) == "veth"
    assert rows.len[rows.find(li, LINKINFO["kind"])] == 4            # no NUL from iproute2
    data = rows.find(li, LINKINFO["data"])
    veth = RTNL.sets["linkinfo-veth-attrs"]
    assert rows.family.set_list[rows.set[data]] is veth
    peer = rows.find(data, veth["peer"])
    assert rows.flags(peer) & R_CONT
    assert rows.payload(peer)[:16] == bytes(16)                      # the peer's ifinfomsg
    assert rows.get_str(peer, LINK["ifname"]) == "eth0"
    assert rows.get_u(peer, LINK["net-ns-fd"]) == 4
    assert rows.tree(m) == {"ifname": "veth2", "linkinfo": {
        "kind": "veth", "data": {"peer": {"net-ns-fd": 4, "ifname": "eth0"}}}}
    # the peer's attributes start after the 16-byte header
    first = next(rows.children(peer))
    assert rows.off[first] == rows.off[peer] + 16 + 4


MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}


@pytest.mark.parametrize("mode", sorted(MACVLAN_MODES))
def test_macvlan_mode(mode: str) -> None:
    macvlan = RTNL.sets["linkinfo-macvlan-attrs"]
    found = 0
    for e in load_vectors():
        if e["step"] != f"link.add.macvlan_{mode}" or e["direction"] != "request":
            continue
        rows = _decode(e)
        for m in rows.messages():
            li = rows.find(m, LINK["linkinfo"])
            if li < 0 or rows.get_str(li, LINKINFO["kind"]) != "macvlan":
                continue
            data = rows.find(li, LINKINFO["data"])
            assert rows.family.set_list[rows.set[data]] is macvlan
            assert rows.get_u(data, macvlan["mode"]) == MACVLAN_MODES[mode]
            assert MACVLAN_MODES[mode] == getattr(lib, f"MACVLAN_MODE_{mode.upper()}")
            assert rows.get_str(m, LINK["ifname"]) == f"mv-{mode}"
            assert rows.get_u(m, LINK["link"]) is not None            # the lower device
            found += 1
    if mode == "bridge":
        rows = _decode(_vec("link.add.macvlan_bridge#3.req"))
        data = rows.path(0, LINK["linkinfo"], LINKINFO["data"])
        assert rows.tree(data) == {"mode": 4}
        found += 1
    if not found:
        pytest.skip(f"no macvlan {mode} request in this corpus")


def test_bridge_port_slave_data() -> None:
    """A bridge port in a link dump: IFLA_INFO_SLAVE_KIND "bridge" selects IFLA_BRPORT_*."""
    brport = RTNL.sets["linkinfo-brport-attrs"]
    ports = 0
    for e in load_vectors():
        if e["family"] != "rtnetlink" or e["direction"] != "reply":
            continue
        rows = _decode(e)
        for m in rows.messages():
            li = rows.find(m, LINK["linkinfo"])
            if li < 0 or rows.get_str(li, LINKINFO["slave-kind"]) != "bridge":
                continue
            sd = rows.find(li, LINKINFO["slave-data"])
            assert rows.flags(sd) & R_CONT
            assert rows.family.set_list[rows.set[sd]] is brport
            assert rows.get_u(m, LINK["master"])                      # a port has a master
            assert rows.get_u(sd, brport["state"]) in range(5)         # BR_STATE_*
            assert rows.get_u(sd, brport["priority"]) == 32            # the default
            assert rows.get_u(sd, brport["learning"]) == 1
            assert rows.get_u(sd, brport["id"]) == rows.get_u(sd, brport["designated-port"])
            assert len(rows.get_bytes(sd, brport["bridge-id"]) or b"") == 8
            ports += 1
    if not ports:
        pytest.skip("no bridge port in this corpus' replies")


def test_route_dump() -> None:
    e = _vec("route.show.dump#1.rep1")
    rows = _decode(e)
    routes = []
    for m in rows.messages():
        family, dst_len, _, _, table, proto, scope, rtype = rows.header(m, 8)
        assert rows.type(m) == lib.RTM_NEWROUTE and family == 2
        assert rows.msg_flags(m) & lib.NLM_F_MULTI
        assert rows.get_u(m, ROUTE["table"]) == table == lib.RT_TABLE_MAIN
        dst = rows.get_bytes(m, ROUTE["dst"])
        gw = rows.get_bytes(m, ROUTE["gateway"])
        routes.append((rows.ip(rows.find(m, ROUTE["dst"])) if dst else "default", dst_len,
                       rows.ip(rows.find(m, ROUTE["gateway"])) if gw else None,
                       rows.get_u(m, ROUTE["priority"])))
    assert routes == [("default", 0, "192.0.2.254", None), ("192.0.2.0", 24, None, None),
                      ("203.0.113.128", 25, "192.0.2.253", 200)]


def test_address_dump() -> None:
    rows = _decode(_vec("addr.show.dump#2.rep1"))
    got = []
    for m in rows.messages():
        family, prefixlen, flags, scope, index = struct.unpack("=BBBBI", rows.header(m, 8))
        assert rows.type(m) == lib.RTM_NEWADDR
        addr = rows.find(m, ADDR["address"])
        got.append((family, prefixlen, rows.ip(addr), rows.get_str(m, ADDR["label"])))
    assert got[0] == (2, 24, "192.0.2.1", "veth0:web")
    assert rows.ip(rows.find(0, ADDR["local"])) == "192.0.2.1"
    assert [g[:2] for g in got[1:]] == [(10, 64)] * 3
    assert "2001:db8:0:1::1" in [g[2] for g in got]
    assert all(g[3] is None for g in got[1:])


def test_extack_policy_offset() -> None:
    """ERANGE with "Attribute failed policy validation", OFFS 32 -> IFLA_IFNAME, POLICY nest."""
    rows = _decode(_vec("err.link.name_too_long#2.rep1"))
    (m,) = rows.messages()
    assert msg_errno(rows, m) == -34
    assert rows.get_str(m, EXTACK["msg"]) == "Attribute failed policy validation"
    assert rows.get_u(m, EXTACK["offs"]) == 32
    pol = rows.find(m, EXTACK["policy"])
    assert rows.flags(pol) & R_NESTED and len(rows.payload(pol)) == 16
    # the echoed request is skipped, not parsed as extack TLVs
    assert rows.off[next(rows.children(m))] == 0x60 + 4
