"""specs/_tables.py (tools/gen_tables.py) is exactly what the builders make from the specs and headers."""
from __future__ import annotations

import pytest

from pynetlink.codec.schema import Family, tables_key
from pynetlink.codec.specs import _tables, nft, rtnl

CASES = [(rtnl.RTNL, rtnl.build, _tables.RTNL), (nft.NFT, nft.build, _tables.NFT)]


def test_generated_with_this_codec() -> None:
    assert _tables.KEY == tables_key()


@pytest.mark.parametrize(("loaded", "build", "tables"), CASES, ids=["rtnl", "nft"])
def test_tables_equal_the_builders(loaded: Family, build: object, tables: tuple[object, ...]) -> None:
    """Stale after a spec, builder or header change: run tools/gen_tables.py."""
    built = build()      # type: ignore[operator]
    assert built.tables() == tables
    assert loaded.tables() == tables          # the frozen family gives back what it was made from


@pytest.mark.parametrize(("loaded", "build"), [c[:2] for c in CASES], ids=["rtnl", "nft"])
def test_frozen_family_behaves_as_the_built_one(loaded: Family, build: object) -> None:
    built = build()      # type: ignore[operator]
    assert type(loaded.set_list).__name__ == "_SetList"      # the module loaded the frozen tables
    assert loaded.name == built.name
    assert loaded.words == built.words and list(loaded.cwords) == list(built.cwords)
    assert loaded.max_types == built.max_types
    assert loaded.set_ids == built.set_ids and loaded.sel_ids == built.sel_ids
    assert loaded.selectors == built.selectors and loaded.messages == built.messages
    assert list(loaded.sets) == list(built.sets) and len(loaded.set_list) == len(built.set_list)
    for name, ours in loaded.sets.items():
        theirs = built.sets[name]
        assert loaded.set_list[loaded.set_ids[name]] is ours          # made once, then the same object
        assert (ours.name, ours.prefix, ours.ynl_trusted, ours.max_type) == \
            (theirs.name, theirs.prefix, theirs.ynl_trusted, theirs.max_type)
        assert ours.attrs == theirs.attrs and list(ours.attrs) == list(theirs.attrs)
        assert ours.types == theirs.types and ours.by_type == theirs.by_type
    with pytest.raises(KeyError):
        loaded.sets["no-such-attrs"]
    with pytest.raises(IndexError):
        loaded.set_list[len(built.set_list)]
