"""Fixtures for rtnl tests: a Handle inside a fresh namespace, and `ip` as an oracle."""
from __future__ import annotations

import subprocess
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Handle, Veth


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


def wire(h: Handle, ns: Any) -> Handle:
    """lo up, and eth0 (198.51.100.1/24, 2001:db8:5::1/64) with its peer eth0p, both up (no DAD)."""
    ns.set_sysctl("net.ipv6.conf.all.accept_dad", 0)
    ns.set_sysctl("net.ipv6.conf.default.accept_dad", 0)
    h.links.set("lo", up=True)
    h.links.create(Veth("eth0", peer="eth0p", up=True))
    h.links.set("eth0p", up=True)
    h.addresses.add("eth0", "198.51.100.1/24")
    h.addresses.add("eth0", "2001:db8:5::1/64", flags=("nodad",))
    return h


@pytest.fixture
def wired(h: Handle, netns: Any) -> Handle:
    """The test's Handle after ``wire()``."""
    return wire(h, netns)
