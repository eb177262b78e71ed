"""vlan: 802.1Q / 802.1ad sub-interfaces, flags and QoS priority maps."""
from __future__ import annotations

import struct
from collections.abc import Mapping
from ..._record import record, field

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView
from ..message import Msg
from ..options import choice, integer, kind_view, option
from ..request import Resolve
from ..validate import LinkRef

PROTOCOLS = {"802.1q": lib.ETH_P_8021Q, "802.1ad": lib.ETH_P_8021AD}
PROTOCOL_NAMES = {lib.ETH_P_8021Q: "802.1Q", lib.ETH_P_8021AD: "802.1ad"}
# enum vlan_flags of <linux/if_vlan.h> (not exported through the codec's headers)
FLAGS = {"reorder_hdr": 0x1, "gvrp": 0x2, "loose_binding": 0x4, "mvrp": 0x8}
_PAIR = struct.Struct("=II")


@record(frozen=True, kw_only=True)
class Vlan(Link):
    """A VLAN sub-interface of ``parent`` with tag ``id`` (1-4094).

    ``ingress_qos`` maps VLAN priority -> skb priority, ``egress_qos`` skb priority -> VLAN
    priority (0-7), as ``ip link ... ingress-qos-map`` / ``egress-qos-map``.
    """

    kind = "vlan"
    parent: LinkRef
    # protocol before id: the order iproute2 sends them in (tests/rtnl/test_vectors.py)
    protocol: str | None = option(lib.IFLA_VLAN_PROTOCOL, choice(PROTOCOLS, be=True, names=PROTOCOL_NAMES),
                                  create_only=True)
    id: int = option(lib.IFLA_VLAN_ID, integer(16, 1, 4094), required=True, create_only=True)
    reorder_hdr: bool | None = None
    gvrp: bool | None = None
    mvrp: bool | None = None
    loose_binding: bool | None = None
    ingress_qos: Mapping[int, int] = field(default_factory=dict)
    egress_qos: Mapping[int, int] = field(default_factory=dict)

    def check(self) -> None:
        v.link_ref(self.parent, "Vlan.parent")
        super().check()
        for f in FLAGS:
            if getattr(self, f) is not None:
                v.boolean(getattr(self, f), f"Vlan.{f}")
        for name, qos, lo, hi in (("ingress_qos", self.ingress_qos, 0, 7),
                                  ("egress_qos", self.egress_qos, 0, 0xFFFFFFFF)):
            if not isinstance(qos, Mapping):
                raise InvalidArgument(f"Vlan.{name}: expected a mapping of priorities")
            for frm, to in qos.items():
                v.integer(frm, f"Vlan.{name}", lo, hi)
                v.integer(to, f"Vlan.{name}", 0, 7 if name == "egress_qos" else 0xFFFFFFFF)

    def lower(self) -> LinkRef | None:
        return self.parent

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        super().info_data(m, resolve, create)
        flags = mask = 0
        for name, bit in FLAGS.items():
            val = getattr(self, name)
            if val is not None:
                mask |= bit
                flags |= bit if val else 0
        if mask:
            m.binary(lib.IFLA_VLAN_FLAGS, "Vlan.flags", _PAIR.pack(flags, mask))
        for attr, name, qos in ((lib.IFLA_VLAN_EGRESS_QOS, "egress_qos", self.egress_qos),
                                (lib.IFLA_VLAN_INGRESS_QOS, "ingress_qos", self.ingress_qos)):
            if qos:
                m.nest(attr, f"Vlan.{name}")
                for frm, to in sorted(qos.items()):
                    m.binary(lib.IFLA_VLAN_QOS_MAPPING, f"Vlan.{name}", _PAIR.pack(frm, to))
                m.end()


@kind_view(Vlan)
class VlanView(LinkView):
    """A VLAN as read back: ``parent`` (its ifindex), the ``Vlan`` options, flags, QoS maps."""

    __slots__ = ()
    KIND_FIELDS = ("parent", "id", "protocol", "reorder_hdr", "gvrp", "mvrp", "loose_binding",
                   "ingress_qos", "egress_qos")

    @property
    def parent(self) -> int | None:
        return self.link

    def _flags(self) -> int:
        raw = self._dbytes(lib.IFLA_VLAN_FLAGS)
        return _PAIR.unpack(raw[:8])[0] if raw and len(raw) >= 8 else 0

    reorder_hdr = property(lambda self: bool(self._flags() & FLAGS["reorder_hdr"]))
    gvrp = property(lambda self: bool(self._flags() & FLAGS["gvrp"]))
    mvrp = property(lambda self: bool(self._flags() & FLAGS["mvrp"]))
    loose_binding = property(lambda self: bool(self._flags() & FLAGS["loose_binding"]))

    def _qos(self, attr: int) -> dict[int, int]:
        if self._data < 0:
            return {}
        rows = self._rows
        r = rows.find(self._data, attr)
        if r < 0:
            return {}
        pairs = (_PAIR.unpack(rows.payload(c)[:8]) for c in rows.children(r))
        return {frm: to for frm, to in pairs}

    @property
    def ingress_qos(self) -> dict[int, int]:
        return self._qos(lib.IFLA_VLAN_INGRESS_QOS)

    @property
    def egress_qos(self) -> dict[int, int]:
        return self._qos(lib.IFLA_VLAN_EGRESS_QOS)
