"""Traffic control (qdiscs, classes, filters) on rtnetlink: the attribute sets and messages.

YNL's tc.yaml is not among the specs we ship, so the sets are written here; names follow it
and <linux/pkt_sched.h>, <linux/pkt_cls.h>, <linux/tc_act/tc_mirred.h>, numbers come from
those headers. ``options`` is a sub-message chosen by the sibling ``kind`` (as
IFLA_INFO_DATA by IFLA_INFO_KIND); kinds without a set here are kept raw.
"""
from __future__ import annotations

from ..._native import lib
from ..schema import AttrSet, MessageKind, array_of, raw, string, sub, u32, u64

TCMSG = 20          # struct tcmsg: family, pad, ifindex, handle, parent, info

SETS = [
    AttrSet("tc-attrs", "TCA_", [
        string("kind"), sub("options", "tc-options-msg", "kind"), raw("stats"), raw("xstats"),
        raw("rate"), u32("fcnt"), raw("stats2"), raw("stab"), raw("pad"), raw("dump-invisible"),
        u32("chain"), raw("hw-offload"), u32("ingress-block"), u32("egress-block")]),
    AttrSet("tc-tbf-attrs", "TCA_TBF_", [
        raw("parms"), raw("rtab"), raw("ptab"), u64("rate64"), u64("prate64"), u32("burst"),
        u32("pburst"), raw("pad")]),
    AttrSet("tc-u32-attrs", "TCA_U32_", [
        u32("classid"), u32("hash"), u32("link"), u32("divisor"), raw("sel"), raw("police"),
        array_of("act", "tc-act-attrs"), string("indev"), raw("pcnt"), raw("mark"), u32("flags"),
        raw("pad")]),
    AttrSet("tc-act-attrs", "TCA_ACT_", [
        string("kind"), sub("options", "tc-act-options-msg", "kind"), u32("index"), raw("stats"),
        raw("pad"), raw("cookie"), raw("flags"), raw("hw-stats"), raw("used-hw-stats"),
        u32("in-hw-count")]),
    AttrSet("tc-act-mirred-attrs", "TCA_MIRRED_", [raw("tm"), raw("parms"), raw("pad"), u32("blockid")]),
]

SELECTORS = {"tc-options-msg": {"tbf": "tc-tbf-attrs", "u32": "tc-u32-attrs"},
             "tc-act-options-msg": {"mirred": "tc-act-mirred-attrs"}}


def messages() -> list[MessageKind]:
    """RTM_{NEW,DEL,GET}{QDISC,TCLASS,TFILTER}: a tcmsg, then tc-attrs."""
    return [MessageKind(int(getattr(lib, f"RTM_{verb}{obj}")), TCMSG, "tc-attrs")
            for verb in ("NEW", "DEL", "GET") for obj in ("QDISC", "TCLASS", "TFILTER")]


__all__ = ["SELECTORS", "SETS", "TCMSG", "messages"]
