"""Subscriber: a netlink socket bound to multicast groups, read without blocking.

The socket is opened inside a namespace (as ``NetlinkSocket`` does) and joins its groups
before anything else is sent on it, so a dump sent later on the same socket is queued
behind every notification that preceded it. ``receive()`` drains whatever is queued into
one buffer (one ``bytes``, decoded by the caller in one C call) and reports an overflow
(``ENOBUFS``: the kernel dropped notifications) instead of raising.
"""
from __future__ import annotations

import errno
import random
import select
import socket
from typing import Any, Sequence

from .._native import ffi
from ..codec.program import Compiled, encode
from .lifecycle import Closing
from .netns import NetNS, run_in
from .socket import SO_RCVBUFFORCE, SOL_NETLINK

NETLINK_ADD_MEMBERSHIP = 1
NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK = 11, 12
_SLACK = 65536                      # room kept free for one more datagram (a dump part is <= 32 KiB)


class Subscriber(Closing):
    """A non-blocking netlink socket of ``protocol`` in ``netns`` that joined ``groups``.

    ``rcvbuf`` sizes the receive buffer; ``force`` uses ``SO_RCVBUFFORCE`` (root) so the
    size is not capped by ``net.core.rmem_max``; ``force=False`` asks with plain
    ``SO_RCVBUF`` (the kernel doubles it and applies its minimum).
    """

    def __init__(self, protocol: int, groups: Sequence[int], netns: NetNS | None = None, *,
                 rcvbuf: int = 4 << 20, force: bool = True, batch: int = 256 << 10) -> None:
        self.protocol = protocol
        self.groups = tuple(groups)
        self.netns = netns
        self._seq = random.randrange(1, 1 << 30)
        self._sock = run_in(netns.path if netns else None, lambda: self._open(rcvbuf, force))
        self.portid: int = self._sock.getsockname()[0]
        self._buf = bytearray(max(batch, 2 * _SLACK))
        self._view = memoryview(self._buf)

    def _open(self, rcvbuf: int, force: bool) -> socket.socket:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK,
                          self.protocol)
        try:
            for opt in (NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK):
                try:
                    s.setsockopt(SOL_NETLINK, opt, 1)
                except OSError:
                    pass
            if force:
                try:
                    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
                except OSError:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            else:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.bind((0, 0))
            for g in self.groups:
                s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
        except BaseException:
            s.close()
            raise
        return s

    @property
    def rcvbuf(self) -> int:
        """The receive buffer the kernel granted (bytes)."""
        return int(self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def send(self, items: Sequence[tuple[Compiled, Sequence[Any]]]) -> int:
        """Encode and send requests (a dump, typically); returns the first sequence number.

        Replies arrive through ``receive()`` among the notifications, in queue order.
        """
        seq = self._seq
        enc = encode(items, seq)
        self._seq = (self._seq + max(enc.n, 1)) & 0x7FFFFFFF or 1
        data = bytes(ffi.buffer(enc.buf, enc.length))
        while True:
            try:
                self._sock.send(data)
                return seq
            except InterruptedError:
                continue
            except BlockingIOError:       # a full send buffer: wait for room, then retry
                select.select([], [self._sock], [], 1.0)

    def receive(self) -> tuple[bytes, bool]:
        """Everything queued now (possibly b""), and whether the kernel reported an overflow.

        Datagrams are appended back to back until the queue is empty or the buffer is
        nearly full (the next call gets the rest). ``MSG_TRUNC`` cannot happen: a read is
        only made with at least 64 KiB free.
        """
        view, n, cap = self._view, 0, len(self._buf)
        overflow = False
        recv_into = self._sock.recv_into
        while cap - n >= _SLACK:
            try:
                got = recv_into(view[n:], cap - n)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    overflow = True
                    continue
                raise
            if got == 0:
                break
            n += got
        return bytes(view[:n]), overflow


__all__ = ["Subscriber", "NETLINK_ADD_MEMBERSHIP"]
