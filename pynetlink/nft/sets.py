"""Named sets and maps: typed keys (and values), their elements, encoded as nft encodes them.

```python
Set("blocked", "ipv4_addr", {"10.0.0.1", "10.9.0.0/16"}, flags={"interval"})
Set("services", ("inet_proto", "inet_service"), {("tcp", 80), ("udp", 53)})
Map("published", ("inet_proto", "inet_service"), ("ipv4_addr", "inet_service"),
    {("tcp", 8080): ("172.17.0.2", 80)})
Map("ports", "inet_service", "verdict", {22: Accept(), 80: Jump("web")})
```

Keys and values are plain Python values, normalized on construction (addresses as text,
protocols by name, ports as ints) so a set listed back from the kernel compares equal.
Types are nft's: ``ipv4_addr``, ``ipv6_addr``, ``ether_addr``, ``inet_proto``,
``inet_service``, ``ifname``; a tuple of them is a concatenation (each member padded to
4 bytes). ``interval`` sets hold prefixes and ranges as nft stores them: one field as a start
element and an end element (``NFT_SET_ELEM_INTERVAL_END``) one past the last value; a
concatenation (``NFT_SET_CONCAT``, the kernel's pipapo) as one element with KEY the first and
KEY_END the last values, members being ranges (addresses, ports) or exact values.
"""
from __future__ import annotations

from .._record import record, field
from _collections_abc import Mapping   # collections.abc without the collections package (plugin start-up)

from .._native import lib
from ..errors import InvalidArgument
from . import validate
from .validate import PROTOCOL_NAMES, PROTOCOLS

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:      # stmt (and match) load on first use of a verdict map: element add/delete stays light
    from typing import Any, Iterable, Optional, Sequence, Union

    from .stmt import Verdict
else:
    from .._lighttyping import Optional, Union

TYPE_BITS = 6                                  # nft: a concatenation's type is 6 bits per member
VERDICT_TYPE = int(lib.NFT_DATA_VERDICT)       # NFTA_SET_DATA_TYPE of a verdict map
# nft datatype name -> (type id, length in bytes)
TYPES: dict[str, tuple[int, int]] = {
    "ipv4_addr": (7, 4), "ipv6_addr": (8, 16), "ether_addr": (9, 6), "inet_proto": (12, 1),
    "inet_service": (13, 2), "ifname": (41, 16)}
TYPE_NAMES = {v[0]: k for k, v in TYPES.items()}
FLAGS = {"constant": int(lib.NFT_SET_CONSTANT), "interval": int(lib.NFT_SET_INTERVAL)}
CONCAT_FLAG = int(lib.NFT_SET_CONCAT)           # an interval set of a concatenation (kernel: pipapo)
RANGED = ("ipv4_addr", "ipv6_addr", "inet_service")
MAP_FLAG = int(lib.NFT_SET_MAP)
INTERVAL_END = int(lib.NFT_SET_ELEM_INTERVAL_END)

Scalar = Union[str, int]
Key = Union[Scalar, tuple[Scalar, ...]]
Value = Union[Key, "Verdict"]


def _type(value: Union[str, Sequence[str]], what: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    bad = [n for n in names if n not in TYPES]
    if not names or bad:
        raise InvalidArgument(f"{what}: unknown type(s) {bad or '(none)'}: use {', '.join(TYPES)} "
                              "or a tuple of them (a concatenation)")
    return names


def type_id(names: tuple[str, ...]) -> int:
    """NFTA_SET_KEY_TYPE / DATA_TYPE: nft's concatenated type id."""
    out = 0
    for n in names:
        out = out << TYPE_BITS | TYPES[n][0]
    return out


def type_len(names: tuple[str, ...]) -> int:
    """Key/data length: one member is its own size, concatenation members are padded to 4 bytes."""
    if len(names) == 1:
        return TYPES[names[0]][1]
    return sum((TYPES[n][1] + 3) & ~3 for n in names)


def type_names(tid: int, length: int) -> Optional[tuple[str, ...]]:
    """The type names of a kernel type id (None if unknown or inconsistent with ``length``)."""
    names: list[str] = []
    for _ in range(8):
        n = TYPE_NAMES.get(tid & ((1 << TYPE_BITS) - 1))
        if n is None:
            return None
        names.insert(0, n)
        tid >>= TYPE_BITS
        if not tid:
            break
    out = tuple(names)
    return out if tid == 0 and type_len(out) == length else None


# -- one scalar of a type ------------------------------------------------------------------------
def _scalar(kind: str, value: object, interval: bool) -> Scalar:
    if kind in ("ipv4_addr", "ipv6_addr"):
        version = 4 if kind == "ipv4_addr" else 6
        text = str(value)
        if interval and "-" in text:
            lo_s, _, hi_s = text.partition("-")
            lo, hi = validate.address(lo_s.strip()), validate.address(hi_s.strip())
            if lo.version != version or hi.version != version or int(lo) > int(hi):
                raise InvalidArgument(f"{kind}: invalid range {text!r}")
            return _range_text(lo, hi)
        if interval and "/" in text:
            fast = validate.packed_network(text)
            if fast is not None:
                if fast[0] != version:
                    raise InvalidArgument(f"{kind}: {text} is not an IPv{version} prefix")
                return fast[3] if fast[2] < 8 * len(fast[1]) else fast[3].partition("/")[0]
            net = validate.network(text)
            if net.version != version:
                raise InvalidArgument(f"{kind}: {text} is not an IPv{version} prefix")
            return str(net) if net.prefixlen < net.max_prefixlen else str(net.network_address)
        got, _, norm = validate.packed_address(text)     # without ipaddress for plain text
        if got != version:
            raise InvalidArgument(f"{kind}: {text} is not an IPv{version} address")
        return norm
    if kind == "inet_proto":
        if isinstance(value, str) and value in PROTOCOLS:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
            return PROTOCOL_NAMES.get(value, value)
        raise InvalidArgument(f"inet_proto: invalid protocol {value!r}: use {', '.join(PROTOCOLS)} or 0-255")
    if kind == "inet_service":
        if interval and isinstance(value, str) and "-" in value:
            lo_t, _, hi_t = value.partition("-")
            try:
                lo_p, hi_p = validate.port_range((int(lo_t), int(hi_t)))
            except ValueError:
                raise InvalidArgument(f"inet_service: invalid port range {value!r}") from None
            return lo_p if lo_p == hi_p else f"{lo_p}-{hi_p}"
        return validate.port(value)
    if kind == "ifname":
        if not isinstance(value, str) or value.endswith("*"):
            raise InvalidArgument(f"ifname: {value!r}: a set holds whole interface names")
        return validate.ifname(value)
    if kind == "ether_addr":
        parts = str(value).lower().split(":")
        if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
            raise InvalidArgument(f"ether_addr: invalid MAC address {value!r}")
        return ":".join(parts)
    raise InvalidArgument(f"unknown type {kind}")


def _range_text(lo: Any, hi: Any) -> str:
    """An address range as nft prints it: one address, a prefix, or first-last."""
    import ipaddress
    if lo == hi:
        return str(lo)
    for net in ipaddress.summarize_address_range(lo, hi):
        if net.network_address == lo and net.broadcast_address == hi:
            return str(net)
        break
    return f"{lo}-{hi}"


def _bounds(kind: str, value: Scalar) -> tuple[int, int]:
    """An interval element's (first, last) as integers."""
    if kind == "inet_service":
        if isinstance(value, str):
            lo, _, hi = value.partition("-")
            return int(lo), int(hi)
        return int(value), int(value)
    text = str(value)
    if "/" in text:                                       # without ipaddress for a plain prefix
        fast = validate.packed_network(text)
        if fast is not None:
            n, host = int.from_bytes(fast[1], "big"), (1 << (8 * len(fast[1]) - fast[2])) - 1
            return n, n | host
    elif "-" not in text:                                 # and for a plain address
        try:
            n = int.from_bytes(validate.packed_address(text)[1], "big")
            return n, n
        except InvalidArgument:
            pass
    import ipaddress
    if "-" in text:
        lo_s, _, hi_s = text.partition("-")
        return int(ipaddress.ip_address(lo_s)), int(ipaddress.ip_address(hi_s))
    net = ipaddress.ip_network(text)
    return int(net.network_address), int(net.broadcast_address)


def _raw(kind: str, value: Scalar) -> bytes:
    size = TYPES[kind][1]
    if kind in ("ipv4_addr", "ipv6_addr"):
        return validate.packed_address(str(value))[1]
    if kind == "inet_proto":
        return bytes([PROTOCOLS[value] if isinstance(value, str) else value])
    if kind == "inet_service":
        assert isinstance(value, int)
        return value.to_bytes(2, "big")
    if kind == "ifname":
        return str(value).encode().ljust(size, b"\0")
    return bytes(int(p, 16) for p in str(value).split(":"))


def _unraw(kind: str, raw: bytes) -> Scalar:
    if kind in ("ipv4_addr", "ipv6_addr"):
        import ipaddress
        return str(ipaddress.ip_address(raw))
    if kind == "inet_proto":
        return PROTOCOL_NAMES.get(raw[0], raw[0])
    if kind == "inet_service":
        return int.from_bytes(raw, "big")
    if kind == "ifname":
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return ":".join(f"{b:02x}" for b in raw)


# -- keys / values of a type ---------------------------------------------------------------------
def parse_value(names: tuple[str, ...], value: object, interval: bool = False, what: str = "key") -> Key:
    if len(names) == 1:
        return _scalar(names[0], value, interval)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise InvalidArgument(f"{what} {value!r}: expected a tuple of {len(names)} values "
                              f"({' . '.join(names)})")
    return tuple(_scalar(n, v, interval) for n, v in zip(names, value))


def encode_value(names: tuple[str, ...], value: Key) -> bytes:
    if len(names) == 1:
        assert not isinstance(value, tuple)
        return _raw(names[0], value)
    assert isinstance(value, tuple)
    out = b""
    for n, v in zip(names, value):
        raw = _raw(n, v)
        out += raw + bytes(-len(raw) % 4)
    return out


def decode_value(names: tuple[str, ...], raw: bytes) -> Key:
    if len(names) == 1:
        return _unraw(names[0], raw[:TYPES[names[0]][1]])
    out: list[Scalar] = []
    off = 0
    for n in names:
        size = TYPES[n][1]
        out.append(_unraw(n, raw[off:off + size]))
        off += (size + 3) & ~3
    return tuple(out)


def _verdict(value: object) -> Verdict:
    from .stmt import Verdict
    if isinstance(value, Verdict):
        return value
    if isinstance(value, str) and value in ("accept", "drop", "return", "continue"):
        return Verdict(value)
    raise InvalidArgument(f"verdict map value {value!r}: use Accept(), Drop(), Jump('chain'), ...")


# -- sets and maps -------------------------------------------------------------------------------
class NamedSet:
    """What sets and maps share: a name, a key type, flags."""

    name: str
    type: Any
    flags: Any
    elements: Any
    handle: Optional[int]

    def _check(self, what: str) -> None:
        validate.name(self.name, f"{what} name")
        object.__setattr__(self, "type", _type(self.type, f"{what} {self.name}"))
        flags = frozenset([self.flags] if isinstance(self.flags, str) else self.flags)
        bad = sorted(f for f in flags if f not in FLAGS)
        if bad:
            raise InvalidArgument(f"{what} {self.name}: unknown flag(s) {bad}: use {', '.join(FLAGS)}")
        if "interval" in flags and not any(t in RANGED for t in self.type):
            raise InvalidArgument(f"{what} {self.name}: interval sets hold addresses or ports")
        object.__setattr__(self, "flags", flags)

    @property
    def key_type(self) -> tuple[str, ...]:
        assert isinstance(self.type, tuple)
        return self.type

    @property
    def data_type(self) -> Optional[tuple[str, ...]]:
        return None

    @property
    def interval(self) -> bool:
        return "interval" in self.flags

    def kernel_flags(self) -> int:
        concat = CONCAT_FLAG if self.interval and len(self.key_type) > 1 else 0
        return sum(FLAGS[f] for f in self.flags) | concat

    @property
    def field_lengths(self) -> tuple[int, ...]:
        """NFTA_SET_DESC_CONCAT: each member's length (interval concatenations only)."""
        return tuple(TYPES[t][1] for t in self.key_type) if self.kernel_flags() & CONCAT_FLAG else ()

    def key(self, value: object) -> Key:
        return parse_value(self.key_type, value, self.interval, f"{self}: key")


@record(frozen=True)
class Set(NamedSet):
    """A named set of keys of one type (or a concatenation of types)."""

    name: str
    type: Union[str, Sequence[str]]
    elements: Iterable[Any] = ()
    flags: Iterable[str] = ()
    handle: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self._check("set")
        object.__setattr__(self, "elements", frozenset(self.key(e) for e in self.elements))

    def keys(self, elements: Optional[Iterable[Any]] = None) -> list[Key]:
        """``elements`` (default: the set's own) parsed and normalized as keys of this set."""
        if elements is None:
            return sorted(self.elements, key=repr)
        return [self.key(e) for e in elements]

    def __str__(self) -> str:
        return f"set {self.name}"


@record(frozen=True)
class Map(NamedSet):
    """A named map: keys of ``type`` to values of ``data`` (a type, a tuple of types, or "verdict")."""

    name: str
    type: Union[str, Sequence[str]]
    data: Union[str, Sequence[str]] = "verdict"
    elements: Mapping[Any, Any] = field(default_factory=dict)
    flags: Iterable[str] = ()
    handle: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self._check("map")
        if self.data != "verdict":
            object.__setattr__(self, "data", _type(self.data, f"map {self.name}"))
        if not isinstance(self.elements, Mapping):
            raise InvalidArgument(f"map {self.name}: elements are a dict of key: value")
        object.__setattr__(self, "elements", dict(self.items(self.elements)))

    def value(self, v: object) -> Value:
        """A map value, normalized."""
        if self.data == "verdict":
            return _verdict(v)
        assert isinstance(self.data, tuple)
        return parse_value(self.data, v, False, f"map {self.name}: value")

    @property
    def data_type(self) -> Optional[tuple[str, ...]]:
        return self.data if isinstance(self.data, tuple) else None

    def kernel_flags(self) -> int:
        return super().kernel_flags() | MAP_FLAG

    def items(self, elements: Optional[Mapping[Any, Any]] = None) -> list[tuple[Key, Value]]:
        """``elements`` (default: the map's own) as normalized (key, value) pairs."""
        if elements is None:
            return sorted(self.elements.items(), key=lambda kv: repr(kv[0]))
        return [(self.key(k), self.value(v)) for k, v in elements.items()]

    def __str__(self) -> str:
        return f"map {self.name}"


# -- kernel elements -----------------------------------------------------------------------------
@record(frozen=True)
class Element:
    """One NFTA_LIST_ELEM of NEWSETELEM/DELSETELEM: key bytes, optional data, flags."""

    key: bytes
    data: Union[bytes, tuple[int, Optional[str]], None] = None    # bytes or (verdict code, chain)
    flags: int = 0
    key_end: Optional[bytes] = None      # the last key of an interval of a concatenation


ElemData = Union[bytes, tuple[int, Optional[str]], None]


def key_elements(s: NamedSet, pairs: Iterable[tuple[Key, ElemData]]) -> list[Element]:
    """Kernel elements for (key, data) pairs, as nft writes them: one element per key; for
    one-field intervals a start element (with the data) and an end element one past the last
    value (``INTERVAL_END``, none past the top); for concatenated intervals KEY and KEY_END."""
    if not s.interval:
        return [Element(encode_value(s.key_type, k), d) for k, d in pairs]
    out: list[Element] = []
    if len(s.key_type) > 1:
        for k, d in pairs:
            assert isinstance(k, tuple)
            lo = hi = b""
            for kind, v in zip(s.key_type, k):
                x, y = _member_bounds(kind, v)
                pad = bytes(-len(x) % 4)
                lo, hi = lo + x + pad, hi + y + pad
            out.append(Element(lo, d, key_end=hi))
        return out
    kind = next(iter(s.key_type))
    size = TYPES[kind][1]
    top = (1 << (8 * size)) - 1
    for k, d in sorted(pairs, key=lambda kd: _bounds(kind, kd[0])):  # type: ignore[arg-type]
        lo_i, hi_i = _bounds(kind, k)  # type: ignore[arg-type]
        out.append(Element(lo_i.to_bytes(size, "big"), d))
        if hi_i < top:
            out.append(Element((hi_i + 1).to_bytes(size, "big"), None, INTERVAL_END))
    return out


def _member_bounds(kind: str, value: Scalar) -> tuple[bytes, bytes]:
    size = TYPES[kind][1]
    if kind in RANGED:
        lo, hi = _bounds(kind, value)
        return lo.to_bytes(size, "big"), hi.to_bytes(size, "big")
    raw = _raw(kind, value)
    return raw, raw


def set_elements(s: NamedSet, keys: Iterable[Key]) -> list[Element]:
    """Kernel elements of set keys (for a map: keys only, as DELSETELEM takes them)."""
    return key_elements(s, [(k, None) for k in keys])


def map_elements(m: Map, items: Iterable[tuple[Key, Value]]) -> list[Element]:
    from .stmt import Verdict
    pairs: list[tuple[Key, ElemData]] = []
    for k, v in items:
        if isinstance(v, Verdict):
            pairs.append((k, (Verdict.CODES[v.kind], v.chain)))
        else:
            assert m.data_type is not None
            pairs.append((k, encode_value(m.data_type, v)))
    return key_elements(m, pairs)


def _key_pairs(s: NamedSet, elems: Sequence[Element]) -> list[tuple[Key, ElemData]]:
    if not s.interval:
        return [(decode_value(s.key_type, e.key), e.data) for e in elems]
    if len(s.key_type) > 1:
        return [(_concat_interval_key(s.key_type, e.key, e.key_end or e.key), e.data) for e in elems]
    kind = next(iter(s.key_type))
    size = TYPES[kind][1]
    top = (1 << (8 * size)) - 1
    # ends sort before starts at the same value (adjacent intervals)
    points = sorted(((int.from_bytes(e.key, "big"), not e.flags & INTERVAL_END, e.data) for e in elems),
                    key=lambda p: (p[0], p[1]))
    out: list[tuple[Key, ElemData]] = []
    for i, (v, start, data) in enumerate(points):
        if not start:
            continue
        nxt = points[i + 1] if i + 1 < len(points) else None
        hi = nxt[0] - 1 if nxt is not None and not nxt[1] else top
        out.append((_interval_key(kind, v, hi), data))
    return out


def decode_elements(s: NamedSet, elems: Sequence[Element]) -> Union[frozenset[Key], dict[Key, Value]]:
    """Kernel elements back into the set's (or map's) Python elements."""
    pairs = _key_pairs(s, elems)
    if not isinstance(s, Map):
        return frozenset(k for k, _ in pairs)
    from .stmt import Verdict
    codes = {c: k for k, c in Verdict.CODES.items()}
    out: dict[Key, Value] = {}
    for key, data in pairs:
        if isinstance(data, tuple):
            out[key] = Verdict(codes[data[0]], data[1])
        elif isinstance(data, bytes) and s.data_type is not None:
            out[key] = decode_value(s.data_type, data)
    return out


def _concat_interval_key(names: tuple[str, ...], lo: bytes, hi: bytes) -> Key:
    out: list[Scalar] = []
    off = 0
    for n in names:
        size = TYPES[n][1]
        a, b = lo[off:off + size], hi[off:off + size]
        if n in RANGED:
            k = _interval_key(n, int.from_bytes(a, "big"), int.from_bytes(b, "big"))
            assert not isinstance(k, tuple)
            out.append(k)
        else:
            out.append(_unraw(n, a))
        off += (size + 3) & ~3
    return tuple(out)


def _interval_key(kind: str, lo: int, hi: int) -> Key:
    if kind == "inet_service":
        return lo if lo == hi else f"{lo}-{hi}"
    import ipaddress
    a, b = ipaddress.ip_address(lo if kind == "ipv4_addr" else ipaddress.IPv6Address(lo)), \
        ipaddress.ip_address(hi if kind == "ipv4_addr" else ipaddress.IPv6Address(hi))
    return _range_text(a, b)


__all__ = ["NamedSet", "Set", "Map", "Element", "key_elements", "TYPES", "FLAGS", "type_id", "type_len", "type_names", "set_elements",
           "map_elements", "decode_elements", "encode_value", "decode_value", "parse_value"]
