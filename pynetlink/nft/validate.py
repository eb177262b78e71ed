"""Input checks, run before anything is sent: names, families, addresses, ports."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start

from .._bounded import Bounded
from .._native import lib
from ..errors import InvalidArgument
from ..transport import validate as transport_validate

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    import ipaddress        # imported where used: element add/delete of plain addresses goes without it
    from typing import Literal, Union
else:
    from .._lighttyping import Literal, Union

TableFamily = Literal["ip", "ip6", "inet"]
FAMILIES: dict[str, int] = {"ip": int(lib.NFPROTO_IPV4), "ip6": int(lib.NFPROTO_IPV6),
                            "inet": int(lib.NFPROTO_INET)}
FAMILY_NAMES = {v: k for k, v in FAMILIES.items()}
PROTOCOLS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "icmp": socket.IPPROTO_ICMP,
             "icmpv6": socket.IPPROTO_ICMPV6, "sctp": 132}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
if TYPE_CHECKING:
    Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
    Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _FIRST | frozenset("0123456789.-/")


def _valid_name(value: str) -> bool:
    """[A-Za-z_][A-Za-z0-9_.-/]{0,254}, checked without ``re`` (CNI plugin start-up)."""
    return 0 < len(value) <= 255 and value[0] in _FIRST and set(value) <= _NAME_CHARS


def family(value: str) -> TableFamily:
    """A table family: 'ip', 'ip6' or 'inet'."""
    if value not in FAMILIES:
        raise InvalidArgument(f"invalid table family {value!r}: use one of ip, ip6, inet")
    return value  # type: ignore[return-value]


_NAMES_OK: Bounded[str, None] = Bounded(4096)          # names already checked (a transaction repeats a few names)


def name(value: str, what: str = "name") -> str:
    """A table, chain or set name (1-255 characters, starting with a letter or '_')."""
    if value.__class__ is str and value in _NAMES_OK:
        return value
    if not isinstance(value, str) or not _valid_name(value):
        raise InvalidArgument(f"invalid {what} {value!r}: use 1-255 letters, digits, '_', '.', '-', '/', "
                              "starting with a letter or '_'")
    if value.__class__ is str:
        _NAMES_OK.put(value, None)
    return value


def ifname(value: str) -> str:
    """An interface name as the kernel allows it (transport.validate.ifname); a trailing '*'
    is a wildcard."""
    base = value[:-1] if isinstance(value, str) and value.endswith("*") else value
    if not isinstance(base, str) or "*" in base:
        raise InvalidArgument(f"invalid interface name {value!r}: only a trailing '*' matches a prefix")
    try:
        transport_validate.ifname(base, "")
    except InvalidArgument as exc:
        raise InvalidArgument(f"{str(exc).removeprefix(': ')}; a trailing '*' matches a prefix") from None
    return value


_NETWORKS: "Bounded[str, Network]" = Bounded(1024)   # text -> parsed (immutable): a ruleset repeats its subnets


def network(value: object) -> Network:
    """A CIDR prefix such as '172.17.0.0/16' (an address alone is a /32 or /128)."""
    text = value if isinstance(value, str) and value.__class__ is str else None
    if text is not None:
        got = _NETWORKS.get(text)
        if got is not None:
            return got
    import ipaddress
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise InvalidArgument(f"invalid address or prefix {value!r}: {exc}") from None
    if net.prefixlen == 0:
        raise InvalidArgument(f"prefix {value!r} matches every address: leave the match out instead")
    if text is not None:
        _NETWORKS.put(text, net)
    return net


def address(value: object) -> Address:
    """A single IPv4 or IPv6 address (no prefix)."""
    import ipaddress
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise InvalidArgument(f"invalid address {value!r}: expected an IPv4 or IPv6 address "
                              "without a prefix") from None


_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_pton, _ntop = socket.inet_pton, socket.inet_ntop


def packed_address(value: object) -> tuple[int, bytes, str]:
    """(version, packed bytes, text as ``str(ipaddress.ip_address(value))``) of one address.

    ``inet_pton`` packs (one C call, strict: no leading zeros, no trailing junk); text it
    cannot take, or that ipaddress would print differently (IPv4-mapped IPv6, scopes), goes
    through ``address`` (the same checks and errors as before).
    """
    if isinstance(value, str) and value.__class__ is str:
        text = value
        try:
            if ":" not in text:
                raw = _pton(_AF4, text)
                if _ntop(_AF4, raw) == text:
                    return 4, raw, text
            elif "." not in text:
                raw = _pton(_AF6, text)
                norm = _ntop(_AF6, raw)
                if "." not in norm:
                    return 6, raw, norm
        except (OSError, ValueError):
            pass
    a = address(value)
    return a.version, a.packed, str(a)


def packed_network(value: object) -> tuple[int, bytes, int, str] | None:
    """(version, packed network address, prefix length, text as ``str(network(value))``) of a
    plain ``address/length`` prefix without host bits, for prefixes of 1 to 128 bits; None
    for anything else (then ``network`` decides, with its checks and errors)."""
    if not (isinstance(value, str) and value.__class__ is str):
        return None
    addr, slash, plen = value.partition("/")
    if not slash or not (plen.isascii() and plen.isdigit()):
        return None
    try:
        version, raw, text = packed_address(addr)
    except InvalidArgument:
        return None
    n, bits = int(plen), 8 * len(raw)
    if not 0 < n <= bits or int.from_bytes(raw, "big") & ((1 << (bits - n)) - 1):
        return None
    return version, raw, n, f"{text}/{n}"


def port(value: object) -> int:
    """A TCP/UDP port, 1-65535."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidArgument(f"invalid port {value!r}: expected an integer 1-65535")
    return value


def port_range(value: object) -> tuple[int, int]:
    """A port or (first, last) range, as (first, last)."""
    if isinstance(value, tuple) and len(value) == 2:
        lo, hi = port(value[0]), port(value[1])
        if lo > hi:
            raise InvalidArgument(f"invalid port range {lo}-{hi}: first port above last")
        return (lo, hi)
    p = port(value)
    return (p, p)


__all__ = ["TableFamily", "FAMILIES", "FAMILY_NAMES", "family", "name", "ifname", "network", "address", "packed_address",
           "packed_network",
           "port", "port_range"]
