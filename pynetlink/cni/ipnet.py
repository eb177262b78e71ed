"""``ipaddress``'s ``ip_address``, ``ip_network`` and ``ip_interface`` for the CNI plugins, with
IPv4 done here: ``ipaddress`` (with the ``functools`` and ``collections`` it loads) is ~3 ms of
each plugin process's start, and a plugin handles a handful of addresses.

Plain IPv4 text (what ``inet_pton`` packs and ``inet_ntop`` prints back the same: exactly the
dotted quads ``ipaddress`` accepts) and integers below 2**32 give the small classes below, which
behave as ``IPv4Address``/``IPv4Network``/``IPv4Interface`` do for what the plugins use (``str``,
``int``, ``version``, equality and hashing, ``in``, ``network_address``, ...). Anything else
(IPv6, netmask notation, bad input) goes to ``ipaddress`` itself, so IPv6 objects, the accepted
set and every error message are ``ipaddress``'s. The attributes ``_ip`` and ``_version`` are
``ipaddress``'s own, so its objects and these compare as they would among themselves.
"""
from __future__ import annotations

import _socket

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:            # the functions' results are typed as ipaddress's (they behave so)
    import ipaddress
    from typing import Any, Union
    Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
    Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
    Interface = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]

_AF4 = _socket.AF_INET
_ALL = 0xFFFFFFFF


def _v4(text: str) -> int | None:
    """The integer of a plain dotted quad, or None."""
    if ":" in text:
        return None
    try:
        raw = _socket.inet_pton(_AF4, text)
    except (OSError, ValueError):
        return None
    return int.from_bytes(raw, "big") if _socket.inet_ntop(_AF4, raw) == text else None


def _text(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class V4Address:
    """An IPv4 address (``ipaddress.IPv4Address``'s behaviour, for what the plugins use)."""

    __slots__ = ("_ip",)
    _version = version = 4
    max_prefixlen = 32

    def __init__(self, n: int) -> None:
        self._ip = n

    def __int__(self) -> int:
        return self._ip

    def __str__(self) -> str:
        return _text(self._ip)

    def __repr__(self) -> str:
        return f"IPv4Address('{self}')"

    def __eq__(self, other: object) -> bool:
        try:
            return self._ip == other._ip and self._version == other._version  # type: ignore[attr-defined,no-any-return]
        except AttributeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(hex(self._ip))                       # as ipaddress

    def __lt__(self, other: Any) -> bool:
        if self._version != other._version:
            raise TypeError(f"{self} and {other} are not of the same version")
        return self._ip < other._ip  # type: ignore[no-any-return]

    @property
    def packed(self) -> bytes:
        return self._ip.to_bytes(4, "big")

    @property
    def is_link_local(self) -> bool:
        return self._ip >> 16 == 0xA9FE                  # 169.254.0.0/16


class V4Network:
    """An IPv4 network (``ipaddress.IPv4Network``'s behaviour, for what the plugins use)."""

    __slots__ = ("network_address", "prefixlen", "netmask")
    _version = version = 4
    max_prefixlen = 32

    def __init__(self, n: int, prefixlen: int) -> None:
        mask = (_ALL << (32 - prefixlen)) & _ALL
        self.network_address = V4Address(n & mask)
        self.prefixlen = prefixlen
        self.netmask = V4Address(mask)

    @property
    def broadcast_address(self) -> V4Address:
        return V4Address(self.network_address._ip | (_ALL ^ self.netmask._ip))

    def __str__(self) -> str:
        return f"{self.network_address}/{self.prefixlen}"

    def __repr__(self) -> str:
        return f"IPv4Network('{self}')"

    def __eq__(self, other: object) -> bool:
        try:
            return (self._version == other._version and self.network_address == other.network_address  # type: ignore[attr-defined]
                    and int(self.netmask) == int(other.netmask))  # type: ignore[attr-defined]
        except AttributeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.network_address._ip ^ self.netmask._ip)      # as ipaddress

    def __contains__(self, other: Any) -> bool:
        if self._version != other._version or hasattr(other, "network_address"):
            return False                                 # another family, or a network
        return other._ip & self.netmask._ip == self.network_address._ip  # type: ignore[no-any-return]

    def overlaps(self, other: Any) -> bool:
        return (self.network_address in other or self.broadcast_address in other
                or other.network_address in self or other.broadcast_address in self)


class V4Interface(V4Address):
    """An IPv4 address with its network (``ipaddress.IPv4Interface``'s behaviour, as above)."""

    __slots__ = ("network",)

    def __init__(self, n: int, prefixlen: int) -> None:
        super().__init__(n)
        self.network = V4Network(n, prefixlen)

    @property
    def ip(self) -> V4Address:
        return V4Address(self._ip)

    def __str__(self) -> str:
        return f"{_text(self._ip)}/{self.network.prefixlen}"

    def __repr__(self) -> str:
        return f"IPv4Interface('{self}')"

    def __eq__(self, other: object) -> bool:
        equal = V4Address.__eq__(self, other)
        if equal is NotImplemented or not equal:
            return equal
        try:
            return self.network == other.network  # type: ignore[attr-defined,no-any-return]
        except AttributeError:
            return False

    def __hash__(self) -> int:
        return hash((self._ip, self.network.prefixlen, int(self.network.network_address)))   # as ipaddress


def _split(text: str) -> tuple[int, int] | None:
    """(address, prefix length) of plain ``a.b.c.d`` or ``a.b.c.d/N``, or None."""
    addr, slash, plen = text.partition("/")
    n = _v4(addr)
    if n is None:
        return None
    if not slash:
        return n, 32
    if not (plen.isascii() and plen.isdigit()) or int(plen) > 32:
        return None
    return n, int(plen)


def ip_address(value: Any) -> Address:
    """``ipaddress.ip_address``: an IPv4 text or an integer below 2**32 gives a ``V4Address``."""
    if value.__class__ is str:
        n = _v4(value)
        if n is not None:
            return V4Address(n)  # type: ignore[return-value]
        if ":" not in value:
            # no IPv6 address lacks a colon: ipaddress's error, without importing it
            raise ValueError(f"{value!r} does not appear to be an IPv4 or IPv6 address")
    elif value.__class__ is int and 0 <= value < 1 << 32:
        return V4Address(value)  # type: ignore[return-value]
    import ipaddress
    return ipaddress.ip_address(value)


def ip_network(value: Any, strict: bool = True) -> Network:
    """``ipaddress.ip_network``: ``a.b.c.d[/N]`` gives a ``V4Network`` (host bits set: the
    error is ``ipaddress``'s, or with ``strict=False`` they are cleared)."""
    if value.__class__ is str:
        got = _split(value)
        if got is not None:
            net = V4Network(*got)
            if not strict or net.network_address._ip == got[0]:
                return net  # type: ignore[return-value]
    import ipaddress
    return ipaddress.ip_network(value, strict=strict)


def ip_interface(value: Any) -> Interface:
    """``ipaddress.ip_interface``: ``a.b.c.d[/N]`` gives a ``V4Interface``."""
    if value.__class__ is str:
        got = _split(value)
        if got is not None:
            return V4Interface(*got)  # type: ignore[return-value]
    import ipaddress
    return ipaddress.ip_interface(value)
