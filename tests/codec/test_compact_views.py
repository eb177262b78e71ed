"""Compact dump views (``_cview.compact``, ``rtnl.view.compact``): the views a route or address
dump makes are instances of a final subtype of their class that the garbage collector does
not track (48 bytes instead of 64), read like the class's views, copy, and refuse whatever
could make a cycle through them. Runs under ASan too (tools/asan-tests)."""
from __future__ import annotations

import copy
import gc
import sys
from typing import Any

import pytest

from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import addresses, routes
from pynetlink.rtnl.addresses import AddressView
from pynetlink.rtnl.routes import RouteView
from pynetlink.rtnl.view import compact

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
def test_dump_views_are_compact_and_read_alike(msg_type: int) -> None:
    cls, rows, msgs, views = _views(msg_type)
    assert views and all(type(v) is compact(cls) for v in views)
    t: Any = type(views[0])
    assert t.__base__ is cls and t.__name__ == cls.__name__ and t.__module__ == cls.__module__
    assert sys.getsizeof(views[0]) == 48 < sys.getsizeof(cls(rows, msgs[0]))
    assert not gc.is_tracked(views[0]) and not gc.is_tracked(copy.copy(views[0]))
    for m, v in zip(msgs, views):
        assert isinstance(v, cls)
        assert v.to_dict() == cls(rows, m).to_dict()
        c = copy.copy(v)
        assert type(c) is t and c._c is v._c and c.to_dict() == v.to_dict()


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
