"""The C views (pynetlink.codec._cview, csrc/ext/views.c): a dump's Table indexes as the list
``columns.table`` makes, Field descriptors fall back to the properties they replace, views()
refuses what it cannot make. What the views read is compared with views made alone in
test_dump_views.py (real, mutated and random replies). Runs under ASan too (tools/asan-tests).
"""
from __future__ import annotations

from array import array
from typing import Any

import pytest

from pynetlink.codec import columns
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import addresses, links, routes, view
from pynetlink.rtnl.addresses import AddressView

from .test_fuzz import CORPUS

_cview = pytest.importorskip("pynetlink.codec._cview")


def _dump(msg_type: int) -> bytes:
    for data, fam in CORPUS:
        if fam is RTNL:
            rows = decode(data, fam)
            if any(rows.type(m) == msg_type for m in rows.messages()):
                return data
    pytest.fail(f"no dump of message type {msg_type} among the vectors")


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_table_indexes_as_the_list() -> None:
    rows = decode(_dump(20), RTNL)                          # RTM_NEWADDR
    want = columns.table(rows, addresses._PLUCK, 2)
    got = columns.dump_table(rows, addresses._PLUCK, 2)
    assert type(got) is _cview.Table and len(got) == len(want) and got.rows is rows
    assert got.n == len(want[0]) > 0
    for j in range(len(want) - 1):
        assert (got[j] is None) == (want[j] is None)
        if want[j] is not None:
            assert list(got[j]) == list(want[j])
    assert got[-1][2] == want[-1][2] and got[-1][0] is rows.data
    assert addresses.address_texts(got) == addresses.address_texts(want)  # a text slot, set
    assert got[addresses._T_ADDR] is got[addresses._T_ADDR]
    with pytest.raises(TypeError):
        got[1] = array("Q")                                   # the plucked columns are read-only
    with pytest.raises(IndexError):
        got[len(want)]
    with pytest.raises(TypeError):
        del got[-1]


def test_table_refuses_bad_arrays() -> None:
    with pytest.raises(ValueError):
        _cview.Table(None, b"", array("Q", [1, 2, 3]), 2, 0)   # not whole rows
    with pytest.raises(ValueError):
        _cview.Table(None, b"", array("Q"), 0, 0)
    with pytest.raises(TypeError):
        _cview.Table(None, object(), array("Q"), 1, 0)        # no buffer
    assert _cview.Table(None, b"", array("Q"), 3, 1).n == 0


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_views_and_fields() -> None:
    rows = decode(_dump(20), RTNL)
    t = columns.dump_table(rows, addresses._PLUCK, 2)
    msgs = t[0].tolist()
    views = _cview.views(AddressView, t, msgs)
    assert [v._m for v in views] == msgs and [v._b for v in views] == list(range(len(msgs)))
    assert all(v._c is t and v._rows is rows and v._h is None for v in views)
    assert [v._m for v in _cview.views(AddressView, t, array("I", msgs))] == msgs   # a u32 array
    assert _cview.views(AddressView, t, array("I", msgs[1:])) is None
    assert _cview.views(AddressView, t, array("H", msgs)) is None
    assert _cview.views(AddressView, t, msgs[1:]) is None     # other messages: the caller's way
    assert _cview.views(AddressView, t, [m + 1 for m in msgs]) is None
    with pytest.raises(TypeError):
        _cview.views(dict, t, msgs)
    with pytest.raises(ValueError):
        _cview.views([AddressView] * (len(msgs) + 1), t, msgs)  # one class per message
    # the class attribute is the property the descriptor falls back to
    assert isinstance(AddressView.address, property) and AddressView.address.__doc__ == \
        AddressView.__dict__["address"].fallback.__doc__
    alone = AddressView(rows, msgs[0])
    assert alone._c is None and alone.address == views[0].address and alone.link == views[0].link
    with pytest.raises(AttributeError):
        views[0].address = "x"                                 # type: ignore[misc]


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_link_and_route_views_share_their_table() -> None:
    rows = decode(_dump(16), RTNL)                             # RTM_NEWLINK
    msgs = [m for m in rows.messages() if rows.type(m) == 16]
    views = links.views_of(rows, msgs)
    assert all(type(v._c) is _cview.Table for v in views)
    assert [(v._info, v._data) for v in views] == [(x._info, x._data) for x in
                                                   (type(v)(rows, m) for v, m in zip(views, msgs))]
    data = _dump(24)                                           # RTM_NEWROUTE
    rows = decode(data, RTNL)
    msgs = [m for m in rows.messages() if rows.type(m) == 24]
    got = routes.dump(table=None).parse(rows, msgs)             # type: ignore[misc]
    assert got and all(type(v._c) is _cview.Table for v in got)


def test_data_rows() -> None:
    r, t = array("I", [0, 5, 9, 12]), array("I", [16, 20, 3, 2])
    assert _cview.data_rows(r, t) == array("I", [0, 5]).tobytes()
    with pytest.raises(ValueError):
        _cview.data_rows(r, array("I", [1]))


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_views_copy() -> None:
    """copy.copy of a view (a dump's, or one made alone) reads as the view (the C base's
    slots are part of its state)."""
    import copy
    for msg_type, parse in ((16, links.views_of), (20, addresses.dump().parse), (24, routes.dump(table=None).parse)):
        rows = decode(_dump(msg_type), RTNL)
        msgs = [m for m in rows.messages() if rows.type(m) == msg_type]
        for v in (*parse(rows, msgs)[:3], type(parse(rows, msgs)[0])(rows, msgs[0])):  # type: ignore[misc]
            c = copy.copy(v)                # (an eager view's copy: a compact one, see view.eager)
            base: Any = type(v).__base__
            assert type(c) is type(v) or (type(v) is view.eager(base) and type(c) is view.compact(base))
            assert c._c is v._c and c._m == v._m and c.to_dict() == v.to_dict()


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_views_choose_each_class_by_a_string_column() -> None:
    """views((col, {text: class}), ...): each view of its kind text's class (the text as
    columns.text reads it, "" when absent); None when a text is not in the dict, so the
    caller decides (links.views_of then adds the kinds it meets)."""
    from pynetlink.rtnl.kinds import view_class
    for data, fam in CORPUS:                                   # a link dump of several kinds
        rows = decode(data, fam) if fam is RTNL else None
        msgs = [m for m in rows.messages() if rows.type(m) == 16] if rows else []
        if msgs:
            t = columns.dump_table(rows, links.PLUCK, links.TEXTS)
            kinds = columns.text(t, links.T_KIND, 8)
            if len(set(kinds)) > 2 and "" in kinds:
                break
    else:
        pytest.fail("no link dump of several kinds among the vectors")
    by = {k: view.compact(view_class(k)) for k in set(kinds)}
    got = _cview.views((8, by), t, msgs)
    assert [type(v) for v in got] == [by[k] for k in kinds]
    assert [v.name for v in got] == [view_class(k)(rows, m).name for k, m in zip(kinds, msgs)]
    missing = dict(by)
    del missing[kinds[-1]]
    assert _cview.views((8, missing), t, msgs) is None
    assert _cview.views((8, by), t, msgs[:-1]) is None         # other messages
    with pytest.raises(ValueError, match="column"):
        _cview.views((links.PLUCK.width, by), t, msgs)
    with pytest.raises(TypeError, match="chooser"):
        _cview.views((8, list(by)), t, msgs)
    links._EAGER_KINDS.clear()                                 # a dump meeting new kinds
    made = links.views_of(rows, msgs)
    assert [type(v).__base__ for v in made] == [view_class(k) for k in kinds]
    assert set(links._EAGER_KINDS) == set(kinds)
