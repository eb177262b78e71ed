"""Link-kind options declared once: name, attribute, wire type and width, validation.

A kind declares each option as a field of its spec class::

    @record(frozen=True, kw_only=True)
    class Bridge(Link):
        priority: int | None = option(lib.IFLA_BR_PRIORITY, integer(16, 0, 65535))

and that one declaration drives ``Link.check`` (the validation, errors naming
``Bridge.priority``), ``Link.info_data`` (the IFLA_INFO_DATA attribute, in declaration order)
and the kind's view (``kind_view(Bridge)`` adds a ``priority`` property reading it back).
The attribute numbers come from the kernel headers (``lib.IFLA_*``), never literals. What an
option cannot say (a nest, two attributes for one value, a check across options) stays
hand-written in the kind, next to its declarations.
"""
from __future__ import annotations

from .._record import _MISSING, field, fields
from ..errors import InvalidArgument
from . import validate as v

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping

    from .link import Link, LinkView
    from .message import Msg
    from .request import Resolve

USER_HZ = 100                     # clock_t timers (bridge): 1/100 s


class Wire:
    """How an option's value is checked, put on the wire and read back."""

    __slots__ = ("check", "put", "get")

    def __init__(self, check: Callable[[Any, str], object], put: Callable[[Msg, int, str, Any, Resolve], object],
                 get: Callable[[LinkView, int], Any]) -> None:
        self.check = check
        self.put = put
        self.get = get


def _u8(m: Msg, a: int, label: str, x: int, r: Resolve | None = None) -> None:
    m.u8(a, label, x)


def _u16(m: Msg, a: int, label: str, x: int, r: Resolve | None = None) -> None:
    m.u16(a, label, x)


def _u32(m: Msg, a: int, label: str, x: int, r: Resolve | None = None) -> None:
    m.u32(a, label, x)


_PUT = {8: _u8, 16: _u16, 32: _u32}


def integer(width: int, lo: int = 0, hi: int | None = None) -> Wire:
    """An unsigned integer of ``width`` bits, ``lo``..``hi``."""
    top = (1 << width) - 1 if hi is None else hi
    put = _PUT[width]
    return Wire(lambda x, label: v.integer(x, label, lo, top), put,
                lambda view, a: view._d(a))


def boolean(width: int = 8) -> Wire:
    """True/false as an integer of ``width`` bits."""
    put = _PUT[width]

    def get(view: LinkView, a: int) -> bool | None:
        val = view._d(a)
        return None if val is None else bool(val)
    return Wire(v.boolean, lambda m, a, label, x, r: put(m, a, label, int(x)), get)


def bit(width: int, mask: int) -> Wire:
    """True/false as one bit (``mask``) of an integer of ``width`` bits; reads back False when
    the attribute is missing."""
    put = _PUT[width]
    return Wire(v.boolean, lambda m, a, label, x, r: put(m, a, label, mask if x else 0),
                lambda view, a: bool((view._d(a) or 0) & mask))


def seconds(lo: float, hi: float, hz: int = USER_HZ) -> Wire:
    """Seconds, sent as a u32 count of 1/``hz`` s."""
    def check(x: Any, label: str) -> None:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not lo <= x <= hi:
            raise InvalidArgument(f"{label}: {x!r} is not {lo}-{hi} seconds")

    def get(view: LinkView, a: int) -> float | None:
        val = view._d(a)
        return None if val is None else val / hz
    return Wire(check, lambda m, a, label, x, r: m.u32(a, label, round(x * hz)), get)


def choice(table: Mapping[str, int], width: int = 16, *, be: bool = False,
           names: Mapping[int, str] | None = None) -> Wire:
    """A name of ``table`` (any case), sent as its number (``be``: big endian 16 bits)."""
    back = names if names is not None else {n: k for k, n in table.items()}

    def put(m: Msg, a: int, label: str, x: str, r: Resolve) -> None:
        if be:
            m.be16(a, label, table[x.lower()])
        else:
            _PUT[width](m, a, label, table[x.lower()])

    def get(view: LinkView, a: int) -> str | None:
        if be:
            raw = view._dbytes(a)
            if not raw or len(raw) < 2:
                return None
            num = int.from_bytes(raw[:2], "big")
            return back.get(num, hex(num))
        val = view._d(a)
        return None if val is None else back.get(val, str(val))
    return Wire(lambda x, label: v.choice(x, label, table), put, get)


def be16(lo: int = 0, hi: int = 0xFFFF) -> Wire:
    """A 16-bit integer in network byte order (a UDP port)."""
    def get(view: LinkView, a: int) -> int | None:
        raw = view._dbytes(a)
        return int.from_bytes(raw[:2], "big") if raw and len(raw) >= 2 else None
    return Wire(lambda x, label: v.integer(x, label, lo, hi), lambda m, a, label, x, r: m.be16(a, label, x), get)


def ifindex() -> Wire:
    """A link (name or ifindex) sent as its ifindex (u32), resolved when the message is built."""
    def get(view: LinkView, a: int) -> int | None:
        return view._d(a) or None
    return Wire(v.link_ref, lambda m, a, label, x, resolve: m.u32(a, label, resolve(x)), get)


def address(attr6: int) -> Wire:
    """An IP address: IPv4 in the option's attribute, IPv6 in ``attr6``; reads back None for
    an all-zero address."""
    a6 = int(attr6)

    def put(m: Msg, a: int, label: str, x: str, r: Resolve) -> None:
        packed = v.packed_ip(x, label)
        m.binary(a if len(packed) == 4 else a6, label, packed)

    def get(view: LinkView, a: int) -> str | None:
        raw = view._dbytes(a) or view._dbytes(a6)
        if not raw or not any(raw):
            return None
        import ipaddress
        return str(ipaddress.ip_address(raw))
    return Wire(v.ip, put, get)


class Option:
    """One declared option: its IFLA_INFO_DATA attribute and wire type; ``create_only``
    options are sent when the link is made, not on a change."""

    __slots__ = ("attr", "wire", "create_only")

    def __init__(self, attr: int, wire: Wire, create_only: bool = False) -> None:
        self.attr = int(attr)
        self.wire = wire
        self.create_only = create_only


def option(attr: int, wire: Wire, *, required: bool = False, create_only: bool = False) -> Any:
    """Declare a kind's option (a field of its spec class; default None unless ``required``)."""
    return field(default=_MISSING if required else None, meta=Option(attr, wire, create_only))


def options_of(cls: type) -> tuple[tuple[str, Option], ...]:
    """(name, Option) of a spec class, in declaration order (cached on the class)."""
    got: tuple[tuple[str, Option], ...] | None = cls.__dict__.get("_options")
    if got is None:
        got = tuple((f.name, f.meta) for f in fields(cls) if isinstance(f.meta, Option))
        setattr(cls, "_options", got)
    return got


def check_options(spec: Link) -> None:
    """Validate every option that is set."""
    t = type(spec).__name__
    for name, o in options_of(type(spec)):
        val = getattr(spec, name)
        if val is not None:
            o.wire.check(val, f"{t}.{name}")


def put_options(spec: Link, m: Msg, resolve: Resolve, create: bool) -> None:
    """The IFLA_INFO_DATA attributes of the options that are set."""
    t = type(spec).__name__
    for name, o in options_of(type(spec)):
        val = getattr(spec, name)
        if val is not None and (create or not o.create_only):
            o.wire.put(m, o.attr, f"{t}.{name}", val, resolve)


def _property(o: Option) -> property:
    wire, attr = o.wire, o.attr

    def read(self: LinkView) -> Any:
        return wire.get(self, attr)
    return property(read)


def kind_view(spec: type) -> Callable[[type], type]:
    """Class decorator of a kind's view: a read-back property per option of ``spec`` the view
    does not define itself; KIND_FIELDS defaults to the options' names."""
    def deco(view: type) -> type:
        names = []
        for name, o in options_of(spec):
            names.append(name)
            if name not in view.__dict__:
                setattr(view, name, _property(o))
        if "KIND_FIELDS" not in view.__dict__:
            setattr(view, "KIND_FIELDS", tuple(names))
        return view
    return deco


__all__ = ["Wire", "Option", "option", "integer", "boolean", "bit", "seconds", "choice", "be16", "ifindex", "address", "options_of",
           "check_options", "put_options", "kind_view", "USER_HZ"]
