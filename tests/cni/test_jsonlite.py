"""cni.jsonlite gives json's results and json's errors (it falls back to json for anything
it does not do the same way)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pynetlink.cni import jsonlite

VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=20)


@given(VALUES)
def test_dumps_and_loads_match_json(value: Any) -> None:
    for indent in (None, 1, 4):
        assert jsonlite.dumps(value, indent=indent) == json.dumps(value, indent=indent)
    text = json.dumps(value)
    assert jsonlite.loads(text) == json.loads(text)
    assert jsonlite.loads(f" \n{text}\t".encode()) == json.loads(f" \n{text}\t".encode())


@pytest.mark.parametrize("doc", [b"", b"{", b"{} x", b"\xef\xbb\xbf{}", b"\xff", "\ufeff{}", b"[1,]",
                                 b'{"a": NaN}', b"nul", b'"\\ud800"'])
def test_errors_and_oddities_are_json_s(doc: bytes | str) -> None:
    try:
        want: Any = json.loads(doc)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as got:
            jsonlite.loads(doc)
        assert str(got.value) == str(e)
    else:
        assert repr(jsonlite.loads(doc)) == repr(want)


def test_values_json_cannot_take_raise_json_s_error() -> None:
    with pytest.raises(TypeError):
        jsonlite.dumps({1: object()})
