"""Neighbours (ARP/NDP entries) and bridge FDB entries: add, delete, dump, ``NeighbourView``."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct

from .._native import lib
from ..codec.rows import Rows
from ..errors import InvalidArgument
from . import validate as v
from .link import fmt_mac
from .view import MessageView
from .message import Msg
from .request import Request, Resolve
from .validate import LinkRef

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import ClassVar

STATES = {"incomplete": lib.NUD_INCOMPLETE, "reachable": lib.NUD_REACHABLE, "stale": lib.NUD_STALE,
          "delay": lib.NUD_DELAY, "probe": lib.NUD_PROBE, "failed": lib.NUD_FAILED,
          "noarp": lib.NUD_NOARP, "permanent": lib.NUD_PERMANENT}
FDB_STATES = {"permanent": lib.NUD_PERMANENT, "static": lib.NUD_NOARP, "dynamic": lib.NUD_REACHABLE}
NTF = {"use": lib.NTF_USE, "self": lib.NTF_SELF, "master": lib.NTF_MASTER, "proxy": lib.NTF_PROXY,
       "extern_learn": lib.NTF_EXT_LEARNED, "offload": lib.NTF_OFFLOADED, "sticky": lib.NTF_STICKY,
       "router": lib.NTF_ROUTER}
AF_BRIDGE = 7
_ND = struct.Struct("=BxxxiHBB")
_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK


def _head(m: Msg, fam: int, index: int, state: int, flags: int) -> Msg:
    return m.fixed("Neighbour.header", "BxxxiHBB", fam, index, state, flags, 0)


def add(link: LinkRef, ip: str, lladdr: str, *, state: str = "permanent", router: bool = False,
        replace: bool = False) -> Request[None]:
    """An ARP/NDP entry (``ip neigh add|replace IP lladdr MAC dev LINK``)."""
    link = v.link_ref(link, "link")
    addr = v.ip(ip, "Neighbour.ip")
    mac = v.mac(lladdr, "Neighbour.lladdr")
    st = v.choice(state, "Neighbour.state", STATES)
    v.boolean(router, "Neighbour.router")
    fam = v.family_of(addr)
    flags = _ACK | lib.NLM_F_CREATE | (lib.NLM_F_REPLACE if replace else lib.NLM_F_EXCL)
    op = "replace neighbour" if replace else "add neighbour"

    def build(resolve: Resolve) -> list[Msg]:
        m = _head(Msg(op, lib.RTM_NEWNEIGH, flags), fam, resolve(link), st,
                  lib.NTF_ROUTER if router else 0)
        m.binary(lib.NDA_DST, "Neighbour.ip", addr.packed)
        return [m.binary(lib.NDA_LLADDR, "Neighbour.lladdr", mac)]

    return Request(op, f"{ip} on {link}", build, needs=_needs(link))


def delete(link: LinkRef, ip: str) -> Request[None]:
    link = v.link_ref(link, "link")
    addr = v.ip(ip, "Neighbour.ip")
    fam = v.family_of(addr)

    def build(resolve: Resolve) -> list[Msg]:
        m = _head(Msg("delete neighbour", lib.RTM_DELNEIGH, _ACK), fam, resolve(link), 0, 0)
        return [m.binary(lib.NDA_DST, "Neighbour.ip", addr.packed)]

    return Request("delete neighbour", f"{ip} on {link}", build, needs=_needs(link))


def dump(*, link: LinkRef | None = None, family: object = None) -> Request[list[NeighbourView]]:
    """ARP/NDP entries, optionally of one link and one family."""
    fam = v.family(family)
    if link is not None:
        link = v.link_ref(link, "link")

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump neighbours", lib.RTM_GETNEIGH, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        _head(m, fam, 0, 0, 0)                       # strict checking: filters go in attributes
        if link is not None:
            m.u32(lib.NDA_IFINDEX, "Neighbour.link", resolve(link))
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> list[NeighbourView]:
        return [NeighbourView(rows, x) for x in msgs]

    return Request("dump neighbours", str(link or ""), build, needs=_needs(link), parse=parse, dump=True)


def _needs(*refs: LinkRef | None) -> tuple[str, ...]:
    return tuple(r for r in refs if isinstance(r, str))


def _fdb_msg(op: str, msg_type: int, flags: int, link: LinkRef, mac: bytes, state: int,
             master: bool, vlan: int | None, dst: str | None, resolve: Resolve) -> Msg:
    m = _head(Msg(op, msg_type, flags), AF_BRIDGE, resolve(link), state,
              lib.NTF_MASTER if master else lib.NTF_SELF)
    m.binary(lib.NDA_LLADDR, "Fdb.mac", mac)
    if dst is not None:
        m.binary(lib.NDA_DST, "Fdb.dst", v.ip(dst, "Fdb.dst").packed)
    if vlan is not None:
        m.u16(lib.NDA_VLAN, "Fdb.vlan", vlan)
    return m


def fdb_add(link: LinkRef, mac: str, *, master: bool = True, state: str = "permanent",
            vlan: int | None = None, dst: str | None = None, replace: bool = False,
            append: bool = False) -> Request[None]:
    """A bridge FDB entry (``bridge fdb add MAC dev LINK master|self``); ``dst`` for vxlan.
    ``append`` adds one more destination to an entry (``bridge fdb append``: a vxlan's
    all-zeros MAC floods to every destination it has)."""
    link = v.link_ref(link, "link")
    raw = v.mac(mac, "Fdb.mac")
    st = v.choice(state, "Fdb.state", FDB_STATES)
    v.boolean(master, "Fdb.master")
    if vlan is not None:
        v.integer(vlan, "Fdb.vlan", 1, 4094)
    if dst is not None:
        v.ip(dst, "Fdb.dst")
    if replace and append:
        raise InvalidArgument("Fdb: replace and append exclude each other")
    flags = _ACK | lib.NLM_F_CREATE | (lib.NLM_F_REPLACE if replace else
                                       lib.NLM_F_APPEND if append else lib.NLM_F_EXCL)
    return Request("add fdb entry", f"{mac} on {link}",
                   lambda r: [_fdb_msg("add fdb entry", lib.RTM_NEWNEIGH, flags, link, raw, st, master,
                                       vlan, dst, r)], needs=_needs(link))


def fdb_delete(link: LinkRef, mac: str, *, master: bool = True, vlan: int | None = None,
               dst: str | None = None) -> Request[None]:
    link = v.link_ref(link, "link")
    raw = v.mac(mac, "Fdb.mac")
    if vlan is not None:
        v.integer(vlan, "Fdb.vlan", 1, 4094)
    return Request("delete fdb entry", f"{mac} on {link}",
                   lambda r: [_fdb_msg("delete fdb entry", lib.RTM_DELNEIGH, _ACK, link, raw, 0, master,
                                       vlan, dst, r)], needs=_needs(link))


def fdb_dump(*, link: LinkRef | None = None, master: LinkRef | None = None) -> Request[list[NeighbourView]]:
    """Bridge FDB entries, optionally of one port or one bridge."""
    if link is not None:
        link = v.link_ref(link, "link")
    if master is not None:
        master = v.link_ref(master, "master")

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump fdb", lib.RTM_GETNEIGH, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        _head(m, AF_BRIDGE, 0 if link is None else resolve(link), 0, 0)
        if master is not None:
            m.u32(lib.NDA_MASTER, "Fdb.master", resolve(master))
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> list[NeighbourView]:
        return [NeighbourView(rows, x) for x in msgs]

    return Request("dump fdb", str(link or master or ""), build, needs=_needs(link, master),
                   parse=parse, dump=True)


class NeighbourView(MessageView):
    """A neighbour or FDB entry as the kernel reported it."""

    __slots__ = ()
    HEADER = _ND
    FIELDS: ClassVar[tuple[str, ...]] = ("family", "link", "ip", "lladdr", "state", "flags", "vlan",
                                         "master")

    @property
    def family(self) -> str:
        f = self._header[0]
        return {socket.AF_INET: "inet", socket.AF_INET6: "inet6", AF_BRIDGE: "bridge"}.get(f, str(f))

    @property
    def link(self) -> int:
        return self._header[1]

    @property
    def ip(self) -> str | None:
        r = self._rows.find(self._m, lib.NDA_DST)
        return self._rows.ip(r) if r >= 0 else None

    @property
    def lladdr(self) -> str | None:
        raw = self._rows.get_bytes(self._m, lib.NDA_LLADDR)
        return fmt_mac(raw) if raw else None

    @property
    def state(self) -> frozenset[str]:
        s = self._header[2]
        return frozenset(n for n, bit in STATES.items() if s & bit)

    @property
    def flags(self) -> frozenset[str]:
        f = self._header[3]
        return frozenset(n for n, bit in NTF.items() if f & bit)

    @property
    def vlan(self) -> int | None:
        return self._rows.get_u(self._m, lib.NDA_VLAN)

    @property
    def master(self) -> int | None:
        return self._rows.get_u(self._m, lib.NDA_MASTER)

    def __repr__(self) -> str:
        return f"<NeighbourView {self.ip or self.lladdr} link={self.link} {sorted(self.state)}>"


__all__ = ["InvalidArgument", "NeighbourView", "add", "delete", "dump", "fdb_add", "fdb_delete",
           "fdb_dump"]
