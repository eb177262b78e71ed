"""transport.validate.ifname's fast path (printable ASCII) accepts exactly what the full
check accepts: hypothesis over ASCII and any text, plus the edge cases by hand."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink.errors import InvalidArgument
from pynetlink.transport.validate import ifname, ifname_checked


def _verdict(check: object, value: str) -> bool:
    try:
        assert callable(check)
        return check(value) == value
    except InvalidArgument:
        return False


@settings(max_examples=3000)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=17),
                 st.text(max_size=17)))
def test_fast_path_agrees_with_the_full_check(value: str) -> None:
    assert _verdict(ifname, value) == _verdict(ifname_checked, value)


@pytest.mark.parametrize("value, ok", [
    ("eth0", True), ("veth000001a", True), ("a" * 15, True), ("a" * 16, False), ("", False),
    (".", False), ("..", False), ("...", True), ("a b", False), ("a/b", False), ("a:b", False),
    ("a\tb", False), ("a\x7fb", True), ("a\0b", False), ("é", True),
    ("a\xa0b", False), ("-x", True)])
def test_edge_cases(value: str, ok: bool) -> None:
    assert _verdict(ifname, value) is ok and _verdict(ifname_checked, value) is ok


@pytest.mark.parametrize("value", ["a\x1cb", "a\x1fb", "a\u2003b", "a\u3000b"])
def test_stricter_than_the_kernel(value: str) -> None:
    """The library's documented rule (docs/api.md, "Bad input"; validate.ifname): whitespace
    as ``str.isspace()`` counts it is refused, although the kernel's isspace() (0x09-0x0d,
    0x20, 0xa0) would take these names."""
    assert value[1].isspace() and value[1] not in "\t\n\v\f\r \xa0"
    assert not _verdict(ifname, value) and not _verdict(ifname_checked, value)
