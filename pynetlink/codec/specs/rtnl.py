"""rtnetlink (NETLINK_ROUTE): links, addresses, routes, neighbours, netns ids."""
from __future__ import annotations

from ..._native import lib
from ..schema import (RAW, Attr, AttrSet, Family, MessageKind, flag, hnest, nest, raw, s32,
                      u8, u16, u32, u64)
from . import control_messages, extack_set, frozen, submsgs, ynl_sets

IFINFOMSG, IFADDRMSG, RTMSG, NDMSG, RTGENMSG = 16, 8, 12, 12, 4
FIB_RULE_HDR, NHMSG = 12, 8


def _extra_sets() -> list[AttrSet]:
    """Link kinds YNL does not describe yet (names as in <linux/if_link.h>, <linux/veth.h>)."""
    return [
        AttrSet("linkinfo-veth-attrs", "VETH_INFO_", [hnest("peer", "link-attrs", IFINFOMSG)]),
        AttrSet("linkinfo-macvlan-attrs", "IFLA_MACVLAN_", [
            u32("mode"), u16("flags"), u32("macaddr-mode"), raw("macaddr"),
            nest("macaddr-data", "macvlan-macaddr-list"), u32("macaddr-count"), u32("bc-queue-len"),
            u32("bc-queue-len-used"), s32("bc-cutoff")]),
        AttrSet("macvlan-macaddr-list", "IFLA_MACVLAN_", [raw("macaddr")]),
        AttrSet("linkinfo-ipvlan-attrs", "IFLA_IPVLAN_", [u16("mode"), u16("flags")]),
        AttrSet("linkinfo-vxlan-attrs", "IFLA_VXLAN_", [
            u32("id"), raw("group"), u32("link"), raw("local"), u8("ttl"), u8("tos"), u8("learning"),
            u32("ageing"), u32("limit"), raw("port-range"), u8("proxy"), u8("rsc"), u8("l2miss"),
            u8("l3miss"), u16("port", be=True), raw("group6"), raw("local6"), u8("udp-csum"),
            u8("udp-zero-csum6-tx"), u8("udp-zero-csum6-rx"), u8("remcsum-tx"), u8("remcsum-rx"),
            flag("gbp"), flag("remcsum-nopartial"), u8("collect-metadata"), u32("label", be=True),
            flag("gpe"), u8("ttl-inherit"), u8("df"), u8("vnifilter")]),
        AttrSet("netns-attrs", "NETNSA_", [s32("nsid"), u32("pid"), u32("fd"), s32("target-nsid"),
                                           s32("current-nsid")]),
        # <linux/nexthop.h>: no YNL spec for nexthop objects in the shared copy
        AttrSet("nexthop-attrs", "NHA_", [
            u32("id"), raw("group"), u16("group-type"), flag("blackhole"), u32("oif"), raw("gateway"),
            u16("encap-type"), raw("encap"), flag("groups"), u32("master"), flag("fdb"),
            nest("res-group", "nexthop-res-group-attrs"), raw("res-bucket")]),
        AttrSet("nexthop-res-group-attrs", "NHA_RES_GROUP_", [
            u16("buckets"), u32("idle-timer"), u32("unbalanced-timer"), u64("unbalanced-time")]),
        extack_set(),
    ]


_LINKINFO_EXTRA = {"veth": "linkinfo-veth-attrs", "macvlan": "linkinfo-macvlan-attrs",
                   "macvtap": "linkinfo-macvlan-attrs", "ipvlan": "linkinfo-ipvlan-attrs",
                   "ipvtap": "linkinfo-ipvlan-attrs", "vxlan": "linkinfo-vxlan-attrs"}


def _messages(tc_messages: list[MessageKind]) -> list[MessageKind]:
    out = []
    for verb in ("NEW", "DEL", "GET", "SET"):
        for obj, hdr, root in (("LINK", IFINFOMSG, "link-attrs"), ("ADDR", IFADDRMSG, "addr-attrs"),
                               ("ROUTE", RTMSG, "route-attrs"), ("NEIGH", NDMSG, "neighbour-attrs"),
                               ("NSID", RTGENMSG, "netns-attrs"), ("RULE", FIB_RULE_HDR, "fib-rule-attrs"),
                               ("NEXTHOP", NHMSG, "nexthop-attrs")):
            t = getattr(lib, f"RTM_{verb}{obj}", None)
            if t is not None:
                out.append(MessageKind(int(t), hdr, root))
    return out + control_messages() + tc_messages


# Where YNL's rt-link.yaml disagrees with what the kernel sends (checked against VM-tier vectors)
_RT_LINK_FIXES = {
    # br_fill_info() uses nla_put_be16(IFLA_BR_VLAN_PROTOCOL); the spec says plain u16
    "linkinfo-bridge-attrs": {"vlan-protocol": {"be": True}},
    # IFLA_AF_SPEC holds IFLA_BRIDGE_* (not AF_* nests) in AF_BRIDGE messages: kept raw, read
    # by rtnl/bridge_vlan.py (a bridge_vlan_info read as a nest would fail the whole buffer)
    "link-attrs": {"af-spec": {"kind": RAW, "child": ""}},
}
# rt-rule.yaml types FRA_DST/FRA_SRC as u32; they are addresses of either family (4 or 16 bytes)
_RT_RULE_FIXES = {"fib-rule-attrs": {"dst": {"kind": RAW}, "src": {"kind": RAW}}}

def build() -> Family:
    """rtnetlink's family from the YNL specs, the sets above and the headers (what _tables.py freezes)."""
    from . import tc
    rt_link = submsgs("rt-link")
    return Family(
        "rtnetlink",
        [*ynl_sets("rt-link", fixes=_RT_LINK_FIXES), *ynl_sets("rt-addr"), *ynl_sets("rt-route"),
         *ynl_sets("rt-neigh", {"neighbour-attrs"}), *ynl_sets("rt-rule", fixes=_RT_RULE_FIXES),
         *_extra_sets(), *tc.SETS],
        {"linkinfo-data-msg": {**rt_link["linkinfo-data-msg"], **_LINKINFO_EXTRA},
         "linkinfo-member-data-msg": rt_link["linkinfo-member-data-msg"], **tc.SELECTORS},
        _messages(tc.messages()),
    )


RTNL = frozen("RTNL") or build()

LINK = RTNL.sets["link-attrs"]
LINKINFO = RTNL.sets["linkinfo-attrs"]
ADDR = RTNL.sets["addr-attrs"]
ROUTE = RTNL.sets["route-attrs"]
NEIGH = RTNL.sets["neighbour-attrs"]
NETNS = RTNL.sets["netns-attrs"]
EXTACK = RTNL.sets["extack-attrs"]
RULE = RTNL.sets["fib-rule-attrs"]
NEXTHOP = RTNL.sets["nexthop-attrs"]

__all__ = ["RTNL", "LINK", "LINKINFO", "ADDR", "ROUTE", "NEIGH", "NETNS", "EXTACK", "RULE", "NEXTHOP", "Attr"]
