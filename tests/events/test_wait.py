"""Waits that replace sleeps: success when another process brings the state about, and a
clear TimeoutError naming what was awaited and what was last seen."""
from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest

from pynetlink.events import WaitTimeout, async_wait_dad, async_wait_link, wait_dad, wait_link

from ..conftest import ip_json
from .helpers import ip


def _later(ns: Any, script: str) -> subprocess.Popen[str]:
    """Another process that makes the change a moment after the wait started."""
    return subprocess.Popen(["sh", "-c", f"sleep 0.3; {script}"], text=True,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NS": ns.name})


def test_wait_link_appears(netns: Any) -> None:
    actor = _later(netns, 'ip -n "$NS" link add late0 type bridge')
    v = wait_link("late0", netns=netns, timeout=5)
    assert actor.wait() == 0
    assert v.name == "late0" and v.kind == "bridge"
    assert ip_json(netns.name, "link", "show", "late0")[0]["ifindex"] == v.index  # type: ignore[index]


def test_wait_link_up_and_carrier(netns: Any) -> None:
    ip(netns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    ip(netns, "link", "set", "va", "up")
    with pytest.raises(WaitTimeout) as err:
        wait_link("va", netns=netns, carrier=True, timeout=0.3)
    assert isinstance(err.value, TimeoutError)
    text = str(err.value)
    assert "link va with carrier" in text and "operstate=lowerlayerdown" in text and "up=True" in text
    actor = _later(netns, 'ip -n "$NS" link set vb up')
    v = wait_link("va", netns=netns, carrier=True, timeout=5)
    assert actor.wait() == 0
    assert v.operstate == "up" and "lower_up" in v.flags
    assert wait_link(v.index, netns=netns, up=True, timeout=1).name == "va"


def test_wait_link_timeout_names_what_is_missing(netns: Any) -> None:
    with pytest.raises(WaitTimeout) as err:
        wait_link("nope0", netns=netns, timeout=0.2)
    assert err.value.what == f"link nope0 in netns {netns.name}"
    assert "no such link (links: lo)" in str(err.value)


def test_wait_dad(netns: Any) -> None:
    ip(netns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    ip(netns, "link", "set", "vb", "up")
    ip(netns, "link", "set", "va", "up")
    ip(netns, "address", "add", "2001:db8::5/64", "dev", "va")        # DAD runs (~1 s)
    v = wait_dad("va", "2001:db8::5", netns=netns, timeout=10)
    assert v.address == "2001:db8::5" and "tentative" not in v.flags
    addr = [a for a in ip_json(netns.name, "-6", "addr", "show", "va")[0]["addr_info"]  # type: ignore[index]
            if a["local"] == "2001:db8::5"][0]
    assert not addr.get("tentative")
    every = wait_dad("va", netns=netns, timeout=10)      # the link-local one too
    assert {a.address for a in every} >= {"2001:db8::5"} and len(every) == 2


def test_wait_dad_timeout(netns: Any) -> None:
    ip(netns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    ip(netns, "link", "set", "va", "up")                # no carrier: DAD cannot finish
    ip(netns, "address", "add", "2001:db8::6/64", "dev", "va")
    with pytest.raises(WaitTimeout) as err:
        wait_dad("va", "2001:db8::6", netns=netns, timeout=0.5)
    assert "DAD of 2001:db8::6 on va" in str(err.value) and "tentative" in str(err.value)


def test_async_waits(netns: Any) -> None:
    async def main() -> None:
        actor = await asyncio.create_subprocess_exec(
            "sh", "-c", f"sleep 0.2; ip -n {netns.name} link add va type veth peer name vb && "
            f"ip -n {netns.name} link set va up && ip -n {netns.name} link set vb up && "
            f"ip -n {netns.name} addr add 2001:db8::8/64 dev va")
        v = await async_wait_link("va", netns=netns, carrier=True, timeout=5)
        assert v.operstate == "up"
        a = await async_wait_dad("va", "2001:db8::8", netns=netns, timeout=10)
        assert "tentative" not in a.flags
        assert await actor.wait() == 0
        with pytest.raises(WaitTimeout):
            await async_wait_link("nope", netns=netns, timeout=0.2)
    asyncio.run(main())
