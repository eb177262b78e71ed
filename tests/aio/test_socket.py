"""AsyncNetlinkSocket pieces other front ends reuse: datagrams of no batch (multicast
notifications of a socket joined to a group) go to ``on_unsolicited``; closing fails what is
in flight."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pynetlink import NetlinkError, Veth
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl.request import run_flow
from pynetlink.rtnl import links
from pynetlink.transport.aio import AsyncNetlinkSocket, adrive

from .conftest import ip

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_LINK, RTM_NEWLINK = 270, 1, 1, 16


def test_notifications_go_to_on_unsolicited(netns: Any) -> None:
    async def main() -> list[bytes]:
        sock = await AsyncNetlinkSocket.open(0, RTNL, netns)
        got: list[bytes] = []
        sock.on_unsolicited = got.append
        sock.sock._sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_LINK)
        try:
            # our own request gets its reply; the kernel's notification of it goes to the hook
            outs = await adrive(sock, run_flow(sock, [links.create(Veth("v0", peer="v0p"), fetch=False)]))
            assert outs[0].ok
            ip(netns, "link", "set", "v0", "up")            # an independent actor
            for _ in range(100):
                if len(got) >= 3:
                    break
                await asyncio.sleep(0.01)
            return got
        finally:
            sock.close()

    got = asyncio.run(main())
    types = [int.from_bytes(d[4:6], "little") for d in got]
    assert types and set(types) == {RTM_NEWLINK}


def test_close_fails_what_is_in_flight(netns: Any) -> None:
    async def main() -> None:
        sock = await AsyncNetlinkSocket.open(0, RTNL, netns)
        task = asyncio.create_task(adrive(sock, run_flow(sock, [links.dump()])))
        await asyncio.sleep(0)
        sock.close()
        with pytest.raises(NetlinkError):
            await task
        with pytest.raises(NetlinkError, match="closed"):
            await sock.transact([])

    asyncio.run(main())
