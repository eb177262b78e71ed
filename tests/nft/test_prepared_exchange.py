"""DockerNat's prepared transaction sent by ``NetlinkSocket.exchange`` with
``pynetlink.nft._ports.exchange`` (one sendto, pnl_xfer collects the one ack and any error),
against the kernel: a refused transaction reports every member's errno and changes nothing,
a refused batch frame ends the wait at once, and the socket's checks (closed, its named
namespace deleted) refuse before anything is sent, with the library's errors."""
from __future__ import annotations

import errno
import time
from typing import Callable

import pytest

from pynetlink.errors import NetlinkError
from pynetlink.nft import DockerNat, Nftables
from pynetlink.nft._ports import exchange, fill
from pynetlink.nft.prepared import Prepared
from pynetlink.transport import NetNS

from .test_live import nft_cmd, nft_map
from .test_prepared import MASQ, PUBS, ruleset


def transaction(nft: Nftables, n: int) -> bytearray:
    got = fill(PUBS[:n], *Prepared(DockerNat(nft), MASQ).parts)
    assert got is not None and got[1] is True
    return got[0]


def test_a_refused_transaction_reports_its_members_and_changes_nothing(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        assert nft.sock.exchange(transaction(nft, 300), exchange) == ()
        before = ruleset(netns)
        errors = nft.sock.exchange(transaction(nft, 300), exchange)     # the table exists: all or nothing
        assert errors and set(errors) == {errno.EEXIST}
        assert ruleset(netns) == before
        # the socket goes on (no reply of the refused transaction left behind)
        assert DockerNat(nft).setup(publish=[(9000, "172.17.9.9", 80)]) is True
    assert len(nft_map(netns, "published_v4")["elem"]) == 301


def test_a_refused_batch_frame_ends_the_wait(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        data = transaction(nft, 10)
        data[18:20] = b"\xff\xff"               # BATCH_BEGIN's res_id: no such subsystem
        t0 = time.monotonic()
        errors = nft.sock.exchange(data, exchange)
        assert time.monotonic() - t0 < 5        # (not the socket's 30 s timeout)
        assert errors and errors[0] == errno.EINVAL and set(errors[1:]) <= {errno.ECANCELED}
    assert nft_cmd(netns, "list", "ruleset").strip() == ""


def test_a_closed_socket_or_a_deleted_namespace_sends_nothing(make_netns: Callable[..., NetNS]) -> None:
    ns = make_netns()
    nft = Nftables(ns)
    try:
        ns.delete()                             # (the socket keeps the namespace alive, nameless)
        with pytest.raises(NetlinkError) as got:
            DockerNat(nft).setup(masquerade=MASQ, publish=PUBS[:2])
        assert got.value.errno == errno.ENOENT and f"network namespace {ns.name} was deleted" in str(got.value)
        with pytest.raises(NetlinkError) as got:
            nft.sock.exchange(transaction(nft, 2), exchange)
        assert got.value.errno == errno.ENOENT
    finally:
        nft.close()
    with pytest.raises(NetlinkError) as got:
        DockerNat(nft).setup(masquerade=MASQ, publish=PUBS[:2])
    assert got.value.errno == errno.EBADF


def test_the_prepared_setup_of_many_ports_grows_the_send_buffer(netns: NetNS) -> None:
    """600 ports fit the usual buffer; 60,000 need more (one sendmsg: the buffer is grown)."""
    pubs = [(1 + i, f"172.{16 + i // 65536}.{i // 256 % 256}.{i % 256}", 80) for i in range(60000)]
    with Nftables(netns) as nft:
        assert DockerNat(nft).setup(masquerade=MASQ, publish=pubs) is True
        assert nft.sock._sndbuf > 2 * 60000 * 36
    assert len(nft_map(netns, "published_v4")["elem"]) == 60000
