"""pynetlink._record, the light @dataclass: the semantics the library relies on, and the
hand-written ``Route.__init__`` kept equal to its fields (it used to be checked at import)."""
from __future__ import annotations

import inspect
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pynetlink._record import _MISSING as MISSING
from pynetlink._record import FrozenInstanceError, field, fields, record, replace
from pynetlink.codec.program import Compiled, Encoded
from pynetlink.codec.schema import Attr
from pynetlink.nft.match import Match
from pynetlink.nft.nat import Publish
from pynetlink.nft.rule import Rule
from pynetlink.nft.stmt import Dnat, Snat
from pynetlink.rtnl.addresses import Address
from pynetlink.rtnl.request import Outcome
from pynetlink.rtnl.routes import Route
from pynetlink.transport.flow import Transfer
from pynetlink.transport.socket import Result

if TYPE_CHECKING:
    from dataclasses import KW_ONLY


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    _: KW_ONLY
    label: str = "p"
    tags: list[str] = field(default_factory=list)
    handle: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x")


@record(frozen=True, kw_only=True)
class Point3(Point):
    z: int = 0


@record
class Box:
    items: list[int] = field(default_factory=list)


def test_init_defaults_kw_only_and_post_init() -> None:
    p = Point(1, label="a")
    assert (p.x, p.y, p.label, p.tags, p.handle) == (1, 0, "a", [], None)
    assert Point(1).tags is not Point(1).tags               # a fresh default per instance
    with pytest.raises(TypeError):
        Point(1, 2, "a")  # type: ignore[call-arg]              # label is keyword-only
    with pytest.raises(ValueError):
        Point(-1)
    assert [f.name for f in fields(Point3)] == ["x", "y", "label", "tags", "handle", "z"]
    assert Point3(1, z=3).z == 3


def test_eq_hash_repr_frozen_replace() -> None:
    assert Point(1, handle=5) == Point(1, handle=7)         # compare=False
    assert Point(1) != Point(2) and Point(1) != Point3(1)
    assert hash(Point(1, 2, tags=())) == hash(Point(1, 2, tags=()))  # type: ignore[arg-type]
    assert repr(Point(1)) == "Point(x=1, y=0, label='p', tags=[], handle=None)"
    with pytest.raises(FrozenInstanceError):
        Point(1).x = 2  # type: ignore[misc]
    assert isinstance(FrozenInstanceError(), AttributeError)
    q = replace(Point(1, label="a"), y=5)
    assert (q.x, q.y, q.label) == (1, 5, "a")
    with pytest.raises(ValueError):
        replace(q, x=-1)                                    # __post_init__ runs again
    b = Box()
    b.items = [1]                                           # not frozen: assignable, unhashable
    assert Box.__hash__ is None and b == Box([1])


@pytest.mark.parametrize("cls", [Route, Address, Attr, Publish, Outcome, Rule, Match, Dnat, Snat,
                                 Transfer, Compiled, Encoded])
def test_hand_written_inits_match_their_fields(cls: type) -> None:
    params = [(p.name, p.default, p.kind == p.KEYWORD_ONLY) for p in inspect.signature(cls).parameters.values()]
    assert params == [(f.name, inspect.Parameter.empty if f.default is MISSING else f.default, f.kw_only)
                      for f in fields(cls)]


def test_result_init_matches_its_fields() -> None:
    """Result's ``messages`` defaults to a fresh list (a field with a default_factory): None
    in the hand-written signature, each instance its own list."""
    params = [(p.name, p.default) for p in inspect.signature(Result).parameters.values()]
    assert params == [(f.name, None if f.default is MISSING else f.default) for f in fields(Result)]
    a, b = Result(), Result()
    assert a == Result(None, [], False, True, True) and a.messages is not b.messages
    assert Result(messages=[3]).messages == [3]


def test_importing_rtnl_and_nft_loads_neither_dataclasses_nor_inspect() -> None:
    code = ("import sys, pynetlink.rtnl.kinds.bridge, pynetlink.rtnl.kinds.veth, pynetlink.rtnl.routes, "
            "pynetlink.nft.ruleset, pynetlink.nft.rule; "
            "print(sorted(m for m in ('dataclasses', 'inspect', 'ast') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
