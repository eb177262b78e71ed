"""The JSON of ``link ls -j``, ``addr ls -j`` and ``route ls -j``, shaped as ``ip -j`` prints it.

Same keys, same value types, same names (flag lists, group and protocol names, lifetimes,
device names) as iproute2 6.x; the differences that remain are deliberate and listed in
docs/cli.md. Names of numbers come from the kernel headers through the codec.
"""
from __future__ import annotations


from .._native import consts, lib
from ..rtnl.addresses import AddressView
from ..rtnl.link import LinkView
from ..rtnl.metrics import metrics_json
from ..rtnl.routes import RouteView

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Iterable

FOREVER = 0xFFFFFFFF                       # INFINITY_LIFE_TIME: ip prints it as a number
# ip's order of link flags (print_link_flags); RUNNING is never printed (LOWER_UP is)
_LINK_FLAGS = ("LOOPBACK", "BROADCAST", "POINTOPOINT", "MULTICAST", "NOARP", "ALLMULTI", "PROMISC",
               "MASTER", "SLAVE", "DEBUG", "DYNAMIC", "AUTOMEDIA", "PORTSEL", "NOTRAILERS", "UP",
               "LOWER_UP", "DORMANT", "ECHO")
_IFF = consts("IFF_")
# iproute2's names for ARPHRD_* where they are not the lower-cased constant name
_ARPHRD_NAMES = {"TUNNEL": "ipip", "IPGRE": "gre", "IP6GRE": "gre6", "IEEE80211": "ieee802.11",
                 "IEEE802154": "ieee802.15.4", "IEEE80211_RADIOTAP": "ieee802.11/radiotap",
                 "IEEE80211_PRISM": "ieee802.11/prism", "INFINIBAND": "infiniband", "RAWIP": "rawip"}
_LINK_TYPES = {n: _ARPHRD_NAMES.get(k, k.lower()) for k, n in consts("ARPHRD_").items()}
_LINKMODES = ("DEFAULT", "DORMANT", "TESTING")
# address flags as ip prints them (print_ifa_flags): name per bit; PERMANENT is printed inverted
_IFA_FLAGS = (("NODAD", "nodad"), ("OPTIMISTIC", "optimistic"), ("DADFAILED", "dadfailed"),
              ("HOMEADDRESS", "home"), ("DEPRECATED", "deprecated"), ("TENTATIVE", "tentative"),
              ("MANAGETEMPADDR", "mngtmpaddr"), ("NOPREFIXROUTE", "noprefixroute"),
              ("MCAUTOJOIN", "autojoin"), ("STABLE_PRIVACY", "stable-privacy"))
_IFA = consts("IFA_F_")
_ROUTE_PREFS = {0: "medium", 1: "high", 3: "low"}       # ICMPV6_ROUTER_PREF_*


def link(v: LinkView, names: dict[int, str]) -> dict[str, Any]:
    """One link as ``ip -j link show`` prints it (plus ``linkinfo.info_kind``, as ip -d)."""
    _, arphrd, _, iff, _ = v._header
    raw = v.raw
    out: dict[str, Any] = {"ifindex": v.index}
    peer, netnsid = v.link, v.link_netnsid
    if peer and netnsid is None:
        out["link"] = names.get(peer, f"if{peer}")
    elif peer:
        out["link_index"] = peer
    out["ifname"] = v.name
    out["flags"] = link_flags(iff)
    out["mtu"] = v.mtu
    if "qdisc" in raw:
        out["qdisc"] = raw["qdisc"]
    if v.master:
        out["master"] = names.get(v.master, f"if{v.master}")
    out["operstate"] = v.operstate.upper()
    mode = raw.get("linkmode")
    out["linkmode"] = _LINKMODES[mode] if isinstance(mode, int) and mode < 3 else str(mode)
    out["group"] = group_name(v.group or 0)
    if v.txqlen is not None:
        out["txqlen"] = v.txqlen
    out["link_type"] = _LINK_TYPES.get(arphrd, f"[{arphrd}]")
    if v.mac is not None:
        out["address"] = v.mac
    bcast = raw.get("broadcast")
    if isinstance(bcast, bytes):
        out["broadcast"] = ":".join(f"{b:02x}" for b in bcast)
    if netnsid is not None:
        out["link_netnsid"] = netnsid
    if v.alias:
        out["ifalias"] = v.alias
    if v.kind:
        out["linkinfo"] = {"info_kind": v.kind}
    return out


def link_flags(iff: int) -> list[str]:
    """ip's flag list: NO-CARRIER for a link up without carrier, then the set flags in order."""
    out = ["NO-CARRIER"] if iff & _IFF["UP"] and not iff & _IFF["RUNNING"] else []
    return out + [f for f in _LINK_FLAGS if f in _IFF and iff & _IFF[f]]


def group_name(group: int) -> str:
    """ip's name of a link group (/etc/iproute2/group ships only 0 = default)."""
    return "default" if group == 0 else str(group)


def addresses(links: Iterable[LinkView], addrs: Iterable[AddressView], names: dict[int, str],
              *, every_link: bool) -> list[dict[str, Any]]:
    """``ip -j addr show``: each link (all of them with ``every_link``, else those holding an
    address) with its ``addr_info``; as ip, without the link mode and alias (``ip link`` fields)."""
    by_link: dict[int, list[dict[str, Any]]] = {}
    for a in addrs:
        by_link.setdefault(a.link, []).append(address(a))
    out = []
    for v in links:
        if every_link or v.index in by_link:
            d = link(v, names)
            d.pop("linkmode")
            d.pop("ifalias", None)
            out.append({**d, "addr_info": by_link.get(v.index, [])})
    return out


def address(a: AddressView) -> dict[str, Any]:
    d = a.to_dict()
    out: dict[str, Any] = {"family": "inet6" if d["family"] == 6 else "inet", "local": d["address"]}
    if d["peer"]:
        out["address"] = d["peer"]
    out["prefixlen"] = d["prefixlen"]
    if d["broadcast"]:
        out["broadcast"] = d["broadcast"]
    out["scope"] = d["scope"]
    flags = a._u(lib.IFA_FLAGS)
    if flags is None:
        flags = a._header[2]
    if flags & _IFA["SECONDARY"]:
        out["temporary" if d["family"] == 6 else "secondary"] = True
    if not flags & _IFA["PERMANENT"]:
        out["dynamic"] = True
    for const, name in _IFA_FLAGS:
        if flags & _IFA[const]:
            out[name] = True
    if d["label"]:
        out["label"] = d["label"]
    out["valid_life_time"] = FOREVER if d["valid_lft"] is None else d["valid_lft"]
    out["preferred_life_time"] = FOREVER if d["preferred_lft"] is None else d["preferred_lft"]
    return out


def route(r: RouteView, names: dict[int, str], *, every_table: bool) -> dict[str, Any]:
    """One route as ``ip -j route show`` prints it (the table only when listing every table,
    and then unless it is main)."""
    d = r.to_dict()
    out: dict[str, Any] = {}
    if d["type"] != "unicast":
        out["type"] = d["type"]
    dst = d["dst"]
    full = 32 if d["family"] == 4 else 128
    out["dst"] = dst.rsplit("/", 1)[0] if dst.endswith(f"/{full}") else dst
    if d["via"]:
        out["gateway"] = d["via"]
    if d["dev"]:
        out["dev"] = names.get(d["dev"], f"if{d['dev']}")
    if every_table and d["table"] != 254:
        out["table"] = {255: "local", 253: "default"}.get(d["table"], str(d["table"]))
    if d["protocol"] != "boot":
        out["protocol"] = d["protocol"]
    if d["scope"] != "global":
        out["scope"] = d["scope"]
    if d["src"]:
        out["prefsrc"] = d["src"]
    if d["metric"] is not None:
        out["metric"] = d["metric"]
    if d.get("nhid"):
        out["nhid"] = d["nhid"]
    if d.get("metrics"):
        out["metrics"] = [metrics_json(d["metrics"])]
    out["flags"] = list(d["flags"])
    if d["nexthops"]:
        out["nexthops"] = [_nexthop(n, names) for n in d["nexthops"]]
    pref = r._u(lib.RTA_PREF)
    if pref is not None:
        out["pref"] = _ROUTE_PREFS.get(pref, str(pref))
    return out


def _nexthop(n: Any, names: dict[int, str]) -> dict[str, Any]:
    n = n if isinstance(n, dict) else vars(n)
    out: dict[str, Any] = {}
    if n.get("via"):
        out["gateway"] = n["via"]
    if n.get("dev"):
        out["dev"] = names.get(n["dev"], f"if{n['dev']}")
    out["weight"] = n.get("weight", 1)
    out["flags"] = list(n.get("flags", []))
    return out
