"""IPv4/IPv6 addresses: the ``Address`` spec, add/replace/delete/dump requests, ``AddressView``."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct

from .._record import record

from .._bounded import Bounded
from .._native import lib
from ..codec import columns
from ..codec.rows import NONE, Pluck, Rows
from ..errors import DecodeError, InvalidArgument
from . import validate as v
from .view import InetView, c_fields, make_views
from .message import Msg, Shapes
from .request import MEMO_MAX, Request, Resolve, memo
from .validate import LinkRef

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    import ipaddress
    from dataclasses import KW_ONLY
    from typing import Any, ClassVar, Hashable

SCOPES = {"global": lib.RT_SCOPE_UNIVERSE, "universe": lib.RT_SCOPE_UNIVERSE,
          "site": lib.RT_SCOPE_SITE, "link": lib.RT_SCOPE_LINK, "host": lib.RT_SCOPE_HOST,
          "nowhere": lib.RT_SCOPE_NOWHERE}
SCOPE_NAMES = {lib.RT_SCOPE_UNIVERSE: "global", lib.RT_SCOPE_SITE: "site", lib.RT_SCOPE_LINK: "link",
               lib.RT_SCOPE_HOST: "host", lib.RT_SCOPE_NOWHERE: "nowhere"}
FLAGS = {"secondary": lib.IFA_F_SECONDARY, "nodad": lib.IFA_F_NODAD,
         "optimistic": lib.IFA_F_OPTIMISTIC, "dadfailed": lib.IFA_F_DADFAILED,
         "home": lib.IFA_F_HOMEADDRESS, "deprecated": lib.IFA_F_DEPRECATED,
         "tentative": lib.IFA_F_TENTATIVE, "permanent": lib.IFA_F_PERMANENT,
         "mngtmpaddr": lib.IFA_F_MANAGETEMPADDR, "noprefixroute": lib.IFA_F_NOPREFIXROUTE,
         "autojoin": lib.IFA_F_MCAUTOJOIN, "stable-privacy": lib.IFA_F_STABLE_PRIVACY}
SETTABLE = ("nodad", "optimistic", "home", "mngtmpaddr", "noprefixroute", "autojoin")
FOREVER = 0xFFFFFFFF
_IFA = struct.Struct("=BBBBi")
_CACHE = struct.Struct("=IIII")


@record(frozen=True, init=False)
class Address:
    """An address on a link: ``Address("eth0", "172.17.0.2/24")``.

    ``broadcast=True`` computes it from the prefix (``ip addr add ... brd +``); lifetimes
    are seconds (None: forever); ``flags`` from: nodad, optimistic, home, mngtmpaddr,
    noprefixroute, autojoin.
    """

    link: LinkRef
    address: str
    _: KW_ONLY
    peer: str | None = None
    broadcast: str | bool | None = None
    label: str | None = None
    scope: str | int | None = None
    flags: tuple[str, ...] = ()
    valid_lft: int | None = None
    preferred_lft: int | None = None

    def __init__(self, link: LinkRef, address: str, *, peer: str | None = None,
                 broadcast: str | bool | None = None, label: str | None = None,
                 scope: str | int | None = None, flags: tuple[str, ...] = (),
                 valid_lft: int | None = None, preferred_lft: int | None = None) -> None:
        # what the record's __init__ would do, without its shared loop (one Address per
        # container in W1); tests/test_record.py keeps this signature equal to the fields
        d = self.__dict__
        d["link"], d["address"], d["peer"], d["broadcast"], d["label"] = link, address, peer, broadcast, label
        d["scope"], d["flags"], d["valid_lft"], d["preferred_lft"] = scope, flags, valid_lft, preferred_lft
        self.__post_init__()

    def __post_init__(self) -> None:
        d = self.__dict__
        v.link_ref(d["link"], "Address.link")
        local, plen = v.packed_cidr(d["address"], "Address.address")
        peer = v.packed_ip(d["peer"], "Address.peer") if d["peer"] is not None else None
        bcast, broadcast, label = None, d["broadcast"], d["label"]
        if isinstance(broadcast, str):
            bcast = v.packed_ip(broadcast, "Address.broadcast")
        elif broadcast is not None:
            v.boolean(broadcast, "Address.broadcast")
        fam = v.family_of_packed(local, peer, bcast)
        if (bcast is not None or broadcast is True or label is not None) and fam == socket.AF_INET6:
            raise InvalidArgument("Address: broadcast and label are IPv4 only")
        if broadcast is True:
            bcast = v.masked(local, plen)[1]
        # what building a message needs, parsed once (the spec is frozen)
        d["_packed"] = _Packed(int(fam), plen, local, peer, bcast)
        if label is not None:
            v.text(label, "Address.label", v.IFNAMSIZ - 1)
        if d["scope"] is not None:
            _scope(d["scope"])
        flags = d["flags"]
        if flags != ():                 # the common case: no flags, nothing to check
            if isinstance(flags, str) or not isinstance(flags, (tuple, list, frozenset, set)):
                raise InvalidArgument(f"Address.flags: expected a sequence of names, not {flags!r}")
            for f in flags:
                v.choice(f, "Address.flags", {k: k for k in SETTABLE})
        valid, preferred = d["valid_lft"], d["preferred_lft"]
        if valid is not None:
            v.integer(valid, "Address.valid_lft", 0, FOREVER)
        if preferred is not None:
            v.integer(preferred, "Address.preferred_lft", 0, FOREVER)
            if valid is not None and preferred > valid:
                raise InvalidArgument("Address: preferred_lft exceeds valid_lft")

    @property
    def interface(self) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
        return v.interface(self.address, "Address.address")

    def needs(self) -> tuple[str, ...]:
        return (self.link,) if isinstance(self.link, str) else ()

    @property
    def _pk(self) -> "_Packed":
        packed: _Packed = self.__dict__["_packed"]
        return packed


class _Packed:
    """An Address's addresses, packed: family, prefix length, local, peer, broadcast."""

    __slots__ = ('af', 'plen', 'local', 'peer', 'broadcast')

    def __init__(self, af: int, plen: int, local: bytes, peer: bytes | None, broadcast: bytes | None) -> None:
        (self.af, self.plen, self.local, self.peer, self.broadcast) = \
            (af, plen, local, peer, broadcast)


def _scope(value: str | int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return v.integer(value, "scope", 0, 255)
    return int(v.choice(value, "scope", SCOPES))


def _msg(a: Address, name: str, msg_type: int, flags: int, resolve: Resolve, full: bool) -> Msg:
    pk = a._pk
    fl = 0
    for f in a.flags:
        fl |= FLAGS[f.lower()]
    scope = _scope(a.scope) if a.scope is not None else lib.RT_SCOPE_UNIVERSE
    m = Msg(name, msg_type, flags).fixed("Address.header", "BBBBi", pk.af, pk.plen,
                                         fl & 0xFF, scope, resolve(a.link))
    m.binary(lib.IFA_LOCAL, "Address.address", pk.local)
    if full and pk.broadcast is not None:
        m.binary(lib.IFA_BROADCAST, "Address.broadcast", pk.broadcast)
    if full and a.label is not None:
        m.string(lib.IFA_LABEL, "Address.label", a.label)
    m.binary(lib.IFA_ADDRESS, "Address.peer", pk.local if pk.peer is None else pk.peer)
    if not full:
        return m
    if fl > 0xFF:
        m.u32(lib.IFA_FLAGS, "Address.flags", fl)
    if a.valid_lft is not None or a.preferred_lft is not None:
        valid = FOREVER if a.valid_lft is None else a.valid_lft
        pref = valid if a.preferred_lft is None else a.preferred_lft
        m.binary(lib.IFA_CACHEINFO, "Address.lifetimes", _CACHE.pack(pref, valid, 0, 0))
    return m


def add(a: Address, *, replace: bool = False) -> Request[None]:
    """RTM_NEWADDR (CREATE|EXCL, or CREATE|REPLACE with ``replace``)."""
    if not isinstance(a, Address):
        raise InvalidArgument(f"expected an Address, not {a!r}")
    base = lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE
    flags = base | (lib.NLM_F_REPLACE if replace else lib.NLM_F_EXCL)
    op = "replace address" if replace else "add address"
    return Request(op, f"{a.address} on {a.link}", lambda r: [_add_msg(a, op, flags, r)],
                   needs=a.needs(), undo=None if replace else (lambda: delete(a)))


_SHAPES = Shapes()
_UNIVERSE = int(lib.RT_SCOPE_UNIVERSE)


def _add_msg(a: Address, op: str, flags: int, resolve: Resolve) -> Msg:
    """``_msg`` of an add; an address with no option but a peer (a container's) is filled
    into its shape's program directly."""
    pk = a._pk
    if (pk.broadcast is not None or a.label is not None or a.flags or a.scope is not None
            or a.valid_lft is not None or a.preferred_lft is not None):
        return _msg(a, op, lib.RTM_NEWADDR, flags, resolve, True)
    local = pk.local
    values = [pk.af, pk.plen, 0, _UNIVERSE, resolve(a.link), local, local if pk.peer is None else pk.peer]
    return _SHAPES.msg((op, flags, len(local)), values,
                       lambda: _msg(a, op, lib.RTM_NEWADDR, flags, resolve, True))


def delete(a: Address) -> Request[None]:
    if not isinstance(a, Address):
        raise InvalidArgument(f"expected an Address, not {a!r}")
    flags = lib.NLM_F_REQUEST | lib.NLM_F_ACK
    return Request("delete address", f"{a.address} on {a.link}",
                   lambda r: [_msg(a, "delete address", lib.RTM_DELADDR, flags, r, False)],
                   needs=a.needs())


def dump(*, link: LinkRef | None = None, family: object = None) -> Request[list[AddressView]]:
    """Addresses, optionally of one link and one family (filtered by the kernel)."""
    return memo(_DUMPS, _dump, link, family)


_DUMPS: "Bounded[Hashable, Request[list[AddressView]]]" = Bounded(MEMO_MAX)


def _dump(link: LinkRef | None, family: object) -> Request[list[AddressView]]:
    fam = v.family(family)
    if link is not None:
        link = v.link_ref(link, "link")

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump addresses", lib.RTM_GETADDR, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        return [m.fixed("Address.header", "BBBBi", fam, 0, 0, 0, 0 if link is None else resolve(link))]

    def parse(rows: Rows, msgs: list[int]) -> list[AddressView]:
        return make_views(AddressView, rows, msgs, columns.dump_table(rows, _PLUCK, 2))

    needs = (link,) if isinstance(link, str) else ()
    return Request("dump addresses", str(link or ""), build, needs=needs, parse=parse, dump=True,
                   pluck=_PLUCK, key=None if needs else ("dump addresses", fam, link))


# attribute types as plain ints for the view (a cffi lib attribute costs a lookup each time)
_IFA_LOCAL = int(lib.IFA_LOCAL)
_IFA_ADDRESS = int(lib.IFA_ADDRESS)
_IFA_BROADCAST = int(lib.IFA_BROADCAST)
_IFA_LABEL = int(lib.IFA_LABEL)
_IFA_FLAGS = int(lib.IFA_FLAGS)
_IFA_CACHEINFO = int(lib.IFA_CACHEINFO)
# the columns a dump plucks for its views (offsets into _IFA); a pluck spec may add more
# columns after these (the event stream adds the message type)
PLUCK_COLS: tuple[tuple[str | int, ...], ...] = (
    ("hdr", 0, 1), ("hdr", 1, 1), ("hdr", 3, 1), ("hdrs", 4, 4),           # 1 family, 2 prefixlen, 3 scope, 4 link
    ("span", _IFA_LOCAL), ("span", _IFA_ADDRESS), ("span", _IFA_LABEL))     # 5, 6, 7
_PLUCK = Pluck(int(lib.RTM_NEWADDR), _IFA.size, PLUCK_COLS)
_ROW, _FAM, _PLEN, _SCOPE, _LINK, _LOCAL, _ADDR, _LABEL = range(8)


_T_ADDR, _T_LABEL = -3, -2        # text slots, from the end (a spec may add columns)


def table(rows: Rows, spec: Pluck) -> "list[Any]":
    """The views' shared ``columns.table`` for every message ``spec`` plucks (``[_ROW]``: the
    message rows), with the address and label text made on first use."""
    return columns.table(rows, spec, 2)


def address_texts(t: "list[Any]") -> list[str]:
    """Every address of table ``t`` as text (IFA_LOCAL, else IFA_ADDRESS; "" when neither,
    "!" when malformed), made in one C call on first use."""
    return t[_T_ADDR] or columns.text(t, _T_ADDR, _LOCAL, columns.IP, _ADDR)


def views(rows: Rows, t: "list[Any]") -> "list[AddressView]":
    """One view per message of table ``t``."""
    return make_views(AddressView, rows, t[_ROW].tolist(), t)


class AddressView(InetView):
    """An address as the kernel reported it (made by ``views``: ``_c`` is a ``table``, this
    view's values at index ``_b`` of each column; made alone: read from the rows)."""

    __slots__ = ()
    HEADER = _IFA
    FIELDS: ClassVar[tuple[str, ...]] = (
        "family", "address", "prefixlen", "peer", "broadcast", "label", "scope", "flags",
        "link", "valid_lft", "preferred_lft")

    @property
    def address(self) -> str:
        c: Any = self._c                            # a table (see ``views``)
        if c is not None and (a := (c[_T_ADDR] or address_texts(c))[self._b]) != "!":
            return a
        return self._rows.get_ip(self._m, _IFA_LOCAL) or self._rows.get_ip(self._m, _IFA_ADDRESS) or ""

    @property
    def prefixlen(self) -> int:
        c: Any = self._c
        p: int
        if c is not None and (p := c[_PLEN][self._b]) != NONE:
            return p
        return self._header[1]

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefixlen}"

    @property
    def peer(self) -> str | None:
        """The peer address of a point-to-point address (None when it equals ``address``)."""
        if self._rows.find(self._m, _IFA_LOCAL) < 0:
            return None
        p = self._rows.get_ip(self._m, _IFA_ADDRESS)
        return None if p == self.address else p

    @property
    def broadcast(self) -> str | None:
        return self._rows.get_ip(self._m, _IFA_BROADCAST)

    @property
    def label(self) -> str | None:
        c: Any = self._c
        if c is not None:
            s: str = (c[_T_LABEL] or columns.text(c, _T_LABEL, _LABEL))[self._b]
            return None if not s and c[_LABEL][self._b] == NONE else s
        return self._rows.get_str(self._m, _IFA_LABEL)

    @property
    def scope(self) -> str:
        c: Any = self._c
        if c is None or (s := c[_SCOPE][self._b]) == NONE:
            s = self._header[3]
        return SCOPE_NAMES.get(s) or str(s)

    @property
    def flags(self) -> frozenset[str]:
        f = self._rows.get_u(self._m, _IFA_FLAGS)
        f = self._header[2] if f is None else f
        return frozenset(n for n, bit in FLAGS.items() if f & bit)

    @property
    def link(self) -> int:
        """ifindex of the link."""
        c: Any = self._c
        i: int
        if c is not None and (i := c[_LINK][self._b]) != NONE:
            return i - (1 << 64) if i >> 63 else i
        return self._header[4]

    def _cache(self) -> tuple[int, int] | None:
        raw = self._rows.get_bytes(self._m, _IFA_CACHEINFO)
        if raw is None:
            return None
        if len(raw) < _CACHE.size:
            raise DecodeError(f"IFA_CACHEINFO of {len(raw)} bytes (expected {_CACHE.size})")
        pref, valid, _, _ = _CACHE.unpack_from(raw)
        return pref, valid

    @property
    def valid_lft(self) -> int | None:
        """Seconds left, None for forever."""
        c = self._cache()
        return None if c is None or c[1] == FOREVER else c[1]

    @property
    def preferred_lft(self) -> int | None:
        c = self._cache()
        return None if c is None or c[0] == FOREVER else c[0]

    def __repr__(self) -> str:
        return f"<AddressView {self.cidr} link={self.link}>"


if columns._cview is not None:
    _F = columns._cview
    c_fields(AddressView, address=(_F.F_IP, _LOCAL, _ADDR, ""), prefixlen=(_F.F_UINT, _PLEN),
             label=(_F.F_STR, _LABEL, -1, None), scope=(_F.F_NAMED, _SCOPE, -1, SCOPE_NAMES),
             link=(_F.F_SINT, _LINK))
