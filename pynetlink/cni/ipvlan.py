"""pynetlink-ipvlan: an ipvlan on a host interface, inside the container.

Config (as the reference ``ipvlan``): ``master`` (default: the interface of the host's IPv4
default route), ``mode`` (l2, l3, l3s; default l2), ``mtu``, ``linkInContainer``, ``ipam``.
An ipvlan shares its parent's MAC address: a ``MAC`` asked for is ignored, as the reference
does (podman passes ``--mac-address`` to every plugin). Chained after another
plugin (a ``prevResult`` on ADD) without ``master``, the previous result's one interface is the
master, and without ``ipam`` its addresses are used. Everything else is the macvlan plugin's
(``pynetlink.cni.macvlan.SubLink``).
"""
from __future__ import annotations

from ..api import Ipvlan, Link
from ..transport import NetNS
from .macvlan import Options, SubLink
from .skel import INVALID_CONFIG, CNIError, Plugin, Request, Result

IPVLAN_MODES = ("l2", "l3", "l3s")


class IpvlanPlugin(SubLink):
    kind = "ipvlan"
    modes = IPVLAN_MODES
    default_mode = "l2"
    takes_mac = False

    def spec(self, o: Options, ifname: str, netns: NetNS | None) -> Link:
        return Ipvlan(ifname, parent=o.master or "", mode=o.mode, mtu=o.mtu, netns=netns)

    def chained_master(self, req: Request) -> str | None:
        """Chained (a prevResult on ADD) without ``master``: prevResult's one named interface,
        as the reference does."""
        prev = req.prev_result
        if prev is None:
            return None
        names = [i.get("name") for i in prev.get("interfaces") or []]
        if len(names) != 1 or not names[0]:
            raise CNIError(INVALID_CONFIG, "ipvlan: no \"master\" and prevResult lacks a single named "
                           "interface to take as master", f"prevResult interfaces: {names}")
        return str(names[0])

    def chained_addresses(self, req: Request) -> Result:
        """Chained without ``ipam``: prevResult's addresses and routes."""
        prev = req.prev_result or {}
        return {"ips": prev.get("ips") or [], "routes": prev.get("routes") or [], "dns": prev.get("dns") or {}}


def plugin() -> Plugin:
    return IpvlanPlugin()
