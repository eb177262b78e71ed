"""``h.bridge_vlans``: bridge per-port VLAN entries (``bridge vlan``), for Handles and Batches."""
from __future__ import annotations

from ..rtnl import bridge_vlan as rtbv
from ..rtnl.validate import LinkRef
from .verbs import R, _Verbs


class BridgeVlans(_Verbs[R]):
    """VLANs of bridge ports: add, delete, dump (``bridge vlan add|del|show``).

    ``master=True`` (default) sets the bridge's entry for a port; ``master=False`` ("self")
    the device's own, e.g. the bridge device itself. The bridge needs ``vlan_filtering``.
    """

    __slots__ = ()

    def add(self, link: LinkRef, vid: int, *, end: int | None = None, pvid: bool = False,
            untagged: bool = False, master: bool = True) -> R:
        """VLAN ``vid`` (to ``end``: a range) on ``link``; ``pvid``: untagged frames coming in
        join it; ``untagged``: it leaves the port untagged."""
        return self._submit(rtbv.add(link, vid, end=end, pvid=pvid, untagged=untagged, master=master))

    def delete(self, link: LinkRef, vid: int, *, end: int | None = None, master: bool = True) -> R:
        return self._submit(rtbv.delete(link, vid, end=end, master=master))

    def dump(self, link: LinkRef | None = None) -> R:
        """``BridgeVlanView`` per port (and bridge) with VLANs, or of one link."""
        return self._submit(rtbv.dump(link=link))


__all__ = ["BridgeVlans"]
