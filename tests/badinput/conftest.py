"""A namespace with a few links and addresses to aim bad input at, and a snapshot oracle."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Bridge, Handle, NetNS, Veth

from ..conftest import unique_name
from .oracle import dir_state, netns_state


@dataclass
class Ctx:
    """What rows aim at: ``ns`` (br0 172.16.5.1/24, veth v0/v0p), its Handle ``h``, a second
    namespace ``other`` and a state directory holding one network ``net0``."""

    ns: NetNS
    other: NetNS
    h: Handle
    state: Path

    def snapshot(self) -> dict[str, Any]:
        return {"ns": netns_state(self.ns.name), "other": netns_state(self.other.name),
                "state": dir_state(self.state)}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    ns = NetNS.create(unique_name("bad"))
    other = NetNS.create(unique_name("badc"))
    state = tmp_path_factory.mktemp("state")
    try:
        for n in (ns, other):          # no IPv6 autoconfiguration: snapshots stay comparable
            n.set_sysctl("net.ipv6.conf.all.disable_ipv6", 1)
            n.set_sysctl("net.ipv6.conf.default.disable_ipv6", 1)
        h = Handle(ns)
        h.links.create(Bridge("br0", up=True))
        h.addresses.add("br0", "172.16.5.1/24")
        h.links.create(Veth("v0", peer="v0p"))
        from pynetlink.networks import Networks
        Networks(ns, state_dir=state).create("net0", subnet="172.16.9.0/24")
        yield Ctx(ns, other, h, state)
        h.close()
    finally:
        for n in (ns, other):
            try:
                n.delete()
            except FileNotFoundError:
                pass


def check_row(ctx: Ctx, call: Callable[[Ctx], object], exc: type[BaseException], words: str) -> None:
    """``call`` raises ``exc`` whose message holds every word of ``words``; nothing changed."""
    before = ctx.snapshot()
    with pytest.raises(exc) as info:
        call(ctx)
    text = str(info.value)
    for w in words.split():
        assert w in text, f"{w!r} not in {text!r}"
    assert ctx.snapshot() == before
