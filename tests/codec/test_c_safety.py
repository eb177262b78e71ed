"""Memory safety of the C extensions where Python code can reach their edges: the event
engine's setup() (a failed call keeps nothing, a second call releases the first's references),
the C views (a Field's dict value whose __bool__ empties the dict, the View's writable slots,
the Table's items) and the decoder's grown table (a preset parent column is refused; nested
rows keep their parents when the table grows). Run under ASan and UBSan by tools/asan-tests,
where a use after free or a write past a column aborts the run."""
from __future__ import annotations

import errno
import gc
import struct
import sys
import weakref
from array import array
from typing import Any

import pytest

from pynetlink._native import ffi, lib
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.events import kinds
from pynetlink.events.event import CHANGED, DELETED, KERNEL, NEW, Event

_cview = pytest.importorskip("pynetlink.codec._cview")
_engine = kinds._engine


def _attr(t: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), t) + payload + bytes(-len(payload) % 4)


def _msg(t: int, body: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(body), t, 0, 0, 0) + body


def _address(last: int) -> bytes:
    body = struct.pack("=BBBBi", 2, 24, 0, 0, 1) + _attr(int(lib.IFA_LOCAL), bytes([198, 51, 100, last]))
    return _msg(int(lib.RTM_NEWADDR), body)


def _setup(**change: Any) -> None:
    """The engine's setup() as pynetlink.events.kinds calls it, with some arguments changed."""
    a: dict[str, Any] = dict(
        ev=Event, kinds=("address", "link", "route", "neighbour"), new=NEW, changed=CHANGED, deleted=DELETED,
        origin=KERNEL, decode=lambda data: decode(data, RTNL), check=kinds._decodes, link_view=kinds._link_view,
        descends=tuple(kinds._descends(k) for k in (kinds.AddressKind, kinds.LinkKind, kinds.RouteKind,
                                                   kinds.NeighbourKind)))
    a.update(change)
    _engine.setup(*a.values())


def _events(data: bytes) -> list[Any]:
    """The C engine's events of ``data`` (every field read: the view's buffer decoded)."""
    state: dict[Any, Any] = {}
    out: list[Any] = []
    assert _engine.events(data, (state, None, None, None), None, out) == ()
    return [(e.kind, e.action, e.key, e.origin, e.view.address, e.view.scope, e.view.flags) for e in out]


@pytest.mark.skipif(_engine is None, reason="pynetlink.events._engine not built")
def test_engine_setup_failed_keeps_nothing() -> None:
    want = _events(_address(1) + _address(2))
    bad_desc = (b"",) * 3 + ("not bytes",)
    for bad in (dict(descends=bad_desc), dict(kinds=("a", "b", "c", 4)), dict(kinds=("a",)),
                dict(decode=None), dict(ev=dict)):
        decoder = lambda data: decode(data, RTNL)  # noqa: E731 - freed right after the failed call
        with pytest.raises(TypeError):
            _setup(decode=decoder, origin="x" * 3, **bad)
        del decoder
        gc.collect()
        assert _events(_address(1) + _address(2)) == want     # the first setup's references, intact


@pytest.mark.skipif(_engine is None, reason="pynetlink.events._engine not built")
def test_engine_setup_again_releases_the_first() -> None:
    origin = "".join(["ker", "nel-test"])                     # a str of its own (not interned)
    decoder = lambda data: decode(data, RTNL)  # noqa: E731
    before = sys.getrefcount(origin), sys.getrefcount(decoder)
    try:
        _setup(origin=origin, decode=decoder)
        assert _events(_address(3))[0][3] == origin
        assert (sys.getrefcount(origin), sys.getrefcount(decoder)) > before
    finally:
        _setup()
    gc.collect()
    assert (sys.getrefcount(origin), sys.getrefcount(decoder)) == before
    assert _events(_address(3))[0][3] == KERNEL


class _V(_cview.View):
    __slots__ = ()


def _view(value: int) -> tuple[Any, Any]:
    t = _cview.Table(None, b"", array("Q", [0, value]), 2, 1)
    (v,) = _cview.views(_V, t, [0])
    return t, v


def test_field_named_holds_the_value_across_bool() -> None:
    """F_NAMED calls bool() on the dict's value: a __bool__ emptying the dict frees the
    value unless the field holds a reference across the call."""
    names: dict[int, Any] = {}

    class Vanishing:
        def __bool__(self) -> bool:
            names.clear()
            return True

    names[5] = Vanishing()
    _V.f = _cview.Field(property(lambda self: "fallback"), _cview.F_NAMED, 1, arg=names)
    try:
        _, v = _view(5)
        assert type(v.f) is Vanishing and names == {}
        names[5] = 0                                          # falsy: the number as text
        assert v.f == "5"
    finally:
        del _V.f


def test_view_slots_are_checked() -> None:
    t, v = _view(1)
    assert v._c is t and v._h is None and v._rows is None
    for name, value in (("_h", ("x",)), ("_h", [1, 2]), ("_c", 5), ("_c", ("t",))):
        with pytest.raises(TypeError):
            setattr(v, name, value)
    for name in ("_rows", "_h", "_c"):
        with pytest.raises(TypeError):
            delattr(v, name)
    v._h = (1, 2, 3)
    v._c = None
    assert v._h == (1, 2, 3) and v._c is None
    with pytest.raises(AttributeError):
        _V.__new__(_V)._rows                                  # made without views(): not set yet


def test_view_cycle_is_collected() -> None:
    """views() leaves its views out of the collector; one given a _rows (or _c) that
    refers back to it is tracked again, so the cycle is freed."""
    class Sentinel:
        pass

    for name in ("_rows", "_c"):
        _, v = _view(1)
        assert not gc.is_tracked(v)
        s = Sentinel()
        gone = weakref.ref(s)
        setattr(v, name, [v, s])
        assert gc.is_tracked(v)
        del v, s
        gc.collect()
        assert gone() is None, name


def test_table_items_keep_their_shape() -> None:
    t, v = _view(1)
    for key, value in ((slice(0, 1), []), (0, [1]), (1, ["a"]), (-1, ("x",)), (2, [v]), (2, "ab"), (3, ["a"])):
        with pytest.raises((TypeError, IndexError)):
            t[key] = value
    t[2] = ["a", None]
    assert t[2] == ("a", None) and len(t) == 4 and t[0].tolist() == [0]
    with pytest.raises(TypeError):
        del t[2]


# -- the decoder's grown table --------------------------------------------------------------
_METRICS = [(2, 1500), (3, 10), (4, 9), (8, 1460), (10, 64), (11, 10)]     # RTAX_MTU ... RTAX_INITCWND


def _route(i: int) -> bytes:
    """A route with an RTA_METRICS nest: 8-byte nested attributes, a row per 8 bytes (the
    grown table's first guess is a row per 16)."""
    metrics = b"".join(_attr(t, struct.pack("=I", v + i)) for t, v in _METRICS)
    body = struct.pack("=BBBBBBBBI", 2, 24, 0, 0, 254, 4, 0, 1, 0)
    body += _attr(int(lib.RTA_DST), bytes([198, 51, 100, 0])) + _attr(int(lib.RTA_METRICS), metrics)
    body += _attr(int(lib.RTA_TABLE), struct.pack("=I", 254))
    return _msg(int(lib.RTM_NEWROUTE), body)


def _fixed(data: bytes) -> dict[str, list[int]]:
    """pnl_decode into columns of exactly the rows needed, the parent column kept."""
    r = ffi.new("struct pnl_rows *")
    assert lib.pnl_decode(data, len(data), RTNL.cwords, len(RTNL.words), r) == -errno.ENOSPC
    n, k = r.count, r.index_len
    cols = {c: ffi.new(f"{t}[]", n) for c, t in (("off", "uint32_t"), ("len", "uint32_t"), ("tf", "uint32_t"),
                                                  ("parent", "int32_t"), ("end", "uint32_t"),
                                                  ("set", "uint32_t"), ("val", "uint64_t"), ("slot", "uint32_t"))}
    index = ffi.new("uint32_t[]", max(k, 1))
    for c, a in cols.items():
        setattr(r, c, a)
    r.index, r.cap, r.index_cap = index, n, k
    assert lib.pnl_decode(data, len(data), RTNL.cwords, len(RTNL.words), r) == 0
    return {c: list(a) for c, a in cols.items()}


def test_grown_table_keeps_parents() -> None:
    data = b"".join(_route(i) for i in range(300))
    rows = decode(data, RTNL)
    assert rows.count > len(data) // 16 + 16                  # grown past the first guess
    want = _fixed(data)
    assert [rows.parent[i] for i in range(rows.count)] == want["parent"]
    assert list(rows.end[:rows.count]) == want["end"] and list(rows.off[:rows.count]) == want["off"]
    assert sum(p >= 0 for p in want["parent"]) > 300 * len(_METRICS)     # the nested rows


def test_grow_refuses_a_preset_parent() -> None:
    """pnl_decode_grow grows the columns it owns; a parent column set by the caller would be
    written past its end when the table grows: refused, nothing written."""
    t = ffi.gc(lib.pnl_rows_new(), lib.pnl_rows_free)
    small, big = _route(0), b"".join(_route(i) for i in range(300))
    assert lib.pnl_decode_grow(small, len(small), RTNL.cwords, len(RTNL.words), t) == 0
    cap = t.cap
    parent = ffi.new("int32_t[]", [-7] * cap)
    t.parent = parent
    try:
        assert lib.pnl_decode_grow(big, len(big), RTNL.cwords, len(RTNL.words), t) == -errno.EINVAL
    finally:
        t.parent = ffi.NULL
    assert t.cap == cap and list(parent) == [-7] * cap
    assert lib.pnl_decode_grow(big, len(big), RTNL.cwords, len(RTNL.words), t) == 0


def test_view_slot_descriptors_are_read_only() -> None:
    """The members read as plain slots; written only through the view's checked setattr."""
    _, v = _view(1)
    for name in ("_rows", "_h", "_c"):
        with pytest.raises(AttributeError):
            getattr(_cview.View, name).__set__(v, "x")
