"""Compact and eager dump views (``_cview.compact``, ``rtnl.view.compact`` / ``eager``): the
views a route or address dump makes are instances of a final subtype of their class that the
garbage collector does not track (32 bytes instead of 48; small dumps: with their hot fields
read into slots when made), read like the class's views, copy, and refuse whatever could make
a cycle through them. Runs under ASan too (tools/asan-tests)."""
from __future__ import annotations

import copy
import gc
import sys
from typing import Any

import pytest

from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import addresses, links, routes
from pynetlink.rtnl.addresses import AddressView
from pynetlink.rtnl.links import LinkView
from pynetlink.rtnl.routes import RouteView
from pynetlink.rtnl import view
from pynetlink.rtnl.view import compact, eager

from .test_cview import _dump
from .test_fuzz import CORPUS

_cview = pytest.importorskip("pynetlink.codec._cview")

DUMPS: dict[int, tuple[type, Any]] = {20: (AddressView, addresses.dump().parse),
                                      24: (RouteView, routes.dump(table=None).parse)}


def _views(msg_type: int) -> tuple[Any, Rows, list[int], list[Any]]:
    cls, parse = DUMPS[msg_type]
    rows = decode(_dump(msg_type), RTNL)
    msgs = [m for m in rows.messages() if rows.type(m) == msg_type]
    return cls, rows, msgs, parse(rows, msgs)


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
@pytest.mark.parametrize("msg_type", sorted(DUMPS))
def test_large_dump_views_are_compact_and_read_alike(msg_type: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view, "EAGER_MAX", 0)      # as a dump of more than EAGER_MAX messages
    cls, rows, msgs, views = _views(msg_type)
    assert views and all(type(v) is compact(cls) for v in views)
    t: Any = type(views[0])
    assert t.__base__ is cls and t.__name__ == cls.__name__ and t.__module__ == cls.__module__
    assert sys.getsizeof(views[0]) == 32 < sys.getsizeof(cls(rows, msgs[0]))
    assert not gc.is_tracked(views[0]) and not gc.is_tracked(copy.copy(views[0]))
    for m, v in zip(msgs, views):
        assert isinstance(v, cls)
        assert v.to_dict() == cls(rows, m).to_dict()
        c = copy.copy(v)
        assert type(c) is t and c._c is v._c and c.to_dict() == v.to_dict()


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
@pytest.mark.parametrize("msg_type", sorted(DUMPS))
def test_small_dump_views_are_eager_and_read_alike(msg_type: int) -> None:
    cls, rows, msgs, views = _views(msg_type)
    e: Any = eager(cls)
    hot = [n for n, x in vars(e).items() if type(x).__name__ == "member_descriptor"]
    assert e.__base__ is cls and set(hot) >= {"family", "scope"} and len(hot) >= 5
    assert views and all(type(v) in (e, compact(cls)) for v in views) and type(views[0]) is e
    assert not gc.is_tracked(views[0]) and sys.getsizeof(views[0]) == 32 + 8 * len(hot)
    for m, v in zip(msgs, views):
        one = cls(rows, m)
        assert isinstance(v, cls) and v.to_dict() == one.to_dict()
        assert all(getattr(v, n) == getattr(one, n) for n in hot)
        with pytest.raises(AttributeError):
            setattr(v, hot[0], 1)
        c = copy.copy(v)                    # a compact view of the same message
        assert type(c) is compact(cls) and c._c is v._c and c.to_dict() == v.to_dict()


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_compact_view_refuses_what_could_refer_back_to_it() -> None:
    _, rows, _, views = _views(24)
    v = views[0]
    for name, value in (("_c", [v]), ("_c", [1]), ("_rows", [v]), ("_rows", 3)):
        with pytest.raises(TypeError, match=f"{name} takes None or a"):
            setattr(v, name, value)
    assert v._rows is rows
    v._c = None                     # what a view made alone has: it reads the rows then
    assert v.dst == RouteView(rows, v._m).dst
    v._rows = rows
    with pytest.raises(TypeError):
        v._h = ("not an int",)


def test_compact_refuses_a_base_with_slots_of_its_own() -> None:
    with pytest.raises(TypeError, match="add no slot"):
        _cview.compact(_Slotted, Rows)
    with pytest.raises(TypeError, match="View subclass"):
        _cview.compact(int, Rows)
    with pytest.raises(TypeError, match="one rows type"):
        _cview.compact(AddressView, dict)


class _Slotted(RouteView):
    __slots__ = ("extra",)


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_a_views_rows_header_and_table_in_one_reference() -> None:
    """A dump's view holds its table only; a header cached (or anything else set) keeps the
    table read in C (LinkView._info has no slot value in a dump's view: it comes from it)."""
    rows = decode(_dump(16), RTNL)
    msgs = [m for m in rows.messages() if rows.type(m) == 16]
    v = links.views_of(rows, msgs)[0]
    t, info = v._c, v._info
    assert type(t) is _cview.Table and v._rows is rows and t.rows is rows and v._h is None
    h = v._header                               # cached: (rows, header, table) from now on
    assert v._h is h and v._c is t and v._rows is rows and v._info == info and v.name == LinkView(rows, v._m).name
    v._h = None
    assert v._h is None and v._c is t
    fresh = LinkView.__new__(LinkView)
    with pytest.raises(AttributeError):
        fresh._rows
    fresh._c = t
    assert fresh._rows is None and fresh._h is None and fresh._c is t
