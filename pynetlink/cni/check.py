"""CHECK of the bridge plugin: what prevResult says against what the kernel has."""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ..api import Handle
from ..nft import Nftables
from . import masq
from .skel import INTERNAL, INVALID_CONFIG, CNIError, Request

if TYPE_CHECKING:
    from .bridge import Conf


def _fail(msg: str, details: str = "") -> CNIError:
    return CNIError(INTERNAL, msg, details)


def check_bridge(req: Request, conf: "Conf") -> None:
    """Error (code 999, saying what differs) unless the attachment is as prevResult says."""
    prev = req.prev_result
    if not prev:
        raise CNIError(INVALID_CONFIG, "CHECK needs the prevResult of the ADD in the config")
    ifaces = prev.get("interfaces") or []
    idx = next((i for i, x in enumerate(ifaces) if x.get("name") == req.ifname and x.get("sandbox")), None)
    if idx is None:
        raise _fail(f"prevResult has no interface {req.ifname} in a sandbox")
    with Handle() as h:
        try:
            host = h.links.get(conf.host_veth)
            br = h.links.get(conf.bridge)
        except FileNotFoundError:
            raise _fail(f"host veth {conf.host_veth} or bridge {conf.bridge} is missing") from None
        if host.master != br.index:
            raise _fail(f"{conf.host_veth} is not a port of {conf.bridge}")
    try:
        h = Handle(req.netns)
    except FileNotFoundError:
        raise _fail(f"CNI_NETNS {req.netns} does not exist") from None
    with h:
        try:
            view = h.links.get(req.ifname)
        except FileNotFoundError:
            raise _fail(f"{req.ifname} is missing in {req.netns}") from None
        want_mac = ifaces[idx].get("mac")
        if want_mac and str(view.mac).lower() != str(want_mac).lower():
            raise _fail(f"{req.ifname} has MAC {view.mac}, prevResult says {want_mac}")
        have = {f"{a.address}/{a.prefixlen}" for a in h.addresses.dump(req.ifname)}
        want = [ip for ip in prev.get("ips") or [] if ip.get("interface", idx) == idx]
        for ip in want:
            if str(ipaddress.ip_interface(ip["address"])) not in have:
                raise _fail(f"{req.ifname} lacks the address {ip['address']}")
        routes = [(r.dst, r.via) for r in h.routes.dump()]
        for r in prev.get("routes") or []:
            if not _has_route(routes, r):
                raise _fail(f"{req.netns} lacks the route {r['dst']} via {r.get('gw', '(link)')}")
    if conf.ip_masq and want:
        with Nftables() as nft:
            missing = {str(ipaddress.ip_interface(ip["address"]).ip) for ip in want} - masq.masqueraded(nft)
        if missing:
            raise _fail(f"no masquerade for {', '.join(sorted(missing))}")


def _has_route(routes: list[tuple[Any, Any]], r: dict[str, Any]) -> bool:
    dst = ipaddress.ip_network(r["dst"], strict=False)
    names = {str(dst)} | ({"default"} if dst.prefixlen == 0 else set())
    return any(str(d) in names and (not r.get("gw") or str(via) == r["gw"]) for d, via in routes)
