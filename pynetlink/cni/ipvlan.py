"""pynetlink-ipvlan: an ipvlan on a host interface, inside the container.

Config (as the reference ``ipvlan``): ``master`` (default: the interface of the host's IPv4
default route), ``mode`` (l2, l3, l3s; default l2), ``mtu``, ``linkInContainer``, ``ipam``.
An ipvlan shares its parent's MAC address: a ``MAC`` asked for is ignored, as the reference
does (podman passes ``--mac-address`` to every plugin). Everything else is the
macvlan plugin's (``pynetlink.cni.macvlan.SubLink``).
"""
from __future__ import annotations

from ..api import Ipvlan, Link
from ..transport import NetNS
from .macvlan import Options, SubLink
from .skel import Plugin

IPVLAN_MODES = ("l2", "l3", "l3s")


class IpvlanPlugin(SubLink):
    kind = "ipvlan"
    modes = IPVLAN_MODES
    default_mode = "l2"
    takes_mac = False

    def spec(self, o: Options, ifname: str, netns: NetNS | None) -> Link:
        return Ipvlan(ifname, parent=o.master or "", mode=o.mode, mtu=o.mtu, netns=netns)


def plugin() -> Plugin:
    return IpvlanPlugin()
