"""Input checks shared by every request builder: bad input never reaches the kernel.

Each checker returns the normalised value or raises ``InvalidArgument`` naming the field.
"""
from __future__ import annotations

import errno
import os
import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start

from ..errors import InvalidArgument
from ..transport import validate as tv
from ..transport.netns import NetNS

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    import ipaddress        # imported where used: a CNI plugin's requests go through packed_ip()
    from typing import Iterable, Mapping, TypeVar, Union
else:
    from .._lighttyping import TypeVar, Union

IFNAMSIZ = tv.IFNAMSIZ
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_HEX = frozenset("0123456789abcdefABCDEF")


def _is_mac(value: str) -> bool:
    """Six pairs of hex digits, each pair after the first led by ":" or "-"."""
    return (len(value) == 17 and all(value[i] in ":-" for i in range(2, 17, 3))
            and all(value[i] in _HEX and value[i + 1] in _HEX for i in range(0, 17, 3)))
T = TypeVar("T")
if TYPE_CHECKING:
    IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
    IPNetwork = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]
LinkRef = Union[str, int]
NetnsRef = Union[NetNS, str, int, "os.PathLike[str]"]


def ifname(value: object, field: str = "name") -> str:
    """A valid interface name (the kernel's dev_valid_name: see transport.validate.ifname)."""
    return tv.ifname(value, field)


def link_ref(value: object, field: str) -> LinkRef:
    """A link given by name or by ifindex."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{field}: expected an interface name or index, not {value!r}")
    if isinstance(value, int):
        if value <= 0 or value > 0x7FFFFFFF:
            raise InvalidArgument(f"{field}: invalid ifindex {value}")
        return value
    return ifname(value, field)


def integer(value: object, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{field}: expected an integer, not {value!r}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"{field}: {value} is outside {lo}-{hi}")
    return value


def boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{field}: expected True or False, not {value!r}")
    return value


def choice(value: object, field: str, options: Mapping[str, T]) -> T:
    """A name from ``options`` (case-insensitive); the error lists what exists."""
    if isinstance(value, str) and value.lower() in options:
        return options[value.lower()]
    raise InvalidArgument(f"{field}: unknown value {value!r}; expected one of {', '.join(options)}")


def mac(value: object, field: str = "mac") -> bytes:
    """A 48-bit MAC address ("02:42:ac:11:00:02") as 6 bytes."""
    if isinstance(value, bytes) and len(value) == 6:
        return value
    if not isinstance(value, str) or not _is_mac(value):
        raise InvalidArgument(f"{field}: invalid MAC address {value!r}")
    return bytes.fromhex(value.replace(":", "").replace("-", ""))


def device_mac(value: object, field: str = "mac") -> bytes:
    """The MAC address of an Ethernet device: ``mac()`` that is unicast and not all zero
    (the kernel's is_valid_ether_addr, refused with a bare EADDRNOTAVAIL otherwise)."""
    raw = mac(value, field)
    if raw[0] & 1:
        raise InvalidArgument(f"{field}: {raw.hex(':')} is a multicast address; a device needs a "
                              "unicast MAC (first byte even)")
    if not any(raw):
        raise InvalidArgument(f"{field}: the zero MAC address 00:00:00:00:00:00 is not a device address")
    return raw


def text(value: object, field: str, max_len: int) -> str:
    if not isinstance(value, str) or len(value.encode()) > max_len or "\0" in value:
        raise InvalidArgument(f"{field}: expected a string of at most {max_len} bytes, not {value!r}")
    return value


def ip(value: object, field: str) -> IPAddress:
    """A single IPv4 or IPv6 address (no prefix)."""
    import ipaddress
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    if not isinstance(value, str) or "/" in value:
        raise InvalidArgument(f"{field}: expected an IP address without prefix, not {value!r}")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise InvalidArgument(f"{field}: invalid IP address {value!r}") from None


def interface(value: object, field: str) -> IPNetwork:
    """An address with its prefix length ("172.17.0.1/24"); without a prefix: /32 or /128."""
    import ipaddress
    if isinstance(value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        return value
    if not isinstance(value, str):
        raise InvalidArgument(f"{field}: expected an address like '172.17.0.1/24', not {value!r}")
    addr, _, plen = value.partition("/")
    a = ip(addr, field)
    if plen:
        prefix_len(plen, field, a.max_prefixlen)
    try:
        return ipaddress.ip_interface(value)
    except ValueError:
        raise InvalidArgument(f"{field}: invalid address {value!r}") from None


def packed_ip(value: object, field: str) -> bytes:
    """``ip()`` as 4 or 16 packed bytes (the length tells the family), without ``ipaddress``.

    ``inet_pton`` accepts exactly the plain addresses ``ipaddress`` accepts; anything it
    refuses (bad input, IPv6 scope ids, address objects) takes ``ip()``'s path, so the
    accepted set and the errors are ``ip()``'s.
    """
    if type(value) is str and "/" not in value:
        try:
            return socket.inet_pton(_AF6 if ":" in value else _AF4, value)
        except (OSError, ValueError):
            pass
    return ip(value, field).packed


def packed_cidr(value: object, field: str) -> tuple[bytes, int]:
    """``interface()`` as (packed address, prefix length), without ``ipaddress``."""
    if type(value) is str:
        addr, slash, plen = value.partition("/")
        if not slash or (plen.isascii() and plen.isdigit()):
            try:
                raw = socket.inet_pton(_AF6 if ":" in addr else _AF4, addr)
            except (OSError, ValueError):
                pass
            else:
                n = int(plen) if slash else 8 * len(raw)
                if n <= 8 * len(raw):
                    return raw, n
    ifa = interface(value, field)
    return ifa.ip.packed, ifa.network.prefixlen


def masked(raw: bytes, plen: int) -> tuple[bytes, bytes]:
    """(network address, broadcast address) of a packed address and its prefix length."""
    size = len(raw)
    host = (1 << (8 * size - plen)) - 1
    n = int.from_bytes(raw, "big")
    return (n & ~host).to_bytes(size, "big"), (n | host).to_bytes(size, "big")


def family_of_packed(*addrs: bytes | None) -> int:
    """``family_of()`` for packed addresses (4 or 16 bytes); mixing families is refused."""
    fam = 0
    for a in addrs:
        if a is not None:
            if fam and fam != len(a):
                raise InvalidArgument("mixed IPv4 and IPv6 addresses in one request")
            fam = len(a)
    return _AF6 if fam == 16 else _AF4


def prefix_len(value: str, field: str, max_len: int) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > max_len:
        raise InvalidArgument(f"{field}: invalid prefix length /{value} (0-{max_len})")
    return int(value)


def family_of(*addrs: IPAddress | IPNetwork | None) -> int:
    """AF_INET or AF_INET6 of the given addresses; mixing families is refused."""
    fams = {a.version for a in addrs if a is not None}
    if len(fams) > 1:
        raise InvalidArgument("mixed IPv4 and IPv6 addresses in one request")
    return socket.AF_INET6 if fams == {6} else socket.AF_INET


def family(value: object) -> int:
    """A family filter: 4, 6, 'inet', 'inet6', socket.AF_INET/AF_INET6, or None (both)."""
    if value is None:
        return socket.AF_UNSPEC
    table = {4: socket.AF_INET, 6: socket.AF_INET6, "inet": socket.AF_INET, "inet6": socket.AF_INET6,
             "ipv4": socket.AF_INET, "ipv6": socket.AF_INET6,
             int(socket.AF_INET): socket.AF_INET, int(socket.AF_INET6): socket.AF_INET6}
    try:
        return int(table[value])
    except (KeyError, TypeError):
        raise InvalidArgument(f"family: expected 4, 6, 'inet' or 'inet6', not {value!r}") from None


def netns_ref(value: object, field: str = "netns") -> NetnsRef:
    """A namespace: a NetNS, a name, a path, or a pid (int)."""
    if isinstance(value, NetNS):
        return value
    if isinstance(value, bool):
        raise InvalidArgument(f"{field}: expected a namespace, not {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise InvalidArgument(f"{field}: invalid pid {value}")
        return value
    if isinstance(value, os.PathLike) or (isinstance(value, str) and "/" in value):
        return tv.netns_path(value, field)
    if isinstance(value, str):
        from ..transport.netns import check_name
        try:
            return check_name(value)
        except InvalidArgument as exc:
            raise InvalidArgument(f"{field}: {exc}") from None
    raise InvalidArgument(f"{field}: expected a NetNS, name, path or pid, not {value!r}")


def netns_exists(ref: NetnsRef, field: str) -> None:
    """The namespace exists and is one (checked when a request is made, before sending)."""
    if isinstance(ref, int):
        if not os.path.exists(f"/proc/{ref}/ns/net"):
            raise FileNotFoundError(errno.ESRCH, f"{field}: no process {ref} (no such network namespace)")
        return
    tv.check_netns_file(netns_path(ref), field)


def netns_path(ref: NetnsRef) -> str:
    """The file to open for a namespace reference that is not a pid."""
    if isinstance(ref, NetNS):
        return ref.path
    if isinstance(ref, os.PathLike) or (isinstance(ref, str) and "/" in ref):
        return os.fspath(ref)
    return NetNS.named(str(ref)).path


def unique(values: Iterable[T], field: str) -> tuple[T, ...]:
    out = tuple(values)
    if len(set(out)) != len(out):
        raise InvalidArgument(f"{field}: duplicate entries in {out!r}")
    return out
