"""Bridge per-port VLAN entries (``bridge vlan add|del|show``) as Requests, and their view.

Entries are sent as iproute2 does: RTM_SETLINK (add) or RTM_DELLINK (delete) of family
AF_BRIDGE for the port, with IFLA_AF_SPEC { [IFLA_BRIDGE_FLAGS: SELF], IFLA_BRIDGE_VLAN_INFO
(struct bridge_vlan_info: flags, vid) }; a range is two entries flagged RANGE_BEGIN and
RANGE_END. ``master=True`` (the default) acts on the bridge's entry for the port;
``master=False`` ("self") on the device itself, which is how the bridge device's own VLANs
are set. Dumps ask for RTEXT_FILTER_BRVLAN_COMPRESSED (ranges, as ``bridge vlan show``).
The bridge must have ``vlan_filtering`` on for entries to take effect.
"""
from __future__ import annotations

import struct
from .._record import record

from .._native import lib
from ..codec.rows import Rows
from ..errors import DecodeError, InvalidArgument
from . import validate as v
from .message import Msg
from .request import Request, Resolve
from .validate import LinkRef
from .view import MessageView

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar

AF_BRIDGE = 7
_IFI = struct.Struct("=BxHiII")
_VINFO = struct.Struct("=HH")
_NLA = struct.Struct("=HH")
_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK
_PVID, _UNTAGGED = int(lib.BRIDGE_VLAN_INFO_PVID), int(lib.BRIDGE_VLAN_INFO_UNTAGGED)
_BEGIN, _END = int(lib.BRIDGE_VLAN_INFO_RANGE_BEGIN), int(lib.BRIDGE_VLAN_INFO_RANGE_END)
_VLAN_INFO = int(lib.IFLA_BRIDGE_VLAN_INFO)


@record(frozen=True)
class VlanRange:
    """VLAN ids ``vid``..``end`` of a port; ``pvid`` (untagged frames in) and ``untagged``
    (frames leave untagged)."""

    vid: int
    end: int
    pvid: bool = False
    untagged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"vid": self.vid, "end": self.end, "pvid": self.pvid, "untagged": self.untagged}


def _check(vid: object, end: object, pvid: object, untagged: object, master: object) -> tuple[int, int]:
    lo = v.integer(vid, "vid", 1, 4094)
    hi = lo if end is None else v.integer(end, "end", 1, 4094)
    if hi < lo:
        raise InvalidArgument(f"end: {hi} is below vid {lo}")
    v.boolean(pvid, "pvid")
    v.boolean(untagged, "untagged")
    v.boolean(master, "master")
    if pvid and hi != lo:
        raise InvalidArgument("pvid: a range of VLANs cannot be the port's PVID")
    return lo, hi


def _msg(op: str, msg_type: int, index: int, lo: int, hi: int, flags: int, master: bool) -> Msg:
    m = Msg(op, msg_type, _ACK).fixed("BridgeVlan.header", "BxHiII", AF_BRIDGE, 0, index, 0, 0)
    m.nest(lib.IFLA_AF_SPEC, "BridgeVlan.af_spec")
    if not master:
        m.u16(lib.IFLA_BRIDGE_FLAGS, "BridgeVlan.self", lib.BRIDGE_FLAGS_SELF)
    if lo == hi:
        m.binary(_VLAN_INFO, "BridgeVlan.vid", _VINFO.pack(flags, lo))
    else:
        m.binary(_VLAN_INFO, "BridgeVlan.vid", _VINFO.pack(flags | _BEGIN, lo))
        m.binary(_VLAN_INFO, "BridgeVlan.end", _VINFO.pack(flags | _END, hi))
    return m.end()


def add(link: LinkRef, vid: int, *, end: int | None = None, pvid: bool = False,
        untagged: bool = False, master: bool = True) -> Request[None]:
    """``bridge vlan add dev LINK vid VID[-END] [pvid] [untagged] [master|self]``; adding
    an existing VLAN again changes its pvid/untagged flags. Its undo (a batch's rollback)
    deletes the VLAN: a PVID it took over from another VLAN is not given back."""
    link = v.link_ref(link, "link")
    lo, hi = _check(vid, end, pvid, untagged, master)
    flags = (_PVID if pvid else 0) | (_UNTAGGED if untagged else 0)
    target = f"vlan {lo}{'' if lo == hi else f'-{hi}'} on {link}"
    return Request("add bridge vlan", target,
                   lambda r: [_msg("add bridge vlan", lib.RTM_SETLINK, r(link), lo, hi, flags, master)],
                   needs=_needs(link), undo=lambda: delete(link, lo, end=hi, master=master))


def delete(link: LinkRef, vid: int, *, end: int | None = None, master: bool = True) -> Request[None]:
    """``bridge vlan del dev LINK vid VID[-END] [master|self]``."""
    link = v.link_ref(link, "link")
    lo, hi = _check(vid, end, False, False, master)
    target = f"vlan {lo}{'' if lo == hi else f'-{hi}'} on {link}"
    return Request("delete bridge vlan", target,
                   lambda r: [_msg("delete bridge vlan", lib.RTM_DELLINK, r(link), lo, hi, 0, master)],
                   needs=_needs(link))


def dump(*, link: LinkRef | None = None) -> Request[list[BridgeVlanView]]:
    """The VLANs of every bridge port and bridge (``bridge vlan show``), or of one link
    (the kernel dumps all: one link's are picked here)."""
    if link is not None:
        link = v.link_ref(link, "link")
    want = [0]

    def build(resolve: Resolve) -> list[Msg]:
        want[0] = 0 if link is None else resolve(link)
        m = Msg("dump bridge vlans", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        m.fixed("BridgeVlan.header", "BxHiII", AF_BRIDGE, 0, 0, 0, 0)
        return [m.u32(lib.IFLA_EXT_MASK, "BridgeVlan.ext_mask", lib.RTEXT_FILTER_BRVLAN_COMPRESSED)]

    def parse(rows: Rows, msgs: list[int]) -> list[BridgeVlanView]:
        views = [BridgeVlanView(rows, m) for m in msgs]
        return [x for x in views if not want[0] or x.link == want[0]]

    return Request("dump bridge vlans", str(link or ""), build, needs=_needs(link), parse=parse, dump=True)


def _needs(link: LinkRef | None) -> tuple[str, ...]:
    return (link,) if isinstance(link, str) else ()


def parse_af_spec(raw: bytes, base: int = 0) -> list[VlanRange]:
    """The VLAN ranges of an AF_BRIDGE IFLA_AF_SPEC payload (every length checked)."""
    out: list[VlanRange] = []
    begin: tuple[int, int] | None = None
    q = 0
    while len(raw) - q >= 4:
        alen, atype = _NLA.unpack_from(raw, q)
        if alen < 4 or alen > len(raw) - q:
            raise DecodeError(f"IFLA_AF_SPEC: attribute of length {alen} at {q}", base + q)
        if atype & 0x3FFF == _VLAN_INFO:
            if alen < 4 + _VINFO.size:
                raise DecodeError(f"IFLA_BRIDGE_VLAN_INFO of {alen - 4} bytes", base + q)
            flags, vid = _VINFO.unpack_from(raw, q + 4)
            pvid, untagged = bool(flags & _PVID), bool(flags & _UNTAGGED)
            if flags & _BEGIN:
                begin = (vid, flags)
            elif flags & _END and begin is not None:
                out.append(VlanRange(begin[0], vid, pvid, untagged))
                begin = None
            else:
                out.append(VlanRange(vid, vid, pvid, untagged))
        q += (alen + 3) & ~3
    return out


class BridgeVlanView(MessageView):
    """The VLANs of one bridge port (or bridge): ``link`` (ifindex), ``name``, ``master``
    (the bridge's ifindex; None for the bridge itself), ``vlans`` (VlanRange list) and
    ``pvid`` (the port's PVID or None)."""

    __slots__ = ()
    HEADER = _IFI
    FIELDS: ClassVar[tuple[str, ...]] = ("link", "name", "master", "pvid", "vlans")

    @property
    def link(self) -> int:
        return self._header[2]

    @property
    def name(self) -> str:
        return self._rows.get_str(self._m, lib.IFLA_IFNAME) or ""

    @property
    def master(self) -> int | None:
        m = self._rows.get_u(self._m, lib.IFLA_MASTER)
        return None if not m or m == self.link else m

    @property
    def vlans(self) -> list[VlanRange]:
        r = self._rows.find(self._m, lib.IFLA_AF_SPEC)
        return [] if r < 0 else parse_af_spec(self._rows.payload(r), self._rows.off[r])

    @property
    def pvid(self) -> int | None:
        return next((x.vid for x in self.vlans if x.pvid), None)

    def __repr__(self) -> str:
        return f"<BridgeVlanView {self.name} {[(x.vid, x.end) for x in self.vlans]}>"


__all__ = ["BridgeVlanView", "VlanRange", "add", "delete", "dump", "parse_af_spec"]
