"""cni/rawnl.py, the raw paths' framing: a reply's header and error read with their lengths
checked, and only the kernel's datagrams taken (one another process sends is dropped)."""
from __future__ import annotations

import socket
import struct

import pytest

from pynetlink.cni import rawnl

NLMSG_NOOP, NLMSG_ERROR, NLM_F_REQUEST, NLM_F_ACK = 1, 2, 1, 4


def test_header_and_error() -> None:
    ack = rawnl.HDR.pack(36, NLMSG_ERROR, 0, 7, 0) + struct.pack("=i", -22) + b"\0" * 16
    assert rawnl.header(ack, 0) == (36, NLMSG_ERROR, 7)
    assert rawnl.error_of(ack, 0, 36) == 22
    for bad in (b"", b"\0" * 15, rawnl.HDR.pack(15, 2, 0, 0, 0), rawnl.HDR.pack(40, 2, 0, 0, 0) + b"\0" * 4):
        with pytest.raises(ValueError):
            rawnl.header(bad, 0)
    with pytest.raises(ValueError):
        rawnl.error_of(rawnl.HDR.pack(16, NLMSG_ERROR, 0, 0, 0), 0, 16)


def test_recv_kernel_drops_other_senders() -> None:
    me = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    other = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    try:
        me.bind((0, 0))
        other.bind((0, 0))
        me.settimeout(5)
        fake = rawnl.HDR.pack(20, NLMSG_ERROR, 0, 9, 0) + struct.pack("=i", 0)
        other.sendto(fake, (me.getsockname()[0], 0))            # a forged ack, sent first
        me.send(rawnl.HDR.pack(16, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 9, 0))
        data = rawnl.recv_kernel(me)
        length, kind, seq = rawnl.header(data, 0)
        assert (kind, seq) == (NLMSG_ERROR, 9)
        assert data != fake and length == 36                     # the kernel's ack echoes the request
        assert rawnl.error_of(data, 0, length) == 0
    finally:
        me.close()
        other.close()
