"""What this kernel and these privileges allow: probed, not guessed.

Every probe creates the real object inside one throwaway namespace (deleted afterwards)
and records the kernel's answer. ``python -m pynetlink check`` prints the report.
"""
from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ._native import lib
from .codec.message import Msg
from .codec.specs.rtnl import LINK, LINKINFO, RTNL
from .errors import NetlinkError
from .transport import NetlinkSocket, NetNS

CAP_NET_ADMIN, CAP_SYS_ADMIN = 12, 21
NETLINK_ROUTE, NETLINK_NETFILTER = 0, 12
_CREATE = lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
_IFINFO = "BxHiII"


@dataclass(frozen=True)
class Probe:
    """One feature: available, or why not."""

    name: str
    what: str
    reason: str = ""            # empty when available

    @property
    def ok(self) -> bool:
        return not self.reason

    @property
    def needs(self) -> str:
        """The kernel module (or build option) that provides the feature."""
        return NEEDS.get(self.name, "")

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.name, "what": self.what, "ok": self.ok, "reason": self.reason,
                "needs": self.needs}


# what provides each feature: a module to load, or an option the kernel must be built with
NEEDS = {"netns": "CONFIG_NET_NS", "veth": "veth", "bridge": "bridge",
         "bridge_vlan_filtering": "CONFIG_BRIDGE_VLAN_FILTERING", "macvlan": "macvlan",
         "ipvlan": "ipvlan", "vlan": "8021q", "vlan_8021ad": "8021q", "dummy": "dummy",
         "vxlan": "vxlan", "nft_nat": "nf_tables, nft_masq, nf_nat"}


def capabilities() -> dict[str, bool]:
    """Effective CAP_NET_ADMIN / CAP_SYS_ADMIN of this process."""
    eff = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                eff = int(line.split()[1], 16)
    return {"CAP_NET_ADMIN": bool(eff >> CAP_NET_ADMIN & 1), "CAP_SYS_ADMIN": bool(eff >> CAP_SYS_ADMIN & 1)}


# a data attribute's format -> the Msg field that writes it
_DATA_FIELDS = {"B": Msg.u8, "H": Msg.u16, "I": Msg.u32, ">H": Msg.be16}


def _link(kind: str, name: str, data: Sequence[tuple[int, str, int]] = (),
          parent: int | None = None) -> Msg:
    """A NEWLINK of ``kind`` with fixed-format data attributes (attr, fmt, value)."""
    m = Msg(f"create {kind}", lib.RTM_NEWLINK, _CREATE).fixed("ifinfomsg", _IFINFO, 0, 0, 0, 0, 0)
    m.string(LINK["ifname"], "name", name)
    if parent is not None:
        m.u32(LINK["link"], "parent", parent)
    m.nest(LINK["linkinfo"], "linkinfo").string(LINKINFO["kind"], "kind", kind)
    if data:
        m.nest(LINKINFO["data"], "data")
        for attr, fmt, value in data:
            _DATA_FIELDS[fmt](m, attr, f"data.{attr}", value)
        m.end()
    return m.end()


def _run_link(sock: NetlinkSocket, name: str, kind: str, data: list[tuple[int, str, int]],
              parent: int | None) -> str:
    err = sock.transact([_link(kind, name, data, parent).item()],
                        labels=(f"create {kind}", name)).results[0].error
    return "" if err is None else _why(err)


def _why(err: NetlinkError) -> str:
    text = f"{errno.errorcode.get(err.errno or 0, err.errno)}"
    if err.extack:
        text += f" ({err.extack})"
    if err.errno == errno.EOPNOTSUPP and not err.extack:
        text += " (not built into this kernel, or its module cannot be loaded)"
    return text


def _veth(sock: NetlinkSocket, name: str) -> str:
    """Create veth ``name`` (peer ``name``p); '' or why not."""
    m = (Msg("create veth", lib.RTM_NEWLINK, _CREATE).fixed("ifinfomsg", _IFINFO, 0, 0, 0, 0, 0)
         .string(LINK["ifname"], "name", name).nest(LINK["linkinfo"], "linkinfo")
         .string(LINKINFO["kind"], "kind", "veth").nest(LINKINFO["data"], "data")
         .nest(lib.VETH_INFO_PEER, "peer").fixed("peer", _IFINFO, 0, 0, 0, 0, 0)
         .string(LINK["ifname"], "peer_name", name + "p").end().end().end())
    err = sock.transact([m.item()], labels=("create veth", name)).results[0].error
    return "" if err is None else _why(err)


def _nft_nat(ns: NetNS) -> str:
    """A nat table, a postrouting nat chain and a masquerade rule, in one transaction."""
    sub = lib.NFNL_SUBSYS_NFTABLES
    hdr = "BBH"                                           # nfgenmsg; res_id is big endian
    ipv4, res = socket.AF_INET, socket.htons(sub)

    def msg(name: str, msg_type: int, flags: int, family: int) -> Msg:
        return Msg(name, msg_type, flags).fixed("nfgenmsg", hdr, family, 0, res if not family else 0)

    table = msg("add table", sub << 8 | lib.NFT_MSG_NEWTABLE, _CREATE, ipv4).string(
        lib.NFTA_TABLE_NAME, "table", "probe", 32)
    chain = (msg("add chain", sub << 8 | lib.NFT_MSG_NEWCHAIN, _CREATE, ipv4)
             .string(lib.NFTA_CHAIN_TABLE, "table", "probe", 32).string(lib.NFTA_CHAIN_NAME, "chain", "post", 32)
             .nest(lib.NFTA_CHAIN_HOOK, "hook").be32(lib.NFTA_HOOK_HOOKNUM, "hook.num", lib.NF_INET_POST_ROUTING)
             .sbe32(lib.NFTA_HOOK_PRIORITY, "hook.priority", 100).end()
             .string(lib.NFTA_CHAIN_TYPE, "type", "nat", 8))
    rule = (msg("add rule", sub << 8 | lib.NFT_MSG_NEWRULE,
                lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE | lib.NLM_F_APPEND, ipv4)
            .string(lib.NFTA_RULE_TABLE, "table", "probe", 32).string(lib.NFTA_RULE_CHAIN, "chain", "post", 32)
            .nest(lib.NFTA_RULE_EXPRESSIONS, "expressions")
            .nest(lib.NFTA_LIST_ELEM, "expr").string(lib.NFTA_EXPR_NAME, "expr.name", "masq", 8).end().end())
    msgs = [msg("batch", lib.NFNL_MSG_BATCH_BEGIN, lib.NLM_F_REQUEST, 0), table, chain, rule,
            msg("batch", lib.NFNL_MSG_BATCH_END, lib.NLM_F_REQUEST, 0)]
    items = [m.item() for m in msgs]
    with NetlinkSocket(NETLINK_NETFILTER, RTNL, ns) as s:
        reply = s.transact(items, labels=lambda i: (items[i][0].name, "probe"), atomic=True)
    errs = reply.errors
    return _why(errs[0]) if errs else ""


# feature name -> (what it is, kind, data attributes, needs a parent)
_LINK_PROBES: dict[str, tuple[str, str, Callable[[], list[tuple[int, str, int]]], bool]] = {
    "bridge": ("Linux bridge", "bridge", lambda: [], False),
    "bridge_vlan_filtering": ("bridge VLAN filtering", "bridge",
                              lambda: [(lib.IFLA_BR_VLAN_FILTERING, "B", 1)], False),
    "macvlan": ("macvlan (bridge mode)", "macvlan",
                lambda: [(lib.IFLA_MACVLAN_MODE, "I", lib.MACVLAN_MODE_BRIDGE)], True),
    "ipvlan": ("ipvlan (l2)", "ipvlan", lambda: [(lib.IFLA_IPVLAN_MODE, "H", lib.IPVLAN_MODE_L2)], True),
    "vlan": ("802.1Q VLAN", "vlan", lambda: [(lib.IFLA_VLAN_ID, "H", 30)], True),
    "vlan_8021ad": ("802.1ad (QinQ) VLAN", "vlan",
                    lambda: [(lib.IFLA_VLAN_ID, "H", 100), (lib.IFLA_VLAN_PROTOCOL, ">H", 0x88A8)], True),
    "dummy": ("dummy", "dummy", lambda: [], False),
    "vxlan": ("VXLAN", "vxlan", lambda: [(lib.IFLA_VXLAN_ID, "I", 42), (lib.IFLA_VXLAN_PORT, ">H", 4789)], False),
}


def probe_features() -> dict[str, Probe]:
    """Probe every feature in one throwaway namespace; returns name -> Probe."""
    out: dict[str, Probe] = {}
    caps = capabilities()
    missing = [c for c, ok in caps.items() if not ok]
    name = f"pnl-check-{os.getpid()}-{os.urandom(3).hex()}"
    try:
        ns = NetNS.create(name)
    except OSError as exc:
        why = f"cannot create a network namespace: {exc}" + (f" (missing {', '.join(missing)})" if missing else "")
        out["netns"] = Probe("netns", "named network namespaces", why)
        for feat, (what, *_rest) in _LINK_PROBES.items():
            out[feat] = Probe(feat, what, "no namespace to probe in")
        out["veth"] = Probe("veth", "veth pair", "no namespace to probe in")
        out["nft_nat"] = Probe("nft_nat", "nftables NAT (masquerade)", "no namespace to probe in")
        return out
    try:
        out["netns"] = Probe("netns", "named network namespaces")
        with NetlinkSocket(NETLINK_ROUTE, RTNL, ns) as s:
            veth_ok = _veth(s, "parent0")
            out["veth"] = Probe("veth", "veth pair", veth_ok)
            for i, (feat, (what, kind, data, needs_parent)) in enumerate(_LINK_PROBES.items()):
                parent = None
                if needs_parent:              # a parent of its own: macvlan and ipvlan exclude each other
                    if veth_ok or _veth(s, f"up{i}"):
                        out[feat] = Probe(feat, what, "needs a veth parent, and veth failed")
                        continue
                    parent = _ifindex(ns, f"up{i}")
                why = _run_link(s, f"probe{i}", kind, data(), parent)
                out[feat] = Probe(feat, what, why)
        try:
            out["nft_nat"] = Probe("nft_nat", "nftables NAT (masquerade)", _nft_nat(ns))
        except OSError as exc:
            out["nft_nat"] = Probe("nft_nat", "nftables NAT (masquerade)", str(exc))
    finally:
        ns.delete()
    return out


def _ifindex(ns: NetNS, name: str) -> int:
    return ns.run(lambda: socket.if_nametoindex(name))


def report() -> tuple[list[Probe], dict[str, bool]]:
    return list(probe_features().values()), capabilities()
