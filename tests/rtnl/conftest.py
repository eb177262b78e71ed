"""Fixtures for rtnl tests: a Handle inside a fresh namespace, and `ip` as an oracle."""
from __future__ import annotations

import subprocess
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Handle


@pytest.fixture
def h(netns: Any) -> Iterator[Handle]:
    """A Handle bound to the test's own namespace."""
    with Handle(netns) as handle:
        yield handle


def ip(ns: Any, *args: str) -> None:
    """`ip -n NS ...` (only ever inside the test's own namespace)."""
    subprocess.run(["ip", "-n", ns.name, *args], check=True, capture_output=True, text=True)


def ip_link(ns: Any, name: str) -> dict[str, Any]:
    from ..conftest import ip_json
    out = ip_json(ns.name, "-d", "link", "show", "dev", name)
    assert isinstance(out, list) and len(out) == 1
    return out[0]  # type: ignore[no-any-return]


IpLink = Callable[[Any, str], dict[str, Any]]
